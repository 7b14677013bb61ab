//! Soundness against adversaries who order, grind, collude and game the
//! rewards (issue 14). Each test is an attack that made money (or cost an
//! honest party money) on the code before the fix: it asserts what the
//! protocol must guarantee instead.

use cosmwasm_std::{
    coins, to_json_binary, Addr, Binary, Decimal, DepsMut, Empty, Env, MessageInfo, Response,
    StdResult, Uint128, WasmMsg,
};
use cw_multi_test::{ContractWrapper, Executor};
use impulse_testing::attacks::wash_trade;
use impulse_testing::market::{default_spec, hex, Behaviour, Run};
use impulse_testing::{Outcome, Suite, SuiteBuilder, DENOM};
use impulse_types::marketplace::{ExecuteMsg, JobSpec, JobState, VerificationMode};
use impulse_types::Backend;
use serde::{Deserialize, Serialize};

fn members(s: &Suite, id: u64) -> Vec<Addr> {
    s.round(id)
        .committee
        .iter()
        .map(|m| m.address.clone())
        .collect()
}

/// Finding 1: a Sybil trainer pays its own Sybil prover for a one-step job
/// that declares a huge `model_units`. Whatever it earns in rewards must be
/// less than what the job cost it (what it paid to anyone but itself).
#[test]
fn rewards_cannot_be_bought_with_a_declared_size() {
    // The attacker: a prover at price 1 and a trainer, both its own, and a
    // one-step job declaring 10^9 model units.
    let w = wash_trade(1, 1);
    assert!(
        w.honest_settled,
        "the honest job of the epoch settled: {w:?}"
    );
    assert!(w.own_prover && w.settled, "the Sybil proved its job: {w:?}");
    assert!(w.claimed, "the Sybil prover claimed: {w:?}");
    assert!(
        w.gained < w.cost,
        "the attack paid: it cost {} uimp and earned {} uimp of rewards",
        w.cost,
        w.gained
    );
}

/// A marketplace with `provers` provers and `verifiers` verifiers, and a
/// 20-step job (seed `seed`) a trainer submitted to it.
fn with_job(provers: usize, verifiers: usize, seed: u64) -> (Suite, u64) {
    with_job_as(provers, verifiers, seed, |_| {})
}

/// [`with_job`], the job's spec changed by `edit` before it is submitted.
fn with_job_as(
    provers: usize,
    verifiers: usize,
    seed: u64,
    edit: impl FnOnce(&mut JobSpec),
) -> (Suite, u64) {
    let mut s = SuiteBuilder::new().marketplace().build();
    s.network(provers, verifiers);
    let trainer = s.addr("trainer");
    let mut spec = default_spec(s.height(), 20, seed);
    edit(&mut spec);
    let (id, _) = s.submit(&trainer, &spec).unwrap();
    (s, id)
}

/// Finding 2: the prover commits its root before the committee has
/// committed its secrets. Then nobody can contribute a secret, the seed
/// falls back to entropy the prover can compute, and the honest committee
/// is penalised for not sending what it was not allowed to send.
#[test]
fn the_root_waits_for_the_committee_secrets() {
    let (mut s, id) = with_job(2, 5, 3);
    let run = Run::honest(3, 20);
    let stakes: Vec<Uint128> = members(&s, id)
        .iter()
        .map(|m| s.provider(m).stake)
        .collect();
    // The root cannot come first ...
    s.rejects(
        |s| s.commit_result(id, &run),
        "the committee's secret commitments must come first",
    );
    // ... so the committee commits, then the prover, and the round runs.
    s.drive(id, &run, &[]).must(&s);
    assert_eq!(s.job(id).state, JobState::Settled);
    let after: Vec<Uint128> = members(&s, id)
        .iter()
        .map(|m| s.provider(m).stake)
        .collect();
    assert_eq!(stakes, after, "an honest committee member was penalised");
}

/// Finding 2, the last revealer: once the others had revealed, the last
/// member knew every secret, so it knew the challenge before it chose to
/// reveal or to withhold (and be slashed): for a forger's Sybil, a second
/// draw worth `p (1 - p)` of the prover's stake, about what the Sybil's
/// slash costs at the minimum stakes. The seed now also takes the
/// contract's entropy in the block the last reveal lands in: the same
/// secrets and root give another challenge a block later, so what the
/// member knows before it acts does not fix the challenge.
#[test]
fn the_last_revealer_cannot_know_the_challenge_before_it_reveals() {
    let seed_when = |delay: u64| {
        let (mut s, id) = with_job(2, 5, 3);
        let run = Run::honest(3, 20);
        s.commit_round(id, &run).must(&s);
        s.reveal_secrets(id, &[0, 1]).unwrap();
        s.advance(delay);
        s.reveal_secrets(id, &[2]).unwrap();
        let r = s.round(id);
        assert_eq!(r.state, JobState::Challenged, "every secret revealed");
        (r.seed.unwrap(), r.challenged_steps)
    };
    let (seed_a, steps_a) = seed_when(1);
    let (seed_b, steps_b) = seed_when(2);
    assert_ne!(
        seed_a, seed_b,
        "the same secrets and root gave the same seed: the last revealer knew it before acting"
    );
    eprintln!("challenged with the last reveal at +1 block: {steps_a:?}, at +2: {steps_b:?}");
}

/// Finding 3: two Sybils on a committee of three rubber-stamp a forged job.
/// The honest dissent must stop the job from settling, and the honest
/// dissenter must not be slashed.
#[test]
fn an_honest_minority_stops_a_forged_job() {
    let mut s = SuiteBuilder::new().marketplace().build();
    // One prover and exactly three verifiers: the committee is all of them.
    let (provers, verifiers) = s.network(1, 3);
    let trainer = s.addr("trainer");
    let (id, _) = s
        .submit(&trainer, &default_spec(s.height(), 20, 5))
        .unwrap();
    assert_eq!(s.job(id).prover.as_ref(), Some(&provers[0]));
    // More honest verifiers join after the assignment: enough that the
    // escalation finds 7 fresh ones within its draw retries (the draw is
    // with replacement over every verifier, the excluded ones included).
    for i in 0..20 {
        s.provider_node(&format!("late{i}"), 300_000_000, Backend::Cpu, 10);
    }
    let committee = members(&s, id);
    let honest = &committee[0];
    let honest_stake = s.provider(honest).stake;
    let forged = Run::cheating(5, 20, &[20]);
    let behaviour = [
        Behaviour::Honest,
        Behaviour::Rubberstamp,
        Behaviour::Rubberstamp,
    ];
    let _ = s.drive(id, &forged, &behaviour);
    let job = s.job(id);
    assert_ne!(job.state, JobState::Settled, "the forged job settled");
    assert!(
        s.provider(honest).stake >= honest_stake,
        "the honest dissenter was slashed"
    );
    let _ = verifiers;
}

/// Finding 3: a contract cannot submit a job (and so cannot simulate the
/// committee draw and revert when it dislikes it).
#[test]
fn a_contract_cannot_draw_a_committee_and_revert() {
    let mut s = SuiteBuilder::new().marketplace().build();
    s.network(2, 5);
    let proxy = proxy_contract(&mut s);
    let spec = default_spec(s.height(), 10, 4);
    let budget = impulse_testing::market::required_budget(&spec, &s.market_params());
    let market = s.market_addr();
    let owner = s.addr("proxy-owner");
    s.rejects(
        |s| {
            let msg = ProxyMsg {
                contract: market.to_string(),
                msg: to_json_binary(&ExecuteMsg::SubmitJob { spec }).unwrap(),
            };
            s.app
                .execute_contract(owner, proxy, &msg, &coins(budget, DENOM))
                .map_err(|e| anyhow::anyhow!("{e:#}"))
        },
        "may not be a contract",
    );
}

/// Finding 4: a 2-2 tie on a committee of four must not pay a forged job.
#[test]
fn a_tie_does_not_settle() {
    let (mut s, id) = with_job_as(1, 4, 6, |spec| spec.verification.committee = 4);
    let forged = Run::cheating(6, 20, &[20]);
    let behaviour = [
        Behaviour::Honest,
        Behaviour::Honest,
        Behaviour::Rubberstamp,
        Behaviour::Rubberstamp,
    ];
    let _ = s.drive(id, &forged, &behaviour);
    assert_ne!(
        s.job(id).state,
        JobState::Settled,
        "a 2-2 tie paid a forged job"
    );
}

/// Finding 4: one honest and one lazy verdict with the third member absent.
#[test]
fn one_against_one_with_an_absent_member_does_not_settle() {
    let (mut s, id) = with_job(1, 3, 7);
    let forged = Run::cheating(7, 20, &[20]);
    let behaviour = [Behaviour::Honest, Behaviour::Rubberstamp, Behaviour::Silent];
    let _ = s.drive(id, &forged, &behaviour);
    assert_ne!(s.job(id).state, JobState::Settled, "1-1 paid a forged job");
}

/// Finding 5: a committee member unstakes at assignment; on a long job its
/// stake is released and claimed before its verdict, so its false verdict
/// costs it nothing.
#[test]
fn a_committee_member_cannot_unstake_out_of_its_verdict() {
    let mut s = SuiteBuilder::new()
        .staking_params(|p| {
            p.lock_min_blocks = 10;
            p.unlock_blocks = 10;
        })
        .marketplace()
        .build();
    s.network(1, 3);
    let trainer = s.addr("trainer");
    let (id, _) = s
        .submit(&trainer, &default_spec(s.height(), 200, 8))
        .unwrap();
    s.commit_secrets(id).unwrap();
    let committee = members(&s, id);
    let liar = committee[0].clone();
    let stake = s.provider(&liar).stake;
    let worth = |s: &Suite| {
        let p = s.provider(&liar);
        s.balance(&liar) + (p.stake + p.unbonding + p.claimable).u128()
    };
    let before = worth(&s);
    s.unstake(&liar, stake.u128()).must(&s);
    s.advance(100);
    let _ = s.claim(&liar);
    let run = Run::honest(8, 200);
    let behaviour = [Behaviour::Accuse, Behaviour::Honest, Behaviour::Honest];
    s.drive(id, &run, &behaviour).must(&s);
    assert_eq!(s.job(id).state, JobState::Settled);
    let lost = before - worth(&s);
    let due = stake
        .mul_floor(s.staking_config().params.slash_fraud)
        .u128();
    assert!(
        lost >= due,
        "the false verdict cost {lost} uimp of a stake of {stake}; the fraud slash is {due}"
    );
}

/// Finding 6: in tolerance mode the prover commits a fake final model hash
/// and serves an honest state L.
#[test]
fn tolerance_mode_checks_the_final_model() {
    let (mut s, id) = with_job_as(1, 3, 10, |spec| {
        spec.verification.mode = VerificationMode::Tolerance {
            tau: Decimal::percent(1),
        }
    });
    let mut run = Run::honest(10, 20);
    run.claimed_model = [0xfa; 32];
    let _ = s.drive(id, &run, &[]);
    assert_ne!(
        s.job(id).state,
        JobState::Settled,
        "a fake final model was paid in tolerance mode"
    );
}

/// Findings 7 and 8: a price-1 prover that never trains wins a job, times
/// out for next to nothing and wins the same job again.
#[test]
fn a_prover_that_times_out_pays_a_floor_and_loses_the_job() {
    let mut s = SuiteBuilder::new().marketplace().build();
    s.network(2, 5);
    let dead = s.provider_node("dead", 1_000_000_000, Backend::Cpu, 1);
    let trainer = s.addr("trainer");
    let (id, _) = s
        .submit(&trainer, &default_spec(s.height(), 20, 11))
        .unwrap();
    assert_eq!(s.job(id).prover.as_ref(), Some(&dead));
    let stake = s.provider(&dead).stake;
    let p = s.market_params();
    // The committee does its part; the prover never shows up.
    s.commit_secrets(id).unwrap();
    // Everyone else is alive; the dead prover sends nothing at all.
    let every = s.staking_config().params.heartbeat_blocks / 2;
    let mut left = p.train_base_blocks + 20 * p.blocks_per_step + 1;
    while left > 0 {
        let step = left.min(every);
        s.advance(step);
        left -= step;
        for q in s.all_providers() {
            if q.address != dead {
                s.heartbeat(&q.address).must(&s);
            }
        }
    }
    s.process_timeouts().must(&s);
    s.run_scheduler(None).must(&s);
    let lost = stake - s.provider(&dead).stake;
    assert!(lost.u128() >= 1_000_000, "a timeout cost only {lost} uimp");
    let job = s.job(id);
    assert_eq!(job.state, JobState::Assigned);
    assert_ne!(
        job.prover.as_ref(),
        Some(&dead),
        "the dead prover got the job back"
    );
    // And it ranks behind live providers for new work until it shows up.
    let (id2, _) = s
        .submit(&trainer, &default_spec(s.height(), 20, 12))
        .unwrap();
    assert_ne!(s.job(id2).prover.as_ref(), Some(&dead));
    let _ = hex(&[0u8]);
}

/// What the proxy forwards: `msg` to `contract`, with the funds it got.
#[derive(Serialize, Deserialize, Debug)]
struct ProxyMsg {
    contract: String,
    msg: Binary,
}

/// A contract that forwards a message (a stand-in for one that would
/// inspect the committee drawn and revert).
fn proxy_contract(s: &mut Suite) -> Addr {
    fn execute(_: DepsMut, _: Env, info: MessageInfo, msg: ProxyMsg) -> StdResult<Response> {
        Ok(Response::new().add_message(WasmMsg::Execute {
            contract_addr: msg.contract,
            msg: msg.msg,
            funds: info.funds,
        }))
    }
    fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }
    fn query(_: cosmwasm_std::Deps, _: Env, _: Empty) -> StdResult<Binary> {
        to_json_binary(&())
    }
    let code = s
        .app
        .store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let owner = s.addr("proxy-owner");
    s.app
        .instantiate_contract(code, owner, &Empty {}, &[], "proxy", None)
        .unwrap()
}

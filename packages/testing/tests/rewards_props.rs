//! Checklist item 20 for the rewards contract, with real staking and
//! reputation contracts and the plain `marketplace` account: seeded random
//! sequences of register / stake / unstake / heartbeat / missed-heartbeat
//! reports / score changes / RecordWork / RecordJob (with fee funds) /
//! advance / close epoch / claim / fund reserve / donations / vault spends.
//! After every op both contracts must add up (`Suite::assert_invariant`),
//! a failed op must have changed nothing, and a claim pays exactly what
//! `Claimable` promised (less the fine, which goes to the vault).

#[path = "common/props.rs"]
mod props;
// Unstakes here are basis points only: the other `Amount`s go unused.
#[allow(dead_code)]
#[path = "common/stake_ops.rs"]
mod stake_ops;

use cosmwasm_std::{Decimal, Uint128};
use impulse_testing::rewards::RewardsSetup;
use impulse_testing::{Suite, SuiteBuilder};
use impulse_types::rewards::{JobOutcome, RewardsParams, WorkRole};
use proptest::prelude::*;

use props::{assert_covered, run_seeded, Tally};
use stake_ops::{Amount, StakeOp, PROVIDERS};

const EPOCH: u64 = 50;
const MAX_ISSUANCE: u128 = 1_000_000;

#[derive(Clone, Debug)]
enum Claim {
    All,
    Limit(u32),
    /// Indexes into the provider's claimable list (may repeat: duplicates).
    List(Vec<u8>),
    /// An epoch that is open or unknown.
    Open,
}

#[derive(Clone, Debug)]
enum Op {
    /// Register, stake, unstake, heartbeat, missed-heartbeat crank.
    Staking(StakeOp),
    Score {
        who: usize,
        pct: u8,
    },
    RecordWork {
        who: usize,
        role: WorkRole,
        contribution: u128,
    },
    RecordJob {
        outcome: JobOutcome,
        to_pool: u128,
        to_vault: u128,
        wrong_funds: bool,
    },
    Advance {
        blocks: u64,
    },
    CloseEpoch,
    Claim {
        who: usize,
        how: Claim,
    },
    FundReserve {
        amount: u128,
    },
    Donate {
        amount: u128,
    },
    SpendVault {
        bps: u16,
    },
}

fn claim() -> impl Strategy<Value = Claim> {
    prop_oneof![
        3 => Just(Claim::All),
        1 => (0u32..4).prop_map(Claim::Limit),
        2 => prop::collection::vec(0u8..4, 0..4).prop_map(Claim::List),
        1 => Just(Claim::Open),
    ]
}

fn role(verifier: bool) -> WorkRole {
    if verifier {
        WorkRole::Verifier
    } else {
        WorkRole::Prover
    }
}

fn outcome(settled: bool) -> JobOutcome {
    if settled {
        JobOutcome::Settled
    } else {
        JobOutcome::Failed
    }
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..PROVIDERS;
    prop_oneof![
        2 => stake_ops::register(who.clone(), vec![249_999_999u128, 250_000_000, 1_000_000_000, 7_000_000_007])
            .prop_map(Op::Staking),
        1 => stake_ops::stake(who.clone(), vec![1u128, 999_999, 5_000_000_000]).prop_map(Op::Staking),
        1 => stake_ops::unstake(who.clone(), (0u16..=10_000).prop_map(Amount::Bps)).prop_map(Op::Staking),
        2 => stake_ops::heartbeat(who.clone()).prop_map(Op::Staking),
        1 => stake_ops::report_missed(who.clone()).prop_map(Op::Staking),
        2 => (who.clone(), 0u8..=100).prop_map(|(who, pct)| Op::Score { who, pct }),
        6 => (who.clone(), any::<bool>().prop_map(role), prop::sample::select(vec![0u128, 1, 7, 1_000, 123_457, 10_000_000]))
            .prop_map(|(who, role, contribution)| Op::RecordWork { who, role, contribution }),
        3 => (any::<bool>().prop_map(outcome), prop::sample::select(vec![0u128, 1, 333, 50_000]), prop::sample::select(vec![0u128, 1, 333, 50_000]), prop::bool::weighted(0.1))
            .prop_map(|(outcome, to_pool, to_vault, wrong_funds)| Op::RecordJob { outcome, to_pool, to_vault, wrong_funds }),
        4 => prop::sample::select(vec![1u64, 10, 49, 50, 120, 1_000]).prop_map(|blocks| Op::Advance { blocks }),
        2 => Just(Op::CloseEpoch),
        5 => (who.clone(), claim()).prop_map(|(who, how)| Op::Claim { who, how }),
        1 => prop::sample::select(vec![0u128, 1, 3_000_000]).prop_map(|amount| Op::FundReserve { amount }),
        1 => (1u128..1_000).prop_map(|amount| Op::Donate { amount }),
        1 => (0u16..=10_500).prop_map(|bps| Op::SpendVault { bps }),
    ]
}

fn suite() -> Suite {
    SuiteBuilder::new()
        .rewards(RewardsSetup {
            params: RewardsParams {
                epoch_blocks: EPOCH,
                max_issuance: Uint128::new(MAX_ISSUANCE),
                ..RewardsParams::default()
            },
            // a reserve that runs dry within most sequences
            reserve: 8 * MAX_ISSUANCE,
            scoreboard: true,
        })
        .build()
}

fn apply(s: &mut Suite, op: &Op, job_id: &mut u64) -> anyhow::Result<()> {
    let providers: Vec<_> = (0..PROVIDERS).map(|i| s.addr(&format!("cp{i}"))).collect();
    let anyone = s.addr("anyone");
    match op {
        Op::Staking(op) => op.apply(s, &providers, &anyone),
        Op::Score { who, pct } => {
            s.set_score(&providers[*who], Decimal::percent(*pct as u64));
            Ok(())
        }
        Op::RecordWork {
            who,
            role,
            contribution,
        } => s
            .record_work(&providers[*who], *role, *contribution)
            .map(drop),
        Op::RecordJob {
            outcome,
            to_pool,
            to_vault,
            wrong_funds,
        } => {
            *job_id += 1;
            let outcome = *outcome;
            if *wrong_funds {
                let m = s.marketplace.clone();
                s.exec_rewards(
                    &m,
                    &impulse_types::rewards::ExecuteMsg::RecordJob {
                        job_id: *job_id,
                        outcome,
                        to_pool: Uint128::new(*to_pool),
                        to_vault: Uint128::new(*to_vault),
                    },
                    to_pool + to_vault + 1,
                )
                .map(drop)
            } else {
                s.record_job(*job_id, outcome, *to_pool, *to_vault)
                    .map(drop)
            }
        }
        Op::Advance { blocks } => {
            s.advance(*blocks);
            Ok(())
        }
        Op::CloseEpoch => s.close_epoch(&anyone).map(drop),
        Op::Claim { who, how } => {
            let p = providers[*who].clone();
            let owed = s.claimable(&p).entries;
            let (epochs, limit) = match how {
                Claim::All => (None, None),
                Claim::Limit(n) => (None, Some(*n)),
                Claim::List(ix) => (
                    Some(
                        ix.iter()
                            .filter_map(|i| owed.get(*i as usize).map(|e| e.epoch))
                            .collect::<Vec<_>>(),
                    ),
                    None,
                ),
                Claim::Open => (Some(vec![s.current_epoch().epoch]), None),
            };
            s.claim_rewards_checked(&p, epochs, limit)?;
            Ok(())
        }
        Op::FundReserve { amount } => {
            let g = s.gov.clone();
            s.fund_reserve(&g, *amount).map(drop)
        }
        Op::Donate { amount } => {
            let g = s.gov.clone();
            s.donate_rewards(&g, *amount);
            Ok(())
        }
        Op::SpendVault { bps } => {
            let g = s.gov.clone();
            let to = s.addr("grantee");
            let vault = s.rewards_totals().vault.u128();
            s.spend_vault(&g, &to, vault * *bps as u128 / 10_000)
                .map(drop)
        }
    }
}

fn run_sequence(ops: &[Op], tally: &Tally) -> Result<(), TestCaseError> {
    let mut s = suite();
    // Every account exists before the first snapshot.
    for i in 0..PROVIDERS {
        s.addr(&format!("cp{i}"));
    }
    s.addr("anyone");
    s.addr("grantee");
    let mut job_id = 0;
    for op in ops {
        let before = (s.rewards_snapshot(), s.snapshot());
        let res = apply(&mut s, op, &mut job_id);
        s.assert_invariant();
        tally.record(op, res.is_ok());
        if res.is_err() {
            prop_assert_eq!(
                (s.rewards_snapshot(), s.snapshot()),
                before,
                "failed {:?} changed state",
                op
            );
        }
    }
    // Whatever happened, everything owed can still be claimed and the
    // contract then holds only the reserve, the open pool, the vault and dust.
    s.advance(EPOCH);
    let anyone = s.addr("anyone");
    let _ = s.close_epoch(&anyone);
    for i in 0..PROVIDERS {
        let p = s.addr(&format!("cp{i}"));
        s.claim_all(&p, false)
            .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    }
    let t = s.rewards_totals();
    let epochs = s.all_epochs();
    prop_assert!(
        t.unclaimed.u128() <= epochs.len() as u128 * PROVIDERS as u128 * 2,
        "only rounding dust stays unclaimed: {}",
        t.unclaimed
    );
    prop_assert!(t.issued <= t.funded, "issuance never exceeds the reserve");
    Ok(())
}

#[test]
fn checklist_20_random_sequences_keep_the_rewards_contract_balanced() {
    let coverage = run_seeded(11, op(), 20..=60, run_sequence);
    // The sequences exercise every op, successful and not.
    let ops = "register record_work record_job close_epoch claim fund_reserve spend_vault";
    assert_covered(&coverage, true, 1, ops);
    assert_covered(
        &coverage,
        false,
        1,
        "record_work record_job close_epoch claim",
    );
}

//! Marketplace scenario (protocol.md sections 4 to 6). Staking and reputation
//! are mocked: every address is a registered cpu provider (80 GiB / 4
//! devices, price 10, stake 10^9) with score 0.5. The scheduler rows measure
//! `RunScheduler` assigning 5 queued jobs with 10, 100, 1,000 and 10,000
//! advertised providers, divided by the 5 jobs assigned: the index keeps it
//! flat. Then one job goes through every round to settlement, with the
//! simulated run and committee of `impulse_testing::fixtures`.

use anyhow::{anyhow, Result};
use cosmwasm_std::{coins, Decimal};
use impulse_protocol::secret_commitment;
use impulse_testing::fixtures::{
    self, commitment_of, default_spec, hex, required_budget, reveal_for, reveal_verdict_msg,
    salt_of, secret_of, Behaviour, Run, Wiring,
};
use impulse_types::marketplace::{
    ExecuteMsg, JobResponse, JobSpec, MarketplaceParams, QueryMsg, RoundResponse, VerificationMode,
};
use impulse_types::{Backend, DEFAULT_DENOM};

use super::{mocks, Harness, Row};

const L: u64 = 1_000;
const JOB: u64 = 1;

/// The default job at L = 1,000 steps, alpha 1%, one model unit.
fn spec(deadline: u64) -> JobSpec {
    let mut spec = default_spec(0, L, 1);
    spec.model_units = 1;
    spec.verification.alpha = Decimal::percent(1);
    spec.deadline = deadline;
    spec
}

/// Exactly the budget the contract requires of `spec`.
fn budget(spec: &JobSpec) -> u128 {
    required_budget(spec, &MarketplaceParams::default())
}

fn harness(wasm: &[u8]) -> Result<Harness> {
    let mut h = Harness::new("impulse-marketplace", wasm, &[])?;
    let [staking, reputation] = h.addrs(["staking", "reputation"]);
    // On time: the marketplace neither assigns nor draws a provider whose
    // heartbeat is overdue (the scenario runs well within one interval).
    let now = h.env.block.height;
    let provider = move |a: &str| {
        let mut p = fixtures::provider_response(a, 1_000_000_000);
        p.last_heartbeat = now;
        p
    };
    h.on_wasm_query(mocks::contracts(vec![
        (staking.clone(), mocks::staking(provider)),
        (reputation.clone(), mocks::reputation(Decimal::percent(50))),
    ]));
    let wiring = Wiring::named(|n| h.addr(n));
    h.instantiate("instantiate", &[], &wiring.marketplace(None));
    Ok(h)
}

/// `n` providers advertise; only the first one's row is shown when `show`.
fn advertise(h: &mut Harness, n: usize, show: bool) {
    for i in 0..n {
        let p = h.addr(&format!("provider{i}"));
        h.execute_as(
            "advertise",
            show && i == 0,
            &p,
            &[],
            &ExecuteMsg::Advertise {},
        );
    }
}

fn scheduler_rows(wasm: &[u8], providers: usize) -> Result<Vec<Row>> {
    let mut h = harness(wasm)?;
    let trainer = h.addr("trainer");
    let spec = spec(h.env.block.height + 100_000);
    for _ in 0..5 {
        let submit = ExecuteMsg::SubmitJob { spec: spec.clone() };
        h.setup(&trainer, budget(&spec), &submit);
    }
    advertise(&mut h, providers, false);
    let label = format!("run_scheduler, per assigned job ({providers} providers)");
    let cranker = h.addr("cranker");
    let res = h
        .execute(
            &label,
            &cranker,
            &[],
            &ExecuteMsg::RunScheduler { limit: Some(5) },
        )
        .ok_or_else(|| anyhow!("run_scheduler failed"))?;
    let assigned: u64 = res
        .attributes
        .iter()
        .find(|a| a.key == "assigned")
        .and_then(|a| a.value.parse().ok())
        .unwrap_or(0);
    let mut rows = h.rows.split_off(0);
    if assigned == 0 {
        return Err(anyhow!(
            "run_scheduler assigned nothing with {providers} providers"
        ));
    }
    if let Some(r) = rows.iter_mut().find(|r| r.message == label) {
        r.wasm_gas /= assigned;
        r.storage_sdk_gas /= assigned;
        r.sdk_gas_estimate /= assigned;
    }
    rows.retain(|r| r.message == label || r.error.is_some());
    Ok(rows)
}

/// Every member sends `msg(member)`; the rows shown are `label(i)` where it
/// gives one (the others are setup steps).
fn each_member(
    h: &mut Harness,
    members: &[String],
    label: impl Fn(usize) -> Option<&'static str>,
    msg: impl Fn(usize, &str) -> ExecuteMsg,
) {
    for (i, m) in members.iter().enumerate() {
        let (shown, label) = match label(i) {
            Some(l) => (true, l),
            None => (false, label(0).unwrap_or("committee")),
        };
        h.execute_as(label, shown, m, &[], &msg(i, m));
    }
}

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut h = harness(wasm)?;
    let trainer = h.addr("trainer");
    advertise(&mut h, 10, true);
    let spec = spec(h.env.block.height + 100_000);
    h.execute(
        "submit_job (matched at once, 10 providers)",
        &trainer,
        &coins(budget(&spec), DEFAULT_DENOM),
        &ExecuteMsg::SubmitJob { spec },
    );
    let job: JobResponse = h.query_json("query job", &QueryMsg::Job { job_id: JOB })?;
    let prover = job
        .prover
        .ok_or_else(|| anyhow!("job 1 was not assigned"))?
        .to_string();
    let round: RoundResponse = h.query_json("query round", &QueryMsg::Round { job_id: JOB })?;
    let members: Vec<String> = round
        .committee
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    let attempt = round.attempt;
    let first = |label: &'static str| move |i: usize| (i == 0).then_some(label);
    each_member(&mut h, &members, first("commit_secret"), |_, m| {
        ExecuteMsg::CommitSecret {
            job_id: JOB,
            secret_hash: hex(&secret_commitment(&secret_of(JOB, attempt, m))),
        }
    });
    let run = Run::honest(1, L);
    h.advance(10);
    h.execute(
        "commit_result",
        &prover,
        &[],
        &run.commit_msg(JOB, Backend::Cpu),
    );
    let last = members.len() - 1;
    each_member(
        &mut h,
        &members,
        |i| match i {
            _ if i == last => Some("reveal_secret (last: draws the challenge, L = 1000)"),
            0 => Some("reveal_secret"),
            _ => None,
        },
        |_, m| ExecuteMsg::RevealSecret {
            job_id: JOB,
            secret: hex(&secret_of(JOB, attempt, m)),
        },
    );
    let round: RoundResponse =
        h.query_json("query round (challenged)", &QueryMsg::Round { job_id: JOB })?;
    let steps = round.challenged_steps.clone();
    let reveal = reveal_for(Behaviour::Honest, &run, &steps, &VerificationMode::Exact);
    let salt = |m: &str| salt_of(JOB, round.draw, m);
    each_member(&mut h, &members, first("commit_verdict"), |_, m| {
        ExecuteMsg::CommitVerdict {
            job_id: JOB,
            commitment: hex(&commitment_of(m, &reveal, &salt(m))),
        }
    });
    h.execute(
        &format!("open_steps ({} steps)", steps.len()),
        &prover,
        &[],
        &run.open_msg(JOB, &steps),
    );
    each_member(
        &mut h,
        &members,
        |i| match i {
            _ if i == last => Some("reveal_verdict (last: verdict + settle)"),
            0 => Some("reveal_verdict"),
            _ => None,
        },
        |_, m| reveal_verdict_msg(JOB, &reveal, &salt(m)),
    );
    h.query("query totals", &QueryMsg::Totals {});
    rows.extend(h.rows.split_off(0));
    for n in [10usize, 100, 1_000, 10_000] {
        rows.extend(scheduler_rows(wasm, n)?);
    }
    Ok(rows)
}

//! Reputation scenario (protocol.md section 3): jobs, faults, stake changes
//! and missed heartbeats reported by the (mocked) staking and marketplace
//! contracts for ten providers, then every query.

use anyhow::Result;
use cosmwasm_std::Decimal;
use impulse_testing::fixtures::{reputation_job, reputation_stake, Wiring};
use impulse_types::reputation::{ExecuteMsg, Fault, QueryMsg, ReputationParams};

use super::{Harness, Row};

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut h = Harness::new("impulse-reputation", wasm, &[])?;
    let [gov, staking, market] = h.addrs(["governance", "staking", "marketplace"]);
    let providers: Vec<String> = (0..10).map(|i| h.addr(&format!("provider{i}"))).collect();
    let p = providers[0].clone();

    let wiring = Wiring::named(|n| h.addr(n));
    h.instantiate("instantiate", &[], &wiring.reputation(None));

    let stake = reputation_stake;
    h.execute(
        "record_stake (new provider)",
        &staking,
        &[],
        &stake(&p, 1_500_000_000),
    );
    for q in &providers[1..] {
        h.setup(&staking, 0, &stake(q, 1_000_000_000));
    }
    h.advance(100);

    let job = |provider: &str, perf: u64, earned: u128| {
        reputation_job(provider, Decimal::percent(perf), earned)
    };
    h.execute("record_job", &market, &[], &job(&p, 95, 50_000_000));
    h.advance(10_000);
    h.execute(
        "record_job (after decay)",
        &market,
        &[],
        &job(&p, 80, 20_000_000),
    );
    for q in &providers[1..] {
        h.setup(&market, 0, &job(q, 90, 10_000_000));
    }

    h.advance(1_000);
    h.execute(
        "record_missed_heartbeats (3)",
        &staking,
        &[],
        &ExecuteMsg::RecordMissedHeartbeats {
            provider: p.clone(),
            intervals: 3,
        },
    );
    h.execute(
        "record_fault (benign)",
        &market,
        &[],
        &ExecuteMsg::RecordFault {
            provider: p.clone(),
            fault: Fault::Benign {},
        },
    );
    h.advance(50_000);
    h.execute(
        "record_stake (stake leaves)",
        &staking,
        &[],
        &stake(&p, 400_000_000),
    );
    h.execute(
        "record_fault (fraud)",
        &staking,
        &[],
        &ExecuteMsg::RecordFault {
            provider: providers[9].clone(),
            fault: Fault::Fraud {
                fraction_lost: Decimal::percent(75),
                cooling_off_blocks: 100_000,
            },
        },
    );

    h.update_params(&gov, ReputationParams::default(), |p| {
        p.beta = Decimal::percent(85)
    });

    h.advance(1_000);
    h.query("query config", &QueryMsg::Config {});
    h.query(
        "query reputation",
        &QueryMsg::Reputation {
            provider: p.clone(),
        },
    );
    h.query(
        "query score",
        &QueryMsg::Score {
            provider: p.clone(),
        },
    );
    h.query(
        "query score (unknown provider)",
        &QueryMsg::Score {
            provider: h.addr("stranger"),
        },
    );
    h.query(
        "query reputations (page of 10)",
        &QueryMsg::Reputations {
            start_after: None,
            limit: Some(10),
        },
    );

    Ok(h.rows)
}

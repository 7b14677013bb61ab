//! Staking scenario (protocol.md section 2): ten providers register, one
//! stakes more, misses heartbeats, is locked for a job, unstakes and claims
//! after the lock-up; a benign and a fraud slash (3-member committee); the
//! committee claims its share; governance changes parameters; every query.
//! The reputation contract is mocked: its `Score` query answers a fixed 0.5.

use anyhow::Result;
use cosmwasm_std::{coins, Decimal, Uint128};
use impulse_testing::fixtures::{self, Wiring};
use impulse_types::staking::{ExecuteMsg, QueryMsg, SlashKind, StakingParams};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

use super::{mocks, Harness, Row};

const PROVER_STAKE: u128 = 1_000_000_000;
const VERIFIER_STAKE: u128 = 250_000_000;

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut h = Harness::new("impulse-staking", wasm, &[])?;
    let [gov, market, reputation, rewards, anyone, prover] = h.addrs([
        "governance",
        "marketplace",
        "reputation",
        "rewards",
        "anyone",
        "prover",
    ]);
    let verifiers: Vec<String> = (1..=9).map(|i| h.addr(&format!("verifier{i}"))).collect();
    let rep = mocks::reputation(Decimal::percent(50));
    h.on_wasm_query(mocks::contracts(vec![(reputation.clone(), rep)]));

    let params = StakingParams::default();
    let wiring = Wiring::named(|n| h.addr(n));
    h.instantiate("instantiate", &[], &wiring.staking(None));

    let register = |devices: u32| {
        let capacity = Capacity {
            memory_gib: 80 * devices,
            devices,
        };
        fixtures::register(
            capacity,
            Backend::Cuda,
            1_000,
            "https://provider.example:9443",
        )
    };
    h.execute(
        "register (prover)",
        &prover,
        &coins(PROVER_STAKE, DEFAULT_DENOM),
        &register(8),
    );
    h.execute(
        "register (verifier)",
        &verifiers[0],
        &coins(VERIFIER_STAKE, DEFAULT_DENOM),
        &register(1),
    );
    for v in &verifiers[1..] {
        h.setup(v, VERIFIER_STAKE, &register(1));
    }
    h.execute(
        "stake",
        &prover,
        &coins(500_000_000, DEFAULT_DENOM),
        &ExecuteMsg::Stake {},
    );
    h.execute(
        "update_provider",
        &prover,
        &[],
        &ExecuteMsg::UpdateProvider {
            capacity: None,
            price_per_step: Some(Uint128::new(1_200)),
            endpoint: None,
        },
    );

    // Heartbeats: one on time, one after three missed intervals, then a crank
    // that accounts two more missed intervals before the provider is back.
    let hb = params.heartbeat_blocks;
    for (blocks, label) in [
        (hb / 2, "heartbeat (on time)"),
        (hb * 4, "heartbeat (after misses)"),
    ] {
        h.advance(blocks);
        h.execute(label, &prover, &[], &ExecuteMsg::Heartbeat {});
    }
    h.advance(hb * 3);
    h.execute(
        "report_missed_heartbeats",
        &anyone,
        &[],
        &ExecuteMsg::ReportMissedHeartbeats {
            provider: prover.clone(),
        },
    );
    h.setup(&prover, 0, &ExecuteMsg::Heartbeat {});
    for v in &verifiers {
        h.setup(v, 0, &ExecuteMsg::Heartbeat {});
    }
    h.execute(
        "consume_fines",
        &rewards,
        &[],
        &ExecuteMsg::ConsumeFines {
            provider: prover.clone(),
        },
    );

    // Jobs.
    let need = Capacity {
        memory_gib: 80,
        devices: 1,
    };
    h.execute(
        "lock_for_job",
        &market,
        &[],
        &ExecuteMsg::LockForJob {
            provider: prover.clone(),
            job_id: 1,
            need,
        },
    );
    h.setup(
        &market,
        0,
        &ExecuteMsg::LockForJob {
            provider: prover.clone(),
            job_id: 2,
            need,
        },
    );
    h.execute(
        "release_job",
        &market,
        &[],
        &ExecuteMsg::ReleaseJob {
            provider: prover.clone(),
            job_id: 1,
        },
    );

    // Unstake (queries the reputation score) and the lock-up.
    h.execute(
        "unstake (queries Score)",
        &prover,
        &[],
        &ExecuteMsg::Unstake {
            amount: Uint128::new(300_000_000),
        },
    );
    h.query(
        "query unbonding",
        &QueryMsg::Unbonding {
            address: prover.clone(),
        },
    );

    // Slashes: a benign fault on the prover's job 2, fraud by a verifier
    // proven by a committee of three.
    h.execute(
        "slash (benign)",
        &market,
        &[],
        &ExecuteMsg::Slash {
            provider: prover.clone(),
            evidence: "job-2/timeout".to_string(),
            kind: SlashKind::Benign {
                job_id: 2,
                compute_cost: Uint128::new(40_000_000),
            },
        },
    );
    h.execute(
        "slash (fraud, committee of 3)",
        &market,
        &[],
        &ExecuteMsg::Slash {
            provider: verifiers[8].clone(),
            evidence: "job-3/false-verdict".to_string(),
            kind: SlashKind::Fraud {
                honest_committee: verifiers[0..3].to_vec(),
            },
        },
    );
    h.execute(
        "claim (slash share)",
        &verifiers[0],
        &[],
        &ExecuteMsg::Claim {},
    );

    // Past the longest possible lock-up (m(rep) <= 2, chronic absence 1.5x).
    let lockup = (params.lock_min_blocks + params.unlock_blocks) * 3;
    h.advance(lockup + 1);
    h.execute("claim (after lock-up)", &prover, &[], &ExecuteMsg::Claim {});

    // Governance.
    h.update_params(&gov, StakingParams::default(), |p| p.heartbeat_blocks = 200);

    // Queries.
    h.query("query config", &QueryMsg::Config {});
    h.query(
        "query provider",
        &QueryMsg::Provider {
            address: prover.clone(),
        },
    );
    h.query(
        "query providers (page of 10)",
        &QueryMsg::Providers {
            start_after: None,
            limit: Some(10),
        },
    );
    h.query("query totals", &QueryMsg::Totals {});

    Ok(h.rows)
}

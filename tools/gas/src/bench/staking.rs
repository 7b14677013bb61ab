//! Staking scenario (protocol.md section 2): ten providers register, one
//! stakes more, misses heartbeats, is locked for a job, unstakes and claims
//! after the lock-up; a benign and a fraud slash (3-member committee); the
//! committee claims its share; governance changes parameters; every query.
//! The reputation contract is mocked: its `Score` query answers a fixed 0.5.

use anyhow::Result;
use cosmwasm_std::{coins, Decimal, Uint128, WasmQuery};
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::staking::{
    ExecuteMsg, InstantiateMsg, QueryMsg, SlashKind, StakingParams, SudoMsg,
};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

use super::{answer, Harness, Row};

const PROVER_STAKE: u128 = 1_000_000_000;
const VERIFIER_STAKE: u128 = 250_000_000;

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut h = Harness::new("impulse-staking", wasm, &[])?;
    let gov = h.addr("governance");
    let market = h.addr("marketplace");
    let reputation = h.addr("reputation");
    let rewards = h.addr("rewards");
    let anyone = h.addr("anyone");
    let prover = h.addr("prover");
    let verifiers: Vec<String> = (1..=9).map(|i| h.addr(&format!("verifier{i}"))).collect();

    let rep_addr = reputation.clone();
    h.on_wasm_query(Box::new(move |q| match q {
        WasmQuery::Smart { contract_addr, msg }
            if *contract_addr == rep_addr
                && matches!(
                    cosmwasm_std::from_json::<RepQuery>(msg),
                    Ok(RepQuery::Score { .. })
                ) =>
        {
            answer(&ScoreResponse {
                score: Decimal::percent(50),
            })
        }
        other => cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::NoSuchContract {
            addr: format!("{other:?}"),
        }),
    }));

    let params = StakingParams::default();
    h.instantiate(
        "instantiate",
        &gov,
        &[],
        &InstantiateMsg {
            governance: gov.clone(),
            marketplace: Some(market.clone()),
            reputation: Some(reputation.clone()),
            rewards: Some(rewards.clone()),
            params: None,
        },
    );

    let register = |stake_capacity: u32| ExecuteMsg::Register {
        capacity: Capacity {
            memory_gib: 80 * stake_capacity,
            devices: stake_capacity,
        },
        backend: Backend::Cuda,
        price_per_step: Uint128::new(1_000),
        endpoint: "https://provider.example:9443".to_string(),
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
        h.setup(
            "register",
            v,
            &coins(VERIFIER_STAKE, DEFAULT_DENOM),
            &register(1),
        );
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
    h.advance(hb / 2);
    h.execute(
        "heartbeat (on time)",
        &prover,
        &[],
        &ExecuteMsg::Heartbeat {},
    );
    h.advance(hb * 4);
    h.execute(
        "heartbeat (after misses)",
        &prover,
        &[],
        &ExecuteMsg::Heartbeat {},
    );
    h.advance(hb * 3);
    h.execute(
        "report_missed_heartbeats",
        &anyone,
        &[],
        &ExecuteMsg::ReportMissedHeartbeats {
            provider: prover.clone(),
        },
    );
    h.setup("heartbeat", &prover, &[], &ExecuteMsg::Heartbeat {});
    for v in &verifiers {
        h.setup("heartbeat", v, &[], &ExecuteMsg::Heartbeat {});
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
        "lock_for_job",
        &market,
        &[],
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
    let new_params = StakingParams {
        heartbeat_blocks: 200,
        ..StakingParams::default()
    };
    h.execute(
        "update_params",
        &gov,
        &[],
        &ExecuteMsg::UpdateParams {
            params: new_params.clone(),
        },
    );
    h.sudo(
        "sudo update_params",
        &SudoMsg::UpdateParams { params: new_params },
    );

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

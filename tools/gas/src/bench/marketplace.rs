//! Marketplace scenario (protocol.md sections 4 to 6). Staking and reputation
//! are mocked: every address is a registered cpu provider (80 GiB / 4
//! devices, price 10, stake 10^9) with score 0.5. The scheduler rows measure
//! `RunScheduler` assigning 5 queued jobs with 10, 100, 1,000 and 10,000
//! advertised providers, divided by the 5 jobs assigned: the index keeps it
//! flat. Then one job goes through every round to settlement.

use anyhow::{anyhow, Result};
use cosmwasm_std::{coins, Addr, Decimal, HexBinary, Uint128, WasmQuery};
use impulse_protocol::{secret_commitment, verdict_commitment, MerkleTree};
use impulse_types::marketplace::{
    DatasetSpec, ExecuteMsg, HyperParams, InstantiateMsg, JobResponse, JobSpec, ModelSpec, Opening,
    QueryMsg, RoundResponse, VerificationMode, VerificationSpec,
};
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::staking::{
    ConfigResponse as StkConfig, ProviderResponse, QueryMsg as StkQuery, StakingParams,
};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

use super::{answer, Harness, Row};

const L: u64 = 1_000;

fn spec(deadline: u64) -> JobSpec {
    JobSpec {
        model: ModelSpec {
            arch: "lm-ref".into(),
            config: None,
            base_weights: None,
        },
        dataset: DatasetSpec {
            sha256: HexBinary::from(vec![7u8; 32]),
            uri: "ipfs://dataset".into(),
        },
        hyper: HyperParams {
            steps: L,
            batch_size: 8,
            learning_rate: Decimal::permille(1),
            optimizer: "adamw".into(),
            seed: 1,
        },
        model_units: 1,
        resources: Capacity {
            memory_gib: 8,
            devices: 1,
        },
        backend: Backend::Cpu,
        max_price_per_step: Uint128::new(10),
        min_reputation: Decimal::zero(),
        deadline,
        verification: VerificationSpec {
            alpha: Decimal::percent(1),
            committee: 3,
            mode: VerificationMode::Exact,
        },
    }
}

/// L*10 + (10+1)*3*10 + 5% of L*10.
const BUDGET: u128 = 10_000 + 330 + 500;

fn harness(wasm: &[u8]) -> Result<(Harness, String)> {
    let mut h = Harness::new("impulse-marketplace", wasm, &[])?;
    let gov = h.addr("governance");
    let staking = h.addr("staking");
    let reputation = h.addr("reputation");
    let rewards = h.addr("rewards");
    let (s, r) = (staking.clone(), reputation.clone());
    h.on_wasm_query(Box::new(move |q| match q {
        WasmQuery::Smart { contract_addr, msg } if *contract_addr == s => {
            match cosmwasm_std::from_json::<StkQuery>(msg) {
                Ok(StkQuery::Provider { address }) => answer(&ProviderResponse {
                    address: Addr::unchecked(address),
                    backend: Backend::Cpu,
                    capacity: Capacity {
                        memory_gib: 80,
                        devices: 4,
                    },
                    capacity_in_use: Capacity::default(),
                    price_per_step: Uint128::new(10),
                    endpoint: "http://127.0.0.1:7070".into(),
                    stake: Uint128::new(1_000_000_000),
                    unbonding: Uint128::zero(),
                    claimable: Uint128::zero(),
                    can_prove: true,
                    can_verify: true,
                    banned_until: 0,
                    banned: false,
                    active_jobs: vec![],
                    registered_at: 1,
                    last_heartbeat: 1,
                    consecutive_misses: 0,
                    unpaid_fine_intervals: 0,
                    chronic_absence: false,
                }),
                Ok(StkQuery::Config {}) => answer(&StkConfig {
                    governance: Addr::unchecked("gov"),
                    pending_governance: None,
                    marketplace: None,
                    reputation: None,
                    rewards: None,
                    params: StakingParams::default(),
                }),
                _ => {
                    cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::UnsupportedRequest {
                        kind: "staking query".into(),
                    })
                }
            }
        }
        WasmQuery::Smart { contract_addr, msg }
            if *contract_addr == r
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
    h.instantiate(
        "instantiate",
        &gov,
        &[],
        &InstantiateMsg {
            governance: gov.clone(),
            staking: Some(staking),
            reputation: Some(reputation),
            rewards: Some(rewards),
            params: None,
        },
    );
    Ok((h, gov))
}

fn budget() -> Vec<cosmwasm_std::Coin> {
    coins(BUDGET, DEFAULT_DENOM)
}

fn scheduler_rows(wasm: &[u8], providers: usize) -> Result<Vec<Row>> {
    let (mut h, _) = harness(wasm)?;
    let trainer = h.addr("trainer");
    let deadline = h.env.block.height + 100_000;
    for _ in 0..5 {
        h.setup(
            "submit_job (queued)",
            &trainer,
            &budget(),
            &ExecuteMsg::SubmitJob {
                spec: spec(deadline),
            },
        );
    }
    for i in 0..providers {
        let p = h.addr(&format!("provider{i}"));
        h.setup("advertise", &p, &[], &ExecuteMsg::Advertise {});
    }
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

fn hex(b: &[u8]) -> HexBinary {
    HexBinary::from(b.to_vec())
}

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let (mut h, _gov) = harness(wasm)?;
    let trainer = h.addr("trainer");
    for i in 0..10 {
        let p = h.addr(&format!("provider{i}"));
        if i == 0 {
            h.execute("advertise", &p, &[], &ExecuteMsg::Advertise {});
        } else {
            h.setup("advertise", &p, &[], &ExecuteMsg::Advertise {});
        }
    }
    let deadline = h.env.block.height + 100_000;
    h.execute(
        "submit_job (matched at once, 10 providers)",
        &trainer,
        &budget(),
        &ExecuteMsg::SubmitJob {
            spec: spec(deadline),
        },
    );
    let job: JobResponse = cosmwasm_std::from_json(
        h.query("query job", &QueryMsg::Job { job_id: 1 })
            .ok_or_else(|| anyhow!("job query"))?,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let prover = job
        .prover
        .ok_or_else(|| anyhow!("job 1 was not assigned"))?
        .to_string();
    let round: RoundResponse = cosmwasm_std::from_json(
        h.query("query round", &QueryMsg::Round { job_id: 1 })
            .ok_or_else(|| anyhow!("round query"))?,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let members: Vec<String> = round
        .committee
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    let secret = |i: usize| [i as u8 + 1; 32];
    for (i, m) in members.iter().enumerate() {
        let label = if i == 0 {
            "commit_secret"
        } else {
            "commit_secret (more)"
        };
        let msg = ExecuteMsg::CommitSecret {
            job_id: 1,
            secret_hash: hex(&secret_commitment(&secret(i))),
        };
        if i == 0 {
            h.execute(label, m, &[], &msg);
        } else {
            h.setup(label, m, &[], &msg);
        }
    }
    let leaves: Vec<[u8; 32]> = (0..=L)
        .map(|i| {
            let mut x = [0u8; 32];
            x[..8].copy_from_slice(&i.to_be_bytes());
            x
        })
        .collect();
    let tree = MerkleTree::new(&leaves).map_err(|e| anyhow!("{e}"))?;
    let model = [9u8; 32];
    h.advance(10);
    h.execute(
        "commit_result",
        &prover,
        &[],
        &ExecuteMsg::CommitResult {
            job_id: 1,
            root: hex(&tree.root()),
            final_model_hash: hex(&model),
            build_identity: "impulse-engine 0.1.0 burn-flex".into(),
            backend: Backend::Cpu,
        },
    );
    for (i, m) in members.iter().enumerate() {
        let label = if i + 1 == members.len() {
            "reveal_secret (last: draws the challenge, L = 1000)"
        } else {
            "reveal_secret"
        };
        let msg = ExecuteMsg::RevealSecret {
            job_id: 1,
            secret: hex(&secret(i)),
        };
        if i == 0 || i + 1 == members.len() {
            h.execute(label, m, &[], &msg);
        } else {
            h.setup(label, m, &[], &msg);
        }
    }
    let round: RoundResponse = cosmwasm_std::from_json(
        h.query("query round (challenged)", &QueryMsg::Round { job_id: 1 })
            .ok_or_else(|| anyhow!("round query"))?,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let steps = round.challenged_steps.clone();
    let hashes: Vec<[u8; 32]> = steps.iter().map(|s| leaves[*s as usize]).collect();
    let salt = [5u8; 32];
    for (i, m) in members.iter().enumerate() {
        let c = verdict_commitment(m.as_bytes(), &hashes, None, Some(&model), &salt);
        let msg = ExecuteMsg::CommitVerdict {
            job_id: 1,
            commitment: hex(&c),
        };
        if i == 0 {
            h.execute("commit_verdict", m, &[], &msg);
        } else {
            h.setup("commit_verdict", m, &[], &msg);
        }
    }
    let openings: Vec<Opening> = steps
        .iter()
        .map(|s| Opening {
            step: *s,
            hash: hex(&leaves[*s as usize]),
            proof: tree
                .proof(*s)
                .map(|p| p.siblings.iter().map(|x| hex(x)).collect())
                .unwrap_or_default(),
        })
        .collect();
    h.execute(
        &format!("open_steps ({} steps)", openings.len()),
        &prover,
        &[],
        &ExecuteMsg::OpenSteps {
            job_id: 1,
            openings,
        },
    );
    for (i, m) in members.iter().enumerate() {
        let msg = ExecuteMsg::RevealVerdict {
            job_id: 1,
            hashes: hashes.iter().map(|x| hex(x)).collect(),
            distances: None,
            model_hash: Some(hex(&model)),
            salt: hex(&salt),
        };
        if i + 1 == members.len() {
            h.execute("reveal_verdict (last: verdict + settle)", m, &[], &msg);
        } else if i == 0 {
            h.execute("reveal_verdict", m, &[], &msg);
        } else {
            h.setup("reveal_verdict", m, &[], &msg);
        }
    }
    h.query("query totals", &QueryMsg::Totals {});
    rows.extend(h.rows.split_off(0));
    for n in [10usize, 100, 1_000, 10_000] {
        rows.extend(scheduler_rows(wasm, n)?);
    }
    Ok(rows)
}

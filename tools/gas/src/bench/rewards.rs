//! Rewards scenario (protocol.md section 8): work and jobs reported by the
//! (mocked) marketplace, epoch closes and claims with 10, 100, 1,000 and
//! 10,000 providers holding work in the epoch (both must stay flat: nothing
//! loops over providers), the reply that applies the heartbeat fine, a close
//! after 1,000 idle epochs (O(1)), governance, every query. Reputation's
//! `Score` is mocked at 0.9 and staking's `Provider` at a bonded 1,000,000,000.

use anyhow::{anyhow, Result};
use cosmwasm_std::{
    coins, Addr, Decimal, MsgResponse, Reply, SubMsgResponse, SubMsgResult, Uint128, WasmQuery,
};
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::rewards::{
    ExecuteMsg, InstantiateMsg, JobOutcome, QueryMsg, RewardsParams, SudoMsg, WorkRole,
};
use impulse_types::staking::{ConsumeFinesResponse, ProviderResponse, QueryMsg as StakingQuery};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

use super::{answer, Harness, Row};

const EPOCH_BLOCKS: u64 = 14_400;

fn provider_response(address: &str) -> ProviderResponse {
    ProviderResponse {
        address: Addr::unchecked(address),
        backend: Backend::Cuda,
        capacity: Capacity {
            memory_gib: 80,
            devices: 1,
        },
        capacity_in_use: Capacity::default(),
        price_per_step: Uint128::new(1_000),
        endpoint: "https://provider.example:9443".to_string(),
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
        unpaid_fine_intervals: 2,
        chronic_absence: false,
    }
}

/// Staking's answer to `ConsumeFines`, wrapped as wasmd wraps execute data
/// (`MsgExecuteContractResponse { bytes data = 1 }`).
fn fines_reply(provider: &str, payload: cosmwasm_std::Binary) -> Result<Reply> {
    let json = serde_json::to_vec(&ConsumeFinesResponse {
        provider: Addr::unchecked(provider),
        intervals: 2,
        fine: Decimal::percent(2),
    })?;
    let len = u8::try_from(json.len()).map_err(|_| anyhow!("fines data too long"))?;
    let mut value = vec![0x0a, len];
    value.extend_from_slice(&json);
    #[allow(deprecated)]
    Ok(Reply {
        id: 1,
        payload,
        gas_used: 0,
        result: SubMsgResult::Ok(SubMsgResponse {
            events: vec![],
            data: None,
            msg_responses: vec![MsgResponse {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".to_string(),
                value: value.into(),
            }],
        }),
    })
}

pub fn scenario(wasm: &[u8]) -> Result<Vec<Row>> {
    let mut h = Harness::new("impulse-rewards", wasm, &[])?;
    let gov = h.addr("governance");
    let market = h.addr("marketplace");
    let staking = h.addr("staking");
    let reputation = h.addr("reputation");
    let anyone = h.addr("anyone");

    let (st, rep) = (staking.clone(), reputation.clone());
    h.on_wasm_query(Box::new(move |q| match q {
        WasmQuery::Smart { contract_addr, msg } if *contract_addr == rep => {
            match cosmwasm_std::from_json::<RepQuery>(msg) {
                Ok(RepQuery::Score { .. }) => answer(&ScoreResponse {
                    score: Decimal::percent(90),
                }),
                _ => cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::Unknown {}),
            }
        }
        WasmQuery::Smart { contract_addr, msg } if *contract_addr == st => {
            match cosmwasm_std::from_json::<StakingQuery>(msg) {
                Ok(StakingQuery::Provider { address }) => answer(&provider_response(&address)),
                _ => cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::Unknown {}),
            }
        }
        other => cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::NoSuchContract {
            addr: format!("{other:?}"),
        }),
    }));

    h.instantiate(
        "instantiate (funds the reserve)",
        &gov,
        &coins(1_000_000_000_000_000, DEFAULT_DENOM),
        &InstantiateMsg {
            governance: gov.clone(),
            staking: Some(staking.clone()),
            reputation: Some(reputation.clone()),
            marketplace: Some(market.clone()),
            params: None,
        },
    );
    h.execute(
        "fund_reserve",
        &anyone,
        &coins(5_000_000_000, DEFAULT_DENOM),
        &ExecuteMsg::FundReserve {},
    );

    let work = |p: &str, role: WorkRole, c: u128| ExecuteMsg::RecordWork {
        provider: p.to_string(),
        role,
        contribution: Uint128::new(c),
    };
    let p0 = h.addr("provider0");
    h.execute(
        "record_work (prover, first in the epoch)",
        &market,
        &[],
        &work(&p0, WorkRole::Prover, 10_000),
    );
    h.execute(
        "record_work (prover, again)",
        &market,
        &[],
        &work(&p0, WorkRole::Prover, 10_000),
    );
    h.execute(
        "record_work (verifier)",
        &market,
        &[],
        &work(&p0, WorkRole::Verifier, 100),
    );
    h.execute(
        "record_job (settled, with fees)",
        &market,
        &coins(75_000, DEFAULT_DENOM),
        &ExecuteMsg::RecordJob {
            job_id: 1,
            outcome: JobOutcome::Settled,
            to_pool: Uint128::new(50_000),
            to_vault: Uint128::new(25_000),
        },
    );
    h.execute(
        "record_job (failed, no fees)",
        &market,
        &[],
        &ExecuteMsg::RecordJob {
            job_id: 2,
            outcome: JobOutcome::Failed,
            to_pool: Uint128::zero(),
            to_vault: Uint128::zero(),
        },
    );
    h.advance(EPOCH_BLOCKS);
    h.execute(
        "close_epoch (1 provider)",
        &anyone,
        &[],
        &ExecuteMsg::CloseEpoch {},
    );

    // Close and claim with ever more providers holding work in the epoch.
    let mut next = 0usize;
    for (epoch, n) in (1u64..).zip([10usize, 100, 1_000, 10_000]) {
        let providers: Vec<String> = (next..next + n)
            .map(|i| h.addr(&format!("cp{i}")))
            .collect();
        next += n;
        for (i, p) in providers.iter().enumerate() {
            let role = if i % 3 == 2 {
                WorkRole::Verifier
            } else {
                WorkRole::Prover
            };
            h.setup(
                "record_work",
                &market,
                &[],
                &work(p, role, 1_000 + i as u128),
            );
        }
        h.advance(EPOCH_BLOCKS);
        h.execute(
            &format!("close_epoch ({n} providers with work)"),
            &anyone,
            &[],
            &ExecuteMsg::CloseEpoch {},
        );
        let claimer = &providers[0];
        let res = h.execute(
            &format!("claim (1 epoch, {n} providers in it)"),
            claimer,
            &[],
            &ExecuteMsg::Claim {
                epochs: Some(vec![epoch]),
                limit: None,
            },
        );
        let payload = res
            .and_then(|r| r.messages.first().map(|m| m.payload.clone()))
            .ok_or_else(|| anyhow!("claim returned no ConsumeFines sub-message"))?;
        h.reply(
            &format!("claim reply (fine applied, {n} providers)"),
            &fines_reply(claimer, payload)?,
        );
    }

    // A provider with work in 10 epochs claims them at once.
    let loyal = h.addr("loyal");
    for _ in 0..10 {
        h.setup(
            "record_work",
            &market,
            &[],
            &work(&loyal, WorkRole::Prover, 5_000),
        );
        h.advance(EPOCH_BLOCKS);
        h.setup("close_epoch", &anyone, &[], &ExecuteMsg::CloseEpoch {});
    }
    h.execute(
        "claim (10 epochs)",
        &loyal,
        &[],
        &ExecuteMsg::Claim {
            epochs: None,
            limit: Some(10),
        },
    );

    h.advance(EPOCH_BLOCKS * 1_000);
    h.execute(
        "close_epoch (after 1,000 idle epochs)",
        &anyone,
        &[],
        &ExecuteMsg::CloseEpoch {},
    );
    h.advance(EPOCH_BLOCKS);
    h.execute(
        "record_work (closes the ended epoch lazily)",
        &market,
        &[],
        &work(&p0, WorkRole::Prover, 10_000),
    );

    let params = RewardsParams {
        m_floor: Decimal::percent(20),
        ..RewardsParams::default()
    };
    h.execute(
        "update_params",
        &gov,
        &[],
        &ExecuteMsg::UpdateParams {
            params: params.clone(),
        },
    );
    h.sudo("sudo update_params", &SudoMsg::UpdateParams { params });
    h.execute(
        "spend_vault",
        &gov,
        &[],
        &ExecuteMsg::SpendVault {
            to: anyone.clone(),
            amount: Uint128::new(1_000),
        },
    );

    h.query("query config", &QueryMsg::Config {});
    h.query("query current_epoch", &QueryMsg::CurrentEpoch {});
    h.query("query epoch", &QueryMsg::Epoch { epoch: 1 });
    h.query(
        "query epochs (page of 10)",
        &QueryMsg::Epochs {
            start_after: None,
            limit: Some(10),
        },
    );
    h.query(
        "query share",
        &QueryMsg::Share {
            provider: p0.clone(),
            epoch: 0,
        },
    );
    h.query(
        "query claimable (page of 10)",
        &QueryMsg::Claimable {
            provider: p0.clone(),
            start_after: None,
            limit: Some(10),
        },
    );
    h.query("query totals", &QueryMsg::Totals {});
    Ok(h.rows)
}

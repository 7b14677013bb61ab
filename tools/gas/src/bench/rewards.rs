//! Rewards scenario (protocol.md section 8): work and jobs reported by the
//! (mocked) marketplace, epoch closes and claims with 10, 100, 1,000 and
//! 10,000 providers holding work in the epoch (both must stay flat: nothing
//! loops over providers), the reply that applies the heartbeat fine, a close
//! after 1,000 idle epochs (O(1)), governance, every query. Reputation's
//! `Score` is mocked at 0.9 and staking's `Provider` at a bonded 1,000,000,000.

use anyhow::{anyhow, Result};
use cosmwasm_std::{
    coins, Addr, Decimal, MsgResponse, Reply, SubMsgResponse, SubMsgResult, Uint128,
};
use impulse_testing::fixtures::{self, record_job, record_work, Wiring};
use impulse_types::rewards::{ExecuteMsg, JobOutcome, QueryMsg, RewardsParams, WorkRole};
use impulse_types::staking::{ConsumeFinesResponse, ProviderResponse};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

use super::{mocks, Harness, Row};

const EPOCH_BLOCKS: u64 = 14_400;

/// A bonded cuda provider that owes two heartbeat fines.
fn provider_response(address: &str) -> ProviderResponse {
    ProviderResponse {
        backend: Backend::Cuda,
        capacity: Capacity {
            memory_gib: 80,
            devices: 1,
        },
        price_per_step: Uint128::new(1_000),
        endpoint: "https://provider.example:9443".to_string(),
        unpaid_fine_intervals: 2,
        ..fixtures::provider_response(address, 1_000_000_000)
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
    let [gov, market, staking, reputation, anyone] = h.addrs([
        "governance",
        "marketplace",
        "staking",
        "reputation",
        "anyone",
    ]);
    h.on_wasm_query(mocks::contracts(vec![
        (reputation.clone(), mocks::reputation(Decimal::percent(90))),
        (staking.clone(), mocks::staking(provider_response)),
    ]));

    h.instantiate(
        "instantiate (funds the reserve)",
        &coins(1_000_000_000_000_000, DEFAULT_DENOM),
        &Wiring::named(|n| h.addr(n)).rewards(None),
    );
    h.execute(
        "fund_reserve",
        &anyone,
        &coins(5_000_000_000, DEFAULT_DENOM),
        &ExecuteMsg::FundReserve {},
    );

    let p0 = h.addr("provider0");
    for (label, role, contribution) in [
        (
            "record_work (prover, first in the epoch)",
            WorkRole::Prover,
            10_000,
        ),
        ("record_work (prover, again)", WorkRole::Prover, 10_000),
        ("record_work (verifier)", WorkRole::Verifier, 100),
    ] {
        h.execute(
            label,
            &market,
            &[],
            &record_work(&p0, role, contribution, contribution / 10),
        );
    }
    h.execute(
        "record_job (settled, with fees)",
        &market,
        &coins(75_000, DEFAULT_DENOM),
        &record_job(1, JobOutcome::Settled, 50_000, 25_000),
    );
    h.execute(
        "record_job (failed, no fees)",
        &market,
        &[],
        &record_job(2, JobOutcome::Failed, 0, 0),
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
            h.setup(&market, 0, &record_work(p, role, 1_000 + i as u128, 100));
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
            &market,
            0,
            &record_work(&loyal, WorkRole::Prover, 5_000, 500),
        );
        h.advance(EPOCH_BLOCKS);
        h.setup(&anyone, 0, &ExecuteMsg::CloseEpoch {});
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
        &record_work(&p0, WorkRole::Prover, 10_000, 1_000),
    );

    h.update_params(&gov, RewardsParams::default(), |p| {
        p.m_floor = Decimal::percent(20)
    });
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

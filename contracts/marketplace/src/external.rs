//! Calls to the other contracts and their replies (protocol.md sections 2, 3
//! and 8). What is atomic and what is best-effort:
//!
//! - `LockForJob` (staking) is a plain message: an assignment either locks the
//!   prover or the whole transaction fails. The scheduler confirms the prover
//!   with a staking `Provider` query first, so it does not fail in practice.
//! - Payments (`BankMsg::Send` to prover, verifiers, trainer) are plain
//!   messages: they settle with the job or not at all.
//! - Fraud `Slash`, `ReleaseJob`, reputation `RecordJob` and rewards
//!   `RecordWork` are `reply_on_error` sub-messages: a broken or misbehaving
//!   downstream contract is recorded as an event and the job still settles
//!   (checklist item 13); the job's own state is complete before any of them.
//! - Benign `Slash` replies always: the proceeds arrive as funds with the
//!   `SlashResponse` in the data, and the reply credits the job's escrow (or
//!   refunds the trainer if the job has already ended).
//! - Rewards `RecordJob` (with the fee) is `reply_on_error`: on error the fee
//!   stays in the contract as `undelivered_fees`, retried by `FlushFees`.

use cosmwasm_std::{
    coins, from_json, to_json_binary, to_json_vec, Addr, BankMsg, Binary, CosmosMsg, Decimal, Deps,
    DepsMut, Env, Reply, Response, StdResult, SubMsg, SubMsgResult, Uint128, WasmMsg,
};
use impulse_types::reputation::{ExecuteMsg as RepMsg, QueryMsg as RepQuery, ScoreResponse};
use impulse_types::rewards::{JobOutcome, RewardsHookMsg, WorkRole};
use impulse_types::staking::{
    ConfigResponse as StakingConfig, ExecuteMsg as StkMsg, ProviderResponse, QueryMsg as StkQuery,
    SlashKind, SlashResponse,
};
use impulse_types::Capacity;
use serde::{Deserialize, Serialize};

use crate::error::ContractError;
use crate::state::{Undelivered, CONFIG, JOBS, TOTALS, UNDELIVERED};

/// Benign slash: reply always, payload = job id (8 bytes, big-endian).
pub const REPLY_BENIGN_SLASH: u64 = 1;
/// Fraud slash, release, reputation and work records: reply on error only,
/// payload = what it was (text), for the event.
pub const REPLY_BEST_EFFORT: u64 = 2;
/// Rewards `RecordJob` with the fee: reply on error, payload = `FeePayload`.
pub const REPLY_FEE: u64 = 3;

#[derive(Serialize, Deserialize)]
pub struct FeePayload {
    pub job_id: u64,
    pub outcome: JobOutcome,
    pub to_pool: Uint128,
    pub to_vault: Uint128,
}

fn wasm(
    contract: &Addr,
    msg: &impl Serialize,
    funds: Vec<cosmwasm_std::Coin>,
) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds,
    }
    .into())
}

fn best_effort(msg: CosmosMsg, what: &str) -> SubMsg {
    SubMsg::reply_on_error(msg, REPLY_BEST_EFFORT).with_payload(Binary::from(what.as_bytes()))
}

/// The staking contract's view of `addr`, `None` when it is not a provider
/// (or staking cannot answer).
pub fn staking_provider(deps: Deps, staking: &Addr, addr: &Addr) -> Option<ProviderResponse> {
    deps.querier
        .query_wasm_smart(
            staking,
            &StkQuery::Provider {
                address: addr.to_string(),
            },
        )
        .ok()
}

pub fn staking_config(deps: Deps, staking: &Addr) -> StdResult<StakingConfig> {
    deps.querier.query_wasm_smart(staking, &StkQuery::Config {})
}

/// The provider's reputation score now; 0 when there is no reputation
/// contract or it cannot answer (the least trusted score).
pub fn reputation_score(deps: Deps, reputation: Option<&Addr>, addr: &Addr) -> Decimal {
    let Some(rep) = reputation else {
        return Decimal::zero();
    };
    deps.querier
        .query_wasm_smart::<ScoreResponse>(
            rep,
            &RepQuery::Score {
                provider: addr.to_string(),
            },
        )
        .map(|s| s.score.min(Decimal::one()))
        .unwrap_or_default()
}

pub fn lock_msg(
    staking: &Addr,
    provider: &Addr,
    job_id: u64,
    need: Capacity,
) -> StdResult<CosmosMsg> {
    wasm(
        staking,
        &StkMsg::LockForJob {
            provider: provider.to_string(),
            job_id,
            need,
        },
        vec![],
    )
}

/// `HoldStake`: a plain message, so a job is only assigned (or escalated)
/// if the stake backing it is held until it can be judged.
pub fn hold_msg(staking: &Addr, provider: &Addr, until: u64) -> StdResult<CosmosMsg> {
    wasm(
        staking,
        &StkMsg::HoldStake {
            provider: provider.to_string(),
            until,
        },
        vec![],
    )
}

pub fn release_msg(staking: &Addr, provider: &Addr, job_id: u64) -> StdResult<SubMsg> {
    Ok(best_effort(
        wasm(
            staking,
            &StkMsg::ReleaseJob {
                provider: provider.to_string(),
                job_id,
            },
            vec![],
        )?,
        "release_job",
    ))
}

pub fn slash_fraud_msg(
    staking: &Addr,
    provider: &Addr,
    evidence: String,
    honest: &[Addr],
) -> StdResult<SubMsg> {
    Ok(best_effort(
        wasm(
            staking,
            &StkMsg::Slash {
                provider: provider.to_string(),
                evidence,
                kind: SlashKind::Fraud {
                    honest_committee: honest.iter().map(|a| a.to_string()).collect(),
                },
            },
            vec![],
        )?,
        "slash_fraud",
    ))
}

pub fn slash_benign_msg(
    staking: &Addr,
    provider: &Addr,
    evidence: String,
    job_id: u64,
    compute_cost: Uint128,
) -> StdResult<SubMsg> {
    Ok(SubMsg::reply_always(
        wasm(
            staking,
            &StkMsg::Slash {
                provider: provider.to_string(),
                evidence,
                kind: SlashKind::Benign {
                    job_id,
                    compute_cost,
                },
            },
            vec![],
        )?,
        REPLY_BENIGN_SLASH,
    )
    .with_payload(Binary::from(job_id.to_be_bytes().to_vec())))
}

pub fn reputation_job_msg(
    reputation: &Addr,
    provider: &Addr,
    performance: Decimal,
    earned: Uint128,
) -> StdResult<SubMsg> {
    Ok(best_effort(
        wasm(
            reputation,
            &RepMsg::RecordJob {
                provider: provider.to_string(),
                performance,
                earned,
            },
            vec![],
        )?,
        "reputation_record_job",
    ))
}

pub fn record_work_msg(
    rewards: &Addr,
    provider: &Addr,
    role: WorkRole,
    contribution: Uint128,
    fee: Uint128,
) -> StdResult<SubMsg> {
    Ok(best_effort(
        wasm(
            rewards,
            &RewardsHookMsg::RecordWork {
                provider: provider.to_string(),
                role,
                contribution,
                fee,
            },
            vec![],
        )?,
        "rewards_record_work",
    ))
}

pub fn record_job_msg(rewards: &Addr, denom: &str, fee: FeePayload) -> StdResult<SubMsg> {
    let total = fee.to_pool.checked_add(fee.to_vault)?;
    let funds = if total.is_zero() {
        vec![]
    } else {
        coins(total.u128(), denom)
    };
    let msg = wasm(
        rewards,
        &RewardsHookMsg::RecordJob {
            job_id: fee.job_id,
            outcome: fee.outcome,
            to_pool: fee.to_pool,
            to_vault: fee.to_vault,
        },
        funds,
    )?;
    Ok(SubMsg::reply_on_error(msg, REPLY_FEE).with_payload(Binary::from(to_json_vec(&fee)?)))
}

/// Read a `SlashResponse` from a sub-message result: the JSON data itself, or
/// wrapped in the protobuf `MsgExecuteContractResponse { bytes data = 1 }`
/// that wasmd puts in `msg_responses`.
fn slash_response(bytes: &[u8]) -> Option<SlashResponse> {
    if let Ok(r) = from_json::<SlashResponse>(bytes) {
        return Some(r);
    }
    // field 1, wire type 2: tag 0x0a, varint length, payload
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x0a {
        return None;
    }
    let mut len: usize = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let b = *rest.get(i)?;
        len |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
    let payload = rest.get(i..i.checked_add(len)?)?;
    from_json::<SlashResponse>(payload).ok()
}

pub fn handle_reply(deps: DepsMut, _env: Env, reply: Reply) -> Result<Response, ContractError> {
    match reply.id {
        REPLY_BENIGN_SLASH => benign_reply(deps, reply),
        REPLY_BEST_EFFORT => match reply.result {
            SubMsgResult::Err(err) => Ok(Response::new()
                .add_attribute("action", "downstream_call_failed")
                .add_attribute("call", String::from_utf8_lossy(&reply.payload).to_string())
                .add_attribute("error", err)),
            SubMsgResult::Ok(_) => Ok(Response::new()),
        },
        REPLY_FEE => match reply.result {
            SubMsgResult::Err(err) => {
                let fee: FeePayload = from_json(&reply.payload)?;
                let amount = fee.to_pool.checked_add(fee.to_vault)?;
                if !amount.is_zero() {
                    // A job has one RecordJob; keep it to resend as it was.
                    let prev = UNDELIVERED.may_load(deps.storage, fee.job_id)?;
                    let entry = match prev {
                        Some(p) => Undelivered {
                            outcome: fee.outcome,
                            to_pool: p.to_pool.checked_add(fee.to_pool)?,
                            to_vault: p.to_vault.checked_add(fee.to_vault)?,
                        },
                        None => Undelivered {
                            outcome: fee.outcome,
                            to_pool: fee.to_pool,
                            to_vault: fee.to_vault,
                        },
                    };
                    UNDELIVERED.save(deps.storage, fee.job_id, &entry)?;
                    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
                        t.undelivered_fees = t.undelivered_fees.checked_add(amount)?;
                        Ok(t)
                    })?;
                }
                Ok(Response::new()
                    .add_attribute("action", "fee_undelivered")
                    .add_attribute("job_id", fee.job_id.to_string())
                    .add_attribute("amount", amount)
                    .add_attribute("error", err))
            }
            SubMsgResult::Ok(_) => Ok(Response::new()),
        },
        id => Err(ContractError::UnknownReplyId { id }),
    }
}

fn benign_reply(deps: DepsMut, reply: Reply) -> Result<Response, ContractError> {
    let bytes: [u8; 8] =
        reply
            .payload
            .as_slice()
            .try_into()
            .map_err(|_| ContractError::InvalidReply {
                reason: "benign slash payload is not a job id".to_string(),
            })?;
    let job_id = u64::from_be_bytes(bytes);
    let response = match reply.result {
        SubMsgResult::Err(err) => {
            return Ok(Response::new()
                .add_attribute("action", "benign_slash_failed")
                .add_attribute("job_id", job_id.to_string())
                .add_attribute("error", err))
        }
        SubMsgResult::Ok(r) => r,
    };
    #[allow(deprecated)]
    let mut candidates: Vec<Binary> = response.data.into_iter().collect();
    candidates.extend(response.msg_responses.into_iter().map(|m| m.value));
    let slash = candidates
        .iter()
        .find_map(|b| slash_response(b.as_slice()))
        .ok_or_else(|| ContractError::InvalidReply {
            reason: "the staking contract returned no SlashResponse".to_string(),
        })?;
    let amount = slash.to_escrow;
    let mut resp = Response::new()
        .add_attribute("action", "benign_slash_received")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("provider", slash.provider.as_str())
        .add_attribute("amount", amount);
    if amount.is_zero() {
        return Ok(resp);
    }
    let mut job = JOBS.load(deps.storage, job_id)?;
    if job.state.is_terminal() {
        // The job already ended in this transaction: the compensation goes
        // straight to the trainer.
        let denom = CONFIG.load(deps.storage)?.params.denom;
        resp = resp
            .add_message(BankMsg::Send {
                to_address: job.trainer.to_string(),
                amount: coins(amount.u128(), denom),
            })
            .add_attribute("refunded_to", job.trainer.as_str());
    } else {
        job.escrow = job.escrow.checked_add(amount)?;
        JOBS.save(deps.storage, job_id, &job)?;
        TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
            t.escrow = t.escrow.checked_add(amount)?;
            Ok(t)
        })?;
        resp = resp.add_attribute("escrow", job.escrow);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_reply_id_is_an_error() {
        use cosmwasm_std::testing::{mock_dependencies, mock_env};
        let mut deps = mock_dependencies();
        #[allow(deprecated)]
        let reply = Reply {
            id: 99,
            payload: Binary::default(),
            gas_used: 0,
            result: SubMsgResult::Ok(cosmwasm_std::SubMsgResponse {
                events: vec![],
                data: None,
                msg_responses: vec![],
            }),
        };
        assert!(matches!(
            handle_reply(deps.as_mut(), mock_env(), reply),
            Err(ContractError::UnknownReplyId { id: 99 })
        ));
    }

    #[test]
    fn reads_slash_response_plain_and_wrapped() {
        let r = SlashResponse {
            provider: Addr::unchecked("p"),
            slashed: Uint128::new(5),
            burned: Uint128::zero(),
            to_committee: Uint128::zero(),
            to_escrow: Uint128::new(5),
            fraction_lost: Decimal::percent(1),
        };
        let json = to_json_vec(&r).unwrap();
        assert_eq!(slash_response(&json), Some(r.clone()));
        let mut wrapped = vec![0x0a];
        let mut len = json.len();
        while len >= 0x80 {
            wrapped.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        wrapped.push(len as u8);
        wrapped.extend_from_slice(&json);
        assert_eq!(slash_response(&wrapped), Some(r));
        assert_eq!(slash_response(b"junk"), None);
    }
}

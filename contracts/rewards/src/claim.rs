//! Pull claims (protocol.md section 8): a provider collects its shares of
//! closed epochs. Each paid share is removed, so nothing pays twice. The
//! heartbeat fine is taken at claim: `ConsumeFines` on the staking contract
//! runs as a sub-message that always replies; the reply pays `(1 - fine)` of
//! the amount and moves the fined part (rounded up) to the vault. If staking
//! fails or answers nonsense, the claim pays in full (checklist item 13) and
//! says so in an event.

use cosmwasm_std::{
    coins, from_json, to_json_binary, Addr, BankMsg, Decimal, Deps, DepsMut, Env, Order, Reply,
    Response, SubMsg, SubMsgResult, Uint128, WasmMsg,
};
use cw_storage_plus::Bound;
use impulse_types::common::{page_limit, MAX_LIMIT};
use impulse_types::rewards::EpochResponse;
use impulse_types::staking::{
    ConsumeFinesResponse, ExecuteMsg as StakingMsg, ProviderResponse, QueryMsg as StakingQuery,
};
use serde::{Deserialize, Serialize};

use crate::checked::{add, overflow, sub};
use crate::epoch::share_payout;
use crate::error::ContractError;
use crate::record::catch_up;
use crate::state::{Config, Share, CONFIG, EPOCHS, LEDGER, SHARES};

/// Reply id of the `ConsumeFines` sub-message of a claim.
pub const REPLY_CONSUME_FINES: u64 = 1;

/// Context of a claim, carried to the reply in the sub-message payload.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ClaimPayload {
    pub provider: Addr,
    pub amount: Uint128,
}

pub fn claim(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    epochs: Option<Vec<u64>>,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut ledger, events) = catch_up(deps.storage, &config.params, env.block.height)?;
    let current = ledger.open.epoch;

    let selected: Vec<u64> = match epochs {
        Some(list) => {
            if list.is_empty() {
                return Err(ContractError::NothingToClaim {
                    provider: sender.to_string(),
                });
            }
            if list.len() > MAX_LIMIT as usize {
                return Err(ContractError::TooManyEpochs {
                    max: MAX_LIMIT,
                    got: list.len(),
                });
            }
            let mut sorted = list.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return Err(ContractError::DuplicateEpoch { epoch: w[0] });
            }
            for &e in &list {
                if e >= current {
                    return Err(ContractError::EpochNotClosed { epoch: e, current });
                }
                if !SHARES.has(deps.storage, (&sender, e)) {
                    return Err(ContractError::NoShare {
                        provider: sender.to_string(),
                        epoch: e,
                    });
                }
            }
            list
        }
        None => {
            let found = SHARES
                .prefix(&sender)
                .keys(
                    deps.storage,
                    None,
                    Some(Bound::exclusive(current)),
                    Order::Ascending,
                )
                .take(page_limit(limit))
                .collect::<Result<Vec<_>, _>>()?;
            if found.is_empty() {
                return Err(ContractError::NothingToClaim {
                    provider: sender.to_string(),
                });
            }
            found
        }
    };

    ensure_fines_cannot_be_dodged(deps.as_ref(), &config, &sender, current, selected.len())?;

    let mut total = Uint128::zero();
    let mut returned = Uint128::zero();
    let mut dust = Uint128::zero();
    for &e in &selected {
        let share = SHARES.load(deps.storage, (&sender, e))?;
        let mut record = EPOCHS
            .may_load(deps.storage, e)?
            .ok_or(ContractError::EpochNotFound { epoch: e })?;
        let computed = share_payout(&record, share.prover, share.verifier)?;
        let amount = share.capped(computed);
        returned += computed - amount;
        dust = dust
            .checked_add(settle_share(&mut record, &share, computed)?)
            .map_err(|_| overflow("dust"))?;
        EPOCHS.save(deps.storage, e, &record)?;
        SHARES.remove(deps.storage, (&sender, e));
        total = total.checked_add(amount).map_err(|_| overflow("claim"))?;
    }
    // Out of the closed pools: the payout, what the caps return to the
    // reserve, and the dust of the epochs this claim completed.
    let settled = total
        .checked_add(returned)
        .and_then(|v| v.checked_add(dust))
        .map_err(|_| overflow("claim"))?;
    sub(&mut ledger.unclaimed, settled, "unclaimed")?;
    add(&mut ledger.reserve, returned, "reserve")?;
    add(&mut ledger.returned, returned, "returned")?;
    add(&mut ledger.vault, dust, "vault")?;
    add(&mut ledger.dust, dust, "dust")?;

    let list = selected
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let resp = Response::new()
        .add_events(events)
        .add_attribute("action", "claim")
        .add_attribute("provider", sender.as_str())
        .add_attribute("epochs", list)
        .add_attribute("amount", total)
        .add_attribute("returned_to_reserve", returned)
        .add_attribute("dust_to_vault", dust);

    if total.is_zero() {
        // Shares too small to pay anything: removed, nothing sent.
        LEDGER.save(deps.storage, &ledger)?;
        return Ok(resp.add_attribute("paid", "0"));
    }
    match config.staking {
        Some(staking) => {
            LEDGER.save(deps.storage, &ledger)?;
            let msg = WasmMsg::Execute {
                contract_addr: staking.to_string(),
                msg: to_json_binary(&StakingMsg::ConsumeFines {
                    provider: sender.to_string(),
                })?,
                funds: vec![],
            };
            let payload = to_json_binary(&ClaimPayload {
                provider: sender,
                amount: total,
            })?;
            Ok(resp.add_submessage(
                SubMsg::reply_always(msg, REPLY_CONSUME_FINES).with_payload(payload),
            ))
        }
        None => {
            add(&mut ledger.paid, total, "paid")?;
            LEDGER.save(deps.storage, &ledger)?;
            Ok(resp
                .add_message(BankMsg::Send {
                    to_address: sender.to_string(),
                    amount: coins(total.u128(), config.params.denom),
                })
                .add_attribute("fines", "no staking contract configured")
                .add_attribute("paid", total))
        }
    }
}

/// Account a claimed share in its epoch record: the pools settled by
/// `computed` and the weights claimed. Returns the rounding dust to move to
/// the vault once every share of the epoch has been claimed.
fn settle_share(
    record: &mut EpochResponse,
    share: &Share,
    computed: Uint128,
) -> Result<Uint128, ContractError> {
    add(&mut record.claimed, computed, "epoch claimed")?;
    add(
        &mut record.claimed_providers_weight,
        share.prover,
        "claimed weight",
    )?;
    add(
        &mut record.claimed_verifiers_weight,
        share.verifier,
        "claimed weight",
    )?;
    let complete = record.claimed_providers_weight >= record.providers_weight
        && record.claimed_verifiers_weight >= record.verifiers_weight;
    if !complete || !record.dust.is_zero() {
        return Ok(Uint128::zero());
    }
    let pools = record.providers_pool + record.verifiers_pool;
    let dust = pools.saturating_sub(record.claimed);
    record.dust = dust;
    Ok(dust)
}

/// A provider with unpaid heartbeat fines must claim every closed share it
/// holds (up to a full page) in one claim: the fine is a fraction of the
/// claim, so claiming the smallest share first would dodge it.
fn ensure_fines_cannot_be_dodged(
    deps: Deps,
    config: &Config,
    provider: &Addr,
    current: u64,
    claimed: usize,
) -> Result<(), ContractError> {
    let Some(staking) = &config.staking else {
        return Ok(());
    };
    let intervals = deps
        .querier
        .query_wasm_smart::<ProviderResponse>(
            staking,
            &StakingQuery::Provider {
                address: provider.to_string(),
            },
        )
        .map(|p| p.unpaid_fine_intervals)
        .unwrap_or(0);
    if intervals == 0 || claimed >= MAX_LIMIT as usize {
        return Ok(());
    }
    let held = SHARES
        .prefix(provider)
        .keys(
            deps.storage,
            None,
            Some(Bound::exclusive(current)),
            Order::Ascending,
        )
        .take(MAX_LIMIT as usize)
        .count();
    if claimed < held {
        return Err(ContractError::FinesOutstanding {
            intervals,
            held: held as u32,
        });
    }
    Ok(())
}

/// The inner data of a wasm execute response: wasmd (and cw-multi-test)
/// wrap it as a protobuf `MsgExecuteContractResponse { bytes data = 1 }`;
/// raw JSON is accepted too.
fn execute_data(bytes: &[u8]) -> Option<&[u8]> {
    match bytes.first()? {
        b'{' => Some(bytes),
        0x0a => {
            let mut len: usize = 0;
            let mut i = 1;
            loop {
                let b = *bytes.get(i)?;
                len |= ((b & 0x7f) as usize).checked_shl(7 * (i as u32 - 1))?;
                i += 1;
                if b & 0x80 == 0 {
                    break;
                }
                if i > 5 {
                    return None;
                }
            }
            (bytes.len() == i.checked_add(len)?).then(|| &bytes[i..])
        }
        _ => None,
    }
}

/// The fine staking reported, or why there is none.
fn fine_of(result: SubMsgResult, provider: &Addr) -> Result<Decimal, String> {
    let resp = match result {
        SubMsgResult::Err(err) => return Err(format!("staking failed: {err}")),
        SubMsgResult::Ok(resp) => resp,
    };
    #[allow(deprecated)]
    let raw = resp
        .msg_responses
        .first()
        .map(|m| m.value.clone())
        .or(resp.data)
        .ok_or("staking returned no data")?;
    let inner = execute_data(raw.as_slice()).ok_or("undecodable staking data")?;
    let parsed: ConsumeFinesResponse =
        from_json(inner).map_err(|e| format!("unreadable ConsumeFinesResponse: {e}"))?;
    if parsed.provider != *provider {
        return Err(format!("fines reported for {}", parsed.provider));
    }
    Ok(parsed.fine.min(Decimal::one()))
}

pub fn handle_reply(deps: DepsMut, reply: Reply) -> Result<Response, ContractError> {
    if reply.id != REPLY_CONSUME_FINES {
        return Err(ContractError::UnknownReplyId { id: reply.id });
    }
    let ctx: ClaimPayload = from_json(&reply.payload)?;
    let denom = CONFIG.load(deps.storage)?.params.denom;
    let mut ledger = LEDGER.load(deps.storage)?;
    let mut resp = Response::new().add_attribute("action", "claim_payout");
    let fined = match fine_of(reply.result, &ctx.provider) {
        Ok(fine) => {
            resp = resp.add_attribute("fine", fine.to_string());
            // Rounded up: a tiny claim cannot dodge its fine.
            ctx.amount.mul_ceil(fine)
        }
        Err(why) => {
            resp = resp.add_attribute("fines_unavailable", why);
            Uint128::zero()
        }
    };
    let pay = ctx.amount - fined;
    add(&mut ledger.vault, fined, "vault")?;
    add(&mut ledger.fined, fined, "fined")?;
    add(&mut ledger.paid, pay, "paid")?;
    LEDGER.save(deps.storage, &ledger)?;
    if !pay.is_zero() {
        resp = resp.add_message(BankMsg::Send {
            to_address: ctx.provider.to_string(),
            amount: coins(pay.u128(), denom),
        });
    }
    Ok(resp
        .add_attribute("provider", ctx.provider.as_str())
        .add_attribute("fined", fined)
        .add_attribute("paid", pay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_wrapped_and_raw_data() {
        let json = br#"{"a":1}"#;
        let mut wrapped = vec![0x0a, json.len() as u8];
        wrapped.extend_from_slice(json);
        assert_eq!(execute_data(&wrapped), Some(&json[..]));
        assert_eq!(execute_data(json), Some(&json[..]));
        assert_eq!(execute_data(&[0x0a, 5, b'{']), None);
        assert_eq!(execute_data(&[]), None);
        assert_eq!(execute_data(&[0x12, 0]), None);
        // a two-byte length
        let long = vec![b'x'; 200];
        let mut w = vec![0x0a, 0xc8, 0x01];
        w.extend_from_slice(&long);
        assert_eq!(execute_data(&w), Some(&long[..]));
    }
}

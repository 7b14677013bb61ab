//! A provider's own messages (protocol.md section 2): register, advertise,
//! bond more stake, unstake through the reputation-scaled lock-up, and claim
//! what has been released.

use cosmwasm_std::{coins, Addr, BankMsg, Decimal, DepsMut, Env, Response, Uint128};
use impulse_types::{Backend, Capacity};

use crate::error::ContractError;
use crate::notify::{self, Notifier};
use crate::state::{Provider, Unbonding, CONFIG, PROVIDERS, SLASH_REWARDS, TOTALS};

const MAX_ENDPOINT_LEN: usize = 256;

pub fn load(
    storage: &dyn cosmwasm_std::Storage,
    address: &Addr,
) -> Result<Provider, ContractError> {
    PROVIDERS
        .may_load(storage, address)?
        .ok_or_else(|| ContractError::ProviderNotFound {
            address: address.to_string(),
        })
}

fn validate_endpoint(endpoint: &str) -> Result<(), ContractError> {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"));
    match rest {
        _ if endpoint.len() > MAX_ENDPOINT_LEN => Err(ContractError::InvalidProvider {
            reason: format!("endpoint is longer than {MAX_ENDPOINT_LEN} characters"),
        }),
        Some(host)
            if !host.is_empty() && !host.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(())
        }
        _ => Err(ContractError::InvalidProvider {
            reason: format!("endpoint {endpoint:?} must be an http:// or https:// gRPC URL"),
        }),
    }
}

fn validate_capacity(c: &Capacity) -> Result<(), ContractError> {
    if c.memory_gib == 0 || c.devices == 0 {
        return Err(ContractError::InvalidProvider {
            reason: "capacity needs at least 1 GiB of memory and 1 device".to_string(),
        });
    }
    Ok(())
}

fn validate_price(price: Uint128) -> Result<(), ContractError> {
    if price.is_zero() {
        return Err(ContractError::InvalidProvider {
            reason: "price_per_step must be greater than zero".to_string(),
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn register(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    amount: Uint128,
    capacity: Capacity,
    backend: Backend,
    price_per_step: Uint128,
    endpoint: String,
) -> Result<Response, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    if PROVIDERS.has(deps.storage, &sender) {
        return Err(ContractError::AlreadyRegistered {
            address: sender.to_string(),
        });
    }
    if amount < params.min_verifier_stake {
        return Err(ContractError::InsufficientStake {
            required: params.min_verifier_stake,
            provided: amount,
        });
    }
    validate_capacity(&capacity)?;
    validate_price(price_per_step)?;
    validate_endpoint(&endpoint)?;

    let now = env.block.height;
    let provider = Provider::new(backend, capacity, price_per_step, endpoint, amount, now);
    PROVIDERS.save(deps.storage, &sender, &provider)?;
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.bonded = t.bonded.checked_add(amount)?;
        Ok(t)
    })?;
    let mut notifier = Notifier::new(deps.as_ref())?;
    notifier.stake(&sender, amount)?;
    Ok(notifier.apply(
        Response::new()
            .add_attribute("action", "register")
            .add_attribute("provider", sender.as_str())
            .add_attribute("stake", amount)
            .add_attribute("backend", backend.as_str())
            .add_attribute("memory_gib", capacity.memory_gib.to_string())
            .add_attribute("devices", capacity.devices.to_string())
            .add_attribute("price_per_step", price_per_step)
            .add_attribute("can_prove", (amount >= params.min_prover_stake).to_string()),
    ))
}

pub fn update(
    deps: DepsMut,
    sender: Addr,
    capacity: Option<Capacity>,
    price_per_step: Option<Uint128>,
    endpoint: Option<String>,
) -> Result<Response, ContractError> {
    let mut p = load(deps.storage, &sender)?;
    let mut resp = Response::new()
        .add_attribute("action", "update_provider")
        .add_attribute("provider", sender.as_str());
    if let Some(c) = capacity {
        validate_capacity(&c)?;
        resp = resp
            .add_attribute("memory_gib", c.memory_gib.to_string())
            .add_attribute("devices", c.devices.to_string());
        p.capacity = c;
    }
    if let Some(price) = price_per_step {
        validate_price(price)?;
        resp = resp.add_attribute("price_per_step", price);
        p.price_per_step = price;
    }
    if let Some(e) = endpoint {
        validate_endpoint(&e)?;
        resp = resp.add_attribute("endpoint", e.as_str());
        p.endpoint = e;
    }
    PROVIDERS.save(deps.storage, &sender, &p)?;
    Ok(resp)
}

pub fn stake(
    deps: DepsMut,
    _env: Env,
    sender: Addr,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let mut p = load(deps.storage, &sender)?;
    p.stake = p.stake.checked_add(amount)?;
    PROVIDERS.save(deps.storage, &sender, &p)?;
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.bonded = t.bonded.checked_add(amount)?;
        Ok(t)
    })?;
    let mut notifier = Notifier::new(deps.as_ref())?;
    notifier.stake(&sender, p.stake)?;
    Ok(notifier.apply(
        Response::new()
            .add_attribute("action", "stake")
            .add_attribute("provider", sender.as_str())
            .add_attribute("amount", amount)
            .add_attribute("stake", p.stake),
    ))
}

/// `m(rep) = 2 - 1.5 * rep`, times the chronic-absence multiplier if it applies.
pub fn lockup_multiplier(rep: Decimal, chronic: Option<Decimal>) -> Result<Decimal, ContractError> {
    let rep = rep.min(Decimal::one());
    let m =
        Decimal::from_ratio(2u128, 1u128).checked_sub(rep.checked_mul(Decimal::permille(1500))?)?;
    Ok(match chronic {
        Some(c) => m.checked_mul(c)?,
        None => m,
    })
}

fn scale_blocks(blocks: u64, m: Decimal) -> Result<u64, ContractError> {
    let v = Uint128::from(blocks)
        .checked_mul_ceil(m)
        .map_err(|_| ContractError::MathOverflow { what: "lock-up" })?;
    u64::try_from(v.u128()).map_err(|_| ContractError::MathOverflow { what: "lock-up" })
}

pub fn unstake(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let mut p = load(deps.storage, &sender)?;
    if amount.is_zero() {
        return Err(ContractError::InvalidAmount {
            reason: "unstake amount must be greater than zero".to_string(),
        });
    }
    if amount > p.stake {
        return Err(ContractError::UnstakeExceedsStake {
            requested: amount,
            bonded: p.stake,
        });
    }
    let remaining = p.stake - amount;
    if !p.active_jobs.is_empty() && remaining < params.min_prover_stake {
        return Err(ContractError::StakeLockedByJobs {
            active_jobs: p.active_jobs.len() as u32,
            required: params.min_prover_stake,
            requested: amount,
            remaining,
        });
    }
    let now = env.block.height;
    // Entries fully claimed are dropped at claim time; count what is left.
    if p.unbonding.len() >= params.max_unbonding_entries as usize {
        return Err(ContractError::TooManyUnbondingEntries {
            max: params.max_unbonding_entries,
        });
    }
    let score = notify::score(deps.as_ref(), &sender);
    let rep = score.unwrap_or_else(Decimal::zero);
    let chronic = p
        .chronic_absence
        .then_some(params.chronic_absence_multiplier);
    let m = lockup_multiplier(rep, chronic)?;
    let frozen = scale_blocks(params.lock_min_blocks, m)?;
    let release = scale_blocks(params.unlock_blocks, m)?;
    let mut entry = Unbonding::new(now, frozen, release, amount)?;
    // Stake that backs a job stays slashable until the job is judged.
    entry.hold(now, p.held_until)?;

    p.stake = remaining;
    p.unbonding.push(entry.clone());
    PROVIDERS.save(deps.storage, &sender, &p)?;
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.bonded = t.bonded.checked_sub(amount)?;
        t.unbonding = t.unbonding.checked_add(amount)?;
        Ok(t)
    })?;
    let mut notifier = Notifier::new(deps.as_ref())?;
    notifier.stake(&sender, p.stake)?;
    let mut resp = Response::new()
        .add_attribute("action", "unstake")
        .add_attribute("provider", sender.as_str())
        .add_attribute("amount", amount)
        .add_attribute("stake", p.stake)
        .add_attribute("reputation", rep.to_string())
        .add_attribute("lockup_multiplier", m.to_string())
        .add_attribute("release_start", entry.release_start.to_string())
        .add_attribute("release_end", entry.release_end.to_string());
    if score.is_none() {
        resp = resp.add_attribute("reputation_unavailable", "true");
    }
    Ok(notifier.apply(resp))
}

/// Pay the caller everything released from its unbonding entries plus the
/// slash shares it won. Released amounts are zeroed before the payout message
/// is built, so a repeated claim pays nothing (checklist item 5).
pub fn claim(deps: DepsMut, env: Env, sender: Addr) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.height;
    let mut from_unbonding = Uint128::zero();
    let mut next_release: Option<u64> = None;
    if let Some(mut p) = PROVIDERS.may_load(deps.storage, &sender)? {
        for u in p.unbonding.iter_mut() {
            u.accrue(now)?;
            from_unbonding = from_unbonding.checked_add(u.released)?;
            u.released = Uint128::zero();
            if !u.pending.is_zero() {
                let at = u.release_start.max(now + 1);
                next_release = Some(next_release.map_or(at, |n| n.min(at)));
            }
        }
        p.unbonding.retain(|u| !u.is_empty());
        PROVIDERS.save(deps.storage, &sender, &p)?;
    }
    let from_slashes = SLASH_REWARDS
        .may_load(deps.storage, &sender)?
        .unwrap_or_default();
    let total = from_unbonding.checked_add(from_slashes)?;
    if total.is_zero() {
        let detail = match next_release {
            Some(h) => format!(": the next amount starts to unlock at block {h}"),
            None => String::new(),
        };
        return Err(ContractError::NothingToClaim { detail });
    }
    SLASH_REWARDS.remove(deps.storage, &sender);
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.unbonding = t.unbonding.checked_sub(from_unbonding)?;
        t.slash_rewards = t.slash_rewards.checked_sub(from_slashes)?;
        Ok(t)
    })?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: sender.to_string(),
            amount: coins(total.u128(), config.params.denom),
        })
        .add_attribute("action", "claim")
        .add_attribute("claimant", sender.as_str())
        .add_attribute("from_unbonding", from_unbonding)
        .add_attribute("from_slashes", from_slashes)
        .add_attribute("amount", total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockup_multiplier_matches_the_spec() {
        assert_eq!(
            lockup_multiplier(Decimal::zero(), None).unwrap(),
            Decimal::percent(200)
        );
        assert_eq!(
            lockup_multiplier(Decimal::percent(50), None).unwrap(),
            Decimal::percent(125)
        );
        assert_eq!(
            lockup_multiplier(Decimal::one(), None).unwrap(),
            Decimal::percent(50)
        );
        assert_eq!(
            lockup_multiplier(Decimal::one(), Some(Decimal::permille(1500))).unwrap(),
            Decimal::percent(75)
        );
    }

    #[test]
    fn endpoints() {
        assert!(validate_endpoint("http://127.0.0.1:7070").is_ok());
        assert!(validate_endpoint("https://prover.example:443").is_ok());
        assert!(validate_endpoint("ftp://x").is_err());
        assert!(validate_endpoint("http://").is_err());
        assert!(validate_endpoint("http://a b").is_err());
        assert!(validate_endpoint(&format!("http://{}", "a".repeat(300))).is_err());
    }
}

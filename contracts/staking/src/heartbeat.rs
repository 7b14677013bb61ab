//! Heartbeats (protocol.md section 2). A provider is due a heartbeat every
//! `heartbeat_blocks`; each missed interval is counted exactly once (by the
//! permissionless crank or by the next heartbeat, whichever comes first),
//! fines the provider's next reward, lowers its success rate, and a run of
//! `chronic_absence_misses` stretches its lock-ups. Stake is never slashed
//! for it.

use cosmwasm_std::{to_json_binary, Addr, Decimal, DepsMut, Env, Response};
use impulse_governance::GovError;
use impulse_protocol::heartbeat::missed_intervals;
use impulse_types::staking::{ConsumeFinesResponse, StakingParams};

use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::notify::Notifier;
use crate::provider::load;
use crate::state::{Provider, CONFIG, PROVIDERS};

/// Missed intervals since the last heartbeat, as of `now`
/// (`impulse_protocol::heartbeat`, the rule keepers read too).
fn missed_since_last(p: &Provider, now: u64, every: u64) -> u64 {
    missed_intervals(p.last_heartbeat, now, every)
}

/// Account the intervals missed up to `now` that nobody has counted yet.
/// Returns how many were new.
pub fn account_misses(
    p: &mut Provider,
    now: u64,
    params: &StakingParams,
) -> Result<u64, ContractError> {
    let total = missed_since_last(p, now, params.heartbeat_blocks);
    let new = total.saturating_sub(p.misses_accounted);
    if new == 0 {
        return Ok(0);
    }
    p.misses_accounted = total;
    let new32 = u32::try_from(new).unwrap_or(u32::MAX);
    p.unpaid_fine_intervals = p.unpaid_fine_intervals.saturating_add(new32);
    p.consecutive_misses = p.consecutive_misses.saturating_add(new32);
    p.on_time_streak = 0;
    if !p.chronic_absence && p.consecutive_misses >= params.chronic_absence_misses {
        p.chronic_absence = true;
        // Stretch what is left of every open lock-up by the multiplier.
        let m = params.chronic_absence_multiplier;
        let (num, den) = (m.atomics().u128(), Decimal::one().atomics().u128());
        let (num, den) = reduce(num, den);
        for u in p.unbonding.iter_mut() {
            u.stretch(now, num, den)?;
        }
    }
    Ok(new)
}

/// Reduce a decimal ratio to u64 terms (the multiplier has at most 18 decimals).
fn reduce(mut num: u128, mut den: u128) -> (u64, u64) {
    fn gcd(a: u128, b: u128) -> u128 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = gcd(num, den).max(1);
    num /= g;
    den /= g;
    while num > u64::MAX as u128 || den > u64::MAX as u128 {
        num /= 2;
        den = (den / 2).max(1);
    }
    (num as u64, den as u64)
}

/// Save `p` and tell the reputation contract about its `missed` new
/// intervals, along with `resp`.
fn save_and_notify(
    deps: DepsMut,
    addr: &Addr,
    p: &Provider,
    missed: u64,
    resp: Response,
) -> Result<Response, ContractError> {
    PROVIDERS.save(deps.storage, addr, p)?;
    let mut notifier = Notifier::new(deps.as_ref())?;
    notifier.missed_heartbeats(addr, missed)?;
    Ok(notifier.apply(resp))
}

pub fn heartbeat(deps: DepsMut, env: Env, sender: Addr) -> Result<Response, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let mut p = load(deps.storage, &sender)?;
    let now = env.block.height;
    let new = account_misses(&mut p, now, &params)?;
    let on_time = missed_since_last(&p, now, params.heartbeat_blocks) == 0;
    if on_time {
        p.consecutive_misses = 0;
        p.on_time_streak = p.on_time_streak.saturating_add(1);
        if p.chronic_absence && p.on_time_streak >= params.chronic_absence_misses {
            p.chronic_absence = false;
        }
    } else {
        // Came back late: the run of misses ends here.
        p.consecutive_misses = 0;
        p.on_time_streak = 0;
    }
    p.last_heartbeat = now;
    p.misses_accounted = 0;
    let resp = Response::new()
        .add_attribute("action", "heartbeat")
        .add_attribute("provider", sender.as_str())
        .add_attribute("on_time", on_time.to_string())
        .add_attribute("missed_intervals", new.to_string())
        .add_attribute("unpaid_fine_intervals", p.unpaid_fine_intervals.to_string())
        .add_attribute("chronic_absence", p.chronic_absence.to_string());
    save_and_notify(deps, &sender, &p, new, resp)
}

pub fn report_missed(deps: DepsMut, env: Env, provider: &str) -> Result<Response, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let addr = validate_addr(deps.api, provider)?;
    let mut p = load(deps.storage, &addr)?;
    let new = account_misses(&mut p, env.block.height, &params)?;
    let resp = Response::new()
        .add_attribute("action", "report_missed_heartbeats")
        .add_attribute("provider", addr.as_str())
        .add_attribute("missed_intervals", new.to_string())
        .add_attribute("consecutive_misses", p.consecutive_misses.to_string())
        .add_attribute("chronic_absence", p.chronic_absence.to_string());
    save_and_notify(deps, &addr, &p, new, resp)
}

/// Rewards contract only: hand over the fine owed for missed heartbeats and
/// reset it, so each missed interval is fined once.
pub fn consume_fines(
    deps: DepsMut,
    sender: Addr,
    provider: &str,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if config.rewards.as_ref() != Some(&sender) {
        return Err(GovError::unauthorized(&sender, "consume heartbeat fines").into());
    }
    let addr = validate_addr(deps.api, provider)?;
    let mut p = load(deps.storage, &addr)?;
    let intervals = std::mem::take(&mut p.unpaid_fine_intervals);
    PROVIDERS.save(deps.storage, &addr, &p)?;
    let fine = config
        .params
        .heartbeat_fine
        .checked_mul(Decimal::from_ratio(intervals, 1u128))
        .unwrap_or(Decimal::one())
        .min(Decimal::one());
    let data = ConsumeFinesResponse {
        provider: addr.clone(),
        intervals,
        fine,
    };
    Ok(Response::new()
        .set_data(to_json_binary(&data)?)
        .add_attribute("action", "consume_fines")
        .add_attribute("provider", addr.as_str())
        .add_attribute("intervals", intervals.to_string())
        .add_attribute("fine", fine.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;
    use impulse_types::{Backend, Capacity};

    fn provider(last: u64) -> Provider {
        let mut p = Provider::new(
            Backend::Cpu,
            Capacity::default(),
            Uint128::one(),
            String::new(),
            Uint128::zero(),
            0,
        );
        p.last_heartbeat = last;
        p
    }

    #[test]
    fn intervals_are_counted_once() {
        let params = StakingParams::default();
        let mut p = provider(0);
        assert_eq!(
            account_misses(&mut p, 100, &params).unwrap(),
            0,
            "on time at the deadline"
        );
        assert_eq!(account_misses(&mut p, 101, &params).unwrap(), 1);
        assert_eq!(
            account_misses(&mut p, 150, &params).unwrap(),
            0,
            "same interval again"
        );
        assert_eq!(account_misses(&mut p, 201, &params).unwrap(), 1);
        assert_eq!(account_misses(&mut p, 1_001, &params).unwrap(), 8);
        assert_eq!(p.unpaid_fine_intervals, 10);
        assert!(p.chronic_absence, "10 in a row is chronic");
    }

    #[test]
    fn reduce_keeps_the_ratio() {
        assert_eq!(
            reduce(1_500_000_000_000_000_000, 1_000_000_000_000_000_000),
            (3, 2)
        );
    }
}

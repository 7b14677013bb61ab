//! Storage of the staking vault. Every amount the contract owes is in
//! `TOTALS` so that `bank balance == bonded + unbonding + slash_rewards`
//! (plus plain bank transfers, which change nothing) can be checked after
//! every message.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use impulse_types::staking::UnbondingEntry;
use impulse_types::{Backend, Capacity};

use crate::ContractError;

/// The stored configuration is exactly what the `Config` query returns
/// (the layout of 0.0.1): governance, pending hand-over, wiring, parameters.
pub type Config = impulse_types::staking::ConfigResponse;

/// One unstaked amount on its way out. `pending` is released linearly from
/// `accrued_to` (never before `release_start`) to `release_end`; what has been
/// released moves to `released` and is no longer slashable.
#[cw_serde]
pub struct Unbonding {
    pub created_at: u64,
    pub release_start: u64,
    pub release_end: u64,
    pub accrued_to: u64,
    pub pending: Uint128,
    pub released: Uint128,
}

impl Unbonding {
    pub fn new(
        now: u64,
        frozen: u64,
        release: u64,
        amount: Uint128,
    ) -> Result<Self, ContractError> {
        let release_start = now.checked_add(frozen).ok_or(ContractError::MathOverflow {
            what: "release start",
        })?;
        let release_end =
            release_start
                .checked_add(release)
                .ok_or(ContractError::MathOverflow {
                    what: "release end",
                })?;
        Ok(Unbonding {
            created_at: now,
            release_start,
            release_end,
            accrued_to: release_start,
            pending: amount,
            released: Uint128::zero(),
        })
    }

    /// Move what the linear schedule has released by `now` from `pending` to
    /// `released`. Rounds down, so the contract never pays ahead of schedule;
    /// at `release_end` everything is released.
    pub fn accrue(&mut self, now: u64) -> Result<(), ContractError> {
        if now <= self.accrued_to || self.pending.is_zero() {
            return Ok(());
        }
        let until = now.min(self.release_end);
        let moved = if until >= self.release_end {
            self.pending
        } else {
            let span = self.release_end - self.accrued_to;
            let elapsed = until - self.accrued_to;
            self.pending
                .checked_multiply_ratio(elapsed, span)
                .map_err(|_| ContractError::MathOverflow {
                    what: "unbonding release",
                })?
        };
        self.pending -= moved;
        self.released += moved;
        self.accrued_to = until;
        Ok(())
    }

    /// Release nothing before `until`: what is still pending at `now` waits
    /// until then and is released over the time it had left. (What was
    /// released before the hold was already out of reach.)
    pub fn hold(&mut self, now: u64, until: u64) -> Result<(), ContractError> {
        self.accrue(now)?;
        if self.pending.is_zero() || until <= self.accrued_to.max(self.release_start) {
            return Ok(());
        }
        let start = self.accrued_to.max(self.release_start);
        let shift = until - start;
        let add = |a: u64| {
            a.checked_add(shift)
                .ok_or(ContractError::MathOverflow { what: "stake hold" })
        };
        self.release_start = add(self.release_start.max(self.accrued_to))?;
        self.release_end = add(self.release_end)?;
        self.accrued_to = self.release_start;
        Ok(())
    }

    /// Stretch what is left of the lock-up (frozen part and release part) by
    /// `num/den` from `now` on, e.g. 3/2 for chronic absence.
    pub fn stretch(&mut self, now: u64, num: u64, den: u64) -> Result<(), ContractError> {
        self.accrue(now)?;
        let scale = |d: u64| -> Result<u64, ContractError> {
            let v = (d as u128) * (num as u128);
            let v = v.div_ceil(den.max(1) as u128);
            u64::try_from(v).map_err(|_| ContractError::MathOverflow {
                what: "lock-up stretch",
            })
        };
        let add = |a: u64, b: u64| {
            a.checked_add(b).ok_or(ContractError::MathOverflow {
                what: "lock-up stretch",
            })
        };
        if now < self.release_start {
            let frozen_left = scale(self.release_start - now)?;
            let release = scale(self.release_end - self.release_start)?;
            self.release_start = add(now, frozen_left)?;
            self.release_end = add(self.release_start, release)?;
            self.accrued_to = self.release_start;
        } else if now < self.release_end {
            self.release_end = add(now, scale(self.release_end - now)?)?;
            self.accrued_to = now;
        }
        Ok(())
    }

    pub fn total(&self) -> Uint128 {
        self.pending + self.released
    }

    pub fn is_empty(&self) -> bool {
        self.total().is_zero()
    }

    pub fn to_entry(&self) -> UnbondingEntry {
        UnbondingEntry {
            created_at: self.created_at,
            release_start: self.release_start,
            release_end: self.release_end,
            pending: self.pending,
            released: self.released,
        }
    }
}

#[cw_serde]
pub struct ActiveJob {
    pub job_id: u64,
    pub need: Capacity,
}

#[cw_serde]
pub struct Provider {
    pub backend: Backend,
    pub capacity: Capacity,
    pub price_per_step: Uint128,
    pub endpoint: String,
    pub stake: Uint128,
    pub registered_at: u64,
    /// Height of the last heartbeat (registration counts as one).
    pub last_heartbeat: u64,
    /// Missed intervals since `last_heartbeat` already accounted, so that the
    /// crank and the next heartbeat never count the same interval twice.
    pub misses_accounted: u64,
    pub consecutive_misses: u32,
    pub on_time_streak: u32,
    pub unpaid_fine_intervals: u32,
    pub chronic_absence: bool,
    pub banned_until: u64,
    pub active_jobs: Vec<ActiveJob>,
    pub unbonding: Vec<Unbonding>,
    /// Nothing unbonds before this block (`HoldStake`): the provider backs a
    /// job whose verdict may come that late.
    #[serde(default)]
    pub held_until: u64,
}

impl Provider {
    /// A provider registered at block `now` with `stake` bonded: its
    /// registration counts as its first heartbeat, with no history yet.
    pub fn new(
        backend: Backend,
        capacity: Capacity,
        price_per_step: Uint128,
        endpoint: String,
        stake: Uint128,
        now: u64,
    ) -> Self {
        Provider {
            backend,
            capacity,
            price_per_step,
            endpoint,
            stake,
            registered_at: now,
            last_heartbeat: now,
            misses_accounted: 0,
            consecutive_misses: 0,
            on_time_streak: 0,
            unpaid_fine_intervals: 0,
            chronic_absence: false,
            banned_until: 0,
            active_jobs: vec![],
            unbonding: vec![],
            held_until: 0,
        }
    }

    pub fn capacity_in_use(&self) -> Capacity {
        self.active_jobs
            .iter()
            .fold(Capacity::default(), |acc, j| Capacity {
                memory_gib: acc.memory_gib.saturating_add(j.need.memory_gib),
                devices: acc.devices.saturating_add(j.need.devices),
            })
    }

    pub fn is_banned(&self, now: u64) -> bool {
        now < self.banned_until
    }
}

/// Everything the contract owes, and what has left it.
#[cw_serde]
#[derive(Default)]
pub struct Totals {
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub slash_rewards: Uint128,
    pub burned: Uint128,
    pub paid_to_escrow: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const TOTALS: Item<Totals> = Item::new("totals");
pub const PROVIDERS: Map<&Addr, Provider> = Map::new("providers");
/// Slash shares won by honest committee members, withdrawable with `Claim`.
pub const SLASH_REWARDS: Map<&Addr, Uint128> = Map::new("slash_rewards");
/// Evidence already used, with the height of the slash.
pub const EVIDENCE: Map<&str, u64> = Map::new("evidence");

/// Every storage namespace, for the uniqueness test (checklist item 9).
pub const NAMESPACES: &[&str] = &["config", "totals", "providers", "slash_rewards", "evidence"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_delays_what_is_still_pending() {
        // Frozen until 110, released 110..130.
        let mut u = Unbonding::new(100, 10, 20, Uint128::new(200)).unwrap();
        u.hold(105, 300).unwrap();
        assert_eq!((u.release_start, u.release_end), (300, 320));
        u.accrue(310).unwrap();
        assert_eq!(u.released, Uint128::new(100));
        // Half released already: the rest waits for the hold.
        let mut u = Unbonding::new(100, 10, 20, Uint128::new(200)).unwrap();
        u.accrue(120).unwrap();
        assert_eq!(u.released, Uint128::new(100));
        u.hold(120, 200).unwrap();
        assert_eq!((u.release_start, u.release_end), (200, 210));
        u.accrue(199).unwrap();
        assert_eq!(u.released, Uint128::new(100));
        u.accrue(210).unwrap();
        assert_eq!(u.released, Uint128::new(200));
        // A hold that ends before the release starts changes nothing.
        let mut u = Unbonding::new(100, 10, 20, Uint128::new(200)).unwrap();
        u.hold(100, 105).unwrap();
        assert_eq!((u.release_start, u.release_end), (110, 130));
    }

    #[test]
    fn linear_release_is_exact_at_the_end_and_never_ahead() {
        let mut u = Unbonding::new(100, 10, 100, Uint128::new(1_000)).unwrap();
        u.accrue(105).unwrap();
        assert_eq!(
            u.released,
            Uint128::zero(),
            "frozen period releases nothing"
        );
        u.accrue(110).unwrap();
        assert_eq!(u.released, Uint128::zero());
        u.accrue(160).unwrap();
        assert_eq!(u.released, Uint128::new(500));
        u.accrue(161).unwrap();
        assert_eq!(u.released, Uint128::new(510));
        u.accrue(10_000).unwrap();
        assert_eq!(u.released, Uint128::new(1_000));
        assert_eq!(u.pending, Uint128::zero());
    }

    #[test]
    fn piecewise_accrual_matches_one_shot_up_to_rounding() {
        let mut a = Unbonding::new(0, 0, 997, Uint128::new(1_000_003)).unwrap();
        let mut b = a.clone();
        for t in (1..700).step_by(13) {
            a.accrue(t).unwrap();
        }
        a.accrue(700).unwrap();
        b.accrue(700).unwrap();
        assert!(a.released <= b.released + Uint128::new(100));
        assert!(a.released + Uint128::new(100) >= b.released);
        assert_eq!(a.total(), b.total());
    }

    #[test]
    fn stretch_scales_what_is_left() {
        let mut u = Unbonding::new(0, 100, 200, Uint128::new(300)).unwrap();
        u.stretch(50, 3, 2).unwrap();
        assert_eq!(u.release_start, 50 + 75);
        assert_eq!(u.release_end, 125 + 300);
        let mut v = Unbonding::new(0, 100, 200, Uint128::new(300)).unwrap();
        v.stretch(200, 3, 2).unwrap();
        assert_eq!(v.released, Uint128::new(150));
        assert_eq!(v.release_end, 200 + 150);
    }
}

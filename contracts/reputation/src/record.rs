//! The reputation record as a pure state machine (protocol.md section 3): no
//! storage, no chain. Every rule of the section lives here; each update is
//! O(1) and every read is evaluated lazily at the height it is asked for.

use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};
use impulse_governance::invalid;
use impulse_types::math::{decay_half_life, ln_1p_ratio, sqrt};
use impulse_types::reputation::{Fault, ReputationParams};

use crate::error::ContractError;
use crate::state::Record;

/// What `record_job` did beyond the rule itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOutcome {
    /// `V + earned` exceeded `Uint128::MAX` and was held there. `V` is a
    /// score input, not money, and `W = ln(1 + V/work_unit)` is flat up
    /// there, so saturating loses nothing; failing instead would let an
    /// absurd `earned` block the marketplace's settlement.
    pub work_value_saturated: bool,
}

impl Record {
    /// The record of a provider never seen before.
    pub fn new(params: &ReputationParams, height: u64) -> Self {
        Record {
            success_rate: params.initial_success,
            work_value: Uint128::zero(),
            work_height: height,
            stake_from: Uint128::zero(),
            stake_target: Uint128::zero(),
            stake_height: height,
            jobs_recorded: 0,
            faults: 0,
            cooling_off_until: 0,
            updated_at: height,
        }
    }

    /// `V` at `height`: `V * 2^(-dt / work_half_life)`.
    pub fn work_value_at(&self, params: &ReputationParams, height: u64) -> Uint128 {
        decay_half_life(
            self.work_value,
            height.saturating_sub(self.work_height),
            params.work_half_life_blocks,
        )
    }

    /// `S` at `height`: `target + (S0 - target) * 2^(-dt / stake_half_life)`
    /// while decaying, else the target.
    pub fn stake_level_at(&self, params: &ReputationParams, height: u64) -> Uint128 {
        match self.stake_from.checked_sub(self.stake_target) {
            Ok(excess) if !excess.is_zero() => {
                let left = decay_half_life(
                    excess,
                    height.saturating_sub(self.stake_height),
                    params.stake_half_life_blocks,
                );
                // left <= excess, so this is at most stake_from: no overflow.
                self.stake_target.saturating_add(left)
            }
            _ => self.stake_target,
        }
    }

    /// `W = ln(1 + V / work_unit)` at `height`.
    pub fn work_score_at(
        &self,
        params: &ReputationParams,
        height: u64,
    ) -> Result<Decimal, ContractError> {
        ln_1p_ratio(self.work_value_at(params, height), params.work_unit)
            .ok_or_else(|| invalid("work_unit", "must be greater than 0").into())
    }

    pub fn is_cooling_off(&self, height: u64) -> bool {
        height < self.cooling_off_until
    }

    /// `Rep` at `height`; 0 while cooling off after fraud (see SECURITY.md).
    pub fn score_at(
        &self,
        params: &ReputationParams,
        height: u64,
    ) -> Result<Decimal, ContractError> {
        if self.is_cooling_off(height) {
            return Ok(Decimal::zero());
        }
        score(
            self.success_rate,
            self.work_score_at(params, height)?,
            self.stake_level_at(params, height),
            params,
        )
    }

    /// `s <- beta*s + (1-beta)*r`. Both terms are at most `beta` and
    /// `1 - beta` and round down, so `s` stays in [0, 1].
    fn smooth(
        &mut self,
        params: &ReputationParams,
        performance: Decimal,
    ) -> Result<(), ContractError> {
        let kept = params.beta.checked_mul(self.success_rate)?;
        let new = Decimal::one()
            .checked_sub(params.beta)?
            .checked_mul(performance)?;
        self.success_rate = kept.checked_add(new)?.min(Decimal::one());
        Ok(())
    }

    /// A finished job: smooth `s` with `performance` and add `earned` to `V`.
    pub fn record_job(
        &mut self,
        params: &ReputationParams,
        height: u64,
        performance: Decimal,
        earned: Uint128,
    ) -> Result<JobOutcome, ContractError> {
        if performance > Decimal::one() {
            return Err(ContractError::InvalidPerformance { performance });
        }
        self.smooth(params, performance)?;
        let decayed = self.work_value_at(params, height);
        let (value, saturated) = match decayed.checked_add(earned) {
            Ok(v) => (v, false),
            Err(_) => (Uint128::MAX, true),
        };
        self.work_value = value;
        self.work_height = height;
        self.jobs_recorded = self.jobs_recorded.saturating_add(1);
        self.updated_at = height;
        Ok(JobOutcome {
            work_value_saturated: saturated,
        })
    }

    /// `s -= heartbeat_penalty * intervals`, floored at 0 (any product too
    /// large for a `Decimal` floors it too).
    pub fn record_missed_heartbeats(
        &mut self,
        params: &ReputationParams,
        height: u64,
        intervals: u64,
    ) {
        let penalty = Decimal::checked_from_ratio(intervals, 1u128)
            .ok()
            .and_then(|n| params.heartbeat_penalty.checked_mul(n).ok())
            .unwrap_or(Decimal::MAX);
        self.success_rate = self.success_rate.saturating_sub(penalty);
        self.updated_at = height;
    }

    /// Benign: `r = 0`. Fraud: `r = 0`, then `s *= 1 - fraction_lost`, and
    /// cooling off until `max(current, height + cooling_off_blocks)`.
    pub fn record_fault(
        &mut self,
        params: &ReputationParams,
        height: u64,
        fault: &Fault,
    ) -> Result<(), ContractError> {
        if let Fault::Fraud { fraction_lost, .. } = fault {
            if *fraction_lost > Decimal::one() {
                return Err(ContractError::InvalidFraction {
                    fraction_lost: *fraction_lost,
                });
            }
        }
        self.smooth(params, Decimal::zero())?;
        if let Fault::Fraud {
            fraction_lost,
            cooling_off_blocks,
        } = fault
        {
            let kept = Decimal::one().checked_sub(*fraction_lost)?;
            self.success_rate = self.success_rate.checked_mul(kept)?;
            self.cooling_off_until = self
                .cooling_off_until
                .max(height.saturating_add(*cooling_off_blocks));
        }
        self.faults = self.faults.saturating_add(1);
        self.updated_at = height;
        Ok(())
    }

    /// The bonded stake is now `stake`. At or above the current level the
    /// level jumps to it; below, it decays from the current level toward it.
    pub fn record_stake(&mut self, params: &ReputationParams, height: u64, stake: Uint128) {
        let level = self.stake_level_at(params, height);
        self.stake_from = level.max(stake);
        self.stake_target = stake;
        self.stake_height = height;
        self.updated_at = height;
    }
}

/// `Rep = s * sqrt( W/(W + w_half) * S/(S + s_half) )`, clamped to [0, 1].
pub fn score(
    success_rate: Decimal,
    work_score: Decimal,
    stake_level: Uint128,
    params: &ReputationParams,
) -> Result<Decimal, ContractError> {
    let work_factor = Decimal::checked_from_ratio(
        work_score.atomics(),
        work_score.checked_add(params.w_half)?.atomics(),
    )?;
    // S + s_half may exceed 128 bits: take the ratio in 256.
    let stake = Uint256::from(stake_level);
    let stake_factor = Decimal::try_from(Decimal256::checked_from_ratio(
        stake,
        stake.checked_add(Uint256::from(params.s_half))?,
    )?)?;
    let root = sqrt(work_factor.checked_mul(stake_factor)?);
    Ok(success_rate.checked_mul(root)?.min(Decimal::one()))
}

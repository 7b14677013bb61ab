//! Messages of the rewards contract (protocol.md section 8): epochs, the
//! KPI-driven issuance from an emission reserve, the provider / verifier /
//! vault split, weighted pull claims with heartbeat fines, and the community
//! vault. The marketplace reports work and finished jobs with `RecordWork`
//! and `RecordJob`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Uint128, Uint256};

/// Which cohort a piece of recorded work pays into.
#[cw_serde]
#[derive(Copy)]
pub enum WorkRole {
    /// Ran a job; paid from the providers' cohort (60% by default).
    Prover,
    /// Replayed challenged steps; paid from the verifiers' cohort (30%).
    Verifier,
}

/// How a job ended, for the job-success-rate KPI.
#[cw_serde]
#[derive(Copy)]
pub enum JobOutcome {
    Settled,
    Failed,
}

/// Weights of the four KPIs in the multiplier; they must add up to exactly 1.
#[cw_serde]
#[derive(Copy)]
pub struct KpiWeights {
    /// Verified compute volume.
    pub compute_volume: Decimal,
    /// Active high-reputation providers.
    pub active_providers: Decimal,
    /// Fee revenue growth against the moving average.
    pub fee_growth: Decimal,
    /// Job success rate.
    pub success_rate: Decimal,
}

/// KPI targets. `compute_volume` and `active_providers` grow by
/// `target_growth` per epoch; the two ratios (`fee_growth`, `success_rate`)
/// are fixed (a growing target for a ratio would soon be unreachable).
#[cw_serde]
#[derive(Copy)]
pub struct KpiTargets {
    /// Verified training steps x model units per epoch.
    pub compute_volume: Decimal,
    /// Distinct provers with Rep above the threshold per epoch.
    pub active_providers: Decimal,
    /// `fees_in(epoch) / average fees of the previous epochs`.
    pub fee_growth: Decimal,
    /// `settled / (settled + failed)`.
    pub success_rate: Decimal,
}

/// How each epoch's reward pool is divided; the three parts add up to 1.
#[cw_serde]
#[derive(Copy)]
pub struct Split {
    pub providers: Decimal,
    pub verifiers: Decimal,
    pub vault: Decimal,
}

/// Governance parameters of the rewards contract. Defaults are protocol.md's.
#[cw_serde]
pub struct RewardsParams {
    /// Denom of the reserve, the pools and every payout. Never changes.
    pub denom: String,
    /// Length of an epoch in blocks; a change applies from the next epoch.
    pub epoch_blocks: u64,
    /// Issuance of an epoch at multiplier 1.
    pub max_issuance: Uint128,
    /// Lowest multiplier, whatever the KPIs.
    pub m_floor: Decimal,
    pub kpi_weights: KpiWeights,
    /// Targets of the first epoch. Changing them resets the current targets.
    pub initial_targets: KpiTargets,
    /// Growth of the volume targets per epoch: `target *= 1 + target_growth`.
    pub target_growth: Decimal,
    pub split: Split,
    /// A prover counts as an active high-reputation provider when its Rep
    /// is strictly above this at the time its work is recorded.
    pub active_rep_threshold: Decimal,
    /// A prover's share of an epoch pays at most this times the protocol
    /// fees of the jobs it proved in it; the rest returns to the reserve.
    #[serde(default = "default_reward_cap_prover")]
    pub reward_cap_prover: Decimal,
    /// A verifier's share pays at most this times its part of the fees of
    /// the jobs it verified (a job's fee split evenly among its paid
    /// verifiers). `reward_cap_prover + reward_cap_verifier < 1`, so rewards
    /// never repay the fees that bought them (no wash trading).
    #[serde(default = "default_reward_cap_verifier")]
    pub reward_cap_verifier: Decimal,
}

fn default_reward_cap_prover() -> Decimal {
    Decimal::percent(50)
}

fn default_reward_cap_verifier() -> Decimal {
    Decimal::percent(25)
}

impl Default for RewardsParams {
    fn default() -> Self {
        RewardsParams {
            denom: crate::DEFAULT_DENOM.to_string(),
            epoch_blocks: 14_400,
            max_issuance: Uint128::new(1_000_000_000),
            m_floor: Decimal::percent(25),
            kpi_weights: KpiWeights {
                compute_volume: Decimal::percent(40),
                active_providers: Decimal::percent(20),
                fee_growth: Decimal::percent(20),
                success_rate: Decimal::percent(20),
            },
            initial_targets: KpiTargets {
                compute_volume: Decimal::from_ratio(1_000_000u128, 1u128),
                active_providers: Decimal::from_ratio(10u128, 1u128),
                fee_growth: Decimal::percent(105),
                success_rate: Decimal::percent(95),
            },
            target_growth: Decimal::permille(1),
            split: Split {
                providers: Decimal::percent(60),
                verifiers: Decimal::percent(30),
                vault: Decimal::percent(10),
            },
            active_rep_threshold: Decimal::percent(80),
            reward_cap_prover: default_reward_cap_prover(),
            reward_cap_verifier: default_reward_cap_verifier(),
        }
    }
}

/// Funds sent with instantiate (in the denom) seed the emission reserve.
#[cw_serde]
pub struct InstantiateMsg {
    /// Address allowed to change parameters and spend the vault (on wasmd,
    /// x/gov uses `sudo` instead).
    pub governance: String,
    /// Staking contract: bonded stake for shares, heartbeat fines at claim.
    pub staking: Option<String>,
    /// Reputation contract: `Score` for shares and the active-provider KPI.
    pub reputation: Option<String>,
    /// Marketplace contract: the only caller of `RecordWork` / `RecordJob`.
    pub marketplace: Option<String>,
    /// Parameters; protocol defaults when absent.
    pub params: Option<RewardsParams>,
}

// Messages are decoded once per transaction; boxing the parameters would
// only make every caller's code noisier.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum ExecuteMsg {
    /// Marketplace only, no funds: `provider` did verified work in the current epoch.
    /// `contribution` is what the trainer paid for it (uimp: the prover's `L x price`, a
    /// verifier's pay for its replays), so reward weight can only be bought by paying.
    /// `fee` is the part of the job's protocol fee that this work carries: the share's
    /// payout is capped at `reward_cap_prover` (or `_verifier`) times the fees recorded,
    /// so what a share earns never exceeds what the work cost someone in fees.
    RecordWork {
        provider: String,
        role: WorkRole,
        contribution: Uint128,
        #[serde(default)]
        fee: Uint128,
    },
    /// Marketplace only: a job ended. Funds sent must be exactly `to_pool + to_vault`
    /// in the denom (no funds when both are zero): `to_pool` joins the current epoch's
    /// reward pool, `to_vault` the community vault. Settled/failed feed the success-rate KPI,
    /// `to_pool + to_vault` the fee-revenue KPI.
    RecordJob {
        job_id: u64,
        outcome: JobOutcome,
        to_pool: Uint128,
        to_vault: Uint128,
    },
    /// Permissionless crank: close the epoch that has ended (and, in one
    /// step, any run of empty epochs after it). Every other message does the
    /// same first, so the crank is only needed on an idle chain.
    CloseEpoch {},
    /// Anyone: add the sent funds (the denom) to the emission reserve.
    FundReserve {},
    /// Pay the caller's shares of closed epochs: the listed epochs (no
    /// duplicates, at most `MAX_LIMIT`), or else its oldest `limit` ones.
    /// Heartbeat fines are taken from the payout and go to the vault.
    Claim {
        epochs: Option<Vec<u64>>,
        limit: Option<u32>,
    },
    /// Governance only: send `amount` from the community vault to `to`.
    SpendVault { to: String, amount: Uint128 },
    /// Governance only: replace the parameters (validated against bounds).
    UpdateParams { params: RewardsParams },
    /// Governance only: point at the other contracts. `None` keeps the address.
    SetContracts {
        staking: Option<String>,
        reputation: Option<String>,
        marketplace: Option<String>,
    },
    /// Governance only: first step of handing governance to `address`.
    ProposeGovernance { address: String },
    /// Second step: the proposed address accepts.
    AcceptGovernance {},
}

/// Entry point for wasmd's x/gov (proposals of type `sudo`).
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum SudoMsg {
    UpdateParams {
        params: RewardsParams,
    },
    SetContracts {
        staking: Option<String>,
        reputation: Option<String>,
        marketplace: Option<String>,
    },
    SpendVault {
        to: String,
        amount: Uint128,
    },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Parameters and wiring.
    #[returns(ConfigResponse)]
    Config {},
    /// The immutable record of one closed epoch.
    #[returns(EpochResponse)]
    Epoch { epoch: u64 },
    /// Closed epochs in order, paginated.
    #[returns(EpochsResponse)]
    Epochs {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The open epoch at the current block (after any close that is due):
    /// live KPIs and the multiplier and issuance they would give now.
    #[returns(CurrentEpochResponse)]
    CurrentEpoch {},
    /// A provider's unpaid share in one epoch.
    #[returns(ShareResponse)]
    Share { provider: String, epoch: u64 },
    /// A provider's unpaid shares in closed epochs, paginated by epoch.
    #[returns(ClaimableResponse)]
    Claimable {
        provider: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// What the contract holds and owes: `reserve + current_pool + unclaimed
    /// + vault` equals its balance (plus plain bank transfers).
    #[returns(TotalsResponse)]
    Totals {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub pending_governance: Option<Addr>,
    pub staking: Option<Addr>,
    pub reputation: Option<Addr>,
    pub marketplace: Option<Addr>,
    pub params: RewardsParams,
}

/// KPI values of an epoch.
#[cw_serde]
pub struct Kpis {
    /// Sum of prover contributions.
    pub compute_volume: Uint128,
    /// Distinct provers with Rep above the threshold (counted once each).
    pub active_providers: u64,
    /// `fees_in / fee_average`; when the average is 0 it is the target if
    /// the epoch had fees (the KPI counts as met) and 0 otherwise.
    pub fee_growth: Decimal,
    /// `settled / (settled + failed)`, 0 with no finished job.
    pub success_rate: Decimal,
}

/// The immutable record of a closed epoch.
#[cw_serde]
pub struct EpochResponse {
    pub epoch: u64,
    pub start_height: u64,
    /// First block of the next epoch.
    pub end_height: u64,
    /// Calendar epochs this record covers: 1, or more for a run of empty
    /// epochs closed in one step (each issues at the floor).
    pub span: u64,
    pub kpis: Kpis,
    /// Targets in force (after `span - 1` growth steps for an empty run).
    pub targets: KpiTargets,
    pub multiplier: Decimal,
    /// Minted from the reserve (never more than it held).
    pub issuance: Uint128,
    /// Fees paid in by finished jobs (pool + vault parts).
    pub fees_in: Uint128,
    /// Average fees of the previous (up to 7) epochs.
    pub fee_average: Uint128,
    pub jobs_settled: u64,
    pub jobs_failed: u64,
    /// `issuance + the fee share of jobs`.
    pub pool: Uint128,
    pub providers_pool: Uint128,
    pub verifiers_pool: Uint128,
    /// Vault's part of the pool, plus a cohort's pool if nobody earned in it.
    pub to_vault: Uint128,
    /// Sum of the provers' `Rep x Contribution x Stake`.
    pub providers_weight: Uint256,
    pub verifiers_weight: Uint256,
    /// Settled out of `providers_pool + verifiers_pool` so far: paid (fines
    /// included) plus what reward caps returned to the reserve.
    pub claimed: Uint128,
    /// Weights of the shares claimed so far; when both reach the totals the
    /// rounding dust left in the pools goes to the vault (`dust`).
    #[serde(default)]
    pub claimed_providers_weight: Uint256,
    #[serde(default)]
    pub claimed_verifiers_weight: Uint256,
    #[serde(default)]
    pub dust: Uint128,
}

#[cw_serde]
pub struct EpochsResponse {
    pub epochs: Vec<EpochResponse>,
}

#[cw_serde]
pub struct CurrentEpochResponse {
    pub epoch: u64,
    pub start_height: u64,
    pub end_height: u64,
    pub kpis: Kpis,
    pub targets: KpiTargets,
    pub fees_in: Uint128,
    pub fee_average: Uint128,
    pub jobs_settled: u64,
    pub jobs_failed: u64,
    /// Multiplier the KPIs give now.
    pub multiplier: Decimal,
    /// Issuance if the epoch closed now (capped by the reserve).
    pub issuance: Uint128,
    /// Fee share of jobs already in this epoch's pool.
    pub pool_fees: Uint128,
    pub providers_weight: Uint256,
    pub verifiers_weight: Uint256,
}

#[cw_serde]
pub struct ShareResponse {
    pub provider: Addr,
    pub epoch: u64,
    /// Whether the provider holds an unpaid share in the epoch.
    pub exists: bool,
    pub prover_weight: Uint256,
    pub verifier_weight: Uint256,
    /// Most the share can pay: the reward caps times the fees its work
    /// carried (`None` for a share recorded before caps existed).
    pub cap: Option<Uint128>,
    /// Payout before fines (capped); 0 while the epoch is open.
    pub amount: Uint128,
    pub closed: bool,
}

#[cw_serde]
pub struct ClaimableEntry {
    pub epoch: u64,
    /// Payout before heartbeat fines.
    pub amount: Uint128,
}

#[cw_serde]
pub struct ClaimableResponse {
    pub entries: Vec<ClaimableEntry>,
    /// Sum of `entries`.
    pub total: Uint128,
}

#[cw_serde]
pub struct TotalsResponse {
    /// Emission reserve left.
    pub reserve: Uint128,
    /// Fee share of jobs in the open epoch's pool.
    pub current_pool: Uint128,
    /// Cohort pools of closed epochs not yet paid out.
    pub unclaimed: Uint128,
    /// Community vault.
    pub vault: Uint128,
    /// Ever added to the reserve (instantiate + `FundReserve`).
    pub funded: Uint128,
    /// Ever issued from the reserve.
    pub issued: Uint128,
    /// Ever paid to providers.
    pub paid: Uint128,
    /// Ever moved from claims to the vault as heartbeat fines.
    pub fined: Uint128,
    /// Ever spent from the vault by governance.
    pub vault_spent: Uint128,
    /// Ever returned to the reserve: the part of capped shares above their cap.
    pub returned: Uint128,
    /// Ever moved to the vault as rounding dust of fully claimed epochs.
    pub dust: Uint128,
}

/// The marketplace-only subset of [`ExecuteMsg`], with the same JSON: what
/// the marketplace sends. A test checks that both serialize identically.
#[cw_serde]
pub enum RewardsHookMsg {
    /// See [`ExecuteMsg::RecordWork`].
    RecordWork {
        provider: String,
        role: WorkRole,
        contribution: Uint128,
        #[serde(default)]
        fee: Uint128,
    },
    /// See [`ExecuteMsg::RecordJob`].
    RecordJob {
        job_id: u64,
        outcome: JobOutcome,
        to_pool: Uint128,
        to_vault: Uint128,
    },
}

#[cfg(test)]
mod hook_tests {
    use super::*;

    #[test]
    fn hook_messages_are_the_rewards_messages() {
        let hook = RewardsHookMsg::RecordWork {
            provider: "p".into(),
            role: WorkRole::Verifier,
            contribution: Uint128::new(7),
            fee: Uint128::new(1),
        };
        let full = ExecuteMsg::RecordWork {
            provider: "p".into(),
            role: WorkRole::Verifier,
            contribution: Uint128::new(7),
            fee: Uint128::new(1),
        };
        assert_eq!(
            cosmwasm_std::to_json_string(&hook).unwrap(),
            cosmwasm_std::to_json_string(&full).unwrap()
        );
        let hook = RewardsHookMsg::RecordJob {
            job_id: 3,
            outcome: JobOutcome::Failed,
            to_pool: Uint128::new(1),
            to_vault: Uint128::new(2),
        };
        let full = ExecuteMsg::RecordJob {
            job_id: 3,
            outcome: JobOutcome::Failed,
            to_pool: Uint128::new(1),
            to_vault: Uint128::new(2),
        };
        assert_eq!(
            cosmwasm_std::to_json_string(&hook).unwrap(),
            cosmwasm_std::to_json_string(&full).unwrap()
        );
    }
}

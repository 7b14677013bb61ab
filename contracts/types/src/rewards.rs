//! The part of the rewards contract's messages that the marketplace sends
//! (protocol.md section 8). The rewards contract extends this module with the
//! rest of its API; these two variants are the fixed interface between them.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;

/// What a provider did on a job.
#[cw_serde]
#[derive(Copy)]
pub enum WorkRole {
    Prover,
    Verifier,
}

/// How a job ended.
#[cw_serde]
#[derive(Copy)]
pub enum JobOutcome {
    Settled,
    Failed,
}

/// The marketplace-only messages of the rewards contract's `ExecuteMsg`.
#[cw_serde]
pub enum RewardsHookMsg {
    /// Marketplace only, no funds: `provider` did verified work in the current epoch.
    /// `contribution` = verified training steps x the job's `model_units` (prover: the
    /// job's L steps; verifier: the challenged steps it replayed and voted with the majority on).
    RecordWork {
        provider: String,
        role: WorkRole,
        contribution: Uint128,
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
}

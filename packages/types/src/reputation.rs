//! Messages of the reputation contract (protocol.md section 3): one O(1)
//! record per provider, updated by the staking and marketplace contracts.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Uint128};

/// Governance parameters of the reputation contract. Defaults are protocol.md's.
#[cw_serde]
pub struct ReputationParams {
    /// Smoothing of the success rate: `s <- beta*s + (1-beta)*r`.
    pub beta: Decimal,
    /// Success rate of a new provider.
    pub initial_success: Decimal,
    /// Subtracted from `s` per missed heartbeat interval (floored at 0).
    pub heartbeat_penalty: Decimal,
    /// Half-life of the work value `V`, in blocks.
    pub work_half_life_blocks: u64,
    /// `W = ln(1 + V / work_unit)`.
    pub work_unit: Uint128,
    /// Half-life with which the stake level follows stake that leaves.
    pub stake_half_life_blocks: u64,
    /// `W / (W + w_half)`.
    pub w_half: Decimal,
    /// `S / (S + s_half)`; protocol.md sets it to `min_prover_stake`.
    pub s_half: Uint128,
}

impl Default for ReputationParams {
    fn default() -> Self {
        ReputationParams {
            beta: Decimal::percent(90),
            initial_success: Decimal::percent(50),
            heartbeat_penalty: Decimal::permille(5),
            work_half_life_blocks: 1_000_000,
            work_unit: Uint128::new(10_000_000),
            stake_half_life_blocks: 200_000,
            w_half: Decimal::from_ratio(5u128, 1u128),
            s_half: Uint128::new(1_000_000_000),
        }
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    /// The staking contract (reports stake changes, missed heartbeats, slashes).
    pub staking: Option<String>,
    /// The marketplace contract (reports per-job performance and faults).
    pub marketplace: Option<String>,
    pub params: Option<ReputationParams>,
}

/// A fault reported against a provider.
#[cw_serde]
pub enum Fault {
    /// Timeout, crash, missed deadline: updates the success rate with `r = 0`.
    Benign {},
    /// Proven fraud: `r = 0`, then `s *= 1 - fraction_lost`, and a cooling-off
    /// period of `cooling_off_blocks` (the ban), during which the score is 0.
    /// A later report never shortens a running cooling-off.
    Fraud {
        fraction_lost: Decimal,
        cooling_off_blocks: u64,
    },
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Marketplace only: a job finished with performance `r` in [0, 1]
    /// (1 = flawless) and earned the provider `earned`.
    RecordJob {
        provider: String,
        performance: Decimal,
        earned: Uint128,
    },
    /// Staking or marketplace only.
    RecordFault { provider: String, fault: Fault },
    /// Staking only: the provider's bonded stake is now `stake`.
    RecordStake { provider: String, stake: Uint128 },
    /// Staking only: the provider missed `intervals` heartbeat intervals.
    RecordMissedHeartbeats { provider: String, intervals: u64 },
    /// Governance only.
    UpdateParams { params: ReputationParams },
    /// Governance only. `None` keeps the current address.
    SetContracts {
        staking: Option<String>,
        marketplace: Option<String>,
    },
    /// Governance only: first step of handing governance to `address`.
    ProposeGovernance { address: String },
    /// Second step: the proposed address accepts.
    AcceptGovernance {},
}

/// Entry point for wasmd's x/gov.
#[cw_serde]
pub enum SudoMsg {
    UpdateParams {
        params: ReputationParams,
    },
    /// `None` keeps the current address.
    SetContracts {
        staking: Option<String>,
        marketplace: Option<String>,
    },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// A provider's record, decayed to the current block, and its score.
    #[returns(ReputationResponse)]
    Reputation { provider: String },
    /// Just the score at the current block; a provider never seen scores as a
    /// new one (`initial_success` with no work and no stake, i.e. 0).
    #[returns(ScoreResponse)]
    Score { provider: String },
    /// Records in address order, paginated.
    #[returns(ReputationsResponse)]
    Reputations {
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub pending_governance: Option<Addr>,
    pub staking: Option<Addr>,
    pub marketplace: Option<Addr>,
    pub params: ReputationParams,
}

#[cw_serde]
pub struct ReputationResponse {
    pub provider: Addr,
    /// `s`, in [0, 1].
    pub success_rate: Decimal,
    /// `V` decayed to the current block.
    pub work_value: Uint128,
    /// `W = ln(1 + V / work_unit)`.
    pub work_score: Decimal,
    /// `S` at the current block.
    pub stake_level: Uint128,
    /// `Rep`, in [0, 1]; 0 while cooling off.
    pub score: Decimal,
    pub jobs_recorded: u64,
    pub faults: u64,
    /// Height until which the provider is cooling off after fraud (0: never).
    pub cooling_off_until: u64,
    pub updated_at: u64,
}

#[cw_serde]
pub struct ScoreResponse {
    pub score: Decimal,
}

#[cw_serde]
pub struct ReputationsResponse {
    pub records: Vec<ReputationResponse>,
}

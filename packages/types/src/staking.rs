//! Messages of the staking vault (protocol.md section 2): provider
//! registration, stake and lock-ups, heartbeats, slashing and bans.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Uint128};

use crate::common::{Backend, Capacity};

/// Governance parameters of the staking vault. Defaults are protocol.md's.
#[cw_serde]
pub struct StakingParams {
    /// Denom of every stake, fine and slash.
    pub denom: String,
    /// Bonded stake needed to act as a prover (run jobs).
    pub min_prover_stake: Uint128,
    /// Bonded stake needed to act as a verifier; also the minimum to register.
    pub min_verifier_stake: Uint128,
    /// Blocks an unstaked amount stays frozen before it starts to unlock,
    /// before the reputation multiplier `m(rep) = 2 - 1.5 * rep`.
    pub lock_min_blocks: u64,
    /// Blocks over which a frozen amount is then released linearly, before
    /// the reputation multiplier.
    pub unlock_blocks: u64,
    /// A provider must send a heartbeat at least this often.
    pub heartbeat_blocks: u64,
    /// Fraction of the provider's next reward fined per missed interval.
    pub heartbeat_fine: Decimal,
    /// Consecutive missed intervals that count as chronic absence.
    pub chronic_absence_misses: u32,
    /// Multiplier on the lock-up of a chronically absent provider.
    pub chronic_absence_multiplier: Decimal,
    /// Fraction of stake (bonded and unbonding) taken for proven fraud.
    pub slash_fraud: Decimal,
    /// Fraction of a fraud slash that is burned; the rest goes to the honest
    /// committee that proved it.
    pub slash_burn: Decimal,
    /// Fraction of a job's compute cost taken from stake for a benign fault
    /// and paid to the job's escrow.
    pub slash_benign: Decimal,
    /// The least a benign fault costs (uimp, capped by the stake), so that a
    /// timeout on a cheap job is never free.
    #[serde(default = "default_min_benign_slash")]
    pub min_benign_slash: Uint128,
    /// Blocks a provider convicted of fraud is barred from new work.
    pub ban_blocks: u64,
    /// Most unbonding entries a provider may hold at once (bounds every loop).
    pub max_unbonding_entries: u32,
    /// Most jobs a provider may hold at once (bounds every loop).
    pub max_active_jobs: u32,
}

fn default_min_benign_slash() -> Uint128 {
    Uint128::new(1_000_000)
}

impl Default for StakingParams {
    fn default() -> Self {
        StakingParams {
            denom: crate::DEFAULT_DENOM.to_string(),
            min_prover_stake: Uint128::new(1_000_000_000),
            min_verifier_stake: Uint128::new(250_000_000),
            lock_min_blocks: 50_400,
            unlock_blocks: 100_800,
            heartbeat_blocks: 100,
            heartbeat_fine: Decimal::percent(1),
            chronic_absence_misses: 10,
            chronic_absence_multiplier: Decimal::permille(1500),
            slash_fraud: Decimal::percent(75),
            slash_burn: Decimal::percent(50),
            slash_benign: Decimal::percent(5),
            min_benign_slash: default_min_benign_slash(),
            ban_blocks: 100_000,
            max_unbonding_entries: 16,
            max_active_jobs: 16,
        }
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Address allowed to change parameters and to slash (in tests a plain
    /// account; on wasmd, x/gov uses the `sudo` entry point instead).
    pub governance: String,
    /// The marketplace contract, the only contract allowed to lock providers
    /// for jobs and to slash. Can be set later with `SetContracts`.
    pub marketplace: Option<String>,
    /// The reputation contract, told about every stake change, missed
    /// heartbeat and slash; its score scales lock-ups.
    pub reputation: Option<String>,
    /// The rewards contract, the only caller of `ConsumeFines`.
    pub rewards: Option<String>,
    /// Parameters; protocol defaults when absent.
    pub params: Option<StakingParams>,
}

/// Why a provider is slashed.
#[cw_serde]
pub enum SlashKind {
    /// Proven fraud (forged or skipped work, a false verdict, withheld data):
    /// `slash_fraud` of stake and unbonding, a ban, `slash_burn` of it burned
    /// and the rest shared equally by `honest_committee`.
    Fraud { honest_committee: Vec<String> },
    /// A benign fault (timeout, crash, missed deadline): `slash_benign` of
    /// `compute_cost` taken from stake and sent to the caller (the
    /// marketplace) for the escrow of `job_id`.
    Benign { job_id: u64, compute_cost: Uint128 },
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Become a provider. Send at least `min_verifier_stake` of the denom
    /// (`min_prover_stake` to also prove).
    Register {
        capacity: Capacity,
        backend: Backend,
        /// Price asked per training step, in the denom.
        price_per_step: Uint128,
        /// gRPC endpoint of the provider's artifact service.
        endpoint: String,
    },
    /// Change what a registered provider advertises.
    UpdateProvider {
        capacity: Option<Capacity>,
        price_per_step: Option<Uint128>,
        endpoint: Option<String>,
    },
    /// Add the sent funds to the caller's bonded stake.
    Stake {},
    /// Start unbonding `amount` of bonded stake. It stays frozen for the
    /// lock-up, then is released linearly, and stays slashable until released.
    Unstake { amount: Uint128 },
    /// Withdraw everything released from unbonding plus any slash shares won.
    Claim {},
    /// Prove liveness. Due at least every `heartbeat_blocks`.
    Heartbeat {},
    /// Permissionless crank: account the heartbeats a provider has missed up
    /// to now (each interval is counted once, whoever reports it).
    ReportMissedHeartbeats { provider: String },
    /// Marketplace only: reserve capacity of `provider` for `job_id`. Fails
    /// for a banned, under-staked or full provider.
    LockForJob {
        provider: String,
        job_id: u64,
        need: Capacity,
    },
    /// Marketplace only: free the capacity held for `job_id`.
    ReleaseJob { provider: String, job_id: u64 },
    /// Marketplace only: `provider` serves a job (as prover or committee
    /// member) whose verdict may come as late as block `until`. Until then
    /// nothing it unbonds is released (existing unbonding entries included),
    /// so every token it had at stake stays slashable for that verdict.
    HoldStake { provider: String, until: u64 },
    /// Marketplace or governance only. `evidence` names the offence; the same
    /// evidence never slashes twice.
    Slash {
        provider: String,
        evidence: String,
        kind: SlashKind,
    },
    /// Rewards contract only: take (and reset) the provider's accumulated
    /// heartbeat-fine fraction, to apply at its next reward claim.
    ConsumeFines { provider: String },
    /// Governance only: replace the parameters (validated against bounds).
    UpdateParams { params: StakingParams },
    /// Governance only: point at the other contracts of the protocol.
    SetContracts {
        marketplace: Option<String>,
        reputation: Option<String>,
        rewards: Option<String>,
    },
    /// Governance only: first step of handing governance to `address`.
    ProposeGovernance { address: String },
    /// Second step: the proposed address accepts.
    AcceptGovernance {},
}

/// Entry point for wasmd's x/gov (proposals of type `sudo`).
#[cw_serde]
pub enum SudoMsg {
    UpdateParams {
        params: StakingParams,
    },
    SetContracts {
        marketplace: Option<String>,
        reputation: Option<String>,
        rewards: Option<String>,
    },
    Slash {
        provider: String,
        evidence: String,
        kind: SlashKind,
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
    /// One provider.
    #[returns(ProviderResponse)]
    Provider { address: String },
    /// Providers in address order, paginated.
    #[returns(ProvidersResponse)]
    Providers {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// A provider's unbonding entries and what it can claim now.
    #[returns(UnbondingResponse)]
    Unbonding { address: String },
    /// Totals the contract owes; they always add up to its balance.
    #[returns(TotalsResponse)]
    Totals {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub pending_governance: Option<Addr>,
    pub marketplace: Option<Addr>,
    pub reputation: Option<Addr>,
    pub rewards: Option<Addr>,
    pub params: StakingParams,
}

#[cw_serde]
pub struct ProviderResponse {
    pub address: Addr,
    pub backend: Backend,
    pub capacity: Capacity,
    /// Capacity reserved by active jobs.
    pub capacity_in_use: Capacity,
    pub price_per_step: Uint128,
    pub endpoint: String,
    /// Bonded stake (slashable, counts for roles).
    pub stake: Uint128,
    /// Unbonding amount not yet released (still slashable).
    pub unbonding: Uint128,
    /// Released unbonding plus slash shares, withdrawable with `Claim`.
    pub claimable: Uint128,
    pub can_prove: bool,
    pub can_verify: bool,
    /// Height until which the provider may take no new work (0: never banned).
    pub banned_until: u64,
    pub banned: bool,
    pub active_jobs: Vec<u64>,
    pub registered_at: u64,
    pub last_heartbeat: u64,
    /// Missed heartbeat intervals in a row, as accounted so far.
    pub consecutive_misses: u32,
    /// Missed intervals not yet charged against a reward.
    pub unpaid_fine_intervals: u32,
    /// Whether the chronic-absence lock-up multiplier applies.
    pub chronic_absence: bool,
    /// Nothing it unbonds is released before this block (it serves a job
    /// whose verdict may come that late); 0 when nothing holds it.
    pub held_until: u64,
}

#[cw_serde]
pub struct ProvidersResponse {
    pub providers: Vec<ProviderResponse>,
}

#[cw_serde]
pub struct UnbondingEntry {
    /// Height the unstake happened.
    pub created_at: u64,
    /// Height the linear release starts (end of the frozen period).
    pub release_start: u64,
    /// Height everything is released.
    pub release_end: u64,
    /// Not yet released: still slashable.
    pub pending: Uint128,
    /// Released and waiting for `Claim`.
    pub released: Uint128,
}

#[cw_serde]
pub struct UnbondingResponse {
    pub entries: Vec<UnbondingEntry>,
    /// What `Claim` would pay now (released unbonding plus slash shares).
    pub claimable_now: Uint128,
}

#[cw_serde]
pub struct TotalsResponse {
    /// Sum of bonded stake.
    pub bonded: Uint128,
    /// Sum of unbonding amounts (released or not) not yet claimed.
    pub unbonding: Uint128,
    /// Sum of slash shares won and not yet claimed.
    pub slash_rewards: Uint128,
    /// Total burned by fraud slashes so far (left the contract).
    pub burned: Uint128,
    /// Total paid to job escrows by benign slashes (left the contract).
    pub paid_to_escrow: Uint128,
}

/// Data returned by `ConsumeFines` (JSON in the response data).
#[cw_serde]
pub struct ConsumeFinesResponse {
    pub provider: Addr,
    pub intervals: u32,
    /// `intervals * heartbeat_fine`, capped at 1.
    pub fine: Decimal,
}

/// Data returned by `Slash` (JSON in the response data), so the caller can
/// account what left the stake.
#[cw_serde]
pub struct SlashResponse {
    pub provider: Addr,
    /// Taken from bonded stake and unbonding entries together.
    pub slashed: Uint128,
    /// Part of `slashed` burned.
    pub burned: Uint128,
    /// Part of `slashed` shared by the honest committee.
    pub to_committee: Uint128,
    /// Part of `slashed` sent to the caller for a job escrow.
    pub to_escrow: Uint128,
    /// Fraction of the provider's total stake that was lost.
    pub fraction_lost: Decimal,
}

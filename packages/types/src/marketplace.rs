//! Messages of the marketplace (protocol.md sections 4, 5 and 6): jobs and
//! their escrow, the scheduler, and the verification rounds. Hashes travel as
//! hex strings (`HexBinary`, 32 bytes); the byte layouts of the commitments
//! are in `packages/protocol/README.md`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, HexBinary, Uint128};

use crate::common::{Backend, Capacity};

/// Governance parameters of the marketplace. Defaults are protocol.md's where
/// it gives one.
#[cw_serde]
pub struct MarketplaceParams {
    /// Denom of every budget, payment and fee.
    pub denom: String,
    /// Lowest challenge probability a job may ask for.
    pub min_alpha: Decimal,
    /// Smallest committee a job may ask for.
    pub min_committee: u32,
    /// Largest committee a job may ask for (bounds every committee loop).
    pub max_committee: u32,
    /// Most training steps `L` a job may have (the challenge draw costs one
    /// SHA-256 per step, once per job).
    pub max_steps: u64,
    /// Most challenged steps per job; a job must satisfy
    /// `ceil(alpha*L)*2 + 8 <= max_challenges`.
    pub max_challenges: u32,
    /// Most step openings per `OpenSteps` transaction.
    pub max_openings_per_tx: u32,
    /// Assignments a job gets before it fails (refunded).
    pub max_attempts: u32,
    /// Fee on the prover payment, rounded up.
    pub protocol_fee: Decimal,
    /// Part of the fee that goes to the epoch reward pool; the rest goes to
    /// the community vault.
    pub fee_to_rewards: Decimal,
    /// What a verifier earns per challenged step it replays.
    pub verifier_price_per_step: Uint128,
    /// A provider's damp is multiplied by this on each job it wins.
    pub damp_factor: Decimal,
    /// Time constant (blocks) with which the damp recovers toward 1:
    /// `damp(t) = 1 - (1 - damp_0) * e^(-t / damp_recovery_blocks)`.
    pub damp_recovery_blocks: u64,
    /// Prover index entries read per match (the scheduler's bound).
    pub max_candidates: u32,
    /// Extra committee draws allowed beyond `k` (duplicates, the prover,
    /// stale verifiers are redrawn at most this many times in all).
    pub max_draw_retries: u32,
    /// Training deadline: `assigned_at + train_base_blocks + L * blocks_per_step`.
    pub train_base_blocks: u64,
    pub blocks_per_step: u64,
    /// Window for committee members to reveal their secrets after the root.
    pub reveal_blocks: u64,
    /// Window for verifiers to commit their verdicts after the challenge.
    pub verify_commit_blocks: u64,
    /// Window for verifiers to reveal and the prover to open the challenged steps.
    pub verify_reveal_blocks: u64,
    /// Committee draws per attempt when a committee misses its quorum.
    pub max_committee_draws: u32,
    /// Floor of the reputation used for ranking provers and weighting
    /// verifiers (`max(Rep, score_floor)`), so that new providers, whose
    /// score is 0 until they have earned work, can still be ranked and drawn.
    /// The job's `min_reputation` is always checked against the real score.
    pub score_floor: Decimal,
    /// Window (blocks) in which a committee commits its secrets, before the
    /// prover may post its root (at assignment, and again for a new
    /// committee after a missed quorum). Members that miss it are faulted
    /// and replaced.
    #[serde(default = "default_secret_blocks")]
    pub secret_blocks: u64,
    /// Fresh, larger committees (`2k + 1`, at most `max_committee`) a job
    /// escalates to when its committee disagrees. Budgeted at submission.
    #[serde(default = "default_max_escalations")]
    pub max_escalations: u32,
}

fn default_secret_blocks() -> u64 {
    20
}

fn default_max_escalations() -> u32 {
    1
}

impl Default for MarketplaceParams {
    fn default() -> Self {
        MarketplaceParams {
            denom: crate::DEFAULT_DENOM.to_string(),
            min_alpha: Decimal::percent(1),
            min_committee: 3,
            max_committee: 15,
            max_steps: 100_000,
            max_challenges: 4_096,
            max_openings_per_tx: 128,
            max_attempts: 3,
            protocol_fee: Decimal::percent(5),
            fee_to_rewards: Decimal::percent(50),
            verifier_price_per_step: Uint128::new(10),
            damp_factor: Decimal::percent(80),
            damp_recovery_blocks: 1_000,
            max_candidates: 16,
            max_draw_retries: 16,
            train_base_blocks: 100,
            blocks_per_step: 1,
            reveal_blocks: 50,
            verify_commit_blocks: 200,
            verify_reveal_blocks: 100,
            max_committee_draws: 2,
            score_floor: Decimal::percent(1),
            secret_blocks: default_secret_blocks(),
            max_escalations: default_max_escalations(),
        }
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Address allowed to change parameters (on wasmd x/gov uses `sudo`).
    pub governance: String,
    /// The staking contract (provider data, locks, slashes).
    pub staking: Option<String>,
    /// The reputation contract (scores, per-job performance).
    pub reputation: Option<String>,
    /// The rewards contract (work records and fees).
    pub rewards: Option<String>,
    /// Parameters; defaults when absent.
    pub params: Option<MarketplaceParams>,
}

/// Base weights to fine-tune from.
#[cw_serde]
pub struct BaseWeights {
    /// SHA-256 of the weights file, 32 bytes.
    pub sha256: HexBinary,
    pub uri: String,
}

/// What to train.
#[cw_serde]
pub struct ModelSpec {
    /// Built-in architecture id of the engine, e.g. `lm-ref`.
    pub arch: String,
    /// Architecture configuration as a JSON string (engine-defined).
    pub config: Option<String>,
    pub base_weights: Option<BaseWeights>,
}

/// Training data.
#[cw_serde]
pub struct DatasetSpec {
    /// SHA-256 of the dataset, 32 bytes.
    pub sha256: HexBinary,
    pub uri: String,
}

#[cw_serde]
pub struct HyperParams {
    /// Training steps `L` (leaves `h_0..h_L`).
    pub steps: u64,
    pub batch_size: u32,
    pub learning_rate: Decimal,
    /// Optimizer name, engine-defined (e.g. `adamw`).
    pub optimizer: String,
    /// Seed of every random draw of the job.
    pub seed: u64,
}

/// How verifiers compare replayed states.
#[cw_serde]
pub enum VerificationMode {
    /// Bit-for-bit: a step mismatches when the replayed hash differs (and
    /// step `L` also when the final model hash differs).
    Exact,
    /// A step mismatches when the relative L2 distance exceeds `tau`.
    Tolerance { tau: Decimal },
}

#[cw_serde]
pub struct VerificationSpec {
    /// Probability that each step is challenged (the last always is).
    pub alpha: Decimal,
    /// Committee size `k`.
    pub committee: u32,
    pub mode: VerificationMode,
}

/// Everything a trainer asks for.
#[cw_serde]
pub struct JobSpec {
    pub model: ModelSpec,
    pub dataset: DatasetSpec,
    pub hyper: HyperParams,
    /// Model size units (>= 1), for the compute-volume KPI and queue density.
    pub model_units: u64,
    /// Capacity the job needs on its prover.
    pub resources: Capacity,
    pub backend: Backend,
    /// Highest price per step the trainer pays a prover.
    pub max_price_per_step: Uint128,
    /// Lowest reputation score of an acceptable prover.
    pub min_reputation: Decimal,
    /// Last block at which the job may still be assigned.
    pub deadline: u64,
    pub verification: VerificationSpec,
    /// A private job: only its trainer, its prover and its committee
    /// members (every level) may download its dataset, states and model.
    /// The chain records the flag; the artifact services of the trainer
    /// and the providers enforce it on signed requests (docs/protocol.md
    /// §10). Absent: false (public).
    #[serde(default)]
    pub private: bool,
}

/// A step opened by the prover: its state hash and Merkle proof.
#[cw_serde]
pub struct Opening {
    pub step: u64,
    /// `h_step`, 32 bytes.
    pub hash: HexBinary,
    /// Sibling hashes bottom-up (impulse-protocol proof of leaf `step` of `L+1`).
    pub proof: Vec<HexBinary>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Trainer: submit a job; send its budget as exactly one coin of the
    /// denom. Matched at once if a prover and a committee are available.
    SubmitJob { spec: JobSpec },
    /// Trainer: cancel a queued job (full refund).
    CancelJob { job_id: u64 },
    /// A registered staking provider: (re)enter the scheduler's index with
    /// what staking and reputation say now (also how a provider that timed
    /// out shows it is back).
    Advertise {},
    /// Permissionless crank: try to match up to `limit` queued jobs (from
    /// where the last run stopped; expired ones are expired). Like every
    /// message that may draw randomness, refused from a contract.
    RunScheduler { limit: Option<u32> },
    /// Permissionless crank: handle up to `limit` passed deadlines.
    ProcessTimeouts { limit: Option<u32> },
    /// Committee member, while its committee collects secrets (`Assigned`,
    /// or `Committed` after a new draw): commit to a secret, 32-byte
    /// `secret_commitment(secret)`, within `secret_blocks`.
    CommitSecret { job_id: u64, secret_hash: HexBinary },
    /// Prover, while `Assigned` and once every committee member has committed
    /// its secret (or the secret window has closed): the Merkle root of
    /// `h_0..h_L`, the final model hash, and the engine build and backend.
    CommitResult {
        job_id: u64,
        root: HexBinary,
        final_model_hash: HexBinary,
        build_identity: String,
        backend: Backend,
    },
    /// Committee member, while `Committed`: open the secret.
    RevealSecret { job_id: u64, secret: HexBinary },
    /// Committee member, while `Challenged`: commit to the verdict
    /// (`verdict_commitment`, 32 bytes).
    CommitVerdict { job_id: u64, commitment: HexBinary },
    /// Committee member, while `Verifying`: open the verdict. `hashes` and
    /// `distances` (tolerance mode) follow the challenged steps' order.
    /// `model_hash` is required: in exact mode the hash of the replayed final
    /// model, in tolerance mode the hash of the model of the state `L` the
    /// prover served; both must equal the committed final model hash.
    RevealVerdict {
        job_id: u64,
        hashes: Vec<HexBinary>,
        distances: Option<Vec<Decimal>>,
        model_hash: Option<HexBinary>,
        salt: HexBinary,
    },
    /// Prover, while `Verifying`: open challenged steps (several txs allowed).
    OpenSteps { job_id: u64, openings: Vec<Opening> },
    /// Permissionless: retry sending undelivered fees to the rewards contract.
    FlushFees { limit: Option<u32> },
    /// Governance only.
    UpdateParams { params: MarketplaceParams },
    /// Governance only. `None` keeps the current address.
    SetContracts {
        staking: Option<String>,
        reputation: Option<String>,
        rewards: Option<String>,
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
        params: MarketplaceParams,
    },
    SetContracts {
        staking: Option<String>,
        reputation: Option<String>,
        rewards: Option<String>,
    },
}

#[cw_serde]
pub struct MigrateMsg {}

/// Lifecycle state of a job (protocol.md section 4).
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub enum JobState {
    Queued,
    Assigned,
    Committed,
    Challenged,
    Verifying,
    Settled,
    Failed,
    Cancelled,
    Expired,
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        JobState::Queued,
        JobState::Assigned,
        JobState::Committed,
        JobState::Challenged,
        JobState::Verifying,
        JobState::Settled,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Expired,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Assigned => "assigned",
            JobState::Committed => "committed",
            JobState::Challenged => "challenged",
            JobState::Verifying => "verifying",
            JobState::Settled => "settled",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Expired => "expired",
        }
    }

    /// Compact storage key of the state index.
    pub fn code(&self) -> u8 {
        match self {
            JobState::Queued => 0,
            JobState::Assigned => 1,
            JobState::Committed => 2,
            JobState::Challenged => 3,
            JobState::Verifying => 4,
            JobState::Settled => 5,
            JobState::Failed => 6,
            JobState::Cancelled => 7,
            JobState::Expired => 8,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Settled | JobState::Failed | JobState::Cancelled | JobState::Expired
        )
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(JobResponse)]
    Job { job_id: u64 },
    /// Jobs by id, optionally only those in `state`, paginated.
    #[returns(JobsResponse)]
    Jobs {
        state: Option<JobState>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The queue in matching order (value density, then id), paginated.
    #[returns(QueueResponse)]
    Queue {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The scheduler's cached entry of a provider.
    #[returns(ProviderEntryResponse)]
    Provider { address: String },
    /// The current verification round of a job.
    #[returns(RoundResponse)]
    Round { job_id: u64 },
    /// What the contract owes: `balance == escrow + undelivered_fees`.
    #[returns(TotalsResponse)]
    Totals {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub governance: Addr,
    pub pending_governance: Option<Addr>,
    pub staking: Option<Addr>,
    pub reputation: Option<Addr>,
    pub rewards: Option<Addr>,
    pub params: MarketplaceParams,
}

#[cw_serde]
pub struct JobResponse {
    pub id: u64,
    pub trainer: Addr,
    pub spec: JobSpec,
    pub state: JobState,
    /// The coin sent with `SubmitJob`.
    pub budget: Uint128,
    /// What the job's escrow holds now (budget plus benign-slash proceeds,
    /// minus what was paid out).
    pub escrow: Uint128,
    /// Assignments so far.
    pub attempts: u32,
    pub prover: Option<Addr>,
    /// Price per step of the current prover (its advertised price at assignment).
    pub price_per_step: Uint128,
    pub submitted_at: u64,
    /// Deadline of the current phase (training, reveal, verify...), if any.
    pub phase_deadline: Option<u64>,
    /// Value density used to order the queue (budget per L x model unit).
    pub density: Uint128,
    /// Provers that failed this job (timed out); never assigned it again.
    pub excluded_provers: Vec<Addr>,
}

#[cw_serde]
pub struct JobsResponse {
    pub jobs: Vec<JobResponse>,
}

#[cw_serde]
pub struct QueueEntry {
    pub job_id: u64,
    pub density: Uint128,
}

#[cw_serde]
pub struct QueueResponse {
    pub entries: Vec<QueueEntry>,
}

#[cw_serde]
pub struct ProviderEntryResponse {
    pub address: Addr,
    pub backend: Backend,
    pub capacity: Capacity,
    /// Capacity the marketplace holds for the provider's jobs.
    pub capacity_in_use: Capacity,
    pub price_per_step: Uint128,
    pub can_prove: bool,
    pub can_verify: bool,
    pub stake: Uint128,
    /// Reputation score when last touched.
    pub score: Decimal,
    pub banned_until: u64,
    /// Damp at the current block.
    pub damp: Decimal,
    /// `score * damp` at the current block.
    pub effective_score: Decimal,
    /// Whether the provider is in the prover index.
    pub indexed: bool,
    /// Weight in the committee draw (stake x score), 0 when not a verifier.
    pub verifier_weight: Uint128,
    pub active_jobs: u32,
    /// Timed out on a job: out of the prover index until it advertises again.
    pub suspended: bool,
}

#[cw_serde]
pub struct MemberResponse {
    pub address: Addr,
    pub secret_hash: Option<HexBinary>,
    pub secret: Option<HexBinary>,
    pub verdict_commitment: Option<HexBinary>,
    pub revealed: bool,
}

#[cw_serde]
pub struct RoundResponse {
    pub job_id: u64,
    pub attempt: u32,
    /// Committee draw within the attempt (1, then 2 after a missed quorum).
    pub draw: u32,
    pub state: JobState,
    pub committee: Vec<MemberResponse>,
    pub root: Option<HexBinary>,
    pub final_model_hash: Option<HexBinary>,
    pub build_identity: Option<String>,
    pub seed: Option<HexBinary>,
    /// The contract's entropy the seed took in the block that fixed it:
    /// with the root and the revealed secrets, anyone recomputes the seed
    /// (`impulse_protocol::challenge_seed`).
    #[serde(default)]
    pub seed_entropy: Option<HexBinary>,
    /// Challenged steps, ascending; empty until the seed exists.
    pub challenged_steps: Vec<u64>,
    /// How many of them the prover has opened.
    pub opened: u32,
    pub phase_deadline: Option<u64>,
    /// Escalation level: 0 for the first committee, `n` after `n` escalations
    /// to a fresh, larger committee (same challenged steps).
    pub level: u32,
    /// While the committee collects its secrets: the last block to commit one.
    pub secrets_due: Option<u64>,
    /// Members of earlier levels whose verdicts are judged against the final
    /// decision too.
    pub past_members: Vec<Addr>,
}

#[cw_serde]
pub struct TotalsResponse {
    /// Sum of every job's escrow.
    pub escrow: Uint128,
    /// Fees the rewards contract has not accepted yet.
    pub undelivered_fees: Uint128,
    /// Jobs ever submitted.
    pub jobs: u64,
}

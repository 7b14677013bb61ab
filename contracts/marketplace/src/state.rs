//! Storage of the marketplace. Every amount the contract owes is in `TOTALS`
//! so that `bank balance == escrow + undelivered_fees` (plus plain bank
//! transfers, which change nothing) can be checked after every message. Every
//! job is in exactly one lifecycle state, mirrored by exactly one entry of
//! `JOB_STATES`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, HexBinary, Uint128};
use cw_storage_plus::{Item, Map};
use impulse_types::marketplace::{JobSpec, JobState};
use impulse_types::rewards::JobOutcome;
use impulse_types::{Backend, Capacity};

/// The stored configuration is exactly what the `Config` query returns
/// (the layout of 0.0.1): governance, pending hand-over, wiring, parameters.
pub type Config = impulse_types::marketplace::ConfigResponse;

#[cw_serde]
pub struct Job {
    pub id: u64,
    pub trainer: Addr,
    pub spec: JobSpec,
    pub state: JobState,
    pub budget: Uint128,
    pub escrow: Uint128,
    pub attempts: u32,
    pub prover: Option<Addr>,
    pub price: Uint128,
    pub submitted_at: u64,
    pub assigned_at: u64,
    /// Key in `DEADLINES` while the job waits on one.
    pub phase_deadline: Option<u64>,
    pub density: Uint128,
    /// Parameters snapshotted at submission, so that a governance change can
    /// never make an escrow too small for the payouts it was sized for.
    pub verifier_price: Uint128,
    pub protocol_fee: Decimal,
    pub fee_to_rewards: Decimal,
    /// Escalations budgeted at submission (`max_escalations` then).
    #[serde(default)]
    pub escalations: u32,
    /// Provers that failed this job (timed out): never assigned it again.
    #[serde(default)]
    pub excluded: Vec<Addr>,
}

#[cw_serde]
pub struct Member {
    pub addr: Addr,
    pub secret_hash: Option<HexBinary>,
    pub secret: Option<HexBinary>,
    pub verdict: Option<HexBinary>,
    pub revealed: bool,
}

/// The verification round of the current attempt. Bulky parts (challenged
/// steps, openings, revealed verdicts) live in their own maps.
#[cw_serde]
pub struct Round {
    pub attempt: u32,
    pub draw: u32,
    pub committee: Vec<Member>,
    /// Escalation level of `committee` (0: the job's own committee).
    #[serde(default)]
    pub level: u32,
    /// Revealed members of earlier levels: their verdicts (still in
    /// `VERDICTS`) are judged against the final decision too.
    #[serde(default)]
    pub past: Vec<Addr>,
    /// While the committee collects its secrets: the last block for them.
    #[serde(default)]
    pub secrets_due: Option<u64>,
    /// The prover's training deadline (the job's deadline is the secrets'
    /// one until they are in).
    #[serde(default)]
    pub training_due: Option<u64>,
    pub root: Option<HexBinary>,
    pub final_model_hash: Option<HexBinary>,
    pub build_identity: Option<String>,
    pub seed: Option<HexBinary>,
    /// The entropy the seed took (`challenge_seed`'s last input).
    #[serde(default)]
    pub seed_entropy: Option<HexBinary>,
    pub challenged: u32,
    pub opened: u32,
}

impl Round {
    pub fn member_index(&self, addr: &Addr) -> Option<usize> {
        self.committee.iter().position(|m| m.addr == *addr)
    }

    /// A committee of `members` that still has to commit its secrets.
    pub fn fresh_committee(members: Vec<Addr>) -> Vec<Member> {
        members.into_iter().map(Member::new).collect()
    }

    /// Everyone who ever sat on this attempt's committees.
    pub fn everyone(&self) -> Vec<Addr> {
        let mut all = self.past.clone();
        all.extend(self.committee.iter().map(|m| m.addr.clone()));
        all
    }
}

impl Member {
    pub fn new(addr: Addr) -> Self {
        Member {
            addr,
            secret_hash: None,
            secret: None,
            verdict: None,
            revealed: false,
        }
    }
}

/// A revealed verdict: one hash (and distance in tolerance mode) per
/// challenged step.
#[cw_serde]
pub struct Verdict {
    pub hashes: Vec<HexBinary>,
    pub distances: Option<Vec<Decimal>>,
    pub model_hash: Option<HexBinary>,
}

/// The scheduler's cached view of a provider (staking + reputation at its
/// last touch, plus the marketplace's own accounting).
#[cw_serde]
pub struct ProviderEntry {
    pub backend: Backend,
    pub capacity: Capacity,
    pub used: Capacity,
    pub price: Uint128,
    pub can_prove: bool,
    pub can_verify: bool,
    pub stake: Uint128,
    pub score: Decimal,
    pub banned_until: u64,
    pub damp: Decimal,
    pub damp_at: u64,
    pub active_jobs: u32,
    /// Current key in `PROVER_INDEX` (with `backend`), if indexed.
    pub index_key: Option<u128>,
    /// Slot in the backend's verifier tree, if it ever verified.
    pub vslot: Option<u32>,
    pub vweight: Uint128,
    /// Timed out on a job: out of the prover index until it advertises
    /// again (proves it is alive).
    #[serde(default)]
    pub suspended: bool,
}

/// What the contract owes.
#[cw_serde]
#[derive(Default)]
pub struct Totals {
    pub escrow: Uint128,
    pub undelivered_fees: Uint128,
    pub jobs: u64,
}

/// A fee the rewards contract did not accept, kept per job so that
/// `FlushFees` resends the job's own `RecordJob` (counted once in the KPIs).
#[cw_serde]
pub struct Undelivered {
    pub outcome: JobOutcome,
    pub to_pool: Uint128,
    pub to_vault: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const TOTALS: Item<Totals> = Item::new("totals");
pub const JOBS: Map<u64, Job> = Map::new("jobs");
/// (state code, job id): exactly one entry per job.
pub const JOB_STATES: Map<(u8, u64), ()> = Map::new("job_states");
/// (u128::MAX - density, job id) of every queued job.
pub const QUEUE: Map<(u128, u64), ()> = Map::new("queue");
/// Where the last `RunScheduler` stopped.
pub const SCHED_CURSOR: Item<(u128, u64)> = Item::new("sched_cursor");
/// (deadline height, job id) of every job waiting on a deadline.
pub const DEADLINES: Map<(u64, u64), ()> = Map::new("deadlines");
pub const ROUNDS: Map<u64, Round> = Map::new("rounds");
pub const CHALLENGES: Map<u64, Vec<u64>> = Map::new("challenges");
/// (job id, step) -> opened state hash.
pub const OPENINGS: Map<(u64, u64), HexBinary> = Map::new("openings");
pub const VERDICTS: Map<(u64, &Addr), Verdict> = Map::new("verdicts");
pub const PROVIDERS: Map<&Addr, ProviderEntry> = Map::new("providers");
/// (backend code, u128::MAX - score per price, provider): the prover index.
pub const PROVER_INDEX: Map<(u8, u128, &Addr), ()> = Map::new("prover_index");
/// (backend code, node) -> Fenwick node of verifier weights.
pub const FENWICK: Map<(u8, u32), Uint128> = Map::new("fenwick");
/// (backend code, slot) -> verifier.
pub const VSLOTS: Map<(u8, u32), Addr> = Map::new("vslots");
/// backend code -> slots used.
pub const VSLOT_COUNT: Map<u8, u32> = Map::new("vslot_count");
/// (backend code, slot) of every freed verifier slot, reused first.
pub const FREE_VSLOTS: Map<(u8, u32), ()> = Map::new("free_vslots");
/// The contract's entropy chain (protocol.md section 6.3).
pub const ENTROPY: Item<HexBinary> = Item::new("entropy");
pub const UNDELIVERED: Map<u64, Undelivered> = Map::new("undelivered");

/// Every storage namespace, for the uniqueness test (checklist item 9).
pub const NAMESPACES: &[&str] = &[
    "config",
    "totals",
    "jobs",
    "job_states",
    "queue",
    "sched_cursor",
    "deadlines",
    "rounds",
    "challenges",
    "openings",
    "verdicts",
    "providers",
    "prover_index",
    "fenwick",
    "vslots",
    "vslot_count",
    "free_vslots",
    "entropy",
    "undelivered",
    "contract_info",
];

pub fn backend_code(b: Backend) -> u8 {
    match b {
        Backend::Cpu => 0,
        Backend::Cuda => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for n in NAMESPACES {
            assert!(seen.insert(*n), "namespace {n} used twice");
        }
        // No namespace is a prefix of another's length-prefixed key by
        // construction of cw-storage-plus; still, keep them distinct as text.
        assert_eq!(seen.len(), NAMESPACES.len());
    }
}

use cosmwasm_std::Uint128;
use impulse_types::marketplace::JobState;

impulse_governance::contract_error! {
    /// A contract calls a message that draws randomness; only accounts
    /// may, since a contract could revert on a draw it dislikes.
    #[error("{sender} may not be a contract: this message draws randomness, and a contract could revert when it dislikes the draw")]
    ContractCaller { sender: String },

    /// `SubmitJob` with a field out of bounds, or a prover commitment whose
    /// build identity or backend does not fit the job.
    #[error("invalid job: {field}: {reason}")]
    InvalidJob { field: &'static str, reason: String },

    /// `SubmitJob` pays less than the job's protocol budget requires.
    #[error("budget too small: {required} required, {provided} provided")]
    BudgetTooSmall {
        required: Uint128,
        provided: Uint128,
    },

    /// A message or query names a job id that was never submitted.
    #[error("job {job_id} not found")]
    JobNotFound { job_id: u64 },

    /// A message arrives for a job in a state where it does not apply.
    #[error("job {job_id} is {state}; this needs {expected}")]
    WrongState {
        job_id: u64,
        state: JobState,
        expected: &'static str,
    },

    /// A commit, reveal or opening arrives after its phase's deadline.
    #[error("the {phase} window of job {job_id} closed at block {deadline}")]
    WindowClosed {
        job_id: u64,
        phase: &'static str,
        deadline: u64,
    },

    /// A verifier message from an address outside the job's committee.
    #[error("{address} is not on the committee of job {job_id}")]
    NotCommitteeMember { job_id: u64, address: String },

    /// A prover message from an address other than the job's prover.
    #[error("{address} is not the prover of job {job_id}")]
    NotProver { job_id: u64, address: String },

    /// The same commitment, reveal or opening is posted twice.
    #[error("{what} already posted for job {job_id}")]
    AlreadyPosted { job_id: u64, what: &'static str },

    /// A message whose earlier step (a commitment before its reveal,
    /// say) has not been posted yet.
    #[error("{what} must come first for job {job_id}")]
    MissingPrerequisite { job_id: u64, what: &'static str },

    /// A revealed secret does not hash to the commitment posted earlier.
    #[error("the secret does not match the commitment posted for job {job_id}")]
    SecretMismatch { job_id: u64 },

    /// A revealed verdict does not hash to the verdict commitment.
    #[error("the reveal does not match the verdict commitment posted for job {job_id}")]
    VerdictMismatch { job_id: u64 },

    /// A hash field that is not 32 bytes long.
    #[error("invalid hash {field}: expected 32 bytes, got {len}")]
    InvalidHash { field: &'static str, len: usize },

    /// A verdict reveal with the wrong number of hashes or distances for
    /// the job's challenged steps and verification mode.
    #[error("invalid reveal: {reason}")]
    InvalidReveal { reason: String },

    /// An opening of a step whose data or proof does not check out.
    #[error("invalid opening of step {step}: {reason}")]
    InvalidOpening { step: u64, reason: String },

    /// More openings in one transaction than the parameters allow.
    #[error("too many openings in one transaction: {got}, at most {max}")]
    TooManyOpenings { got: usize, max: u32 },

    /// An address that is not registered in the staking contract tries
    /// to act (or is queried) as a provider.
    #[error("{address} is not a registered provider in staking")]
    NotAProvider { address: String },

    /// A provider would become a verifier of a backend whose slots are
    /// all taken.
    #[error("the verifier slots of backend {backend} are full ({max})")]
    VerifierSlotsFull { backend: String, max: u32 },

    /// A reply from the staking contract without the job id or the
    /// `SlashResponse` it should carry.
    #[error("invalid reply: {reason}")]
    InvalidReply { reason: String },
}

impl From<impulse_protocol::Overflow> for ContractError {
    fn from(e: impulse_protocol::Overflow) -> Self {
        ContractError::MathOverflow { what: e.what }
    }
}

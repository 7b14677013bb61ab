use cosmwasm_std::Uint128;
use impulse_types::marketplace::JobState;

impulse_governance::contract_error! {
    #[error("{sender} may not be a contract: this message draws randomness, and a contract could revert when it dislikes the draw")]
    ContractCaller { sender: String },

    #[error("invalid job: {field}: {reason}")]
    InvalidJob { field: &'static str, reason: String },

    #[error("budget too small: {required} required, {provided} provided")]
    BudgetTooSmall {
        required: Uint128,
        provided: Uint128,
    },

    #[error("job {job_id} not found")]
    JobNotFound { job_id: u64 },

    #[error("job {job_id} is {state}; this needs {expected}")]
    WrongState {
        job_id: u64,
        state: JobState,
        expected: &'static str,
    },

    #[error("the {phase} window of job {job_id} closed at block {deadline}")]
    WindowClosed {
        job_id: u64,
        phase: &'static str,
        deadline: u64,
    },

    #[error("{address} is not on the committee of job {job_id}")]
    NotCommitteeMember { job_id: u64, address: String },

    #[error("{address} is not the prover of job {job_id}")]
    NotProver { job_id: u64, address: String },

    #[error("{what} already posted for job {job_id}")]
    AlreadyPosted { job_id: u64, what: &'static str },

    #[error("{what} must come first for job {job_id}")]
    MissingPrerequisite { job_id: u64, what: &'static str },

    #[error("the secret does not match the commitment posted for job {job_id}")]
    SecretMismatch { job_id: u64 },

    #[error("the reveal does not match the verdict commitment posted for job {job_id}")]
    VerdictMismatch { job_id: u64 },

    #[error("invalid hash {field}: expected 32 bytes, got {len}")]
    InvalidHash { field: &'static str, len: usize },

    #[error("invalid reveal: {reason}")]
    InvalidReveal { reason: String },

    #[error("invalid opening of step {step}: {reason}")]
    InvalidOpening { step: u64, reason: String },

    #[error("too many openings in one transaction: {got}, at most {max}")]
    TooManyOpenings { got: usize, max: u32 },

    #[error("{address} is not a registered provider in staking")]
    NotAProvider { address: String },

    #[error("the verifier slots of backend {backend} are full ({max})")]
    VerifierSlotsFull { backend: String, max: u32 },

    #[error("invalid reply: {reason}")]
    InvalidReply { reason: String },

    #[error("unknown reply id {id}")]
    UnknownReplyId { id: u64 },
}

impl From<impulse_protocol::Overflow> for ContractError {
    fn from(e: impulse_protocol::Overflow) -> Self {
        ContractError::MathOverflow { what: e.what }
    }
}

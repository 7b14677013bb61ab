//! Typed errors of the chain client.

use std::time::Duration;

/// Everything that can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The configured gRPC endpoint is not a valid URI.
    #[error("invalid gRPC endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },

    /// The node cannot be reached (down, restarting, network error, or a
    /// request that timed out). Safe to retry once the node is back; the same
    /// client reconnects by itself.
    #[error("cannot reach the node at {endpoint} ({method}): {message}")]
    Connection {
        endpoint: String,
        method: &'static str,
        message: String,
    },

    /// The node answered a gRPC call with an error not covered by a more
    /// specific variant.
    #[error("gRPC {method} failed ({code:?}): {message}")]
    Grpc {
        method: &'static str,
        code: tonic::Code,
        message: String,
    },

    /// The signer's account does not exist on chain (never funded).
    #[error("account {address} not found on chain (is it funded?)")]
    AccountNotFound { address: String },

    /// Simulating the transaction failed, so it was never broadcast; the
    /// local sequence is unchanged. For a contract call this carries the
    /// contract's error message.
    #[error("simulation failed: {message}")]
    Simulation { message: String },

    /// The node's mempool check (CheckTx) rejected the transaction; it was
    /// not included and the local sequence is unchanged.
    #[error("tx rejected by CheckTx: code {code} ({codespace}): {log}")]
    CheckTx {
        code: u32,
        codespace: String,
        log: String,
    },

    /// The account sequence kept mismatching after refreshing it from the
    /// chain `attempts` times.
    #[error("account sequence mismatch after {attempts} attempts: {message}")]
    SequenceMismatch { attempts: u32, message: String },

    /// The transaction was included in a block but failed (DeliverTx).
    #[error("tx {txhash} failed at height {height}: code {code} ({codespace}): {log}")]
    TxFailed {
        txhash: String,
        height: u64,
        code: u32,
        codespace: String,
        log: String,
    },

    /// The transaction was accepted into the mempool but not found in a
    /// block within the timeout. It may still be included later (until its
    /// `timeout_height`); the client refreshes its sequence before the next tx.
    #[error("tx {txhash} not included within {timeout:?}")]
    InclusionTimeout { txhash: String, timeout: Duration },

    /// A smart query was rejected by the contract or the node.
    #[error("smart query on {contract} failed: {message}")]
    Query { contract: String, message: String },

    /// A governance proposal ended in a status other than passed.
    #[error("proposal {proposal_id} ended with status {status}: {reason}")]
    ProposalFailed {
        proposal_id: u64,
        status: String,
        reason: String,
    },

    /// Waiting for something on chain took longer than allowed.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout { what: String, timeout: Duration },

    /// JSON encoding of a message or decoding of a query response failed.
    #[error("JSON ({context}): {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },

    /// A response from the node did not have the expected shape.
    #[error("unexpected response from the node: {0}")]
    Decode(String),

    /// Key derivation or signing failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl ChainError {
    /// True for errors that mean the node was unreachable (worth retrying
    /// once it is back).
    pub fn is_connection(&self) -> bool {
        matches!(self, ChainError::Connection { .. })
    }
}

/// Errors of keys and keyring files.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The mnemonic is not a valid BIP-39 phrase.
    #[error("invalid BIP-39 mnemonic: {0}")]
    Mnemonic(String),

    /// HD derivation failed.
    #[error("key derivation failed: {0}")]
    Derivation(String),

    /// Signing a transaction failed.
    #[error("signing failed: {0}")]
    Signing(String),

    /// Reading or writing the keyring file failed.
    #[error("keyring file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The keyring file is not valid JSON of the expected format.
    #[error("keyring file {path} is malformed: {reason}")]
    Malformed { path: String, reason: String },

    /// Wrong passphrase, or the file was tampered with (authentication failed).
    #[error("cannot decrypt keyring file {path}: wrong passphrase or corrupted file")]
    Decrypt { path: String },

    /// The file stores the mnemonic in plain text but the caller did not
    /// allow plain text.
    #[error("keyring file {path} is plain text; open it with KeyringAccess::InsecurePlaintext")]
    PlaintextNotAllowed { path: String },

    /// The file is encrypted but no passphrase was given.
    #[error("keyring file {path} is encrypted; a passphrase is needed")]
    PassphraseRequired { path: String },

    /// An empty passphrase was given for encryption.
    #[error("refusing to encrypt with an empty passphrase")]
    EmptyPassphrase,

    /// The key derived from the stored mnemonic does not give the stored
    /// address.
    #[error("keyring file {path}: stored address {stored} does not match the key ({derived})")]
    AddressMismatch {
        path: String,
        stored: String,
        derived: String,
    },
}

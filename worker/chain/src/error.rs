//! Typed errors: [`Error`] of the `Chain` interface (what the daemon and
//! the CLI match on, the same on wasmd and on the embedded chain),
//! [`ChainError`] of the wasmd client underneath it, and [`KeyError`] of
//! keys and keyring files. One [`Result`] for all three.

use std::time::Duration;

/// The crate's result: the `Chain` interface's [`Error`] unless another is
/// named (the wasmd client returns `Result<T, ChainError>`).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the `Chain` interface.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A contract rejected an execute or a query; `message` is the
    /// contract's error message (on wasmd, the node's log around it).
    #[error("contract {contract} rejected the message: {message}")]
    Contract { contract: String, message: String },

    /// The chain cannot be reached (node down or restarting, embedded chain
    /// shut down). Worth retrying once it is back.
    #[error("chain unavailable: {message}")]
    Unavailable { message: String },

    /// Waiting for a height took longer than allowed.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout { what: String, timeout: Duration },

    /// Encoding a message or decoding a response failed.
    #[error("JSON ({context}): {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },

    /// Reading or writing a deployment file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// Any other failure of the wasmd client (fees, keys, sequences, ...).
    #[error(transparent)]
    Wasmd(ChainError),

    /// Any other failure of the embedded chain (bank, bad address, ...).
    #[error("embedded chain: {0}")]
    Embedded(String),
}

impl Error {
    /// The contract's message, for a rejection by a contract.
    pub fn contract_message(&self) -> Option<&str> {
        match self {
            Error::Contract { message, .. } => Some(message),
            _ => None,
        }
    }

    /// True when the chain was unreachable.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }

    /// Maps a wasmd client error; `contract` names the contract of a
    /// rejection (a failed simulation, a failed transaction or a rejected
    /// query all mean the contract said no).
    pub(crate) fn from_wasmd(contract: &str, e: ChainError) -> Error {
        match e {
            ChainError::Simulation { message } | ChainError::Query { message, .. } => {
                Error::Contract {
                    contract: contract.to_string(),
                    message,
                }
            }
            ChainError::TxFailed { log, .. } => Error::Contract {
                contract: contract.to_string(),
                message: log,
            },
            e @ ChainError::Connection { .. } => Error::Unavailable {
                message: e.to_string(),
            },
            ChainError::Timeout { what, timeout } => Error::Timeout { what, timeout },
            e => Error::Wasmd(e),
        }
    }
}

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
    #[error("tx {tx_hash} failed at height {height}: code {code} ({codespace}): {log}")]
    TxFailed {
        tx_hash: String,
        height: u64,
        code: u32,
        codespace: String,
        log: String,
    },

    /// The transaction was accepted into the mempool but not found in a
    /// block within the timeout. It may still be included later (until its
    /// `timeout_height`); the client refreshes its sequence before the next tx.
    #[error("tx {tx_hash} not included within {timeout:?}")]
    InclusionTimeout { tx_hash: String, timeout: Duration },

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_keep_the_contract_message() {
        let e = Error::from_wasmd(
            "wasm1m",
            ChainError::Simulation {
                message: "job 7 not found".into(),
            },
        );
        assert_eq!(e.contract_message(), Some("job 7 not found"));
        assert!(e.to_string().contains("wasm1m"));
        let e = Error::from_wasmd(
            "",
            ChainError::Connection {
                endpoint: "http://127.0.0.1:9090".into(),
                method: "GetLatestBlock",
                message: "refused".into(),
            },
        );
        assert!(e.is_unavailable());
    }
}

//! The `Chain` interface: what the daemon and the CLI need from a chain,
//! and nothing more. Two implementations: [`WasmdChain`] here (a thin
//! adapter over [`ChainClient`], one signer per daemon) and the embedded
//! chain of `impulse-embedded` (the real contract code in cw-multi-test).
//!
//! Contract messages come from `impulse-types`; this module takes any
//! `Serialize` message and decodes any `DeserializeOwned` response.

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{ChainClient, Coin};
use crate::error::ChainError;
use crate::events::ContractEvent;

/// The addresses of one deployment of the four contracts, read from and
/// written to a JSON file that every command reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Chain id (`impulse-embedded` for the in-process chain).
    pub chain_id: String,
    /// Staking and fee denom.
    pub denom: String,
    pub staking: String,
    pub reputation: String,
    pub marketplace: String,
    pub rewards: String,
}

impl Deployment {
    /// Reads a deployment file.
    pub fn load(path: impl AsRef<Path>) -> Result<Deployment> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            context: format!("deployment file {}", path.display()),
            source,
        })
    }

    /// Writes the deployment file (pretty JSON).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            context: "encoding a deployment".into(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// A successful execution, the same shape on every implementation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOutcome {
    /// Height of the block that included it.
    pub height: u64,
    /// Transaction hash on wasmd; a synthetic id (`embedded-<height>-<n>`) on
    /// the embedded chain.
    pub tx_hash: String,
    /// The contract events (`wasm`, `wasm-*`), in emission order.
    pub events: Vec<ContractEvent>,
    /// The data the executed contract set on its response, when the
    /// implementation exposes it (the embedded chain does; the wasmd adapter
    /// leaves it `None`).
    pub data: Option<Vec<u8>>,
}

impl TxOutcome {
    /// The first value of attribute `key` in any contract event of type `ty`
    /// (`wasm` or a custom type without the `wasm-` prefix).
    pub fn attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .find_map(|e| e.attr(key))
    }

    /// Every value of attribute `key` in events of type `ty`, in order.
    pub fn attrs(&self, ty: &str, key: &str) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .flat_map(|e| e.attributes.iter())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the daemon and the CLI need from a chain. One handle per signer:
/// `execute` signs as [`Chain::address`].
///
/// The methods return `Send` futures, so a daemon can run them in spawned
/// tokio tasks; take the implementation as a generic `C: Chain`.
pub trait Chain: Send + Sync {
    /// The signer's bech32 address.
    fn address(&self) -> String;

    /// The contracts this handle talks to.
    fn deployment(&self) -> &Deployment;

    /// Executes `msg` on `contract` as the signer, sending `funds`, and waits
    /// until it is included.
    fn execute<M: Serialize + Sync>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> impl Future<Output = Result<TxOutcome>> + Send;

    /// A smart query on `contract`, decoded into `T`.
    fn query<Q: Serialize + Sync, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> impl Future<Output = Result<T>> + Send;

    /// Balance of `address` in `denom`.
    fn balance(&self, address: &str, denom: &str) -> impl Future<Output = Result<u128>> + Send;

    /// Height of the latest block.
    fn height(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Waits until the chain is at `height` or above; the height reached.
    fn wait_until_height(&self, height: u64) -> impl Future<Output = Result<u64>> + Send;

    /// Waits until `n` more blocks have been produced; the height reached.
    fn wait_blocks(&self, n: u64) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let now = self.height().await?;
            self.wait_until_height(now.saturating_add(n)).await
        }
    }
}

/// [`Chain`] over wasmd's gRPC: a thin adapter over [`ChainClient`] (one
/// client, so one signer, per daemon).
#[derive(Debug)]
pub struct WasmdChain {
    client: ChainClient,
    deployment: Deployment,
    txs: AtomicU64,
    gas_used: AtomicU64,
}

impl WasmdChain {
    pub fn new(client: ChainClient, deployment: Deployment) -> WasmdChain {
        WasmdChain {
            client,
            deployment,
            txs: AtomicU64::new(0),
            gas_used: AtomicU64::new(0),
        }
    }

    /// Transactions this handle got included, and the SDK gas they used.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.txs.load(Ordering::Relaxed),
            self.gas_used.load(Ordering::Relaxed),
        )
    }

    /// The underlying client, for what the interface does not cover
    /// (uploads, governance proposals).
    pub fn client(&self) -> &ChainClient {
        &self.client
    }
}

/// Maps a client error; `contract` names the contract of a rejection.
fn from_client(contract: &str, e: ChainError) -> Error {
    match e {
        ChainError::Simulation { message } | ChainError::Query { message, .. } => Error::Contract {
            contract: contract.to_string(),
            message,
        },
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

impl Chain for WasmdChain {
    fn address(&self) -> String {
        self.client.address()
    }

    fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    async fn execute<M: Serialize + Sync>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<TxOutcome> {
        let out = self
            .client
            .execute(contract, msg, funds)
            .await
            .map_err(|e| from_client(contract, e))?;
        self.txs.fetch_add(1, Ordering::Relaxed);
        self.gas_used.fetch_add(out.gas_used, Ordering::Relaxed);
        Ok(TxOutcome {
            height: out.height,
            events: out.contract_events(),
            tx_hash: out.txhash,
            data: None,
        })
    }

    async fn query<Q: Serialize + Sync, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<T> {
        self.client
            .query_smart(contract, msg)
            .await
            .map_err(|e| from_client(contract, e))
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        self.client
            .balance(address, denom)
            .await
            .map_err(|e| from_client("", e))
    }

    async fn height(&self) -> Result<u64> {
        self.client
            .latest_height()
            .await
            .map_err(|e| from_client("", e))
    }

    async fn wait_until_height(&self, height: u64) -> Result<u64> {
        let cfg = self.client.config();
        let start = self.height().await?;
        let blocks = u32::try_from(height.saturating_sub(start).max(1)).unwrap_or(u32::MAX);
        let timeout = cfg.block_timeout.saturating_mul(blocks);
        let deadline = Instant::now() + timeout;
        let mut h = start;
        loop {
            if h >= height {
                return Ok(h);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: format!("height {height} (at {h})"),
                    timeout,
                });
            }
            tokio::time::sleep(cfg.poll_interval).await;
            h = self.height().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_round_trips_through_a_file() {
        let d = Deployment {
            chain_id: "impulse-local".into(),
            denom: "uimp".into(),
            staking: "wasm1s".into(),
            reputation: "wasm1r".into(),
            marketplace: "wasm1m".into(),
            rewards: "wasm1w".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.json");
        d.save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), d);
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(Deployment::load(&path), Err(Error::Json { .. })));
        assert!(matches!(
            Deployment::load(dir.path().join("missing.json")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn client_errors_keep_the_contract_message() {
        let e = from_client(
            "wasm1m",
            ChainError::Simulation {
                message: "job 7 not found".into(),
            },
        );
        assert_eq!(e.contract_message(), Some("job 7 not found"));
        assert!(e.to_string().contains("wasm1m"));
        let e = from_client(
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

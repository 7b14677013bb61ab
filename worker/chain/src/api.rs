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

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::ChainClient;
use crate::config::Coin;
pub use crate::error::{Error, Result};
pub use crate::outcome::TxOutcome;

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

    /// The signer's account key: its compressed secp256k1 public key
    /// (33 bytes). `None` when this handle holds no key. With
    /// [`Chain::sign_bytes`] it proves the account off chain (the artifact
    /// service's signed requests).
    fn account_public_key(&self) -> Option<[u8; 33]> {
        None
    }

    /// Signs `message` with the signer's account key as transactions are
    /// signed: secp256k1 ECDSA over SHA-256(message), low S, `r ‖ s`.
    fn sign_bytes(&self, _message: &[u8]) -> Option<[u8; 64]> {
        None
    }

    /// Whether `public_key` (compressed secp256k1) is the key of account
    /// `address` on this chain. Default: the Cosmos rule, the address is
    /// bech32 of RIPEMD-160(SHA-256(key)) ([`cosmos_owns`]).
    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        cosmos_owns(address, public_key)
    }
}

/// The Cosmos rule for secp256k1 accounts: `address` (bech32, any prefix)
/// is the account id of `public_key`, RIPEMD-160(SHA-256(key)).
pub fn cosmos_owns(address: &str, public_key: &[u8; 33]) -> bool {
    let Ok(id) = address.parse::<cosmrs::AccountId>() else {
        return false;
    };
    let Some(pk) = cosmrs::tendermint::PublicKey::from_raw_secp256k1(public_key) else {
        return false;
    };
    cosmrs::crypto::PublicKey::from(pk)
        .account_id(id.prefix())
        .is_ok_and(|own| own == id)
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
            .map_err(|e| Error::from_wasmd(contract, e))?;
        self.txs.fetch_add(1, Ordering::Relaxed);
        self.gas_used.fetch_add(out.gas_used, Ordering::Relaxed);
        Ok(out)
    }

    async fn query<Q: Serialize + Sync, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<T> {
        self.client
            .query_smart(contract, msg)
            .await
            .map_err(|e| Error::from_wasmd(contract, e))
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        self.client
            .balance(address, denom)
            .await
            .map_err(|e| Error::from_wasmd("", e))
    }

    async fn height(&self) -> Result<u64> {
        self.client
            .latest_height()
            .await
            .map_err(|e| Error::from_wasmd("", e))
    }

    async fn wait_until_height(&self, height: u64) -> Result<u64> {
        self.client
            .wait_until_height(height)
            .await
            .map_err(|e| Error::from_wasmd("", e))
    }

    fn account_public_key(&self) -> Option<[u8; 33]> {
        self.client.signer.public_key().to_bytes().try_into().ok()
    }

    fn sign_bytes(&self, message: &[u8]) -> Option<[u8; 64]> {
        let sig = self.client.signer.signing_key().sign(message).ok()?;
        let sig = sig.normalize_s().unwrap_or(sig);
        let bytes = sig.to_bytes();
        <[u8; 64]>::try_from(&bytes[..]).ok()
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
    fn a_signer_owns_its_address_by_the_cosmos_rule() {
        let a = crate::keys::Signer::from_mnemonic(&crate::keys::test_mnemonic("alice"), "wasm")
            .unwrap();
        let b =
            crate::keys::Signer::from_mnemonic(&crate::keys::test_mnemonic("bob"), "wasm").unwrap();
        let pk =
            |s: &crate::keys::Signer| -> [u8; 33] { s.public_key().to_bytes().try_into().unwrap() };
        let addr = a.address().to_string();
        assert!(cosmos_owns(&addr, &pk(&a)));
        assert!(!cosmos_owns(&addr, &pk(&b)));
        assert!(!cosmos_owns("not an address", &pk(&a)));
        assert!(!cosmos_owns(&addr, &[0u8; 33]));
    }
}

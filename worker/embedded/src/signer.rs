//! Signers of the embedded chain: a [`Chain`] handle per address, and the
//! account keys that prove those addresses off chain (the artifact
//! service's signed requests).
//!
//! The embedded chain's addresses are cw-multi-test's (`addr_make`: bech32
//! of SHA-256 of a name, 32 bytes), not derived from a key, so the Cosmos
//! rule cannot tie them to one. Instead each address gets a deterministic
//! secp256k1 key, SHA-256 of [`KEY_DOMAIN`] and the address, recorded in a
//! registry when [`EmbeddedChain::signer`](crate::EmbeddedChain::signer)
//! first hands out a handle for it; [`Chain::owns_key`] reads the registry.
//! Anyone in the process can derive these keys, as anyone can ask for any
//! signer: the embedded chain is one trust domain (demo and tests), and the
//! keys exist so that the artifact service runs the same checks as on a
//! real chain.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use impulse_chain::api::{Chain, Deployment, Result, TxOutcome};
use impulse_chain::Coin;
use k256::ecdsa::signature::Signer as _;
use k256::ecdsa::{Signature, SigningKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{encode, unavailable, Error, Shared};

/// Domain of the embedded accounts' key derivation.
pub const KEY_DOMAIN: &[u8] = b"impulse-embedded-account-key/v1";

/// The deterministic key of an embedded account.
pub fn account_key(address: &str) -> SigningKey {
    (0u32..)
        .find_map(|counter| {
            let seed = Sha256::new()
                .chain_update(KEY_DOMAIN)
                .chain_update([0])
                .chain_update(address.as_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize();
            // Zero or above the group order: one chance in 2^128; rehash.
            SigningKey::from_slice(&seed).ok()
        })
        .expect("some counter gives a valid scalar")
}

fn compressed(key: &SigningKey) -> [u8; 33] {
    let mut out = [0u8; 33];
    out.copy_from_slice(key.verifying_key().to_encoded_point(true).as_bytes());
    out
}

/// The public keys of the accounts that have a signer.
#[derive(Default)]
pub(crate) struct Keys(Mutex<HashMap<String, [u8; 33]>>);

impl Keys {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, [u8; 33]>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `address`'s key; the key.
    pub(crate) fn register(&self, address: &str) -> Arc<SigningKey> {
        let key = account_key(address);
        self.map().insert(address.to_string(), compressed(&key));
        Arc::new(key)
    }

    pub(crate) fn public_key(&self, address: &str) -> Option<[u8; 33]> {
        self.map().get(address).copied()
    }
}

/// A [`Chain`] handle of the embedded chain that signs as one address.
#[derive(Clone)]
pub struct EmbeddedSigner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) address: String,
    pub(crate) key: Arc<SigningKey>,
}

impl std::fmt::Debug for EmbeddedSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSigner")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Chain for EmbeddedSigner {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn deployment(&self) -> &Deployment {
        &self.shared.deployment
    }

    async fn execute<M: Serialize + Sync>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<TxOutcome> {
        let msg = encode(msg, "an execute message")?;
        let (sender, contract, funds) =
            (self.address.clone(), contract.to_string(), funds.to_vec());
        self.shared
            .call(move |node| node.execute(&sender, &contract, msg, &funds))
            .await?
    }

    async fn query<Q: Serialize + Sync, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<T> {
        let msg = encode(msg, "a smart query")?;
        let c = contract.to_string();
        let bytes = self.shared.call(move |node| node.query(&c, msg)).await??;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            context: format!("decoding the answer of {contract}"),
            source,
        })
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let (a, d) = (address.to_string(), denom.to_string());
        self.shared.call(move |node| node.balance(&a, &d)).await?
    }

    async fn height(&self) -> Result<u64> {
        Ok(*self.shared.heights.borrow())
    }

    async fn wait_until_height(&self, height: u64) -> Result<u64> {
        let mut rx = self.shared.heights.clone();
        let h = *rx
            .wait_for(|h| *h >= height)
            .await
            .map_err(|_| unavailable())?;
        Ok(h)
    }

    fn account_public_key(&self) -> Option<[u8; 33]> {
        Some(compressed(&self.key))
    }

    fn sign_bytes(&self, message: &[u8]) -> Option<[u8; 64]> {
        let sig: Signature = self.key.try_sign(message).ok()?;
        let sig = sig.normalize_s().unwrap_or(sig);
        let bytes = sig.to_bytes();
        <[u8; 64]>::try_from(&bytes[..]).ok()
    }

    /// The registry's key of `address` (an account this chain handed a
    /// signer for), not the Cosmos rule.
    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        self.shared.keys.public_key(address).as_ref() == Some(public_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_distinct() {
        assert_eq!(
            compressed(&account_key("wasm1a")),
            compressed(&account_key("wasm1a"))
        );
        assert_ne!(
            compressed(&account_key("wasm1a")),
            compressed(&account_key("wasm1b"))
        );
    }
}

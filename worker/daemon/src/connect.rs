//! Reaching a wasmd chain from the CLI and the localnet demo: where the
//! node is, which chain it must serve, which deployment file names the
//! contracts, and whose key signs.
//!
//! Keys: `--from NAME` opens the keyring file `HOME/keys/NAME.json`
//! (encrypted; the passphrase comes from `IMPULSE_KEYRING_PASSPHRASE`).
//! `--from test:NAME` derives the TEST-ONLY key `NAME` of
//! `localnet/test-mnemonics.txt` (public mnemonics) and is refused unless
//! the chain id is the localnet's (`impulse-local`) or
//! `IMPULSE_ALLOW_TEST_KEYS=1`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use impulse_chain::api::{Deployment, WasmdChain};
use impulse_chain::keyring::{load_key, save_key, KeyProtection, KeyringAccess};
use impulse_chain::{test_mnemonic, ChainClient, ChainConfig, Signer, DEFAULT_PREFIX};

use crate::error::{io, DaemonError, Result};

/// The localnet's chain id (`localnet/lib.sh`).
pub const LOCALNET_CHAIN_ID: &str = "impulse-local";
/// Environment variable holding the keyring passphrase.
pub const PASSPHRASE_ENV: &str = "IMPULSE_KEYRING_PASSPHRASE";
/// Environment variable that, set to `1`, lets test keys sign on any chain.
pub const ALLOW_TEST_KEYS_ENV: &str = "IMPULSE_ALLOW_TEST_KEYS";

/// Where the chain is and where this user's files are.
#[derive(Clone, Debug)]
pub struct ChainOpts {
    /// gRPC endpoint of a wasmd node, e.g. `http://127.0.0.1:9090`.
    pub node: String,
    pub chain_id: String,
    /// The deployment file (`impulse deploy` writes it).
    pub deployment: PathBuf,
    /// `~/.impulse` by default: keys, deployment, worker data.
    pub home: PathBuf,
}

impl ChainOpts {
    /// The client settings for this node and chain (localnet defaults for
    /// fees and timeouts).
    pub fn config(&self) -> ChainConfig {
        let mut c = ChainConfig::localnet().with_endpoint(self.node.clone());
        c.chain_id = self.chain_id.clone();
        c
    }

    /// Reads the deployment file, with a hint when it is missing.
    pub fn load_deployment(&self) -> Result<Deployment> {
        if !self.deployment.exists() {
            return Err(DaemonError::Input(format!(
                "no deployment file at {} (run `impulse deploy` first, or pass --deployment FILE)",
                self.deployment.display()
            )));
        }
        let d =
            Deployment::load(&self.deployment).map_err(|e| DaemonError::Input(e.to_string()))?;
        if d.chain_id != self.chain_id {
            return Err(DaemonError::Input(format!(
                "the deployment file {} is for chain {:?}, not {:?}",
                self.deployment.display(),
                d.chain_id,
                self.chain_id
            )));
        }
        Ok(d)
    }

    /// The keyring file of key `name`.
    pub fn key_path(&self, name: &str) -> PathBuf {
        self.home.join("keys").join(format!("{name}.json"))
    }

    /// The signer named by `--from`.
    pub fn signer(&self, from: &str) -> Result<Signer> {
        if let Some(name) = from.strip_prefix("test:") {
            let env = std::env::var(ALLOW_TEST_KEYS_ENV).ok();
            if !test_keys_allowed(&self.chain_id, env.as_deref()) {
                return Err(DaemonError::Input(format!(
                    "--from {from}: test keys are public and only accepted on the localnet (chain id {LOCALNET_CHAIN_ID}), not on {:?}",
                    self.chain_id
                )));
            }
            if name.is_empty() {
                return Err(DaemonError::Input(
                    "--from test:NAME needs a name, e.g. test:alice".into(),
                ));
            }
            return Signer::from_mnemonic(&test_mnemonic(name), DEFAULT_PREFIX)
                .map_err(|e| DaemonError::Input(format!("test key {name}: {e}")));
        }
        check_key_name(from)?;
        let path = self.key_path(from);
        if !path.exists() {
            return Err(DaemonError::Input(format!(
                "no key named {from:?} ({} does not exist; `impulse keys add {from}` creates it, or use --from test:NAME on the localnet)",
                path.display()
            )));
        }
        let pass = std::env::var(PASSPHRASE_ENV).map_err(|_| {
            DaemonError::Input(format!(
                "key {from:?} is encrypted: set {PASSPHRASE_ENV} to its passphrase"
            ))
        })?;
        let (_, signer) = load_key(&path, DEFAULT_PREFIX, KeyringAccess::Passphrase(&pass))
            .map_err(|e| DaemonError::Input(format!("key {from:?}: {e}")))?;
        Ok(signer)
    }

    /// Saves `mnemonic` as key `name`, encrypted with the passphrase of
    /// [`PASSPHRASE_ENV`].
    pub fn save_key(&self, name: &str, mnemonic: &str) -> Result<Signer> {
        check_key_name(name)?;
        let pass = std::env::var(PASSPHRASE_ENV).map_err(|_| {
            DaemonError::Input(format!(
                "set {PASSPHRASE_ENV} to the passphrase that will encrypt key {name:?}"
            ))
        })?;
        let path = self.key_path(name);
        if path.exists() {
            return Err(DaemonError::Input(format!(
                "key {name:?} exists already ({})",
                path.display()
            )));
        }
        let dir = path.parent().expect("keys dir");
        io(dir, std::fs::create_dir_all(dir))?;
        save_key(
            &path,
            name,
            mnemonic,
            DEFAULT_PREFIX,
            KeyProtection::Passphrase(&pass),
        )
        .map_err(|e| DaemonError::Input(format!("key {name:?}: {e}")))
    }

    /// A client of the node signing as `from`.
    pub async fn client(&self, from: &str) -> Result<ChainClient> {
        let signer = self.signer(from)?;
        self.client_for(signer).await
    }

    /// A client of the node signing with `signer`.
    pub async fn client_for(&self, signer: Signer) -> Result<ChainClient> {
        ChainClient::connect(self.config(), signer)
            .await
            .map_err(|e| DaemonError::Input(format!("cannot use the node at {}: {e}", self.node)))
    }

    /// The `Chain` of the deployment, signing as `from`.
    pub async fn chain(&self, from: &str) -> Result<Arc<WasmdChain>> {
        let d = self.load_deployment()?;
        let client = self.client(from).await?;
        Ok(Arc::new(WasmdChain::new(client, d)))
    }

    /// The `Chain` of the deployment for read-only commands: signs as
    /// nobody useful (a throwaway key), never sends a transaction.
    pub async fn reader(&self) -> Result<Arc<WasmdChain>> {
        let d = self.load_deployment()?;
        let signer = Signer::from_mnemonic(&test_mnemonic("reader"), DEFAULT_PREFIX)
            .map_err(|e| DaemonError::Input(e.to_string()))?;
        let client = self.client_for(signer).await?;
        Ok(Arc::new(WasmdChain::new(client, d)))
    }
}

/// Test keys are public: only the localnet takes them, unless
/// [`ALLOW_TEST_KEYS_ENV`] is `1` (`env` is its value).
fn test_keys_allowed(chain_id: &str, env: Option<&str>) -> bool {
    chain_id == LOCALNET_CHAIN_ID || env == Some("1")
}

fn check_key_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(DaemonError::Input(format!(
            "bad key name {name:?}: use letters, digits, '-', '_' or '.' (at most 64)"
        )))
    }
}

/// Checks a bech32 account address (prefix `wasm`) and returns it.
pub fn check_address(a: &str) -> Result<String> {
    match a.parse::<cosmrs::AccountId>() {
        Ok(id) if id.prefix() == DEFAULT_PREFIX => Ok(id.to_string()),
        Ok(id) => Err(DaemonError::Input(format!(
            "malformed address {a:?}: prefix {:?}, expected {DEFAULT_PREFIX:?}",
            id.prefix()
        ))),
        Err(e) => Err(DaemonError::Input(format!("malformed address {a:?}: {e}"))),
    }
}

/// The default home: `$IMPULSE_HOME`, else `~/.impulse`.
pub fn default_home() -> PathBuf {
    if let Ok(h) = std::env::var("IMPULSE_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    Path::new(&home).join(".impulse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = impulse_chain::module_address("gov", "wasm");
        assert_eq!(check_address(&a).unwrap(), a);
        assert!(check_address("wasm1xyz")
            .unwrap_err()
            .to_string()
            .contains("malformed"));
        let cosmos = impulse_chain::module_address("gov", "cosmos");
        assert!(check_address(&cosmos)
            .unwrap_err()
            .to_string()
            .contains("prefix"));
    }

    #[test]
    fn test_keys_only_on_the_localnet() {
        let mut o = ChainOpts {
            node: "http://127.0.0.1:1".into(),
            chain_id: LOCALNET_CHAIN_ID.into(),
            deployment: "/nonexistent".into(),
            home: "/nonexistent".into(),
        };
        assert!(o.signer("test:alice").is_ok());
        // Elsewhere only with IMPULSE_ALLOW_TEST_KEYS=1 (decided from the
        // value, so the test does not depend on the environment it runs in).
        assert!(test_keys_allowed(LOCALNET_CHAIN_ID, None));
        assert!(!test_keys_allowed("impulse-1", None));
        assert!(!test_keys_allowed("impulse-1", Some("yes")));
        assert!(test_keys_allowed("impulse-1", Some("1")));
        o.chain_id = "impulse-1".into();
        if std::env::var(ALLOW_TEST_KEYS_ENV).is_err() {
            assert!(o.signer("test:alice").is_err());
        }
        assert!(o
            .signer("../etc/passwd")
            .unwrap_err()
            .to_string()
            .contains("bad key name"));
        assert!(o
            .signer("nobody")
            .unwrap_err()
            .to_string()
            .contains("no key named"));
    }
}

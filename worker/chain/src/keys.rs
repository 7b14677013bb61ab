//! secp256k1 keys derived from a BIP-39 mnemonic on the Cosmos HD path.

use cosmrs::bip32::DerivationPath;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::crypto::PublicKey;
use cosmrs::AccountId;
use zeroize::Zeroizing;

use crate::error::KeyError;

/// The Cosmos HD path (coin type 118), first account, first address.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// bech32 prefix of account addresses on wasmd.
pub const DEFAULT_PREFIX: &str = "wasm";

/// A signing key and its bech32 address. Holds the mnemonic only as long as
/// needed to derive the key.
pub struct Signer {
    key: SigningKey,
    address: AccountId,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("address", &self.address.to_string())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Derives the key at [`COSMOS_HD_PATH`] from a BIP-39 mnemonic (no BIP-39
    /// passphrase) and its address with the given bech32 prefix.
    pub fn from_mnemonic(mnemonic: &str, prefix: &str) -> Result<Signer, KeyError> {
        Self::from_mnemonic_at(mnemonic, prefix, COSMOS_HD_PATH)
    }

    /// As [`Signer::from_mnemonic`] with an explicit HD path.
    pub fn from_mnemonic_at(mnemonic: &str, prefix: &str, path: &str) -> Result<Signer, KeyError> {
        let phrase = bip39::Mnemonic::parse_normalized(mnemonic.trim())
            .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
        let seed = Zeroizing::new(phrase.to_seed(""));
        let path: DerivationPath = path
            .parse()
            .map_err(|e| KeyError::Derivation(format!("HD path {path}: {e}")))?;
        let key = SigningKey::derive_from_path(seed.as_slice(), &path)
            .map_err(|e| KeyError::Derivation(e.to_string()))?;
        let address = key
            .public_key()
            .account_id(prefix)
            .map_err(|e| KeyError::Derivation(e.to_string()))?;
        Ok(Signer { key, address })
    }

    /// A fresh random 24-word mnemonic.
    pub fn generate_mnemonic() -> Zeroizing<String> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, entropy.as_mut_slice());
        let phrase = bip39::Mnemonic::from_entropy(entropy.as_slice())
            .expect("32 bytes is a valid BIP-39 entropy length");
        Zeroizing::new(phrase.to_string())
    }

    /// The bech32 account address.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    /// The public key (goes into each transaction's signer info).
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// The TEST-ONLY mnemonic of the localnet account `name`: the 24-word
/// BIP-39 mnemonic of the entropy `sha256("impulse localnet TEST ONLY key:
/// <name>")`, as listed in `localnet/test-mnemonics.txt`. Anyone can derive
/// it: never use such a key on a real network.
pub fn test_mnemonic(name: &str) -> Zeroizing<String> {
    use sha2::{Digest, Sha256};
    let entropy = Sha256::digest(format!("impulse localnet TEST ONLY key: {name}").as_bytes());
    let phrase = bip39::Mnemonic::from_entropy(&entropy[..])
        .expect("32 bytes is a valid BIP-39 entropy length");
    Zeroizing::new(phrase.to_string())
}

/// The bech32 address of a Cosmos SDK module account: the first 20 bytes of
/// `sha256(module_name)` (`authtypes.NewModuleAddress`). The x/gov module
/// account (`"gov"`) is the authority of governance messages such as
/// `MsgSudoContract`.
pub fn module_address(module_name: &str, prefix: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(module_name.as_bytes());
    AccountId::new(prefix, &hash[..20])
        .expect("a 20-byte address with a valid prefix always encodes")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mnemonics_match_the_localnet_file() {
        let file = include_str!("../../../localnet/test-mnemonics.txt");
        let mut n = 0;
        for line in file.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((name, words)) = line.split_once(':') else {
                continue;
            };
            assert_eq!(test_mnemonic(name.trim()).as_str(), words.trim(), "{name}");
            n += 1;
        }
        assert!(n >= 6, "only {n} test keys in the file");
        assert_ne!(*test_mnemonic("alice"), *test_mnemonic("bob"));
    }

    #[test]
    fn gov_module_address_on_wasmd() {
        // Well-known x/gov module account of every chain with the `wasm` prefix.
        assert_eq!(
            module_address("gov", "wasm"),
            "wasm10d07y265gmmuvt4z0w9aw880jnsr700js7zslc"
        );
    }

    #[test]
    fn derivation_matches_wasmd() {
        // The `validator` key of localnet/test-mnemonics.txt; the address is
        // what `wasmd keys add --recover` (v0.61.14) derived for it.
        let m = "panda worry rice identify across song wrap merge damage ability moment \
                 mistake parrot side example mention chapter trophy slender run abstract box \
                 pig dynamic";
        let signer = Signer::from_mnemonic(m, "wasm").unwrap();
        assert_eq!(
            signer.address().to_string(),
            "wasm13qmeckfky367fymmgvnyfdvm87acvrxv4ckprh"
        );
    }

    #[test]
    fn rejects_bad_mnemonics() {
        assert!(matches!(
            Signer::from_mnemonic("not a mnemonic", "wasm"),
            Err(KeyError::Mnemonic(_))
        ));
        // 24 valid words with a wrong checksum.
        let words = ["abandon"; 24].join(" ");
        assert!(matches!(
            Signer::from_mnemonic(&words, "wasm"),
            Err(KeyError::Mnemonic(_))
        ));
    }

    #[test]
    fn generated_mnemonics_derive_distinct_keys() {
        let a = Signer::generate_mnemonic();
        let b = Signer::generate_mnemonic();
        assert_eq!(a.split_whitespace().count(), 24);
        let sa = Signer::from_mnemonic(&a, "wasm").unwrap();
        let sb = Signer::from_mnemonic(&b, "wasm").unwrap();
        assert_ne!(sa.address(), sb.address());
        assert!(sa.address().to_string().starts_with("wasm1"));
    }
}

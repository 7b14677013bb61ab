//! Keyring files: one key (its BIP-39 mnemonic) per JSON file, encrypted by
//! default.
//!
//! Encrypted format (version 1):
//!
//! ```json
//! { "version": 1, "name": "alice", "address": "wasm1…",
//!   "kdf": { "algorithm": "argon2id", "m_cost_kib": 19456, "t_cost": 2, "p_cost": 1, "salt": "<hex 16 bytes>" },
//!   "cipher": { "algorithm": "chacha20poly1305", "nonce": "<hex 12 bytes>", "ciphertext": "<hex>" } }
//! ```
//!
//! The key of the cipher is Argon2id(passphrase, salt); the additional
//! authenticated data is `impulse-keyring-v1:<name>:<address>`, so a file
//! whose name or address was edited fails to decrypt. A plain-text file
//! (`"plaintext_mnemonic"` instead of `kdf`/`cipher`) is written only on an
//! explicit [`KeyProtection::InsecurePlaintext`] and read only with
//! [`KeyringAccess::InsecurePlaintext`]; it is meant for tests and localnets.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::keys::Signer;

const VERSION: u32 = 1;
/// Argon2id parameters (OWASP's recommended minimum).
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// How a new keyring file protects the mnemonic.
pub enum KeyProtection<'a> {
    /// Encrypted with a key derived from this passphrase (the default).
    Passphrase(&'a str),
    /// Stored in plain text. Tests and localnets only.
    InsecurePlaintext,
}

/// How to open a keyring file.
pub enum KeyringAccess<'a> {
    /// The file must be encrypted; decrypt it with this passphrase.
    Passphrase(&'a str),
    /// Accept a plain-text file (and only a plain-text file).
    InsecurePlaintext,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    name: String,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<Kdf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cipher: Option<Cipher>,
    /// Only in files written with `KeyProtection::InsecurePlaintext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plaintext_mnemonic: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    algorithm: String,
    nonce: String,
    ciphertext: String,
}

fn aad(name: &str, address: &str) -> Vec<u8> {
    format!("impulse-keyring-v1:{name}:{address}").into_bytes()
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    kdf: (u32, u32, u32),
    path: &str,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let (m, t, p) = kdf;
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| KeyError::Malformed {
        path: path.to_string(),
        reason: format!("argon2 parameters: {e}"),
    })?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut_slice())
        .map_err(|e| KeyError::Malformed {
            path: path.to_string(),
            reason: format!("argon2: {e}"),
        })?;
    Ok(out)
}

/// Writes `mnemonic` under `name` to a new keyring file at `path` (mode 0600
/// on Unix), after checking that it derives a key. Returns the signer.
/// Refuses to overwrite an existing file.
pub fn save_key(
    path: &Path,
    name: &str,
    mnemonic: &str,
    prefix: &str,
    protection: KeyProtection<'_>,
) -> Result<Signer, KeyError> {
    let shown = path.display().to_string();
    let signer = Signer::from_mnemonic(mnemonic, prefix)?;
    let address = signer.address().to_string();
    let mut file = KeyFile {
        version: VERSION,
        name: name.to_string(),
        address: address.clone(),
        kdf: None,
        cipher: None,
        plaintext_mnemonic: None,
    };
    match protection {
        KeyProtection::Passphrase(pass) => {
            if pass.is_empty() {
                return Err(KeyError::EmptyPassphrase);
            }
            let mut salt = [0u8; 16];
            let mut nonce = [0u8; 12];
            OsRng.fill_bytes(&mut salt);
            OsRng.fill_bytes(&mut nonce);
            let key = derive_key(pass, &salt, (M_COST_KIB, T_COST, P_COST), &shown)?;
            let cipher = ChaCha20Poly1305::new(&Key::from(*key));
            let ciphertext = cipher
                .encrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: mnemonic.trim().as_bytes(),
                        aad: &aad(name, &address),
                    },
                )
                .map_err(|_| KeyError::Signing("encryption failed".into()))?;
            file.kdf = Some(Kdf {
                algorithm: "argon2id".into(),
                m_cost_kib: M_COST_KIB,
                t_cost: T_COST,
                p_cost: P_COST,
                salt: hex::encode(salt),
            });
            file.cipher = Some(Cipher {
                algorithm: "chacha20poly1305".into(),
                nonce: hex::encode(nonce),
                ciphertext: hex::encode(ciphertext),
            });
        }
        KeyProtection::InsecurePlaintext => {
            file.plaintext_mnemonic = Some(mnemonic.trim().to_string());
        }
    }
    let json = Zeroizing::new(serde_json::to_vec_pretty(&file).expect("key file serialises"));
    write_new_private(path, &json).map_err(|source| KeyError::Io {
        path: shown,
        source,
    })?;
    Ok(signer)
}

fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Opens a keyring file and derives its signer. Also returns the key's name.
pub fn load_key(
    path: &Path,
    prefix: &str,
    access: KeyringAccess<'_>,
) -> Result<(String, Signer), KeyError> {
    let shown = path.display().to_string();
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| KeyError::Io {
        path: shown.clone(),
        source,
    })?);
    let malformed = |reason: String| KeyError::Malformed {
        path: shown.clone(),
        reason,
    };
    let file: KeyFile =
        serde_json::from_slice(&bytes).map_err(|e| malformed(format!("not a key file: {e}")))?;
    if file.version != VERSION {
        return Err(malformed(format!("unsupported version {}", file.version)));
    }
    let mnemonic: Zeroizing<String> = match (&file.plaintext_mnemonic, &file.kdf, &file.cipher) {
        (Some(plain), None, None) => match access {
            KeyringAccess::InsecurePlaintext => Zeroizing::new(plain.clone()),
            KeyringAccess::Passphrase(_) => {
                return Err(KeyError::PlaintextNotAllowed { path: shown })
            }
        },
        (None, Some(kdf), Some(cipher)) => {
            let pass = match access {
                KeyringAccess::Passphrase(p) => p,
                KeyringAccess::InsecurePlaintext => {
                    return Err(KeyError::PassphraseRequired { path: shown })
                }
            };
            if kdf.algorithm != "argon2id" || cipher.algorithm != "chacha20poly1305" {
                return Err(malformed(format!(
                    "unsupported algorithms {} / {}",
                    kdf.algorithm, cipher.algorithm
                )));
            }
            let salt = hex::decode(&kdf.salt).map_err(|e| malformed(format!("salt: {e}")))?;
            let nonce = hex::decode(&cipher.nonce).map_err(|e| malformed(format!("nonce: {e}")))?;
            let nonce: [u8; 12] = nonce
                .as_slice()
                .try_into()
                .map_err(|_| malformed(format!("nonce is {} bytes, not 12", nonce.len())))?;
            let ciphertext = hex::decode(&cipher.ciphertext)
                .map_err(|e| malformed(format!("ciphertext: {e}")))?;
            let key = derive_key(
                pass,
                &salt,
                (kdf.m_cost_kib, kdf.t_cost, kdf.p_cost),
                &shown,
            )?;
            let plain = ChaCha20Poly1305::new(&Key::from(*key))
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: &aad(&file.name, &file.address),
                    },
                )
                .map_err(|_| KeyError::Decrypt {
                    path: shown.clone(),
                })?;
            let plain = Zeroizing::new(plain);
            Zeroizing::new(
                String::from_utf8(plain.to_vec()).map_err(|_| KeyError::Decrypt {
                    path: shown.clone(),
                })?,
            )
        }
        _ => {
            return Err(malformed(
                "needs either plaintext_mnemonic or kdf + cipher".into(),
            ))
        }
    };
    let signer = Signer::from_mnemonic(&mnemonic, prefix)?;
    let derived = signer.address().to_string();
    if derived != file.address {
        return Err(KeyError::AddressMismatch {
            path: shown,
            stored: file.address,
            derived,
        });
    }
    Ok((file.name, signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mnemonic() -> Zeroizing<String> {
        Signer::generate_mnemonic()
    }

    /// Every string value of a JSON document.
    fn json_strings(v: &serde_json::Value) -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a.iter().flat_map(json_strings).collect(),
            serde_json::Value::Object(o) => o.values().flat_map(json_strings).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn encrypted_round_trip_and_not_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alice.json");
        let m = mnemonic();
        let saved = save_key(&path, "alice", &m, "wasm", KeyProtection::Passphrase("pw")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // The mnemonic, or any two of its words in a row, is in no value of
        // the file. (Single words are not checked: BIP-39 words such as
        // `version`, `salt` or `name` are also field names, and short ones
        // can occur inside an address by chance.)
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let values = json_strings(&json);
        assert!(!values.is_empty());
        let words: Vec<&str> = m.split_whitespace().collect();
        for v in &values {
            assert!(!v.contains(m.as_str()), "the mnemonic is in the file");
            for pair in words.windows(2) {
                let run = pair.join(" ");
                assert!(!v.contains(&run), "mnemonic words {run:?} in the file");
            }
        }
        let (name, loaded) = load_key(&path, "wasm", KeyringAccess::Passphrase("pw")).unwrap();
        assert_eq!(name, "alice");
        assert_eq!(loaded.address(), saved.address());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn wrong_passphrase_tamper_and_access_mode_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        save_key(
            &path,
            "k",
            &mnemonic(),
            "wasm",
            KeyProtection::Passphrase("right"),
        )
        .unwrap();
        assert!(matches!(
            load_key(&path, "wasm", KeyringAccess::Passphrase("wrong")),
            Err(KeyError::Decrypt { .. })
        ));
        assert!(matches!(
            load_key(&path, "wasm", KeyringAccess::InsecurePlaintext),
            Err(KeyError::PassphraseRequired { .. })
        ));
        // Renaming the key inside the file breaks authentication.
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = path.with_file_name("edited.json");
        std::fs::write(&edited, text.replace("\"name\": \"k\"", "\"name\": \"x\"")).unwrap();
        assert!(matches!(
            load_key(&edited, "wasm", KeyringAccess::Passphrase("right")),
            Err(KeyError::Decrypt { .. })
        ));
        // No overwrite, no empty passphrase.
        assert!(matches!(
            save_key(
                &path,
                "k",
                &mnemonic(),
                "wasm",
                KeyProtection::Passphrase("p")
            ),
            Err(KeyError::Io { .. })
        ));
        assert!(matches!(
            save_key(
                &dir.path().join("e.json"),
                "e",
                &mnemonic(),
                "wasm",
                KeyProtection::Passphrase("")
            ),
            Err(KeyError::EmptyPassphrase)
        ));
    }

    #[test]
    fn plaintext_only_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let m = mnemonic();
        let saved = save_key(&path, "p", &m, "wasm", KeyProtection::InsecurePlaintext).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains(m.trim()));
        assert!(matches!(
            load_key(&path, "wasm", KeyringAccess::Passphrase("any")),
            Err(KeyError::PlaintextNotAllowed { .. })
        ));
        let (_, loaded) = load_key(&path, "wasm", KeyringAccess::InsecurePlaintext).unwrap();
        assert_eq!(loaded.address(), saved.address());
    }
}

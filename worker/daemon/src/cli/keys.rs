//! `impulse keys add|import|show|list`: the keyring in `HOME/keys`, one
//! encrypted file per key (passphrase in `IMPULSE_KEYRING_PASSPHRASE`).

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{json, Value};

use super::common::Global;
use crate::error::{DaemonError, Result};

#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Create a new key (prints its mnemonic once: write it down).
    Add { name: String },
    /// Import a key from a BIP-39 mnemonic read from stdin.
    Import { name: String },
    /// Show a key's address (`test:NAME` works too).
    Show { name: String },
    /// List the keys in the keyring.
    List,
}

/// `impulse keys ACTION`.
pub fn run(g: &Global, action: KeysAction) -> Result<ExitCode> {
    let o = g.opts();
    let saved = |name: &str, s: impulse_chain::Signer| json!({"name": name, "address": s.address().to_string(), "file": o.key_path(name).display().to_string()});
    match action {
        KeysAction::Add { name } => {
            let mnemonic = impulse_chain::Signer::generate_mnemonic();
            let s = o.save_key(&name, &mnemonic)?;
            eprintln!("Write down this mnemonic; it is shown only once and is the only way to recover the key:\n\n{}\n", mnemonic.as_str());
            g.print(&saved(&name, s));
        }
        KeysAction::Import { name } => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
                DaemonError::Io {
                    path: "stdin".into(),
                    source,
                }
            })?;
            let s = o.save_key(&name, text.trim())?;
            g.print(&saved(&name, s));
        }
        KeysAction::Show { name } => {
            let s = o.signer(&name)?;
            g.print(&json!({"name": name, "address": s.address().to_string()}));
        }
        KeysAction::List => {
            let dir = o.home.join("keys");
            let mut names = Vec::new();
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().to_string();
                    if let Some(n) = n.strip_suffix(".json") {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        let addr = serde_json::from_str::<Value>(&text)
                            .ok()
                            .and_then(|v| v["address"].as_str().map(String::from))
                            .unwrap_or_default();
                        names.push(json!({"name": n, "address": addr}));
                    }
                }
            }
            names.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            g.print(&json!({"keys": names, "dir": dir.display().to_string()}));
        }
    }
    Ok(ExitCode::SUCCESS)
}

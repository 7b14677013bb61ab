//! What the `impulse` binary ships, embedded at build time so that an
//! installed binary (`cargo install --path worker/daemon`) works anywhere,
//! not only inside a checkout: the corpus, base model and tokenizer of
//! `worker/engine/data`, the demo scenarios of `scenarios/`, and the
//! `localnet/` scripts (with `go.mod`, `go.sum` and the TEST-ONLY
//! mnemonics) that `impulse localnet` runs.
//!
//! Scripts cannot run from memory: [`localnet_dir`] writes them once to
//! `${IMPULSE_CACHE:-~/.cache/impulse}/localnet-<hash>/`, a directory named
//! by the hash of its contents, so a new binary with other scripts never
//! reuses stale ones.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{io, Result};

/// The shipped corpus (`worker/engine/data/tiny_tales.txt`, CC0).
pub const CORPUS: &[u8] = include_bytes!("../../engine/data/tiny_tales.txt");
/// The shipped `lm-ref` base model, pretrained on the corpus.
pub const BASE_MODEL: &[u8] = include_bytes!("../../engine/data/base-lm-ref.safetensors");
/// The shipped `tokenizer.json` (BPE over the corpus), for jobs that name
/// a tokenizer instead of the byte tokenizer.
pub const TOKENIZER: &[u8] = include_bytes!("../../engine/data/tokenizer.json");

/// The default demo scenario (`impulse scenario` prints it).
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// Every shipped scenario by name: `default`, and one per behaviour
/// (`scenarios/behaviours/<name>.toml`). `impulse demo --scenario NAME`
/// runs one; `impulse scenario NAME` prints it.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("default", DEFAULT_SCENARIO),
    (
        "cheat_one_step",
        include_str!("../scenarios/behaviours/cheat_one_step.toml"),
    ),
    (
        "fake_final",
        include_str!("../scenarios/behaviours/fake_final.toml"),
    ),
    (
        "false_accuser",
        include_str!("../scenarios/behaviours/false_accuser.toml"),
    ),
    (
        "honest",
        include_str!("../scenarios/behaviours/honest.toml"),
    ),
    (
        "lazy_verifier",
        include_str!("../scenarios/behaviours/lazy_verifier.toml"),
    ),
    (
        "offline",
        include_str!("../scenarios/behaviours/offline.toml"),
    ),
    (
        "skip_steps",
        include_str!("../scenarios/behaviours/skip_steps.toml"),
    ),
    (
        "stale_gradient",
        include_str!("../scenarios/behaviours/stale_gradient.toml"),
    ),
    (
        "tamper_served",
        include_str!("../scenarios/behaviours/tamper_served.toml"),
    ),
    (
        "truncated_batch",
        include_str!("../scenarios/behaviours/truncated_batch.toml"),
    ),
    (
        "withhold",
        include_str!("../scenarios/behaviours/withhold.toml"),
    ),
];

/// The `localnet/` files the scripts need, by file name.
pub const LOCALNET: &[(&str, &str)] = &[
    ("lib.sh", include_str!("../../../localnet/lib.sh")),
    ("build.sh", include_str!("../../../localnet/build.sh")),
    ("init.sh", include_str!("../../../localnet/init.sh")),
    ("start.sh", include_str!("../../../localnet/start.sh")),
    ("stop.sh", include_str!("../../../localnet/stop.sh")),
    ("reset.sh", include_str!("../../../localnet/reset.sh")),
    ("status.sh", include_str!("../../../localnet/status.sh")),
    ("go.mod", include_str!("../../../localnet/go.mod")),
    ("go.sum", include_str!("../../../localnet/go.sum")),
    (
        "test-mnemonics.txt",
        include_str!("../../../localnet/test-mnemonics.txt"),
    ),
];

/// Overrides where the localnet scripts are run from (a `localnet/`
/// directory, e.g. a checkout's while editing the scripts).
pub const LOCALNET_DIR_ENV: &str = "IMPULSE_LOCALNET_DIR";

/// The shipped scenario `name`, if there is one.
pub fn scenario(name: &str) -> Option<&'static str> {
    SCENARIOS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The names of the shipped scenarios.
pub fn scenario_names() -> impl Iterator<Item = &'static str> {
    SCENARIOS.iter().map(|(n, _)| *n)
}

/// The cache directory: `$IMPULSE_CACHE`, else `~/.cache/impulse` (where
/// the localnet scripts also cache wasmd).
pub fn cache_dir() -> PathBuf {
    if let Some(c) = std::env::var_os("IMPULSE_CACHE") {
        return PathBuf::from(c);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    Path::new(&home).join(".cache").join("impulse")
}

/// The directory to run the localnet scripts from: `$IMPULSE_LOCALNET_DIR`
/// when set, else the embedded scripts written under [`cache_dir`] (once
/// per version of them).
pub fn localnet_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os(LOCALNET_DIR_ENV) {
        return Ok(PathBuf::from(d));
    }
    extract(&cache_dir(), "localnet", LOCALNET)
}

/// Writes `files` to `root/<prefix>-<hash of the files>/` unless a complete
/// copy is there already; the directory. A copy is written beside it and
/// renamed into place, so a concurrent run sees all of it or none.
pub fn extract(root: &Path, prefix: &str, files: &[(&str, &str)]) -> Result<PathBuf> {
    let mut h = Sha256::new();
    for (name, text) in files {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    let hash = hex::encode(&h.finalize()[..6]);
    let dir = root.join(format!("{prefix}-{hash}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    io(root, std::fs::create_dir_all(root))?;
    let tmp = io(
        root,
        tempfile::Builder::new()
            .prefix(&format!(".{prefix}-{hash}-"))
            .tempdir_in(root),
    )?;
    for (name, text) in files {
        let path = tmp.path().join(name);
        io(&path, std::fs::write(&path, text))?;
        if name.ends_with(".sh") {
            make_executable(&path)?;
        }
    }
    let staged = tmp.keep();
    if let Err(e) = std::fs::rename(&staged, &dir) {
        // Another run put its copy in place first: use that one.
        let _ = std::fs::remove_dir_all(&staged);
        if !dir.is_dir() {
            return io(&dir, Err(e));
        }
    }
    Ok(dir)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    io(
        path,
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)),
    )
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of a checkout directory (at test time only: the binary
    /// never reads the checkout).
    fn listed(dir: &str, ext: Option<&str>, skip: &[&str]) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| ext.is_none_or(|x| n.ends_with(x)) && !skip.contains(&n.as_str()))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_scenario_and_localnet_file_is_embedded() {
        let mut scenarios: Vec<String> = scenario_names()
            .filter(|n| *n != "default")
            .map(|n| format!("{n}.toml"))
            .collect();
        scenarios.sort();
        assert_eq!(
            scenarios,
            listed("scenarios/behaviours", Some(".toml"), &[]),
            "add new scenario files to assets::SCENARIOS"
        );
        let mut localnet: Vec<String> = LOCALNET.iter().map(|(n, _)| n.to_string()).collect();
        localnet.sort();
        assert_eq!(
            localnet,
            listed("../../localnet", None, &["README.md"]),
            "add new localnet files to assets::LOCALNET"
        );
        for (name, text) in SCENARIOS {
            crate::scenario::Scenario::parse(text, name).unwrap();
        }
        assert!(scenario("withhold").is_some() && scenario("nope").is_none());
        assert!(CORPUS.len() > 1000 && BASE_MODEL.len() > 1000 && TOKENIZER.len() > 1000);
    }

    #[test]
    fn localnet_scripts_are_extracted_once_per_version() {
        let root = tempfile::tempdir().unwrap();
        let dir = extract(root.path(), "localnet", LOCALNET).unwrap();
        assert!(dir.starts_with(root.path()));
        for (name, text) in LOCALNET {
            assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *text);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("build.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111);
        }
        // The same files again: the same directory, nothing rewritten.
        assert_eq!(extract(root.path(), "localnet", LOCALNET).unwrap(), dir);
        // Other files: another directory.
        let other = extract(root.path(), "localnet", &[("lib.sh", "# v2\n")]).unwrap();
        assert_ne!(other, dir);
        let entries = std::fs::read_dir(root.path()).unwrap().count();
        assert_eq!(entries, 2, "no staging directories left behind");
    }
}

#![allow(dead_code)]
use std::path::PathBuf;
use std::process::Command;

use impulse_engine::{BackendKind, Dataset, Engine, Job};

pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/tiny_tales.txt")
}

pub fn corpus_hash() -> String {
    Dataset::load(&corpus(), None).unwrap().hash_hex()
}

/// A small, fast job on the shipped corpus.
pub fn job(seed: u64, steps: u64) -> Job {
    let mut j = Job::new("lm-test", &corpus_hash(), seed, steps, 4);
    j.checkpoint_every = 3;
    j
}

pub fn engine(job: Job) -> Engine {
    Engine::load(job, &corpus(), BackendKind::Flex).unwrap()
}

/// A fresh temporary directory for this test.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("impulse-engine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `cmd` (the engine binary, say), fails the test with its stderr
/// unless it succeeds, and returns its stdout.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

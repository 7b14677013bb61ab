#![allow(dead_code)]
use std::path::PathBuf;

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

//! The seeded runner of the random-sequence tests (checklist item 20): 256
//! cases from a fixed ChaCha seed (reproducible, nothing persisted), and a
//! tally of how often each kind of op succeeded and failed, so that a test
//! can show its sequences were not vacuous.

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::collection::{vec, SizeRange};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Per op kind: how many succeeded and how many failed.
pub type Coverage = BTreeMap<String, (u32, u32)>;

/// Counts the outcomes while the sequences run.
#[derive(Default)]
pub struct Tally(RefCell<Coverage>);

impl Tally {
    /// One more `op` that succeeded (`ok`) or failed.
    pub fn record(&self, op: &impl std::fmt::Debug, ok: bool) {
        let mut cov = self.0.borrow_mut();
        let entry = cov.entry(kind(op)).or_default();
        if ok {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
}

/// The kind of an op: the name of its enum variant in snake_case (of the
/// innermost variant, for an op that wraps another), read from `Debug`:
/// `Staking(ReportMissed { who: 1 })` is `report_missed`.
pub fn kind(op: &impl std::fmt::Debug) -> String {
    let shown = format!("{op:?}");
    let mut rest = shown.as_str();
    loop {
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        match after.strip_prefix('(') {
            Some(inner) if inner.starts_with(|c: char| c.is_ascii_uppercase()) => rest = inner,
            _ => return snake_case(name),
        }
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Run `sequence` on 256 random vectors of `ops` (of `len` ops each) drawn
/// from `seed`; the outcomes it tallied, also printed.
pub fn run_seeded<S: Strategy>(
    seed: u8,
    ops: S,
    len: impl Into<SizeRange>,
    sequence: impl Fn(&[S::Value], &Tally) -> Result<(), TestCaseError>,
) -> Coverage {
    let config = Config {
        cases: 256,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let tally = Tally::default();
    TestRunner::new_with_rng(config, rng)
        .run(&vec(ops, len), |ops| sequence(&ops, &tally))
        .unwrap();
    let coverage = tally.0.into_inner();
    println!("op: ok / failed");
    for (kind, (ok, failed)) in &coverage {
        println!("{kind}: {ok} / {failed}");
    }
    coverage
}

/// Every op of `kinds` (separated by spaces) succeeded (`ok`) or failed
/// (`!ok`) at least `min` times.
#[track_caller]
pub fn assert_covered(coverage: &Coverage, ok: bool, min: u32, kinds: &str) {
    for kind in kinds.split_whitespace() {
        let (succeeded, failed) = coverage.get(kind).copied().unwrap_or_default();
        let (n, what) = if ok {
            (succeeded, "succeeded")
        } else {
            (failed, "failed")
        };
        assert!(n >= min, "{kind} {what} only {n} times (at least {min})");
    }
}

//! The cheats of this module against the engine's replay (moved from the
//! engine's `tests/adversarial.rs`, which now keeps the honest half): each
//! is caught by replay of the step it cheats at, the honest steps before
//! it are never flagged, and the tolerance-mode distances are far above
//! `TAU`.

use std::path::PathBuf;

use impulse_engine::{relative_l2, BackendKind, Job, Trace, Verdict};

use super::*;

/// Recommended tolerance for cross-backend (tolerance-mode) replay.
const TAU: f64 = 1e-4;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/data/tiny_tales.txt")
}

/// A small, fast job on the shipped corpus.
fn job(seed: u64, steps: u64) -> Job {
    let hash = impulse_engine::Dataset::load(&corpus(), None)
        .unwrap()
        .hash_hex();
    let mut j = Job::new("lm-test", &hash, seed, steps, 4);
    j.checkpoint_every = 3;
    j
}

fn engine(job: Job) -> Engine {
    Engine::load(job, &corpus(), BackendKind::Flex).unwrap()
}

/// The trace a prover with conduct `c` commits.
fn prove(e: &Engine, c: &Conduct) -> Trace {
    e.prove_with(|prev| Ok(c.next_state(e, prev)?.0), None)
        .unwrap()
}

fn caught(c: Conduct, bad_step: u64) -> f64 {
    let e = engine(job(5, 6));
    let honest = e.prove(None).unwrap();
    let t = prove(&e, &c);
    assert_ne!(t.commitment.merkle_root, honest.commitment.merkle_root);
    for i in 1..=6 {
        let v = e.verify_step(&t, i);
        if i == bad_step {
            assert!(
                matches!(v, Verdict::Fraud(_)),
                "step {i} of {c:?} not detected"
            );
        } else if i < bad_step {
            assert_eq!(v, Verdict::Honest, "step {i} before the fraud");
        }
    }
    // Tolerance mode: distance between the honest replay of the bad step and
    // what the prover claims there.
    let prev = e.recompute(&t.checkpoints, bad_step - 1).unwrap();
    let claimed = if bad_step == 6 {
        e.decode(&t.final_state).unwrap()
    } else {
        // Before any later fraud the prover's state equals its own chain.
        c.next_state(&e, &prev).unwrap().0
    };
    let replayed = e.step(&prev, &e.batch(bad_step));
    let d = relative_l2(&replayed, &claimed);
    eprintln!("tolerance distance for {c:?}: {d:e}");
    d
}

#[test]
fn skipped_step_detected() {
    let d = caught(Conduct::new(Behaviour::SkipSteps, CheatSteps::only([3])), 3);
    assert!(d > 100.0 * TAU, "distance {d}");
}

#[test]
fn truncated_batch_detected() {
    let d = caught(
        Conduct::new(Behaviour::TruncatedBatch, CheatSteps::only([4])),
        4,
    );
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn stale_gradient_detected() {
    let d = caught(
        Conduct::new(Behaviour::StaleGradient, CheatSteps::only([2])),
        2,
    );
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn fake_final_detected() {
    let d = caught(Conduct::new(Behaviour::FakeFinal, CheatSteps::every()), 6);
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn tampered_checkpoint_detected_and_honest_replay_distance_is_zero() {
    let e = engine(job(9, 6));
    let c = Conduct::new(Behaviour::TamperServed, CheatSteps::only([3]));
    let t = prove(&e, &c);
    // Commitment itself is honest...
    let honest = e.prove(None).unwrap();
    assert_eq!(t.hashes, honest.hashes);
    // ...but the served state_3 fails its leaf check when step 4 is replayed.
    let serve = |s: u64| -> impulse_engine::Result<Vec<u8>> {
        let state = e.recompute(&t.checkpoints, s)?;
        let bytes = Bytes::from(state.encode());
        Ok(c.served(&e, &state, bytes)?.unwrap_or_default().to_vec())
    };
    match e.verify_step_with(&t, 4, serve) {
        Verdict::Fraud(m) => assert!(m.contains("hash mismatch"), "{m}"),
        v => panic!("tampered checkpoint not detected: {v:?}"),
    }
    assert_eq!(e.verify_step_with(&t, 3, serve), Verdict::Honest);
    // Honest replay: distance exactly 0.
    let s3 = e.recompute(&honest.checkpoints, 3).unwrap();
    let s4 = e.recompute(&honest.checkpoints, 4).unwrap();
    let (r4, _) = e.replay(&s3.encode(), &honest.hashes[3], 4).unwrap();
    assert_eq!(relative_l2(&r4, &s4), 0.0);
}

#[test]
fn names_and_cheat_steps_parse() {
    for b in Behaviour::ALL {
        assert_eq!(b.as_str().parse::<Behaviour>().unwrap(), *b);
    }
    assert_eq!("tamper_served".parse(), Ok(Behaviour::TamperServed));
    let e = "sneaky".parse::<Behaviour>().unwrap_err();
    assert!(e.contains("sneaky") && e.contains("tamper_served"), "{e}");
    #[derive(serde::Deserialize)]
    struct P {
        #[serde(default)]
        cheat_steps: CheatSteps,
    }
    let p: P = toml::from_str("cheat_steps = [6]").unwrap();
    assert_eq!(p.cheat_steps, CheatSteps::only([6]));
    assert!(p.cheat_steps.contains(6) && !p.cheat_steps.contains(5));
    let p: P = toml::from_str("").unwrap();
    assert!(p.cheat_steps.contains(1) && p.cheat_steps.contains(1000));
    assert!(Behaviour::SkipSteps.cheats_training());
    assert!(!Behaviour::TamperServed.cheats_training());
}

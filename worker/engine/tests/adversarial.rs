//! Adversarial provers are caught by replay of the affected step; honest
//! steps are never flagged; tolerance-mode distances.

mod common;

use common::*;
use impulse_engine::{relative_l2, Behaviour, Verdict};

/// Recommended tolerance for cross-backend (tolerance-mode) replay.
const TAU: f64 = 1e-4;

#[test]
fn honest_prover_never_flagged() {
    // 5 seeds x 10 steps, every step replayed from a served (stored or
    // recomputed) state.
    for seed in [1u64, 2, 3, 4, 5] {
        let e = engine(job(seed, 10));
        let t = e.prove(&Behaviour::honest(), None).unwrap();
        for i in 1..=10 {
            assert_eq!(
                e.verify_step(&t, i),
                Verdict::Honest,
                "seed {seed} step {i}"
            );
        }
    }
}

fn caught(b: Behaviour, bad_step: u64) -> f64 {
    let e = engine(job(5, 6));
    let honest = e.prove(&Behaviour::honest(), None).unwrap();
    let t = e.prove(&b, None).unwrap();
    assert_ne!(t.commitment.merkle_root, honest.commitment.merkle_root);
    for i in 1..=6 {
        let v = e.verify_step(&t, i);
        if i == bad_step {
            assert!(
                matches!(v, Verdict::Fraud(_)),
                "step {i} of {b:?} not detected"
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
        let mut s = prev.clone();
        let mut batch = e.batch(bad_step);
        if b.stale.contains(&bad_step) {
            batch = e.batch(bad_step - 1);
        }
        if b.truncate.contains(&bad_step) {
            batch = batch.truncated(batch.rows / 2);
        }
        if !b.skip.contains(&bad_step) {
            s = e.step(&prev, &batch);
        } else {
            s.step = bad_step;
        }
        s
    };
    let replayed = e.step(&prev, &e.batch(bad_step));
    let d = relative_l2(&replayed, &claimed);
    eprintln!("tolerance distance for {b:?}: {d:e}");
    d
}

#[test]
fn skipped_step_detected() {
    let b = Behaviour {
        skip: [3].into(),
        ..Default::default()
    };
    let d = caught(b, 3);
    assert!(d > 100.0 * TAU, "distance {d}");
}

#[test]
fn truncated_batch_detected() {
    let b = Behaviour {
        truncate: [4].into(),
        ..Default::default()
    };
    let d = caught(b, 4);
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn stale_gradient_detected() {
    let b = Behaviour {
        stale: [2].into(),
        ..Default::default()
    };
    let d = caught(b, 2);
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn fake_final_detected() {
    let b = Behaviour {
        fake_final: true,
        ..Default::default()
    };
    let d = caught(b, 6);
    assert!(d > 10.0 * TAU, "distance {d}");
}

#[test]
fn tampered_checkpoint_detected_and_honest_replay_distance_is_zero() {
    let e = engine(job(9, 6));
    let b = Behaviour {
        tamper_served: [3].into(),
        ..Default::default()
    };
    let t = e.prove(&b, None).unwrap();
    // Commitment itself is honest...
    let honest = e.prove(&Behaviour::honest(), None).unwrap();
    assert_eq!(t.hashes, honest.hashes);
    // ...but the served state_3 fails its leaf check when step 4 is replayed.
    match e.verify_step(&t, 4) {
        Verdict::Fraud(m) => assert!(m.contains("hash mismatch"), "{m}"),
        v => panic!("tampered checkpoint not detected: {v:?}"),
    }
    assert_eq!(e.verify_step(&t, 3), Verdict::Honest);
    // Honest replay: distance exactly 0.
    let s3 = e.recompute(&honest.checkpoints, 3).unwrap();
    let s4 = e.recompute(&honest.checkpoints, 4).unwrap();
    let (r4, _) = e.replay(&s3.encode(), &honest.hashes[3], 4).unwrap();
    assert_eq!(relative_l2(&r4, &s4), 0.0);
}

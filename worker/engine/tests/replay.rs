//! Replay never flags an honest prover. The adversarial provers (each
//! caught by replay of the step it cheats at, with their tolerance-mode
//! distances) are tested next to them, in `impulse-daemon`'s
//! `src/adversary/tests.rs`: the engine has no cheats of its own.

mod common;

use common::*;
use impulse_engine::Verdict;

#[test]
fn honest_prover_never_flagged() {
    // 5 seeds x 10 steps, every step replayed from a served (stored or
    // recomputed) state.
    for seed in [1u64, 2, 3, 4, 5] {
        let e = engine(job(seed, 10));
        let t = e.prove(None).unwrap();
        for i in 1..=10 {
            assert_eq!(
                e.verify_step(&t, i),
                Verdict::Honest,
                "seed {seed} step {i}"
            );
        }
    }
}

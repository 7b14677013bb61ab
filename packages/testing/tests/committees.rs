//! Issue 14, finding 3: how often a forged job settles and how often an
//! honest verifier is slashed when a share `f` of the verifiers are Sybils
//! colluding with the prover, measured through the contracts (seeded) and
//! compared with the exact computation for the same population
//! (`impulse_testing::analysis`). `cargo run -p impulse-testing --example
//! soundness` prints the full tables.

use impulse_testing::analysis::{escalation_finite, escalation_share, majority_rule, Share};
use impulse_testing::committees::simulate;

const N: usize = 20;
const JOBS: usize = 60;

#[test]
fn forged_jobs_settle_as_rarely_as_the_exact_computation_says() {
    println!("| Sybils of {N} | settles: measured | exact | honest slashed: measured | exact |");
    println!("|---:|---:|---:|---:|---:|");
    for (i, sybils) in [1usize, 2, 4, 7].into_iter().enumerate() {
        let exact = escalation_finite(N as u64, sybils as u64, 3, 7);
        let got = simulate(N, sybils, JOBS, 1_000 + i as u64);
        println!(
            "| {sybils} | {:.3} | {:.3} | {:.3} | {:.3} |",
            got.forged_settles, exact.forged_settles, got.honest_slashed, exact.honest_slashed
        );
        for (m, e) in [
            (got.forged_settles, exact.forged_settles),
            (got.honest_slashed, exact.honest_slashed),
        ] {
            // Four standard errors of a binomial proportion, plus a little.
            let tol = 4.0 * (e * (1.0 - e) / JOBS as f64).sqrt() + 0.02;
            assert!(
                (m - e).abs() <= tol,
                "{sybils} Sybils: measured {m:.3}, exact {e:.3} (tolerance {tol:.3})"
            );
        }
    }
}

#[test]
fn escalation_lowers_both_risks_at_every_sybil_share() {
    for f in [0.05, 0.1, 0.2, 0.33] {
        let old = majority_rule(&Share(f), 3);
        let new = escalation_share(f, 3, 7);
        assert!(new.forged_settles < old.forged_settles, "f = {f}");
        assert!(new.honest_slashed < old.honest_slashed, "f = {f}");
    }
}

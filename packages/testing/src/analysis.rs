//! Exact probabilities and expected values of the attacks of issue 14, at
//! the protocol's parameters (`f64`: analysis only, never contract code).
//! `examples/soundness.rs` prints them as tables next to seeded simulations
//! through the contracts; `tests/committees.rs` checks the two agree.

/// `P(X = j)` for `X ~ Hypergeometric(population n, successes s, draws k)`:
/// `s` of the `n` equally weighted verifiers are Sybils.
pub fn hypergeometric(n: u64, s: u64, k: u64, j: u64) -> f64 {
    if j > s || j > k || k - j > n - s {
        return 0.0;
    }
    choose(s, j) * choose(n - s, k - j) / choose(n, k)
}

/// `P(X = j)` for `X ~ Binomial(k, f)` (a large population with a share
/// `f` of the verifier weight).
pub fn binomial(k: u64, f: f64, j: u64) -> f64 {
    if j > k {
        return 0.0;
    }
    choose(k, j) * f.powi(j as i32) * (1.0 - f).powi((k - j) as i32)
}

fn choose(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// How many Sybils sit on a committee of `k`: `p(k, j)`.
pub trait Draws {
    fn p(&self, k: u64, j: u64) -> f64;
}

/// An infinite population with a Sybil share `f` of the weight.
pub struct Share(pub f64);

impl Draws for Share {
    fn p(&self, k: u64, j: u64) -> f64 {
        binomial(k, self.0, j)
    }
}

/// A population of `n` equally weighted verifiers, `sybils` of them
/// Sybil. The escalated committee is drawn from the `n - k` who were not on
/// the first one (`Level2`).
pub struct Finite {
    pub n: u64,
    pub sybils: u64,
}

impl Draws for Finite {
    fn p(&self, k: u64, j: u64) -> f64 {
        hypergeometric(self.n, self.sybils, k, j)
    }
}

/// What a forged job (its prover colludes with every Sybil verifier, who
/// rubber-stamp it; honest verifiers report the forgery) comes to.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Committees {
    /// The forged job settles (is paid).
    pub forged_settles: f64,
    /// Honest verifiers who judged it are slashed (they lost the vote).
    pub honest_slashed: f64,
}

/// The rule before issue 14: one committee of `k`, its strict majority
/// decides and the minority is slashed.
pub fn majority_rule(d: &impl Draws, k: u64) -> Committees {
    let mut out = Committees::default();
    for j in 0..=k {
        let p = d.p(k, j);
        if 2 * j > k {
            out.forged_settles += p;
            if j < k {
                out.honest_slashed += p;
            }
        }
    }
    out
}

/// The rule of issue 14: a unanimous committee of `k` decides; any dissent
/// escalates to a fresh committee of `k1` (`2k + 1`) whose strict majority
/// decides (ties are undecided: never paid); everyone against the decision
/// is slashed. `second` gives the Sybils on the escalated committee given
/// `j` on the first (a finite population has fewer left).
pub fn escalation_rule(
    d: &impl Draws,
    k: u64,
    k1: u64,
    second: impl Fn(u64, u64) -> f64,
) -> Committees {
    let mut out = Committees::default();
    out.forged_settles += d.p(k, k);
    for j in 1..k {
        let p = d.p(k, j);
        for y in 0..=k1 {
            let q = second(j, y);
            if 2 * y > k1 {
                out.forged_settles += p * q;
                out.honest_slashed += p * q;
            }
        }
    }
    out
}

/// [`escalation_rule`] for an infinite population with Sybil share `f`.
pub fn escalation_share(f: f64, k: u64, k1: u64) -> Committees {
    escalation_rule(&Share(f), k, k1, |_, y| binomial(k1, f, y))
}

/// [`escalation_rule`] for `n` equal verifiers of which `sybils` are
/// Sybils: the second committee comes from those not on the first.
pub fn escalation_finite(n: u64, sybils: u64, k: u64, k1: u64) -> Committees {
    let d = Finite { n, sybils };
    escalation_rule(&d, k, k1, |j, y| {
        hypergeometric(n - k, sybils - j.min(sybils), k1, y)
    })
}

/// A prover that falsifies `c` of `L` steps (the last one excluded) escapes
/// the challenge with probability `(1 - alpha)^c`; falsifying the last step
/// never escapes (it is always challenged).
pub fn escape(alpha: f64, c: u64) -> f64 {
    (1.0 - alpha).powi(c as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_sum_to_one() {
        let s: f64 = (0..=7).map(|j| binomial(7, 0.3, j)).sum();
        assert!((s - 1.0).abs() < 1e-12);
        let h: f64 = (0..=5).map(|j| hypergeometric(20, 6, 5, j)).sum();
        assert!((h - 1.0).abs() < 1e-12);
        assert_eq!(hypergeometric(10, 2, 3, 3), 0.0);
    }

    #[test]
    fn escalation_beats_the_majority_rule() {
        // Both risks fall at every Sybil share: tests/committees.rs,
        // escalation_lowers_both_risks_at_every_sybil_share.
        // One Sybil can no longer settle a forged job with one more vote.
        let f = 0.1;
        let old = majority_rule(&Share(f), 3).forged_settles;
        assert!((old - (3.0 * f * f * (1.0 - f) + f * f * f)).abs() < 1e-12);
    }
}

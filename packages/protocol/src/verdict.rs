//! The committee's decision (protocol.md §6.6). A committee that agrees
//! decides. Any disagreement escalates to a fresh committee of `2k + 1`
//! (the honest minority of a committee cannot be outvoted by a Sybil
//! majority without a second, larger draw agreeing); at the last level the
//! strict majority per step decides, a step without one is undecided (never
//! paid), and everyone who voted against a decision voted falsely.

/// Revealed verdicts needed for any decision: a strict majority of the
/// committee of `k`.
pub fn quorum(k: usize) -> usize {
    k / 2 + 1
}

/// The size of the committee a disagreement escalates to from one of `k`:
/// `2k + 1`, at most `max_committee`.
pub fn escalated_size(k: u32, max_committee: u32) -> u32 {
    k.saturating_mul(2)
        .saturating_add(1)
        .min(max_committee)
        .max(k)
}

/// Verifier seats a job may fill: its committee of `k` and each of the
/// `escalations` larger committees after it (for the budget).
pub fn verifier_seats(k: u32, escalations: u32, max_committee: u32) -> u64 {
    let (mut size, mut seats) = (k, k as u64);
    for _ in 0..escalations.min(16) {
        size = escalated_size(size, max_committee);
        seats += size as u64;
    }
    seats
}

/// How a level of verification ends, given each revealed verdict's votes
/// per challenged step (`votes[v][j]`: verifier `v` says step `j` does not
/// replay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every verdict says the same on every step: `Some(j)` is a step all
    /// say is wrong (fraud), `None` means all steps replay.
    Unanimous(Option<usize>),
    /// The verdicts disagree somewhere: a larger committee is needed, or
    /// (at the last level) the majority per step decides.
    Disputed,
}

/// Whether the revealed `votes` agree (see [`Outcome`]).
pub fn outcome(votes: &[Vec<bool>]) -> Outcome {
    let Some(first) = votes.first() else {
        return Outcome::Disputed;
    };
    if votes.iter().any(|v| v != first) {
        return Outcome::Disputed;
    }
    Outcome::Unanimous(first.iter().position(|m| *m))
}

/// The strict majority of `votes` (`true`: "the step does not replay"):
/// `Some(true)` when more than half say mismatch, `Some(false)` when more
/// than half say match, `None` when neither side has more than half.
pub fn majority(votes: &[bool]) -> Option<bool> {
    let against = votes.iter().filter(|v| **v).count();
    let n = votes.len();
    if against * 2 > n {
        Some(true)
    } else if (n - against) * 2 > n {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_majorities_only() {
        assert_eq!(quorum(3), 2);
        assert_eq!(quorum(4), 3);
        assert_eq!(majority(&[true, true, false]), Some(true));
        assert_eq!(majority(&[false, false, true]), Some(false));
        assert_eq!(majority(&[true, false]), None);
        assert_eq!(majority(&[]), None);
    }

    #[test]
    fn escalation_sizes_and_outcomes() {
        assert_eq!(escalated_size(3, 15), 7);
        assert_eq!(escalated_size(7, 15), 15);
        assert_eq!(escalated_size(15, 15), 15);
        assert_eq!(verifier_seats(3, 1, 15), 10);
        assert_eq!(verifier_seats(3, 0, 15), 3);
        assert_eq!(verifier_seats(3, 2, 15), 25);
        assert_eq!(
            outcome(&[vec![false, false], vec![false, false]]),
            Outcome::Unanimous(None)
        );
        assert_eq!(
            outcome(&[vec![false, true], vec![false, true]]),
            Outcome::Unanimous(Some(1))
        );
        assert_eq!(
            outcome(&[vec![false, true], vec![false, false]]),
            Outcome::Disputed
        );
        assert_eq!(outcome(&[]), Outcome::Disputed);
    }
}

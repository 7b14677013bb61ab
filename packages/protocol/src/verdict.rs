//! The committee's decision (protocol.md §6.6): per challenged step the
//! strict majority of the revealed verdicts decides; members against it
//! voted falsely.

/// Revealed verdicts needed for any decision: a strict majority of the
/// committee of `k`.
pub fn quorum(k: usize) -> usize {
    k / 2 + 1
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
}

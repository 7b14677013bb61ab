//! Heartbeats (protocol.md §2): a provider is due one every
//! `heartbeat_blocks`. The staking contract counts missed intervals with
//! this rule and the keeper reports a provider only when it says so.

/// Missed intervals since the heartbeat at `last`, as of `now`. The
/// heartbeat due at `last + every` is on time up to and including that block.
pub fn missed_intervals(last: u64, now: u64, every: u64) -> u64 {
    let every = every.max(1);
    match now.checked_sub(last) {
        Some(gap) if gap > every => (gap - 1) / every,
        _ => 0,
    }
}

/// Whether a provider whose last heartbeat was at `last` has missed an
/// interval that nobody has accounted yet (`accounted` of them are).
pub fn report_due(last: u64, now: u64, every: u64, accounted: u64) -> bool {
    missed_intervals(last, now, every) > accounted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_up_to_the_due_block() {
        assert_eq!(missed_intervals(100, 200, 100), 0);
        assert_eq!(missed_intervals(100, 201, 100), 1);
        assert_eq!(missed_intervals(100, 300, 100), 1);
        assert_eq!(missed_intervals(100, 301, 100), 2);
        assert_eq!(missed_intervals(100, 50, 100), 0);
        assert!(report_due(100, 301, 100, 1));
        assert!(!report_due(100, 301, 100, 2));
    }
}

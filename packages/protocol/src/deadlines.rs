//! Deadlines (protocol.md §4, §6): every phase of a job has a last block.
//! A deadline `d` is still open at height `d` and passed from `d + 1` on;
//! the contract refuses late messages and `ProcessTimeouts` handles passed
//! deadlines with this one rule, and keepers only crank when it says so.

use impulse_types::marketplace::MarketplaceParams;

use crate::Overflow;

/// Whether deadline `deadline` has passed at height `now`.
pub fn passed(deadline: u64, now: u64) -> bool {
    now > deadline
}

/// `now + blocks`.
pub fn after(now: u64, blocks: u64) -> Result<u64, Overflow> {
    now.checked_add(blocks).ok_or(Overflow { what: "deadline" })
}

/// The training deadline of a job of `steps` steps assigned at `now`:
/// `now + train_base_blocks + steps * blocks_per_step`.
pub fn training(now: u64, steps: u64, p: &MarketplaceParams) -> Result<u64, Overflow> {
    p.blocks_per_step
        .checked_mul(steps)
        .and_then(|v| v.checked_add(p.train_base_blocks))
        .and_then(|v| v.checked_add(now))
        .ok_or(Overflow {
            what: "training deadline",
        })
}

/// The last block by which a job assigned at `now` can have been judged,
/// every window used to its end: training, secrets and their reveal, the
/// verdict windows of the committee and of each escalation, and every new
/// committee after a missed quorum. Stake backing the job stays slashable
/// until then (staking's `HoldStake`).
pub fn judged_by(now: u64, steps: u64, p: &MarketplaceParams) -> Result<u64, Overflow> {
    let verdict = p
        .verify_commit_blocks
        .saturating_add(p.verify_reveal_blocks);
    let round = p
        .secret_blocks
        .saturating_add(p.reveal_blocks)
        .saturating_add(verdict);
    let levels = verdict.saturating_mul(u64::from(p.max_escalations));
    let redraws = round.saturating_mul(u64::from(p.max_committee_draws));
    let tail = round.saturating_add(levels).saturating_add(redraws);
    training(now, steps, p)?
        .checked_add(tail)
        .ok_or(Overflow { what: "judgement" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_open_at_its_own_block() {
        assert!(!passed(10, 10));
        assert!(passed(10, 11));
        let p = MarketplaceParams::default();
        assert_eq!(
            training(1_000, 30, &p).unwrap(),
            1_000 + p.train_base_blocks + 30 * p.blocks_per_step
        );
        assert!(training(u64::MAX, 1, &p).is_err());
        assert!(after(u64::MAX, 1).is_err());
        let judged = judged_by(1_000, 30, &p).unwrap();
        assert!(judged > training(1_000, 30, &p).unwrap() + p.verify_reveal_blocks);
    }
}

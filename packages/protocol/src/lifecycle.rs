//! The job lifecycle (protocol.md §4): which transitions exist. The
//! marketplace refuses any other move, and the daemon and keeper read the
//! same list of states in which a party still has to act.
//!
//! ```text
//! Queued -> Assigned -> Committed -> Challenged -> Verifying -> Settled
//!   |          |            ^           ^              |
//!   |          |            |           +--------------+ (escalation)
//!   |          |            +--------------------------+ (new committee)
//!   |          +-> Queued / Failed / Expired           +-> Queued / Failed / Expired
//!   +-> Cancelled / Expired    (and Committed -> Queued / Failed / Expired
//!                               when a new committee commits no secret)
//! ```

use impulse_types::marketplace::JobState::{self, *};

/// States in which someone (prover, committee, keeper) still has to act
/// before a deadline. A job in any other state needs nothing from providers.
pub const ACTIVE: [JobState; 4] = [Assigned, Committed, Challenged, Verifying];

/// Whether the lifecycle has a transition `from -> to`.
pub fn can_move(from: JobState, to: JobState) -> bool {
    match (from, to) {
        // Matched, cancelled by its trainer, or its deadline passed.
        (Queued, Assigned | Cancelled | Expired) => true,
        // The prover committed, or missed its training deadline (re-queued,
        // failed after its last attempt, or expired past its deadline).
        (Assigned, Committed | Queued | Failed | Expired) => true,
        // The secrets are in (or their window closed): the challenge is
        // fixed; or a new committee never committed any secret (re-queued,
        // failed or expired; the prover is not at fault).
        (Committed, Challenged | Queued | Failed | Expired) => true,
        // Every verdict is committed (or the window closed).
        (Challenged, Verifying) => true,
        // Decided: settled; fraud, withholding, an undecided step or no
        // quorum (re-queued, failed or expired); a dispute escalates to a
        // larger committee (Challenged, same steps); a missed quorum draws a
        // new committee, which commits new secrets for a new challenge
        // (Committed).
        (Verifying, Settled | Queued | Failed | Expired | Challenged | Committed) => true,
        _ => false,
    }
}

/// Whether a job in `state` is waiting on a party that is still at work.
pub fn is_active(state: JobState) -> bool {
    ACTIVE.contains(&state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_never_move_and_every_state_is_reachable() {
        for from in JobState::ALL {
            if from.is_terminal() {
                assert!(
                    JobState::ALL.iter().all(|to| !can_move(from, *to)),
                    "{from}"
                );
            }
        }
        for to in JobState::ALL {
            if to != Queued {
                assert!(JobState::ALL.iter().any(|from| can_move(*from, to)), "{to}");
            }
        }
        for s in ACTIVE {
            assert!(is_active(s) && !s.is_terminal());
            // Every active state has a way forward and a way out.
            assert!(JobState::ALL.iter().any(|to| can_move(s, *to)));
        }
        assert!(
            !can_move(Challenged, Queued),
            "a challenged job is always verified"
        );
        assert!(
            !can_move(Assigned, Challenged),
            "no challenge without a root"
        );
    }
}

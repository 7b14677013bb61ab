//! The permissionless cranks any daemon may turn (protocol.md §4, §7, §8):
//! handle passed deadlines (`ProcessTimeouts`), match queued jobs
//! (`RunScheduler`), close finished epochs (`CloseEpoch`) and report
//! providers whose heartbeats are overdue (`ReportMissedHeartbeats`).
//! Each is sent only when a query shows it has something to do, judged by
//! the contracts' own rules (`impulse_protocol`): which job states are
//! active, when a deadline has passed, when a heartbeat interval is missed.
//! A [`Keeper`] remembers when it last looked at the queue and at the
//! heartbeats, so a pass that comes late (a slow tick, a poll interval
//! longer than a block) still looks: the checks are due by elapsed blocks,
//! not on chosen heights a late pass can step over.

use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Rewards, Staking};
use impulse_protocol::{deadlines, heartbeat, lifecycle};
use impulse_types::marketplace::JobResponse;

use crate::error::{ChainContext, Result};

/// Page size of the list reads.
const PAGE: u32 = 30;

/// The staking contract's heartbeat interval (blocks).
pub async fn heartbeat_blocks<C: Chain>(chain: &C) -> Result<u64> {
    let cfg = Staking::new(chain)
        .config()
        .await
        .ctx(|| "reading the staking config".into())?;
    Ok(cfg.params.heartbeat_blocks.max(1))
}

/// Every job in an active state ([`lifecycle::ACTIVE`]: someone still has
/// to act before a deadline), all pages: what a provider works on and what
/// the keeper checks deadlines on.
pub async fn active_jobs<C: Chain>(chain: &C) -> Result<Vec<JobResponse>> {
    let market = Marketplace::new(chain);
    let mut out = Vec::new();
    for state in lifecycle::ACTIVE {
        let mut start_after = None;
        loop {
            let page = market
                .jobs_in(Some(state), start_after, Some(PAGE))
                .await
                .ctx(|| "listing jobs".into())?;
            let n = page.jobs.len();
            start_after = page.jobs.last().map(|j| j.id);
            out.extend(page.jobs);
            if n < PAGE as usize {
                break;
            }
        }
    }
    Ok(out)
}

/// What one crank pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cranked {
    pub timeouts: bool,
    pub scheduled: bool,
    pub epoch_closed: bool,
    pub reported: Vec<String>,
}

/// Blocks between two looks at the queue.
pub const SCHEDULE_EVERY: u64 = 3;

/// When a keeper last looked at the queue and at the heartbeats.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Keeper {
    scheduled_at: Option<u64>,
    heartbeats_at: Option<u64>,
}

/// Whether a check last made at `last` is due again at `height`, `every`
/// blocks later (at once the first time; again after a chain reset).
fn due(last: Option<u64>, height: u64, every: u64) -> bool {
    last.is_none_or(|l| height < l || height >= l.saturating_add(every))
}

impl Keeper {
    /// One pass of every crank at `height`.
    pub async fn crank<C: Chain>(&mut self, chain: &C, height: u64) -> Result<Cranked> {
        let timeouts = timeouts(chain, height).await?;
        let mut scheduled = false;
        if due(self.scheduled_at, height, SCHEDULE_EVERY) {
            scheduled = schedule(chain).await?;
            self.scheduled_at = Some(height);
        }
        let epoch_closed = close_epoch(chain, height).await?;
        // Every half interval: a provider is reported within half an
        // interval of its miss.
        let every = heartbeat_blocks(chain).await?;
        let mut reported = Vec::new();
        if due(self.heartbeats_at, height, every.div_ceil(2).max(1)) {
            reported = report_missed(chain, height, every).await?;
            self.heartbeats_at = Some(height);
        }
        Ok(Cranked {
            timeouts,
            scheduled,
            epoch_closed,
            reported,
        })
    }
}

/// `ProcessTimeouts` when an active job's deadline has passed; whether it
/// was accepted.
async fn timeouts<C: Chain>(chain: &C, height: u64) -> Result<bool> {
    let market = Marketplace::new(chain);

    // Passed deadlines of active jobs. Another keeper may have been first:
    // a rejection is not an error.
    let passed = active_jobs(chain).await?.iter().any(|j| {
        j.phase_deadline
            .is_some_and(|d| deadlines::passed(d, height))
    });
    Ok(passed && market.process_timeouts(Some(16)).await.is_ok())
}

/// `RunScheduler` when jobs are queued; whether it was accepted.
async fn schedule<C: Chain>(chain: &C) -> Result<bool> {
    let market = Marketplace::new(chain);
    let q = market
        .queue(None, Some(1))
        .await
        .ctx(|| "reading the queue".into())?;
    Ok(!q.entries.is_empty() && market.run_scheduler(Some(8)).await.is_ok())
}

/// `CloseEpoch` when the open epoch has ended; whether it was accepted.
async fn close_epoch<C: Chain>(chain: &C, height: u64) -> Result<bool> {
    let rewards = Rewards::new(chain);
    let e = rewards
        .current_epoch()
        .await
        .ctx(|| "reading the current epoch".into())?;
    Ok(e.end_height <= height && rewards.close_epoch().await.is_ok())
}

/// Overdue heartbeats: a report for each provider with a missed interval
/// the contract has not accounted yet (it counts them since the last
/// heartbeat in `consecutive_misses`); the providers reported.
async fn report_missed<C: Chain>(chain: &C, height: u64, every: u64) -> Result<Vec<String>> {
    let staking = Staking::new(chain);
    let mut reported = Vec::new();
    let mut start_after = None;
    loop {
        let page = staking
            .providers(start_after.clone(), Some(PAGE))
            .await
            .ctx(|| "listing providers".into())?;
        let n = page.providers.len();
        start_after = page.providers.last().map(|p| p.address.to_string());
        for p in page.providers {
            let accounted = u64::from(p.consecutive_misses);
            if !heartbeat::report_due(p.last_heartbeat, height, every, accounted) {
                continue;
            }
            let addr = p.address.to_string();
            if let Ok(r) = staking.report_missed_heartbeats(&addr).await {
                if r.attr("wasm", "missed_intervals").is_some_and(|m| m != "0") {
                    reported.push(addr);
                }
            }
        }
        if n < PAGE as usize {
            break;
        }
    }
    Ok(reported)
}

#[cfg(test)]
mod tests {
    use super::due;

    #[test]
    fn a_late_pass_still_checks() {
        // First pass: at once.
        assert!(due(None, 17, 10));
        // Not again before `every` blocks...
        assert!(!due(Some(17), 18, 10));
        assert!(!due(Some(17), 26, 10));
        // ...and at any later height, whichever it is: the old rule
        // (`height % every == 0`) skipped a report when the pass that
        // would have made it came at 30 and the next at 41.
        assert!(due(Some(17), 27, 10));
        assert!(due(Some(17), 41, 10));
        // A chain reset (height went back): look again.
        assert!(due(Some(17), 3, 10));
        // A look every block when `every` is 1.
        assert!(due(Some(5), 6, 1));
    }
}

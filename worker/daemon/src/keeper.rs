//! The permissionless cranks any daemon may turn (protocol.md §4, §7, §8):
//! handle passed deadlines (`ProcessTimeouts`), match queued jobs
//! (`RunScheduler`), close finished epochs (`CloseEpoch`) and report
//! providers whose heartbeats are overdue (`ReportMissedHeartbeats`).
//! Each is sent only when a query shows it has something to do, judged by
//! the contracts' own rules (`impulse_protocol`): which job states are
//! active, when a deadline has passed, when a heartbeat interval is missed.

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

/// One pass of every crank at `height`.
pub async fn crank<C: Chain>(chain: &C, height: u64) -> Result<Cranked> {
    let market = Marketplace::new(chain);
    let mut out = Cranked::default();

    // Passed deadlines of active jobs. Another keeper may have been first:
    // a rejection is not an error.
    let due = active_jobs(chain).await?.iter().any(|j| {
        j.phase_deadline
            .is_some_and(|d| deadlines::passed(d, height))
    });
    if due {
        out.timeouts = market.process_timeouts(Some(16)).await.is_ok();
    }

    // Queued jobs: try to match them (every few blocks at most).
    if height.is_multiple_of(3) {
        let q = market
            .queue(None, Some(1))
            .await
            .ctx(|| "reading the queue".into())?;
        if !q.entries.is_empty() {
            out.scheduled = market.run_scheduler(Some(8)).await.is_ok();
        }
    }

    // A finished epoch.
    let rewards = Rewards::new(chain);
    let e = rewards
        .current_epoch()
        .await
        .ctx(|| "reading the current epoch".into())?;
    if e.end_height <= height {
        out.epoch_closed = rewards.close_epoch().await.is_ok();
    }

    // Overdue heartbeats: a report for each provider with a missed interval
    // the contract has not accounted yet (it counts them since the last
    // heartbeat in `consecutive_misses`).
    let every = heartbeat_blocks(chain).await?;
    if height.is_multiple_of(every.div_ceil(2).max(1)) {
        let staking = Staking::new(chain);
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
                        out.reported.push(addr);
                    }
                }
            }
            if n < PAGE as usize {
                break;
            }
        }
    }
    Ok(out)
}

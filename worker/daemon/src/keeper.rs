//! The permissionless cranks any daemon may turn (protocol.md §4, §7, §8):
//! handle passed deadlines (`ProcessTimeouts`), match queued jobs
//! (`RunScheduler`), close finished epochs (`CloseEpoch`) and report
//! providers whose heartbeats are overdue (`ReportMissedHeartbeats`).
//! Each is sent only when a query shows it has something to do.

use impulse_chain::api::Chain;
use impulse_types::marketplace::{self as mkt, ExecuteMsg, JobState};
use impulse_types::{rewards as rw, staking as stk};

use crate::error::{ChainContext, Result};

/// The staking contract's heartbeat interval (blocks).
pub async fn heartbeat_blocks<C: Chain>(chain: &C) -> Result<u64> {
    let cfg: stk::ConfigResponse = chain
        .query(&chain.deployment().staking, &stk::QueryMsg::Config {})
        .await
        .ctx(|| "reading the staking config".into())?;
    Ok(cfg.params.heartbeat_blocks.max(1))
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
    let d = chain.deployment().clone();
    let mut out = Cranked::default();

    // Passed deadlines of active jobs.
    let mut due = false;
    for state in [
        JobState::Assigned,
        JobState::Committed,
        JobState::Challenged,
        JobState::Verifying,
    ] {
        let page: mkt::JobsResponse = chain
            .query(
                &d.marketplace,
                &mkt::QueryMsg::Jobs {
                    state: Some(state),
                    start_after: None,
                    limit: Some(30),
                },
            )
            .await
            .ctx(|| "listing jobs".into())?;
        due |= page
            .jobs
            .iter()
            .any(|j| j.phase_deadline.is_some_and(|dl| dl < height));
    }
    if due {
        // Another keeper may have been first: a rejection is not an error.
        out.timeouts = chain
            .execute(
                &d.marketplace,
                &ExecuteMsg::ProcessTimeouts { limit: Some(16) },
                &[],
            )
            .await
            .is_ok();
    }

    // Queued jobs: try to match them (every few blocks at most).
    if height.is_multiple_of(3) {
        let q: mkt::QueueResponse = chain
            .query(
                &d.marketplace,
                &mkt::QueryMsg::Queue {
                    start_after: None,
                    limit: Some(1),
                },
            )
            .await
            .ctx(|| "reading the queue".into())?;
        if !q.entries.is_empty() {
            out.scheduled = chain
                .execute(
                    &d.marketplace,
                    &ExecuteMsg::RunScheduler { limit: Some(8) },
                    &[],
                )
                .await
                .is_ok();
        }
    }

    // A finished epoch.
    let e: rw::CurrentEpochResponse = chain
        .query(&d.rewards, &rw::QueryMsg::CurrentEpoch {})
        .await
        .ctx(|| "reading the current epoch".into())?;
    if e.end_height <= height {
        out.epoch_closed = chain
            .execute(&d.rewards, &rw::ExecuteMsg::CloseEpoch {}, &[])
            .await
            .is_ok();
    }

    // Overdue heartbeats (one report per interval and provider).
    let every = heartbeat_blocks(chain).await?;
    if height.is_multiple_of(every.div_ceil(2).max(1)) {
        let mut start_after = None;
        loop {
            let page: stk::ProvidersResponse = chain
                .query(
                    &d.staking,
                    &stk::QueryMsg::Providers {
                        start_after: start_after.clone(),
                        limit: Some(30),
                    },
                )
                .await
                .ctx(|| "listing providers".into())?;
            let n = page.providers.len();
            start_after = page.providers.last().map(|p| p.address.to_string());
            for p in page.providers {
                if p.last_heartbeat + every < height {
                    let msg = stk::ExecuteMsg::ReportMissedHeartbeats {
                        provider: p.address.to_string(),
                    };
                    if let Ok(r) = chain.execute(&d.staking, &msg, &[]).await {
                        if r.attr("wasm", "missed_intervals").is_some_and(|m| m != "0") {
                            out.reported.push(p.address.to_string());
                        }
                    }
                }
            }
            if n < 30 {
                break;
            }
        }
    }
    Ok(out)
}

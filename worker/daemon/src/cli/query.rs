//! `impulse query job|jobs|provider|providers|epoch|params`: reads of the
//! four contracts (no key needed).

use std::process::ExitCode;

use clap::Subcommand;
use impulse_chain::contracts::{Marketplace, Reputation, Rewards, Staking};
use impulse_types::marketplace::JobState;
use serde_json::{json, Value};

use super::common::{missing, one_line, to_json, Global};
use super::gov::{params_of, CONTRACTS};
use crate::connect::check_address;
use crate::error::{ChainContext, DaemonError, Result};
use crate::trainer;

#[derive(Subcommand, Debug)]
pub enum QueryWhat {
    /// One job and its verification round.
    Job { job: u64 },
    /// Jobs by id, optionally in one state.
    Jobs {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        start_after: Option<u64>,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// One provider: stake, standing, reputation, claimable rewards.
    Provider { address: String },
    /// Providers in address order.
    Providers {
        #[arg(long)]
        start_after: Option<String>,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// A reward epoch (the current one when absent).
    Epoch { epoch: Option<u64> },
    /// Every contract's parameters.
    Params,
}

/// `impulse query WHAT`.
pub async fn run(g: &Global, what: QueryWhat) -> Result<ExitCode> {
    let chain = g.opts().reader().await?;
    let c = &*chain;
    let v = match what {
        QueryWhat::Job { job } => {
            let j = super::job::get_job(c, job).await?;
            let r = Marketplace::new(c)
                .round(job)
                .await
                .ctx(|| "reading the round".into())?;
            json!({"job": to_json(&j), "round": to_json(&r)})
        }
        QueryWhat::Jobs {
            state,
            start_after,
            limit,
        } => {
            let state = state.map(|s| parse_state(&s)).transpose()?;
            let r = Marketplace::new(c)
                .jobs_in(state, start_after, Some(limit))
                .await
                .ctx(|| "listing jobs".into())?;
            let rows: Vec<Value> = r
                .jobs
                .iter()
                .map(|j| json!({"id": j.id, "state": j.state.as_str(), "steps": j.spec.hyper.steps, "attempts": j.attempts, "prover": j.prover.as_ref().map(|p| p.to_string()), "budget": j.budget.to_string(), "escrow": j.escrow.to_string()}))
                .collect();
            json!({"jobs": rows})
        }
        QueryWhat::Provider { address } => {
            let address = check_address(&address)?;
            let p = Staking::new(c).provider(&address).await.map_err(|e| {
                missing(
                    e,
                    &["not a registered provider"],
                    format!("{address} is not a registered provider"),
                    format!("reading provider {address}"),
                )
            })?;
            let score = Reputation::new(c)
                .score(&address)
                .await
                .ctx(|| format!("reading the reputation of {address}"))?;
            let mut x = to_json(&p);
            x["reputation"] = json!(score.score.to_string());
            x["claimable_rewards"] = json!(trainer::claimable(c, &address).await?.to_string());
            x
        }
        QueryWhat::Providers { start_after, limit } => {
            let r = Staking::new(c)
                .providers(start_after, Some(limit))
                .await
                .ctx(|| "listing providers".into())?;
            let rows: Vec<Value> = r
                .providers
                .iter()
                .map(|p| json!({"address": p.address.to_string(), "stake": p.stake.to_string(), "price_per_step": p.price_per_step.to_string(), "banned": p.banned, "active_jobs": p.active_jobs, "endpoint": p.endpoint}))
                .collect();
            json!({"providers": rows})
        }
        QueryWhat::Epoch { epoch: None } => to_json(
            &Rewards::new(c)
                .current_epoch()
                .await
                .ctx(|| "reading the current epoch".into())?,
        ),
        QueryWhat::Epoch { epoch: Some(e) } => to_json(&Rewards::new(c).epoch(e).await.map_err(
            |err| match err.contract_message() {
                Some(m) => DaemonError::Input(format!("epoch {e}: {}", one_line(m))),
                None => DaemonError::Chain {
                    context: format!("reading epoch {e}"),
                    source: err,
                },
            },
        )?),
        QueryWhat::Params => {
            let mut v = json!({});
            for name in CONTRACTS {
                v[name] = params_of(c, name).await?;
            }
            v
        }
    };
    g.print(&v);
    Ok(ExitCode::SUCCESS)
}

fn parse_state(s: &str) -> Result<JobState> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        DaemonError::Input(format!(
            "unknown state {s:?} (queued, assigned, committed, challenged, verifying, settled, failed, cancelled, expired)"
        ))
    })
}

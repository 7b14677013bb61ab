//! `impulse gov set-param`: a parameter change as an x/gov proposal with
//! one `MsgSudoContract` (`update_params`), voted, waited for, checked.
//! Also the one generic read of a contract's parameters (`query params`
//! uses it too).

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use impulse_chain::api::{Chain, Deployment};
use serde_json::{json, Value};

use super::common::Global;
use crate::error::{ChainContext, DaemonError, Result};

/// The four contracts by name, in deployment order.
pub const CONTRACTS: [&str; 4] = ["staking", "reputation", "marketplace", "rewards"];

#[derive(Subcommand, Debug)]
pub enum GovAction {
    /// Change one parameter of a contract through an x/gov `sudo` proposal:
    /// submit (deposit from --from), vote yes from each --voter, wait until
    /// it passes, and show the new value.
    SetParam {
        /// staking, reputation, marketplace or rewards.
        #[arg(value_parser = CONTRACTS)]
        contract: String,
        /// Parameter name as in the contract's config (e.g. verifier_price_per_step).
        key: String,
        /// New value, as JSON (numbers and decimals as strings, e.g. "2000").
        value: String,
        /// Keys that vote yes (need bonded stake: on the localnet, test:validator).
        #[arg(long, default_value = "test:validator")]
        voter: Vec<String>,
        /// Longest wait for the vote (seconds).
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
}

/// The address of contract `name` (one of [`CONTRACTS`]).
pub fn address_of<'d>(d: &'d Deployment, name: &str) -> &'d str {
    match name {
        "staking" => &d.staking,
        "reputation" => &d.reputation,
        "marketplace" => &d.marketplace,
        _ => &d.rewards,
    }
}

/// The `params` of contract `name`'s config, as JSON (every contract
/// answers `{"config": {}}` with them).
pub async fn params_of<C: Chain>(chain: &C, name: &str) -> Result<Value> {
    let cfg: Value = chain
        .query(address_of(chain.deployment(), name), &json!({"config": {}}))
        .await
        .ctx(|| format!("reading the {name} config"))?;
    Ok(cfg["params"].clone())
}

/// `impulse gov set-param`.
pub async fn run(g: &Global, action: GovAction) -> Result<ExitCode> {
    let GovAction::SetParam {
        contract,
        key,
        value,
        voter,
        timeout_secs,
    } = action;
    let o = g.opts();
    let chain = o.chain(g.from()?).await?;
    let addr = address_of(chain.deployment(), &contract).to_string();
    let mut params = params_of(&*chain, &contract).await?;
    let old = params.get(&key).cloned().ok_or_else(|| {
        let names: Vec<&str> = params
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        DaemonError::Input(format!(
            "{contract} has no parameter {key:?} (it has: {})",
            names.join(", ")
        ))
    })?;
    let new: Value = serde_json::from_str(&value).unwrap_or(Value::String(value.clone()));
    params[&key] = new.clone();
    let sudo = json!({"update_params": {"params": params}});
    let mut voters = Vec::new();
    for v in &voter {
        voters.push(o.client(v).await?);
    }
    let refs: Vec<&impulse_chain::ChainClient> = voters.iter().collect();
    if g.human() {
        eprintln!(
            "gov: proposing {contract}.{key}: {old} -> {new} (voting: {})",
            voter.join(", ")
        );
    }
    let id = chain
        .client()
        .gov_sudo(
            &addr,
            &sudo,
            &format!("impulse: set {contract}.{key} to {new}"),
            &refs,
            Duration::from_secs(timeout_secs),
        )
        .await
        .map_err(|e| DaemonError::Input(format!("proposal: {e}")))?;
    let now = params_of(&*chain, &contract).await?[&key].clone();
    if now != new {
        return Err(DaemonError::Check(format!(
            "proposal {id} passed but {contract}.{key} is {now}, not {new}"
        )));
    }
    g.print(&json!({"proposal": id, "status": "passed", "contract": contract, "key": key, "old": old, "new": now}));
    Ok(ExitCode::SUCCESS)
}

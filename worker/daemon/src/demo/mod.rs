//! `impulse demo`: the whole protocol in one process. Deploys the four
//! contracts on the embedded chain (blocks on a clock) or uses a wasmd
//! deployment, starts one provider daemon per scenario entry (each with its
//! artifact server on loopback), serves the trainer's dataset and base
//! weights, submits the jobs, and lets the daemons train, verify, settle,
//! slash and claim while a keeper turns the cranks. It narrates, checks the
//! conservation invariant every half-second, fetches and checks each
//! settled model, and writes `report.json` and `index.html` (a typed
//! [`Report`]).
//!
//! This file sets up the chain and the accounts; `run.rs` runs the steps
//! (`start`, `submit`, `run/watch.rs`, `finish`), `ledger.rs` reads what the
//! escrow paid from the marketplace's events, `narrator.rs` narrates.

mod ledger;
mod narrator;
mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use impulse_chain::api::{Chain, WasmdChain};
use impulse_chain::contracts::{Marketplace, Staking};
use impulse_chain::proto::cosmos::bank::v1beta1::MsgSend;
use impulse_embedded::{Clock, DeployParams, EmbeddedChain};
use impulse_types::marketplace::JobSpec;

use crate::connect::ChainOpts;
use crate::error::{ChainContext, DaemonError, Result};
use crate::report::{Report, TxStats};
use crate::scenario::Scenario;

/// What each demo account starts with (uimp).
const BALANCE: u128 = 100_000_000_000;

/// Demo options.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub scenario: Scenario,
    pub source: String,
    /// Report directory (created).
    pub out: PathBuf,
    /// Print the narration on stderr.
    pub narrate: bool,
}

/// The smallest budget the marketplace accepts for `spec` (protocol.md §4),
/// computed by the rule the contract checks (`impulse_protocol::budget`)
/// with its current parameters.
pub async fn min_budget<C: Chain>(c: &C, spec: &JobSpec) -> Result<u128> {
    let p = Marketplace::new(c)
        .config()
        .await
        .ctx(|| "reading the marketplace config".into())?
        .params;
    impulse_protocol::budget::required_budget(spec, &p)
        .and_then(|b| b.total())
        .map(|t| t.u128())
        .map_err(|e| DaemonError::BadJob(format!("budget: {e}")))
}

/// Runs the demo on the embedded chain; the report (also written to
/// `out/report.json` and `out/index.html`).
pub async fn run(opts: DemoOptions) -> Result<Report> {
    let s = &opts.scenario;
    let start = Instant::now();
    let c = &s.chain;
    let pp = c.protocol_params();
    let names = account_names(s);
    check_stakes(
        s,
        pp.staking.min_prover_stake.u128(),
        pp.staking.min_verifier_stake.u128(),
    )?;
    let params = DeployParams {
        block_secs: 6,
        clock: Clock::Every(Duration::from_millis(s.block_ms)),
        staking: pp.staking,
        reputation: pp.reputation,
        marketplace: pp.marketplace,
        rewards: pp.rewards,
        accounts: names.iter().map(|n| (n.clone(), BALANCE)).collect(),
        ..DeployParams::default()
    };
    let chain = EmbeddedChain::deploy(params).ctx(|| "deploying the contracts".into())?;
    let mut signers = BTreeMap::new();
    for n in &names {
        let sg = chain
            .signer(&chain.address_of(n))
            .ctx(|| format!("signer {n}"))?;
        signers.insert(n.clone(), Arc::new(sg));
    }
    let d = chain.deployment().clone();
    let holders = vec![
        chain.governance(),
        d.staking,
        d.reputation,
        d.marketplace,
        d.rewards,
    ];
    let info = format!(
        "deployed staking, reputation, marketplace and rewards on the embedded chain ({} ms blocks, epochs of {} blocks)",
        s.block_ms, c.epoch_blocks
    );
    let net = Net {
        signers,
        embedded: Some((&chain, holders)),
        kind: "embedded",
        info,
        stats: Box::new(|| None),
    };
    run::run_with(&opts, start, net).await
}

/// The demo's accounts: one per provider, the trainer and the keeper.
fn account_names(s: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = s.providers.iter().map(|p| p.name.clone()).collect();
    names.push("trainer".into());
    names.push("keeper".into());
    names
}

/// Every provider's stake fits its roles and its demo balance.
fn check_stakes(s: &Scenario, min_prover: u128, min_verifier: u128) -> Result<()> {
    for p in &s.providers {
        if p.roles.iter().any(|r| r == "prover") && p.stake < min_prover {
            return Err(DaemonError::Scenario(format!(
                "provider {} has role prover but stake {} < the minimum prover stake {min_prover}",
                p.name, p.stake
            )));
        }
        if p.stake < min_verifier {
            return Err(DaemonError::Scenario(format!(
                "provider {}: stake {} < the minimum stake {min_verifier}",
                p.name, p.stake
            )));
        }
        if p.stake >= BALANCE {
            return Err(DaemonError::Scenario(format!(
                "provider {}: stake {} exceeds its demo balance {BALANCE}",
                p.name, p.stake
            )));
        }
    }
    Ok(())
}

/// The demo on a wasmd chain with the contracts of `net`'s deployment
/// (`impulse deploy`): fresh TEST-ONLY accounts for this run (named
/// `demo-<run>-<name>`, funded by `funder`), the same daemons, jobs,
/// narration and report as on the embedded chain. The conservation check
/// is the marketplace's (its balance equals escrow plus undelivered fees);
/// the chain-wide supply check needs the embedded chain.
pub async fn run_on_wasmd(opts: DemoOptions, net: &ChainOpts, funder: &str) -> Result<Report> {
    let s = &opts.scenario;
    let start = Instant::now();
    let d = net.load_deployment()?;
    let fund = WasmdChain::new(net.client(funder).await?, d.clone());
    let input = |what: &'static str| move |e| DaemonError::Input(format!("{what}: {e}"));
    let cfg = Staking::new(&fund)
        .config()
        .await
        .map_err(input("reading the staking config"))?;
    check_stakes(
        s,
        cfg.params.min_prover_stake.u128(),
        cfg.params.min_verifier_stake.u128(),
    )?;
    let existing = Staking::new(&fund)
        .providers(None, Some(1))
        .await
        .map_err(input("reading the providers"))?;
    if !existing.providers.is_empty() {
        return Err(DaemonError::Input(format!(
            "the deployment in {} already has registered providers (an earlier run?): the demo needs fresh contracts, where only its own daemons can be matched; run `impulse deploy --force` first",
            net.deployment.display()
        )));
    }
    let p = Marketplace::new(&fund)
        .config()
        .await
        .map_err(input("reading the marketplace config"))?
        .params;
    let run = hex::encode(rand_core::RngCore::next_u32(&mut rand_core::OsRng).to_be_bytes());
    let mut signers = BTreeMap::new();
    let mut sends = Vec::new();
    for n in account_names(s) {
        let signer = net.signer(&format!("test:demo-{run}-{n}"))?;
        sends.push(impulse_chain::to_any(&MsgSend {
            from_address: fund.address(),
            to_address: signer.address().to_string(),
            amount: vec![impulse_chain::Coin::new(BALANCE, &d.denom).into()],
        }));
        let client = net.client_for(signer).await?;
        signers.insert(n, Arc::new(WasmdChain::new(client, d.clone())));
    }
    fund.client()
        .broadcast(sends, "impulse demo: funding the demo accounts")
        .await
        .map_err(|e| DaemonError::Input(format!("funding the demo accounts from {funder}: {e}")))?;
    let mut info = format!(
        "using the contracts deployed on {} (node {}); demo accounts demo-{run}-*, funded by {funder}",
        d.chain_id, net.node
    );
    if p.train_base_blocks != s.chain.train_base_blocks
        || p.blocks_per_step != s.chain.blocks_per_step
        || p.reveal_blocks != s.chain.reveal_blocks
    {
        info.push_str(" (note: the deployed timings differ from the scenario's [chain] table; the deployment's apply)");
    }
    let all: Vec<Arc<WasmdChain>> = signers.values().cloned().collect();
    let demo_net = Net {
        signers,
        embedded: None,
        kind: "wasmd",
        info,
        stats: Box::new(move || {
            let mut t = TxStats::default();
            for c in &all {
                let (txs, gas) = c.stats();
                t.count += txs;
                t.gas_used += gas;
            }
            Some(t)
        }),
    };
    run::run_with(&opts, start, demo_net).await
}

/// What differs between the embedded chain and wasmd.
struct Net<'a, C: Chain> {
    /// A signer per scenario name, plus "trainer" and "keeper".
    signers: BTreeMap<String, Arc<C>>,
    /// The embedded chain (supply checks) and the addresses other than the
    /// named accounts that hold tokens.
    embedded: Option<(&'a EmbeddedChain, Vec<String>)>,
    kind: &'static str,
    info: String,
    /// Transactions and gas, where the chain counts them.
    stats: Box<dyn Fn() -> Option<TxStats> + Send + Sync + 'a>,
}

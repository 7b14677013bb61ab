//! `impulse deploy`: stores the four optimised contracts on a wasmd chain,
//! instantiates them wired to each other, funds the rewards contract's
//! emission reserve, and writes the deployment file.
//!
//! Governance: the deployer's address is each contract's `governance` (it
//! signs the wiring and can hand governance over with the two-step
//! `ProposeGovernance`/`AcceptGovernance`); wasmd's x/gov module account is
//! each contract's admin, so migrations and `sudo` (parameter changes as
//! x/gov proposals, see `impulse gov`) go through a vote.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use impulse_chain::api::Deployment;
use impulse_chain::contracts::deploy as plan;
use impulse_chain::{module_address, ChainClient, Coin, DEFAULT_PREFIX};
use impulse_types::wiring::Wiring;
use serde_json::{json, Value};

use super::common::{to_json, Global};
use crate::amount::parse_amount;
use crate::connect::LOCALNET_CHAIN_ID;
use crate::error::{io, DaemonError, Result};
use crate::scenario::{ProtocolParams, Scenario};

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Directory with the optimised wasm (`bash ci/build-wasm.sh` writes
    /// them to the repository's `artifacts/`).
    #[arg(
        long,
        value_name = "DIR",
        env = "IMPULSE_ARTIFACTS",
        default_value = "artifacts"
    )]
    pub artifacts: PathBuf,
    /// Take the chain timings ([chain] table) from this scenario; the
    /// default scenario's otherwise.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Emission reserve sent to the rewards contract.
    #[arg(long, default_value = "100000000000uimp")]
    pub reserve: String,
    /// Overwrite an existing deployment file.
    #[arg(long)]
    pub force: bool,
}

/// `impulse deploy`.
pub async fn run(g: &Global, a: DeployArgs) -> Result<ExitCode> {
    let o = g.opts();
    let scenario = match &a.scenario {
        Some(p) => Scenario::load(p)?,
        None => Scenario::default_scenario(),
    };
    let params = scenario.chain.protocol_params();
    let reserve = parse_amount(&a.reserve, &params.staking.denom)?;
    // On the localnet the validator's TEST-ONLY key deploys by default.
    let from = match (&g.from, o.chain_id.as_str()) {
        (Some(f), _) => f.clone(),
        (None, LOCALNET_CHAIN_ID) => "test:validator".to_string(),
        (None, _) => g.from()?.to_string(),
    };
    let client = o.client(&from).await?;
    if o.deployment.exists() && !a.force {
        // A deployment file of a chain that was reset since is stale: its
        // contracts are gone, so it is replaced; a live one is kept.
        let live = match Deployment::load(&o.deployment) {
            Ok(old) => client
                .query_smart::<_, Value>(&old.staking, &json!({"config": {}}))
                .await
                .is_ok(),
            Err(_) => false,
        };
        if live {
            return Err(DaemonError::Input(format!(
                "{} names contracts that are live on this chain (pass --force to deploy again and overwrite it)",
                o.deployment.display()
            )));
        }
        if g.human() {
            eprintln!(
                "deploy: {} names no live contracts on this chain (reset since?); replacing it",
                o.deployment.display()
            );
        }
    }
    let human = g.human();
    let mut say = |s: String| {
        if human {
            eprintln!("deploy: {s}");
        }
    };
    let d = deploy_contracts(&client, &a.artifacts, params, reserve, &mut say).await?;
    if let Some(dir) = o.deployment.parent() {
        io(dir, std::fs::create_dir_all(dir))?;
    }
    d.save(&o.deployment)
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    say(format!("wrote {}", o.deployment.display()));
    g.print(&to_json(&d));
    Ok(ExitCode::SUCCESS)
}

/// The wasm files `bash ci/build-wasm.sh` writes into `artifacts/`.
pub const WASM_FILES: [(&str, &str); 4] = [
    ("staking", "impulse_staking.wasm"),
    ("reputation", "impulse_reputation.wasm"),
    ("marketplace", "impulse_marketplace.wasm"),
    ("rewards", "impulse_rewards.wasm"),
];

fn chain_err(what: &str) -> impl FnOnce(impulse_chain::ChainError) -> DaemonError + '_ {
    move |e| DaemonError::Input(format!("{what}: {e}"))
}

/// Instantiates contract `name` (label `impulse-<name>`); its address.
async fn instantiate<M: serde::Serialize>(
    client: &ChainClient,
    code_id: u64,
    msg: &M,
    name: &str,
    admin: Option<&str>,
    funds: &[Coin],
) -> Result<String> {
    let (address, _) = client
        .instantiate(code_id, msg, &format!("impulse-{name}"), admin, funds)
        .await
        .map_err(chain_err(&format!("instantiating {name}")))?;
    Ok(address)
}

/// Deploys the contracts with `client` as deployer and governance; the
/// reserve is sent to the rewards contract at instantiation. `say` gets a
/// line per step.
pub async fn deploy_contracts(
    client: &ChainClient,
    artifacts: &Path,
    params: ProtocolParams,
    reserve: u128,
    say: &mut dyn FnMut(String),
) -> Result<Deployment> {
    let denom = params.staking.denom.clone();
    if params.marketplace.denom != denom {
        return Err(DaemonError::Input(format!(
            "staking denom {denom} and marketplace denom {} differ",
            params.marketplace.denom
        )));
    }
    let mut wasm = Vec::new();
    for (name, file) in WASM_FILES {
        let path = artifacts.join(file);
        let bytes = std::fs::read(&path).map_err(|e| {
            DaemonError::Input(format!(
                "cannot read {} ({e}): build the contracts first with `bash ci/build-wasm.sh`, or pass --artifacts DIR",
                path.display()
            ))
        })?;
        if bytes.get(..4) != Some(b"\0asm") {
            return Err(DaemonError::Input(format!(
                "{} is not a wasm module",
                path.display()
            )));
        }
        wasm.push((name, bytes));
    }
    let me = client.address();
    let admin = module_address("gov", DEFAULT_PREFIX);
    let have = client
        .balance(&me, &denom)
        .await
        .map_err(chain_err("reading the deployer's balance"))?;
    if have < reserve {
        return Err(DaemonError::Input(format!(
            "insufficient funds: the reserve is {reserve}{denom} but the deployer {me} holds {have}{denom}"
        )));
    }
    let mut codes = Vec::new();
    for (name, bytes) in wasm {
        let size = bytes.len();
        let (code_id, out) = client
            .store_code(bytes)
            .await
            .map_err(chain_err(&format!("storing the {name} contract")))?;
        say(format!(
            "stored {name} ({size} bytes) as code {code_id} (gas {})",
            out.gas_used
        ));
        codes.push(code_id);
    }
    let gov = Some(admin.as_str());
    // Each contract wired to those instantiated before it.
    let mut wired = Wiring::governed_by(&me);
    let msg = wired.staking(Some(params.staking));
    let staking = instantiate(client, codes[0], &msg, "staking", gov, &[]).await?;
    say(format!("staking at {staking}"));
    wired.staking = Some(staking.clone());
    let msg = wired.reputation(Some(params.reputation));
    let reputation = instantiate(client, codes[1], &msg, "reputation", gov, &[]).await?;
    say(format!("reputation at {reputation}"));
    wired.reputation = Some(reputation.clone());
    let msg = wired.marketplace(Some(params.marketplace));
    let marketplace = instantiate(client, codes[2], &msg, "marketplace", gov, &[]).await?;
    say(format!("marketplace at {marketplace}"));
    wired.marketplace = Some(marketplace.clone());
    let funds = if reserve > 0 {
        vec![Coin::new(reserve, &denom)]
    } else {
        vec![]
    };
    let msg = wired.rewards(Some(params.rewards));
    let rewards = instantiate(client, codes[3], &msg, "rewards", gov, &funds).await?;
    say(format!("rewards at {rewards} (reserve {reserve}{denom})"));
    let d = Deployment {
        chain_id: client.config().chain_id.clone(),
        denom,
        staking,
        reputation,
        marketplace,
        rewards,
    };
    // Wire the contracts to each other, in one transaction.
    let w = plan::wiring(&d);
    let msgs = vec![
        client.execute_msg(&d.staking, &w.staking, &[]),
        client.execute_msg(&d.reputation, &w.reputation, &[]),
        client.execute_msg(&d.marketplace, &w.marketplace, &[]),
    ]
    .into_iter()
    .collect::<std::result::Result<Vec<_>, _>>()
    .map_err(chain_err("encoding the wiring"))?;
    client
        .broadcast(msgs, "impulse deploy: wiring")
        .await
        .map_err(chain_err("wiring the contracts"))?;
    say("wired staking, reputation and marketplace to each other".into());
    Ok(d)
}

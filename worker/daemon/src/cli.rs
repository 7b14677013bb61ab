//! The `impulse` command line: the demo on the embedded chain, and every
//! trainer, provider, query, deployment and localnet command against a
//! wasmd node (`--node`, `--chain-id`, `--deployment`, `--from`).
//!
//! Human output by default (progress and narration on stderr, results on
//! stdout); `--output json` prints one JSON document on stdout. Every error
//! is one line on stderr and a non-zero exit status.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, Parser, Subcommand, ValueEnum};
use cosmwasm_std::Uint128;
use impulse_artifact::{ArtifactClient, ClientConfig, ServerConfig};
use impulse_chain::api::{Chain, WasmdChain};
use impulse_chain::Coin;
use impulse_types::marketplace::{self as mkt, JobState};
use impulse_types::{reputation as rep, rewards as rw, staking as stk, Backend, Capacity};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::behaviour::Behaviour;
use crate::demo::{self, DemoOptions};
use crate::error::{ChainContext, DaemonError, Result};
use crate::net::{self, check_address, parse_amount, ChainOpts};
use crate::provider::{Event, Provider, ProviderConfig};
use crate::scenario::{JobEntry, Scenario, DEFAULT};
use crate::store::NodeStore;
use crate::trainer;

/// Impulse: a verifiable marketplace for AI training.
///
/// Trainers escrow a budget for a fine-tuning job; staked providers train
/// it and commit a Merkle root over every step's state; a random committee
/// replays a random ~1% of the steps bit for bit; cheats are slashed,
/// honest work is paid.
///
/// Start with `impulse demo` (everything in one process). On a real chain:
/// `impulse localnet up`, `impulse deploy --from test:validator`, then
/// `impulse worker run --from test:bob` (one per provider) and
/// `impulse job submit --from test:erin --steps 20`.
#[derive(Parser, Debug)]
#[command(name = "impulse", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every chain command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// gRPC endpoint of the wasmd node.
    #[arg(
        long,
        global = true,
        env = "IMPULSE_NODE",
        default_value = "http://127.0.0.1:9090"
    )]
    pub node: String,
    /// Chain id the node must serve (transactions are signed for it).
    #[arg(
        long,
        global = true,
        env = "IMPULSE_CHAIN_ID",
        default_value = net::LOCALNET_CHAIN_ID
    )]
    pub chain_id: String,
    /// Deployment file naming the four contracts [default: HOME/deployment.json].
    #[arg(long, global = true, env = "IMPULSE_DEPLOYMENT", value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    /// Directory for keys, the deployment file and worker data [default: ~/.impulse].
    #[arg(long, global = true, env = "IMPULSE_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Signing key: a keyring name (HOME/keys/NAME.json, passphrase in
    /// IMPULSE_KEYRING_PASSPHRASE) or `test:NAME` for a public TEST-ONLY
    /// localnet key.
    #[arg(long, global = true, env = "IMPULSE_FROM", value_name = "KEY")]
    pub from: Option<String>,
    /// `human` (default) or `json` (one document on stdout).
    #[arg(long, global = true, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Text for people; progress and narration on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the whole protocol in one process on the embedded chain.
    ///
    /// Deploys the four contracts, starts one provider daemon per scenario
    /// entry (each serving gRPC on loopback), submits the jobs (LoRA on the
    /// shipped base model and corpus), trains for real, runs the
    /// verification rounds, settles, slashes the cheaters, closes epochs and
    /// claims rewards. Writes OUT/report.json and OUT/index.html (open it
    /// in a browser, no server needed).
    Demo {
        /// Scenario file (TOML); the shipped default when absent
        /// (`impulse scenario` prints it).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Report directory.
        #[arg(long, value_name = "DIR", default_value = "impulse-demo")]
        out: PathBuf,
        /// `embedded` (in-process chain, the default) or `localnet`: the
        /// wasmd node of --node with the contracts of `impulse deploy`;
        /// the demo's accounts are funded by --from (default
        /// test:validator).
        #[arg(long, value_enum, default_value_t = DemoChain::Embedded)]
        chain: DemoChain,
    },
    /// Print the default demo scenario (a starting point for --scenario).
    Scenario,
    /// Start, stop, reset or inspect the single-node wasmd localnet.
    Localnet {
        #[arg(value_enum)]
        action: LocalnetAction,
    },
    /// Store, instantiate and wire the four contracts; write the deployment file.
    ///
    /// The signer (--from; on the localnet test:validator by default)
    /// becomes each contract's governance; wasmd's x/gov module is each
    /// contract's admin (migrations and `sudo` parameter
    /// changes go through proposals: `impulse gov set-param`).
    Deploy {
        /// Directory with the optimised wasm (`bash ci/build-wasm.sh`).
        #[arg(long, value_name = "DIR")]
        artifacts: Option<PathBuf>,
        /// Take the chain timings ([chain] table) from this scenario; the
        /// default scenario's otherwise.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Emission reserve sent to the rewards contract.
        #[arg(long, default_value = "100000000000uimp")]
        reserve: String,
        /// Overwrite an existing deployment file.
        #[arg(long)]
        force: bool,
    },
    /// Manage keys in the keyring (HOME/keys).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Governance through wasmd's x/gov: parameter changes as `sudo` proposals.
    Gov {
        #[command(subcommand)]
        action: GovAction,
    },
    /// Submit, watch, cancel and fetch training jobs (the trainer's side).
    Job {
        #[command(subcommand)]
        action: JobAction,
    },
    /// Register, stake, unstake, heartbeat and claim (a provider's manual controls).
    Provider {
        #[command(subcommand)]
        action: ProviderAction,
    },
    /// Read the contracts' state.
    Query {
        #[command(subcommand)]
        what: QueryWhat,
    },
    /// Run the provider daemon.
    Worker {
        #[command(subcommand)]
        action: WorkerAction,
    },
    /// Serve a dataset (and the shipped base weights) over the artifact
    /// service, for `job submit --detach --data-uri`.
    Serve {
        /// Dataset file; the shipped corpus's training split when absent.
        #[arg(long, value_name = "FILE")]
        dataset: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7700")]
        listen: SocketAddr,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DemoChain {
    /// The four contracts in cw-multi-test, in this process.
    Embedded,
    /// A wasmd node (`impulse localnet up`, `impulse deploy`).
    Localnet,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LocalnetAction {
    /// Build wasmd if needed, initialise the chain once, start it.
    Up,
    /// Stop the node (state is kept).
    Down,
    /// Stop the node and delete its state.
    Reset,
    /// Is it running, and at which height?
    Status,
}

#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Create a new key (prints its mnemonic once: write it down).
    Add { name: String },
    /// Import a key from a BIP-39 mnemonic read from stdin.
    Import { name: String },
    /// Show a key's address (`test:NAME` works too).
    Show { name: String },
    /// List the keys in the keyring.
    List,
}

#[derive(Subcommand, Debug)]
pub enum GovAction {
    /// Change one parameter of a contract through an x/gov `sudo` proposal:
    /// submit (deposit from --from), vote yes from each --voter, wait until
    /// it passes, and show the new value.
    SetParam {
        /// staking, reputation, marketplace or rewards.
        #[arg(value_parser = ["staking", "reputation", "marketplace", "rewards"])]
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

#[derive(Args, Debug, Clone)]
pub struct SubmitArgs {
    /// Training steps L.
    #[arg(long, default_value_t = 20)]
    pub steps: u64,
    #[arg(long, default_value_t = 8)]
    pub batch_size: u32,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Model architecture (lm-ref, lm-large, mlp).
    #[arg(long, default_value = "lm-ref")]
    pub model: String,
    /// LoRA rank (0: full fine-tuning).
    #[arg(long, default_value_t = 4)]
    pub lora_rank: usize,
    /// Base weights: `shipped` (the shipped lm-ref base) or `none`.
    #[arg(long, default_value = "shipped", value_parser = ["shipped", "none"])]
    pub base: String,
    /// Dataset file; the shipped corpus's training split when absent.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    /// Training seed (dropout, batch order).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of steps challenged.
    #[arg(long, default_value_t = 0.1)]
    pub alpha: f64,
    /// Committee size k.
    #[arg(long, default_value_t = 3)]
    pub committee: u32,
    /// Highest price per step the job pays a prover (uimp).
    #[arg(long, default_value_t = 1000)]
    pub max_price: u128,
    /// Memory a prover needs (GiB).
    #[arg(long, default_value_t = 4)]
    pub memory_gib: u32,
    /// Escrowed budget (e.g. 50000uimp); the smallest accepted when absent.
    #[arg(long)]
    pub budget: Option<String>,
    /// Where to serve the dataset to the providers (they fetch it by hash).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub serve: SocketAddr,
    /// Return after submitting; the data must then be served elsewhere
    /// (`impulse serve`), named with --data-uri.
    #[arg(long, requires = "data_uri")]
    pub detach: bool,
    /// grpc://host:port of an `impulse serve` holding the dataset.
    #[arg(long, value_name = "URI")]
    pub data_uri: Option<String>,
    /// After settlement, download and check the model into this directory.
    #[arg(long, value_name = "DIR")]
    pub fetch: Option<PathBuf>,
    /// Longest wait for the job to end (seconds).
    #[arg(long, default_value_t = 1800)]
    pub timeout_secs: u64,
}

#[derive(Subcommand, Debug)]
pub enum JobAction {
    /// Submit a fine-tuning job with its budget in escrow, serve its data
    /// and watch it until it ends (exit 0 only when it settles).
    Submit(SubmitArgs),
    /// Follow a job: phase changes, the prover's training progress, the
    /// verdict (exit 0 only when it settles).
    Watch {
        job: u64,
        #[arg(long, default_value_t = 1800)]
        timeout_secs: u64,
    },
    /// Cancel a queued job and get the budget back.
    Cancel { job: u64 },
    /// Download a settled job's final model from its prover, check it
    /// against the on-chain commitment, write it as safetensors.
    Fetch {
        job: u64,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// The job's dataset (the shipped corpus's training split when absent).
        #[arg(long, value_name = "FILE")]
        dataset: Option<PathBuf>,
        /// Also report the loss on this held-out text against the base
        /// model's (the shipped held-out split with `--held-out shipped`).
        #[arg(long, value_name = "FILE")]
        held_out: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProviderAction {
    /// Register as a provider with an initial stake.
    Register {
        /// Stake sent with the registration (e.g. 1500000000uimp).
        #[arg(long)]
        stake: String,
        /// Price per training step (uimp).
        #[arg(long)]
        price: u128,
        #[arg(long, default_value_t = 16)]
        memory_gib: u32,
        #[arg(long, default_value_t = 1)]
        devices: u32,
        /// Where the artifact service will be reachable (http://host:port).
        #[arg(long, default_value = "")]
        endpoint: String,
    },
    /// Add stake.
    Stake { amount: String },
    /// Start unbonding part of the stake (released after the lock-up).
    Unstake { amount: String },
    /// Send a heartbeat now.
    Heartbeat,
    /// Claim rewards of closed epochs (and, with --unbonded, released stake).
    Claim {
        #[arg(long)]
        unbonded: bool,
    },
}

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

#[derive(Subcommand, Debug)]
pub enum WorkerAction {
    /// Run a provider: register (or come back), heartbeat, train assigned
    /// jobs, serve checkpoints, verify as a committee member, claim rewards.
    /// SIGTERM or Ctrl-C checkpoints and exits; running it again resumes.
    Run(WorkerArgs),
}

#[derive(Args, Debug, Clone)]
pub struct WorkerArgs {
    /// Name in the log lines [default: the key name].
    #[arg(long)]
    pub name: Option<String>,
    /// honest, or an adversary for tests: skip_steps, truncated_batch,
    /// stale_gradient, fake_final, withhold, lazy_verifier, false_accuser,
    /// offline.
    #[arg(long, default_value = "honest")]
    pub behaviour: String,
    /// Stake sent when registering (ignored when already registered).
    #[arg(long, default_value = "1500000000uimp")]
    pub stake: String,
    /// Price per training step (uimp).
    #[arg(long, default_value_t = 10)]
    pub price: u128,
    #[arg(long, default_value_t = 16)]
    pub memory_gib: u32,
    #[arg(long, default_value_t = 2)]
    pub devices: u32,
    /// Checkpoints, secrets and fetched data [default: HOME/worker/<address>].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Artifact service address; its endpoint is published on chain.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// How often to look at the chain (milliseconds).
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    /// Also turn the permissionless cranks (timeouts, scheduler, epochs,
    /// missed heartbeats).
    #[arg(long)]
    pub keeper: bool,
}

/// Parses the command line, runs it, prints any error on one line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// An error message on one line (node logs can span several), capped.
pub fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 600 {
        flat.chars().take(600).collect::<String>() + " …"
    } else {
        flat
    }
}

impl Global {
    fn opts(&self) -> ChainOpts {
        let home = self.home.clone().unwrap_or_else(net::default_home);
        ChainOpts {
            node: self.node.clone(),
            chain_id: self.chain_id.clone(),
            deployment: self
                .deployment
                .clone()
                .unwrap_or_else(|| home.join("deployment.json")),
            home,
        }
    }

    fn from(&self) -> Result<&str> {
        self.from.as_deref().ok_or_else(|| {
            DaemonError::Input(
                "this command signs a transaction: name the key with --from KEY (or IMPULSE_FROM)"
                    .into(),
            )
        })
    }

    fn print(&self, v: &Value) {
        match self.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(v).expect("json")),
            Output::Human => print_human(v, 0),
        }
    }
}

fn print_human(v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::Object(_) => {
                        println!("{pad}{k}:");
                        print_human(x, indent + 2);
                    }
                    Value::Array(a) if a.iter().any(|e| e.is_object()) => {
                        println!("{pad}{k}:");
                        for (i, e) in a.iter().enumerate() {
                            println!("{pad}  - [{i}]");
                            print_human(e, indent + 4);
                        }
                    }
                    _ => println!("{pad}{k}: {}", scalar(x)),
                }
            }
        }
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                println!("{pad}- [{i}]");
                print_human(e, indent + 2);
            }
        }
        x => println!("{pad}{}", scalar(x)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        x => x.to_string(),
    }
}

fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("responses serialize")
}

fn repo_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(sub)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global.clone();
    match cli.command {
        Command::Scenario => {
            print!("{DEFAULT}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            scenario,
            out,
            chain,
        } => run_demo(&g, scenario, out, chain).await,
        Command::Localnet { action } => localnet(&g, action),
        Command::Deploy {
            artifacts,
            scenario,
            reserve,
            force,
        } => deploy(&g, artifacts, scenario, &reserve, force).await,
        Command::Keys { action } => keys(&g, action),
        Command::Gov { action } => gov(&g, action).await,
        Command::Job { action } => job(&g, action).await,
        Command::Provider { action } => provider(&g, action).await,
        Command::Query { what } => query(&g, what).await,
        Command::Worker {
            action: WorkerAction::Run(args),
        } => worker_run(&g, args).await,
        Command::Serve { dataset, listen } => serve(&g, dataset, listen).await,
    }
}

// ------------------------------------------------------------------ demo

async fn run_demo(
    g: &Global,
    scenario: Option<PathBuf>,
    out: PathBuf,
    chain: DemoChain,
) -> Result<ExitCode> {
    let (mut scenario, source) = match &scenario {
        Some(p) => (Scenario::load(p)?, p.display().to_string()),
        None => (
            Scenario::default_scenario(),
            "worker/daemon/scenarios/default.toml (embedded)".to_string(),
        ),
    };
    if chain == DemoChain::Localnet {
        // ~1 s blocks instead of the embedded clock's 250 ms.
        scenario.timeout_secs = scenario.timeout_secs.max(1800);
    }
    let opts = DemoOptions {
        scenario,
        source,
        out: out.clone(),
        narrate: g.output == Output::Human,
    };
    let report = match chain {
        DemoChain::Embedded => demo::run(opts).await?,
        DemoChain::Localnet => {
            let funder = g.from.clone().unwrap_or_else(|| "test:validator".into());
            demo::run_on_wasmd(opts, &g.opts(), &funder).await?
        }
    };
    if g.output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    } else {
        demo_summary(&report, &out);
    }
    let held = report["invariant"]["held"].as_bool() == Some(true);
    Ok(if held {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn demo_summary(r: &Value, out: &Path) {
    eprintln!();
    eprintln!("== jobs");
    for j in r["jobs"].as_array().into_iter().flatten() {
        eprintln!(
            "  job {} {:<14} {:<9} attempts {} prover {} challenged {} held-out loss {} -> {}",
            j["id"],
            j["name"].as_str().unwrap_or(""),
            j["status"].as_str().unwrap_or(""),
            j["attempts"],
            j["prover"].as_str().unwrap_or("-"),
            j["challenged_steps"]
                .as_array()
                .map(|a| a.len())
                .unwrap_or(0),
            j["held_out_loss"]["base"],
            j["held_out_loss"]["trained"],
        );
    }
    eprintln!("== providers");
    for p in r["providers"].as_array().into_iter().flatten() {
        eprintln!(
            "  {:<10} {:<14} stake {} -> {} (slashed {}), banned {}, reputation {} -> {}, rewards claimed {}",
            p["name"].as_str().unwrap_or(""),
            p["behaviour"].as_str().unwrap_or(""),
            p["stake_before"].as_str().unwrap_or(""),
            p["stake_after"].as_str().unwrap_or(""),
            p["slashed"].as_str().unwrap_or(""),
            p["banned"],
            p["reputation_before"].as_str().unwrap_or(""),
            p["reputation_after"].as_str().unwrap_or(""),
            p["rewards_claimed"].as_str().unwrap_or(""),
        );
    }
    eprintln!("== epochs");
    for e in r["epochs"].as_array().into_iter().flatten() {
        eprintln!(
            "  epoch {} issuance {} multiplier {} settled {} failed {}",
            e["epoch"],
            e["issuance"].as_str().unwrap_or(""),
            e["multiplier"].as_str().unwrap_or(""),
            e["jobs_settled"],
            e["jobs_failed"]
        );
    }
    eprintln!(
        "== conservation invariant {} ({} checks); wall time {} s",
        if r["invariant"]["held"].as_bool() == Some(true) {
            "held"
        } else {
            "VIOLATED"
        },
        r["invariant"]["checks"],
        r["wall_secs"]
    );
    eprintln!("report: {}", out.join("index.html").display());
}

// -------------------------------------------------------------- localnet

fn localnet(g: &Global, action: LocalnetAction) -> Result<ExitCode> {
    let dir = std::env::var_os("IMPULSE_LOCALNET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_dir("localnet"));
    let scripts: &[&str] = match action {
        LocalnetAction::Up => &["build.sh", "init.sh", "start.sh"],
        LocalnetAction::Down => &["stop.sh"],
        LocalnetAction::Reset => &["reset.sh"],
        LocalnetAction::Status => &["status.sh"],
    };
    for s in scripts {
        let path = dir.join(s);
        if !path.exists() {
            return Err(DaemonError::Input(format!(
                "{} not found (set IMPULSE_LOCALNET_DIR to the repository's localnet/ directory)",
                path.display()
            )));
        }
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&path);
        if *s == "build.sh" {
            // Its stdout is the binary's path: keep it off ours.
            cmd.stdout(std::process::Stdio::null());
        }
        let status = cmd.status().map_err(|source| DaemonError::Io {
            path: path.clone(),
            source,
        })?;
        if !status.success() {
            return Err(DaemonError::Check(format!(
                "localnet/{s} failed ({status})"
            )));
        }
    }
    if action == LocalnetAction::Up {
        eprintln!(
            "localnet is up: --node {} --chain-id {} (test keys: --from test:alice ... see localnet/test-mnemonics.txt)",
            g.node, g.chain_id
        );
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- deploy

async fn deploy(
    g: &Global,
    artifacts: Option<PathBuf>,
    scenario: Option<PathBuf>,
    reserve: &str,
    force: bool,
) -> Result<ExitCode> {
    let o = g.opts();
    let scenario = match scenario {
        Some(p) => Scenario::load(&p)?,
        None => Scenario::default_scenario(),
    };
    let params = scenario.chain.protocol_params();
    let reserve = parse_amount(reserve, &params.staking.denom)?;
    // On the localnet the validator's TEST-ONLY key deploys by default.
    let from = match (&g.from, o.chain_id.as_str()) {
        (Some(f), _) => f.clone(),
        (None, net::LOCALNET_CHAIN_ID) => "test:validator".to_string(),
        (None, _) => g.from()?.to_string(),
    };
    let client = o.client(&from).await?;
    if o.deployment.exists() && !force {
        // A deployment file of a chain that was reset since is stale: its
        // contracts are gone, so it is replaced; a live one is kept.
        let live = match impulse_chain::api::Deployment::load(&o.deployment) {
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
        if g.output == Output::Human {
            eprintln!(
                "deploy: {} names no live contracts on this chain (reset since?); replacing it",
                o.deployment.display()
            );
        }
    }
    let artifacts = artifacts.unwrap_or_else(|| repo_dir("artifacts"));
    let human = g.output == Output::Human;
    let mut say = |s: String| {
        if human {
            eprintln!("deploy: {s}");
        }
    };
    let d = crate::deploy::deploy(&client, &artifacts, params, reserve, &mut say).await?;
    if let Some(dir) = o.deployment.parent() {
        std::fs::create_dir_all(dir).map_err(|source| DaemonError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    d.save(&o.deployment)
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    say(format!("wrote {}", o.deployment.display()));
    g.print(&to_json(&d));
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------ keys

fn keys(g: &Global, action: KeysAction) -> Result<ExitCode> {
    let o = g.opts();
    match action {
        KeysAction::Add { name } => {
            let mnemonic = impulse_chain::Signer::generate_mnemonic();
            let s = o.save_key(&name, &mnemonic)?;
            eprintln!("Write down this mnemonic; it is shown only once and is the only way to recover the key:\n\n{}\n", mnemonic.as_str());
            g.print(&json!({"name": name, "address": s.address().to_string(), "file": o.key_path(&name).display().to_string()}));
        }
        KeysAction::Import { name } => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
                DaemonError::Io {
                    path: "stdin".into(),
                    source,
                }
            })?;
            let s = o.save_key(&name, text.trim())?;
            g.print(&json!({"name": name, "address": s.address().to_string(), "file": o.key_path(&name).display().to_string()}));
        }
        KeysAction::Show { name } => {
            let s = o.signer(&name)?;
            g.print(&json!({"name": name, "address": s.address().to_string()}));
        }
        KeysAction::List => {
            let dir = o.home.join("keys");
            let mut names = Vec::new();
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().to_string();
                    if let Some(n) = n.strip_suffix(".json") {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        let addr = serde_json::from_str::<Value>(&text)
                            .ok()
                            .and_then(|v| v["address"].as_str().map(String::from))
                            .unwrap_or_default();
                        names.push(json!({"name": n, "address": addr}));
                    }
                }
            }
            names.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            g.print(&json!({"keys": names, "dir": dir.display().to_string()}));
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------- gov

async fn gov(g: &Global, action: GovAction) -> Result<ExitCode> {
    let GovAction::SetParam {
        contract,
        key,
        value,
        voter,
        timeout_secs,
    } = action;
    let o = g.opts();
    let chain = o.chain(g.from()?).await?;
    let d = chain.deployment().clone();
    let addr = match contract.as_str() {
        "staking" => d.staking.clone(),
        "reputation" => d.reputation.clone(),
        "marketplace" => d.marketplace.clone(),
        _ => d.rewards.clone(),
    };
    let cfg: Value = chain
        .query(&addr, &json!({"config": {}}))
        .await
        .ctx(|| format!("reading the {contract} config"))?;
    let mut params = cfg["params"].clone();
    let old = params.get(&key).cloned().ok_or_else(|| {
        let names: Vec<&String> = params
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        DaemonError::Input(format!(
            "{contract} has no parameter {key:?} (it has: {})",
            names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
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
    if g.output == Output::Human {
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
    let after: Value = chain
        .query(&addr, &json!({"config": {}}))
        .await
        .ctx(|| format!("reading the {contract} config"))?;
    let now = after["params"][&key].clone();
    if now != new {
        return Err(DaemonError::Check(format!(
            "proposal {id} passed but {contract}.{key} is {now}, not {new}"
        )));
    }
    g.print(&json!({"proposal": id, "status": "passed", "contract": contract, "key": key, "old": old, "new": now}));
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------- job

fn shipped_train_file(dir: &Path) -> Result<PathBuf> {
    let (train, _) = trainer::corpus_split();
    let p = dir.join("train.txt");
    std::fs::write(&p, train).map_err(|source| DaemonError::Io {
        path: p.clone(),
        source,
    })?;
    Ok(p)
}

fn read_file(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|source| DaemonError::Io {
        path: p.to_path_buf(),
        source,
    })
}

async fn job(g: &Global, action: JobAction) -> Result<ExitCode> {
    let o = g.opts();
    match action {
        JobAction::Submit(a) => submit(g, &o, a).await,
        JobAction::Watch { job, timeout_secs } => {
            let chain = o.reader().await?;
            let j = watch(g, &*chain, job, Duration::from_secs(timeout_secs)).await?;
            settled_exit(g, &*chain, &j).await
        }
        JobAction::Cancel { job } => {
            let chain = o.chain(g.from()?).await?;
            let d = chain.deployment().clone();
            let j = get_job(&*chain, job).await?;
            if j.state != JobState::Queued {
                return Err(DaemonError::Input(format!(
                    "job {job} is {}: only a queued job can be cancelled",
                    j.state
                )));
            }
            let before = chain
                .balance(&chain.address(), &d.denom)
                .await
                .ctx(|| "balance".into())?;
            let out = chain
                .execute(
                    &d.marketplace,
                    &mkt::ExecuteMsg::CancelJob { job_id: job },
                    &[],
                )
                .await
                .ctx(|| format!("cancelling job {job}"))?;
            let after = chain
                .balance(&chain.address(), &d.denom)
                .await
                .ctx(|| "balance".into())?;
            g.print(&json!({"job": job, "state": "cancelled", "tx": out.tx_hash, "refunded_net_of_fee": after.saturating_sub(before).to_string()}));
            Ok(ExitCode::SUCCESS)
        }
        JobAction::Fetch {
            job,
            out,
            dataset,
            held_out,
        } => {
            let chain = o.reader().await?;
            let j = get_job(&*chain, job).await?;
            if j.state != JobState::Settled {
                return Err(DaemonError::Input(format!(
                    "job {job} is {}, not settled: there is no accepted model to fetch",
                    j.state
                )));
            }
            let r: mkt::RoundResponse = chain
                .query(
                    &chain.deployment().marketplace,
                    &mkt::QueryMsg::Round { job_id: job },
                )
                .await
                .ctx(|| format!("reading the round of job {job}"))?;
            let tmp = tempfile_dir()?;
            let train = match dataset {
                Some(p) => p,
                None => shipped_train_file(tmp.path())?,
            };
            let held = match held_out.as_deref() {
                Some("shipped") => {
                    let p = tmp.path().join("held-out.txt");
                    std::fs::write(&p, trainer::corpus_split().1).map_err(|source| {
                        DaemonError::Io {
                            path: p.clone(),
                            source,
                        }
                    })?;
                    Some(p)
                }
                Some(p) => Some(PathBuf::from(p)),
                None => None,
            };
            let v =
                trainer::fetch_and_check(&j, &r, &train, held.as_deref(), &out, &*chain).await?;
            g.print(&v);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn tempfile_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("impulse-")
        .tempdir()
        .map_err(|source| DaemonError::Io {
            path: std::env::temp_dir(),
            source,
        })
}

async fn get_job<C: Chain>(chain: &C, job: u64) -> Result<mkt::JobResponse> {
    chain
        .query(
            &chain.deployment().marketplace,
            &mkt::QueryMsg::Job { job_id: job },
        )
        .await
        .map_err(|e| {
            missing(
                e,
                &["not found"],
                format!("unknown job {job}: the marketplace has no such job"),
                format!("reading job {job}"),
            )
        })
}

/// A contract's "no such thing" (its message contains one of `markers`)
/// becomes the one-line input error `input`; any other failure keeps its
/// chain context.
fn missing(
    e: impulse_chain::api::Error,
    markers: &[&str],
    input: String,
    context: String,
) -> DaemonError {
    match e.contract_message() {
        Some(m) if markers.iter().any(|k| m.contains(k)) => DaemonError::Input(input),
        _ => DaemonError::Chain { context, source: e },
    }
}

async fn settled_exit<C: Chain>(g: &Global, chain: &C, j: &mkt::JobResponse) -> Result<ExitCode> {
    let r: mkt::RoundResponse = chain
        .query(
            &chain.deployment().marketplace,
            &mkt::QueryMsg::Round { job_id: j.id },
        )
        .await
        .ctx(|| format!("reading the round of job {}", j.id))?;
    g.print(&json!({
        "job": j.id, "state": j.state.as_str(), "attempts": j.attempts,
        "prover": j.prover.as_ref().map(|p| p.to_string()),
        "root": r.root.as_ref().map(|h| h.to_hex()),
        "final_model_hash": r.final_model_hash.as_ref().map(|h| h.to_hex()),
        "challenged_steps": r.challenged_steps,
        "committee": r.committee.iter().map(|m| m.address.to_string()).collect::<Vec<_>>(),
        "escrow_left": j.escrow.to_string(),
    }));
    Ok(if j.state == JobState::Settled {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn submit(g: &Global, o: &ChainOpts, a: SubmitArgs) -> Result<ExitCode> {
    let chain = o.chain(g.from()?).await?;
    let d = chain.deployment().clone();
    let human = g.output == Output::Human;
    let entry = JobEntry {
        name: "cli".into(),
        model: a.model.clone(),
        base: a.base.clone(),
        lora_rank: a.lora_rank,
        lora_alpha: 2.0 * a.lora_rank as f64,
        dataset: "file".into(),
        steps: a.steps,
        batch_size: a.batch_size,
        lr: a.lr,
        seed: Some(a.seed),
        alpha: a.alpha,
        committee: a.committee,
        mode: "exact".into(),
        tau: 0.0,
        max_price: a.max_price,
        budget: None,
        memory_gib: a.memory_gib,
    };
    let data = match &a.dataset {
        Some(p) => read_file(p)?,
        None => trainer::corpus_split().0,
    };
    if data.is_empty() {
        return Err(DaemonError::Input("the dataset is empty".into()));
    }
    let store = NodeStore::new();
    let data_hash = store.add_blob(Bytes::from(data));
    let base_hash = store.add_blob(Bytes::from_static(trainer::BASE));
    let stop = CancellationToken::new();
    let uri = if a.detach {
        let uri = a.data_uri.clone().expect("clap requires --data-uri");
        crate::spec::endpoint_of(&uri)?;
        uri
    } else {
        let listener = tokio::net::TcpListener::bind(a.serve).await.map_err(|e| {
            DaemonError::Input(format!("cannot serve the dataset on {}: {e}", a.serve))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| DaemonError::Input(e.to_string()))?;
        let (st, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let _ = impulse_artifact::serve(listener, st, ServerConfig::default(), stop).await;
        });
        format!("grpc://{addr}")
    };
    let now = chain.height().await.ctx(|| "reading the height".into())?;
    let spec = trainer::job_spec(
        &entry,
        a.seed,
        (&data_hash, &uri),
        (a.base == "shipped").then_some((&base_hash, uri.as_str())),
        now + 1_000_000,
    )?;
    let min = demo::min_budget(&*chain, &spec).await?;
    let budget = match &a.budget {
        Some(b) => {
            let b = parse_amount(b, &d.denom)?;
            if b < min {
                return Err(DaemonError::Input(format!(
                    "budget {b}{} is below the minimum {min}{} for this job (L x max price + verification + fee)",
                    d.denom, d.denom
                )));
            }
            b
        }
        None => min,
    };
    let me = chain.address();
    let have = chain
        .balance(&me, &d.denom)
        .await
        .ctx(|| "reading the balance".into())?;
    if have < budget {
        return Err(DaemonError::Input(format!(
            "insufficient funds: the budget is {budget}{} but {me} holds {have}{}",
            d.denom, d.denom
        )));
    }
    let out = chain
        .execute(
            &d.marketplace,
            &mkt::ExecuteMsg::SubmitJob { spec },
            &[Coin::new(budget, &d.denom)],
        )
        .await
        .ctx(|| "submitting the job".into())?;
    let id: u64 = out
        .attr("wasm", "job_id")
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| DaemonError::Check("SubmitJob returned no job_id".into()))?;
    if human {
        eprintln!(
            "submitted job {id}: {} steps of {}{}, alpha {}, committee {}, budget {budget}{} (tx {})",
            a.steps,
            a.model,
            if a.lora_rank > 0 { " LoRA" } else { "" },
            a.alpha,
            a.committee,
            d.denom,
            out.tx_hash
        );
    }
    if a.detach {
        g.print(
            &json!({"job": id, "budget": budget.to_string(), "tx": out.tx_hash, "data_uri": uri}),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if human {
        eprintln!("serving the dataset at {uri} until the job ends");
    }
    let j = watch(g, &*chain, id, Duration::from_secs(a.timeout_secs)).await?;
    stop.cancel();
    if let (Some(dir), JobState::Settled) = (&a.fetch, j.state) {
        let r: mkt::RoundResponse = chain
            .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: id })
            .await
            .ctx(|| "reading the round".into())?;
        let tmp = tempfile_dir()?;
        let train = match &a.dataset {
            Some(p) => p.clone(),
            None => shipped_train_file(tmp.path())?,
        };
        let v = trainer::fetch_and_check(&j, &r, &train, None, dir, &*chain).await?;
        if human {
            eprintln!(
                "fetched the model: {} (hash matches the commitment)",
                v["model_file"].as_str().unwrap_or("")
            );
        }
    }
    settled_exit(g, &*chain, &j).await
}

fn bar(step: u64, total: u64) -> String {
    const W: u64 = 30;
    let total = total.max(1);
    let f = (step.min(total) * W / total) as usize;
    format!(
        "[{}{}] {step}/{total}",
        "#".repeat(f),
        ".".repeat(W as usize - f)
    )
}

/// Follows a job until it reaches a terminal state; narrates on stderr.
pub async fn watch<C: Chain>(
    g: &Global,
    chain: &C,
    id: u64,
    timeout: Duration,
) -> Result<mkt::JobResponse> {
    let human = g.output == Output::Human;
    let tty = std::io::stderr().is_terminal();
    let d = chain.deployment().clone();
    let start = Instant::now();
    let mut last: Option<(JobState, u32)> = None;
    let mut last_step = u64::MAX;
    let mut progress: Option<(String, ArtifactClient)> = None;
    let mut failures = 0u32;
    loop {
        let j = match get_job(chain, id).await {
            Ok(j) => {
                failures = 0;
                j
            }
            Err(DaemonError::Input(m)) => return Err(DaemonError::Input(m)),
            Err(e) => {
                // The node may be restarting: keep watching for a while.
                failures += 1;
                if failures > 60 {
                    return Err(e);
                }
                if human && failures == 1 {
                    eprintln!("job {id}: chain unreachable, retrying ({e})");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let key = (j.state, j.attempts);
        if last != Some(key) {
            if human {
                if tty && last_step != u64::MAX {
                    eprintln!();
                }
                let who = j.prover.as_ref().map(|p| p.to_string()).unwrap_or_default();
                let extra = match j.state {
                    JobState::Assigned => format!(" to {who} (attempt {}), training", j.attempts),
                    JobState::Committed => {
                        " : result committed, committee revealing secrets".into()
                    }
                    JobState::Challenged | JobState::Verifying => {
                        let r: Option<mkt::RoundResponse> = chain
                            .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: id })
                            .await
                            .ok();
                        match r {
                            Some(r) => format!(
                                " : challenged steps {:?}, committee of {}",
                                r.challenged_steps,
                                r.committee.len()
                            ),
                            None => String::new(),
                        }
                    }
                    JobState::Settled => format!(" by {who} (attempt {})", j.attempts),
                    _ => String::new(),
                };
                eprintln!(
                    "[{:6.1}s] job {id}: {}{extra}",
                    start.elapsed().as_secs_f64(),
                    j.state
                );
            }
            last = Some(key);
            last_step = u64::MAX;
            progress = None;
        }
        if j.state.is_terminal() {
            return Ok(j);
        }
        if human && j.state == JobState::Assigned {
            if let Some(p) = &j.prover {
                if progress.as_ref().map(|(a, _)| a.as_str()) != Some(p.as_str()) {
                    let e: Option<stk::ProviderResponse> = chain
                        .query(
                            &d.staking,
                            &stk::QueryMsg::Provider {
                                address: p.to_string(),
                            },
                        )
                        .await
                        .ok();
                    if let Some(e) = e {
                        if let Ok(c) =
                            ArtifactClient::connect(&e.endpoint, ClientConfig::default()).await
                        {
                            progress = Some((p.to_string(), c));
                        }
                    }
                }
                if let Some((_, c)) = &progress {
                    if let Ok(pr) = c.progress(id).await {
                        if pr.step != last_step {
                            let loss = pr
                                .last_loss
                                .map(|l| format!(" loss {l:.4}"))
                                .unwrap_or_default();
                            if tty {
                                eprint!("\r  {}{loss}   ", bar(pr.step, pr.total_steps));
                            } else if pr.step == pr.total_steps || pr.step % 5 == 0 {
                                eprintln!("  {}{loss}", bar(pr.step, pr.total_steps));
                            }
                            last_step = pr.step;
                        }
                    }
                }
            }
        }
        if start.elapsed() > timeout {
            return Err(DaemonError::Check(format!(
                "job {id} is still {} after {timeout:?}",
                j.state
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// -------------------------------------------------------------- provider

async fn provider(g: &Global, action: ProviderAction) -> Result<ExitCode> {
    let o = g.opts();
    let chain = o.chain(g.from()?).await?;
    let d = chain.deployment().clone();
    let me = chain.address();
    let denom = d.denom.clone();
    let out = match action {
        ProviderAction::Register {
            stake,
            price,
            memory_gib,
            devices,
            endpoint,
        } => {
            let amount = parse_amount(&stake, &denom)?;
            chain
                .execute(
                    &d.staking,
                    &stk::ExecuteMsg::Register {
                        capacity: Capacity {
                            memory_gib,
                            devices,
                        },
                        backend: Backend::Cpu,
                        price_per_step: Uint128::new(price),
                        endpoint,
                    },
                    &funds(&*chain, amount).await?,
                )
                .await
                .ctx(|| "registering".into())?
        }
        ProviderAction::Stake { amount } => {
            let amount = parse_amount(&amount, &denom)?;
            chain
                .execute(
                    &d.staking,
                    &stk::ExecuteMsg::Stake {},
                    &funds(&*chain, amount).await?,
                )
                .await
                .ctx(|| "staking".into())?
        }
        ProviderAction::Unstake { amount } => {
            let amount = parse_amount(&amount, &denom)?;
            chain
                .execute(
                    &d.staking,
                    &stk::ExecuteMsg::Unstake {
                        amount: Uint128::new(amount),
                    },
                    &[],
                )
                .await
                .ctx(|| "unstaking".into())?
        }
        ProviderAction::Heartbeat => chain
            .execute(&d.staking, &stk::ExecuteMsg::Heartbeat {}, &[])
            .await
            .ctx(|| "heartbeat".into())?,
        ProviderAction::Claim { unbonded } => {
            if unbonded {
                chain
                    .execute(&d.staking, &stk::ExecuteMsg::Claim {}, &[])
                    .await
                    .ctx(|| "claiming released stake".into())?
            } else {
                chain
                    .execute(
                        &d.rewards,
                        &rw::ExecuteMsg::Claim {
                            epochs: None,
                            limit: None,
                        },
                        &[],
                    )
                    .await
                    .ctx(|| "claiming rewards".into())?
            }
        }
    };
    let p: stk::ProviderResponse = chain
        .query(
            &d.staking,
            &stk::QueryMsg::Provider {
                address: me.clone(),
            },
        )
        .await
        .ctx(|| "reading the provider".into())?;
    let after = chain
        .balance(&me, &denom)
        .await
        .ctx(|| "reading the balance".into())?;
    g.print(&json!({
        "tx": out.tx_hash, "height": out.height, "address": me,
        "stake": p.stake.to_string(), "unbonding": p.unbonding.to_string(),
        "claimable": p.claimable.to_string(), "balance": after.to_string(),
    }));
    Ok(ExitCode::SUCCESS)
}

/// `amount` of the deployment's denom, checked against the signer's balance.
async fn funds<C: Chain>(chain: &C, amount: u128) -> Result<Vec<Coin>> {
    let (me, denom) = (chain.address(), &chain.deployment().denom);
    if amount == 0 {
        return Err(DaemonError::Input("the amount must be above 0".into()));
    }
    let have = chain
        .balance(&me, denom)
        .await
        .ctx(|| "reading the balance".into())?;
    if have < amount {
        return Err(DaemonError::Input(format!(
            "insufficient funds: {amount}{denom} asked, {me} holds {have}{denom}"
        )));
    }
    Ok(vec![Coin::new(amount, denom)])
}

// ----------------------------------------------------------------- query

async fn query(g: &Global, what: QueryWhat) -> Result<ExitCode> {
    let o = g.opts();
    let chain = o.reader().await?;
    let d = chain.deployment().clone();
    let v = match what {
        QueryWhat::Job { job } => {
            let j = get_job(&*chain, job).await?;
            let r: mkt::RoundResponse = chain
                .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: job })
                .await
                .ctx(|| "reading the round".into())?;
            json!({"job": to_json(&j), "round": to_json(&r)})
        }
        QueryWhat::Jobs {
            state,
            start_after,
            limit,
        } => {
            let state = match state {
                None => None,
                Some(s) => Some(
                    serde_json::from_value::<JobState>(Value::String(s.clone())).map_err(|_| {
                        DaemonError::Input(format!(
                            "unknown state {s:?} (queued, assigned, committed, challenged, verifying, settled, failed, cancelled, expired)"
                        ))
                    })?,
                ),
            };
            let r: mkt::JobsResponse = chain
                .query(
                    &d.marketplace,
                    &mkt::QueryMsg::Jobs {
                        state,
                        start_after,
                        limit: Some(limit),
                    },
                )
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
            let p: stk::ProviderResponse = chain
                .query(
                    &d.staking,
                    &stk::QueryMsg::Provider {
                        address: address.clone(),
                    },
                )
                .await
                .map_err(|e| {
                    missing(
                        e,
                        &["not a registered provider"],
                        format!("{address} is not a registered provider"),
                        format!("reading provider {address}"),
                    )
                })?;
            let score: rep::ScoreResponse = chain
                .query(
                    &d.reputation,
                    &rep::QueryMsg::Score {
                        provider: address.clone(),
                    },
                )
                .await
                .ctx(|| format!("reading the reputation of {address}"))?;
            let mut x = to_json(&p);
            x["reputation"] = json!(score.score.to_string());
            x["claimable_rewards"] =
                json!(trainer::claimable(&*chain, &address).await?.to_string());
            x
        }
        QueryWhat::Providers { start_after, limit } => {
            let r: stk::ProvidersResponse = chain
                .query(
                    &d.staking,
                    &stk::QueryMsg::Providers {
                        start_after,
                        limit: Some(limit),
                    },
                )
                .await
                .ctx(|| "listing providers".into())?;
            let rows: Vec<Value> = r
                .providers
                .iter()
                .map(|p| json!({"address": p.address.to_string(), "stake": p.stake.to_string(), "price_per_step": p.price_per_step.to_string(), "banned": p.banned, "active_jobs": p.active_jobs, "endpoint": p.endpoint}))
                .collect();
            json!({"providers": rows})
        }
        QueryWhat::Epoch { epoch } => match epoch {
            None => to_json(
                &chain
                    .query::<_, rw::CurrentEpochResponse>(
                        &d.rewards,
                        &rw::QueryMsg::CurrentEpoch {},
                    )
                    .await
                    .ctx(|| "reading the current epoch".into())?,
            ),
            Some(e) => to_json(
                &chain
                    .query::<_, rw::EpochResponse>(&d.rewards, &rw::QueryMsg::Epoch { epoch: e })
                    .await
                    .map_err(|err| match err.contract_message() {
                        Some(m) => DaemonError::Input(format!("epoch {e}: {}", one_line(m))),
                        None => DaemonError::Chain {
                            context: format!("reading epoch {e}"),
                            source: err,
                        },
                    })?,
            ),
        },
        QueryWhat::Params => {
            let mut v = json!({});
            for (name, addr) in [
                ("staking", &d.staking),
                ("reputation", &d.reputation),
                ("marketplace", &d.marketplace),
                ("rewards", &d.rewards),
            ] {
                let c: Value = chain
                    .query(addr, &json!({"config": {}}))
                    .await
                    .ctx(|| format!("reading the {name} config"))?;
                v[name] = c["params"].clone();
            }
            v
        }
    };
    g.print(&v);
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- worker

async fn worker_run(g: &Global, a: WorkerArgs) -> Result<ExitCode> {
    let o = g.opts();
    let from = g.from()?.to_string();
    let behaviour: Behaviour = a
        .behaviour
        .parse()
        .map_err(|e: String| DaemonError::Input(e))?;
    let chain: Arc<WasmdChain> = o.chain(&from).await?;
    let d = chain.deployment().clone();
    let stake = parse_amount(&a.stake, &d.denom)?;
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| from.trim_start_matches("test:").to_string());
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| o.home.join("worker").join(chain.address()));
    let stop = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = ProviderConfig {
        name: name.clone(),
        behaviour,
        stake,
        price_per_step: a.price,
        capacity: Capacity {
            memory_gib: a.memory_gib,
            devices: a.devices,
        },
        backend: Backend::Cpu,
        data_dir: data_dir.clone(),
        listen: a.listen,
        poll: Duration::from_millis(a.poll_ms.max(50)),
        keeper: a.keeper,
    };
    let prov = Provider::new(cfg, chain.clone(), Some(tx), stop.clone())?;
    let endpoint = prov.serve().await?;
    let start = Instant::now();
    let json_out = g.output == Output::Json;
    let printer = tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        while let Some(e) = rx.recv().await {
            let t = start.elapsed().as_secs_f64();
            match e {
                Event::Say { who, job, text } => {
                    let j = job.map(|j| format!(" job {j}:")).unwrap_or_default();
                    if json_out {
                        println!(
                            "{}",
                            json!({"secs": t, "who": who, "job": job, "text": text})
                        );
                    } else {
                        eprintln!("[{t:7.1}s] {who}:{j} {text}");
                    }
                }
                Event::Step {
                    who,
                    job,
                    step,
                    total,
                    loss,
                    ..
                } => {
                    let loss = loss.map(|l| format!(" loss {l:.4}")).unwrap_or_default();
                    if json_out {
                        continue;
                    }
                    if tty {
                        eprint!("\r{who}: job {job} {}{loss}   ", bar(step, total));
                        if step == total {
                            eprintln!();
                        }
                    } else if step == total || step % 5 == 0 {
                        eprintln!("[{t:7.1}s] {who}: job {job} {}{loss}", bar(step, total));
                    }
                }
            }
        }
    });
    if !json_out {
        eprintln!(
            "[{:7.1}s] {name}: {} ({behaviour}) serving artifacts at {endpoint}, data in {}",
            0.0,
            chain.address(),
            data_dir.display()
        );
    }
    // SIGTERM / Ctrl-C: stop polling, checkpoint training, exit 0.
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            eprintln!("worker: shutting down (checkpointing)");
            stop.cancel();
        });
    }
    // Joining retries while the node is unreachable (e.g. restarting).
    let mut tries = 0u32;
    loop {
        match prov.join().await {
            Ok(()) => break,
            Err(e) if tries < 30 && !stop.is_cancelled() => {
                tries += 1;
                if tries == 1 {
                    eprintln!(
                        "{name}: joining failed, retrying: {}",
                        one_line(&e.to_string())
                    );
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    }
    prov.clone().run().await?;
    drop(prov);
    let _ = tokio::time::timeout(Duration::from_secs(2), printer).await;
    eprintln!("{name}: stopped");
    Ok(ExitCode::SUCCESS)
}

// ----------------------------------------------------------------- serve

async fn serve(g: &Global, dataset: Option<PathBuf>, listen: SocketAddr) -> Result<ExitCode> {
    let data = match &dataset {
        Some(p) => read_file(p)?,
        None => trainer::corpus_split().0,
    };
    let store = NodeStore::new();
    let data_hash = store.add_blob(Bytes::from(data));
    let base_hash = store.add_blob(Bytes::from_static(trainer::BASE));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| DaemonError::Input(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    g.print(&json!({"data_uri": format!("grpc://{addr}"), "dataset_sha256": hex::encode(data_hash), "base_sha256": hex::encode(base_hash)}));
    let stop = CancellationToken::new();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
    }
    impulse_artifact::serve(listener, store, ServerConfig::default(), stop)
        .await
        .map_err(|e| DaemonError::Input(format!("artifact server: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn errors_print_on_one_line() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert!(one_line(&"x ".repeat(1000)).chars().count() < 700);
    }

    #[test]
    fn progress_bar() {
        assert_eq!(bar(0, 10), format!("[{}] 0/10", ".".repeat(30)));
        assert_eq!(bar(10, 10), format!("[{}] 10/10", "#".repeat(30)));
        assert!(bar(5, 0).contains("5/1"));
    }
}

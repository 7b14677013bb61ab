//! `impulse worker run`: the provider daemon ([`crate::provider`]) against
//! a wasmd node, with its events as log lines (or JSON lines), SIGTERM
//! handled as "checkpoint and exit 0", and joining retried while the node
//! is unreachable.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use impulse_chain::api::Chain;
use impulse_types::{Backend, Capacity};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use super::common::{bar, one_line, terminated, Global, ServeTls};
use crate::adversary::Behaviour;
use crate::amount::parse_amount;
use crate::error::{DaemonError, Result};
use crate::provider::{Event, Provider, ProviderConfig};

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
    #[command(flatten)]
    pub tls: ServeTls,
}

/// `impulse worker run`.
pub async fn run(g: &Global, action: WorkerAction) -> Result<ExitCode> {
    let WorkerAction::Run(a) = action;
    let o = g.opts();
    let from = g.from()?.to_string();
    let behaviour: Behaviour = a
        .behaviour
        .parse()
        .map_err(|e: String| DaemonError::Input(e))?;
    let chain = o.chain(&from).await?;
    let stake = parse_amount(&a.stake, &chain.deployment().denom)?;
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| from.trim_start_matches("test:").to_string());
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| o.home.join("worker").join(chain.address()));
    let stop = CancellationToken::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = ProviderConfig {
        name: name.clone(),
        behaviour,
        cheat_steps: Default::default(),
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
        tls: a.tls.files()?,
        tls_ca_pem: g.tls_ca()?,
    };
    let prov = Provider::new(cfg, chain.clone(), Some(tx), stop.clone())?;
    let endpoint = prov.serve().await?;
    let json_out = !g.human();
    let printer = tokio::spawn(print_events(rx, Instant::now(), json_out));
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
            terminated().await;
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

/// The daemon's events as log lines on stderr (a progress bar on a
/// terminal), or as JSON lines on stdout.
async fn print_events(mut rx: UnboundedReceiver<Event>, start: Instant, json_out: bool) {
    let tty = std::io::stderr().is_terminal();
    while let Some(e) = rx.recv().await {
        let t = start.elapsed().as_secs_f64();
        match e {
            Event::Say { who, job, text } => {
                if json_out {
                    println!(
                        "{}",
                        json!({"secs": t, "who": who, "job": job, "text": text})
                    );
                } else {
                    let j = job.map(|j| format!(" job {j}:")).unwrap_or_default();
                    eprintln!("[{t:7.1}s] {who}:{j} {text}");
                }
            }
            Event::Step { .. } if json_out => {}
            Event::Step {
                who,
                job,
                step,
                total,
                loss,
                ..
            } => {
                let loss = loss.map(|l| format!(" loss {l:.4}")).unwrap_or_default();
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
}

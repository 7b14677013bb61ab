//! `impulse job submit|watch|cancel|fetch`: the trainer's side. `submit`
//! serves the dataset (and the shipped base) over the artifact service,
//! escrows the budget and watches the job with a progress bar; `fetch`
//! downloads a settled job's model and checks it against the commitment.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, Subcommand};
use impulse_artifact::{ArtifactClient, ClientConfig, ServerConfig};
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Staking};
use impulse_types::marketplace::{JobResponse, JobState};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::common::{bar, missing, read_file, tempfile_dir, Global, ServeTls};
use crate::amount::parse_amount;
use crate::assets;
use crate::error::{io, ChainContext, DaemonError, Result};
use crate::scenario::JobEntry;
use crate::trainer;

#[derive(Subcommand, Debug)]
pub enum JobAction {
    /// Submit a fine-tuning job with its budget in escrow, serve its data
    /// and watch it until it ends (exit 0 only when it settles).
    Submit(Box<SubmitArgs>),
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
    #[arg(long, requires = "data_uri", conflicts_with = "private")]
    pub detach: bool,
    /// A private job: the dataset, the states and the model go only to the
    /// job's prover and committee members (and to you), each request
    /// signed with the caller's chain key and checked against the job on
    /// chain. The dataset is served from here, so it cannot be --detach'ed.
    #[arg(long)]
    pub private: bool,
    /// grpc://host:port of an `impulse serve` holding the dataset.
    #[arg(long, value_name = "URI")]
    pub data_uri: Option<String>,
    /// After settlement, download and check the model into this directory.
    #[arg(long, value_name = "DIR")]
    pub fetch: Option<PathBuf>,
    /// Longest wait for the job to end (seconds).
    #[arg(long, default_value_t = 1800)]
    pub timeout_secs: u64,
    #[command(flatten)]
    pub tls: ServeTls,
}

impl SubmitArgs {
    /// The job as the scenario format describes jobs (one mapping to the
    /// chain's spec for the demo and the CLI).
    fn entry(&self) -> JobEntry {
        JobEntry {
            name: "cli".into(),
            model: self.model.clone(),
            base: self.base.clone(),
            lora_rank: self.lora_rank,
            lora_alpha: 2.0 * self.lora_rank as f64,
            dataset: "file".into(),
            steps: self.steps,
            batch_size: self.batch_size,
            lr: self.lr,
            seed: Some(self.seed),
            alpha: self.alpha,
            committee: self.committee,
            mode: "exact".into(),
            tau: 0.0,
            max_price: self.max_price,
            budget: None,
            memory_gib: self.memory_gib,
            private: self.private,
        }
    }
}

/// `impulse job ACTION`.
pub async fn run(g: &Global, action: JobAction) -> Result<ExitCode> {
    let o = g.opts();
    match action {
        JobAction::Submit(a) => submit(g, *a).await,
        JobAction::Watch { job, timeout_secs } => {
            let chain = signed_or_reader(g).await?;
            let j = watch(g, &chain, job, Duration::from_secs(timeout_secs)).await?;
            settled_exit(g, &*chain, &j).await
        }
        JobAction::Cancel { job } => {
            let chain = o.chain(g.from()?).await?;
            let denom = chain.deployment().denom.clone();
            let j = get_job(&*chain, job).await?;
            if j.state != JobState::Queued {
                return Err(DaemonError::Input(format!(
                    "job {job} is {}: only a queued job can be cancelled",
                    j.state
                )));
            }
            let me = chain.address();
            let before = chain.balance(&me, &denom).await.ctx(|| "balance".into())?;
            let out = Marketplace::new(&*chain)
                .cancel_job(job)
                .await
                .ctx(|| format!("cancelling job {job}"))?;
            let after = chain.balance(&me, &denom).await.ctx(|| "balance".into())?;
            g.print(&json!({"job": job, "state": "cancelled", "tx": out.tx_hash, "refunded_net_of_fee": after.saturating_sub(before).to_string()}));
            Ok(ExitCode::SUCCESS)
        }
        JobAction::Fetch {
            job,
            out,
            dataset,
            held_out,
        } => {
            let chain = signed_or_reader(g).await?;
            let j = get_job(&*chain, job).await?;
            if j.spec.private && g.from.is_none() {
                return Err(DaemonError::Input(format!(
                    "job {job} is private: only its trainer may fetch the model; name the trainer's key with --from KEY"
                )));
            }
            if j.state != JobState::Settled {
                return Err(DaemonError::Input(format!(
                    "job {job} is {}, not settled: there is no accepted model to fetch",
                    j.state
                )));
            }
            let tmp = tempfile_dir()?;
            let held = match held_out.as_deref() {
                Some("shipped") => Some(write(
                    tmp.path(),
                    "held-out.txt",
                    &trainer::corpus_split().1,
                )?),
                Some(p) => Some(PathBuf::from(p)),
                None => None,
            };
            let v = fetch_model(g, &chain, &j, dataset.as_deref(), held.as_deref(), &out).await?;
            g.print(&v);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let p = dir.join(name);
    io(&p, std::fs::write(&p, bytes))?;
    Ok(p)
}

/// Downloads and checks a settled job's model into `out`; `dataset` is
/// the job's (the shipped training split when absent).
async fn fetch_model<C: Chain + 'static>(
    g: &Global,
    chain: &Arc<C>,
    j: &JobResponse,
    dataset: Option<&Path>,
    held: Option<&Path>,
    out: &Path,
) -> Result<serde_json::Value> {
    let r = Marketplace::new(&**chain)
        .round(j.id)
        .await
        .ctx(|| format!("reading the round of job {}", j.id))?;
    let tmp = tempfile_dir()?;
    let train = match dataset {
        Some(p) => p.to_path_buf(),
        None => write(tmp.path(), "train.txt", &trainer::corpus_split().0)?,
    };
    let client = client_config(g, chain)?;
    trainer::fetch_and_check(j, &r, &train, held, out, chain, client).await
}

/// The deployment's chain signing as `--from` when it is given (a private
/// job's trainer reads its progress and model with signed requests), else
/// the read-only handle.
async fn signed_or_reader(g: &Global) -> Result<Arc<impulse_chain::api::WasmdChain>> {
    match &g.from {
        Some(from) => g.opts().chain(from).await,
        None => g.opts().reader().await,
    }
}

/// How the trainer's commands call artifact services: signed with the
/// chain handle's key, trusting `--tls-ca` for https endpoints.
fn client_config<C: Chain + 'static>(g: &Global, chain: &Arc<C>) -> Result<ClientConfig> {
    Ok(ClientConfig {
        tls_ca_pem: g.tls_ca()?,
        ..crate::node::signed_client(chain)
    })
}

/// Job `job`, or a one-line error when the marketplace has no such job.
pub(super) async fn get_job<C: Chain>(chain: &C, job: u64) -> Result<JobResponse> {
    Marketplace::new(chain).job(job).await.map_err(|e| {
        missing(
            e,
            &["not found"],
            format!("unknown job {job}: the marketplace has no such job"),
            format!("reading job {job}"),
        )
    })
}

/// Prints where a job ended; success only when it settled.
async fn settled_exit<C: Chain>(g: &Global, chain: &C, j: &JobResponse) -> Result<ExitCode> {
    let r = Marketplace::new(chain)
        .round(j.id)
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

/// `impulse job submit`.
async fn submit(g: &Global, a: SubmitArgs) -> Result<ExitCode> {
    let chain = g.opts().chain(g.from()?).await?;
    let d = chain.deployment().clone();
    let human = g.human();
    let data = match &a.dataset {
        Some(p) => read_file(p)?,
        None => trainer::corpus_split().0,
    };
    if data.is_empty() {
        return Err(DaemonError::Input("the dataset is empty".into()));
    }
    // Signed requests checked against the chain's accounts; a private
    // job's dataset goes to nobody until the job (and so its readers) exists.
    let store = crate::node::node_store(&chain);
    let data_hash = impulse_artifact::sha256(&data);
    if a.private {
        store.access().guard_blob(data_hash);
    }
    store.add_blob(Bytes::from(data));
    let base_hash = store.add_blob(Bytes::from_static(assets::BASE_MODEL));
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
        let tls = a.tls.files()?;
        let scheme = if tls.is_some() { "grpcs" } else { "grpc" };
        let config = ServerConfig {
            tls,
            ..ServerConfig::default()
        };
        config
            .validate()
            .map_err(|e| DaemonError::Input(format!("serving the dataset: {e}")))?;
        let (st, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(e) = impulse_artifact::serve(listener, st, config, stop).await {
                tracing::error!("dataset server: {e}");
            }
        });
        format!("{scheme}://{addr}")
    };
    let now = chain.height().await.ctx(|| "reading the height".into())?;
    let spec = trainer::job_spec(
        &a.entry(),
        a.seed,
        (&data_hash, &uri),
        (a.base == "shipped").then_some((&base_hash, uri.as_str())),
        now + 1_000_000,
    )?;
    let min = crate::demo::min_budget(&*chain, &spec).await?;
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
    let out = Marketplace::new(&*chain)
        .submit_job(spec, budget)
        .await
        .ctx(|| "submitting the job".into())?;
    let id: u64 = out
        .attr("wasm", "job_id")
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| DaemonError::Check("SubmitJob returned no job_id".into()))?;
    store.access().bind(id, a.private, &[data_hash]);
    if human {
        eprintln!(
            "submitted {}job {id}: {} steps of {}{}, alpha {}, committee {}, budget {budget}{} (tx {})",
            if a.private { "private " } else { "" },
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
    let j = watch(g, &chain, id, Duration::from_secs(a.timeout_secs)).await?;
    stop.cancel();
    if let (Some(dir), JobState::Settled) = (&a.fetch, j.state) {
        let v = fetch_model(g, &chain, &j, a.dataset.as_deref(), None, dir).await?;
        if human {
            eprintln!(
                "fetched the model: {} (hash matches the commitment)",
                v["model_file"].as_str().unwrap_or("")
            );
        }
    }
    settled_exit(g, &*chain, &j).await
}

/// Follows a job until it reaches a terminal state; narrates on stderr.
pub async fn watch<C: Chain + 'static>(
    g: &Global,
    chain: &Arc<C>,
    id: u64,
    timeout: Duration,
) -> Result<JobResponse> {
    let human = g.human();
    let tty = std::io::stderr().is_terminal();
    let market = Marketplace::new(&**chain);
    let start = Instant::now();
    let mut last: Option<(JobState, u32)> = None;
    let mut last_step = u64::MAX;
    let mut progress: Option<(String, ArtifactClient)> = None;
    let mut failures = 0u32;
    loop {
        let j = match get_job(&**chain, id).await {
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
                    JobState::Challenged | JobState::Verifying => match market.round(id).await {
                        Ok(r) => format!(
                            " : challenged steps {:?}, committee of {}",
                            r.challenged_steps,
                            r.committee.len()
                        ),
                        Err(_) => String::new(),
                    },
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
                    if let Ok(e) = Staking::new(&**chain).provider(p.as_str()).await {
                        // Signed: the progress of a private job is its
                        // trainer's to read.
                        let config = client_config(g, chain)?;
                        if let Ok(c) = ArtifactClient::connect(&e.endpoint, config).await {
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

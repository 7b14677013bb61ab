//! The `impulse` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use impulse_daemon::demo::{self, DemoOptions};
use impulse_daemon::scenario::{Scenario, DEFAULT};

/// Impulse: a verifiable marketplace for AI training.
///
/// Trainers escrow a budget for a fine-tuning job; staked providers train
/// it and commit a Merkle root over every step's state; a random committee
/// replays a random ~1% of the steps bit for bit; cheats are slashed,
/// honest work is paid.
#[derive(Parser, Debug)]
#[command(name = "impulse", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Narration and a summary for people.
    Human,
    /// The report as JSON on stdout.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
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
        /// `human` narrates on stderr; `json` prints the report on stdout.
        #[arg(long, value_enum, default_value_t = Output::Human)]
        output: Output,
    },
    /// Print the default demo scenario (a starting point for --scenario).
    Scenario,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Scenario => {
            print!("{DEFAULT}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            scenario,
            out,
            output,
        } => {
            let (scenario, source) = match &scenario {
                Some(p) => (
                    Scenario::load(p).map_err(|e| e.to_string())?,
                    p.display().to_string(),
                ),
                None => (
                    Scenario::default_scenario(),
                    "worker/daemon/scenarios/default.toml (embedded)".to_string(),
                ),
            };
            let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            let report = rt
                .block_on(demo::run(DemoOptions {
                    scenario,
                    source,
                    out: out.clone(),
                    narrate: output == Output::Human,
                }))
                .map_err(|e| e.to_string())?;
            if output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&report).expect("json"));
            } else {
                summary(&report, &out);
            }
            let held = report["invariant"]["held"].as_bool() == Some(true);
            Ok(if held {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn summary(r: &serde_json::Value, out: &std::path::Path) {
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

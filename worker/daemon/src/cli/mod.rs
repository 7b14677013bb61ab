//! The `impulse` command line: the demo on the embedded chain, and every
//! trainer, provider, query, deployment and localnet command against a
//! wasmd node (`--node`, `--chain-id`, `--deployment`, `--from`).
//!
//! Human output by default (progress and narration on stderr, results on
//! stdout); `--output json` prints one JSON document on stdout. Every error
//! is one line on stderr and a non-zero exit status.
//!
//! One module per command group, each with its clap arguments and its
//! handler: [`demo`] (`demo`, `scenario`), [`localnet`], [`deploy`],
//! [`keys`], [`gov`], [`job`], [`provider`], [`query`], [`worker`],
//! [`serve`]. [`common`] holds the global options and the output;
//! [`crate::connect`] is how a command reaches wasmd, [`crate::amount`]
//! amounts in and out.

pub mod common;
pub mod demo;
pub mod deploy;
pub mod gov;
pub mod job;
pub mod keys;
pub mod localnet;
pub mod provider;
pub mod query;
pub mod serve;
pub mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use crate::connect::ChainOpts;
pub use common::{one_line, Global, Output};

use crate::error::Result;

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
    Demo(demo::DemoArgs),
    /// Print a shipped demo scenario (a starting point for --scenario).
    Scenario(demo::ScenarioArgs),
    /// Start, stop, reset or inspect the single-node wasmd localnet.
    Localnet(localnet::LocalnetArgs),
    /// Store, instantiate and wire the four contracts; write the deployment file.
    ///
    /// The signer (--from; on the localnet test:validator by default)
    /// becomes each contract's governance; wasmd's x/gov module is each
    /// contract's admin (migrations and `sudo` parameter
    /// changes go through proposals: `impulse gov set-param`).
    Deploy(deploy::DeployArgs),
    /// Manage keys in the keyring (HOME/keys).
    Keys {
        #[command(subcommand)]
        action: keys::KeysAction,
    },
    /// Governance through wasmd's x/gov: parameter changes as `sudo` proposals.
    Gov {
        #[command(subcommand)]
        action: gov::GovAction,
    },
    /// Submit, watch, cancel and fetch training jobs (the trainer's side).
    Job {
        #[command(subcommand)]
        action: job::JobAction,
    },
    /// Register, stake, unstake, heartbeat and claim (a provider's manual controls).
    Provider {
        #[command(subcommand)]
        action: provider::ProviderAction,
    },
    /// Read the contracts' state.
    Query {
        #[command(subcommand)]
        what: query::QueryWhat,
    },
    /// Run the provider daemon.
    Worker {
        #[command(subcommand)]
        action: worker::WorkerAction,
    },
    /// Serve a dataset (and the shipped base weights) over the artifact
    /// service, for `job submit --detach --data-uri`.
    Serve(serve::ServeArgs),
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

async fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Demo(a) => demo::run(g, a).await,
        Command::Scenario(a) => demo::print_scenario(a),
        Command::Localnet(a) => localnet::run(g, a),
        Command::Deploy(a) => deploy::run(g, a).await,
        Command::Keys { action } => keys::run(g, action),
        Command::Gov { action } => gov::run(g, action).await,
        Command::Job { action } => job::run(g, action).await,
        Command::Provider { action } => provider::run(g, action).await,
        Command::Query { what } => query::run(g, what).await,
        Command::Worker { action } => worker::run(g, action).await,
        Command::Serve(a) => serve::run(g, a).await,
    }
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
    fn every_command_teaches() {
        fn walk(c: &clap::Command, path: &str) {
            let name = format!("{path} {}", c.get_name());
            assert!(
                c.get_about().is_some() || path.is_empty(),
                "`{name}` has no help text"
            );
            for s in c.get_subcommands() {
                walk(s, &name);
            }
        }
        walk(&Cli::command(), "");
    }

    fn parse(args: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("impulse").chain(args.split_whitespace()))
    }

    #[test]
    fn tls_and_private_flags_are_checked_before_anything_runs() {
        // A certificate without its key (and the other way round).
        let e = parse("worker run --tls-cert c.pem").unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let e = parse("job submit --tls-key k.pem").unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        // A private job's dataset is served by `job submit` itself.
        let e = parse("job submit --private --detach --data-uri grpc://h:1").unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
        assert!(parse("job submit --private --tls-cert c.pem --tls-key k.pem").is_ok());
        assert!(parse("--tls-ca ca.pem worker run --tls-cert c.pem --tls-key k.pem").is_ok());
    }

    #[test]
    fn unreadable_tls_files_are_one_clear_error() {
        let tls = common::ServeTls {
            tls_cert: Some("/nonexistent/cert.pem".into()),
            tls_key: Some("/nonexistent/key.pem".into()),
        };
        let e = tls.files().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
        assert_eq!(common::ServeTls::default().files().unwrap(), None);
    }
}

//! `impulse localnet up|down|reset|status`: runs the `localnet/` scripts,
//! which the binary carries ([`crate::assets::localnet_dir`] writes them to
//! the cache once; `IMPULSE_LOCALNET_DIR` runs a checkout's instead).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::common::Global;
use crate::assets;
use crate::error::{DaemonError, Result};

#[derive(Args, Debug)]
pub struct LocalnetArgs {
    #[arg(value_enum)]
    pub action: LocalnetAction,
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

impl LocalnetAction {
    /// The scripts this action runs, in order.
    fn scripts(self) -> &'static [&'static str] {
        match self {
            LocalnetAction::Up => &["build.sh", "init.sh", "start.sh"],
            LocalnetAction::Down => &["stop.sh"],
            LocalnetAction::Reset => &["reset.sh"],
            LocalnetAction::Status => &["status.sh"],
        }
    }
}

/// `impulse localnet ACTION`.
pub fn run(g: &Global, a: LocalnetArgs) -> Result<ExitCode> {
    let dir = assets::localnet_dir()?;
    for s in a.action.scripts() {
        let path = dir.join(s);
        if !path.exists() {
            return Err(DaemonError::Input(format!(
                "{} not found (unset {} to use the scripts this binary carries)",
                path.display(),
                assets::LOCALNET_DIR_ENV
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
    if a.action == LocalnetAction::Up {
        eprintln!(
            "localnet is up: --node {} --chain-id {} (test keys: --from test:alice ... see localnet/test-mnemonics.txt)",
            g.node, g.chain_id
        );
    }
    Ok(ExitCode::SUCCESS)
}

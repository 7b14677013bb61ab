//! `impulse-gas`: runs the optimized contract wasm in the real CosmWasm VM
//! (the one wasmd embeds) and writes the contracts' JSON schemas.
//!
//! - `check FILE...`: the static checks wasmd runs on upload (capabilities,
//!   imports, exports, limits) plus a compile; one OK/FAIL line per file.
//! - `bench`: a scripted scenario per contract with gas metering; prints a
//!   markdown table. Gas is a benchmark output, never asserted.
//! - `schema`: the JSON schemas of every contract (what `write_api!` writes).
//!
//! The contracts are listed once, in `ci/contracts.txt`.

mod bench;
mod check;
mod registry;
mod schema;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage:
  impulse-gas check [FILE.wasm...]          static VM check (default: every contract in artifacts/)
  impulse-gas bench [--artifacts DIR] [--json FILE]
                                            gas table of every contract's scenario
  impulse-gas schema [--out DIR]            write the JSON schemas (default: schema/)
  impulse-gas list                          the contracts: <package> <short name> <wasm file>";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(false)`: the command ran and found failures (already reported).
fn run() -> Result<bool> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        bail!("missing command");
    };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "check" => {
            let files: Vec<PathBuf> = if rest.is_empty() {
                registry::contracts()?
                    .iter()
                    .map(|c| PathBuf::from("artifacts").join(c.wasm_file()))
                    .collect()
            } else {
                if let Some(flag) = rest.iter().find(|a| a.starts_with('-')) {
                    bail!("unknown option {flag}\n{USAGE}");
                }
                rest.iter().map(PathBuf::from).collect()
            };
            check::run(&files)
        }
        "bench" => {
            let mut opts = Options::parse(&rest, &["--artifacts", "--json"])?;
            let artifacts = PathBuf::from(opts.take("--artifacts").unwrap_or("artifacts".into()));
            let json = opts.take("--json").map(PathBuf::from);
            bench::run(&artifacts, json.as_deref())
        }
        "schema" => {
            let mut opts = Options::parse(&rest, &["--out"])?;
            let out = PathBuf::from(opts.take("--out").unwrap_or("schema".into()));
            schema::run(&out).map(|()| true)
        }
        "list" => {
            for c in registry::contracts()? {
                println!("{} {} {}", c.package, c.short, c.wasm_file());
            }
            Ok(true)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(true)
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

/// `--flag VALUE` pairs; nothing else is accepted.
struct Options(Vec<(String, String)>);

impl Options {
    fn parse(args: &[String], known: &[&str]) -> Result<Self> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it
                        .next()
                        .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
                    (flag.clone(), v.clone())
                }
            };
            if !known.contains(&name.as_str()) {
                bail!("unknown argument {flag:?}\n{USAGE}");
            }
            out.push((name, value));
        }
        Ok(Options(out))
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let pos = self.0.iter().rposition(|(n, _)| n == name)?;
        Some(self.0.remove(pos).1)
    }
}

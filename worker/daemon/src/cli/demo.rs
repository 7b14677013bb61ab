//! `impulse demo` and `impulse scenario`: the whole protocol in one
//! process ([`crate::demo`]) and its scenarios, the shipped ones included
//! in the binary ([`crate::assets`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::common::Global;
use crate::amount::{imp, score};
use crate::assets;
use crate::demo::{self, DemoOptions};
use crate::error::{DaemonError, Result};
use crate::report::Report;
use crate::scenario::Scenario;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Scenario file (TOML), or the name of a shipped one (`default`,
    /// `withhold`, ...: `impulse scenario --list`); the default when absent.
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: Option<String>,
    /// Report directory.
    #[arg(long, value_name = "DIR", default_value = "impulse-demo")]
    pub out: PathBuf,
    /// `embedded` (in-process chain, the default) or `localnet`: the
    /// wasmd node of --node with the contracts of `impulse deploy`;
    /// the demo's accounts are funded by --from (default
    /// test:validator).
    #[arg(long, value_enum, default_value_t = DemoChain::Embedded)]
    pub chain: DemoChain,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DemoChain {
    /// The four contracts in cw-multi-test, in this process.
    Embedded,
    /// A wasmd node (`impulse localnet up`, `impulse deploy`).
    Localnet,
}

#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// A shipped scenario's name; the default scenario when absent.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// List the shipped scenarios' names instead.
    #[arg(long, conflicts_with = "name")]
    pub list: bool,
}

/// `impulse scenario [NAME] [--list]`.
pub fn print_scenario(a: ScenarioArgs) -> Result<ExitCode> {
    if a.list {
        for n in assets::scenario_names() {
            println!("{n}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = a.name.as_deref().unwrap_or("default");
    print!("{}", shipped(name)?);
    Ok(ExitCode::SUCCESS)
}

fn shipped(name: &str) -> Result<&'static str> {
    assets::scenario(name).ok_or_else(|| {
        DaemonError::Input(format!(
            "no shipped scenario {name:?} (there are: {})",
            assets::scenario_names().collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The scenario of `--scenario`: a file when one exists at that path,
/// else a shipped scenario by name; and where it came from.
pub fn load_scenario(arg: Option<&str>) -> Result<(Scenario, String)> {
    match arg {
        None => Ok((
            Scenario::default_scenario(),
            "worker/daemon/scenarios/default.toml (embedded)".to_string(),
        )),
        Some(a) if Path::new(a).exists() || a.contains(['/', '.']) => {
            Ok((Scenario::load(Path::new(a))?, a.to_string()))
        }
        Some(name) => Ok((
            Scenario::parse(shipped(name)?, name)?,
            format!("{name} (embedded)"),
        )),
    }
}

/// `impulse demo`.
pub async fn run(g: &Global, a: DemoArgs) -> Result<ExitCode> {
    let (mut scenario, source) = load_scenario(a.scenario.as_deref())?;
    if a.chain == DemoChain::Localnet {
        // ~1 s blocks instead of the embedded clock's 250 ms.
        scenario.timeout_secs = scenario.timeout_secs.max(1800);
    }
    let opts = DemoOptions {
        scenario,
        source,
        out: a.out.clone(),
        narrate: g.human(),
    };
    let report = match a.chain {
        DemoChain::Embedded => demo::run(opts).await?,
        DemoChain::Localnet => {
            let funder = g.from.clone().unwrap_or_else(|| "test:validator".into());
            demo::run_on_wasmd(opts, &g.opts(), &funder).await?
        }
    };
    if g.human() {
        eprint!("{}", summary(&report, &a.out));
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    }
    Ok(if report.invariant.held {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The summary printed after the narration: jobs, providers, epochs, the
/// invariant (amounts in IMP, scores to three digits).
pub fn summary(r: &Report, out: &Path) -> String {
    let mut s = String::from("\n== jobs\n");
    for j in &r.jobs {
        let loss = j
            .held_out_loss
            .map(|l| format!("{:.4} -> {:.4}", l.base, l.trained))
            .unwrap_or_else(|| "-".into());
        s += &format!(
            "  job {} {:<14} {:<9} attempts {} prover {} challenged {} paid: prover {}, verifiers {}, fee {}, refunded {}; held-out loss {loss}\n",
            j.id,
            j.name,
            j.status.as_str(),
            j.attempts,
            j.prover.as_deref().unwrap_or("-"),
            j.challenged_steps.len(),
            imp(j.paid_prover),
            imp(j.paid_verifiers),
            imp(j.fees),
            imp(j.refunded),
        );
    }
    s += "== providers\n";
    for p in &r.providers {
        s += &format!(
            "  {:<10} {:<14} stake {} -> {} (slashed {}), banned {}, reputation {} -> {}, rewards claimed {}\n",
            p.name,
            p.behaviour,
            imp(p.stake_before),
            imp(p.stake_after),
            imp(p.slashed),
            p.banned,
            score(p.reputation_before),
            score(p.reputation_after),
            imp(p.rewards_claimed),
        );
    }
    s += "== epochs\n";
    for e in &r.epochs {
        s += &format!(
            "  epoch {} issuance {} multiplier {} settled {} failed {}\n",
            e.epoch,
            imp(e.issuance),
            e.multiplier,
            e.jobs_settled,
            e.jobs_failed
        );
    }
    s += &format!(
        "== conservation invariant {} ({} checks); wall time {} s\nreport: {}\n",
        if r.invariant.held { "held" } else { "VIOLATED" },
        r.invariant.checks,
        r.wall_secs,
        out.join("index.html").display()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_by_file_or_shipped_name() {
        let (s, source) = load_scenario(None).unwrap();
        assert_eq!(s.name, Scenario::default_scenario().name);
        assert!(source.contains("embedded"));
        let (s, source) = load_scenario(Some("withhold")).unwrap();
        assert_eq!(source, "withhold (embedded)");
        assert!(s.name.contains("withhold"), "{}", s.name);
        let e = load_scenario(Some("nope")).unwrap_err().to_string();
        assert!(e.contains("no shipped scenario \"nope\""), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("mine.toml");
        std::fs::write(&f, assets::DEFAULT_SCENARIO).unwrap();
        let (_, source) = load_scenario(Some(f.to_str().unwrap())).unwrap();
        assert_eq!(source, f.display().to_string());
        assert!(load_scenario(Some("missing/file.toml")).is_err());
    }

    #[test]
    fn the_summary_reads_the_typed_report() {
        let r: Report = serde_json::from_str("{}").unwrap();
        let s = summary(&r, Path::new("out"));
        assert!(
            s.contains("== conservation invariant VIOLATED (0 checks)"),
            "{s}"
        );
        assert!(s.contains("out/index.html"));
    }
}

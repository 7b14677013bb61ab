//! What the scenario test binaries share: running a scenario through the
//! demo (the embedded chain and one real daemon per provider) and reading
//! its report.

use std::path::{Path, PathBuf};

use impulse_daemon::demo::{self, DemoOptions};
use impulse_daemon::scenario::Scenario;
use serde_json::Value;

/// The runs of one test binary take turns: they poll on block-sized
/// timers, and two at once on two cores make both late.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `scenarios/behaviours/<file>.toml`, loaded; and its path.
pub fn behaviour_scenario(file: &str) -> (PathBuf, Scenario) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/behaviours")
        .join(format!("{file}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (path, scenario)
}

/// Runs `scenario` (loaded from `path`) to its end, in turn with the other
/// runs of this binary; the typed report as the JSON of report.json. The
/// conservation invariant held at every check.
pub async fn run_scenario(scenario: Scenario, path: &Path, label: &str) -> Value {
    let _turn = SERIAL.lock().await;
    let out = tempfile::tempdir().unwrap();
    let report = demo::run(DemoOptions {
        scenario,
        source: path.display().to_string(),
        out: out.path().to_path_buf(),
        narrate: true,
    })
    .await
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    let report = serde_json::to_value(report).unwrap();
    eprintln!(
        "== {label}: {} s of wall time, blocks {} -> {}",
        report["wall_secs"], report["chain"]["start_height"], report["chain"]["end_height"]
    );
    assert_eq!(report["invariant"]["held"], true, "{}", report["invariant"]);
    assert!(report["invariant"]["checks"].as_u64().unwrap() > 5);
    report
}

/// Whether the run's narration has a line containing `text`.
pub fn said(report: &Value, text: &str) -> bool {
    report["narration"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["text"].as_str().is_some_and(|t| t.contains(text)))
}

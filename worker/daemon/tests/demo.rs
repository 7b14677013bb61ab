//! The default demo scenario end to end on the embedded chain (real
//! contracts, real gRPC on loopback, real burn training), with shorter
//! epochs so that it runs in the test profile in about a minute.

use impulse_daemon::demo::{self, DemoOptions};
use impulse_daemon::scenario::Scenario;

fn num(v: &serde_json::Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn dec(v: &serde_json::Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a decimal: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_scenario_settles_slashes_and_pays() {
    let mut s = Scenario::default_scenario();
    s.block_ms = 150;
    s.chain.epoch_blocks = 120;
    // Job 2's committee is every provider but its prover (drawn at
    // submission, before anyone is banned), so the lazy verifier is on it
    // for certain rather than by the draw.
    s.jobs[1].committee = 5;
    let out = tempfile::tempdir().unwrap();
    let r = demo::run(DemoOptions {
        scenario: s,
        source: "test".into(),
        out: out.path().to_path_buf(),
        narrate: true,
    })
    .await
    .unwrap();
    assert!(out.path().join("report.json").exists());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("<svg"));
    assert_eq!(r["invariant"]["held"], true, "{}", r["invariant"]);
    assert!(r["invariant"]["checks"].as_u64().unwrap() > 10);

    let jobs = r["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    for j in jobs {
        assert_eq!(j["status"], "settled", "{j}");
        assert_eq!(j["model_hash_matches"], true, "{j}");
        assert_ne!(j["prover"], "cheater");
        let l = &j["held_out_loss"];
        assert!(
            l["trained"].as_f64().unwrap() < l["base"].as_f64().unwrap(),
            "held-out loss did not go down: {l}"
        );
    }
    // The cheater got the first job, was caught, and the job was re-queued
    // and settled by an honest provider.
    let first = &jobs[0];
    assert_eq!(first["attempts"], 2, "{first}");

    let providers = r["providers"].as_array().unwrap();
    let p = |name: &str| providers.iter().find(|p| p["name"] == name).unwrap();
    let cheater = p("cheater");
    let before = num(&cheater["stake_before"]);
    assert_eq!(
        num(&cheater["slashed"]),
        before * 3 / 4,
        "slashed 75%: {cheater}"
    );
    assert_eq!(cheater["banned"], true);
    // The lazy verifier is penalised: it sits on job 2's committee (all
    // five other providers, see above), lands in the minority against the
    // honest prover, and is slashed and banned; its reputation is at most
    // any honest provider's (one that did no work also has 0).
    let lazy = p("lazy");
    assert!(num(&lazy["slashed"]) > 0, "{lazy}");
    assert_eq!(lazy["banned"], true, "{lazy}");
    let honest: Vec<_> = providers
        .iter()
        .filter(|p| p["behaviour"] == "honest")
        .collect();
    for h in &honest {
        assert!(
            dec(&lazy["reputation_after"]) <= dec(&h["reputation_after"]),
            "{lazy} vs {h}"
        );
        assert_eq!(num(&h["slashed"]), 0, "{h}");
        assert_eq!(h["banned"], false, "{h}");
    }
    assert_eq!(num(&lazy["rewards_claimed"]), 0, "{lazy}");
    let claimed: u128 = honest.iter().map(|h| num(&h["rewards_claimed"])).sum();
    assert!(claimed > 0, "rewards were claimed");
    assert!(r["epochs"].as_array().unwrap().len() >= 2);
}

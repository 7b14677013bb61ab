//! The demo end to end on the embedded chain (real contracts, real gRPC on
//! loopback, real burn training): the default scenario with shorter epochs
//! so that it runs in the test profile in about a minute, and a job that
//! fails (its only prover never trains) reported like any other outcome.
//! Both read the typed report.

use cosmwasm_std::Uint128;
use impulse_daemon::demo::{self, DemoOptions};
use impulse_daemon::report::Report;
use impulse_daemon::scenario::Scenario;
use impulse_types::marketplace::JobState;

/// The demos run one at a time: blocks come from a wall clock, and two
/// trainings at once on a small machine would eat each other's margins.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(s: Scenario, out: &std::path::Path) -> Report {
    demo::run(DemoOptions {
        scenario: s,
        source: "test".into(),
        out: out.to_path_buf(),
        narrate: true,
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_scenario_settles_slashes_and_pays() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut s = Scenario::default_scenario();
    s.block_ms = 150;
    s.chain.epoch_blocks = 120;
    // Job 2's committee is every provider but its prover (drawn at
    // submission, before anyone is banned), so the lazy verifier is on it
    // for certain rather than by the draw.
    s.jobs[1].committee = 5;
    let out = tempfile::tempdir().unwrap();
    let r = run(s, out.path()).await;
    // report.json is the report: its text is what the report serializes to
    // (compared as text: serde_json parses some f64 one ulp off without its
    // `float_roundtrip` feature, e.g. a held-out loss of 1.9411802291870117),
    // and it reads back as a report.
    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    assert_eq!(
        text,
        serde_json::to_string_pretty(&r).unwrap(),
        "report.json is the report"
    );
    let written: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(written.jobs.len(), r.jobs.len());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("<svg"));
    assert!(r.invariant.held, "{:?}", r.invariant);
    assert!(r.invariant.checks > 10);

    assert_eq!(r.jobs.len(), 2);
    for j in &r.jobs {
        assert_eq!(j.status, JobState::Settled, "{j:?}");
        assert_eq!(j.model_hash_matches, Some(true), "{j:?}");
        assert_ne!(j.prover.as_deref(), Some("cheater"));
        let l = j.held_out_loss.expect("held-out loss");
        assert!(l.trained < l.base, "held-out loss did not go down: {l:?}");
        // The escrow's payouts come from the settlement's events: they
        // spend the budget (plus any penalty paid into the escrow).
        assert!(
            !j.paid_prover.is_zero() && !j.paid_verifiers.is_zero(),
            "{j:?}"
        );
        assert!(!j.fees.is_zero() && j.refunded < j.budget, "{j:?}");
        assert!(
            j.paid_prover + j.paid_verifiers + j.fees + j.refunded >= j.budget,
            "{j:?}"
        );
        assert_eq!(j.provers.last(), j.prover.as_ref(), "{j:?}");
    }
    // The cheater got the first job, was caught, and the job was re-queued
    // and settled by an honest provider.
    let first = &r.jobs[0];
    assert_eq!(first.attempts, 2, "{first:?}");
    assert_eq!(first.provers.len(), 2, "{first:?}");
    assert_eq!(first.provers[0], "cheater", "{first:?}");

    let p = |name: &str| r.provider(name).unwrap();
    let cheater = p("cheater");
    let before = cheater.stake_before;
    assert_eq!(
        cheater.slashed,
        before * Uint128::new(3) / Uint128::new(4),
        "slashed 75%: {cheater:?}"
    );
    assert!(cheater.banned);
    // The lazy verifier is penalised: it sits on job 2's committee (all
    // five other providers, see above), lands in the minority against the
    // honest prover, and is slashed and banned; its reputation is at most
    // any honest provider's (one that did no work also has 0).
    let lazy = p("lazy");
    assert!(!lazy.slashed.is_zero(), "{lazy:?}");
    assert!(lazy.banned, "{lazy:?}");
    let honest: Vec<_> = r
        .providers
        .iter()
        .filter(|p| p.behaviour == "honest")
        .collect();
    for h in &honest {
        assert!(
            lazy.reputation_after <= h.reputation_after,
            "{lazy:?} vs {h:?}"
        );
        assert!(h.slashed.is_zero(), "{h:?}");
        assert!(!h.banned, "{h:?}");
    }
    assert!(lazy.rewards_claimed.is_zero(), "{lazy:?}");
    let claimed: Uint128 = honest.iter().map(|h| h.rewards_claimed).sum();
    assert!(!claimed.is_zero(), "rewards were claimed");
    assert!(r.epochs.len() >= 2);
}

/// The three provers register and never train: each attempt misses its
/// training deadline (a benign fault; the prover is never assigned that job
/// again), and after `max_attempts` (3) the job fails and its escrow goes
/// back to the trainer. The demo reports it
/// like any other outcome.
const ONLY_PROVER_OFFLINE: &str = r#"
name = "only-prover-offline"
seed = 3
block_ms = 100
epochs = 0
timeout_secs = 240

[chain]
heartbeat_blocks = 100_000
train_base_blocks = 6
blocks_per_step = 1
verifier_price_per_step = 1000

[[providers]]
name = "offline-0"
stake = 1_200_000_000
price = 5
behaviour = "offline"

[[providers]]
name = "offline-1"
stake = 1_200_000_000
price = 6
behaviour = "offline"

[[providers]]
name = "offline-2"
stake = 1_200_000_000
price = 7
behaviour = "offline"

[[providers]]
name = "verifier-0"
stake = 500_000_000
price = 10
roles = ["verifier"]

[[providers]]
name = "verifier-1"
stake = 500_000_000
price = 10
roles = ["verifier"]

[[providers]]
name = "verifier-2"
stake = 500_000_000
price = 10
roles = ["verifier"]

[[jobs]]
name = "never-trained"
steps = 4
alpha = 0.5
committee = 3
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_job_is_reported_like_any_other_outcome() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = Scenario::parse(ONLY_PROVER_OFFLINE, "test").unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(s, out.path()).await;
    assert!(r.invariant.held, "{:?}", r.invariant);
    let j = r.job("never-trained").unwrap();
    assert_eq!(j.status, JobState::Failed, "{j:?}");
    assert_eq!(j.attempts, 3, "{j:?}");
    // A prover that timed out never gets the job again (issue 14): each
    // attempt went to the next offline prover.
    assert_eq!(
        j.provers,
        vec!["offline-0", "offline-1", "offline-2"],
        "{j:?}"
    );
    // No round any more, nothing paid but the refund of the whole escrow.
    assert!(
        j.challenged_steps.is_empty() && j.committee.is_empty(),
        "{j:?}"
    );
    assert!(j.paid_prover.is_zero() && j.paid_verifiers.is_zero() && j.fees.is_zero());
    assert!(!j.refunded.is_zero(), "{j:?}");
    assert!(j.escrow_left.is_zero(), "{j:?}");
    assert_eq!(j.model_hash_matches, None);
    assert!(j.ended_secs.is_some());
    // The benign faults cost each prover stake; none is banned.
    for name in ["offline-0", "offline-1", "offline-2"] {
        let off = r.provider(name).unwrap();
        assert!(off.stake_after < off.stake_before, "{off:?}");
        assert!(!off.banned, "{off:?}");
    }
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        html.contains("pill bad\">failed<"),
        "the page shows the failure"
    );
}

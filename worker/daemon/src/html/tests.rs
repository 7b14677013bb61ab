//! The report page from typed reports: everything shows, amounts in IMP,
//! scores to three digits, text escaped, charts finite.

use super::*;
use crate::report::*;
use impulse_types::rewards::Kpis;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn provider(name: &str, behaviour: &str) -> ProviderReport {
    ProviderReport {
        name: name.into(),
        address: format!("wasm1{name}"),
        behaviour: behaviour.into(),
        roles: vec!["prover".into()],
        stake_before: Uint128::new(2_000_000_000),
        stake_after: Uint128::new(2_000_000_000),
        slashed: Uint128::zero(),
        banned: false,
        missed_heartbeats: 0,
        reputation_before: Decimal::zero(),
        reputation_after: dec("0.41234567890123456"),
        rewards_claimed: Uint128::new(12_345),
        balance_before: Uint128::zero(),
        balance_after: Uint128::zero(),
        stake_claimable: Uint128::zero(),
        unpaid_fine_intervals: 0,
    }
}

fn point(attempt: u32, prover: &str, step: u64, loss: f32) -> LossPoint {
    LossPoint {
        attempt,
        prover: prover.into(),
        step,
        loss,
    }
}

fn example() -> Report {
    let mut cheat = provider("cheat", "skip_steps");
    cheat.slashed = Uint128::new(500);
    cheat.banned = true;
    Report {
        impulse_version: "0.1.0".into(),
        scenario: ScenarioInfo {
            name: "default".into(),
            seed: 7,
            source: "test".into(),
        },
        chain: ChainInfo {
            kind: "embedded".into(),
            chain_id: "impulse-embedded".into(),
            block_ms: Some(250),
            start_height: 3,
            end_height: 812,
            txs: None,
        },
        wall_secs: 143.2,
        invariant: Invariant {
            held: true,
            checks: 412,
            violations: vec![],
        },
        jobs: vec![JobReport {
            name: "tales-lora-a".into(),
            id: 1,
            status: JobState::Settled,
            trainer: "wasm1trainer".into(),
            prover: Some("honest-0".into()),
            provers: vec!["cheat".into(), "honest-0".into()],
            attempts: 2,
            challenged_steps: vec![4, 17],
            committee: vec!["v1".into(), "v2".into()],
            verdicts: vec![],
            budget: Uint128::new(1_000_000),
            escrow_left: Uint128::zero(),
            paid_prover: Uint128::new(400),
            paid_verifiers: Uint128::new(90),
            fees: Uint128::new(20),
            refunded: Uint128::new(999_490),
            committed_model_hash: Some("ab12cd34ef56ab78".into()),
            final_model_hash: Some("ab12cd34ef56ab78".into()),
            model_hash_matches: Some(true),
            model_error: None,
            model_file: None,
            held_out_loss: Some(HeldOutLoss {
                base: 2.91,
                trained: 2.65,
            }),
            loss_curve: vec![
                point(1, "cheat", 1, 3.1),
                point(1, "cheat", 2, 2.9),
                point(2, "honest-0", 1, 3.0),
            ],
            submitted_secs: Some(0.0),
            ended_secs: Some(12.0),
        }],
        providers: vec![provider("honest-0", "honest"), cheat],
        epochs: vec![EpochReport {
            epoch: 1,
            start_height: 1,
            end_height: 300,
            issuance: Uint128::new(500_000),
            multiplier: dec("0.8"),
            kpis: Kpis {
                compute_volume: Uint128::new(60),
                active_providers: 2,
                fee_growth: Decimal::one(),
                success_rate: dec("0.5"),
            },
            fees_in: Uint128::new(40),
            jobs_settled: 1,
            jobs_failed: 0,
        }],
        samples: vec![
            Sample {
                height: 10,
                provider: "honest-0".into(),
                stake: Uint128::new(2_000_000_000),
                reputation: Decimal::zero(),
            },
            Sample {
                height: 20,
                provider: "honest-0".into(),
                stake: Uint128::new(2_000_000_000),
                reputation: dec("0.2"),
            },
            Sample {
                height: 20,
                provider: "cheat".into(),
                stake: Uint128::new(1_500_000_000),
                reputation: Decimal::zero(),
            },
        ],
        narration: vec![Line {
            height: 12,
            secs: 1.4,
            text: "job 1 assigned".into(),
        }],
    }
}

fn assert_finite(html: &str) {
    for bad in ["NaN", "inf"] {
        assert!(!html.contains(bad), "output contains {bad}");
    }
}

#[test]
fn example_renders_everything() {
    let html = render(&example());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    for needle in [
        "tales-lora-a",
        "honest-0",
        "cheat",
        ">1<",
        "held (412 checks)",
        "×0.8",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(html.contains("ab12cd34ef56</code>"));
    assert_finite(&html);
}

#[test]
fn amounts_show_in_imp_and_scores_to_three_digits() {
    let html = render(&example());
    // The jobs table's payout columns are filled.
    for needle in [
        "cheat, honest-0",
        ">0.0004 IMP<",
        ">0.00009 IMP<",
        ">0.00002 IMP<",
        ">0.99949 IMP<",
        "2,000 IMP → 2,000 IMP",
        "0.000 → 0.412",
        "title=\"999490 uimp\"",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(!html.contains("0.41234567890123456"));
    assert!(!html.contains("2000000000<"));
}

#[test]
fn empty_and_violated_reports_render() {
    let html = render(&Report::default());
    assert!(html.ends_with("</html>\n"));
    assert!(html.contains("no data"));
    let violated = Report {
        invariant: Invariant {
            held: false,
            checks: 3,
            violations: vec!["<x> leaked".into()],
        },
        ..Report::default()
    };
    let html = render(&violated);
    assert!(html.contains("VIOLATED") && html.contains("&lt;x&gt; leaked"));
}

#[test]
fn job_name_is_escaped() {
    let mut r = example();
    r.jobs[0].name = "<script>alert('x\"&')</script>".into();
    let html = render(&r);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&quot;&amp;&#39;)&lt;/script&gt;"));
}

#[test]
fn constant_series_are_finite() {
    let mut r = example();
    r.jobs[0].loss_curve = vec![
        point(1, "a", 1, 2.0),
        point(1, "a", 2, 2.0),
        point(2, "b", 5, 2.0),
    ];
    let html = render(&r);
    assert!(html.contains("<polyline"));
    assert_finite(&html);
}

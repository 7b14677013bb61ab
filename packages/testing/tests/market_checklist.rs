//! Checklist items (shared/checklists.md) for the marketplace: every bad
//! input gets a typed error and changes nothing.

use cosmwasm_std::{coin, Decimal, Uint128};
use impulse_testing::market::{default_spec, hex, Run};
use impulse_testing::{Outcome, Suite, SuiteBuilder};
use impulse_types::marketplace::{self as mkt, ExecuteMsg, JobState, MarketplaceParams};

const L: u64 = 40;

/// What the marketplace shows of its state.
fn snapshot(s: &Suite) -> String {
    format!(
        "{:?}|{:?}|{:?}|{}",
        s.market_config(),
        s.market_totals(),
        s.all_jobs(None),
        s.balance(&s.market_addr())
    )
}

#[track_caller]
fn rejects(
    s: &mut Suite,
    sender: &cosmwasm_std::Addr,
    msg: ExecuteMsg,
    funds: &[cosmwasm_std::Coin],
    expected: &str,
) {
    let m = s.market_addr();
    s.rejects_unchanged(
        snapshot,
        |s| s.exec_coins(&m, sender, &msg, funds),
        expected,
    );
}

#[test]
fn job_validation_errors_are_typed_and_change_nothing() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let t = s.addr("trainer");
    let now = s.height();
    let p = MarketplaceParams::default();
    let submit = |spec: mkt::JobSpec| ExecuteMsg::SubmitJob { spec };
    let spec = default_spec(now, L, 1);
    let need = impulse_testing::market::required_budget(&spec, &p);
    rejects(
        &mut s,
        &t,
        submit(spec.clone()),
        &[coin(need - 1, "uimp")],
        &format!("budget too small: {need} required, {} provided", need - 1),
    );
    type Change<'a> = Box<dyn Fn(&mut mkt::JobSpec) + 'a>;
    let invalid: Vec<(&str, Change)> = vec![
        (
            "alpha",
            Box::new(|j| j.verification.alpha = Decimal::permille(5)),
        ),
        (
            "verification.committee",
            Box::new(|j| j.verification.committee = 2),
        ),
        (
            "is not after the current block",
            Box::new(|j| j.deadline = now),
        ),
        ("hyper.steps", Box::new(|j| j.hyper.steps = p.max_steps + 1)),
        (
            "expected 32 bytes, got 31",
            Box::new(|j| j.dataset.sha256 = hex(&[1u8; 31])),
        ),
        ("dataset.uri", Box::new(|j| j.dataset.uri = "x".repeat(600))),
        ("model_units", Box::new(|j| j.model_units = 0)),
    ];
    for (expected, change) in &invalid {
        let mut bad = spec.clone();
        change(&mut bad);
        rejects(&mut s, &t, submit(bad), &[coin(need, "uimp")], expected);
    }
    let mut bad = spec.clone();
    bad.verification.alpha = Decimal::one();
    bad.hyper.steps = 10_000;
    rejects(
        &mut s,
        &t,
        submit(bad),
        &[coin(1_000_000_000_000, "uimp")],
        "exceeds max_challenges",
    );
    // item 6: amounts near the top overflow with an error, never wrap
    let mut bad = spec.clone();
    bad.max_price_per_step = Uint128::MAX;
    rejects(
        &mut s,
        &t,
        submit(bad),
        &[coin(1_000_000_000_000, "uimp")],
        "overflow",
    );
    // item 4: funds
    let atom = s.addr("atom-holder");
    s.mint(&t, 1_000_000u128, "uatom");
    let _ = atom;
    rejects(&mut s, &t, submit(spec.clone()), &[], "nothing was sent");
    rejects(
        &mut s,
        &t,
        submit(spec.clone()),
        &[coin(need, "uatom")],
        "wrong denom",
    );
    rejects(
        &mut s,
        &t,
        submit(spec.clone()),
        &[coin(need, "uimp"), coin(1, "uatom")],
        "several denoms",
    );
    rejects(
        &mut s,
        &t,
        ExecuteMsg::RunScheduler { limit: None },
        &[coin(1, "uimp")],
        "takes no funds",
    );
}

#[test]
fn governance_is_guarded_and_two_step() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let eve = s.addr("eve");
    let gov = s.gov.clone();
    // item 1
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::UpdateParams {
            params: MarketplaceParams::default(),
        },
        &[],
        "may not update params",
    );
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::SetContracts {
            staking: Some(eve.to_string()),
            reputation: None,
            rewards: None,
        },
        &[],
        "may not set contracts",
    );
    let p = MarketplaceParams {
        min_committee: 0,
        ..Default::default()
    };
    rejects(
        &mut s,
        &gov,
        ExecuteMsg::UpdateParams { params: p },
        &[],
        "invalid parameter min_committee",
    );
    // item 3: an upper-cased address is refused
    let upper = eve.to_string().to_uppercase();
    rejects(
        &mut s,
        &gov,
        ExecuteMsg::SetContracts {
            staking: Some(upper),
            reputation: None,
            rewards: None,
        },
        &[],
        "invalid address",
    );
    // item 2
    let next = s.addr("next-gov");
    s.exec_market(
        &gov,
        &ExecuteMsg::ProposeGovernance {
            address: next.to_string(),
        },
        0,
    )
    .must(&s);
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::AcceptGovernance {},
        &[],
        "may not accept governance",
    );
    s.exec_market(&next, &ExecuteMsg::AcceptGovernance {}, 0)
        .must(&s);
    assert_eq!(s.market_config().governance, next);
    let mut p = MarketplaceParams {
        max_attempts: 5,
        ..Default::default()
    };
    s.exec_market(&next, &ExecuteMsg::UpdateParams { params: p.clone() }, 0)
        .must(&s);
    p.max_attempts = 6;
    s.sudo_market(&mkt::SudoMsg::UpdateParams { params: p })
        .must(&s);
    assert_eq!(s.market_params().max_attempts, 6);
}

#[test]
fn unauthorized_round_messages_are_refused() {
    let mut s = SuiteBuilder::new().marketplace().build();
    s.network(2, 5);
    let t = s.addr("trainer");
    let (id, _) = s.submit(&t, &default_spec(s.height(), L, 1)).unwrap();
    let eve = s.addr("eve");
    let run = Run::honest(1, L);
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::CommitSecret {
            job_id: id,
            secret_hash: hex(&[0u8; 32]),
        },
        &[],
        "is not on the committee",
    );
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::CommitResult {
            job_id: id,
            root: hex(&run.root()),
            final_model_hash: hex(&run.claimed_model),
            build_identity: "x".into(),
            backend: impulse_types::Backend::Cpu,
        },
        &[],
        "is not the prover",
    );
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::CancelJob { job_id: id },
        &[],
        "may not cancel",
    );
    rejects(
        &mut s,
        &t,
        ExecuteMsg::CancelJob { job_id: id },
        &[],
        "is assigned; this needs queued",
    );
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::Advertise {},
        &[],
        "is not a registered provider",
    );
    rejects(
        &mut s,
        &eve,
        ExecuteMsg::CancelJob { job_id: 99 },
        &[],
        "job 99 not found",
    );
    // item 5: a settled job cannot be settled or paid twice
    let res = s.drive(id, &run, &[]).unwrap();
    assert!(impulse_testing::market::moved_to(
        &res,
        id,
        JobState::Settled
    ));
    let m = s.round(id).committee[0].address.clone();
    let msg = s.reveal_msg(id, &run, 0, &[]);
    rejects(&mut s, &m, msg, &[], "is settled; this needs verifying");
    let prover = s.job(id).prover.unwrap();
    rejects(
        &mut s,
        &prover,
        ExecuteMsg::OpenSteps {
            job_id: id,
            openings: vec![run.opening(L)],
        },
        &[],
        "is settled",
    );
}

#[test]
fn bank_transfers_change_no_escrow_and_queries_cap() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let t = s.addr("trainer");
    for i in 0..(impulse_types::common::MAX_LIMIT as u64 + 5) {
        s.submit(&t, &default_spec(s.height(), 10, i)).unwrap();
    }
    let before = s.market_totals();
    s.donate_market(&t, 12345);
    assert_eq!(s.market_totals(), before, "item 8");
    s.assert_invariant();
    // item 12: every list caps at MAX_LIMIT
    let r: mkt::JobsResponse = s
        .query(
            &s.market_addr(),
            &mkt::QueryMsg::Jobs {
                state: None,
                start_after: None,
                limit: Some(1000),
            },
        )
        .unwrap();
    assert_eq!(r.jobs.len(), impulse_types::common::MAX_LIMIT as usize);
    let q: mkt::QueueResponse = s
        .query(
            &s.market_addr(),
            &mkt::QueryMsg::Queue {
                start_after: None,
                limit: Some(1000),
            },
        )
        .unwrap();
    assert_eq!(q.entries.len(), impulse_types::common::MAX_LIMIT as usize);
    assert!(
        q.entries.windows(2).all(|w| w[0].density >= w[1].density),
        "value density order"
    );
    // the crank takes a limit
    let res = s.run_scheduler(Some(1000)).must(&s);
    assert_eq!(impulse_testing::attr(&res, "examined").unwrap(), "100");
}

#[test]
fn malformed_json_and_migration() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let eve = s.addr("eve");
    let m = s.market_addr();
    for raw in [
        &b"{}"[..],
        b"{\"submit_job\":{}}",
        b"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]",
        b"\xff\xfe",
        b"{\"run_scheduler\":{\"limit\":-1}}",
    ] {
        let before = snapshot(&s);
        assert!(s.exec_raw(&m, &eve, raw, &[]).is_err());
        assert_eq!(snapshot(&s), before);
    }
    // item 18: same version migrates; another contract's code is refused
    let code = s.market().code_id;
    s.migrate(&m, code).unwrap();
    let staking = s.staking.clone();
    let err = s.migrate(&staking, code).unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot migrate from contract"),
        "{err:#}"
    );
}

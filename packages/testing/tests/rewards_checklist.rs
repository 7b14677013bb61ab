//! The security checklist (shared/checklists.md) for the rewards contract:
//! governance, addresses, funds, never paying twice, overflow, rounding,
//! bank transfers, storage keys, replies, pagination, failing downstream
//! contracts, migration, malformed input. Every refused message is a typed
//! error that changes nothing (`Suite::rewards_rejects`).

use cosmwasm_std::{coin, coins, Decimal, Uint128};
use impulse_rewards::contract::reply;
use impulse_rewards::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use impulse_rewards::ContractError;
use impulse_testing::checks::assert_unknown_reply_refused;
use impulse_testing::rewards::RewardsSetup;
use impulse_testing::{attr, has_attr, Outcome, Suite, SuiteBuilder};
use impulse_types::rewards::{ExecuteMsg, JobOutcome, RewardsParams, SudoMsg, WorkRole};

const STAKE: u128 = 1_000_000_000;

fn suite() -> Suite {
    SuiteBuilder::new().rewards(RewardsSetup::default()).build()
}

/// Rewards under parameters changed by `change`; heartbeats are due so
/// rarely that no claim is fined.
fn punctual(change: fn(&mut RewardsParams)) -> Suite {
    let mut params = RewardsParams::default();
    change(&mut params);
    SuiteBuilder::new()
        .staking_params(|p| p.heartbeat_blocks = 1_000_000)
        .rewards(RewardsSetup {
            params,
            ..RewardsSetup::default()
        })
        .build()
}

fn close(s: &mut Suite) -> u64 {
    let id = s.current_epoch().epoch;
    s.next_epoch();
    let anyone = s.addr("anyone");
    s.close_epoch(&anyone).must(s);
    id
}

/// A suite with one provider `a` that has a share in epochs 0 and 1.
fn with_shares() -> (Suite, cosmwasm_std::Addr) {
    let mut s = suite();
    let a = s.registered("a", STAKE);
    s.set_score(&a, Decimal::percent(90));
    for _ in 0..2 {
        s.record_work(&a, WorkRole::Prover, 1_000).must(&s);
        close(&mut s);
    }
    (s, a)
}

// ---------------------------------------------------------------- 1, 2

#[test]
fn checklist_01_only_governance_changes_params_contracts_and_the_vault() {
    let mut s = suite();
    let x = s.addr("mallory");
    let mut params = RewardsParams {
        max_issuance: Uint128::new(5),
        ..RewardsParams::default()
    };
    for msg in [
        ExecuteMsg::UpdateParams {
            params: params.clone(),
        },
        ExecuteMsg::SetContracts {
            staking: Some(x.to_string()),
            reputation: None,
            marketplace: None,
        },
        ExecuteMsg::SpendVault {
            to: x.to_string(),
            amount: Uint128::one(),
        },
        ExecuteMsg::ProposeGovernance {
            address: x.to_string(),
        },
    ] {
        s.rewards_rejects(|s| s.exec_rewards(&x, &msg, 0), "unauthorized");
    }
    // Only the marketplace reports work and jobs.
    s.rewards_rejects(
        |s| {
            s.exec_rewards(
                &x,
                &ExecuteMsg::RecordWork {
                    provider: x.to_string(),
                    role: WorkRole::Prover,
                    contribution: Uint128::one(),
                    fee: Uint128::zero(),
                },
                0,
            )
        },
        "may not record work",
    );
    s.rewards_rejects(
        |s| {
            s.exec_rewards(
                &x,
                &ExecuteMsg::RecordJob {
                    job_id: 1,
                    outcome: JobOutcome::Settled,
                    to_pool: Uint128::one(),
                    to_vault: Uint128::zero(),
                },
                1,
            )
        },
        "may not record a job",
    );

    // Governance may; every change is an event.
    let g = s.gov.clone();
    let res = s
        .exec_rewards(
            &g,
            &ExecuteMsg::UpdateParams {
                params: params.clone(),
            },
            0,
        )
        .must(&s);
    assert_eq!(attr(&res, "max_issuance").as_deref(), Some("5"));
    assert_eq!(s.rewards_config().params.max_issuance, Uint128::new(5));
    // ... and so may x/gov through sudo.
    params.max_issuance = Uint128::new(7);
    s.sudo_rewards(&SudoMsg::UpdateParams { params }).must(&s);
    assert_eq!(s.rewards_config().params.max_issuance, Uint128::new(7));
    let m = s.addr("new-market");
    let res = s
        .sudo_rewards(&SudoMsg::SetContracts {
            staking: None,
            reputation: None,
            marketplace: Some(m.to_string()),
        })
        .must(&s);
    assert_eq!(attr(&res, "marketplace"), Some(m.to_string()));
    assert_eq!(s.rewards_config().marketplace, Some(m));
}

#[test]
fn governance_rejects_each_invalid_param_and_a_new_denom() {
    let mut s = suite();
    let g = s.gov.clone();
    let d = |change: fn(&mut RewardsParams)| {
        let mut p = RewardsParams::default();
        change(&mut p);
        p
    };
    let cases: Vec<(&str, RewardsParams)> = vec![
        ("denom", d(|p| p.denom = "x".into())),
        ("denom", d(|p| p.denom = "uother".into())),
        ("epoch_blocks", d(|p| p.epoch_blocks = 9)),
        ("epoch_blocks", d(|p| p.epoch_blocks = 10_000_001)),
        ("max_issuance", d(|p| p.max_issuance = Uint128::MAX)),
        ("m_floor", d(|p| p.m_floor = Decimal::percent(101))),
        (
            "kpi_weights",
            d(|p| p.kpi_weights.compute_volume = Decimal::percent(50)),
        ),
        (
            "kpi_weights.success_rate",
            d(|p| p.kpi_weights.success_rate = Decimal::percent(150)),
        ),
        (
            "initial_targets.compute_volume",
            d(|p| p.initial_targets.compute_volume = Decimal::zero()),
        ),
        (
            "initial_targets.success_rate",
            d(|p| p.initial_targets.success_rate = Decimal::percent(101)),
        ),
        (
            "initial_targets.active_providers",
            d(|p| p.initial_targets.active_providers = Decimal::zero()),
        ),
        (
            "initial_targets.fee_growth",
            d(|p| p.initial_targets.fee_growth = Decimal::from_ratio(101u128, 1u128)),
        ),
        (
            "target_growth",
            d(|p| p.target_growth = Decimal::percent(11)),
        ),
        ("split", d(|p| p.split.vault = Decimal::percent(11))),
        (
            "active_rep_threshold",
            d(|p| p.active_rep_threshold = Decimal::percent(101)),
        ),
    ];
    for (name, params) in cases {
        s.rewards_rejects(
            |s| {
                s.exec_rewards(
                    &g,
                    &ExecuteMsg::UpdateParams {
                        params: params.clone(),
                    },
                    0,
                )
            },
            format!("invalid parameter {name}"),
        );
        s.rewards_rejects(
            |s| s.sudo_rewards(&SudoMsg::UpdateParams { params }),
            format!("invalid parameter {name}"),
        );
    }
}

#[test]
fn checklist_02_governance_transfer_is_two_step() {
    let mut s = suite();
    let n = s.addr("new-gov");
    let x = s.addr("x");
    let g = s.gov.clone();
    s.rewards_rejects(
        |s| s.exec_rewards(&n, &ExecuteMsg::AcceptGovernance {}, 0),
        "no governance transfer is pending",
    );
    s.exec_rewards(
        &g,
        &ExecuteMsg::ProposeGovernance {
            address: n.to_string(),
        },
        0,
    )
    .must(&s);
    assert_eq!(
        s.rewards_config().governance,
        g,
        "nothing changes until accepted"
    );
    s.rewards_rejects(
        |s| s.exec_rewards(&x, &ExecuteMsg::AcceptGovernance {}, 0),
        "may not accept governance",
    );
    s.exec_rewards(&n, &ExecuteMsg::AcceptGovernance {}, 0)
        .must(&s);
    let c = s.rewards_config();
    assert_eq!((c.governance, c.pending_governance), (n.clone(), None));
    s.rewards_rejects(|s| s.spend_vault(&g, &g, 1), "unauthorized");
}

// ---------------------------------------------------------------- 3, 4

#[test]
fn checklist_03_invalid_and_upper_cased_addresses_are_rejected() {
    let mut s = suite();
    let g = s.gov.clone();
    let m = s.marketplace.clone();
    let upper = g.to_string().to_uppercase();
    for bad in ["not-an-address", upper.as_str(), ""] {
        s.rewards_rejects(
            |s| {
                s.exec_rewards(
                    &m,
                    &ExecuteMsg::RecordWork {
                        provider: bad.to_string(),
                        role: WorkRole::Prover,
                        contribution: Uint128::one(),
                        fee: Uint128::zero(),
                    },
                    0,
                )
            },
            "invalid address",
        );
        s.rewards_rejects(
            |s| {
                s.exec_rewards(
                    &g,
                    &ExecuteMsg::SpendVault {
                        to: bad.to_string(),
                        amount: Uint128::one(),
                    },
                    0,
                )
            },
            "invalid address",
        );
        s.rewards_rejects(
            |s| {
                s.exec_rewards(
                    &g,
                    &ExecuteMsg::SetContracts {
                        staking: Some(bad.to_string()),
                        reputation: None,
                        marketplace: None,
                    },
                    0,
                )
            },
            "invalid address",
        );
        s.rewards_rejects(
            |s| {
                s.exec_rewards(
                    &g,
                    &ExecuteMsg::ProposeGovernance {
                        address: bad.to_string(),
                    },
                    0,
                )
            },
            "invalid address",
        );
    }
}

#[test]
fn checklist_04_funds_are_checked_on_every_message() {
    let (mut s, a) = with_shares();
    let m = s.marketplace.clone();
    let g = s.gov.clone();
    // Non-payable messages refuse any coin.
    for msg in [
        ExecuteMsg::RecordWork {
            provider: a.to_string(),
            role: WorkRole::Prover,
            contribution: Uint128::one(),
            fee: Uint128::zero(),
        },
        ExecuteMsg::CloseEpoch {},
        ExecuteMsg::Claim {
            epochs: None,
            limit: None,
        },
        ExecuteMsg::SpendVault {
            to: g.to_string(),
            amount: Uint128::one(),
        },
        ExecuteMsg::AcceptGovernance {},
    ] {
        let sender = if matches!(msg, ExecuteMsg::RecordWork { .. }) {
            m.clone()
        } else {
            a.clone()
        };
        s.rewards_rejects(
            |s| s.exec_rewards(&sender, &msg, 5),
            "this message takes no funds",
        );
    }
    // RecordJob: exactly to_pool + to_vault, in the denom.
    let job = |p: u128, v: u128| ExecuteMsg::RecordJob {
        job_id: 9,
        outcome: JobOutcome::Settled,
        to_pool: Uint128::new(p),
        to_vault: Uint128::new(v),
    };
    s.rewards_rejects(
        |s| s.exec_rewards(&m, &job(60, 40), 99),
        ContractError::FundsMismatch {
            expected: Uint128::new(100),
            sent: Uint128::new(99),
        },
    );
    s.rewards_rejects(
        |s| s.exec_rewards(&m, &job(60, 40), 0),
        "must equal to_pool + to_vault (100)",
    );
    s.rewards_rejects(
        |s| s.exec_rewards(&m, &job(0, 0), 1),
        "must equal to_pool + to_vault (0)",
    );
    s.mint(&m, 1_000u128, "uatom");
    s.rewards_rejects(
        |s| s.exec_rewards_coins(&m, &job(60, 40), &[coin(100, "uatom")]),
        "wrong denom",
    );
    s.rewards_rejects(
        |s| s.exec_rewards_coins(&m, &job(60, 40), &[coin(100, "uimp"), coin(1, "uatom")]),
        "several denoms",
    );
    s.record_job(9, JobOutcome::Settled, 60, 40).must(&s);
    s.record_job(10, JobOutcome::Failed, 0, 0).must(&s);
    // FundReserve: one coin of the denom.
    s.rewards_rejects(|s| s.fund_reserve(&a, 0), "nothing was sent");
    s.mint(&a, 1_000u128, "uatom");
    s.rewards_rejects(
        |s| s.exec_rewards_coins(&a, &ExecuteMsg::FundReserve {}, &coins(5, "uatom")),
        "wrong denom",
    );
}

// ---------------------------------------------------------------- 5

#[test]
fn checklist_05_duplicate_ids_and_repeated_claims_never_pay_twice() {
    let (mut s, a) = with_shares();
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![0, 1, 0]), None),
        ContractError::DuplicateEpoch { epoch: 0 },
    );
    let owed = s.claimable(&a);
    assert_eq!(owed.entries.len(), 2);
    let before = s.balance(&a);
    s.claim_rewards(&a, Some(vec![1]), None).must(&s);
    assert_eq!(s.balance(&a) - before, owed.entries[1].amount.u128());
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![1]), None),
        "has no unpaid share in epoch 1",
    );
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![0, 1]), None),
        "has no unpaid share in epoch 1",
    );
    s.claim_rewards(&a, None, None).must(&s);
    assert_eq!(s.balance(&a) - before, owed.total.u128());
    s.rewards_rejects(|s| s.claim_rewards(&a, None, None), "nothing to claim");
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![]), None),
        "nothing to claim",
    );
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![0]), None),
        "has no unpaid share in epoch 0",
    );
    assert!(!s.share(&a, 0).exists && !s.share(&a, 1).exists);
    let r0 = s.epoch_record(0).unwrap();
    assert_eq!(
        r0.claimed, owed.entries[0].amount,
        "the record counts it once"
    );
}

// ---------------------------------------------------------------- 6

#[test]
fn checklist_06_amounts_near_uint128_max_overflow_cleanly() {
    let mut s = suite();
    let a = s.addr("a");
    let m = s.marketplace.clone();
    s.register(&a, STAKE).must(&s);
    s.set_score(&a, Decimal::one());
    s.record_work(&a, WorkRole::Prover, u128::MAX).must(&s);
    s.rewards_rejects(
        |s| s.record_work(&a, WorkRole::Prover, 1),
        "arithmetic overflow in compute volume",
    );
    s.rewards_rejects(
        |s| {
            s.exec_rewards(
                &m,
                &ExecuteMsg::RecordJob {
                    job_id: 1,
                    outcome: JobOutcome::Settled,
                    to_pool: Uint128::MAX,
                    to_vault: Uint128::one(),
                },
                0,
            )
        },
        "arithmetic overflow in job fees",
    );
    s.rewards_rejects(
        |s| s.record_work(&a, WorkRole::Verifier, 0),
        ContractError::ZeroContribution {},
    );
    // The huge epoch still closes and pays.
    close(&mut s);
    let owed = s.claimable(&a).total;
    assert!(owed > Uint128::zero());
    s.claim_rewards(&a, None, None).must(&s);
}

// ---------------------------------------------------------------- 7

#[test]
fn checklist_07_payouts_round_down_and_fines_round_up() {
    // A tiny pool over three equal shares: each gets the floor, the dust stays
    // owed (accounted, never paid twice, never lost).
    let mut s = punctual(|p| p.max_issuance = Uint128::new(10));
    let cps: Vec<_> = (0..3).map(|i| s.addr(&format!("cp{i}"))).collect();
    for p in &cps {
        s.register(p, STAKE).must(&s);
        s.set_score(p, Decimal::percent(90));
        s.record_work(p, WorkRole::Prover, 1).must(&s);
    }
    close(&mut s);
    let rec = s.epoch_record(0).unwrap();
    let pp = rec.providers_pool.u128();
    let mut paid = 0;
    for p in &cps {
        let before = s.balance(p);
        s.claim_rewards(p, None, None).must(&s);
        let got = s.balance(p) - before;
        assert_eq!(got, pp / 3);
        paid += got;
    }
    assert!(paid <= pp);
    // Every share claimed: the dust went to the vault (issue 14), the
    // epoch owes nothing.
    assert_eq!(s.rewards_totals().unclaimed.u128(), 0, "nothing owed");
    assert_eq!(
        s.epoch_record(0).unwrap().dust.u128(),
        pp - paid,
        "dust to the vault"
    );

    // A fine on a tiny payout rounds up: 1% of 1 is 1, not 0.
    let mut s = SuiteBuilder::new()
        .staking_params(|p| p.heartbeat_blocks = 20_000)
        .rewards(RewardsSetup {
            params: RewardsParams {
                max_issuance: Uint128::new(2),
                m_floor: Decimal::one(),
                ..RewardsParams::default()
            },
            ..RewardsSetup::default()
        })
        .build();
    let a = s.registered("a", STAKE);
    s.set_score(&a, Decimal::percent(90));
    s.record_work(&a, WorkRole::Prover, 1).must(&s);
    close(&mut s);
    s.heartbeat(&a).must(&s);
    s.advance(20_001);
    let anyone = s.addr("anyone");
    s.report_missed(&anyone, &a).must(&s);
    s.close_epoch(&anyone).must(&s);
    let owed = s.claimable(&a).total.u128();
    assert_eq!(owed, 1, "60% of a pool of 2, rounded down");
    let before = s.balance(&a);
    let res = s.claim_rewards(&a, None, None).must(&s);
    assert_eq!(attr(&res, "fined").as_deref(), Some("1"));
    assert_eq!(s.balance(&a), before, "the fine took the whole unit");
}

// ---------------------------------------------------------------- 8, 9, 10

#[test]
fn checklist_08_bank_transfers_change_no_reserve_pool_or_share() {
    let (mut s, a) = with_shares();
    let d = s.addr("donor");
    let before = (s.rewards_totals(), s.claimable(&a), s.current_epoch());
    s.donate_rewards(&d, 123_456);
    s.assert_invariant();
    assert_eq!(
        (s.rewards_totals(), s.claimable(&a), s.current_epoch()),
        before
    );
    let owed = before.1.total.u128();
    let b = s.balance(&a);
    s.claim_rewards(&a, None, None).must(&s);
    assert_eq!(s.balance(&a) - b, owed, "a donation is nobody's reward");
}

#[test]
fn checklist_09_storage_namespaces_are_unique() {
    let ns = impulse_rewards::state::NAMESPACES;
    let mut seen = std::collections::HashSet::new();
    for n in ns {
        assert!(seen.insert(*n), "{n} twice");
    }
    assert!(ns.contains(&"contract_info"));
}

#[test]
fn checklist_10_an_unknown_reply_id_is_an_error() {
    assert_unknown_reply_refused(reply, ContractError::UnknownReplyId { id: 99 });
}

// ---------------------------------------------------------------- 12

#[test]
fn checklist_12_lists_cap_at_max_limit_and_claims_take_a_limit() {
    let mut s = punctual(|p| p.epoch_blocks = 10);
    let a = s.registered("a", STAKE);
    s.set_score(&a, Decimal::percent(90));
    for _ in 0..105 {
        s.record_work(&a, WorkRole::Prover, 10).must(&s);
        s.advance(10);
    }
    let anyone = s.addr("anyone");
    s.close_epoch(&anyone).must(&s);
    assert_eq!(s.epochs_page(None, Some(1_000)).unwrap().len(), 100);
    assert_eq!(s.epochs_page(None, None).unwrap().len(), 10);
    assert_eq!(s.epochs_page(Some(100), None).unwrap().len(), 4);
    assert_eq!(
        s.claimable_page(&a, None, Some(1_000))
            .unwrap()
            .entries
            .len(),
        100
    );
    assert_eq!(s.claimable(&a).entries.len(), 105);
    let too_many: Vec<u64> = (0..101).collect();
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(too_many), None),
        ContractError::TooManyEpochs { max: 100, got: 101 },
    );
    let res = s.claim_rewards(&a, None, Some(1_000)).must(&s);
    assert_eq!(
        attr(&res, "epochs").unwrap().split(',').count(),
        100,
        "capped at MAX_LIMIT"
    );
    let res = s.claim_rewards(&a, None, Some(2)).must(&s);
    assert_eq!(attr(&res, "epochs").as_deref(), Some("100,101"));
    s.claim_rewards(&a, None, None).must(&s);
    s.rewards_rejects(|s| s.claim_rewards(&a, None, None), "nothing to claim");
}

// ---------------------------------------------------------------- 13

#[test]
fn checklist_13_a_failing_staking_or_reputation_contract_blocks_no_claim() {
    let (mut s, a) = with_shares();
    let g = s.gov.clone();
    // Point rewards at a contract whose every execute and query fails.
    let broken =
        impulse_testing::mock::instantiate_reputation(&mut s.app, &g, Decimal::zero(), true);
    s.exec_rewards(
        &g,
        &ExecuteMsg::SetContracts {
            staking: Some(broken.to_string()),
            reputation: Some(broken.to_string()),
            marketplace: None,
        },
        0,
    )
    .must(&s);
    let owed = s.claimable(&a).entries;
    let before = s.balance(&a);
    let res = s
        .claim_rewards(&a, Some(vec![owed[0].epoch]), None)
        .must(&s);
    assert_eq!(
        s.balance(&a) - before,
        owed[0].amount.u128(),
        "paid in full"
    );
    let why = attr(&res, "fines_unavailable").expect("the event says why");
    assert!(why.contains("staking failed"), "{why}");
    // Work recorded while both are down weighs nothing but is accepted.
    let res = s.record_work(&a, WorkRole::Prover, 1_000).must(&s);
    assert_eq!(attr(&res, "weight").as_deref(), Some("0"));
    assert_eq!(attr(&res, "stake").as_deref(), Some("0"));
    // A staking contract that refuses this caller (not wired to it) also
    // cannot block the claim.
    let st = s.staking.clone();
    s.exec_rewards(
        &g,
        &ExecuteMsg::SetContracts {
            staking: Some(st.to_string()),
            reputation: None,
            marketplace: None,
        },
        0,
    )
    .must(&s);
    s.exec_staking(
        &g,
        &impulse_types::staking::ExecuteMsg::SetContracts {
            marketplace: None,
            reputation: None,
            rewards: Some(g.to_string()),
        },
        0,
    )
    .must(&s);
    let before = s.balance(&a);
    let res = s.claim_rewards(&a, None, None).must(&s);
    assert_eq!(s.balance(&a) - before, owed[1].amount.u128());
    assert!(attr(&res, "fines_unavailable")
        .unwrap()
        .contains("unauthorized"));
    // No staking contract at all is not possible to configure away, but a
    // provider unknown to staking is paid in full as well (checked above).
    assert!(has_attr(&res, "action", "claim_payout"));
}

// ---------------------------------------------------------------- 18, 19

#[test]
fn checklist_18_migration_refuses_wrong_contract_and_downgrade() {
    let (mut s, a) = with_shares();
    let refused = [("99.0.0", "cannot migrate from version 99.0.0".to_string())];
    let (rewards, code) = (s.rewards.clone(), s.rewards_code.unwrap());
    let both = |s: &Suite| (s.rewards_snapshot(), s.snapshot());
    let other = "crates.io:impulse-staking";
    let ours = (CONTRACT_NAME, CONTRACT_VERSION);
    let (res, _) = s.assert_migrations((&rewards, code), ours, other, &refused, both);
    assert_eq!(attr(&res, "to_version").as_deref(), Some(CONTRACT_VERSION));
    s.claim_rewards(&a, None, None).must(&s);
}

#[test]
fn checklist_19_malformed_json_is_an_error_and_changes_nothing() {
    let (mut s, a) = with_shares();
    let m = s.marketplace.clone();
    let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let payloads: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"{\"claim\":{\"epochs\":\"x\"}}".to_vec(),
        b"{\"record_work\":{\"provider\":1}}".to_vec(),
        b"{\"record_job\":{\"job_id\":-1,\"outcome\":\"settled\",\"to_pool\":\"0\",\"to_vault\":\"0\"}}".to_vec(),
        b"{\"claim\":{\"epochs\":[0],\"limit\":99999999999}}".to_vec(),
        b"{\"unknown\":{}}".to_vec(),
        nested.into_bytes(),
        vec![0xff, 0xfe, 0x00],
    ];
    for p in payloads {
        for sender in [&a, &m] {
            s.rewards_rejects(|s| s.exec_rewards_raw(sender, p.clone(), &[]), "");
        }
        assert!(s.query_rewards_raw(p).is_err());
    }
}

// ---------------------------------------------------------------- vault

#[test]
fn the_vault_is_spent_only_by_governance_with_an_event() {
    let (mut s, _) = with_shares();
    let g = s.gov.clone();
    let to = s.addr("grantee");
    s.record_job(1, JobOutcome::Settled, 0, 777).must(&s);
    let vault = s.rewards_totals().vault.u128();
    assert!(vault > 777, "pools with no verifier went to the vault");
    s.rewards_rejects(
        |s| s.spend_vault(&g, &to, vault + 1),
        ContractError::VaultInsufficient {
            vault: Uint128::new(vault),
            requested: Uint128::new(vault + 1),
        },
    );
    s.rewards_rejects(|s| s.spend_vault(&g, &to, 0), ContractError::ZeroAmount {});
    let before = s.balance(&to);
    let res = s.spend_vault(&g, &to, 1_000).must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("spend_vault"));
    assert_eq!(s.balance(&to) - before, 1_000);
    s.sudo_rewards(&SudoMsg::SpendVault {
        to: to.to_string(),
        amount: Uint128::new(vault - 1_000),
    })
    .must(&s);
    let t = s.rewards_totals();
    assert_eq!(
        (t.vault, t.vault_spent),
        (Uint128::zero(), Uint128::new(vault))
    );
}

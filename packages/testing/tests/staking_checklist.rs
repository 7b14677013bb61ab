//! The security checklist (shared/checklists.md, "Contracts") for the
//! staking vault: one named test per item that applies, plus governance and
//! bad input. Every state change is followed by the conservation invariant.

use cosmwasm_std::{coin, Addr, Coin, Decimal, Order, Uint128, Uint256};
use cw_multi_test::Executor;
use impulse_governance::GovError;
use impulse_staking::contract::reply;
use impulse_staking::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use impulse_staking::state::NAMESPACES;
use impulse_staking::ContractError;
use impulse_testing::checks::{assert_unknown_reply_refused, send_raw};
use impulse_testing::fixtures::Wiring;
use impulse_testing::staking::not_found;
use impulse_testing::{
    attr, has_attr, Outcome, ReputationKind, StakingSnapshot, Suite, SuiteBuilder, DENOM,
};
use impulse_types::common::MAX_LIMIT;
use impulse_types::staking::{ExecuteMsg, MigrateMsg, QueryMsg, SlashKind, StakingParams, SudoMsg};
use impulse_types::Capacity;

const PROVER: u128 = 1_000_000_000;
const VERIFIER: u128 = 250_000_000;

/// `suite()` with the provider `name` registered with `stake`.
fn registered(name: &str, stake: u128) -> (Suite, Addr) {
    let mut s = suite();
    let a = s.registered(name, stake);
    (s, a)
}

fn suite() -> Suite {
    SuiteBuilder::new().reputation(ReputationKind::Real).build()
}

/// The suite without the benign-slash floor (tests of the 5% arithmetic),
/// `name` registered with `stake`.
fn registered_no_floor(name: &str, stake: u128) -> (Suite, Addr) {
    let mut s = SuiteBuilder::new()
        .reputation(ReputationKind::Real)
        .without_benign_floor()
        .build();
    let a = s.registered(name, stake);
    (s, a)
}

fn u(v: u128) -> Uint128 {
    Uint128::new(v)
}

/// One of every execute message, addressed at `target` where it takes a
/// provider address.
fn every_execute_msg(target: &str, other: &str) -> Vec<ExecuteMsg> {
    vec![
        ExecuteMsg::Register {
            capacity: Capacity {
                memory_gib: 1,
                devices: 1,
            },
            backend: impulse_types::Backend::Cpu,
            price_per_step: u(1),
            endpoint: "http://x".to_string(),
        },
        ExecuteMsg::UpdateProvider {
            capacity: None,
            price_per_step: Some(u(2)),
            endpoint: None,
        },
        ExecuteMsg::Stake {},
        ExecuteMsg::Unstake { amount: u(1) },
        ExecuteMsg::Claim {},
        ExecuteMsg::Heartbeat {},
        ExecuteMsg::ReportMissedHeartbeats {
            provider: target.to_string(),
        },
        ExecuteMsg::LockForJob {
            provider: target.to_string(),
            job_id: 1,
            need: Capacity {
                memory_gib: 1,
                devices: 1,
            },
        },
        ExecuteMsg::ReleaseJob {
            provider: target.to_string(),
            job_id: 1,
        },
        ExecuteMsg::Slash {
            provider: target.to_string(),
            evidence: "e".to_string(),
            kind: SlashKind::Fraud {
                honest_committee: vec![other.to_string()],
            },
        },
        ExecuteMsg::ConsumeFines {
            provider: target.to_string(),
        },
        ExecuteMsg::UpdateParams {
            params: StakingParams::default(),
        },
        ExecuteMsg::SetContracts {
            marketplace: Some(other.to_string()),
            reputation: None,
            rewards: None,
        },
        ExecuteMsg::ProposeGovernance {
            address: other.to_string(),
        },
        ExecuteMsg::AcceptGovernance {},
    ]
}

// ---------------------------------------------------------------- 1, governance

#[test]
fn checklist_01_only_governance_updates_params_and_contracts() {
    let (mut s, a) = registered("alice", PROVER);
    let callers = [
        s.addr("stranger"),
        a.clone(),
        s.marketplace.clone(),
        s.rewards.clone(),
        s.reputation.clone().unwrap(),
        s.staking.clone(),
    ];
    let params = StakingParams {
        min_prover_stake: u(1),
        min_verifier_stake: u(1),
        ..StakingParams::default()
    };
    let x = s.addr("x").to_string();
    let msgs = [
        (
            ExecuteMsg::UpdateParams {
                params: params.clone(),
            },
            "update params",
        ),
        (
            ExecuteMsg::SetContracts {
                marketplace: Some(x.clone()),
                reputation: Some(x.clone()),
                rewards: Some(x.clone()),
            },
            "set contracts",
        ),
        (
            ExecuteMsg::ProposeGovernance { address: x.clone() },
            "propose a new governance",
        ),
    ];
    for c in &callers {
        for (msg, action) in &msgs {
            s.rejects(
                |s| s.exec_staking(c, msg, 0),
                GovError::Unauthorized {
                    sender: c.to_string(),
                    action,
                },
            );
        }
    }

    // Governance itself may, and each change is an event.
    let g = s.gov.clone();
    let res = s
        .exec_staking(&g, &ExecuteMsg::UpdateParams { params }, 0)
        .must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("update_params"));
    assert_eq!(attr(&res, "min_prover_stake").as_deref(), Some("1"));
    assert_eq!(s.staking_config().params.min_prover_stake, u(1));
    let res = s
        .exec_staking(
            &g,
            &ExecuteMsg::SetContracts {
                marketplace: None,
                reputation: None,
                rewards: Some(x.clone()),
            },
            0,
        )
        .must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("set_contracts"));
    assert_eq!(attr(&res, "rewards"), Some(x.clone()));
    let c = s.staking_config();
    assert_eq!(c.rewards.unwrap().as_str(), x);
    assert_eq!(c.marketplace.as_ref(), Some(&s.marketplace), "unchanged");
}

fn invalid_params() -> Vec<(&'static str, StakingParams)> {
    let d = StakingParams::default;
    let with = |f: fn(&mut StakingParams)| {
        let mut p = d();
        f(&mut p);
        p
    };
    vec![
        ("denom", with(|p| p.denom = String::new())),
        ("denom", with(|p| p.denom = "ab".to_string())),
        ("denom", with(|p| p.denom = "1uimp".to_string())),
        ("denom", with(|p| p.denom = "u imp".to_string())),
        ("denom", with(|p| p.denom = "x".repeat(129))),
        ("min_verifier_stake", with(|p| p.min_verifier_stake = u(0))),
        (
            "min_verifier_stake",
            with(|p| p.min_verifier_stake = p.min_prover_stake + u(1)),
        ),
        (
            "min_prover_stake",
            with(|p| p.min_prover_stake = u(1_000_000_000_000_000_001)),
        ),
        ("lock_min_blocks", with(|p| p.lock_min_blocks = 0)),
        ("lock_min_blocks", with(|p| p.lock_min_blocks = 10_000_001)),
        ("unlock_blocks", with(|p| p.unlock_blocks = 0)),
        ("unlock_blocks", with(|p| p.unlock_blocks = u64::MAX)),
        ("heartbeat_blocks", with(|p| p.heartbeat_blocks = 0)),
        ("heartbeat_blocks", with(|p| p.heartbeat_blocks = 1_000_001)),
        (
            "heartbeat_fine",
            with(|p| p.heartbeat_fine = Decimal::percent(11)),
        ),
        (
            "chronic_absence_misses",
            with(|p| p.chronic_absence_misses = 0),
        ),
        (
            "chronic_absence_misses",
            with(|p| p.chronic_absence_misses = 1_001),
        ),
        (
            "chronic_absence_multiplier",
            with(|p| p.chronic_absence_multiplier = Decimal::percent(99)),
        ),
        (
            "chronic_absence_multiplier",
            with(|p| p.chronic_absence_multiplier = Decimal::percent(501)),
        ),
        ("slash_fraud", with(|p| p.slash_fraud = Decimal::zero())),
        (
            "slash_fraud",
            with(|p| p.slash_fraud = Decimal::percent(101)),
        ),
        ("slash_burn", with(|p| p.slash_burn = Decimal::percent(101))),
        (
            "slash_benign",
            with(|p| p.slash_benign = Decimal::percent(101)),
        ),
        ("ban_blocks", with(|p| p.ban_blocks = 10_000_001)),
        (
            "max_unbonding_entries",
            with(|p| p.max_unbonding_entries = 0),
        ),
        (
            "max_unbonding_entries",
            with(|p| p.max_unbonding_entries = 65),
        ),
        ("max_active_jobs", with(|p| p.max_active_jobs = 0)),
        ("max_active_jobs", with(|p| p.max_active_jobs = 65)),
    ]
}

#[test]
fn governance_invalid_params_are_each_rejected() {
    let mut s = suite();
    s.registered("alice", PROVER);
    let g = s.gov.clone();
    for (name, params) in invalid_params() {
        let expected = format!("invalid parameter {name}");
        s.rejects(
            |s| {
                s.exec_staking(
                    &g,
                    &ExecuteMsg::UpdateParams {
                        params: params.clone(),
                    },
                    0,
                )
            },
            &expected,
        );
        s.rejects(
            |s| {
                s.sudo_staking(&SudoMsg::UpdateParams {
                    params: params.clone(),
                })
            },
            &expected,
        );
        // Nor can a contract be instantiated with them.
        let msg = Wiring::governed_by(&g).staking(Some(params));
        let res = s.instantiate(s.staking_code, &msg, &[]);
        assert!(
            format!("{}", res.unwrap_err()).contains(&expected),
            "{name}"
        );
    }
    // The bounds themselves are accepted.
    let mut p = StakingParams::default();
    p.lock_min_blocks = 10_000_000;
    p.heartbeat_fine = Decimal::percent(10);
    p.chronic_absence_multiplier = Decimal::percent(500);
    p.slash_fraud = Decimal::one();
    p.slash_burn = Decimal::one();
    p.slash_benign = Decimal::zero();
    p.ban_blocks = 0;
    p.max_unbonding_entries = 64;
    p.max_active_jobs = 1;
    p.min_verifier_stake = p.min_prover_stake;
    s.exec_staking(&g, &ExecuteMsg::UpdateParams { params: p.clone() }, 0)
        .must(&s);
    assert_eq!(s.staking_config().params, p);
}

#[test]
fn governance_cannot_change_the_denom() {
    let mut s = suite();
    let g = s.gov.clone();
    let p = StakingParams {
        denom: "uatom".to_string(),
        ..StakingParams::default()
    };
    s.rejects(
        |s| s.exec_staking(&g, &ExecuteMsg::UpdateParams { params: p.clone() }, 0),
        GovError::InvalidParam {
            name: "denom",
            reason: "cannot change once the contract holds stake".to_string(),
        },
    );
    s.rejects(
        |s| s.sudo_staking(&SudoMsg::UpdateParams { params: p.clone() }),
        "cannot change once the contract holds stake",
    );
}

#[test]
fn governance_sudo_updates_params_and_contracts() {
    let mut s = suite();
    let p = StakingParams {
        ban_blocks: 7,
        ..StakingParams::default()
    };
    let res = s
        .sudo_staking(&SudoMsg::UpdateParams { params: p.clone() })
        .must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("update_params"));
    assert_eq!(attr(&res, "ban_blocks").as_deref(), Some("7"));
    assert_eq!(s.staking_config().params, p);

    let m2 = s.addr("marketplace-v2");
    let res = s
        .sudo_staking(&SudoMsg::SetContracts {
            marketplace: Some(m2.to_string()),
            reputation: None,
            rewards: None,
        })
        .must(&s);
    assert_eq!(attr(&res, "marketplace"), Some(m2.to_string()));
    assert_eq!(s.staking_config().marketplace, Some(m2.clone()));

    // The old marketplace lost its power, the new one has it.
    let a = s.registered("alice", PROVER);
    s.lock_for_job(&a, 1).must_fail(&s, "unauthorized");
    s.exec_staking(
        &m2,
        &ExecuteMsg::LockForJob {
            provider: a.to_string(),
            job_id: 1,
            need: Capacity {
                memory_gib: 1,
                devices: 1,
            },
        },
        0,
    )
    .must(&s);
    let p = s.provider(&a);
    assert_eq!(p.active_jobs, vec![1]);
    // A ban set by the new parameters lasts 7 blocks.
    s.exec_staking(
        &m2,
        &ExecuteMsg::Slash {
            provider: a.to_string(),
            evidence: "e".to_string(),
            kind: SlashKind::Fraud {
                honest_committee: vec![],
            },
        },
        0,
    )
    .must(&s);
    assert_eq!(s.provider(&a).banned_until, s.height() + 7);
}

// ---------------------------------------------------------------- 2

#[test]
fn checklist_02_governance_transfer_is_two_step() {
    let mut s = suite();
    let old = s.gov.clone();
    let new = s.addr("new-governance");
    let x = s.addr("stranger");

    s.rejects(
        |s| s.exec_staking(&old, &ExecuteMsg::AcceptGovernance {}, 0),
        GovError::NoPendingGovernance {},
    );
    s.rejects(
        |s| {
            s.exec_staking(
                &x,
                &ExecuteMsg::ProposeGovernance {
                    address: x.to_string(),
                },
                0,
            )
        },
        "unauthorized",
    );

    let res = s
        .exec_staking(
            &old,
            &ExecuteMsg::ProposeGovernance {
                address: new.to_string(),
            },
            0,
        )
        .must(&s);
    assert_eq!(attr(&res, "proposed"), Some(new.to_string()));
    let c = s.staking_config();
    assert_eq!(c.governance, old, "nothing changes until accepted");
    assert_eq!(c.pending_governance, Some(new.clone()));

    // Only the proposed address can accept, not the old governance.
    for who in [x.clone(), old.clone()] {
        s.rejects(
            |s| s.exec_staking(&who, &ExecuteMsg::AcceptGovernance {}, 0),
            GovError::Unauthorized {
                sender: who.to_string(),
                action: "accept governance",
            },
        );
    }
    let res = s
        .exec_staking(&new, &ExecuteMsg::AcceptGovernance {}, 0)
        .must(&s);
    assert_eq!(attr(&res, "previous"), Some(old.to_string()));
    let c = s.staking_config();
    assert_eq!((c.governance, c.pending_governance), (new.clone(), None));

    // The old governance lost every power, the new one has them.
    let params = StakingParams::default();
    s.rejects(
        |s| {
            s.exec_staking(
                &old,
                &ExecuteMsg::UpdateParams {
                    params: params.clone(),
                },
                0,
            )
        },
        "unauthorized",
    );
    let a = s.registered("alice", PROVER);
    s.rejects(
        |s| {
            s.exec_staking(
                &old,
                &ExecuteMsg::Slash {
                    provider: a.to_string(),
                    evidence: "e".to_string(),
                    kind: SlashKind::Fraud {
                        honest_committee: vec![],
                    },
                },
                0,
            )
        },
        "unauthorized",
    );
    s.exec_staking(&new, &ExecuteMsg::UpdateParams { params }, 0)
        .must(&s);
    // Accepting twice is not possible.
    s.rejects(
        |s| s.exec_staking(&new, &ExecuteMsg::AcceptGovernance {}, 0),
        GovError::NoPendingGovernance {},
    );
    // A second proposal replaces the first.
    let y = s.addr("y");
    let z = s.addr("z");
    for who in [&y, &z] {
        s.exec_staking(
            &new,
            &ExecuteMsg::ProposeGovernance {
                address: who.to_string(),
            },
            0,
        )
        .must(&s);
    }
    s.rejects(
        |s| s.exec_staking(&y, &ExecuteMsg::AcceptGovernance {}, 0),
        "unauthorized",
    );
    s.exec_staking(&z, &ExecuteMsg::AcceptGovernance {}, 0)
        .must(&s);
    assert_eq!(s.staking_config().governance, z);
}

// ---------------------------------------------------------------- 3

#[test]
fn checklist_03_invalid_and_upper_cased_addresses_are_rejected() {
    let (mut s, a) = registered("alice", PROVER);
    let v = s.addr("verifier");
    s.lock_for_job(&a, 1).must(&s);
    let upper = a.as_str().to_uppercase();
    let mixed = format!("{}{}", &a.as_str()[..10].to_uppercase(), &a.as_str()[10..]);
    let bad_checksum = {
        let mut b = a.to_string();
        let last = b.pop().unwrap();
        b.push(if last == 'q' { 'p' } else { 'q' });
        b
    };
    let bads = [
        upper.clone(),
        mixed,
        bad_checksum,
        "cosmwasm1invalid".to_string(),
        "not an address".to_string(),
        String::new(),
        format!("cosmos1{}", &a.as_str()[9..]),
    ];
    let (g, m, r) = (s.gov.clone(), s.marketplace.clone(), s.rewards.clone());
    for bad in &bads {
        // Where the provider is named.
        let as_provider: Vec<(ExecuteMsg, &cosmwasm_std::Addr)> = vec![
            (
                ExecuteMsg::ReportMissedHeartbeats {
                    provider: bad.clone(),
                },
                &v,
            ),
            (
                ExecuteMsg::LockForJob {
                    provider: bad.clone(),
                    job_id: 2,
                    need: Capacity {
                        memory_gib: 1,
                        devices: 1,
                    },
                },
                &m,
            ),
            (
                ExecuteMsg::ReleaseJob {
                    provider: bad.clone(),
                    job_id: 1,
                },
                &m,
            ),
            (
                ExecuteMsg::Slash {
                    provider: bad.clone(),
                    evidence: "e1".to_string(),
                    kind: SlashKind::Fraud {
                        honest_committee: vec![],
                    },
                },
                &m,
            ),
            (
                ExecuteMsg::Slash {
                    provider: bad.clone(),
                    evidence: "e2".to_string(),
                    kind: SlashKind::Benign {
                        job_id: 1,
                        compute_cost: u(100),
                    },
                },
                &m,
            ),
            (
                ExecuteMsg::ConsumeFines {
                    provider: bad.clone(),
                },
                &r,
            ),
            // Where another address is named.
            (
                ExecuteMsg::Slash {
                    provider: a.to_string(),
                    evidence: "e3".to_string(),
                    kind: SlashKind::Fraud {
                        honest_committee: vec![v.to_string(), bad.clone()],
                    },
                },
                &m,
            ),
            (
                ExecuteMsg::ProposeGovernance {
                    address: bad.clone(),
                },
                &g,
            ),
            (
                ExecuteMsg::SetContracts {
                    marketplace: Some(bad.clone()),
                    reputation: None,
                    rewards: None,
                },
                &g,
            ),
            (
                ExecuteMsg::SetContracts {
                    marketplace: None,
                    reputation: Some(bad.clone()),
                    rewards: None,
                },
                &g,
            ),
            (
                ExecuteMsg::SetContracts {
                    marketplace: None,
                    reputation: None,
                    rewards: Some(bad.clone()),
                },
                &g,
            ),
        ];
        for (msg, sender) in &as_provider {
            s.rejects(|s| s.exec_staking(sender, msg, 0), "invalid address");
        }
        for msg in [
            SudoMsg::SetContracts {
                marketplace: Some(bad.clone()),
                reputation: None,
                rewards: None,
            },
            SudoMsg::Slash {
                provider: bad.clone(),
                evidence: "e4".to_string(),
                kind: SlashKind::Fraud {
                    honest_committee: vec![],
                },
            },
        ] {
            s.rejects(|s| s.sudo_staking(&msg), "invalid address");
        }
        // Queries.
        for q in [
            QueryMsg::Provider {
                address: bad.clone(),
            },
            QueryMsg::Unbonding {
                address: bad.clone(),
            },
            QueryMsg::Providers {
                start_after: Some(bad.clone()),
                limit: None,
            },
        ] {
            let res = s.query_staking_raw(cosmwasm_std::to_json_vec(&q).unwrap());
            impulse_testing::assert_err(res, "invalid address");
        }
        // Instantiate.
        let bad_marketplace = Wiring {
            marketplace: Some(bad.clone()),
            ..Wiring::governed_by(&g)
        };
        for wiring in [Wiring::governed_by(bad.as_str()), bad_marketplace] {
            let err = s
                .instantiate(s.staking_code, &wiring.staking(None), &[])
                .unwrap_err();
            assert!(format!("{err}").contains("invalid address"), "{err}");
        }
    }
    // The upper-cased spelling did not create a second identity either.
    assert_eq!(s.all_providers().len(), 1);
    assert_eq!(s.provider(&a).active_jobs, vec![1]);
    assert_eq!(s.staking_config().governance, g);
}

// ---------------------------------------------------------------- 4

#[test]
fn checklist_04_funds_are_checked_on_every_message() {
    let mut s = suite();
    let a = s.addr("alice");
    let b = s.addr("bob");
    s.mint(&a, 10 * PROVER, "uatom");
    s.mint(&b, 10 * PROVER, "uatom");
    s.register(&a, PROVER).must(&s);

    let reg = ExecuteMsg::Register {
        capacity: Capacity {
            memory_gib: 8,
            devices: 1,
        },
        backend: impulse_types::Backend::Cpu,
        price_per_step: u(1),
        endpoint: "http://b".to_string(),
    };
    for (who, msg) in [(&b, &reg), (&a, &ExecuteMsg::Stake {})] {
        s.rejects(
            |s| s.exec_staking_coins(who, msg, &[]),
            "send exactly one coin of uimp; nothing was sent",
        );
        s.rejects(
            |s| s.exec_staking_coins(who, msg, &[coin(PROVER, "uatom")]),
            "wrong denom: expected uimp, got uatom",
        );
        s.rejects(
            |s| s.exec_staking_coins(who, msg, &[coin(PROVER, "uatom"), coin(PROVER, DENOM)]),
            "got several denoms",
        );
    }

    // Every other message is nonpayable, whatever the denom.
    let target = a.to_string();
    let other = b.to_string();
    let senders = [
        a.clone(),
        s.gov.clone(),
        s.marketplace.clone(),
        s.rewards.clone(),
    ];
    for g in &senders {
        s.mint(g, 1_000u128, "uatom");
        s.mint(g, 1_000u128, DENOM);
    }
    for msg in every_execute_msg(&target, &other) {
        if matches!(msg, ExecuteMsg::Register { .. } | ExecuteMsg::Stake {}) {
            continue;
        }
        for sender in &senders {
            for funds in [vec![coin(1, DENOM)], vec![coin(1, "uatom")]] {
                s.rejects(
                    |s| s.exec_staking_coins(sender, &msg, &funds),
                    "this message takes no funds",
                );
            }
        }
    }

    // Instantiate is nonpayable too.
    let msg = Wiring::governed_by(&s.gov).staking(None);
    let err = s
        .instantiate(s.staking_code, &msg, &[coin(1, DENOM)])
        .unwrap_err();
    assert!(format!("{err}").contains("this message takes no funds"));
}

// ---------------------------------------------------------------- 5

#[test]
fn checklist_05_repeated_claims_and_evidence_never_pay_twice() {
    let (mut s, a) = registered_no_floor("alice", 3 * PROVER);
    let bad = s.registered("bad", 2 * PROVER);
    let v = s.addr("verifier");
    s.unstake(&a, PROVER).must(&s);
    s.slash_fraud(&bad, "ev", &[&v]).must(&s);
    s.advance(10_000_000);

    for who in [&a, &v] {
        let bal = s.balance(who);
        s.claim(who).must(&s);
        let paid = s.balance(who) - bal;
        assert!(paid > 0);
        for _ in 0..3 {
            s.rejects(|s| s.claim(who), "nothing to claim yet");
        }
        assert_eq!(s.balance(who), bal + paid);
    }
    // The same evidence, even against someone else, never slashes again.
    let bal_v = s.balance(&v);
    for _ in 0..3 {
        s.rejects(|s| s.slash_fraud(&bad, "ev", &[&v]), "already used");
        s.rejects(|s| s.slash_fraud(&a, "ev", &[&v]), "already used");
    }
    // Its share paid out, the verifier has nothing left in the contract.
    assert!(s.try_unbonding(&v).is_err());
    assert_eq!(s.balance(&v), bal_v);
    // A benign slash on the same evidence pays the escrow once.
    let m = s.marketplace.clone();
    let bal_m = s.balance(&m);
    s.slash_benign(&a, "timeout-1", 1, 1_000).must(&s);
    s.rejects(
        |s| s.slash_benign(&a, "timeout-1", 1, 1_000),
        "already used",
    );
    assert_eq!(s.balance(&m), bal_m + 50);
    // Releasing a job twice frees nothing twice.
    s.lock_for_job(&a, 9).must(&s);
    s.release_job(&a, 9).must(&s);
    s.rejects(|s| s.release_job(&a, 9), "is not locked");
}

// ---------------------------------------------------------------- 6

#[test]
fn checklist_06_amounts_near_uint128_max_overflow_cleanly() {
    let mut s = SuiteBuilder::new()
        .reputation(ReputationKind::Real)
        .staking_params(|p| p.heartbeat_blocks = 1)
        .build();
    let whale = s.addr("whale");
    let orca = s.addr("orca");
    let huge = Uint256::from(u128::MAX) * Uint256::from(4u8);
    s.mint(&whale, huge, DENOM);
    s.mint(&orca, huge, DENOM);
    s.register(&whale, PROVER).must(&s);

    // Stake that would overflow the provider's u128: an overflow error.
    s.rejects(|s| s.stake(&whale, u128::MAX - PROVER + 1), "overflow");
    // More than 128 bits in one coin: refused before any arithmetic.
    s.rejects(
        |s| {
            s.exec_staking_coins(
                &whale,
                &ExecuteMsg::Stake {},
                &[Coin::new(Uint256::from(u128::MAX) + Uint256::one(), DENOM)],
            )
        },
        "does not fit in 128 bits",
    );
    // Unstaking more than there is.
    s.rejects(
        |s| s.unstake(&whale, u128::MAX),
        ContractError::UnstakeExceedsStake {
            requested: Uint128::MAX,
            bonded: u(PROVER),
        },
    );

    // Fill the contract's totals to the brim; one more token overflows them.
    s.stake(&whale, u128::MAX - 2 * PROVER).must(&s);
    s.register(&orca, PROVER).must(&s);
    assert_eq!(s.totals().bonded, Uint128::MAX);
    s.rejects(|s| s.stake(&orca, 1), "overflow");
    let late = s.addr("late");
    s.rejects(|s| s.register(&late, PROVER), "overflow");

    // Slashing astronomically: capped at what is there, no panic.
    s.unstake(&whale, u128::MAX / 2).must(&s);
    let res = s.slash_benign(&whale, "b", 1, u128::MAX).must(&s);
    let due = Uint128::MAX.mul_ceil(Decimal::percent(5));
    assert_eq!(attr(&res, "to_escrow"), Some(due.to_string()));
    let v = s.addr("v");
    s.slash_fraud(&whale, "f", &[&v]).must(&s);
    for i in 0..10 {
        let p = s.provider(&whale);
        let held = p.stake + p.unbonding;
        if held.is_zero() {
            break;
        }
        let res = s
            .slash_benign(&whale, &format!("drain-{i}"), 2, u128::MAX)
            .must(&s);
        assert_eq!(attr(&res, "to_escrow"), Some(held.min(due).to_string()));
    }
    let p = s.provider(&whale);
    assert_eq!((p.stake, p.unbonding), (u(0), u(0)));

    // Years of missed heartbeats: the counters saturate instead of wrapping.
    s.app.update_block(|b| b.height += 5_000_000_000);
    s.report_missed(&v, &orca).must(&s);
    let p = s.provider(&orca);
    assert_eq!(p.unpaid_fine_intervals, u32::MAX);
    assert_eq!(p.consecutive_misses, u32::MAX);
    let r = s.rewards.clone();
    let f = s.consume_fines(&r, &orca).unwrap();
    s.assert_invariant();
    assert_eq!((f.intervals, f.fine), (u32::MAX, Decimal::one()));
    s.heartbeat(&orca).must(&s);
    s.advance(1);
    s.heartbeat(&orca).must(&s);

    // A job need of u32::MAX cannot overflow the capacity check.
    s.rejects(
        |s| {
            s.lock_for_job_with(
                &orca,
                1,
                Capacity {
                    memory_gib: u32::MAX,
                    devices: u32::MAX,
                },
            )
        },
        "lacks capacity",
    );
    // u64::MAX job ids are fine.
    s.lock_for_job(&orca, u64::MAX).must(&s);
    s.release_job(&orca, u64::MAX).must(&s);
}

// ---------------------------------------------------------------- 7

#[test]
fn checklist_07_round_trips_never_return_more_than_was_put_in() {
    for rep in [Decimal::zero(), Decimal::permille(370), Decimal::one()] {
        let mut s = SuiteBuilder::new()
            .reputation(ReputationKind::Fixed(rep))
            .build();
        let a = s.addr("alice");
        let start = s.balance(&a);
        let deposit = 1_000_000_007u128;
        s.register(&a, deposit).must(&s);
        s.stake(&a, 13).must(&s);
        let mut unstaked = 0u128;
        let mut claimed = 0u128;
        let steps: [(u128, u64); 6] = [
            (333_333_337, 77_777),
            (1_000_003, 1),
            (7, 50_401),
            (1, 100_799),
            (666_666_665, 3),
            (0, 1_000_000),
        ];
        for (amount, wait) in steps {
            let amount = amount.min(s.provider(&a).stake.u128());
            if amount > 0 {
                s.unstake(&a, amount).must(&s);
                unstaked += amount;
            }
            s.advance(wait);
            let bal = s.balance(&a);
            if s.claim(&a).is_ok() {
                s.assert_invariant();
                claimed += s.balance(&a) - bal;
            }
            assert!(
                claimed <= unstaked,
                "claimed {claimed} > unstaked {unstaked}"
            );
        }
        let left = s.provider(&a).stake.u128();
        if left > 0 {
            s.unstake(&a, left).must(&s);
            unstaked += left;
        }
        s.advance(10_000_000);
        let bal = s.balance(&a);
        if s.claim(&a).is_ok() {
            s.assert_invariant();
            claimed += s.balance(&a) - bal;
        }
        assert_eq!(unstaked, deposit + 13);
        assert_eq!(
            claimed, unstaked,
            "everything back, nothing more (rep {rep})"
        );
        assert_eq!(s.balance(&a), start);
        let t = s.totals();
        assert_eq!((t.bonded, t.unbonding), (u(0), u(0)));
    }
}

#[test]
fn checklist_07_slashing_tiny_amounts_rounds_against_the_offender() {
    let (mut s, a) = registered_no_floor("alice", VERIFIER + 1);
    let m = s.marketplace.clone();
    let bal_m = s.balance(&m);
    for (cost, due) in [(1u128, 1u128), (19, 1), (20, 1), (21, 2), (39, 2), (41, 3)] {
        let ev = format!("benign-{cost}");
        let res = s.slash_benign(&a, &ev, 1, cost).must(&s);
        assert_eq!(
            attr(&res, "to_escrow"),
            Some(due.to_string()),
            "cost {cost}"
        );
    }
    assert_eq!(s.balance(&m), bal_m + 1 + 1 + 1 + 2 + 2 + 3);
    // A zero compute cost takes nothing.
    let res = s.slash_benign(&a, "zero", 1, 0).must(&s);
    assert_eq!(attr(&res, "to_escrow").as_deref(), Some("0"));

    // Fraud on one token of stake and one token unbonding takes both.
    let b = s.registered("bob", VERIFIER);
    s.unstake(&b, VERIFIER - 1).must(&s);
    s.slash_benign(&b, "drain", 1, 20 * (VERIFIER - 1)).must(&s);
    let p = s.provider(&b);
    assert_eq!((p.stake, p.unbonding), (u(0), u(1)));
    let res = s.slash_fraud(&b, "fraud", &[]).must(&s);
    assert_eq!(attr(&res, "from_unbonding").as_deref(), Some("1"));
    // ceil(0.75 * 250_000_001) for the odd stake.
    let res = s.slash_fraud(&a, "fraud-a", &[]).must(&s);
    let stake_before = VERIFIER + 1 - 10;
    let taken = (stake_before * 3).div_ceil(4);
    assert_eq!(attr(&res, "from_stake"), Some(taken.to_string()));
}

// ---------------------------------------------------------------- 8

#[test]
fn checklist_08_bank_transfers_change_no_stake_or_total() {
    let (mut s, a) = registered("alice", 2 * PROVER);
    let d = s.addr("donor");
    s.unstake(&a, PROVER).must(&s);
    let before = s.snapshot();
    let rep_before = s.reputation_of(&a).unwrap();
    s.donate(&d, 123_456_789);
    s.assert_invariant();
    let after = s.snapshot();
    assert_eq!(after.balance, before.balance + 123_456_789);
    assert_eq!(
        StakingSnapshot {
            balance: before.balance,
            ..after
        },
        before,
        "only the balance changed"
    );
    assert_eq!(s.reputation_of(&a).unwrap(), rep_before);
    // Nobody can claim the donation: stake and claims pay exactly their own.
    s.advance(10_000_000);
    let bal = s.balance(&a);
    s.claim(&a).must(&s);
    assert_eq!(s.balance(&a), bal + PROVER);
    s.rejects(|s| s.claim(&d), "nothing to claim yet");
    s.unstake(&a, PROVER).must(&s);
    s.advance(10_000_000);
    s.claim(&a).must(&s);
    assert_eq!(s.balance(&s.staking), 123_456_789);
    let t = s.totals();
    assert_eq!((t.bonded, t.unbonding, t.slash_rewards), (u(0), u(0), u(0)));
}

// ---------------------------------------------------------------- 9

#[test]
fn checklist_09_storage_namespaces_are_unique() {
    let mut all: Vec<&str> = NAMESPACES.to_vec();
    all.push("contract_info"); // cw2
    for (i, a) in all.iter().enumerate() {
        assert!(!a.is_empty());
        for (j, b) in all.iter().enumerate() {
            if i != j {
                assert_ne!(a, b, "duplicate namespace");
                assert!(!b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    // Every key the contract actually writes belongs to exactly one of them.
    let (mut s, a) = registered("alice", 4 * PROVER);
    let v = s.addr("v");
    s.unstake(&a, PROVER).must(&s);
    s.lock_for_job(&a, 1).must(&s);
    s.slash_fraud(&a, "ev", &[&v]).must(&s);
    let storage = s.app.contract_storage(&s.staking);
    let keys: Vec<Vec<u8>> = storage
        .range(None, None, Order::Ascending)
        .map(|(k, _)| k)
        .collect();
    assert!(keys.len() >= 6);
    for key in keys {
        let owners: Vec<&str> = all
            .iter()
            .copied()
            .filter(|ns| {
                let n = ns.as_bytes();
                let item = key == n;
                let mut prefix = (n.len() as u16).to_be_bytes().to_vec();
                prefix.extend_from_slice(n);
                item || key.starts_with(&prefix)
            })
            .collect();
        assert_eq!(owners.len(), 1, "key {key:?} belongs to {owners:?}");
    }
}

// ---------------------------------------------------------------- 10

#[test]
fn checklist_10_an_unknown_reply_id_is_an_error() {
    assert_unknown_reply_refused(reply, ContractError::UnknownReplyId { id: 99 });
}

// ---------------------------------------------------------------- 12

#[test]
fn checklist_12_providers_query_caps_at_max_limit_and_paginates() {
    let mut s = SuiteBuilder::new().reputation(ReputationKind::None).build();
    let mut addrs = vec![];
    for i in 0..120 {
        let a = s.addr(&format!("provider-{i:03}"));
        s.register(&a, VERIFIER).must(&s);
        addrs.push(a);
    }
    addrs.sort();

    assert_eq!(s.providers_page(None, None).unwrap().len(), 10, "default");
    assert_eq!(
        s.providers_page(None, Some(1_000)).unwrap().len(),
        MAX_LIMIT as usize
    );
    assert_eq!(s.providers_page(None, Some(u32::MAX)).unwrap().len(), 100);
    assert_eq!(
        s.providers_page(None, Some(0)).unwrap().len(),
        1,
        "at least one"
    );
    assert_eq!(s.providers_page(None, Some(7)).unwrap().len(), 7);

    // Walk every page of 7: each provider once, in address order.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = s.providers_page(after.as_ref(), Some(7)).unwrap();
        if page.is_empty() {
            break;
        }
        after = Some(page.last().unwrap().address.clone());
        seen.extend(page.into_iter().map(|p| p.address));
    }
    assert_eq!(seen, addrs);
    assert_eq!(s.all_providers().len(), 120);
    // Starting after the last gives nothing.
    let last = addrs.last().unwrap();
    assert!(s.providers_page(Some(last), None).unwrap().is_empty());
}

// ---------------------------------------------------------------- 13

#[test]
fn checklist_13_a_failing_reputation_contract_blocks_nothing() {
    let mut s = SuiteBuilder::new()
        .reputation(ReputationKind::Failing)
        .without_benign_floor()
        .build();
    let a = s.addr("alice");
    let v = s.addr("verifier");
    let failed =
        |res: &cw_multi_test::AppResponse| has_attr(res, "action", "reputation_update_failed");

    let res = s.register(&a, 4 * PROVER).must(&s);
    assert!(failed(&res), "register");
    let res = s.stake(&a, PROVER).must(&s);
    assert!(failed(&res), "stake");
    let res = s.unstake(&a, PROVER).must(&s);
    assert!(failed(&res), "unstake");
    assert!(has_attr(&res, "reputation_unavailable", "true"));
    assert_eq!(
        s.unbonding(&a).entries[0].release_start,
        s.height() + 100_800,
        "an unanswered score counts as 0"
    );
    s.advance(250);
    let res = s.heartbeat(&a).must(&s);
    assert!(failed(&res), "late heartbeat");
    s.advance(250);
    let res = s.report_missed(&v, &a).must(&s);
    assert!(failed(&res), "report missed");
    let res = s.slash_benign(&a, "b", 1, 1_000).must(&s);
    assert!(failed(&res), "benign slash");
    let res = s.slash_fraud(&a, "f", &[&v]).must(&s);
    assert!(failed(&res), "fraud slash");
    s.advance(1_000_000);
    s.claim(&a).must(&s);
    s.claim(&v).must(&s);
    s.heartbeat(&a).must(&s);
    let st = 4 * PROVER - 50;
    assert_eq!(s.provider(&a).stake, u(st - (st * 3).div_ceil(4)));
}

// ---------------------------------------------------------------- 14

#[test]
fn checklist_14_unstake_matures_after_the_lockup() {
    let (mut s, a) = registered("alice", PROVER);
    s.rejects(|s| s.unstake(&a, PROVER + 1), "cannot unstake");
    let h = s.height();
    s.unstake(&a, PROVER).must(&s);
    let e = s.unbonding(&a).entries[0].clone();
    assert_eq!(e.release_start, h + 100_800);
    for at in [h, h + 1, h + 50_000, e.release_start] {
        s.advance(at - s.height());
        s.rejects(|s| s.claim(&a), "nothing to claim yet");
    }
    s.advance(1);
    let bal = s.balance(&a);
    s.claim(&a).must(&s);
    assert!(s.balance(&a) > bal, "the release has begun");
    s.advance(e.release_end - s.height());
    s.claim(&a).must(&s);
    assert_eq!(s.balance(&a), bal + PROVER, "all of it, at release_end");
    assert_eq!(s.provider(&a).unbonding + s.provider(&a).claimable, u(0));
}

// ---------------------------------------------------------------- 15, 16

#[test]
fn checklist_15_16_slash_reaches_unbonding_and_the_queue_pays_the_reduced_amount() {
    let (mut s, bad) = registered("bad", 4 * PROVER);
    let v = s.addr("v");
    // Three withdrawals queued at different times.
    s.unstake(&bad, PROVER).must(&s);
    s.advance(1_000);
    s.unstake(&bad, PROVER).must(&s);
    s.advance(150_000); // the first two are releasing, the third frozen
    s.unstake(&bad, PROVER).must(&s);
    let before = s.unbonding(&bad);
    let released_before = before.claimable_now;
    assert!(!released_before.is_zero());
    let pending_before: Uint128 = before.entries.iter().map(|e| e.pending).sum();

    // Unstaking did not escape the slash.
    let res = s.slash_fraud(&bad, "ev", &[&v]).must(&s);
    let after = s.unbonding(&bad);
    for (b, a) in before.entries.iter().zip(&after.entries) {
        assert_eq!(
            a.pending,
            b.pending - b.pending.mul_ceil(Decimal::percent(75))
        );
        assert_eq!(
            (a.release_start, a.release_end),
            (b.release_start, b.release_end)
        );
    }
    assert_eq!(
        after.claimable_now, released_before,
        "released amounts are safe"
    );
    let stake_cut = u(PROVER).mul_ceil(Decimal::percent(75));
    let pending_cut = pending_before - after.entries.iter().map(|e| e.pending).sum::<Uint128>();
    assert_eq!(attr(&res, "from_unbonding"), Some(pending_cut.to_string()));
    assert_eq!(
        attr(&res, "slashed"),
        Some((stake_cut + pending_cut).to_string())
    );

    // The queue pays out the reduced amounts, in full, and never blocks.
    let bal = s.balance(&bad);
    let owed: Uint128 = after.entries.iter().map(|e| e.pending + e.released).sum();
    let mut paid = 0u128;
    for _ in 0..10 {
        s.advance(60_000);
        let b = s.balance(&bad);
        if s.claim(&bad).is_ok() {
            s.assert_invariant();
            paid += s.balance(&bad) - b;
        }
    }
    assert!(s.unbonding(&bad).entries.is_empty(), "all released by now");
    assert_eq!(u(paid), owed);
    assert_eq!(s.balance(&bad), bal + paid);
    assert!(s.unbonding(&bad).entries.is_empty());
    let p = s.provider(&bad);
    assert_eq!(p.stake, u(PROVER) - stake_cut);
}

// ---------------------------------------------------------------- 17

#[test]
fn checklist_17_same_evidence_once_and_a_ban_until_it_ends() {
    let (mut s, bad) = registered("bad", 8 * PROVER);
    let h = s.height();
    s.slash_fraud(&bad, "ev", &[]).must(&s);
    s.rejects(|s| s.slash_fraud(&bad, "ev", &[]), "already used");
    assert_eq!(s.provider(&bad).stake, u(2 * PROVER));
    for at in [h, h + 1, h + 99_999] {
        s.advance(at - s.height());
        s.rejects(|s| s.lock_for_job(&bad, 1), "is banned until block");
    }
    s.advance(1);
    s.lock_for_job(&bad, 1).must(&s);
}

// ---------------------------------------------------------------- 18

fn migrate(s: &mut Suite) -> anyhow::Result<cw_multi_test::AppResponse> {
    let (contract, code) = (s.staking.clone(), s.staking_code);
    s.migrate(&contract, code)
}

#[test]
fn checklist_18_migration_refuses_wrong_contract_and_downgrade_and_migrates_old_state() {
    let (mut s, a) = registered("alice", 4 * PROVER);
    let v = s.addr("v");
    s.unstake(&a, PROVER).must(&s);
    s.slash_fraud(&a, "ev", &[&v]).must(&s);

    // Same code, same version: fine. Someone else's state, a newer version
    // and a garbled one are refused; the state written by 0.0.1 (an
    // old-state fixture) migrates intact.
    let newer = GovError::CannotDowngrade {
        stored: "99.0.0".to_string(),
        new: CONTRACT_VERSION.to_string(),
    };
    let refused = [
        ("99.0.0", newer.to_string()),
        ("not-a-version", "invalid version string".to_string()),
    ];
    let (staking, code) = (s.staking.clone(), s.staking_code);
    let other = "crates.io:impulse-reputation";
    let ours = (CONTRACT_NAME, CONTRACT_VERSION);
    let (res, old) = s.assert_migrations((&staking, code), ours, other, &refused, Suite::snapshot);
    assert_eq!(attr(&res, "action").as_deref(), Some("migrate"));
    assert_eq!(attr(&res, "to_version").as_deref(), Some(CONTRACT_VERSION));
    assert_eq!(attr(&old, "from_version").as_deref(), Some("0.0.1"));
    let info = cw2::get_contract_version(s.app.contract_storage(&s.staking).as_ref()).unwrap();
    assert_eq!(
        (info.contract.as_str(), info.version.as_str()),
        (CONTRACT_NAME, CONTRACT_VERSION)
    );
    // ... and keeps working.
    s.advance(10_000_000);
    s.claim(&a).must(&s);
    s.claim(&v).must(&s);

    // Only the admin migrates; a contract without cw2 info is refused.
    let (x, addr, code) = (s.addr("x"), s.staking.clone(), s.staking_code);
    let err = s
        .app
        .migrate_contract(x, addr.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert!(!format!("{err}").is_empty());
    s.assert_invariant();
    s.app.contract_storage_mut(&addr).remove(b"contract_info");
    s.rejects(migrate, "");
}

// ---------------------------------------------------------------- 19

fn nested(depth: usize) -> Vec<u8> {
    let mut v = "[".repeat(depth).into_bytes();
    v.extend("]".repeat(depth).into_bytes());
    v
}

fn malformed_payloads() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        "",
        " ",
        "null",
        "true",
        "0",
        "\"register\"",
        "[]",
        "{",
        "}",
        "{\"stake\":{}",
        "{\"stake\":{}} trailing",
        "{\"nope\":{}}",
        "{\"register\":{}}",
        "{\"register\":null}",
        "{\"stake\":{},\"claim\":{}}",
        "{\"claim\":{\"extra\":1}}",
        "{\"unstake\":{\"amount\":\"-1\"}}",
        "{\"unstake\":{\"amount\":\"1.5\"}}",
        "{\"unstake\":{\"amount\":1}}",
        "{\"unstake\":{\"amount\":\"340282366920938463463374607431768211456\"}}",
        "{\"unstake\":{\"amount\":\"1e3\"}}",
        "{\"unstake\":{\"amount\":\"\"}}",
        "{\"lock_for_job\":{\"provider\":\"x\",\"job_id\":-1,\"need\":{\"memory_gib\":1,\"devices\":1}}}",
        "{\"lock_for_job\":{\"provider\":\"x\",\"job_id\":18446744073709551616,\"need\":{\"memory_gib\":1,\"devices\":1}}}",
        "{\"slash\":{\"provider\":\"x\",\"evidence\":\"e\",\"kind\":{\"fraud\":{}}}}",
        "{\"slash\":{\"provider\":\"x\",\"evidence\":\"e\",\"kind\":\"fraud\"}}",
        "{\"update_params\":{\"params\":{\"denom\":\"uimp\"}}}",
        "{\"report_missed_heartbeats\":{\"provider\":[]}}",
        "{\"totals\":{\"x\":[[[[[[[[[[[[]]]]]]]]]]]]}}",
        "{\"\\u0000\":{}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    out.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    out.push(vec![b'{'; 100_000]);
    out.push(nested(10_000));
    out.push(nested(129));
    let mut deep_obj = String::new();
    for _ in 0..10_000 {
        deep_obj.push_str("{\"a\":");
    }
    deep_obj.push('1');
    deep_obj.push_str(&"}".repeat(10_000));
    out.push(deep_obj.into_bytes());
    let mut in_field = b"{\"register\":{\"capacity\":".to_vec();
    in_field.extend(nested(10_000));
    in_field.extend(b"}}");
    out.push(in_field);
    let mut in_list = b"{\"slash\":{\"provider\":\"x\",\"evidence\":\"e\",\"kind\":{\"fraud\":{\"honest_committee\":".to_vec();
    in_list.extend(nested(10_000));
    in_list.extend(b"}}}}");
    out.push(in_list);
    let big = format!("{{\"unstake\":{{\"amount\":\"{}\"}}}}", "9".repeat(100_000));
    out.push(big.into_bytes());
    out
}

#[test]
fn checklist_19_malformed_json_to_every_entry_point_is_an_error_and_changes_nothing() {
    let (mut s, a) = registered("alice", 2 * PROVER);
    s.unstake(&a, PROVER).must(&s);
    let g = s.gov.clone();
    let (addr, code) = (s.staking.clone(), s.staking_code);
    for payload in malformed_payloads() {
        let before = s.snapshot();
        let show = String::from_utf8_lossy(&payload[..payload.len().min(60)]).to_string();

        // `#[cw_serde]` (cosmwasm 3) ignores unknown fields, and serde reads
        // `[]` as an empty struct, so a few payloads are valid messages of
        // some entry point (`{"totals":{"x":[]}}` is `Totals {}`, `[]` is
        // `MigrateMsg {}`): those may succeed, but read-only or as a no-op
        // (the snapshot below proves it). Everything else is an error.
        fn parses<T: serde::de::DeserializeOwned>(p: &[u8]) -> bool {
            serde_json::from_slice::<T>(p).is_ok()
        }
        let ok = send_raw(&mut s.app, (&addr, code), (&a, &g), &payload, &[]);
        let paid = s.exec_staking_raw(&a, payload.clone(), &[coin(PROVER, DENOM)]);
        assert!(!ok.execute && paid.is_err(), "execute accepted {show}");
        assert!(
            !ok.query || parses::<QueryMsg>(&payload),
            "query accepted {show}"
        );
        assert!(!ok.sudo, "sudo accepted {show}");
        assert!(
            !ok.migrate || parses::<MigrateMsg>(&payload),
            "migrate accepted {show}"
        );
        assert!(!ok.instantiate, "instantiate accepted {show}");

        assert_eq!(s.snapshot(), before, "{show} changed state");
        s.assert_invariant();
    }
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_gives_typed_errors_that_name_the_problem() {
    let mut s = suite();
    let a = s.addr("alice");
    let nobody = s.addr("nobody");
    s.mint(
        &a,
        PROVER,
        "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
    );
    s.register(&a, PROVER).must(&s);

    s.rejects(
        |s| s.exec_staking_raw(&a, b"{\"unstake\":{\"amount\":\"x\"}}".to_vec(), &[]),
        "Parsing u128: invalid digit found in string",
    );
    s.rejects(
        |s| s.exec_staking_raw(&a, b"{\"stak\":{}}".to_vec(), &[]),
        "unknown variant `stak`",
    );
    s.rejects(
        |s| {
            s.exec_staking_coins(
                &a,
                &ExecuteMsg::Stake {},
                &[coin(
                    1,
                    "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
                )],
            )
        },
        "wrong denom: expected uimp, got ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
    );
    s.rejects(
        |s| s.unstake(&a, 0),
        "invalid amount: unstake amount must be greater than zero",
    );
    s.rejects(
        |s| s.unstake(&a, u128::MAX),
        format!("cannot unstake {}: only {PROVER} is bonded", u128::MAX),
    );
    let unknown = not_found(&nobody);
    s.rejects(|s| s.unstake(&nobody, 1), &unknown);
    s.rejects(|s| s.stake(&nobody, 1), &unknown);
    s.rejects(|s| s.heartbeat(&nobody), &unknown);
    s.rejects(|s| s.report_missed(&a, &nobody), &unknown);
    s.rejects(|s| s.lock_for_job(&nobody, 1), &unknown);
    s.rejects(|s| s.release_job(&nobody, 1), &unknown);
    s.rejects(|s| s.slash_fraud(&nobody, "e", &[]), &unknown);
    s.rejects(|s| s.slash_benign(&nobody, "e", 1, 1), &unknown);
    let r = s.rewards.clone();
    s.rejects(|s| s.consume_fines(&r, &nobody), &unknown);
    impulse_testing::assert_err(s.try_provider(&nobody), &unknown);
    impulse_testing::assert_err(s.try_unbonding(&nobody), &unknown);
    s.rejects(
        |s| s.claim(&nobody),
        ContractError::NothingToClaim {
            detail: String::new(),
        },
    );
}

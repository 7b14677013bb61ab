//! The items of `shared/checklists.md` that apply to this contract, named
//! after the item they prove.

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{
    coins, from_json, to_json_vec, Addr, Decimal, MigrateInfo, Order, Storage, Uint128,
};
use cw_multi_test::Executor;
use impulse_governance::GovError;
use impulse_reputation::contract::{self, CONTRACT_NAME, CONTRACT_VERSION};
use impulse_reputation::state::STORAGE_KEYS;
use impulse_reputation::ContractError;
use impulse_types::common::MAX_LIMIT;
use impulse_types::funds::FundsError;
use impulse_types::reputation::{
    ConfigResponse, ExecuteMsg, Fault, InstantiateMsg, MigrateMsg, QueryMsg, ReputationParams,
    ReputationResponse, ReputationsResponse, ScoreResponse, SudoMsg,
};

use crate::suite::{assert_err, attr, dec, Suite, DENOM};
use impulse_testing::checks::send_raw;
use impulse_testing::fixtures::Wiring;

/// The smallest positive `Decimal`, 1e-18.
fn ulp() -> Decimal {
    Decimal::new(Uint128::one())
}

fn params_with(change: impl FnOnce(&mut ReputationParams)) -> ReputationParams {
    let mut p = ReputationParams::default();
    change(&mut p);
    p
}

// --- 1. unauthorised parameter updates --------------------------------------

#[test]
fn checklist_01_non_governance_cannot_update_params() {
    let mut suite = Suite::new();
    let before = suite.raw_state();
    let callers = [
        suite.stranger.clone(),
        suite.staking.clone(),
        suite.marketplace.clone(),
    ];
    for sender in &callers {
        assert_err(
            suite.execute_as(
                sender,
                &ExecuteMsg::UpdateParams {
                    params: params_with(|p| p.beta = dec("0.5")),
                },
            ),
            GovError::Unauthorized {
                sender: sender.to_string(),
                action: "update params",
            },
        );
        assert_err(
            suite.execute_as(
                sender,
                &ExecuteMsg::SetContracts {
                    staking: Some(sender.to_string()),
                    marketplace: Some(sender.to_string()),
                },
            ),
            GovError::Unauthorized {
                sender: sender.to_string(),
                action: "set contracts",
            },
        );
    }
    assert_eq!(suite.raw_state(), before);
    assert_eq!(suite.config().params, ReputationParams::default());
}

#[test]
fn checklist_01_governance_and_sudo_share_the_update_handlers() {
    let mut suite = Suite::new();
    let governance = suite.governance.clone();
    let resp = suite
        .execute_as(
            &governance,
            &ExecuteMsg::UpdateParams {
                params: params_with(|p| p.beta = dec("0.8")),
            },
        )
        .unwrap();
    assert_eq!(attr(&resp, "action"), "update_params");
    assert_eq!(attr(&resp, "beta"), "0.8");
    assert_eq!(attr(&resp, "work_half_life_blocks"), "1000000");
    assert_eq!(suite.config().params.beta, dec("0.8"));

    // x/gov through sudo.
    let resp = suite
        .sudo(&SudoMsg::UpdateParams {
            params: params_with(|p| p.w_half = dec("7")),
        })
        .unwrap();
    assert_eq!(attr(&resp, "w_half"), "7");
    assert_eq!(suite.config().params.w_half, dec("7"));
    assert_eq!(suite.config().params.beta, dec("0.9"));

    let new_staking = suite.addr("staking-v2");
    let resp = suite
        .sudo(&SudoMsg::SetContracts {
            staking: Some(new_staking.to_string()),
            marketplace: None,
        })
        .unwrap();
    assert_eq!(attr(&resp, "action"), "set_contracts");
    assert_eq!(attr(&resp, "staking"), new_staking.to_string());
    let config = suite.config();
    assert_eq!(config.staking, Some(new_staking.clone()));
    // `None` keeps the current address.
    assert_eq!(config.marketplace, Some(suite.marketplace.clone()));

    // The old staking contract lost its rights, the new one has them.
    let p = suite.addr("provider");
    let old = suite.staking.clone();
    let msg = ExecuteMsg::RecordStake {
        provider: p.to_string(),
        stake: Uint128::new(5),
    };
    assert_err(
        suite.execute_as(&old, &msg),
        GovError::Unauthorized {
            sender: old.to_string(),
            action: "record_stake",
        },
    );
    suite.execute_as(&new_staking, &msg).unwrap();
}

#[test]
fn checklist_01_params_are_validated_against_bounds() {
    let too_large_w_half = Decimal::from_ratio(1000u128, 1u128) + ulp();
    let bad: Vec<(&str, ReputationParams)> = vec![
        ("beta", params_with(|p| p.beta = Decimal::zero())),
        ("beta", params_with(|p| p.beta = Decimal::one())),
        (
            "initial_success",
            params_with(|p| p.initial_success = dec("1.01")),
        ),
        (
            "heartbeat_penalty",
            params_with(|p| p.heartbeat_penalty = dec("0.100000000000000001")),
        ),
        (
            "work_half_life_blocks",
            params_with(|p| p.work_half_life_blocks = 0),
        ),
        (
            "work_half_life_blocks",
            params_with(|p| p.work_half_life_blocks = 100_000_001),
        ),
        (
            "stake_half_life_blocks",
            params_with(|p| p.stake_half_life_blocks = 0),
        ),
        (
            "stake_half_life_blocks",
            params_with(|p| p.stake_half_life_blocks = u64::MAX),
        ),
        ("work_unit", params_with(|p| p.work_unit = Uint128::zero())),
        ("w_half", params_with(|p| p.w_half = Decimal::zero())),
        ("w_half", params_with(|p| p.w_half = too_large_w_half)),
        ("s_half", params_with(|p| p.s_half = Uint128::zero())),
    ];
    let mut suite = Suite::new();
    let governance = suite.governance.clone();
    let before = suite.raw_state();
    for (name, params) in &bad {
        let expected = format!("invalid parameter {name}:");
        let update = ExecuteMsg::UpdateParams {
            params: params.clone(),
        };
        let sudo = SudoMsg::UpdateParams {
            params: params.clone(),
        };
        let init = Wiring::governed_by(&governance).reputation(Some(params.clone()));
        for res in [
            suite.execute_as(&governance, &update).map(drop),
            suite.sudo(&sudo).map(drop),
            suite.instantiate(&init, &[]).map(drop),
        ] {
            let err = res.unwrap_err();
            assert!(err.to_string().contains(&expected), "{name}: {err}");
        }
    }
    assert_eq!(suite.raw_state(), before);

    // The bounds themselves are accepted.
    let edge = ReputationParams {
        beta: ulp(),
        initial_success: Decimal::one(),
        heartbeat_penalty: dec("0.1"),
        work_half_life_blocks: 1,
        work_unit: Uint128::one(),
        stake_half_life_blocks: 100_000_000,
        w_half: dec("1000"),
        s_half: Uint128::one(),
    };
    suite
        .execute_as(
            &governance,
            &ExecuteMsg::UpdateParams {
                params: edge.clone(),
            },
        )
        .unwrap();
    suite
        .execute_as(
            &governance,
            &ExecuteMsg::UpdateParams {
                params: params_with(|p| {
                    p.beta = Decimal::one() - ulp();
                    p.initial_success = Decimal::zero();
                    p.heartbeat_penalty = Decimal::zero();
                }),
            },
        )
        .unwrap();
}

#[test]
fn checklist_01_record_updates_only_from_their_callers() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    let (staking, marketplace, governance, stranger) = (
        suite.staking.clone(),
        suite.marketplace.clone(),
        suite.governance.clone(),
        suite.stranger.clone(),
    );
    let stake = ExecuteMsg::RecordStake {
        provider: p.to_string(),
        stake: Uint128::new(1),
    };
    let missed = ExecuteMsg::RecordMissedHeartbeats {
        provider: p.to_string(),
        intervals: 1,
    };
    let job = ExecuteMsg::RecordJob {
        provider: p.to_string(),
        performance: Decimal::one(),
        earned: Uint128::new(1),
    };
    let fault = ExecuteMsg::RecordFault {
        provider: p.to_string(),
        fault: Fault::Benign {},
    };
    let refused: Vec<(&ExecuteMsg, &Addr, &str)> = vec![
        (&stake, &marketplace, "record_stake"),
        (&stake, &governance, "record_stake"),
        (&stake, &stranger, "record_stake"),
        (&missed, &marketplace, "record_missed_heartbeats"),
        (&missed, &stranger, "record_missed_heartbeats"),
        (&job, &staking, "record_job"),
        (&job, &governance, "record_job"),
        (&job, &stranger, "record_job"),
        (&fault, &governance, "record_fault"),
        (&fault, &stranger, "record_fault"),
        // A provider cannot report on itself either.
        (&job, &p, "record_job"),
    ];
    let before = suite.raw_state();
    for (msg, sender, action) in &refused {
        assert_err(
            suite.execute_as(sender, msg),
            GovError::Unauthorized {
                sender: sender.to_string(),
                action,
            },
        );
    }
    assert_eq!(suite.raw_state(), before);
    for (msg, sender) in [
        (&stake, &staking),
        (&missed, &staking),
        (&job, &marketplace),
        (&fault, &staking),
        (&fault, &marketplace),
    ] {
        suite.execute_as(sender, msg).unwrap();
    }

    // With no staking or marketplace contract configured, nobody may report.
    let mut app = cw_multi_test::App::default();
    let code = app.store_code(crate::suite::contract());
    let gov = app.api().addr_make("governance");
    let unwired = Wiring::governed_by(&gov).reputation(None);
    let contract = app
        .instantiate_contract(code, gov.clone(), &unwired, &[], "unwired", None)
        .unwrap();
    for (msg, sender) in [(&stake, &staking), (&job, &marketplace), (&fault, &gov)] {
        let err = app
            .execute_contract(sender.clone(), contract.clone(), msg, &[])
            .unwrap_err();
        assert!(err.to_string().contains("unauthorized"), "{err}");
    }
}

// --- 2. two-step governance transfer ----------------------------------------

#[test]
fn checklist_02_governance_transfer_is_two_step() {
    let mut suite = Suite::new();
    let (governance, stranger) = (suite.governance.clone(), suite.stranger.clone());
    let new_gov = suite.addr("new-governance");
    assert_err(
        suite.execute_as(&governance, &ExecuteMsg::AcceptGovernance {}),
        GovError::NoPendingGovernance {},
    );
    assert_err(
        suite.execute_as(
            &stranger,
            &ExecuteMsg::ProposeGovernance {
                address: stranger.to_string(),
            },
        ),
        GovError::Unauthorized {
            sender: stranger.to_string(),
            action: "propose a new governance",
        },
    );
    let resp = suite
        .execute_as(
            &governance,
            &ExecuteMsg::ProposeGovernance {
                address: new_gov.to_string(),
            },
        )
        .unwrap();
    assert_eq!(attr(&resp, "action"), "propose_governance");
    assert_eq!(attr(&resp, "proposed"), new_gov.to_string());
    let config = suite.config();
    assert_eq!(config.governance, governance);
    assert_eq!(config.pending_governance, Some(new_gov.clone()));
    // Proposing hands nothing over yet: the old governance still governs.
    suite
        .execute_as(
            &governance,
            &ExecuteMsg::UpdateParams {
                params: ReputationParams::default(),
            },
        )
        .unwrap();
    // Only the proposed address can accept.
    for sender in [&stranger, &governance] {
        assert_err(
            suite.execute_as(sender, &ExecuteMsg::AcceptGovernance {}),
            GovError::Unauthorized {
                sender: sender.to_string(),
                action: "accept governance",
            },
        );
    }
    let resp = suite
        .execute_as(&new_gov, &ExecuteMsg::AcceptGovernance {})
        .unwrap();
    assert_eq!(attr(&resp, "action"), "accept_governance");
    assert_eq!(attr(&resp, "previous"), governance.to_string());
    let config = suite.config();
    assert_eq!(config.governance, new_gov);
    assert_eq!(config.pending_governance, None);
    assert_err(
        suite.execute_as(
            &governance,
            &ExecuteMsg::UpdateParams {
                params: ReputationParams::default(),
            },
        ),
        GovError::Unauthorized {
            sender: governance.to_string(),
            action: "update params",
        },
    );
    suite
        .execute_as(
            &new_gov,
            &ExecuteMsg::UpdateParams {
                params: ReputationParams::default(),
            },
        )
        .unwrap();
    // Accepting twice is not possible.
    assert_err(
        suite.execute_as(&new_gov, &ExecuteMsg::AcceptGovernance {}),
        GovError::NoPendingGovernance {},
    );
}

// --- 3. bech32 and upper case -------------------------------------------------

#[test]
fn checklist_03_invalid_bech32_and_upper_case_addresses_are_rejected() {
    let mut suite = Suite::new();
    let valid = suite.addr("provider").to_string();
    let mut bad_checksum = valid.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'q' { 'p' } else { 'q' });
    let bad = vec![
        String::new(),
        "provider".to_string(),
        valid.to_uppercase(),
        // Mixed case is invalid bech32 outright.
        format!("{}{}", &valid[..10], valid[10..].to_uppercase()),
        bad_checksum,
        valid.replacen("cosmwasm", "cosmos", 1),
        format!("{valid} "),
    ];
    let (staking, marketplace, governance) = (
        suite.staking.clone(),
        suite.marketplace.clone(),
        suite.governance.clone(),
    );
    let before = suite.raw_state();
    for address in &bad {
        let msgs = [
            (
                &staking,
                ExecuteMsg::RecordStake {
                    provider: address.clone(),
                    stake: Uint128::new(1),
                },
            ),
            (
                &staking,
                ExecuteMsg::RecordMissedHeartbeats {
                    provider: address.clone(),
                    intervals: 1,
                },
            ),
            (
                &marketplace,
                ExecuteMsg::RecordJob {
                    provider: address.clone(),
                    performance: Decimal::one(),
                    earned: Uint128::new(1),
                },
            ),
            (
                &staking,
                ExecuteMsg::RecordFault {
                    provider: address.clone(),
                    fault: Fault::Benign {},
                },
            ),
            (
                &governance,
                ExecuteMsg::SetContracts {
                    staking: Some(address.clone()),
                    marketplace: None,
                },
            ),
            (
                &governance,
                ExecuteMsg::SetContracts {
                    staking: None,
                    marketplace: Some(address.clone()),
                },
            ),
            (
                &governance,
                ExecuteMsg::ProposeGovernance {
                    address: address.clone(),
                },
            ),
        ];
        for (sender, msg) in &msgs {
            let err = suite.execute_as(sender, msg).unwrap_err().to_string();
            assert!(
                err.contains(&format!("invalid address {address}:")),
                "{msg:?}: {err}"
            );
        }
        assert!(suite
            .query::<ReputationResponse>(&QueryMsg::Reputation {
                provider: address.clone()
            })
            .is_err());
        assert!(suite
            .query::<ScoreResponse>(&QueryMsg::Score {
                provider: address.clone()
            })
            .is_err());
        assert!(suite
            .query::<ReputationsResponse>(&QueryMsg::Reputations {
                start_after: Some(address.clone()),
                limit: None
            })
            .is_err());
        let governed_by_bad = Wiring::governed_by(address).reputation(None);
        let err = suite.instantiate(&governed_by_bad, &[]).unwrap_err();
        assert!(err.to_string().contains("invalid address"), "{err}");
    }
    assert_eq!(suite.raw_state(), before);
    // The normalised spelling works.
    suite
        .execute_as(
            &staking,
            &ExecuteMsg::RecordStake {
                provider: valid,
                stake: Uint128::new(1),
            },
        )
        .unwrap();
}

// --- 4. funds to a nonpayable contract ----------------------------------------

#[test]
fn checklist_04_funds_sent_to_any_execute_are_rejected() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    let (staking, marketplace, governance) = (
        suite.staking.clone(),
        suite.marketplace.clone(),
        suite.governance.clone(),
    );
    // Make AcceptGovernance reachable by a pending address with a balance.
    suite
        .execute_as(
            &governance,
            &ExecuteMsg::ProposeGovernance {
                address: staking.to_string(),
            },
        )
        .unwrap();
    let msgs: Vec<(&Addr, ExecuteMsg)> = vec![
        (
            &marketplace,
            ExecuteMsg::RecordJob {
                provider: p.to_string(),
                performance: Decimal::one(),
                earned: Uint128::new(1),
            },
        ),
        (
            &staking,
            ExecuteMsg::RecordFault {
                provider: p.to_string(),
                fault: Fault::Benign {},
            },
        ),
        (
            &staking,
            ExecuteMsg::RecordStake {
                provider: p.to_string(),
                stake: Uint128::new(1),
            },
        ),
        (
            &staking,
            ExecuteMsg::RecordMissedHeartbeats {
                provider: p.to_string(),
                intervals: 1,
            },
        ),
        (
            &governance,
            ExecuteMsg::UpdateParams {
                params: ReputationParams::default(),
            },
        ),
        (
            &governance,
            ExecuteMsg::SetContracts {
                staking: None,
                marketplace: None,
            },
        ),
        (
            &governance,
            ExecuteMsg::ProposeGovernance {
                address: staking.to_string(),
            },
        ),
        (&staking, ExecuteMsg::AcceptGovernance {}),
    ];
    let before = suite.raw_state();
    let contract = suite.contract.clone();
    for (sender, msg) in &msgs {
        let result =
            suite
                .app
                .execute_contract((*sender).clone(), contract.clone(), msg, &coins(10, DENOM));
        assert_err(
            result,
            ContractError::Funds(FundsError::NotAccepted {
                sent: format!("10{DENOM}"),
            }),
        );
    }
    assert_eq!(suite.raw_state(), before);
    let balance = suite.app.wrap().query_balance(&contract, DENOM).unwrap();
    assert!(balance.amount.is_zero());

    // Instantiate is nonpayable too.
    let paid = Wiring::governed_by(&governance).reputation(None);
    let err = suite.instantiate(&paid, &coins(10, DENOM)).unwrap_err();
    assert!(err.to_string().contains("takes no funds"), "{err}");
}

// --- 6. amounts near the maximum ----------------------------------------------

#[test]
fn checklist_06_amounts_near_max_saturate_or_error_never_panic() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.stake(&p, u128::MAX).unwrap();
    let resp = suite.job(&p, Decimal::one(), u128::MAX).unwrap();
    assert_eq!(attr(&resp, "work_value"), Uint128::MAX.to_string());
    // A second maximal job overflows V: it saturates, and says so.
    let resp = suite.job(&p, Decimal::one(), u128::MAX).unwrap();
    assert_eq!(attr(&resp, "work_value_saturated"), "true");
    let rep = suite.reputation(&p);
    assert_eq!(rep.work_value, Uint128::MAX);
    assert_eq!(rep.stake_level, Uint128::MAX);
    // s = 0.595 after two flawless jobs; both other factors are close to 1.
    assert!(rep.score <= Decimal::one() && rep.score > dec("0.55"));

    // Out-of-range decimals are typed errors.
    assert_err(
        suite.job(&p, Decimal::MAX, 1),
        ContractError::InvalidPerformance {
            performance: Decimal::MAX,
        },
    );
    assert_err(
        suite.fault(
            &p,
            Fault::Fraud {
                fraction_lost: Decimal::MAX,
                cooling_off_blocks: u64::MAX,
            },
        ),
        ContractError::InvalidFraction {
            fraction_lost: Decimal::MAX,
        },
    );
    suite.missed(&p, u64::MAX).unwrap();
    assert_eq!(suite.reputation(&p).success_rate, Decimal::zero());
    // A cooling-off that would end past u64::MAX ends at u64::MAX.
    suite
        .fault(
            &p,
            Fault::Fraud {
                fraction_lost: Decimal::zero(),
                cooling_off_blocks: u64::MAX,
            },
        )
        .unwrap();
    assert_eq!(suite.reputation(&p).cooling_off_until, u64::MAX);
    assert_eq!(suite.score(&p), Decimal::zero());

    // The highest block heights: decays run out, nothing overflows.
    suite.app.update_block(|b| b.height = u64::MAX - 1);
    let rep = suite.reputation(&p);
    assert_eq!(rep.work_value, Uint128::zero());
    assert_eq!(rep.stake_level, Uint128::MAX);
    suite.job(&p, Decimal::one(), u128::MAX).unwrap();
    suite.stake(&p, 0).unwrap();
    suite.app.update_block(|b| b.height = u64::MAX);
    let rep = suite.reputation(&p);
    assert!(rep.stake_level < Uint128::MAX);
    assert!(rep.score <= Decimal::one());
}

// --- 9. storage keys ----------------------------------------------------------

#[test]
fn checklist_09_storage_keys_are_unique_and_cover_everything_written() {
    for (i, a) in STORAGE_KEYS.iter().enumerate() {
        for b in &STORAGE_KEYS[i + 1..] {
            assert_ne!(a, b);
            assert!(!a.starts_with(b) && !b.starts_with(a), "{a} / {b}");
        }
    }

    // Write every kind of state, then check each key belongs to one namespace.
    let mut deps = mock_dependencies();
    let api = MockApi::default();
    let (gov, staking, market) = (
        api.addr_make("governance"),
        api.addr_make("staking"),
        api.addr_make("marketplace"),
    );
    let env = mock_env();
    contract::instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&gov, &[]),
        InstantiateMsg {
            governance: gov.to_string(),
            staking: Some(staking.to_string()),
            marketplace: Some(market.to_string()),
            params: None,
        },
    )
    .unwrap();
    for name in ["a", "b", "c"] {
        let provider = api.addr_make(name).to_string();
        for (sender, msg) in [
            (
                &staking,
                ExecuteMsg::RecordStake {
                    provider: provider.clone(),
                    stake: Uint128::new(7),
                },
            ),
            (
                &market,
                ExecuteMsg::RecordJob {
                    provider: provider.clone(),
                    performance: Decimal::one(),
                    earned: Uint128::new(7),
                },
            ),
        ] {
            contract::execute(deps.as_mut(), env.clone(), message_info(sender, &[]), msg).unwrap();
        }
    }
    contract::execute(
        deps.as_mut(),
        env.clone(),
        message_info(&gov, &[]),
        ExecuteMsg::ProposeGovernance {
            address: api.addr_make("next").to_string(),
        },
    )
    .unwrap();

    let mut seen = std::collections::BTreeSet::new();
    let keys: Vec<Vec<u8>> = deps
        .storage
        .range(None, None, Order::Ascending)
        .map(|(k, _)| k)
        .collect();
    for key in &keys {
        let owners: Vec<&str> = STORAGE_KEYS
            .iter()
            .copied()
            .filter(|ns| {
                let item = key.as_slice() == ns.as_bytes();
                let mut prefix = (ns.len() as u16).to_be_bytes().to_vec();
                prefix.extend_from_slice(ns.as_bytes());
                item || key.starts_with(&prefix)
            })
            .collect();
        assert_eq!(
            owners.len(),
            1,
            "key {:?} owned by {owners:?}",
            String::from_utf8_lossy(key)
        );
        seen.insert(owners[0]);
    }
    assert_eq!(
        seen.len(),
        STORAGE_KEYS.len(),
        "namespaces never written: {seen:?}"
    );
    // 1 config + 1 cw2 + 3 records.
    assert_eq!(keys.len(), 5);
}

// --- 12. pagination -----------------------------------------------------------

#[test]
fn checklist_12_reputations_are_paginated_and_capped_at_max_limit() {
    let mut suite = Suite::new();
    let total = MAX_LIMIT as usize + 50;
    let mut providers: Vec<Addr> = (0..total).map(|i| suite.addr(&format!("p{i}"))).collect();
    for p in &providers {
        suite.stake(p, 1).unwrap();
    }
    providers.sort();

    assert_eq!(
        suite.reputations(None, Some(u32::MAX)).records.len(),
        MAX_LIMIT as usize
    );
    assert_eq!(suite.reputations(None, None).records.len(), 10);
    assert_eq!(suite.reputations(None, Some(0)).records.len(), 1);

    let mut collected = vec![];
    let mut start_after = None;
    loop {
        let page = suite.reputations(start_after.clone(), Some(7)).records;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        start_after = Some(page.last().unwrap().provider.to_string());
        collected.extend(page.into_iter().map(|r| r.provider));
    }
    assert_eq!(collected, providers);

    // start_after need not be a provider; it must be a valid address.
    let outsider = suite.addr("outsider");
    let rest = suite
        .reputations(Some(outsider.to_string()), Some(u32::MAX))
        .records;
    assert!(rest.iter().all(|r| r.provider > outsider));
}

// --- 18. migration --------------------------------------------------------------

#[derive(serde::Deserialize)]
struct Fixture {
    contract_info: serde_json::Value,
    config: serde_json::Value,
    records: serde_json::Map<String, serde_json::Value>,
}

/// Write the raw bytes of `fixtures/state_v0_0_1.json` exactly where version
/// 0.0.1 kept them: items at their name, map entries under the
/// length-prefixed namespace.
fn load_fixture(storage: &mut dyn Storage) -> Vec<String> {
    let fixture: Fixture =
        serde_json::from_str(include_str!("../fixtures/state_v0_0_1.json")).unwrap();
    storage.set(
        b"contract_info",
        &to_json_vec(&fixture.contract_info).unwrap(),
    );
    storage.set(b"config", &to_json_vec(&fixture.config).unwrap());
    let mut providers = vec![];
    for (provider, record) in &fixture.records {
        let mut key = vec![0u8, 7];
        key.extend_from_slice(b"records");
        key.extend_from_slice(provider.as_bytes());
        storage.set(&key, &to_json_vec(record).unwrap());
        providers.push(provider.clone());
    }
    providers
}

fn migrate_info() -> MigrateInfo {
    MigrateInfo {
        sender: MockApi::default().addr_make("governance"),
        old_migrate_version: None,
    }
}

#[test]
fn checklist_18_migrates_a_state_written_at_0_0_1() {
    let mut deps = mock_dependencies();
    let providers = load_fixture(&mut deps.storage);
    let api = MockApi::default();
    // The fixture's addresses are the ones the tests make.
    assert!(providers.contains(&api.addr_make("provider-a").to_string()));

    let mut env = mock_env();
    env.block.height = 201_000;
    let resp =
        contract::migrate(deps.as_mut(), env.clone(), MigrateMsg {}, migrate_info()).unwrap();
    assert_eq!(
        resp.attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("action", "migrate"),
            ("from_version", "0.0.1"),
            ("to_version", CONTRACT_VERSION),
        ]
    );
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);

    let config: ConfigResponse =
        from_json(contract::query(deps.as_ref(), env.clone(), QueryMsg::Config {}).unwrap())
            .unwrap();
    assert_eq!(config.governance, api.addr_make("governance"));
    assert_eq!(config.staking, Some(api.addr_make("staking")));
    assert_eq!(config.params, ReputationParams::default());

    let reputation_of = |name: &str| -> ReputationResponse {
        let provider = api.addr_make(name).to_string();
        let msg = QueryMsg::Reputation { provider };
        from_json(contract::query(deps.as_ref(), env.clone(), msg).unwrap()).unwrap()
    };
    // provider-a: one work half-life fifth and one stake half-life later.
    let a = reputation_of("provider-a");
    assert_eq!(a.success_rate, dec("0.55"));
    // floor(1e9 * 2^-0.2) = floor(870550563.296...)
    assert_eq!(a.work_value, Uint128::new(870_550_563));
    assert_eq!(a.stake_level, Uint128::new(1_500_000_000));
    assert!(a.score > Decimal::zero());
    // provider-b is cooling off until 500000.
    let b = reputation_of("provider-b");
    assert_eq!(b.cooling_off_until, 500_000);
    assert_eq!(b.score, Decimal::zero());
    assert_eq!(b.faults, 1);

    // The migrated contract keeps working.
    contract::execute(
        deps.as_mut(),
        env,
        message_info(&api.addr_make("marketplace"), &[]),
        ExecuteMsg::RecordJob {
            provider: api.addr_make("provider-a").to_string(),
            performance: Decimal::one(),
            earned: Uint128::new(1),
        },
    )
    .unwrap();
}

#[test]
fn checklist_18_migration_refuses_wrong_contract_and_downgrade() {
    let mut deps = mock_dependencies();
    load_fixture(&mut deps.storage);
    let before: Vec<_> = deps.storage.range(None, None, Order::Ascending).collect();

    cw2::set_contract_version(&mut deps.storage, "crates.io:impulse-staking", "0.1.0").unwrap();
    let err =
        contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}, migrate_info()).unwrap_err();
    assert!(
        matches!(&err, ContractError::Gov(GovError::WrongContract { expected, stored })
            if expected == CONTRACT_NAME && stored == "crates.io:impulse-staking"),
        "{err}"
    );

    for newer in ["0.1.1", "0.2.0", "1.0.0", "99.0.0"] {
        cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, newer).unwrap();
        let err = contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}, migrate_info())
            .unwrap_err();
        assert!(
            matches!(&err, ContractError::Gov(GovError::CannotDowngrade { stored, new })
                if stored == newer && new == CONTRACT_VERSION),
            "{err}"
        );
    }
    for garbage in ["1.0", "v0.0.1", "0.0.1-rc1", "0.0.1.2", ""] {
        cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, garbage).unwrap();
        let err = contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}, migrate_info())
            .unwrap_err();
        assert!(
            matches!(err, ContractError::Gov(GovError::InvalidVersion { .. })),
            "{err}"
        );
    }
    // Nothing but the version record was touched.
    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    let after: Vec<_> = deps.storage.range(None, None, Order::Ascending).collect();
    assert_eq!(before, after);
}

#[test]
fn checklist_18_migrate_entry_point_through_multi_test() {
    let mut suite = Suite::new();
    let governance = suite.governance.clone();
    let contract = suite.contract.clone();
    let resp = suite
        .app
        .migrate_contract(governance, contract, &MigrateMsg {}, suite.code_id)
        .unwrap();
    assert_eq!(attr(&resp, "to_version"), CONTRACT_VERSION);
}

// --- 19. malformed JSON ---------------------------------------------------------

fn malformed_payloads() -> Vec<Vec<u8>> {
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        "{{\"record_job\":{{\"provider\":{}1{}}}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let deep_params = format!(
        "{{\"update_params\":{{\"params\":{}{}}}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut payloads: Vec<Vec<u8>> = [
        "",
        " ",
        "{",
        "}",
        "null",
        "true",
        "0",
        "-1",
        "1e400",
        "\"record_job\"",
        "[]",
        "[{}]",
        "{\"\":{}}",
        "{\"record_job\":{}}",
        "{\"record_job\":null}",
        "{\"record_job\":{\"provider\":7,\"performance\":\"1\",\"earned\":\"1\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"1e40\",\"earned\":\"1\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"-1\",\"earned\":\"1\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"1.0000000000000000001\",\"earned\":\"1\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"1\",\"earned\":\"-1\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"1\",\"earned\":\"340282366920938463463374607431768211456\"}}",
        "{\"record_job\":{\"provider\":\"x\",\"performance\":\"1\",\"earned\":1}}",
        "{\"record_stake\":{\"provider\":\"x\",\"stake\":\"1.5\"}}",
        "{\"record_missed_heartbeats\":{\"provider\":\"x\",\"intervals\":18446744073709551616}}",
        "{\"record_missed_heartbeats\":{\"provider\":\"x\",\"intervals\":-1}}",
        "{\"record_fault\":{\"provider\":\"x\",\"fault\":{\"fraud\":{}}}}",
        "{\"record_fault\":{\"provider\":\"x\",\"fault\":\"benign\"}}",
        "{\"accept_governance\":{},\"propose_governance\":{\"address\":\"x\"}}",
        "{\"no_such_message\":{}}",
        "{\"config\":{},\"config\":{}}",
        "{\"reputations\":{\"limit\":4294967296}}",
        "{\"score\":{\"provider\":[\"x\"]}}",
        "{\"governance\":\"x\",\"params\":{\"beta\":\"0.9\"}}",
        "{\"update_params\":{\"params\":{}}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    payloads.push(deep_array.into_bytes());
    payloads.push(deep_object.into_bytes());
    payloads.push(deep_params.into_bytes());
    payloads.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    payloads.push(b"{\"record_job\":{\"provider\":\"\xff\"}}".to_vec());
    payloads.push(vec![b'"'; 1 << 20]);
    payloads
}

#[test]
fn checklist_19_malformed_json_is_rejected_by_every_message_type() {
    for payload in malformed_payloads() {
        let shown = String::from_utf8_lossy(&payload[..payload.len().min(60)]).to_string();
        let parsed = [
            ("execute", from_json::<ExecuteMsg>(&payload).is_ok()),
            ("query", from_json::<QueryMsg>(&payload).is_ok()),
            ("sudo", from_json::<SudoMsg>(&payload).is_ok()),
            ("instantiate", from_json::<InstantiateMsg>(&payload).is_ok()),
        ];
        for (entry_point, accepted) in parsed {
            assert!(!accepted, "{entry_point} accepted {shown}");
        }
        // `MigrateMsg {}` has no fields and cw_serde (cosmwasm-schema 3)
        // ignores unknown fields, so any object (and `[]`) is a valid empty
        // `MigrateMsg`; only syntax errors are malformed for it. The
        // entry-point test below covers what migrating with those does.
    }
}

#[test]
fn checklist_19_malformed_json_to_every_entry_point_errors_and_changes_nothing() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.stake(&p, 1_000).unwrap();
    suite.job(&p, Decimal::one(), 1_000).unwrap();
    let contract = suite.contract.clone();
    let (staking, governance) = (suite.staking.clone(), suite.governance.clone());
    let before = suite.raw_state();
    let balance_before = suite.app.wrap().query_balance(&contract, DENOM).unwrap();
    for payload in malformed_payloads() {
        let shown = String::from_utf8_lossy(&payload[..payload.len().min(60)]).to_string();
        let target = (&contract, suite.code_id);
        let ok = send_raw(
            &mut suite.app,
            target,
            (&staking, &governance),
            &payload,
            &[],
        );
        assert!(!ok.execute, "execute {shown}");
        assert!(!ok.query, "query {shown}");
        assert!(!ok.sudo, "sudo {shown}");
        // A payload that is a valid (empty) `MigrateMsg` migrates to the
        // same version, which is allowed and rewrites the same bytes.
        let valid_migrate = from_json::<MigrateMsg>(&payload).is_ok();
        assert_eq!(ok.migrate, valid_migrate, "migrate {shown}");
        assert!(!ok.instantiate, "instantiate {shown}");
        assert_eq!(suite.raw_state(), before, "state changed by {shown}");
    }
    assert_eq!(
        suite.app.wrap().query_balance(&contract, DENOM).unwrap(),
        balance_before
    );
    // Well-formed messages still work afterwards.
    suite.job(&p, Decimal::one(), 1_000).unwrap();
}

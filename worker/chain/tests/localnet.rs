//! The chain client against a real wasmd started by the localnet scripts.
//! Needs Go (to build wasmd once) and `bash ci/build-wasm.sh` artifacts.

mod common;

use std::time::Duration;

use common::{eventually, staking_wasm, Localnet, SERIAL};
use cosmwasm_std::Uint128;
use impulse_chain::keyring::{load_key, save_key, KeyProtection, KeyringAccess};
use impulse_chain::proto::cosmos::bank::v1beta1::MsgSend;
use impulse_chain::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use impulse_chain::{to_any, ChainClient, ChainError, Coin, Signer};
use impulse_types::staking::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, ProviderResponse, QueryMsg, StakingParams, SudoMsg,
};
use impulse_types::{Backend, Capacity};

const STAKE: u128 = 300_000_000;

fn register_msg(endpoint: &str) -> ExecuteMsg {
    ExecuteMsg::Register {
        capacity: Capacity {
            memory_gib: 24,
            devices: 1,
        },
        backend: Backend::Cuda,
        price_per_step: Uint128::new(7),
        endpoint: endpoint.to_string(),
    }
}

/// Stores and instantiates the staking contract with `gov` as governance.
async fn deploy_staking(client: &ChainClient, governance: &str) -> String {
    let (code_id, stored) = client.store_code(staking_wasm()).await.expect("store code");
    assert!(code_id > 0);
    assert!(stored.gas_used > 0 && stored.gas_wanted >= stored.gas_used);
    let (address, inst) = client
        .instantiate(
            code_id,
            &InstantiateMsg {
                governance: governance.to_string(),
                marketplace: None,
                reputation: None,
                rewards: None,
                params: None,
            },
            "impulse-staking",
            Some(governance),
            &[],
        )
        .await
        .expect("instantiate");
    let events = &inst.events;
    assert!(
        events.iter().any(|e| e.contract == address
            && e.ty == "wasm"
            && e.attr("action") == Some("instantiate")),
        "{events:?}"
    );
    address
}

#[tokio::test(flavor = "multi_thread")]
async fn contract_flow_errors_and_sequence_recovery() {
    let _serial = SERIAL.lock().await;
    let Some(net) = Localnet::start("contract_flow_errors_and_sequence_recovery") else {
        return;
    };

    // Keys: our derivation matches wasmd's; alice's key goes through an
    // encrypted keyring file.
    let validator = Signer::from_mnemonic(&common::test_mnemonic("validator"), "wasm").unwrap();
    assert_eq!(
        validator.address().to_string(),
        net.wasmd_address("validator")
    );
    let keyfile = net.home().join("alice.key.json");
    save_key(
        &keyfile,
        "alice",
        &common::test_mnemonic("alice"),
        "wasm",
        KeyProtection::Passphrase("correct horse"),
    )
    .unwrap();
    let (_, alice_signer) =
        load_key(&keyfile, "wasm", KeyringAccess::Passphrase("correct horse")).unwrap();
    assert_eq!(
        alice_signer.address().to_string(),
        net.wasmd_address("alice")
    );
    let alice = ChainClient::connect(net.config(), alice_signer)
        .await
        .unwrap();
    let bob = net.client("bob").await;

    let staking = deploy_staking(&alice, &alice.address()).await;

    // Register with funds; the contract's events come back typed.
    let before = bob.balance(&bob.address(), "uimp").await.unwrap();
    let out = bob
        .execute(
            &staking,
            &register_msg("http://bob.invalid:7000"),
            &[Coin::new(STAKE, "uimp")],
        )
        .await
        .expect("register");
    assert!(
        out.timeout_height > out.height,
        "timeout_height {} at {}",
        out.timeout_height,
        out.height
    );
    assert_eq!(out.fee.denom, "uimp");
    assert!(out.fee.amount > 0);
    assert!(out.gas_wanted >= out.gas_used);
    let reg = out
        .events
        .iter()
        .find(|e| e.ty == "wasm" && e.attr("action") == Some("register"))
        .expect("register event");
    assert_eq!(reg.contract, staking);
    assert_eq!(reg.attr("provider"), Some(bob.address().as_str()));
    assert_eq!(reg.attr("stake"), Some(STAKE.to_string().as_str()));
    let after = bob.balance(&bob.address(), "uimp").await.unwrap();
    assert_eq!(before - after, STAKE + out.fee.amount);
    assert_eq!(bob.balance(&staking, "uimp").await.unwrap(), STAKE);

    let p: ProviderResponse = bob
        .query_smart(
            &staking,
            &QueryMsg::Provider {
                address: bob.address(),
            },
        )
        .await
        .unwrap();
    assert_eq!(p.stake, Uint128::new(STAKE));
    assert_eq!(p.endpoint, "http://bob.invalid:7000");
    assert_eq!(p.backend, Backend::Cuda);
    assert!(p.can_verify);

    // A failing contract call and a malformed message are typed errors and
    // leave the account usable: the next tx needs no sequence refresh.
    let err = bob
        .execute(
            &staking,
            &register_msg("http://bob.invalid:7000"),
            &[Coin::new(STAKE, "uimp")],
        )
        .await
        .unwrap_err();
    match &err {
        ChainError::Simulation { message } => {
            assert!(message.contains("already registered"), "{message}")
        }
        other => panic!("expected a simulation error, got {other:?}"),
    }
    let err = bob
        .execute(&staking, &serde_json::json!({ "no_such_message": {} }), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Simulation { .. }), "{err:?}");
    let q = bob
        .query_smart::<_, ProviderResponse>(&staking, &serde_json::json!({ "nope": {} }))
        .await
        .unwrap_err();
    assert!(matches!(q, ChainError::Query { .. }), "{q:?}");
    bob.execute(&staking, &ExecuteMsg::Heartbeat {}, &[])
        .await
        .expect("heartbeat after errors");
    assert_eq!(bob.sequence_refreshes(), 0);

    // A tx rejected by CheckTx (fee below the node's minimum gas price) is a
    // typed error and does not advance the local sequence: the next tx goes
    // through without a refresh.
    let mut erin = net.client("erin").await;
    erin.set_gas_price(0.0);
    let err = erin
        .execute(
            &staking,
            &register_msg("http://erin.invalid"),
            &[Coin::new(STAKE, "uimp")],
        )
        .await
        .unwrap_err();
    match &err {
        ChainError::CheckTx {
            code,
            codespace,
            log,
        } => {
            assert_eq!((*code, codespace.as_str()), (13, "sdk"), "{log}")
        }
        other => panic!("expected CheckTx insufficient fee, got {other:?}"),
    }
    erin.set_gas_price(0.025);
    erin.execute(
        &staking,
        &register_msg("http://erin.invalid"),
        &[Coin::new(STAKE, "uimp")],
    )
    .await
    .expect("erin registers after the rejected tx");
    assert_eq!(erin.sequence_refreshes(), 0);

    // Two clients with one key: the second one's cached sequence goes stale
    // and it recovers by refreshing from the chain.
    let carol_a = net.client("carol").await;
    let carol_b = net.client("carol").await;
    carol_b
        .execute(
            &staking,
            &register_msg("http://carol.invalid"),
            &[Coin::new(STAKE, "uimp")],
        )
        .await
        .expect("carol registers");
    carol_a
        .execute(&staking, &ExecuteMsg::Heartbeat {}, &[])
        .await
        .expect("carol_a heartbeat");
    assert_eq!(carol_b.sequence_refreshes(), 0);
    carol_b
        .execute(&staking, &ExecuteMsg::Heartbeat {}, &[])
        .await
        .expect("carol_b recovers from the stale sequence");
    assert!(carol_b.sequence_refreshes() >= 1);

    // wait_for_blocks really waits.
    let h0 = alice.latest_height().await.unwrap();
    let h1 = alice.wait_for_blocks(2).await.unwrap();
    assert!(h1 >= h0 + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn gov_sudo_proposal_changes_staking_params() {
    let _serial = SERIAL.lock().await;
    let Some(net) = Localnet::start("gov_sudo_proposal_changes_staking_params") else {
        return;
    };
    let alice = net.client("alice").await;
    let validator = net.client("validator").await;
    // Governance is x/gov here: the sudo entry point needs no address.
    let staking = deploy_staking(&alice, &alice.gov_authority()).await;
    let before: ConfigResponse = alice
        .query_smart(&staking, &QueryMsg::Config {})
        .await
        .unwrap();
    assert_eq!(
        before.params.heartbeat_blocks,
        StakingParams::default().heartbeat_blocks
    );

    let params = StakingParams {
        heartbeat_blocks: 42,
        ..before.params.clone()
    };
    let id = alice
        .gov_sudo(
            &staking,
            &SudoMsg::UpdateParams { params },
            "staking: heartbeat every 42 blocks",
            &[&validator],
            Duration::from_secs(120),
        )
        .await
        .expect("proposal passes");
    assert!(id > 0);
    let after: ConfigResponse = alice
        .query_smart(&staking, &QueryMsg::Config {})
        .await
        .unwrap();
    assert_eq!(after.params.heartbeat_blocks, 42);
    assert_eq!(
        StakingParams {
            heartbeat_blocks: before.params.heartbeat_blocks,
            ..after.params
        },
        before.params
    );
}

fn send(from: &ChainClient, to: &str, amount: u128) -> impulse_chain::Any {
    to_any(&MsgSend {
        from_address: from.address(),
        to_address: to.to_string(),
        amount: vec![ProtoCoin {
            denom: "uimp".into(),
            amount: amount.to_string(),
        }],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn node_down_is_a_typed_error_and_the_client_recovers() {
    let _serial = SERIAL.lock().await;
    let Some(net) = Localnet::start("node_down_is_a_typed_error_and_the_client_recovers") else {
        return;
    };
    let alice = net.client("alice").await;
    let dave = net.client("dave").await.address();
    let start = alice.balance(&dave, "uimp").await.unwrap();
    alice
        .broadcast(vec![send(&alice, &dave, 5)], "before")
        .await
        .unwrap();

    net.stop();
    let err = alice.latest_height().await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    let err = alice.balance(&dave, "uimp").await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    let err = alice
        .broadcast(vec![send(&alice, &dave, 7)], "while down")
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Connection { .. }), "{err:?}");

    net.restart();
    eventually(Duration::from_secs(60), || alice.latest_height()).await;
    alice
        .broadcast(vec![send(&alice, &dave, 11)], "after restart")
        .await
        .expect("the same client works after the restart");
    assert_eq!(alice.balance(&dave, "uimp").await.unwrap(), start + 5 + 11);
}

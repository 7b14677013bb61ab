//! The embedded chain through the `Chain` interface only: deployment,
//! providers, a job from submission to settlement (a verification round
//! played with the impulse-protocol helpers, like packages/testing's market
//! helpers), conservation of balances, the clock, typed contract errors,
//! and several signers in parallel tasks.

use std::collections::BTreeMap;
use std::time::Duration;

use cosmwasm_std::{Decimal, HexBinary, Uint128};
use impulse_chain::api::{Chain, Error, TxOutcome};
use impulse_chain::Coin;
use impulse_embedded::{Clock, DeployParams, EmbeddedChain, EmbeddedSigner};
use impulse_protocol::{secret_commitment, verdict_commitment, Hash, MerkleTree};
use impulse_types::marketplace::{
    self as mkt, DatasetSpec, ExecuteMsg, HyperParams, JobResponse, JobSpec, JobState, ModelSpec,
    Opening, RoundResponse, VerificationMode, VerificationSpec,
};
use impulse_types::staking as stk;
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};
use sha2::{Digest, Sha256};

const DENOM: &str = DEFAULT_DENOM;
const BALANCE: u128 = 1_000_000_000_000;
const PROVER_STAKE: u128 = 1_000_000_000;
const VERIFIER_STAKE: u128 = 300_000_000;
const STEPS: u64 = 40;

fn names() -> Vec<String> {
    let mut v: Vec<String> = (0..2).map(|i| format!("prover{i}")).collect();
    v.extend((0..5).map(|i| format!("verifier{i}")));
    v
}

fn params(clock: Clock) -> DeployParams {
    let mut accounts: Vec<(String, u128)> = names().into_iter().map(|n| (n, BALANCE)).collect();
    accounts.push(("trainer".into(), BALANCE));
    DeployParams {
        accounts,
        clock,
        ..DeployParams::default()
    }
}

fn sha(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hex(h: &[u8]) -> HexBinary {
    HexBinary::from(h.to_vec())
}

fn coins(amount: u128) -> Vec<Coin> {
    vec![Coin::new(amount, DENOM)]
}

/// Register with `stake` and advertise to the marketplace, as a daemon does.
async fn join(c: &EmbeddedSigner, stake: u128) -> Result<(), Error> {
    let d = c.deployment().clone();
    c.execute(
        &d.staking,
        &stk::ExecuteMsg::Register {
            capacity: Capacity {
                memory_gib: 80,
                devices: 4,
            },
            backend: Backend::Cpu,
            price_per_step: Uint128::new(10),
            endpoint: "http://127.0.0.1:7070".into(),
        },
        &coins(stake),
    )
    .await?;
    c.execute(&d.marketplace, &ExecuteMsg::Advertise {}, &[])
        .await?;
    Ok(())
}

fn spec(now: u64, seed: u64) -> JobSpec {
    JobSpec {
        model: ModelSpec {
            arch: "lm-ref".into(),
            config: None,
            base_weights: None,
        },
        dataset: DatasetSpec {
            sha256: hex(&[7u8; 32]),
            uri: "ipfs://dataset".into(),
        },
        hyper: HyperParams {
            steps: STEPS,
            batch_size: 8,
            learning_rate: Decimal::permille(1),
            optimizer: "adamw".into(),
            seed,
        },
        model_units: 2,
        resources: Capacity {
            memory_gib: 8,
            devices: 1,
        },
        backend: Backend::Cpu,
        max_price_per_step: Uint128::new(10),
        min_reputation: Decimal::zero(),
        deadline: now + 10_000,
        verification: VerificationSpec {
            alpha: Decimal::percent(10),
            committee: 3,
            mode: VerificationMode::Exact,
        },
        private: false,
    }
}

/// The budget the marketplace requires (protocol.md section 5), from its
/// parameters as queried through the interface.
async fn budget(c: &EmbeddedSigner, spec: &JobSpec) -> u128 {
    let cfg: mkt::ConfigResponse = c
        .query(&c.deployment().marketplace, &mkt::QueryMsg::Config {})
        .await
        .unwrap();
    impulse_testing::market::required_budget(spec, &cfg.params)
}

/// An honest run's step hashes and its Merkle tree.
struct Run {
    steps: Vec<Hash>,
    tree: MerkleTree,
    model: Hash,
}

impl Run {
    fn honest(seed: u64) -> Run {
        let steps: Vec<Hash> = (0..=STEPS)
            .map(|i| sha(&[b"step", &seed.to_be_bytes(), &i.to_be_bytes()]))
            .collect();
        Run {
            tree: MerkleTree::new(&steps).unwrap(),
            model: sha(&[b"model", &steps[STEPS as usize]]),
            steps,
        }
    }

    fn opening(&self, step: u64) -> Opening {
        Opening {
            step,
            hash: hex(&self.steps[step as usize]),
            proof: self
                .tree
                .proof(step)
                .unwrap()
                .siblings
                .iter()
                .map(|s| hex(s))
                .collect(),
        }
    }
}

/// A marketplace query through the `Chain` interface.
async fn market<T: serde::de::DeserializeOwned>(c: &EmbeddedSigner, msg: mkt::QueryMsg) -> T {
    c.query(&c.deployment().marketplace, &msg).await.unwrap()
}

async fn job(c: &EmbeddedSigner, id: u64) -> JobResponse {
    market(c, mkt::QueryMsg::Job { job_id: id }).await
}

async fn round(c: &EmbeddedSigner, id: u64) -> RoundResponse {
    market(c, mkt::QueryMsg::Round { job_id: id }).await
}

fn moved_to(out: &TxOutcome, id: u64, to: JobState) -> bool {
    out.events.iter().any(|e| {
        e.ty == "impulse_job"
            && e.attr("job_id") == Some(&id.to_string())
            && e.attr("to") == Some(to.as_str())
    })
}

/// Every account's and contract's balance, and their sum.
async fn balances(chain: &EmbeddedChain, c: &EmbeddedSigner) -> (BTreeMap<String, u128>, u128) {
    let d = chain.deployment();
    let mut addrs: Vec<String> = names().iter().map(|n| chain.address_of(n)).collect();
    addrs.push(chain.address_of("trainer"));
    addrs.push(chain.governance());
    addrs.extend([
        d.staking.clone(),
        d.reputation.clone(),
        d.marketplace.clone(),
        d.rewards.clone(),
    ]);
    let mut out = BTreeMap::new();
    for a in addrs {
        out.insert(a.clone(), c.balance(&a, DENOM).await.unwrap());
    }
    let sum = out.values().sum();
    (out, sum)
}

#[tokio::test]
async fn a_job_is_assigned_verified_and_settled_through_the_interface() {
    let chain = EmbeddedChain::deploy(params(Clock::Manual)).unwrap();
    let d = chain.deployment().clone();
    let signer = |name: &str| chain.signer(&chain.address_of(name)).unwrap();
    let by_addr: BTreeMap<String, EmbeddedSigner> = names()
        .iter()
        .map(|n| (chain.address_of(n), signer(n)))
        .collect();
    let trainer = signer("trainer");
    let minted = chain.minted().await.unwrap();
    assert_eq!(chain.supply().await.unwrap(), minted);
    let reserve = trainer.balance(&d.rewards, DENOM).await.unwrap();
    assert_eq!(reserve, DeployParams::default().reserve);

    for (i, n) in names().iter().enumerate() {
        let stake = if i < 2 { PROVER_STAKE } else { VERIFIER_STAKE };
        join(&signer(n), stake).await.unwrap();
    }
    let staked = 2 * PROVER_STAKE + 5 * VERIFIER_STAKE;
    assert_eq!(trainer.balance(&d.staking, DENOM).await.unwrap(), staked);
    chain.advance(1).await.unwrap();

    // --- submit: matched at once ---------------------------------------
    let spec = spec(trainer.height().await.unwrap(), 1);
    let pay = budget(&trainer, &spec).await;
    let out = trainer
        .execute(
            &d.marketplace,
            &ExecuteMsg::SubmitJob { spec: spec.clone() },
            &coins(pay),
        )
        .await
        .unwrap();
    assert!(out.tx_hash.starts_with("embedded-"));
    let id: u64 = out.attr("wasm", "job_id").unwrap().parse().unwrap();
    assert!(moved_to(&out, id, JobState::Assigned), "{:?}", out.events);
    let j = job(&trainer, id).await;
    assert_eq!(j.state, JobState::Assigned);
    let prover = by_addr[j.prover.as_ref().unwrap().as_str()].clone();
    let r = round(&trainer, id).await;
    assert_eq!(r.committee.len(), 3);
    let members: Vec<EmbeddedSigner> = r
        .committee
        .iter()
        .map(|m| by_addr[m.address.as_str()].clone())
        .collect();
    let (before, total_before) = balances(&chain, &trainer).await;

    // --- the round -----------------------------------------------------
    let run = Run::honest(1);
    let secret = |m: &EmbeddedSigner| sha(&[b"secret", m.address().as_bytes()]);
    for m in &members {
        m.execute(
            &d.marketplace,
            &ExecuteMsg::CommitSecret {
                job_id: id,
                secret_hash: hex(&secret_commitment(&secret(m))),
            },
            &[],
        )
        .await
        .unwrap();
    }
    prover
        .execute(
            &d.marketplace,
            &ExecuteMsg::CommitResult {
                job_id: id,
                root: hex(&run.tree.root()),
                final_model_hash: hex(&run.model),
                build_identity: "impulse-engine 0.1.0 burn-flex".into(),
                backend: Backend::Cpu,
            },
            &[],
        )
        .await
        .unwrap();
    chain.advance(1).await.unwrap();
    for m in &members {
        m.execute(
            &d.marketplace,
            &ExecuteMsg::RevealSecret {
                job_id: id,
                secret: hex(&secret(m)),
            },
            &[],
        )
        .await
        .unwrap();
    }
    let r = round(&trainer, id).await;
    let challenged = r.challenged_steps.clone();
    assert!(!challenged.is_empty());
    assert_eq!(
        *challenged.last().unwrap(),
        STEPS,
        "step L is always checked"
    );
    let hashes: Vec<Hash> = challenged.iter().map(|s| run.steps[*s as usize]).collect();
    let salt = |m: &EmbeddedSigner| sha(&[b"salt", m.address().as_bytes()]);
    for m in &members {
        let c = verdict_commitment(
            m.address().as_bytes(),
            &hashes,
            None,
            Some(&run.model),
            &salt(m),
        );
        m.execute(
            &d.marketplace,
            &ExecuteMsg::CommitVerdict {
                job_id: id,
                commitment: hex(&c),
            },
            &[],
        )
        .await
        .unwrap();
    }
    chain.advance(1).await.unwrap();
    let cfg: mkt::ConfigResponse = prover
        .query(&d.marketplace, &mkt::QueryMsg::Config {})
        .await
        .unwrap();
    for chunk in challenged.chunks(cfg.params.max_openings_per_tx as usize) {
        prover
            .execute(
                &d.marketplace,
                &ExecuteMsg::OpenSteps {
                    job_id: id,
                    openings: chunk.iter().map(|s| run.opening(*s)).collect(),
                },
                &[],
            )
            .await
            .unwrap();
    }
    let mut last = None;
    for m in &members {
        last = Some(
            m.execute(
                &d.marketplace,
                &ExecuteMsg::RevealVerdict {
                    job_id: id,
                    hashes: hashes.iter().map(|h| hex(h)).collect(),
                    distances: None,
                    model_hash: Some(hex(&run.model)),
                    salt: hex(&salt(m)),
                },
                &[],
            )
            .await
            .unwrap(),
        );
    }

    // --- settled, and the balances add up -------------------------------
    let last = last.unwrap();
    assert!(moved_to(&last, id, JobState::Settled), "{:?}", last.events);
    let j = job(&trainer, id).await;
    assert_eq!(j.state, JobState::Settled);
    let (after, total_after) = balances(&chain, &trainer).await;
    // Nothing minted or burned by an honest job, and every token is held by
    // an account or contract we know.
    assert_eq!(chain.supply().await.unwrap(), minted);
    assert_eq!(total_before, minted);
    assert_eq!(total_after, minted);
    // The marketplace holds no escrow for a settled job; staking still
    // holds exactly the stakes; the prover was paid.
    let totals: mkt::TotalsResponse = trainer
        .query(&d.marketplace, &mkt::QueryMsg::Totals {})
        .await
        .unwrap();
    assert_eq!(
        after[&d.marketplace],
        totals.escrow.u128() + totals.undelivered_fees.u128()
    );
    assert_eq!(totals.escrow.u128(), 0);
    assert_eq!(after[&d.staking], staked);
    let p = prover.address();
    assert!(after[&p] > before[&p], "the prover was paid");
    assert!(
        after[&d.rewards] > before[&d.rewards],
        "the protocol fee reached rewards"
    );
    // `before` is read after the submission: the trainer gets back at most
    // the unspent part of its escrow (the budget covers possible escalation
    // seats that an agreeing committee does not use), never more than it
    // put in, and it paid the prover.
    assert!(after[&trainer.address()] < before[&trainer.address()] + pay);
}

#[tokio::test]
async fn wait_blocks_follows_the_clock() {
    let chain = EmbeddedChain::deploy(params(Clock::Every(Duration::from_millis(20)))).unwrap();
    let c = chain.signer(&chain.address_of("trainer")).unwrap();
    let h0 = c.height().await.unwrap();
    let h = c.wait_blocks(3).await.unwrap();
    assert!(h >= h0 + 3, "{h} < {h0} + 3");
    assert!(c.height().await.unwrap() >= h);
    let target = h + 2;
    assert!(c.wait_until_height(target).await.unwrap() >= target);
    // A past height answers at once.
    assert!(c.wait_until_height(1).await.unwrap() >= target);
}

#[tokio::test]
async fn a_manual_chain_moves_only_when_advanced() {
    let chain = EmbeddedChain::deploy(params(Clock::Manual)).unwrap();
    let c = chain.signer(&chain.address_of("trainer")).unwrap();
    let h0 = c.height().await.unwrap();
    let waiter = {
        let c = c.clone();
        tokio::spawn(async move { c.wait_blocks(2).await })
    };
    tokio::task::yield_now().await;
    assert_eq!(chain.advance(1).await.unwrap(), h0 + 1);
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "one block is not two");
    assert_eq!(chain.advance(1).await.unwrap(), h0 + 2);
    assert_eq!(waiter.await.unwrap().unwrap(), h0 + 2);
    assert_eq!(c.height().await.unwrap(), h0 + 2);
}

#[test]
fn a_clock_needs_a_runtime() {
    let e = EmbeddedChain::deploy(params(Clock::Every(Duration::from_millis(5)))).unwrap_err();
    assert!(
        matches!(e, Error::Embedded(ref m) if m.contains("tokio runtime")),
        "{e}"
    );
}

#[tokio::test]
async fn contract_errors_come_back_typed_with_the_contract_message() {
    let chain = EmbeddedChain::deploy(params(Clock::Manual)).unwrap();
    let d = chain.deployment().clone();
    let trainer = chain.signer(&chain.address_of("trainer")).unwrap();
    let before = trainer.balance(&trainer.address(), DENOM).await.unwrap();

    // Execute: a budget below the requirement.
    let spec = spec(trainer.height().await.unwrap(), 3);
    let need = budget(&trainer, &spec).await;
    let e = trainer
        .execute(&d.marketplace, &ExecuteMsg::SubmitJob { spec }, &coins(1))
        .await
        .unwrap_err();
    let expected = impulse_marketplace::ContractError::BudgetTooSmall {
        required: Uint128::new(need),
        provided: Uint128::new(1),
    }
    .to_string();
    match &e {
        Error::Contract { contract, message } => {
            assert_eq!(contract, &d.marketplace);
            assert_eq!(message, &expected);
        }
        other => panic!("not a contract error: {other:?}"),
    }
    // The failed message changed nothing.
    assert_eq!(
        trainer.balance(&trainer.address(), DENOM).await.unwrap(),
        before
    );

    // Query: an unknown job.
    let e = trainer
        .query::<_, JobResponse>(&d.marketplace, &mkt::QueryMsg::Job { job_id: 999 })
        .await
        .unwrap_err();
    let m = e.contract_message().expect("a contract error");
    assert!(
        m.contains(&impulse_marketplace::ContractError::JobNotFound { job_id: 999 }.to_string()),
        "{m}"
    );

    // Staking: a provider that never registered.
    let e = trainer
        .execute(&d.staking, &stk::ExecuteMsg::Heartbeat {}, &[])
        .await
        .unwrap_err();
    let expected = impulse_staking::ContractError::ProviderNotFound {
        address: trainer.address(),
    }
    .to_string();
    assert_eq!(e.contract_message(), Some(expected.as_str()));

    // A bad address is refused before anything runs.
    assert!(matches!(
        chain.signer("cosmos1xyz"),
        Err(Error::Embedded(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signers_in_parallel_tasks_share_one_chain() {
    let chain = EmbeddedChain::deploy(params(Clock::Every(Duration::from_millis(10)))).unwrap();
    let d = chain.deployment().clone();
    let mut tasks = vec![];
    for n in names() {
        let c = chain.signer(&chain.address_of(&n)).unwrap();
        tasks.push(tokio::spawn(async move {
            join(&c, VERIFIER_STAKE).await?;
            c.wait_blocks(1).await?;
            c.execute(
                &c.deployment().staking.clone(),
                &stk::ExecuteMsg::Heartbeat {},
                &[],
            )
            .await?;
            Ok::<_, Error>(c.address())
        }));
    }
    let mut joined = vec![];
    for t in tasks {
        joined.push(t.await.unwrap().unwrap());
    }
    let c = chain.signer(&chain.governance()).unwrap();
    for a in &joined {
        let p: stk::ProviderResponse = c
            .query(&d.staking, &stk::QueryMsg::Provider { address: a.clone() })
            .await
            .unwrap();
        assert_eq!(p.stake.u128(), VERIFIER_STAKE);
    }
    assert_eq!(
        c.balance(&d.staking, DENOM).await.unwrap(),
        VERIFIER_STAKE * names().len() as u128
    );
}

#[tokio::test]
async fn sudo_plays_governance_and_mint_is_counted() {
    let chain = EmbeddedChain::deploy(params(Clock::Manual)).unwrap();
    let d = chain.deployment().clone();
    let c = chain.signer(&chain.governance()).unwrap();
    let cfg: mkt::ConfigResponse = c
        .query(&d.marketplace, &mkt::QueryMsg::Config {})
        .await
        .unwrap();
    let mut p = cfg.params.clone();
    p.max_openings_per_tx = cfg.params.max_openings_per_tx - 1;
    chain
        .sudo(&d.marketplace, &mkt::SudoMsg::UpdateParams { params: p })
        .await
        .unwrap();
    let after: mkt::ConfigResponse = c
        .query(&d.marketplace, &mkt::QueryMsg::Config {})
        .await
        .unwrap();
    assert_eq!(
        after.params.max_openings_per_tx,
        cfg.params.max_openings_per_tx - 1
    );
    // A malformed sudo message is the contract's error.
    let e = chain
        .sudo(&d.marketplace, &serde_json::json!({ "nope": {} }))
        .await
        .unwrap_err();
    assert!(e.contract_message().is_some(), "{e}");

    let newcomer = chain.address_of("newcomer");
    let minted = chain.minted().await.unwrap();
    chain.mint(&newcomer, 5).await.unwrap();
    assert_eq!(c.balance(&newcomer, DENOM).await.unwrap(), 5);
    assert_eq!(chain.minted().await.unwrap(), minted + 5);
    assert_eq!(chain.supply().await.unwrap(), minted + 5);
}

/// Each signer has an account key: it signs as Cosmos does (ECDSA over
/// SHA-256, low S) and the chain says it owns that address and no other;
/// an address no signer was handed for has no key.
#[test]
fn signers_prove_their_accounts_with_registered_keys() {
    use k256::ecdsa::signature::Verifier as _;
    let chain = EmbeddedChain::deploy(params(Clock::Manual)).unwrap();
    let (a, b) = (chain.address_of("alice"), chain.address_of("bob"));
    let alice = chain.signer(&a).unwrap();
    assert_eq!(chain.public_key_of(&b), None);
    let bob = chain.signer(&b).unwrap();
    let pk = alice.account_public_key().unwrap();
    assert_eq!(chain.public_key_of(&a), Some(pk));
    // Deterministic: a second handle has the same key.
    assert_eq!(chain.signer(&a).unwrap().account_public_key(), Some(pk));
    let sig = alice.sign_bytes(b"hello").unwrap();
    let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&pk).unwrap();
    let sig = k256::ecdsa::Signature::from_slice(&sig).unwrap();
    assert!(sig.normalize_s().is_none(), "low S");
    vk.verify(b"hello", &sig).unwrap();
    assert!(vk.verify(b"hellO", &sig).is_err());
    // Any handle answers ownership from the registry.
    assert!(bob.owns_key(&a, &pk));
    assert!(!bob.owns_key(&b, &pk));
    assert!(!bob.owns_key(&chain.address_of("carol"), &pk));
}

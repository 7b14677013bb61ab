//! Variants of the honest path that the behaviour scenarios do not run:
//! a private job, and tolerance-mode verification through the daemons.
//!
//! A private job's data on the wire (issue 14, item 9): on the embedded
//! chain, five providers register and a trainer submits a private job,
//! which the marketplace assigns to a prover and a committee of three at
//! once. Then, over real gRPC with signed requests:
//! * the trainer's dataset server gives the dataset to the prover and to
//!   every committee member, and refuses a registered provider that is not
//!   on the job and an account that is not a provider (PERMISSION_DENIED),
//!   and an unsigned caller (UNAUTHENTICATED); the shipped base model
//!   stays public;
//! * the prover's artifact server gives the job's states and progress to
//!   the committee and the trainer, and refuses the same three.
//!
//! Through the daemons (members really replaying a private job):
//! `private_job_settles_with_its_members_reading_everything`.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use impulse_artifact::{ArtifactClient, ClientConfig, ClientError, ServerConfig};
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Staking};
use impulse_daemon::node::{node_store, signed_client};
use impulse_daemon::scenario::{ChainSettings, JobEntry};
use impulse_daemon::store::NodeStore;
use impulse_daemon::{assets, demo, trainer};
use impulse_embedded::{Clock, DeployParams, EmbeddedChain, EmbeddedSigner};
use impulse_types::{Backend, Capacity};
use tokio_util::sync::CancellationToken;

const PROVIDERS: [&str; 5] = ["p0", "p1", "p2", "p3", "p4"];

/// Serves `store` on a free loopback port until `stop`; the endpoint.
async fn serve(store: NodeStore, stop: &CancellationToken) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = stop.clone();
    tokio::spawn(impulse_artifact::serve(
        listener,
        store,
        ServerConfig::default(),
        stop,
    ));
    format!("http://{addr}")
}

/// A client of `endpoint` signing as `who` (unsigned with `None`).
async fn client(endpoint: &str, who: Option<&Arc<EmbeddedSigner>>) -> ArtifactClient {
    let config = match who {
        Some(s) => signed_client(s),
        None => ClientConfig::default(),
    };
    ArtifactClient::connect(endpoint, config).await.unwrap()
}

/// Refused: `PERMISSION_DENIED` for a signed caller who is not a reader,
/// `UNAUTHENTICATED` for an unsigned one.
fn denied<T: std::fmt::Debug>(r: Result<T, ClientError>, who: &str) {
    let e = r.expect_err(&format!("{who} must be refused"));
    let code = if who.contains("unsigned") {
        tonic::Code::Unauthenticated
    } else {
        tonic::Code::PermissionDenied
    };
    assert_eq!(e.code(), Some(code), "{who}: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_private_jobs_data_goes_to_its_prover_committee_and_trainer_only() {
    let settings = ChainSettings::default();
    let pp = settings.protocol_params();
    let names: Vec<&str> = PROVIDERS
        .iter()
        .copied()
        .chain(["trainer", "stranger"])
        .collect();
    let chain = EmbeddedChain::deploy(DeployParams {
        staking: pp.staking,
        reputation: pp.reputation,
        marketplace: pp.marketplace,
        rewards: pp.rewards,
        accounts: names
            .iter()
            .map(|n| (n.to_string(), 100_000_000_000))
            .collect(),
        clock: Clock::Manual,
        ..DeployParams::default()
    })
    .unwrap();
    let signer = |n: &str| Arc::new(chain.signer(&chain.address_of(n)).unwrap());
    let stop = CancellationToken::new();

    // Five providers, each serving artifacts from its own node store.
    let mut stores = Vec::new();
    for (i, n) in PROVIDERS.iter().enumerate() {
        let s = signer(n);
        let store = node_store(&s);
        let endpoint = serve(store.clone(), &stop).await;
        Staking::new(&*s)
            .register(
                Capacity {
                    memory_gib: 16,
                    devices: 1,
                },
                Backend::Cpu,
                10 + i as u128,
                endpoint.clone(),
                2_000_000_000,
            )
            .await
            .unwrap();
        Marketplace::new(&*s).advertise().await.unwrap();
        stores.push((n.to_string(), s, store, endpoint));
    }

    // The trainer serves a dataset that only the private job will name.
    let trainer = signer("trainer");
    let tstore = node_store(&trainer);
    let data = Bytes::from_static(b"a private corpus: nobody outside the job reads this\n");
    let data_hash = impulse_artifact::sha256(&data);
    tstore.access().guard_blob(data_hash);
    tstore.add_blob(data.clone());
    let base_hash = tstore.add_blob(Bytes::from_static(assets::BASE_MODEL));
    let data_uri = serve(tstore.clone(), &stop).await.replace("http", "grpc");
    let entry: JobEntry = toml::from_str(
        "name = \"secret\"\nsteps = 4\nprivate = true\nmax_price = 1000\nbase = \"none\"",
    )
    .unwrap();
    let now = trainer.height().await.unwrap();
    let spec = trainer::job_spec(&entry, 1, (&data_hash, &data_uri), None, now + 1000).unwrap();
    assert!(spec.private);
    let budget = demo::min_budget(&*trainer, &spec).await.unwrap();
    let out = Marketplace::new(&*trainer)
        .submit_job(spec, budget)
        .await
        .unwrap();
    let id: u64 = out.attr("wasm", "job_id").unwrap().parse().unwrap();
    tstore.access().bind(id, true, &[data_hash]);

    let market = Marketplace::new(&*trainer);
    let job = market.job(id).await.unwrap();
    assert!(job.spec.private, "the chain records the flag");
    let prover = job.prover.expect("assigned at submission").to_string();
    let round = market.round(id).await.unwrap();
    let committee: Vec<String> = round
        .committee
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    assert_eq!(committee.len(), 3, "{committee:?}");
    let outsider = stores
        .iter()
        .find(|(_, s, _, _)| {
            let a = s.address();
            a != prover && !committee.contains(&a)
        })
        .expect("five providers: one is neither prover nor member")
        .1
        .clone();
    let stranger = signer("stranger");
    let by_addr = |a: &str| {
        stores
            .iter()
            .find(|(_, s, _, _)| s.address() == a)
            .unwrap()
            .clone()
    };

    // The trainer's dataset server.
    for who in std::iter::once(&prover).chain(&committee) {
        let (name, s, _, _) = by_addr(who);
        let got = client(&data_uri.replace("grpc", "http"), Some(&s))
            .await
            .fetch_dataset(&data_hash)
            .await
            .unwrap_or_else(|e| panic!("{name} is on the job: {e}"));
        assert_eq!(got, data, "{name}");
    }
    let endpoint = data_uri.replace("grpc", "http");
    let others = [
        ("a registered provider not on the job", Some(&outsider)),
        ("an account that is not a provider", Some(&stranger)),
        ("an unsigned caller", None),
    ];
    for (who, c) in others {
        let c = client(&endpoint, c).await;
        denied(c.fetch_dataset(&data_hash).await, who);
    }
    let base = client(&endpoint, None)
        .await
        .fetch_dataset(&base_hash)
        .await
        .expect("the shipped base model is public");
    assert_eq!(base.len(), assets::BASE_MODEL.len());

    // The prover's server: what it serves for the job (states 0..=2 and a
    // commitment), private to the job's readers.
    let (_, _, pstore, pendpoint) = by_addr(&prover);
    pstore.access().bind(id, true, &[]);
    let states: Vec<(Option<Bytes>, [u8; 32])> = (0u8..3)
        .map(|i| {
            let b = Bytes::from(vec![i; 64]);
            let h = impulse_artifact::sha256(&b);
            (Some(b), h)
        })
        .collect();
    pstore.start_job(id, 2, states);
    let root = pstore.seal(id, Vec::new()).expect("a tree");
    for who in &committee {
        let (name, s, _, _) = by_addr(who);
        let st = client(&pendpoint, Some(&s))
            .await
            .fetch_state(id, 1, &root)
            .await
            .unwrap_or_else(|e| panic!("member {name}: {e}"));
        assert_eq!(st.bytes, Bytes::from(vec![1u8; 64]));
    }
    let progress = client(&pendpoint, Some(&trainer))
        .await
        .progress(id)
        .await
        .expect("the trainer follows its job");
    assert_eq!(progress.total_steps, 2);
    for (who, c) in others {
        let c = client(&pendpoint, c).await;
        denied(c.fetch_state(id, 1, &root).await, who);
        denied(c.progress(id).await, who);
    }
    stop.cancel();
}

/// Runs the `honest` behaviour scenario changed by `vary`; the report as
/// JSON (what report.json holds).
async fn run_honest(name: &str, vary: impl FnOnce(&mut JobEntry)) -> serde_json::Value {
    let (path, mut scenario) = common::behaviour_scenario("honest");
    scenario.name = name.into();
    vary(&mut scenario.jobs[0]);
    common::run_scenario(scenario, &path, name).await
}

/// Settled at the first attempt, every member revealed, and the trainer's
/// check of the final model passed.
fn check_settled_first_time(report: &serde_json::Value) {
    let j = &report["jobs"][0];
    assert_eq!(j["status"], "settled", "{j}");
    assert_eq!(j["attempts"], 1, "{j}");
    assert_eq!(
        j["model_hash_matches"], true,
        "the trainer read its model: {j}"
    );
    let verdicts = j["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 3, "{j}");
    for v in verdicts {
        assert_eq!(v["revealed"], true, "every member replayed: {v}");
    }
}

/// The `honest` behaviour scenario with its job made private: the members
/// fetch the dataset from the trainer and the states from the prover with
/// signed requests, replay, and the job settles; the trainer fetches the
/// final model (signed) and it matches the commitment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn private_job_settles_with_its_members_reading_everything() {
    let report = run_honest("private", |j| j.private = true).await;
    assert!(
        common::said(&report, "submitted private job"),
        "the narration says so"
    );
    assert!(
        !common::said(&report, "cannot fetch state"),
        "no member was refused a state"
    );
    check_settled_first_time(&report);
}

/// The `honest` behaviour scenario in tolerance mode: each member replays
/// the challenged steps, reports distances under tau and the model hash of
/// the served state `L`, and the job settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tolerance_mode_settles_an_honest_job_through_the_daemons() {
    let report = run_honest("tolerance", |j| j.mode = "tolerance".into()).await;
    check_settled_first_time(&report);
}

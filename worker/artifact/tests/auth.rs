//! Signed requests end to end: a real server and client on 127.0.0.1, real
//! secp256k1 keys whose Cosmos addresses are a private job's readers. One
//! test per refusal, and the accepted paths.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use common::{account, client, client_as, start, start_on, states, with_header, Account};
use impulse_artifact::auth::{unix_now, Claim, Scope, AUTH_HEADER};
use impulse_artifact::pb::{GetDatasetRequest, GetStateRequest, ModelFormat, ProgressRequest};
use impulse_artifact::{
    ArtifactClient, ArtifactStore, Caller, DatasetBlob, Hash, Identity, MemoryStore, ModelBlob,
    Progress, ServerConfig, StateBlob, StoreError, Visibility,
};
use tokio::net::TcpListener;
use tonic::{Code, Status};

const JOB: u64 = 1;
const PUBLIC_JOB: u64 = 2;

struct World {
    trainer: Account,
    verifier: Account,
    stranger: Account,
    states: Vec<Bytes>,
    root: Hash,
    public_root: Hash,
    private_data: Hash,
    public_data: Hash,
}

/// Job 1 private to the trainer and the verifier (and its dataset), job 2
/// and another dataset public.
fn world() -> (MemoryStore, World) {
    let (trainer, verifier, stranger) = (account(1), account(2), account(3));
    let readers: BTreeSet<String> = [trainer.address.clone(), verifier.address.clone()].into();
    let s = MemoryStore::new();
    let st = states(2, 3, 1, 10_000);
    let root = s
        .add_job(
            JOB,
            Visibility::Private {
                readers: readers.clone(),
            },
            st.clone(),
        )
        .unwrap();
    let public_root = s
        .add_job(PUBLIC_JOB, Visibility::Public, states(3, 2, 0, 100))
        .unwrap();
    let private_data = s
        .add_dataset(Bytes::from_static(b"private corpus"))
        .unwrap();
    s.set_dataset_visibility(private_data, Visibility::Private { readers })
        .unwrap();
    let public_data = s.add_dataset(Bytes::from_static(b"public corpus")).unwrap();
    let w = World {
        trainer,
        verifier,
        stranger,
        states: st,
        root,
        public_root,
        private_data,
        public_data,
    };
    (s, w)
}

fn assert_refused(r: Result<impl std::fmt::Debug, Status>, code: Code, words: &str) {
    let st = r.unwrap_err();
    assert_eq!(st.code(), code, "{st:?}");
    assert!(st.message().contains(words), "{words:?} not in {st:?}");
}

/// `GetState(job, step)` with this header value, read to its end.
async fn get_state(c: &ArtifactClient, job: u64, step: u64, header: &str) -> Result<(), Status> {
    let req = with_header(GetStateRequest { job_id: job, step }, AUTH_HEADER, header);
    let mut s = c.raw().get_state(req).await?.into_inner();
    while s.message().await?.is_some() {}
    Ok(())
}

/// `who`'s signed claim for `scope` at `c`'s server, at `ts`, nonce `n`.
fn claim(who: &Account, c: &ArtifactClient, scope: Scope, ts: u64, n: u8) -> Claim {
    who.identity()
        .claim(&scope, c.audience(), ts, [n; 16])
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_download_with_signed_requests() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    for who in [&w.verifier, &w.trainer] {
        let c = client(&srv.endpoint, Some(who)).await;
        // Each call, and each call again, is freshly signed.
        for _ in 0..2 {
            assert_eq!(
                c.fetch_state(JOB, 1, &w.root).await.unwrap().bytes,
                w.states[1]
            );
        }
        assert_eq!(c.progress(JOB).await.unwrap().total_steps, 3);
        assert_eq!(
            c.fetch_dataset(&w.private_data).await.unwrap(),
            Bytes::from_static(b"private corpus")
        );
        // The job has no model: the request got past authentication.
        let e = c
            .fetch_model(JOB, ModelFormat::ImpulseV1, &[0; 32])
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(Code::NotFound), "{e}");
        // Public things answer signed requests too.
        c.fetch_state(PUBLIC_JOB, 0, &w.public_root).await.unwrap();
        c.fetch_dataset(&w.public_data).await.unwrap();
    }
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_requests_get_only_public_things() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    c.fetch_state(PUBLIC_JOB, 1, &w.public_root).await.unwrap();
    c.progress(PUBLIC_JOB).await.unwrap();
    c.fetch_dataset(&w.public_data).await.unwrap();

    let e = c.fetch_state(JOB, 1, &w.root).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    assert!(e.to_string().contains("job 1 is private"), "{e}");
    let e = c.progress(JOB).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    let e = c
        .fetch_model(JOB, ModelFormat::Safetensors, &[0; 32])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    let e = c.fetch_dataset(&w.private_data).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    assert!(e.to_string().contains("is private"), "{e}");

    // A bare address in the legacy header proves nothing.
    let req = with_header(
        ProgressRequest { job_id: JOB },
        "impulse-caller",
        &w.verifier.address,
    );
    assert_refused(
        c.raw().progress(req).await,
        Code::Unauthenticated,
        "impulse-caller",
    );
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_who_is_not_listed_is_denied() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, Some(&w.stranger)).await;
    let e = c.fetch_state(JOB, 1, &w.root).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::PermissionDenied), "{e}");
    assert!(e.to_string().contains(&w.stranger.address), "{e}");
    let e = c.progress(JOB).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::PermissionDenied), "{e}");
    // The private dataset, to a non-member.
    let e = c.fetch_dataset(&w.private_data).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::PermissionDenied), "{e}");
    assert!(e.to_string().contains("private dataset"), "{e}");
    // The public ones are fine.
    c.fetch_dataset(&w.public_data).await.unwrap();
    c.fetch_state(PUBLIC_JOB, 0, &w.public_root).await.unwrap();
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_signature_is_refused() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    let mut cl = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now(), 1);
    cl.signature[10] ^= 1;
    let r = get_state(&c, JOB, 1, &cl.encode()).await;
    assert_refused(r, Code::Unauthenticated, "signature does not match");
    // Another key's signature under the verifier's public key.
    let mut cl = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now(), 2);
    cl.signature = claim(&w.stranger, &c, Scope::state(JOB, 1), cl.timestamp, 2).signature;
    let r = get_state(&c, JOB, 1, &cl.encode()).await;
    assert_refused(r, Code::Unauthenticated, "signature does not match");
    // High S (the other encoding of a valid signature) is refused too.
    let cl = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now(), 3);
    let sig = k256::ecdsa::Signature::from_slice(&cl.signature).unwrap();
    let (r_, s_) = sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r_, -*s_).unwrap();
    let mut cl = cl;
    cl.signature.copy_from_slice(&high.to_bytes());
    let r = get_state(&c, JOB, 1, &cl.encode()).await;
    assert_refused(r, Code::Unauthenticated, "signature does not match");
    // Malformed headers.
    for bad in [
        "v1;addr=x",
        "v2;whatever",
        &cl.encode().replace("pk=", "pk=00"),
    ] {
        assert_refused(
            get_state(&c, JOB, 1, bad).await,
            Code::Unauthenticated,
            "malformed",
        );
    }
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_does_not_own_the_address_is_refused() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    // The stranger signs (validly) but claims to be the verifier.
    let impostor = Identity::new(
        Caller::new(&w.verifier.address).unwrap(),
        w.stranger.key.clone(),
    );
    let c = client_as(&srv.endpoint, Some(impostor)).await;
    let e = c.fetch_state(JOB, 1, &w.root).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    assert!(e.to_string().contains("does not own account"), "{e}");
    // Even for a public job: a false claim is refused, not downgraded.
    let e = c
        .fetch_state(PUBLIC_JOB, 1, &w.public_root)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_future_timestamps_are_refused() {
    let (s, w) = world();
    let config = ServerConfig {
        auth_window: Duration::from_secs(60),
        ..ServerConfig::default()
    };
    let srv = start(s, config).await;
    let c = client(&srv.endpoint, None).await;
    let now = unix_now();
    let old = claim(&w.verifier, &c, Scope::state(JOB, 1), now - 120, 1);
    assert_refused(
        get_state(&c, JOB, 1, &old.encode()).await,
        Code::Unauthenticated,
        "more than the 60 s",
    );
    let ahead = claim(&w.verifier, &c, Scope::state(JOB, 1), now + 120, 2);
    assert_refused(
        get_state(&c, JOB, 1, &ahead.encode()).await,
        Code::Unauthenticated,
        "in the future",
    );
    let far = claim(&w.verifier, &c, Scope::state(JOB, 1), u64::MAX, 3);
    assert_refused(
        get_state(&c, JOB, 1, &far.encode()).await,
        Code::Unauthenticated,
        "in the future",
    );
    // Within the window either way: accepted.
    for (ts, n) in [(now - 30, 4), (now + 30, 5)] {
        let ok = claim(&w.verifier, &c, Scope::state(JOB, 1), ts, n);
        get_state(&c, JOB, 1, &ok.encode()).await.unwrap();
    }
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_is_refused() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    let cl = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now(), 7);
    get_state(&c, JOB, 1, &cl.encode()).await.unwrap();
    assert_refused(
        get_state(&c, JOB, 1, &cl.encode()).await,
        Code::Unauthenticated,
        "replayed",
    );
    // The same nonce under a new timestamp is still a replay.
    let again = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now() + 1, 7);
    assert_refused(
        get_state(&c, JOB, 1, &again.encode()).await,
        Code::Unauthenticated,
        "replayed",
    );
    // Another nonce is a new request.
    let fresh = claim(&w.verifier, &c, Scope::state(JOB, 1), unix_now(), 8);
    get_state(&c, JOB, 1, &fresh.encode()).await.unwrap();
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_for_another_server_method_or_step_is_refused() {
    let (s, w) = world();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    let now = unix_now();
    let v = &w.verifier;
    let cases = [
        // Signed for another server.
        v.identity()
            .claim(&Scope::state(JOB, 1), "127.0.0.1:1", now, [1; 16])
            .unwrap(),
        // For another method (Progress of the same job).
        claim(v, &c, Scope::progress(JOB), now, 2),
        // For another step, another job.
        claim(v, &c, Scope::state(JOB, 2), now, 3),
        claim(v, &c, Scope::state(PUBLIC_JOB, 1), now, 4),
        // For a dataset.
        claim(v, &c, Scope::dataset(w.private_data), now, 5),
    ];
    for cl in cases {
        assert_refused(
            get_state(&c, JOB, 1, &cl.encode()).await,
            Code::Unauthenticated,
            "signature does not match",
        );
    }
    // A dataset signature for another dataset.
    let cl = claim(v, &c, Scope::dataset(w.public_data), now, 6);
    let req = with_header(
        GetDatasetRequest {
            sha256: Bytes::copy_from_slice(&w.private_data),
        },
        AUTH_HEADER,
        &cl.encode(),
    );
    assert_refused(
        c.raw().get_dataset(req).await,
        Code::Unauthenticated,
        "signature does not match",
    );
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_audience_is_accepted_and_a_full_replay_cache_refuses() {
    let (s, w) = world();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Clients dial "localhost", which is not the local address the
    // connection arrives on: the server accepts it only as a named
    // audience.
    let config = ServerConfig {
        audiences: vec![format!("localhost:{port}")],
        replay_cache_entries: 2,
        ..ServerConfig::default()
    };
    let srv = start_on(listener, s, config);
    let c = client(&format!("http://localhost:{port}"), Some(&w.verifier)).await;
    assert_eq!(c.audience(), format!("localhost:{port}"));
    c.fetch_state(JOB, 1, &w.root).await.unwrap();
    c.progress(JOB).await.unwrap();
    // Two nonces remembered, the limit: the next signed request is refused
    // (transient), unsigned public ones are not affected.
    let e = c.progress(JOB).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::ResourceExhausted), "{e}");
    assert!(e.to_string().contains("retry later"), "{e}");
    client(&srv.endpoint, None)
        .await
        .progress(PUBLIC_JOB)
        .await
        .unwrap();
    srv.stop().await.unwrap();
}

/// A store on a chain whose addresses are not derived from keys (like the
/// embedded chain): ownership from its own registry.
struct Registry {
    inner: MemoryStore,
    keys: Vec<(String, [u8; 33])>,
}

impl ArtifactStore for Registry {
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError> {
        self.inner.state(job, step)
    }
    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError> {
        self.inner.model(job, format)
    }
    fn dataset(&self, sha256: &Hash) -> Result<DatasetBlob, StoreError> {
        self.inner.dataset(sha256)
    }
    fn progress(&self, job: u64) -> Result<Progress, StoreError> {
        self.inner.progress(job)
    }
    fn visibility(&self, job: u64) -> Result<Visibility, StoreError> {
        self.inner.visibility(job)
    }
    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        self.keys
            .iter()
            .any(|(a, k)| a == address && k == public_key)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_decides_who_owns_a_key() {
    let v = account(9);
    let pk = impulse_artifact::auth::public_key_of(&v.key);
    let s = MemoryStore::new();
    let readers = BTreeSet::from(["wasm1registered".to_owned()]);
    let root = s
        .add_job(JOB, Visibility::Private { readers }, states(4, 2, 0, 100))
        .unwrap();
    let store = Registry {
        inner: s,
        keys: vec![("wasm1registered".into(), pk)],
    };
    let srv = start(store, ServerConfig::default()).await;
    let registered = Identity::new(Caller::new("wasm1registered").unwrap(), v.key.clone());
    let c = client_as(&srv.endpoint, Some(registered)).await;
    c.fetch_state(JOB, 1, &root).await.unwrap();
    // The key's own Cosmos address is not in this registry.
    let c = client(&srv.endpoint, Some(&v)).await;
    let e = c.fetch_state(JOB, 1, &root).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    assert!(e.to_string().contains("does not own"), "{e}");
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_bound_to_all_interfaces_accepts_its_bound_address() {
    let (s, w) = world();
    // A daemon bound to 0.0.0.0 advertises http://0.0.0.0:PORT; its callers
    // sign for that while the connection arrives on 127.0.0.1.
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let srv = start_on(listener, s, ServerConfig::default());
    let c = client(&format!("http://0.0.0.0:{port}"), Some(&w.verifier)).await;
    assert_eq!(c.audience(), format!("0.0.0.0:{port}"));
    c.fetch_state(JOB, 1, &w.root).await.unwrap();
    // The loopback name works too (the connection's local address); a
    // name the server was not given does not.
    let c = client(&format!("http://127.0.0.1:{port}"), Some(&w.verifier)).await;
    c.fetch_state(JOB, 1, &w.root).await.unwrap();
    let c = client(&format!("http://localhost:{port}"), Some(&w.verifier)).await;
    let e = c.fetch_state(JOB, 1, &w.root).await.unwrap_err();
    assert_eq!(e.code(), Some(Code::Unauthenticated), "{e}");
    srv.stop().await.unwrap();
}

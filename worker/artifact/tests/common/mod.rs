//! Shared helpers: a real server on 127.0.0.1 port 0, deterministic bytes,
//! and a store wrapper that plays an adversarial prover.
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use impulse_artifact::pb::ModelFormat;
use std::sync::Arc;

use impulse_artifact::auth::{cosmos_address, public_key_of};
use impulse_artifact::{
    serve, ArtifactClient, ArtifactStore, Caller, ClientConfig, DatasetBlob, Hash, Identity,
    ModelBlob, Progress, ServeError, ServerConfig, StateBlob, StoreError, Visibility,
};
use k256::ecdsa::SigningKey;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A server running on loopback.
pub struct Running {
    pub endpoint: String,
    pub shutdown: CancellationToken,
    pub handle: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Cancels and waits for `serve` to return (bounded so that a bug
    /// fails the test instead of hanging it).
    pub async fn stop(self) -> Result<(), ServeError> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .expect("serve returns after shutdown")
            .expect("serve task does not panic")
    }
}

pub async fn start<S: ArtifactStore>(store: S, config: ServerConfig) -> Running {
    start_on(
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        store,
        config,
    )
}

pub fn start_on<S: ArtifactStore>(
    listener: TcpListener,
    store: S,
    config: ServerConfig,
) -> Running {
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(serve(listener, store, config, shutdown.clone()));
    Running {
        endpoint: format!("http://{addr}"),
        shutdown,
        handle,
    }
}

/// A server on loopback whose store serves `inner` as `mode` says.
pub async fn start_tampered<S: ArtifactStore>(inner: S, mode: Mode) -> Running {
    start(Tamper { inner, mode }, ServerConfig::default()).await
}

/// A raw request carrying `msg` and one metadata header `name: value`.
pub fn with_header<T>(msg: T, name: &'static str, value: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert(name, value.parse().unwrap());
    req
}

/// Client config for tests: no retries (so that a transient status shows),
/// short backoff.
pub fn client_config() -> ClientConfig {
    ClientConfig {
        call_attempts: 1,
        backoff_initial: Duration::from_millis(10),
        ..ClientConfig::default()
    }
}

/// A chain account: a secp256k1 key and its Cosmos address (prefix
/// `impulse`).
#[derive(Clone)]
pub struct Account {
    pub key: Arc<SigningKey>,
    pub address: String,
}

/// The account of a deterministic key.
pub fn account(seed: u8) -> Account {
    let key = SigningKey::from_slice(&[seed; 32]).unwrap();
    let address = cosmos_address("impulse", &public_key_of(&key)).unwrap();
    Account {
        key: Arc::new(key),
        address,
    }
}

impl Account {
    /// Its identity, signing with its own key.
    pub fn identity(&self) -> Identity {
        Identity::new(Caller::new(&self.address).unwrap(), self.key.clone())
    }
}

/// A client signing as `who` (unsigned with `None`).
pub async fn client(endpoint: &str, who: Option<&Account>) -> ArtifactClient {
    client_as(endpoint, who.map(Account::identity)).await
}

/// A client with this identity.
pub async fn client_as(endpoint: &str, identity: Option<Identity>) -> ArtifactClient {
    let config = ClientConfig {
        identity,
        ..client_config()
    };
    ArtifactClient::connect(endpoint, config).await.unwrap()
}

/// A raw `GetState` stream, read message by message (no client checks).
pub async fn raw_state(
    c: &ArtifactClient,
    job_id: u64,
    step: u64,
) -> tonic::Streaming<impulse_artifact::pb::StateChunk> {
    c.raw()
        .get_state(impulse_artifact::pb::GetStateRequest { job_id, step })
        .await
        .unwrap()
        .into_inner()
}

/// Waits until the server has no stream in flight. A stream's slot is
/// freed when the server drops it, which can be a moment after the client
/// saw its end: a test that needs every slot free waits for this instead
/// of hoping.
pub async fn wait_idle(c: &ArtifactClient) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while c.health().await.unwrap().active_streams > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams still in flight after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `n` deterministic pseudo-random bytes (SplitMix64).
pub fn pseudo_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// States of a job: `state_0..state_last`, `big` bytes at `big_step`, a few
/// KiB elsewhere.
pub fn states(seed: u64, last: u64, big_step: u64, big: usize) -> Vec<Bytes> {
    (0..=last)
        .map(|i| {
            let n = if i == big_step {
                big
            } else {
                4096 + i as usize
            };
            Bytes::from(pseudo_bytes(seed * 1000 + i, n))
        })
        .collect()
}

/// How [`Tamper`] misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Serve honestly.
    Honest,
    /// Flip one byte of the state, keep the honest hash and proof.
    FlipByte,
    /// Flip one byte and announce the hash of the tampered bytes (the proof
    /// is the honest one).
    FlipByteAndRehash,
    /// Flip a bit of the first proof sibling.
    FlipSibling,
    /// Serve the previous step's state and proof for the requested step.
    PreviousStep,
    /// Claim another Merkle root and a proof without siblings.
    ForeignRoot,
    /// Panic inside the store.
    Panic,
    /// Serve a model whose bytes do not match its announced hash.
    BadModel,
}

/// An adversarial prover: a store that corrupts what it serves.
pub struct Tamper<S> {
    pub inner: S,
    pub mode: Mode,
}

impl<S: ArtifactStore> ArtifactStore for Tamper<S> {
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError> {
        let mut b = self.inner.state(job, step)?;
        match self.mode {
            Mode::FlipByte | Mode::FlipByteAndRehash => {
                let mut v = b.bytes.to_vec();
                let mid = v.len() / 2;
                v[mid] ^= 0x01;
                b.bytes = Bytes::from(v);
                if self.mode == Mode::FlipByteAndRehash {
                    b.hash = impulse_artifact::sha256(&b.bytes);
                }
            }
            Mode::FlipSibling => b.proof.siblings[0][0] ^= 0x80,
            Mode::PreviousStep => {
                let prev = self.inner.state(job, step - 1)?;
                b = prev;
            }
            Mode::ForeignRoot => {
                b.root = [0xAB; 32];
                b.proof.siblings.clear();
            }
            Mode::Panic => panic!("store exploded"),
            Mode::Honest | Mode::BadModel => {}
        }
        Ok(b)
    }
    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError> {
        let mut m = self.inner.model(job, format)?;
        if self.mode == Mode::BadModel {
            let mut v = m.bytes.to_vec();
            v[0] ^= 1;
            m.bytes = Bytes::from(v);
        }
        Ok(m)
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
}

//! The verifying client: a verifier downloads `state_{i-1}` from the prover
//! (protocol.md §6 point 5), a trainer its final model, a prover the
//! trainer's dataset. Nothing the server says is trusted: sizes are capped
//! before and while reading, and every byte is checked against hashes the
//! caller supplies from the chain, so a tampered state, proof, model or
//! dataset is a typed [`ClientError`].

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use impulse_protocol::{Hash, Proof};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status, Streaming};

use crate::pb::artifacts_client::ArtifactsClient;
use crate::pb::{
    dataset_chunk, model_chunk, state_chunk, DatasetChunk, DatasetMeta, GetDatasetRequest,
    GetModelRequest, GetStateRequest, HealthRequest, HealthResponse, ModelChunk, ModelFormat,
    ModelMeta, Phase, ProgressRequest, StateChunk, StateMeta,
};
use crate::store::{Caller, Progress};
use crate::{CALLER_HEADER, MAX_CHUNK_SIZE, MAX_PROOF_SIBLINGS, MESSAGE_OVERHEAD};

/// Preallocate at most this much for a download, whatever size the server
/// declares (a lying server must send the bytes to make us hold them).
const MAX_PREALLOC: usize = 64 << 20;

/// Limits, timeouts and retries of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Timeout of one TCP + HTTP/2 connection attempt (default 5 s).
    pub connect_timeout: Duration,
    /// Connection attempts before [`ClientError::Connect`] (default 5).
    pub connect_attempts: u32,
    /// First pause between attempts, doubled after each (default 200 ms).
    pub backoff_initial: Duration,
    /// Longest pause between attempts (default 5 s).
    pub backoff_max: Duration,
    /// Attempts of a download or unary call that fails transiently
    /// (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`, `DEADLINE_EXCEEDED`, `ABORTED`,
    /// a timeout or a truncated stream); verification failures and other
    /// statuses are never retried (default 3).
    pub call_attempts: u32,
    /// Longest wait for a unary answer or for the next message of a stream
    /// (default 60 s). A download has no overall deadline: a stalled server
    /// is caught by this idle timeout, a slow one is not punished.
    pub idle_timeout: Duration,
    /// Largest state accepted, in bytes (default 1 GiB).
    pub max_state_bytes: u64,
    /// Largest model accepted, in bytes (default 4 GiB).
    pub max_model_bytes: u64,
    /// Largest dataset accepted, in bytes (default 1 GiB).
    pub max_dataset_bytes: u64,
    /// Sent in [`CALLER_HEADER`] so that a private job's server can check
    /// its allow-list (the verifier's or trainer's address).
    pub caller: Option<Caller>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            connect_attempts: 5,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            call_attempts: 3,
            idle_timeout: Duration::from_secs(60),
            max_state_bytes: 1 << 30,
            max_model_bytes: 4 << 30,
            max_dataset_bytes: 1 << 30,
            caller: None,
        }
    }
}

/// Why a download or call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not a valid URI.
    #[error("invalid artifact endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint given.
        endpoint: String,
        /// Why it is invalid.
        reason: String,
    },
    /// No connection after every attempt.
    #[error("cannot connect to artifact service {endpoint} after {attempts} attempts: {reason}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{what}: server answered {}: {}", status.code(), status.message())]
    Status {
        /// What was requested.
        what: &'static str,
        /// The status (boxed: it is large).
        status: Box<Status>,
    },
    /// No answer or next chunk within the idle timeout.
    #[error("{what}: no message from the server within {after:?}")]
    Timeout {
        /// What was requested.
        what: &'static str,
        /// The idle timeout.
        after: Duration,
    },
    /// The server broke the protocol (missing or repeated metadata, empty
    /// or oversized chunk, malformed hash or proof, wrong echo).
    #[error("{what}: protocol violation: {reason}")]
    Protocol {
        /// What was requested.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The declared size is above the client's cap; nothing was downloaded.
    #[error("{what}: {size} bytes is above the limit of {limit} bytes")]
    TooLarge {
        /// What was requested.
        what: &'static str,
        /// The declared size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The server sent more bytes than it declared.
    #[error("{what}: the server sent more than the {declared} bytes it declared")]
    Overrun {
        /// What was requested.
        what: &'static str,
        /// The declared size.
        declared: u64,
    },
    /// The stream ended before the declared size.
    #[error("{what}: stream ended after {received} of {declared} bytes")]
    Truncated {
        /// What was requested.
        what: &'static str,
        /// Bytes received.
        received: u64,
        /// The declared size.
        declared: u64,
    },
    /// A hash did not match: `actual` is what the bytes (or the server)
    /// gave, `expected` what had to be.
    #[error("{what}: hash mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Which hash.
        what: &'static str,
        /// Hex of the hash that had to be.
        expected: String,
        /// Hex of the hash found.
        actual: String,
    },
    /// The server's Merkle root is not the trusted one and its proof does
    /// not open under the trusted root.
    #[error("job {job}: the server's Merkle root {served} is not the committed root {trusted}")]
    RootMismatch {
        /// The job.
        job: u64,
        /// Hex of the root the server claims.
        served: String,
        /// Hex of the root the caller trusts.
        trusted: String,
    },
    /// The proof does not show `h_step` at leaf `step` under the trusted root.
    #[error("job {job} step {step}: Merkle proof rejected: {reason}")]
    ProofRejected {
        /// The job.
        job: u64,
        /// The step.
        step: u64,
        /// Why.
        reason: String,
    },
}

impl ClientError {
    /// The gRPC code if the server answered with an error status.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            ClientError::Status { status, .. } => Some(status.code()),
            _ => None,
        }
    }

    /// Whether trying again may help (see [`ClientConfig::call_attempts`]).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Status { status, .. } => matches!(
                status.code(),
                tonic::Code::Unavailable
                    | tonic::Code::ResourceExhausted
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::Aborted
            ),
            ClientError::Timeout { .. } | ClientError::Truncated { .. } => true,
            _ => false,
        }
    }
}

/// A state whose bytes hash to `hash` and whose `proof` opens `hash` at
/// leaf `step` under the root the caller trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedState {
    /// The job.
    pub job: u64,
    /// The step.
    pub step: u64,
    /// The state's canonical bytes.
    pub bytes: Bytes,
    /// `h_step` = SHA-256 of `bytes`.
    pub hash: Hash,
    /// The verified proof (its `leaves` is the job's `L + 1`).
    pub proof: Proof,
}

/// A downloaded final model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedModel {
    /// The job.
    pub job: u64,
    /// Its format.
    pub format: ModelFormat,
    /// The file.
    pub bytes: Bytes,
    /// SHA-256 of `bytes` (checked).
    pub sha256: Hash,
    /// True when `sha256` itself equals the committed final model hash
    /// (format `IMPULSE_V1`). For safetensors it is false: the caller ties
    /// the file to the commitment by importing it with the engine and
    /// hashing the canonical encoding.
    pub matches_commitment: bool,
}

/// A client of one worker's artifact service.
#[derive(Debug, Clone)]
pub struct ArtifactClient {
    inner: ArtifactsClient<Channel>,
    config: ClientConfig,
    endpoint: String,
}

/// The two kinds of message in a `Get*` stream.
enum Part<M> {
    Meta(M),
    Data(Bytes),
}

/// A `Get*` stream's message type.
trait Chunk: Send + 'static {
    type Meta;
    fn into_part(self) -> Option<Part<Self::Meta>>;
    fn total_size(meta: &Self::Meta) -> u64;
}

impl Chunk for StateChunk {
    type Meta = StateMeta;
    fn into_part(self) -> Option<Part<StateMeta>> {
        Some(match self.kind? {
            state_chunk::Kind::Meta(m) => Part::Meta(m),
            state_chunk::Kind::Data(d) => Part::Data(d),
        })
    }
    fn total_size(meta: &StateMeta) -> u64 {
        meta.total_size
    }
}

impl Chunk for ModelChunk {
    type Meta = ModelMeta;
    fn into_part(self) -> Option<Part<ModelMeta>> {
        Some(match self.kind? {
            model_chunk::Kind::Meta(m) => Part::Meta(m),
            model_chunk::Kind::Data(d) => Part::Data(d),
        })
    }
    fn total_size(meta: &ModelMeta) -> u64 {
        meta.total_size
    }
}

impl Chunk for DatasetChunk {
    type Meta = DatasetMeta;
    fn into_part(self) -> Option<Part<DatasetMeta>> {
        Some(match self.kind? {
            dataset_chunk::Kind::Meta(m) => Part::Meta(m),
            dataset_chunk::Kind::Data(d) => Part::Data(d),
        })
    }
    fn total_size(meta: &DatasetMeta) -> u64 {
        meta.total_size
    }
}

fn protocol(what: &'static str, reason: impl Into<String>) -> ClientError {
    ClientError::Protocol {
        what,
        reason: reason.into(),
    }
}

fn hash32(what: &'static str, field: &str, b: &[u8]) -> Result<Hash, ClientError> {
    b.try_into()
        .map_err(|_| protocol(what, format!("{field} is {} bytes, not 32", b.len())))
}

impl ArtifactClient {
    /// Connects to `endpoint` (e.g. `http://127.0.0.1:7070`), retrying with
    /// exponential backoff up to [`ClientConfig::connect_attempts`] times.
    pub async fn connect(endpoint: &str, config: ClientConfig) -> Result<Self, ClientError> {
        let ep = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|e| ClientError::InvalidEndpoint {
                endpoint: endpoint.to_owned(),
                reason: e.to_string(),
            })?
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(30));
        let attempts = config.connect_attempts.max(1);
        let mut pause = config.backoff_initial;
        let mut last = String::new();
        for attempt in 1..=attempts {
            match ep.connect().await {
                Ok(channel) => {
                    let inner = ArtifactsClient::new(channel)
                        .max_decoding_message_size(MAX_CHUNK_SIZE + MESSAGE_OVERHEAD)
                        .max_encoding_message_size(64 << 10);
                    return Ok(Self {
                        inner,
                        config,
                        endpoint: endpoint.to_owned(),
                    });
                }
                Err(e) => {
                    tracing::debug!(endpoint, attempt, error = %e, "artifact connect failed");
                    last = e.to_string();
                    if attempt < attempts {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(config.backoff_max);
                    }
                }
            }
        }
        Err(ClientError::Connect {
            endpoint: endpoint.to_owned(),
            attempts,
            reason: last,
        })
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The raw generated client, for requests this wrapper does not make.
    pub fn raw(&self) -> ArtifactsClient<Channel> {
        self.inner.clone()
    }

    fn request<T>(&self, msg: T) -> Request<T> {
        let mut req = Request::new(msg);
        if let Some(c) = &self.config.caller {
            // A `Caller` is ASCII letters and digits, always a valid value.
            if let Ok(v) = c.as_str().parse() {
                req.metadata_mut().insert(CALLER_HEADER, v);
            }
        }
        req
    }

    /// Runs `op` up to `call_attempts` times while it fails transiently.
    async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let attempts = self.config.call_attempts.max(1);
        let mut pause = self.config.backoff_initial;
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::debug!(endpoint = %self.endpoint, attempt, error = %e, "artifact call failed, retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.config.backoff_max);
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    async fn unary<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = Result<Response<T>, Status>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.config.idle_timeout, call).await {
            Err(_) => Err(ClientError::Timeout {
                what,
                after: self.config.idle_timeout,
            }),
            Ok(Err(status)) => Err(ClientError::Status {
                what,
                status: Box::new(status),
            }),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    async fn next<C>(
        &self,
        what: &'static str,
        s: &mut Streaming<C>,
    ) -> Result<Option<C>, ClientError> {
        match tokio::time::timeout(self.config.idle_timeout, s.message()).await {
            Err(_) => Err(ClientError::Timeout {
                what,
                after: self.config.idle_timeout,
            }),
            Ok(Err(status)) => Err(ClientError::Status {
                what,
                status: Box::new(status),
            }),
            Ok(Ok(m)) => Ok(m),
        }
    }

    /// Reads a `Get*` stream: metadata first, then exactly `total_size`
    /// bytes in non-empty chunks, with `limit` checked before reading.
    async fn read<C: Chunk>(
        &self,
        what: &'static str,
        open: impl Future<Output = Result<Response<Streaming<C>>, Status>>,
        limit: u64,
    ) -> Result<(C::Meta, Bytes), ClientError> {
        let mut stream = self.unary(what, open).await?;
        let meta = match self.next(what, &mut stream).await?.and_then(C::into_part) {
            Some(Part::Meta(m)) => m,
            Some(Part::Data(_)) => return Err(protocol(what, "data before the metadata")),
            None => return Err(protocol(what, "stream ended before the metadata")),
        };
        let declared = C::total_size(&meta);
        if declared > limit {
            return Err(ClientError::TooLarge {
                what,
                size: declared,
                limit,
            });
        }
        let mut buf = Vec::with_capacity(
            usize::try_from(declared)
                .unwrap_or(MAX_PREALLOC)
                .min(MAX_PREALLOC),
        );
        while let Some(msg) = self.next(what, &mut stream).await? {
            match C::into_part(msg) {
                Some(Part::Data(d)) => {
                    if d.is_empty() || d.len() > MAX_CHUNK_SIZE {
                        return Err(protocol(what, format!("data chunk of {} bytes", d.len())));
                    }
                    if buf.len() as u64 + d.len() as u64 > declared {
                        return Err(ClientError::Overrun { what, declared });
                    }
                    buf.extend_from_slice(&d);
                }
                Some(Part::Meta(_)) => return Err(protocol(what, "metadata sent twice")),
                None => return Err(protocol(what, "message with neither metadata nor data")),
            }
        }
        if buf.len() as u64 != declared {
            return Err(ClientError::Truncated {
                what,
                received: buf.len() as u64,
                declared,
            });
        }
        Ok((meta, Bytes::from(buf)))
    }

    /// Downloads `state_step` of `job` and verifies it: the bytes hash to
    /// the served `h_step`, and the served proof opens `h_step` at leaf
    /// `step` under `trusted_root` (the root committed on chain).
    pub async fn fetch_state(
        &self,
        job: u64,
        step: u64,
        trusted_root: &Hash,
    ) -> Result<VerifiedState, ClientError> {
        const WHAT: &str = "GetState";
        let (meta, bytes) = self
            .retry(|| {
                let mut c = self.inner.clone();
                let req = self.request(GetStateRequest { job_id: job, step });
                self.read(
                    WHAT,
                    async move { c.get_state(req).await },
                    self.config.max_state_bytes,
                )
            })
            .await?;
        if meta.job_id != job || meta.step != step {
            return Err(protocol(
                WHAT,
                format!(
                    "asked for job {job} step {step}, got job {} step {}",
                    meta.job_id, meta.step
                ),
            ));
        }
        let claimed = hash32(WHAT, "state_sha256", &meta.state_sha256)?;
        let served_root = hash32(WHAT, "merkle_root", &meta.merkle_root)?;
        let p = meta
            .proof
            .ok_or_else(|| protocol(WHAT, "no Merkle proof"))?;
        if p.siblings.len() > MAX_PROOF_SIBLINGS {
            return Err(protocol(
                WHAT,
                format!("proof of {} siblings", p.siblings.len()),
            ));
        }
        let siblings = p
            .siblings
            .iter()
            .map(|s| hash32(WHAT, "proof sibling", s))
            .collect::<Result<Vec<_>, _>>()?;
        let proof = Proof {
            index: p.leaf_index,
            leaves: p.leaf_count,
            siblings,
        };

        let actual = crate::sha256(&bytes);
        if actual != claimed {
            return Err(ClientError::HashMismatch {
                what: "state bytes vs served h_step",
                expected: hex::encode(claimed),
                actual: hex::encode(actual),
            });
        }
        if proof.index != step {
            return Err(ClientError::ProofRejected {
                job,
                step,
                reason: format!("the proof is for leaf {}", proof.index),
            });
        }
        if !impulse_protocol::verify(trusted_root, &actual, &proof) {
            if &served_root != trusted_root {
                return Err(ClientError::RootMismatch {
                    job,
                    served: hex::encode(served_root),
                    trusted: hex::encode(trusted_root),
                });
            }
            return Err(ClientError::ProofRejected {
                job,
                step,
                reason: format!(
                    "h_step {} does not open at leaf {step} of {} under the committed root",
                    hex::encode(actual),
                    proof.leaves
                ),
            });
        }
        Ok(VerifiedState {
            job,
            step,
            bytes,
            hash: actual,
            proof,
        })
    }

    /// Downloads the final model of `job` in `format` and checks it: the
    /// bytes hash to the served SHA-256, the served commitment equals
    /// `trusted_final_model_sha256` (from chain) and, for `IMPULSE_V1`, the
    /// bytes' hash is that commitment itself.
    pub async fn fetch_model(
        &self,
        job: u64,
        format: ModelFormat,
        trusted_final_model_sha256: &Hash,
    ) -> Result<DownloadedModel, ClientError> {
        const WHAT: &str = "GetModel";
        let format = match format {
            ModelFormat::Unspecified => ModelFormat::Safetensors,
            f => f,
        };
        let (meta, bytes) = self
            .retry(|| {
                let mut c = self.inner.clone();
                let req = self.request(GetModelRequest {
                    job_id: job,
                    format: format as i32,
                });
                self.read(
                    WHAT,
                    async move { c.get_model(req).await },
                    self.config.max_model_bytes,
                )
            })
            .await?;
        if meta.job_id != job || meta.format != format as i32 {
            return Err(protocol(
                WHAT,
                format!(
                    "asked for job {job} as {format:?}, got job {} format {}",
                    meta.job_id, meta.format
                ),
            ));
        }
        let claimed = hash32(WHAT, "sha256", &meta.sha256)?;
        let committed = hash32(WHAT, "final_model_sha256", &meta.final_model_sha256)?;
        let actual = crate::sha256(&bytes);
        if actual != claimed {
            return Err(ClientError::HashMismatch {
                what: "model bytes vs served sha256",
                expected: hex::encode(claimed),
                actual: hex::encode(actual),
            });
        }
        if &committed != trusted_final_model_sha256 {
            return Err(ClientError::HashMismatch {
                what: "served final model hash vs committed",
                expected: hex::encode(trusted_final_model_sha256),
                actual: hex::encode(committed),
            });
        }
        let matches_commitment = format == ModelFormat::ImpulseV1;
        if matches_commitment && &actual != trusted_final_model_sha256 {
            return Err(ClientError::HashMismatch {
                what: "canonical model bytes vs committed final model hash",
                expected: hex::encode(trusted_final_model_sha256),
                actual: hex::encode(actual),
            });
        }
        Ok(DownloadedModel {
            job,
            format,
            bytes,
            sha256: actual,
            matches_commitment,
        })
    }

    /// Downloads the dataset with this SHA-256 and checks that its bytes
    /// hash to it.
    pub async fn fetch_dataset(&self, sha256: &Hash) -> Result<Bytes, ClientError> {
        const WHAT: &str = "GetDataset";
        let (meta, bytes) = self
            .retry(|| {
                let mut c = self.inner.clone();
                let req = self.request(GetDatasetRequest {
                    sha256: Bytes::copy_from_slice(sha256),
                });
                self.read(
                    WHAT,
                    async move { c.get_dataset(req).await },
                    self.config.max_dataset_bytes,
                )
            })
            .await?;
        if meta.sha256.as_ref() != sha256.as_slice() {
            return Err(protocol(WHAT, "the metadata names another dataset"));
        }
        let actual = crate::sha256(&bytes);
        if &actual != sha256 {
            return Err(ClientError::HashMismatch {
                what: "dataset bytes",
                expected: hex::encode(sha256),
                actual: hex::encode(actual),
            });
        }
        Ok(bytes)
    }

    /// The server's health.
    pub async fn health(&self) -> Result<HealthResponse, ClientError> {
        self.retry(|| {
            let mut c = self.inner.clone();
            let req = self.request(HealthRequest {});
            self.unary("Health", async move { c.health(req).await })
        })
        .await
    }

    /// Training progress of `job`.
    pub async fn progress(&self, job: u64) -> Result<Progress, ClientError> {
        const WHAT: &str = "Progress";
        let r = self
            .retry(|| {
                let mut c = self.inner.clone();
                let req = self.request(ProgressRequest { job_id: job });
                self.unary(WHAT, async move { c.progress(req).await })
            })
            .await?;
        if r.job_id != job {
            return Err(protocol(
                WHAT,
                format!("asked for job {job}, got {}", r.job_id),
            ));
        }
        let phase = Phase::try_from(r.phase)
            .map_err(|_| protocol(WHAT, format!("unknown phase {}", r.phase)))?;
        let last_loss = if r.last_loss.is_empty() {
            None
        } else {
            Some(r.last_loss.parse::<f64>().map_err(|_| {
                protocol(WHAT, format!("last_loss {:?} is not a number", r.last_loss))
            })?)
        };
        Ok(Progress {
            phase,
            step: r.step,
            total_steps: r.total_steps,
            last_loss,
            updated_at_unix_ms: r.updated_at_unix_ms,
        })
    }
}

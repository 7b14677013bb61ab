//! The gRPC server over an [`ArtifactStore`]: request validation, access
//! checks, chunked streams with bounded sizes, a cap on streams in flight and
//! a graceful shutdown driven by a [`CancellationToken`] (checklist item 27).

// tonic's handlers answer `Result<_, tonic::Status>` (176 bytes); boxing it
// in the helpers would only be unboxed again at the handler boundary.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::{Request, Response, Status};

use crate::auth::verify::Verifier;
use crate::auth::{unix_now, AuthError, Claim, Scope, AUTH_HEADER};
use crate::chunk::Chunk;
use crate::pb::artifacts_server::{Artifacts, ArtifactsServer};
use crate::pb::{
    DatasetChunk, DatasetMeta, GetDatasetRequest, GetModelRequest, GetStateRequest, HealthRequest,
    HealthResponse, MerkleProof, ModelChunk, ModelFormat, ModelMeta, ProgressRequest,
    ProgressResponse, ServingStatus, StateChunk, StateMeta,
};
use crate::store::{ArtifactStore, Caller, StoreError};
use crate::{CALLER_HEADER, MAX_CHUNK_SIZE, MAX_PROOF_SIBLINGS, MESSAGE_OVERHEAD, MIN_CHUNK_SIZE};

/// After the drain deadline the remaining streams are ended with
/// `UNAVAILABLE`; connections get this long to deliver that before
/// [`serve`] returns regardless.
const FINAL_GRACE: Duration = Duration::from_secs(1);

/// Limits and timings of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest data chunk sent, in bytes: [`MIN_CHUNK_SIZE`]..=[`MAX_CHUNK_SIZE`]
    /// (default [`crate::DEFAULT_CHUNK_SIZE`], 1 MiB). The encoder refuses
    /// any message larger than this plus [`MESSAGE_OVERHEAD`].
    pub chunk_size: usize,
    /// Largest request message accepted, in bytes (default 4 KiB; every
    /// request of this API is under 100 bytes). tonic's decoder refuses a
    /// larger one with `OUT_OF_RANGE` before any handler runs.
    pub max_request_bytes: usize,
    /// Most `Get*` streams in flight on the whole server (default 32); one
    /// more is refused with `RESOURCE_EXHAUSTED`.
    pub max_active_streams: u32,
    /// HTTP/2 streams a single connection may open at once (default 64).
    pub max_streams_per_connection: u32,
    /// After shutdown is requested, how long in-flight streams may take to
    /// finish before they are ended with `UNAVAILABLE` (default 30 s).
    pub drain_timeout: Duration,
    /// HTTP/2 keep-alive ping interval; a peer that does not answer within
    /// the same time is dropped, which frees its streams (default 30 s).
    pub keepalive: Duration,
    /// How far a signed request's timestamp may be from the server's clock,
    /// either way (default 120 s, at most 1 h). Older is `UNAUTHENTICATED`
    /// (expired), further ahead too (from the future).
    pub auth_window: Duration,
    /// Most nonces remembered against replays (default 100 000); each is
    /// kept for twice `auth_window`. When full, a signed request is refused
    /// with `RESOURCE_EXHAUSTED` rather than a nonce forgotten early.
    pub replay_cache_entries: usize,
    /// Names (`host:port`) a signed request may name as its server besides
    /// the local address its connection arrived on and the address the
    /// listener is bound to: the DNS name or public address the server is
    /// advertised at when that is neither (NAT, a proxy, a name). Default:
    /// none.
    pub audiences: Vec<String>,
    /// Serve over TLS with this certificate and key (default: none, plain
    /// HTTP/2; then anyone on the path reads what is served).
    pub tls: Option<TlsFiles>,
}

/// PEM files of the server's TLS identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert_pem: PathBuf,
    /// The certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            chunk_size: crate::DEFAULT_CHUNK_SIZE,
            max_request_bytes: 4 << 10,
            max_active_streams: 32,
            max_streams_per_connection: 64,
            drain_timeout: Duration::from_secs(30),
            keepalive: Duration::from_secs(30),
            auth_window: Duration::from_secs(120),
            replay_cache_entries: 100_000,
            audiences: Vec::new(),
            tls: None,
        }
    }
}

impl ServerConfig {
    /// Checks every bound.
    pub fn validate(&self) -> Result<(), ServeError> {
        let bad = |what: String| Err(ServeError::Config(what));
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&self.chunk_size) {
            return bad(format!(
                "chunk_size {} is outside {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}",
                self.chunk_size
            ));
        }
        if !(64..=1 << 20).contains(&self.max_request_bytes) {
            return bad(format!(
                "max_request_bytes {} is outside 64..=1048576",
                self.max_request_bytes
            ));
        }
        if self.max_active_streams == 0 || self.max_streams_per_connection == 0 {
            return bad(
                "max_active_streams and max_streams_per_connection must be positive".into(),
            );
        }
        if self.keepalive.is_zero() {
            return bad("keepalive must be positive".into());
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.auth_window) {
            return bad(format!(
                "auth_window {:?} is outside 1 s..=1 h",
                self.auth_window
            ));
        }
        if self.replay_cache_entries == 0 {
            return bad("replay_cache_entries must be positive".into());
        }
        Ok(())
    }
}

/// Why [`serve`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A [`ServerConfig`] bound is violated.
    #[error("invalid artifact server config: {0}")]
    Config(String),
    /// A TLS file cannot be read.
    #[error("artifact server TLS: cannot read {path}: {reason}")]
    TlsFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The transport failed (also: a TLS certificate or key it refuses).
    #[error("artifact server transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `store` on `listener` until `shutdown` is cancelled.
///
/// On shutdown the server stops accepting connections and new streams
/// (`Health` reports `DRAINING`, a new `Get*` gets `UNAVAILABLE`), lets the
/// streams in flight complete for up to `drain_timeout`, then ends the rest
/// with `UNAVAILABLE` and returns (at most 1 s later even if a
/// peer does not read its stream).
pub async fn serve<S: ArtifactStore>(
    listener: TcpListener,
    store: S,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    config.validate()?;
    let hard_stop = CancellationToken::new();
    let shared = Arc::new(Shared {
        store: Arc::new(store),
        config: config.clone(),
        active: AtomicU32::new(0),
        shutdown: shutdown.clone(),
        hard_stop: hard_stop.clone(),
        auth: Verifier::new(
            config.auth_window,
            config
                .audiences
                .iter()
                .cloned()
                // The bound address too: a server bound to 0.0.0.0:7070
                // that advertises http://0.0.0.0:7070 accepts what its
                // callers signed for that.
                .chain(listener.local_addr().ok().map(|a| a.to_string()))
                .collect(),
            config.replay_cache_entries,
        ),
    });
    let svc = ArtifactsServer::new(Service(shared))
        .max_decoding_message_size(config.max_request_bytes)
        .max_encoding_message_size(config.chunk_size + MESSAGE_OVERHEAD);
    let mut builder = tonic::transport::Server::builder()
        .max_concurrent_streams(config.max_streams_per_connection)
        .http2_keepalive_interval(Some(config.keepalive))
        .http2_keepalive_timeout(Some(config.keepalive));
    if let Some(tls) = &config.tls {
        let read = |p: &PathBuf| {
            std::fs::read(p).map_err(|e| ServeError::TlsFile {
                path: p.display().to_string(),
                reason: e.to_string(),
            })
        };
        let identity =
            tonic::transport::Identity::from_pem(read(&tls.cert_pem)?, read(&tls.key_pem)?);
        builder =
            builder.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
    }
    let server = builder.add_service(svc).serve_with_incoming_shutdown(
        TcpListenerStream::new(listener),
        shutdown.clone().cancelled_owned(),
    );
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(config.drain_timeout).await;
        tracing::warn!("artifact server: drain timeout, ending the streams still in flight");
        hard_stop.cancel();
        tokio::time::sleep(FINAL_GRACE).await;
    };
    let result = tokio::select! {
        r = server => r.map_err(ServeError::from),
        () = deadline => Ok(()),
    };
    hard_stop.cancel();
    result
}

struct Shared<S> {
    store: Arc<S>,
    config: ServerConfig,
    active: AtomicU32,
    shutdown: CancellationToken,
    hard_stop: CancellationToken,
    auth: Verifier,
}

struct Service<S>(Arc<Shared<S>>);

impl<S: ArtifactStore> Service<S> {
    fn slot(&self) -> Result<SlotGuard<S>, Status> {
        if self.0.shutdown.is_cancelled() {
            return Err(Status::unavailable("artifact service is shutting down"));
        }
        let max = self.0.config.max_active_streams;
        self.0
            .active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|n| {
                Status::resource_exhausted(format!(
                    "{n} streams in flight, the limit is {max}; retry later"
                ))
            })?;
        Ok(SlotGuard(self.0.clone()))
    }

    /// Runs a store call on the blocking pool; a panic in the store becomes
    /// `INTERNAL`, never a crash of the server.
    async fn blocking<T, F>(&self, f: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&S) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.0.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Status::internal(format!("artifact store task failed: {e}")))?
            .map_err(Status::from)
    }

    /// The caller a request proves, or `None` for an unsigned request:
    /// the [`AUTH_HEADER`] parsed, fresh, signed for `scope` at this
    /// server, by a key that owns the address, and not seen before.
    async fn authenticate<T>(
        &self,
        req: &Request<T>,
        scope: Scope,
    ) -> Result<Option<Caller>, Status> {
        let md = req.metadata();
        let Some(v) = md.get(AUTH_HEADER) else {
            if md.contains_key(CALLER_HEADER) {
                return Err(AuthError::Unsigned.into());
            }
            return Ok(None);
        };
        let v = v
            .to_str()
            .map_err(|_| AuthError::Malformed("not ASCII".into()))?;
        let claim = Claim::parse(v)?;
        let caller = self
            .0
            .auth
            .check(&claim, &scope, req.local_addr(), unix_now())?;
        let (address, key) = (claim.address.clone(), claim.public_key);
        let owns = self
            .blocking(move |s| Ok(s.owns_key(address.as_str(), &key)))
            .await?;
        if !owns {
            return Err(AuthError::NotOwner(claim.address.as_str().to_owned()).into());
        }
        self.0.auth.remember(&claim)?;
        Ok(Some(caller))
    }

    async fn authorize(&self, job: u64, caller: Option<Caller>) -> Result<(), Status> {
        let c = caller.clone();
        if self.blocking(move |s| s.may_read(job, c.as_ref())).await? {
            return Ok(());
        }
        Err(match caller {
            None => Status::unauthenticated(format!(
                "job {job} is private and the request is not signed; sign it with the {AUTH_HEADER} header"
            )),
            Some(c) => StoreError::PermissionDenied {
                job,
                caller: c.as_str().to_owned(),
            }
            .into(),
        })
    }

    fn chunks<T: Chunk>(&self, slot: SlotGuard<S>, meta: T::Meta, bytes: Bytes) -> ChunkStream<T> {
        ChunkStream {
            meta: Some(T::meta(meta)),
            bytes,
            offset: 0,
            chunk: self.0.config.chunk_size,
            data: T::data,
            stop: Box::pin(self.0.hard_stop.clone().cancelled_owned()),
            done: false,
            _slot: Box::new(slot),
        }
    }
}

/// Counts a stream in `Shared::active` until dropped.
struct SlotGuard<S>(Arc<Shared<S>>);

impl<S> Drop for SlotGuard<S> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn proof_to_pb(p: &impulse_protocol::Proof) -> Result<MerkleProof, Status> {
    if p.siblings.len() > MAX_PROOF_SIBLINGS {
        return Err(Status::internal(format!(
            "store returned a proof of {} siblings (at most {MAX_PROOF_SIBLINGS})",
            p.siblings.len()
        )));
    }
    Ok(MerkleProof {
        leaf_index: p.index,
        leaf_count: p.leaves,
        siblings: p
            .siblings
            .iter()
            .map(|s| Bytes::copy_from_slice(s))
            .collect(),
    })
}

/// A stream of one metadata message then the data in chunks of at most
/// `chunk` bytes, sliced out of `bytes` without copying. Ends with
/// `UNAVAILABLE` if the server's drain deadline passes first.
pub struct ChunkStream<T> {
    meta: Option<T>,
    bytes: Bytes,
    offset: usize,
    chunk: usize,
    data: fn(Bytes) -> T,
    stop: Pin<Box<WaitForCancellationFutureOwned>>,
    done: bool,
    _slot: SlotGuardAny,
}

/// A [`SlotGuard`] of any store type.
type SlotGuardAny = Box<dyn Send + Sync>;

impl<T> Stream for ChunkStream<T>
where
    T: Unpin,
{
    type Item = Result<T, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if this.stop.as_mut().poll(cx).is_ready() {
            this.done = true;
            return Poll::Ready(Some(Err(Status::unavailable(
                "artifact service shut down before the stream completed; retry elsewhere or later",
            ))));
        }
        if let Some(m) = this.meta.take() {
            return Poll::Ready(Some(Ok(m)));
        }
        if this.offset >= this.bytes.len() {
            this.done = true;
            return Poll::Ready(None);
        }
        let end = this.bytes.len().min(this.offset + this.chunk);
        let piece = this.bytes.slice(this.offset..end);
        this.offset = end;
        Poll::Ready(Some(Ok((this.data)(piece))))
    }
}

#[tonic::async_trait]
impl<S: ArtifactStore> Artifacts for Service<S> {
    type GetStateStream = ChunkStream<StateChunk>;
    type GetModelStream = ChunkStream<ModelChunk>;
    type GetDatasetStream = ChunkStream<DatasetChunk>;

    async fn get_state(
        &self,
        req: Request<GetStateRequest>,
    ) -> Result<Response<Self::GetStateStream>, Status> {
        let scope = Scope::state(req.get_ref().job_id, req.get_ref().step);
        let who = self.authenticate(&req, scope).await?;
        let GetStateRequest { job_id, step } = req.into_inner();
        tracing::debug!(job_id, step, "GetState");
        let slot = self.slot()?;
        self.authorize(job_id, who).await?;
        let blob = self.blocking(move |s| s.state(job_id, step)).await?;
        let meta = StateMeta {
            job_id,
            step,
            state_sha256: Bytes::copy_from_slice(&blob.hash),
            proof: Some(proof_to_pb(&blob.proof)?),
            total_size: blob.bytes.len() as u64,
            merkle_root: Bytes::copy_from_slice(&blob.root),
        };
        Ok(Response::new(self.chunks(slot, meta, blob.bytes)))
    }

    async fn get_model(
        &self,
        req: Request<GetModelRequest>,
    ) -> Result<Response<Self::GetModelStream>, Status> {
        let scope = Scope::model(req.get_ref().job_id, req.get_ref().format);
        let who = self.authenticate(&req, scope).await?;
        let GetModelRequest { job_id, format } = req.into_inner();
        let format = match ModelFormat::try_from(format) {
            Ok(ModelFormat::Unspecified) => ModelFormat::Safetensors,
            Ok(f) => f,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "unknown model format {format}"
                )))
            }
        };
        tracing::debug!(job_id, ?format, "GetModel");
        let slot = self.slot()?;
        self.authorize(job_id, who).await?;
        let blob = self.blocking(move |s| s.model(job_id, format)).await?;
        if blob.format != format {
            return Err(Status::internal(format!(
                "store returned format {:?} for {format:?}",
                blob.format
            )));
        }
        let meta = ModelMeta {
            job_id,
            format: format as i32,
            sha256: Bytes::copy_from_slice(&blob.sha256),
            final_model_sha256: Bytes::copy_from_slice(&blob.final_model_sha256),
            total_size: blob.bytes.len() as u64,
            format_name: format_name(format).to_owned(),
        };
        Ok(Response::new(self.chunks(slot, meta, blob.bytes)))
    }

    async fn get_dataset(
        &self,
        req: Request<GetDatasetRequest>,
    ) -> Result<Response<Self::GetDatasetStream>, Status> {
        let raw = req.get_ref().sha256.clone();
        let sha256: impulse_protocol::Hash = raw.as_ref().try_into().map_err(|_| {
            Status::invalid_argument(format!("sha256 must be 32 bytes, got {}", raw.len()))
        })?;
        let who = self.authenticate(&req, Scope::dataset(sha256)).await?;
        tracing::debug!(sha256 = %hex::encode(sha256), "GetDataset");
        let slot = self.slot()?;
        let c = who.clone();
        if !self
            .blocking(move |s| s.may_read_dataset(&sha256, c.as_ref()))
            .await?
        {
            let hash = hex::encode(sha256);
            return Err(match who {
                None => Status::unauthenticated(format!(
                    "dataset {hash} is private and the request is not signed; sign it with the {AUTH_HEADER} header"
                )),
                Some(c) => Status::permission_denied(format!(
                    "{} may not read private dataset {hash}",
                    c.as_str()
                )),
            });
        }
        let blob = self.blocking(move |s| s.dataset(&sha256)).await?;
        let meta = DatasetMeta {
            sha256: Bytes::copy_from_slice(&sha256),
            total_size: blob.bytes.len() as u64,
        };
        Ok(Response::new(self.chunks(slot, meta, blob.bytes)))
    }

    async fn health(
        &self,
        _req: Request<HealthRequest>,
    ) -> Result<Response<HealthResponse>, Status> {
        let status = if self.0.shutdown.is_cancelled() {
            ServingStatus::Draining
        } else {
            ServingStatus::Serving
        };
        Ok(Response::new(HealthResponse {
            status: status as i32,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            active_streams: self.0.active.load(Ordering::SeqCst),
            chunk_size: u32::try_from(self.0.config.chunk_size).unwrap_or(u32::MAX),
        }))
    }

    async fn progress(
        &self,
        req: Request<ProgressRequest>,
    ) -> Result<Response<ProgressResponse>, Status> {
        let who = self
            .authenticate(&req, Scope::progress(req.get_ref().job_id))
            .await?;
        let job_id = req.into_inner().job_id;
        self.authorize(job_id, who).await?;
        let p = self.blocking(move |s| s.progress(job_id)).await?;
        Ok(Response::new(ProgressResponse {
            job_id,
            phase: p.phase as i32,
            step: p.step,
            total_steps: p.total_steps,
            last_loss: p.last_loss.map(|l| l.to_string()).unwrap_or_default(),
            updated_at_unix_ms: p.updated_at_unix_ms,
        }))
    }
}

/// The name a [`ModelMeta`] gives a format.
pub fn format_name(format: ModelFormat) -> &'static str {
    match format {
        ModelFormat::Unspecified | ModelFormat::Safetensors => "safetensors",
        ModelFormat::ImpulseV1 => "impulse-model-v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_bounds() {
        assert!(ServerConfig::default().validate().is_ok());
        let bad = [
            ServerConfig {
                chunk_size: MIN_CHUNK_SIZE - 1,
                ..ServerConfig::default()
            },
            ServerConfig {
                chunk_size: MAX_CHUNK_SIZE + 1,
                ..ServerConfig::default()
            },
            ServerConfig {
                max_request_bytes: 63,
                ..ServerConfig::default()
            },
            ServerConfig {
                max_active_streams: 0,
                ..ServerConfig::default()
            },
            ServerConfig {
                keepalive: Duration::ZERO,
                ..ServerConfig::default()
            },
        ];
        for c in bad {
            assert!(matches!(c.validate(), Err(ServeError::Config(_))), "{c:?}");
        }
        let edge = ServerConfig {
            chunk_size: MAX_CHUNK_SIZE,
            ..ServerConfig::default()
        };
        assert!(edge.validate().is_ok());
    }

    #[tokio::test]
    async fn serve_refuses_a_bad_config() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = ServerConfig {
            chunk_size: 0,
            ..ServerConfig::default()
        };
        let r = serve(l, crate::MemoryStore::new(), c, CancellationToken::new()).await;
        assert!(matches!(r, Err(ServeError::Config(m)) if m.contains("chunk_size")));
    }
}

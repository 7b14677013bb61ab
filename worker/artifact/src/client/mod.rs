//! The verifying client: a verifier downloads `state_{i-1}` from the prover
//! (protocol.md §6 point 5), a trainer its final model, a prover the
//! trainer's dataset. Nothing the server says is trusted: sizes are capped
//! before and while reading, and every byte is checked against hashes the
//! caller supplies from the chain, so a tampered state, proof, model or
//! dataset is a typed [`ClientError`].
//!
//! This file holds the connection and the retried calls; `stream.rs` reads
//! a download, `fetch.rs` verifies what was downloaded.

mod config;
mod error;
mod fetch;
mod stream;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Response, Status, Streaming};

pub use config::ClientConfig;
pub use error::ClientError;
pub use fetch::{DownloadedModel, VerifiedState};

use crate::auth::{Scope, SignError};
use crate::chunk::Chunk;
use crate::pb::artifacts_client::ArtifactsClient;
use crate::{AUTH_HEADER, MAX_CHUNK_SIZE, MESSAGE_OVERHEAD};
use stream::within;

/// A client of one worker's artifact service.
#[derive(Debug, Clone)]
pub struct ArtifactClient {
    inner: ArtifactsClient<Channel>,
    config: ClientConfig,
    endpoint: String,
    /// `host:port` of `endpoint`, the server signed requests name.
    audience: String,
}

impl ArtifactClient {
    /// Connects to `endpoint` (e.g. `http://127.0.0.1:7070`), retrying with
    /// exponential backoff up to [`ClientConfig::connect_attempts`] times.
    pub async fn connect(endpoint: &str, config: ClientConfig) -> Result<Self, ClientError> {
        let audience =
            crate::auth::audience_of(endpoint).ok_or_else(|| ClientError::InvalidEndpoint {
                endpoint: endpoint.to_owned(),
                reason: "no host".into(),
            })?;
        let invalid = |reason: String| ClientError::InvalidEndpoint {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let mut ep =
            Endpoint::from_shared(endpoint.to_owned()).map_err(|e| invalid(e.to_string()))?;
        if endpoint.starts_with("https://") {
            let ca = config.tls_ca_pem.as_ref().ok_or_else(|| {
                invalid("an https endpoint needs ClientConfig::tls_ca_pem".into())
            })?;
            let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
            ep = ep.tls_config(tls).map_err(|e| invalid(e.to_string()))?;
        }
        let ep = ep
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(30));
        let attempts = config.connect_attempts.max(1);
        let mut pauses = config.backoff();
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
                        audience,
                    });
                }
                Err(e) => {
                    tracing::debug!(endpoint, attempt, error = %e, "artifact connect failed");
                    last = e.to_string();
                    if attempt < attempts {
                        tokio::time::sleep(pauses.next().unwrap_or_default()).await;
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

    /// The `host:port` this client's signed requests name as their server.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// A request for `scope`, signed when the client has an identity (a
    /// fresh timestamp and nonce each time, so each retry is new).
    fn request<T>(&self, scope: Option<&Scope>, msg: T) -> Result<Request<T>, ClientError> {
        let mut req = Request::new(msg);
        if let (Some(id), Some(scope)) = (&self.config.identity, scope) {
            let header = id.header(scope, &self.audience)?;
            let value = header
                .parse()
                .map_err(|_| ClientError::Signing(SignError("the header is not ASCII".into())))?;
            req.metadata_mut().insert(AUTH_HEADER, value);
        }
        Ok(req)
    }

    /// Runs `op` up to `call_attempts` times while it fails transiently.
    async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let attempts = self.config.call_attempts.max(1);
        let mut pauses = self.config.backoff();
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::debug!(endpoint = %self.endpoint, attempt, error = %e, "artifact call failed, retrying");
                    tokio::time::sleep(pauses.next().unwrap_or_default()).await;
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    /// A unary call `rpc(msg)`, retried while it fails transiently.
    async fn call<Req, T, F, Fut>(
        &self,
        what: &'static str,
        scope: Option<Scope>,
        msg: Req,
        rpc: F,
    ) -> Result<T, ClientError>
    where
        Req: Clone,
        F: Fn(ArtifactsClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        let idle = self.config.idle_timeout;
        self.retry(|| {
            let req = self.request(scope.as_ref(), msg.clone());
            let inner = self.inner.clone();
            let rpc = &rpc;
            async move { Ok(within(what, idle, rpc(inner, req?)).await?.into_inner()) }
        })
        .await
    }

    /// A download `rpc(msg)` read to its end (at most `limit` bytes),
    /// retried while it fails transiently.
    async fn download<Req, C, F, Fut>(
        &self,
        what: &'static str,
        scope: Scope,
        msg: Req,
        limit: u64,
        rpc: F,
    ) -> Result<(C::Meta, Bytes), ClientError>
    where
        Req: Clone,
        C: Chunk,
        F: Fn(ArtifactsClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<Response<Streaming<C>>, Status>>,
    {
        let idle = self.config.idle_timeout;
        self.retry(|| {
            let req = self.request(Some(&scope), msg.clone());
            let inner = self.inner.clone();
            let rpc = &rpc;
            async move {
                let stream = within(what, idle, rpc(inner, req?)).await?.into_inner();
                stream::read(what, idle, stream, limit).await
            }
        })
        .await
    }
}

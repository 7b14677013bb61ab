//! The client's limits, timeouts and retries.

use std::time::Duration;

use crate::auth::Identity;

/// Limits, timeouts and retries of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Timeout of one TCP + HTTP/2 connection attempt (default 5 s).
    pub connect_timeout: Duration,
    /// Connection attempts before [`ClientError::Connect`](super::ClientError::Connect)
    /// (default 5).
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
    /// Who the client is: each request is signed with it
    /// ([`AUTH_HEADER`](crate::AUTH_HEADER)) so that a private job's server
    /// can check its allow-list (the verifier's, prover's or trainer's
    /// account). `None`: unsigned requests, which only public jobs and
    /// datasets answer.
    pub identity: Option<Identity>,
    /// CA certificates (PEM) trusted for `https://` endpoints; the server's
    /// certificate must chain to one and name the endpoint's host. An
    /// `https://` endpoint without it is
    /// [`ClientError::InvalidEndpoint`](super::ClientError::InvalidEndpoint)
    /// (no system roots are built in).
    pub tls_ca_pem: Option<Vec<u8>>,
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
            identity: None,
            tls_ca_pem: None,
        }
    }
}

impl ClientConfig {
    /// The pauses between attempts: `backoff_initial`, doubled after each,
    /// at most `backoff_max`.
    pub(super) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        let max = self.backoff_max;
        std::iter::successors(Some(self.backoff_initial), move |p| Some((*p * 2).min(max)))
    }
}

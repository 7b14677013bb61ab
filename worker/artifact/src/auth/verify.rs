//! The server's side of [`super`]: freshness, audience, signature and
//! replay checks, each refusal a distinct [`AuthError`].

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k256::ecdsa::signature::Verifier as _;
use k256::ecdsa::{Signature, VerifyingKey};

use super::{signed_bytes, Caller, Claim, Scope};

/// Why a request's authentication was refused. Every variant but
/// [`AuthError::ReplayCacheFull`] is answered `UNAUTHENTICATED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The header is not `v1;addr=..;pk=..;ts=..;nonce=..;sig=..`.
    #[error("malformed impulse-auth header: {0}")]
    Malformed(String),
    /// The legacy bare `impulse-caller` header, without a signature.
    #[error("the impulse-caller header is not proof of anything and is refused; sign the request with the impulse-auth header")]
    Unsigned,
    /// The timestamp is older than the window.
    #[error("the request was signed {age} s ago, more than the {window} s the server accepts")]
    Expired {
        /// Seconds since the timestamp.
        age: u64,
        /// The window.
        window: u64,
    },
    /// The timestamp is ahead of the server's clock by more than the window.
    #[error("the request is signed {ahead} s in the future, more than the {window} s the server accepts")]
    Future {
        /// Seconds ahead.
        ahead: u64,
        /// The window.
        window: u64,
    },
    /// The public key is not a valid secp256k1 point.
    #[error("the public key is not a valid secp256k1 key")]
    BadKey,
    /// The signature does not verify over what was requested of this
    /// server (wrong key, tampered, or signed for another method, job,
    /// step, dataset, format, time, nonce or server).
    #[error("the signature does not match this request to this server")]
    BadSignature,
    /// The key does not own the claimed account.
    #[error("the public key does not own account {0}")]
    NotOwner(String),
    /// This key already used this nonce within the window.
    #[error("replayed request: this nonce was already used")]
    Replayed,
    /// Too many recent requests to remember; refused rather than forgetting
    /// one early (which would let it be replayed).
    #[error("the server remembers {0} recent requests, its limit; retry later")]
    ReplayCacheFull(usize),
}

impl From<AuthError> for tonic::Status {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::ReplayCacheFull(_) => tonic::Status::resource_exhausted(e.to_string()),
            _ => tonic::Status::unauthenticated(e.to_string()),
        }
    }
}

/// Checks claims; remembers the nonces of accepted ones for twice the
/// window (a timestamp up to `window` ahead stays acceptable until `window`
/// after it).
pub(crate) struct Verifier {
    window: Duration,
    audiences: Vec<String>,
    seen: Mutex<ReplayCache>,
}

impl Verifier {
    pub(crate) fn new(window: Duration, audiences: Vec<String>, max_entries: usize) -> Verifier {
        Verifier {
            window,
            audiences,
            seen: Mutex::new(ReplayCache {
                keys: HashSet::new(),
                order: VecDeque::new(),
                max: max_entries,
                keep: window * 2 + Duration::from_secs(1),
            }),
        }
    }

    /// Freshness against `now` (unix seconds), then the signature over
    /// `scope` for this server: the audience the caller signed must be the
    /// local address the connection arrived on, or one of the configured
    /// names. Tries each; the signature fails unless one matches.
    pub(crate) fn check(
        &self,
        claim: &Claim,
        scope: &Scope,
        local: Option<SocketAddr>,
        now: u64,
    ) -> Result<Caller, AuthError> {
        let window = self.window.as_secs();
        if claim.timestamp.saturating_add(window) < now {
            return Err(AuthError::Expired {
                age: now - claim.timestamp,
                window,
            });
        }
        if claim.timestamp > now.saturating_add(window) {
            return Err(AuthError::Future {
                ahead: claim.timestamp - now,
                window,
            });
        }
        let key =
            VerifyingKey::from_sec1_bytes(&claim.public_key).map_err(|_| AuthError::BadKey)?;
        let sig = Signature::from_slice(&claim.signature).map_err(|_| AuthError::BadSignature)?;
        if sig.normalize_s().is_some() {
            // High S: Cosmos (and k256) accept only the low-S form, so a
            // signature has exactly one encoding.
            return Err(AuthError::BadSignature);
        }
        let local = local.map(|a| a.to_string());
        let ok = local.iter().chain(self.audiences.iter()).any(|audience| {
            let msg = signed_bytes(
                scope,
                audience,
                claim.address.as_str(),
                &claim.public_key,
                claim.timestamp,
                &claim.nonce,
            );
            key.verify(&msg, &sig).is_ok()
        });
        if ok {
            Ok(claim.address.clone())
        } else {
            Err(AuthError::BadSignature)
        }
    }

    /// Records the claim's nonce; a second use within the window is
    /// [`AuthError::Replayed`].
    pub(crate) fn remember(&self, claim: &Claim) -> Result<(), AuthError> {
        let key = crate::sha256(&[&claim.public_key[..], &claim.nonce[..]].concat());
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Instant::now())
    }
}

/// Nonces seen recently, in arrival order (so expiry order).
struct ReplayCache {
    keys: HashSet<[u8; 32]>,
    order: VecDeque<(Instant, [u8; 32])>,
    max: usize,
    keep: Duration,
}

impl ReplayCache {
    fn insert(&mut self, key: [u8; 32], now: Instant) -> Result<(), AuthError> {
        while let Some((t, k)) = self.order.front() {
            if *t > now {
                break;
            }
            self.keys.remove(k);
            self.order.pop_front();
        }
        if self.keys.contains(&key) {
            return Err(AuthError::Replayed);
        }
        if self.keys.len() >= self.max {
            return Err(AuthError::ReplayCacheFull(self.max));
        }
        self.keys.insert(key);
        self.order.push_back((now + self.keep, key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_cache_expires_and_is_bounded() {
        let mut c = ReplayCache {
            keys: HashSet::new(),
            order: VecDeque::new(),
            max: 2,
            keep: Duration::from_secs(10),
        };
        let t0 = Instant::now();
        c.insert([1; 32], t0).unwrap();
        assert_eq!(c.insert([1; 32], t0), Err(AuthError::Replayed));
        c.insert([2; 32], t0).unwrap();
        assert_eq!(c.insert([3; 32], t0), Err(AuthError::ReplayCacheFull(2)));
        // After `keep`, both expire: room again, and [1] is new again.
        let later = t0 + Duration::from_secs(10);
        c.insert([3; 32], later).unwrap();
        c.insert([1; 32], later).unwrap();
        assert_eq!(c.keys.len(), 2);
    }
}

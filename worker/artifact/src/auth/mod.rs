//! Who is calling: every request that wants more than public artifacts
//! carries an [`AUTH_HEADER`] with the caller's address, its secp256k1
//! public key, a timestamp, a nonce and a signature over what is asked of
//! which server ([`signed_bytes`]). The server checks the signature, the
//! freshness of the timestamp, that the nonce was not seen before and that
//! the key owns the address ([`ArtifactStore::owns_key`], by default the
//! Cosmos rule [`cosmos_owns`]); only then does its access policy see the
//! caller. The server side is `verify.rs`.
//!
//! [`ArtifactStore::owns_key`]: crate::ArtifactStore::owns_key

pub(crate) mod verify;

use std::fmt;
use std::sync::Arc;

use impulse_protocol::Hash;
use k256::ecdsa::signature::Signer as _;
use k256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

pub use verify::AuthError;

/// Request metadata header carrying the caller's signed claim, see
/// [`Claim::encode`] for its format.
pub const AUTH_HEADER: &str = "impulse-auth";

/// First bytes of every signed message; changing the signed layout changes
/// this tag.
pub const DOMAIN: &[u8] = b"impulse-artifact-auth/v1";

/// Bytes of a request nonce.
pub const NONCE_LEN: usize = 16;

/// An account address. The server hands one to the access hooks only once
/// the request proved it (a valid [`AUTH_HEADER`] whose key
/// [`ArtifactStore::owns_key`]); an unauthenticated request is `None`.
///
/// [`ArtifactStore::owns_key`]: crate::ArtifactStore::owns_key
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Caller(String);

impl Caller {
    /// A caller identity: 1 to [`crate::MAX_CALLER_LEN`] ASCII letters and
    /// digits (a bech32 address); `None` otherwise.
    pub fn new(address: &str) -> Option<Self> {
        let ok = !address.is_empty()
            && address.len() <= crate::MAX_CALLER_LEN
            && address.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(address.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The gRPC paths of the methods, as signed.
pub mod method {
    /// `GetState`.
    pub const GET_STATE: &str = "/impulse.artifact.v1.Artifacts/GetState";
    /// `GetModel`.
    pub const GET_MODEL: &str = "/impulse.artifact.v1.Artifacts/GetModel";
    /// `GetDataset`.
    pub const GET_DATASET: &str = "/impulse.artifact.v1.Artifacts/GetDataset";
    /// `Progress`.
    pub const PROGRESS: &str = "/impulse.artifact.v1.Artifacts/Progress";
}

/// What one request asks for: the part of the signed message that the
/// server rebuilds from the request it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The gRPC path ([`method`]).
    pub method: &'static str,
    /// Job id (0 for a dataset).
    pub job: u64,
    /// Step (0 where the method has none).
    pub step: u64,
    /// Dataset hash (only `GetDataset`).
    pub dataset: Option<Hash>,
    /// The `format` field as sent (only `GetModel`, else 0).
    pub format: i32,
}

impl Scope {
    /// `GetState(job, step)`.
    pub fn state(job: u64, step: u64) -> Scope {
        Scope {
            method: method::GET_STATE,
            job,
            step,
            dataset: None,
            format: 0,
        }
    }
    /// `GetModel(job, format)` (`format` as sent on the wire).
    pub fn model(job: u64, format: i32) -> Scope {
        Scope {
            method: method::GET_MODEL,
            job,
            step: 0,
            dataset: None,
            format,
        }
    }
    /// `GetDataset(sha256)`.
    pub fn dataset(sha256: Hash) -> Scope {
        Scope {
            method: method::GET_DATASET,
            job: 0,
            step: 0,
            dataset: Some(sha256),
            format: 0,
        }
    }
    /// `Progress(job)`.
    pub fn progress(job: u64) -> Scope {
        Scope {
            method: method::PROGRESS,
            job,
            step: 0,
            dataset: None,
            format: 0,
        }
    }
}

/// The message a caller signs (ECDSA over its SHA-256):
///
/// `DOMAIN ‖ 0x00 ‖ lp(method) ‖ lp(audience) ‖ lp(address) ‖ public_key (33)
/// ‖ job (u64 BE) ‖ step (u64 BE) ‖ lp(dataset: 0 or 32 bytes) ‖ format (i32
/// BE) ‖ timestamp (u64 BE) ‖ nonce (16)`, where `lp(x)` is `x`'s length as
/// a u32 BE then `x`. `audience` is the `host:port` the caller dialled, so
/// a signature made for one server is refused by every other.
pub fn signed_bytes(
    scope: &Scope,
    audience: &str,
    address: &str,
    public_key: &[u8; 33],
    timestamp: u64,
    nonce: &[u8; NONCE_LEN],
) -> Vec<u8> {
    fn lp(out: &mut Vec<u8>, x: &[u8]) {
        out.extend_from_slice(&u32::try_from(x.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(x);
    }
    let mut m = Vec::with_capacity(256);
    m.extend_from_slice(DOMAIN);
    m.push(0);
    lp(&mut m, scope.method.as_bytes());
    lp(&mut m, audience.as_bytes());
    lp(&mut m, address.as_bytes());
    m.extend_from_slice(public_key);
    m.extend_from_slice(&scope.job.to_be_bytes());
    m.extend_from_slice(&scope.step.to_be_bytes());
    lp(&mut m, scope.dataset.as_ref().map_or(&[][..], |d| &d[..]));
    m.extend_from_slice(&scope.format.to_be_bytes());
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.extend_from_slice(nonce);
    m
}

/// The parsed [`AUTH_HEADER`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The account the caller claims to be.
    pub address: Caller,
    /// Its compressed secp256k1 public key.
    pub public_key: [u8; 33],
    /// Unix time of signing, seconds.
    pub timestamp: u64,
    /// Random, never reused within the server's window.
    pub nonce: [u8; NONCE_LEN],
    /// ECDSA signature `r ‖ s` (low S) over the SHA-256 of [`signed_bytes`].
    pub signature: [u8; 64],
}

impl Claim {
    /// The header value: `v1;addr=<address>;pk=<66 hex>;ts=<unix seconds>;
    /// nonce=<32 hex>;sig=<128 hex>` (lower-case hex, no spaces).
    pub fn encode(&self) -> String {
        format!(
            "v1;addr={};pk={};ts={};nonce={};sig={}",
            self.address.as_str(),
            hex::encode(self.public_key),
            self.timestamp,
            hex::encode(self.nonce),
            hex::encode(self.signature)
        )
    }

    /// Parses a header value written by [`Claim::encode`].
    pub fn parse(value: &str) -> Result<Claim, AuthError> {
        let bad = |what: &str| AuthError::Malformed(what.to_owned());
        let mut parts = value.split(';');
        if parts.next() != Some("v1") {
            return Err(bad("it does not start with the version v1"));
        }
        let mut field = |name: &str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or_else(|| bad(&format!("field {name} is missing or out of order")))
        };
        let address = Caller::new(field("addr")?)
            .ok_or_else(|| bad("addr is not 1..=128 ASCII letters and digits"))?;
        let public_key = hex_array(field("pk")?).ok_or_else(|| bad("pk is not 33 bytes of hex"))?;
        let timestamp = field("ts")?
            .parse::<u64>()
            .map_err(|_| bad("ts is not a unix time in seconds"))?;
        let nonce =
            hex_array(field("nonce")?).ok_or_else(|| bad("nonce is not 16 bytes of hex"))?;
        let signature =
            hex_array(field("sig")?).ok_or_else(|| bad("sig is not 64 bytes of hex"))?;
        if parts.next().is_some() {
            return Err(bad("it has fields after sig"));
        }
        Ok(Claim {
            address,
            public_key,
            timestamp,
            nonce,
            signature,
        })
    }
}

fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// An account key: its compressed secp256k1 public key, and ECDSA
/// signatures (SHA-256, low S, `r ‖ s`) of messages, as Cosmos signs
/// transactions. `None` when there is no key or it cannot sign.
pub trait RequestSigner: Send + Sync {
    /// The compressed public key.
    fn public_key(&self) -> Option<[u8; 33]>;
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Option<[u8; 64]>;
}

impl RequestSigner for SigningKey {
    fn public_key(&self) -> Option<[u8; 33]> {
        Some(public_key_of(self))
    }
    fn sign(&self, message: &[u8]) -> Option<[u8; 64]> {
        let sig: Signature = self.try_sign(message).ok()?;
        let sig = sig.normalize_s().unwrap_or(sig);
        Some(sig.to_bytes().into())
    }
}

/// The compressed public key of `key`.
pub fn public_key_of(key: &SigningKey) -> [u8; 33] {
    let point = key.verifying_key().to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    out
}

/// Who a client says it is, and how it proves it.
#[derive(Clone)]
pub struct Identity {
    address: Caller,
    signer: Arc<dyn RequestSigner>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.address == other.address && Arc::ptr_eq(&self.signer, &other.signer)
    }
}
impl Eq for Identity {}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot sign the artifact request: {0}")]
pub struct SignError(pub String);

impl Identity {
    /// The account `address`, proved by `signer` (its key must own the
    /// address on the server's chain).
    pub fn new(address: Caller, signer: Arc<dyn RequestSigner>) -> Identity {
        Identity { address, signer }
    }

    /// The account.
    pub fn address(&self) -> &Caller {
        &self.address
    }

    /// The header value for `scope` at the server `audience` now, with a
    /// fresh random nonce.
    pub fn header(&self, scope: &Scope, audience: &str) -> Result<String, SignError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        Ok(self.claim(scope, audience, unix_now(), nonce)?.encode())
    }

    /// The signed claim for `scope` at `audience`, at a given time with a
    /// given nonce (tests build stale, future and replayed requests with
    /// it).
    pub fn claim(
        &self,
        scope: &Scope,
        audience: &str,
        timestamp: u64,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Claim, SignError> {
        let public_key = self
            .signer
            .public_key()
            .ok_or_else(|| SignError("the signer has no key".into()))?;
        let msg = signed_bytes(
            scope,
            audience,
            self.address.as_str(),
            &public_key,
            timestamp,
            &nonce,
        );
        let signature = self
            .signer
            .sign(&msg)
            .ok_or_else(|| SignError("the signer refused".into()))?;
        Ok(Claim {
            address: self.address.clone(),
            public_key,
            timestamp,
            nonce,
            signature,
        })
    }
}

/// Unix time in seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `host:port` a client signs as the audience of an endpoint URI
/// (`http://127.0.0.1:7070` → `127.0.0.1:7070`; without a port, 443 for
/// `https` and 80 otherwise). `None` if the URI has no scheme or host.
pub fn audience_of(endpoint: &str) -> Option<String> {
    let uri: tonic::codegen::http::Uri = endpoint.parse().ok()?;
    uri.scheme()?;
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    Some(format!("{host}:{port}"))
}

/// RIPEMD-160(SHA-256(public key)): a Cosmos account's address bytes.
pub fn cosmos_address_bytes(public_key: &[u8; 33]) -> [u8; 20] {
    use ripemd::Ripemd160;
    Ripemd160::digest(Sha256::digest(public_key)).into()
}

/// The Cosmos account address of `public_key` with a bech32 `prefix`.
pub fn cosmos_address(prefix: &str, public_key: &[u8; 33]) -> Option<String> {
    let hrp = bech32::Hrp::parse(prefix).ok()?;
    bech32::encode::<bech32::Bech32>(hrp, &cosmos_address_bytes(public_key)).ok()
}

/// The Cosmos rule: `public_key` owns `address` when the address's bech32
/// data (any prefix) is RIPEMD-160(SHA-256(public key)). This is how a
/// Cosmos chain ties an account to its key (the auth module stores the key
/// of an account that has signed, and it always satisfies this rule for
/// secp256k1 accounts).
pub fn cosmos_owns(address: &str, public_key: &[u8; 33]) -> bool {
    match bech32::decode(address) {
        Ok((_, data)) => data == cosmos_address_bytes(public_key),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    #[test]
    fn header_round_trip() {
        let k = key(7);
        let addr = cosmos_address("wasm", &public_key_of(&k)).unwrap();
        let id = Identity::new(Caller::new(&addr).unwrap(), Arc::new(k));
        let c = id
            .claim(&Scope::state(3, 4), "127.0.0.1:1", 1_700_000_000, [9; 16])
            .unwrap();
        assert_eq!(Claim::parse(&c.encode()).unwrap(), c);
        assert!(cosmos_owns(&addr, &c.public_key));
        assert!(!cosmos_owns(&addr, &public_key_of(&key(8))));
        assert!(!cosmos_owns("not-bech32", &c.public_key));
    }

    #[test]
    fn malformed_headers() {
        for bad in [
            "",
            "v2;addr=a",
            "v1;addr=a;pk=00",
            "v1;pk=00;addr=a",
            "v1;addr=a b;pk=",
        ] {
            assert!(
                matches!(Claim::parse(bad), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn cosmos_address_matches_a_known_account() {
        // wasmd's test account "validator" of localnet is not at hand here;
        // the rule is checked against bech32 + the two hashes instead.
        let pk = public_key_of(&key(1));
        let a = cosmos_address("cosmos", &pk).unwrap();
        assert!(a.starts_with("cosmos1") && a.len() == 45, "{a}");
        assert!(cosmos_owns(&a, &pk));
    }

    #[test]
    fn audiences() {
        assert_eq!(
            audience_of("http://127.0.0.1:7070").as_deref(),
            Some("127.0.0.1:7070")
        );
        assert_eq!(
            audience_of("https://Prover.Example").as_deref(),
            Some("prover.example:443")
        );
        assert_eq!(audience_of("http://[::1]:9").as_deref(), Some("[::1]:9"));
        assert_eq!(audience_of("nonsense"), None);
    }

    #[test]
    fn every_field_is_signed() {
        let pk = [2u8; 33];
        let base = signed_bytes(&Scope::state(1, 2), "a:1", "x", &pk, 5, &[0; 16]);
        let others = [
            signed_bytes(&Scope::state(1, 3), "a:1", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::state(2, 2), "a:1", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::progress(1), "a:1", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::model(1, 1), "a:1", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::dataset([0; 32]), "a:1", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::state(1, 2), "a:2", "x", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::state(1, 2), "a:1", "y", &pk, 5, &[0; 16]),
            signed_bytes(&Scope::state(1, 2), "a:1", "x", &[3; 33], 5, &[0; 16]),
            signed_bytes(&Scope::state(1, 2), "a:1", "x", &pk, 6, &[0; 16]),
            signed_bytes(&Scope::state(1, 2), "a:1", "x", &pk, 5, &[1; 16]),
        ];
        for o in others {
            assert_ne!(base, o);
        }
    }
}

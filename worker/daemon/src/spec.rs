//! From a job as the chain holds it (`JobSpec`) to the engine's job, and
//! back: the one mapping every prover, verifier and trainer uses, so that
//! they all train, replay and check the same thing.
//!
//! The engine settings the marketplace does not know about travel in
//! `spec.model.config`, a JSON object ([`EngineConfig`]). Artifacts the job
//! needs (dataset, base weights) are named by SHA-256 and fetched from an
//! artifact server given by the spec's `uri` (`grpc://host:port`).

use cosmwasm_std::{Decimal, HexBinary};
use impulse_engine::job::LoraSpec;
use impulse_engine::Job;
use impulse_types::marketplace::JobSpec;
use serde::{Deserialize, Serialize};

use crate::error::{DaemonError, Result};

/// Engine settings carried in `spec.model.config` (JSON). Every field is
/// optional; absent fields take the engine's defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// LoRA fine-tuning of the base weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<LoraSpec>,
    /// Store every K-th state (the prover's checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every: Option<u64>,
    /// SHA-256 of a `tokenizer.json` (fetched like the dataset); absent:
    /// the byte tokenizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_sha256: Option<String>,
}

impl EngineConfig {
    /// The config of a spec (`{}` when absent).
    pub fn of(spec: &JobSpec) -> Result<EngineConfig> {
        match &spec.model.config {
            None => Ok(EngineConfig::default()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                DaemonError::BadJob(format!("model.config is not a valid engine config: {e}"))
            }),
        }
    }

    /// The JSON to put in `spec.model.config` (`None` when empty).
    pub fn to_config(&self) -> Option<String> {
        (self != &EngineConfig::default())
            .then(|| serde_json::to_string(self).expect("config serializes"))
    }
}

/// A decimal as `f64` (exact for the values a job carries: few digits).
pub fn decimal_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// A learning rate as the chain's decimal (18 digits; fails on values the
/// decimal cannot hold).
pub fn f64_decimal(x: f64) -> Result<Decimal> {
    if !(x.is_finite() && x > 0.0) {
        return Err(DaemonError::BadJob(format!(
            "learning rate {x} must be positive"
        )));
    }
    let text = format!("{x:.18}");
    text.parse()
        .map_err(|e| DaemonError::BadJob(format!("learning rate {x}: {e}")))
}

/// 32 bytes of hex as a hash.
pub fn hash32(h: &HexBinary, what: &str) -> Result<[u8; 32]> {
    h.as_slice()
        .try_into()
        .map_err(|_| DaemonError::BadJob(format!("{what} must be 32 bytes, got {}", h.len())))
}

/// The engine job of a chain job.
pub fn engine_job(spec: &JobSpec) -> Result<Job> {
    if spec.hyper.optimizer != "adamw" {
        return Err(DaemonError::BadJob(format!(
            "optimizer {:?} is not supported (the engine trains with \"adamw\")",
            spec.hyper.optimizer
        )));
    }
    let cfg = EngineConfig::of(spec)?;
    let dataset = hash32(&spec.dataset.sha256, "dataset.sha256")?;
    let mut job = Job::new(
        &spec.model.arch,
        &hex::encode(dataset),
        spec.hyper.seed,
        spec.hyper.steps,
        spec.hyper.batch_size as usize,
    );
    job.lr = decimal_f64(spec.hyper.learning_rate);
    if let Some(k) = cfg.checkpoint_every {
        job.checkpoint_every = k;
    }
    job.tokenizer_sha256 = cfg.tokenizer_sha256;
    job.lora = cfg.lora;
    if let Some(b) = &spec.model.base_weights {
        job.base_sha256 = Some(hex::encode(hash32(&b.sha256, "base_weights.sha256")?));
    }
    Ok(job)
}

/// The artifact-service endpoint of a `grpc://host:port` (or `http://`)
/// URI, as the client wants it; `grpcs://` (or `https://`) for a server
/// that speaks TLS.
pub fn endpoint_of(uri: &str) -> Result<String> {
    let (scheme, rest) = [
        ("grpc://", "http"),
        ("http://", "http"),
        ("grpcs://", "https"),
        ("https://", "https"),
    ]
    .into_iter()
    .find_map(|(prefix, scheme)| uri.strip_prefix(prefix).map(|rest| (scheme, rest)))
    .ok_or_else(|| {
        DaemonError::BadJob(format!(
            "artifact URI {uri:?} must be grpc://HOST:PORT or grpcs://HOST:PORT (an Impulse artifact server)"
        ))
    })?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || !host.contains(':') {
        return Err(DaemonError::BadJob(format!(
            "artifact URI {uri:?} needs a host and a port"
        )));
    }
    Ok(format!("{scheme}://{host}"))
}

/// The compact build identity committed on chain (at most 128 characters):
/// engine version, Cargo.lock hash prefix, backend and CPU tier.
pub fn build_identity(b: &impulse_engine::BuildIdentity) -> String {
    let lock = b
        .cargo_lock_sha256
        .get(..16)
        .unwrap_or(&b.cargo_lock_sha256);
    let mut s = format!(
        "impulse-engine/{} lock:{lock} {} {}",
        b.engine_version, b.backend, b.cpu_tier
    );
    s.truncate(128);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint_of("grpc://127.0.0.1:7000").unwrap(),
            "http://127.0.0.1:7000"
        );
        assert_eq!(endpoint_of("http://h:1/datasets/x").unwrap(), "http://h:1");
        assert_eq!(endpoint_of("grpcs://h:1").unwrap(), "https://h:1");
        assert_eq!(endpoint_of("https://h:1/x").unwrap(), "https://h:1");
        assert!(endpoint_of("ipfs://x").is_err());
        assert!(endpoint_of("grpc://nohost").is_err());
    }

    #[test]
    fn learning_rates_round_trip() {
        for x in [3e-3, 1e-2, 0.5, 1e-5] {
            assert_eq!(decimal_f64(f64_decimal(x).unwrap()), x);
        }
        assert!(f64_decimal(0.0).is_err());
        assert!(f64_decimal(f64::NAN).is_err());
    }

    #[test]
    fn config_round_trip_and_rejects_unknown_fields() {
        let c = EngineConfig {
            lora: Some(LoraSpec {
                rank: 4,
                alpha: 8.0,
            }),
            checkpoint_every: Some(5),
            tokenizer_sha256: None,
        };
        let text = c.to_config().unwrap();
        assert_eq!(serde_json::from_str::<EngineConfig>(&text).unwrap(), c);
        assert!(EngineConfig::default().to_config().is_none());
        assert!(serde_json::from_str::<EngineConfig>(r#"{"lr": 1}"#).is_err());
    }
}

//! Build identity and the commitment a prover posts (protocol.md §6.2).

use serde::{Deserialize, Serialize};

/// What produced a trace: replay is bit-for-bit only between equal
/// identities (same engine, lock file, features, backend and CPU tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildIdentity {
    pub engine_version: String,
    /// SHA-256 of the workspace Cargo.lock at build time.
    pub cargo_lock_sha256: String,
    /// Enabled cargo features of impulse-engine.
    pub features: Vec<String>,
    /// Backend the trace ran on (`flex`, `vulkan`, `cuda`).
    pub backend: String,
    /// CPU instruction tier detected at run time.
    pub cpu_tier: String,
}

impl BuildIdentity {
    /// Identity of this binary on this machine for `backend`.
    pub fn current(backend: &str) -> Self {
        let mut features = Vec::new();
        if cfg!(feature = "vulkan") {
            features.push("vulkan".to_string());
        }
        if cfg!(feature = "cuda") {
            features.push("cuda".to_string());
        }
        Self {
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            cargo_lock_sha256: env!("IMPULSE_CARGO_LOCK_SHA256").to_string(),
            features,
            backend: backend.to_string(),
            cpu_tier: cpu_tier(),
        }
    }
}

/// CPU instruction tier: results of the CPU backend differ between them.
pub fn cpu_tier() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "x86_64-avx512".into();
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "x86_64-avx2".into();
        }
        "x86_64-sse2".into()
    }
    #[cfg(target_arch = "aarch64")]
    {
        "aarch64-neon".into()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        std::env::consts::ARCH.into()
    }
}

/// What the prover posts for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// SHA-256 of the job JSON.
    pub job_sha256: String,
    pub dataset_sha256: String,
    /// SHA-256 of the `tokenizer.json` the dataset was tokenized with;
    /// absent for the byte tokenizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_sha256: Option<String>,
    /// `L`: the tree has `L + 1` leaves `h_0..h_L`.
    pub steps: u64,
    /// impulse-protocol root over `h_0..h_L`.
    pub merkle_root: String,
    /// Hash of the final model (model-only canonical encoding).
    pub final_model_sha256: String,
    pub build: BuildIdentity,
}

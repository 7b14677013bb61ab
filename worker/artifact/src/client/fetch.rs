//! The downloads and what each one checks before it returns: a state
//! against its hash and its Merkle proof under the trusted root, a model
//! against the committed hash, a dataset against its own hash.

use bytes::Bytes;
use impulse_protocol::{Hash, Proof};

use super::error::{hash32, protocol, same_hash, ClientError};
use super::ArtifactClient;
use crate::auth::Scope;
use crate::pb::{
    GetDatasetRequest, GetModelRequest, GetStateRequest, HealthRequest, HealthResponse,
    ModelFormat, Phase, ProgressRequest,
};
use crate::store::Progress;
use crate::MAX_PROOF_SIBLINGS;

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

impl ArtifactClient {
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
        let req = GetStateRequest { job_id: job, step };
        let (meta, bytes) = self
            .download(
                WHAT,
                Scope::state(job, step),
                req,
                self.config.max_state_bytes,
                |mut c, r| async move { c.get_state(r).await },
            )
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
        same_hash("state bytes vs served h_step", &claimed, &actual)?;
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
        let req = GetModelRequest {
            job_id: job,
            format: format as i32,
        };
        let (meta, bytes) = self
            .download(
                WHAT,
                Scope::model(job, format as i32),
                req,
                self.config.max_model_bytes,
                |mut c, r| async move { c.get_model(r).await },
            )
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
        same_hash("model bytes vs served sha256", &claimed, &actual)?;
        same_hash(
            "served final model hash vs committed",
            trusted_final_model_sha256,
            &committed,
        )?;
        let matches_commitment = format == ModelFormat::ImpulseV1;
        if matches_commitment {
            same_hash(
                "canonical model bytes vs committed final model hash",
                trusted_final_model_sha256,
                &actual,
            )?;
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
        let req = GetDatasetRequest {
            sha256: Bytes::copy_from_slice(sha256),
        };
        let (meta, bytes) = self
            .download(
                WHAT,
                Scope::dataset(*sha256),
                req,
                self.config.max_dataset_bytes,
                |mut c, r| async move { c.get_dataset(r).await },
            )
            .await?;
        if meta.sha256.as_ref() != sha256.as_slice() {
            return Err(protocol(WHAT, "the metadata names another dataset"));
        }
        same_hash("dataset bytes", sha256, &crate::sha256(&bytes))?;
        Ok(bytes)
    }

    /// The server's health.
    pub async fn health(&self) -> Result<HealthResponse, ClientError> {
        self.call("Health", None, HealthRequest {}, |mut c, r| async move {
            c.health(r).await
        })
        .await
    }

    /// Training progress of `job`.
    pub async fn progress(&self, job: u64) -> Result<Progress, ClientError> {
        const WHAT: &str = "Progress";
        let req = ProgressRequest { job_id: job };
        let r = self
            .call(
                WHAT,
                Some(Scope::progress(job)),
                req,
                |mut c, r| async move { c.progress(r).await },
            )
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

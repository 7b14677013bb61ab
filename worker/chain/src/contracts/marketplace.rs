//! The marketplace contract (protocol.md §4-§6): jobs and their escrow,
//! the scheduler and timeout cranks, the prover's commitment and openings,
//! the committee's secrets and verdicts; job, round and queue reads.

use cosmwasm_std::Decimal;
use impulse_types::marketplace::{
    ExecuteMsg, JobResponse, JobSpec, JobState, JobsResponse, Opening, ProviderEntryResponse,
    QueryMsg, QueueResponse, RoundResponse, TotalsResponse,
};
use impulse_types::Backend;

use super::hex32;
use crate::api::{Chain, Result, TxOutcome};

contract_client!(
    Marketplace,
    marketplace,
    set_contracts(staking, reputation, rewards)
);

impl<C: Chain> Marketplace<'_, C> {
    // ------------------------------------------------------------ trainer

    /// `SubmitJob` with `budget` (uimp) into escrow.
    pub async fn submit_job(&self, spec: JobSpec, budget: u128) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::SubmitJob { spec }, Some(budget))
            .await
    }

    /// `CancelJob` (a queued job of the signer's).
    pub async fn cancel_job(&self, job_id: u64) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::CancelJob { job_id }, None)
            .await
    }

    // ------------------------------------------------------------- cranks

    /// `Advertise`: the signer offers its capacity to the scheduler.
    pub async fn advertise(&self) -> Result<TxOutcome> {
        self.client.execute(ExecuteMsg::Advertise {}, None).await
    }

    /// `RunScheduler`: matches up to `limit` queued jobs.
    pub async fn run_scheduler(&self, limit: Option<u32>) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::RunScheduler { limit }, None)
            .await
    }

    /// `ProcessTimeouts`: handles up to `limit` passed deadlines.
    pub async fn process_timeouts(&self, limit: Option<u32>) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::ProcessTimeouts { limit }, None)
            .await
    }

    /// `FlushFees`: forwards up to `limit` undelivered fees.
    pub async fn flush_fees(&self, limit: Option<u32>) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::FlushFees { limit }, None)
            .await
    }

    // ------------------------------------------------------------- prover

    /// `CommitResult`: the Merkle root over `h_0..h_L`, the final model
    /// hash, the build identity (at most 128 characters) and the backend.
    pub async fn commit_result(
        &self,
        job_id: u64,
        root: &[u8; 32],
        final_model: &[u8; 32],
        build_identity: String,
        backend: Backend,
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::CommitResult {
            job_id,
            root: hex32(root),
            final_model_hash: hex32(final_model),
            build_identity,
            backend,
        };
        self.client.execute(msg, None).await
    }

    /// `OpenSteps`: leaves of challenged steps with their Merkle proofs.
    pub async fn open_steps(&self, job_id: u64, openings: Vec<Opening>) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::OpenSteps { job_id, openings }, None)
            .await
    }

    // ---------------------------------------------------------- committee

    /// `CommitSecret`: the hash of the member's secret.
    pub async fn commit_secret(&self, job_id: u64, secret_hash: &[u8; 32]) -> Result<TxOutcome> {
        let msg = ExecuteMsg::CommitSecret {
            job_id,
            secret_hash: hex32(secret_hash),
        };
        self.client.execute(msg, None).await
    }

    /// `RevealSecret`.
    pub async fn reveal_secret(&self, job_id: u64, secret: &[u8; 32]) -> Result<TxOutcome> {
        let msg = ExecuteMsg::RevealSecret {
            job_id,
            secret: hex32(secret),
        };
        self.client.execute(msg, None).await
    }

    /// `CommitVerdict`: the commitment over the member's verdict.
    pub async fn commit_verdict(&self, job_id: u64, commitment: &[u8; 32]) -> Result<TxOutcome> {
        let msg = ExecuteMsg::CommitVerdict {
            job_id,
            commitment: hex32(commitment),
        };
        self.client.execute(msg, None).await
    }

    /// `RevealVerdict`: the replayed hashes (and distances in tolerance
    /// mode, and the model hash when step L is challenged) with the salt.
    pub async fn reveal_verdict(
        &self,
        job_id: u64,
        hashes: &[[u8; 32]],
        distances: Option<Vec<Decimal>>,
        model_hash: Option<&[u8; 32]>,
        salt: &[u8; 32],
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::RevealVerdict {
            job_id,
            hashes: hashes.iter().map(hex32).collect(),
            distances,
            model_hash: model_hash.map(hex32),
            salt: hex32(salt),
        };
        self.client.execute(msg, None).await
    }

    // ------------------------------------------------------------- reads

    pub async fn job(&self, job_id: u64) -> Result<JobResponse> {
        self.client.query(QueryMsg::Job { job_id }).await
    }

    /// One page of jobs (in `state`, or all), by id.
    pub async fn jobs_in(
        &self,
        state: Option<JobState>,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<JobsResponse> {
        self.client
            .query(QueryMsg::Jobs {
                state,
                start_after,
                limit,
            })
            .await
    }

    /// One page of the queue, in scheduling order.
    pub async fn queue(
        &self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<QueueResponse> {
        self.client
            .query(QueryMsg::Queue { start_after, limit })
            .await
    }

    /// A provider's scheduler entry.
    pub async fn provider(&self, address: &str) -> Result<ProviderEntryResponse> {
        self.client
            .query(QueryMsg::Provider {
                address: address.to_string(),
            })
            .await
    }

    /// The current verification round of a job.
    pub async fn round(&self, job_id: u64) -> Result<RoundResponse> {
        self.client.query(QueryMsg::Round { job_id }).await
    }

    pub async fn totals(&self) -> Result<TotalsResponse> {
        self.client.query(QueryMsg::Totals {}).await
    }
}

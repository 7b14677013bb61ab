//! x/gov: proposals carrying governance messages (e.g. `MsgSudoContract`
//! with the gov module account as authority), votes, and waiting for the
//! outcome.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::gov::v1::{
    query_client::QueryClient as GovQuery, MsgSubmitProposal, MsgVote, ProposalStatus,
    QueryParamsRequest, QueryProposalRequest, VoteOption,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgSudoContract;
use cosmos_sdk_proto::Any;
use serde::Serialize;

use crate::client::ChainClient;
use crate::config::Coin;
use crate::error::{ChainError, Result};
use crate::keys::module_address;
use crate::outcome::TxOutcome;
use crate::tx::to_any;
use crate::wasm::json;

impl ChainClient {
    /// The x/gov module account, authority of governance messages.
    pub fn gov_authority(&self) -> String {
        module_address("gov", &self.config().prefix)
    }

    /// A `MsgSudoContract` calling `contract`'s `sudo` entry point with the
    /// JSON of `msg`, authorised by x/gov. Put it in a proposal with
    /// [`ChainClient::submit_proposal`].
    pub fn sudo_msg<M: Serialize>(&self, contract: &str, msg: &M) -> Result<Any, ChainError> {
        Ok(to_any(&MsgSudoContract {
            authority: self.gov_authority(),
            contract: contract.to_string(),
            msg: json(msg, "a sudo message")?,
        }))
    }

    /// The chain's minimum proposal deposit (x/gov params).
    pub async fn gov_min_deposit(&self) -> Result<Vec<Coin>, ChainError> {
        let r = GovQuery::new(self.channel())
            .params(QueryParamsRequest {
                params_type: "deposit".into(),
            })
            .await
            .map_err(|s| self.status("gov Params", s))?
            .into_inner();
        let min = r.params.map(|p| p.min_deposit).unwrap_or_default();
        min.into_iter()
            .map(|c| {
                let amount = c
                    .amount
                    .parse()
                    .map_err(|_| ChainError::Decode(format!("min deposit {:?}", c.amount)))?;
                Ok(Coin::new(amount, c.denom))
            })
            .collect()
    }

    /// Submits a proposal with `messages`, depositing `deposit` (the chain's
    /// minimum deposit when `None`, so voting starts at once). Returns the
    /// proposal id.
    pub async fn submit_proposal(
        &self,
        messages: Vec<Any>,
        title: &str,
        summary: &str,
        deposit: Option<Vec<Coin>>,
    ) -> Result<(u64, TxOutcome), ChainError> {
        let deposit = match deposit {
            Some(d) => d,
            None => self.gov_min_deposit().await?,
        };
        let msg = MsgSubmitProposal {
            messages,
            initial_deposit: deposit.iter().map(Coin::to_proto).collect(),
            proposer: self.address(),
            metadata: String::new(),
            title: title.to_string(),
            summary: summary.to_string(),
            expedited: false,
        };
        let out = self.broadcast(vec![to_any(&msg)], "").await?;
        let id = out
            .event_attr("submit_proposal", "proposal_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                ChainError::Decode("submit_proposal event without proposal_id".into())
            })?;
        Ok((id, out))
    }

    /// Votes on a proposal with this client's key (its voting power is what
    /// it has bonded).
    pub async fn vote(
        &self,
        proposal_id: u64,
        option: VoteOption,
    ) -> Result<TxOutcome, ChainError> {
        let msg = MsgVote {
            proposal_id,
            voter: self.address(),
            option: option as i32,
            metadata: String::new(),
        };
        self.broadcast(vec![to_any(&msg)], "").await
    }

    /// The current status of a proposal and, if it failed, why.
    pub async fn proposal_status(
        &self,
        proposal_id: u64,
    ) -> Result<(ProposalStatus, String), ChainError> {
        let p = GovQuery::new(self.channel())
            .proposal(QueryProposalRequest { proposal_id })
            .await
            .map_err(|s| self.status("gov Proposal", s))?
            .into_inner()
            .proposal
            .ok_or_else(|| ChainError::Decode(format!("proposal {proposal_id} missing")))?;
        let status = ProposalStatus::try_from(p.status).unwrap_or(ProposalStatus::Unspecified);
        Ok((status, p.failed_reason))
    }

    /// Waits until the proposal has passed (its messages executed).
    /// Rejected or failed proposals give [`ChainError::ProposalFailed`].
    pub async fn wait_for_proposal(
        &self,
        proposal_id: u64,
        timeout: Duration,
    ) -> Result<(), ChainError> {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, reason) = self.proposal_status(proposal_id).await?;
            match status {
                ProposalStatus::Passed => return Ok(()),
                ProposalStatus::Rejected | ProposalStatus::Failed => {
                    return Err(ChainError::ProposalFailed {
                        proposal_id,
                        status: status.as_str_name().to_string(),
                        reason,
                    })
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout {
                    what: format!("proposal {proposal_id} (still {})", status.as_str_name()),
                    timeout,
                });
            }
            tokio::time::sleep(self.config().poll_interval).await;
        }
    }

    /// The whole x/gov path for a contract's `sudo` entry point: submit a
    /// proposal with one `MsgSudoContract` (minimum deposit), vote yes from
    /// each of `voters` (e.g. the validator's key), and wait until it passes.
    pub async fn gov_sudo<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        title: &str,
        voters: &[&ChainClient],
        timeout: Duration,
    ) -> Result<u64, ChainError> {
        let sudo = self.sudo_msg(contract, msg)?;
        let (id, _) = self.submit_proposal(vec![sudo], title, title, None).await?;
        for voter in voters {
            voter.vote(id, VoteOption::Yes).await?;
        }
        self.wait_for_proposal(id, timeout).await?;
        Ok(id)
    }
}

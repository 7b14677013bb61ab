//! The reputation contract (protocol.md §3): provider records and scores.

use impulse_types::reputation::{QueryMsg, ReputationResponse, ReputationsResponse, ScoreResponse};

use crate::api::{Chain, Result};

contract_client!(Reputation, reputation, set_contracts(staking, marketplace));

impl<C: Chain> Reputation<'_, C> {
    /// A provider's record.
    pub async fn reputation(&self, provider: &str) -> Result<ReputationResponse> {
        self.client
            .query(QueryMsg::Reputation {
                provider: provider.to_string(),
            })
            .await
    }

    /// A provider's score.
    pub async fn score(&self, provider: &str) -> Result<ScoreResponse> {
        self.client
            .query(QueryMsg::Score {
                provider: provider.to_string(),
            })
            .await
    }

    /// One page of records, by provider address.
    pub async fn reputations(
        &self,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<ReputationsResponse> {
        self.client
            .query(QueryMsg::Reputations { start_after, limit })
            .await
    }
}

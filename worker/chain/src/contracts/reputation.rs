//! The reputation contract (protocol.md §3): provider records and scores.

use impulse_types::reputation::{
    ConfigResponse, ExecuteMsg, QueryMsg, ReputationResponse, ReputationsResponse, ScoreResponse,
};

use super::Client;
use crate::api::{Chain, Result, TxOutcome};

/// The reputation contract of a deployment, as the signer of `chain`.
#[derive(Debug)]
pub struct Reputation<'a, C> {
    client: Client<'a, C>,
}

impl<'a, C: Chain> Reputation<'a, C> {
    pub fn new(chain: &'a C) -> Self {
        let client = Client::new(chain, |d| &d.reputation);
        Reputation { client }
    }

    /// `SetContracts` (its governance only): wires the other contracts.
    pub async fn set_contracts(
        &self,
        staking: Option<String>,
        marketplace: Option<String>,
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::SetContracts {
            staking,
            marketplace,
        };
        self.client.execute(msg, None).await
    }

    pub async fn config(&self) -> Result<ConfigResponse> {
        self.client.query(QueryMsg::Config {}).await
    }

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

//! The rewards contract (protocol.md §8): epochs, the reserve, claims.

use impulse_types::rewards::{
    ClaimableResponse, ConfigResponse, CurrentEpochResponse, EpochResponse, EpochsResponse,
    ExecuteMsg, QueryMsg, ShareResponse, TotalsResponse,
};

use super::Client;
use crate::api::{Chain, Result, TxOutcome};

/// The rewards contract of a deployment, as the signer of `chain`.
#[derive(Debug)]
pub struct Rewards<'a, C> {
    client: Client<'a, C>,
}

impl<'a, C: Chain> Rewards<'a, C> {
    pub fn new(chain: &'a C) -> Self {
        let client = Client::new(chain, |d| &d.rewards);
        Rewards { client }
    }

    /// `CloseEpoch` (permissionless crank, once the epoch has ended).
    pub async fn close_epoch(&self) -> Result<TxOutcome> {
        self.client.execute(ExecuteMsg::CloseEpoch {}, None).await
    }

    /// `FundReserve` with `amount` (uimp).
    pub async fn fund_reserve(&self, amount: u128) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::FundReserve {}, Some(amount))
            .await
    }

    /// `Claim` of the signer's rewards (`epochs`: these only; all closed
    /// ones when `None`).
    pub async fn claim(&self, epochs: Option<Vec<u64>>, limit: Option<u32>) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::Claim { epochs, limit }, None)
            .await
    }

    /// `SetContracts` (its governance only): wires the other contracts.
    pub async fn set_contracts(
        &self,
        staking: Option<String>,
        reputation: Option<String>,
        marketplace: Option<String>,
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::SetContracts {
            staking,
            reputation,
            marketplace,
        };
        self.client.execute(msg, None).await
    }

    pub async fn config(&self) -> Result<ConfigResponse> {
        self.client.query(QueryMsg::Config {}).await
    }

    pub async fn epoch(&self, epoch: u64) -> Result<EpochResponse> {
        self.client.query(QueryMsg::Epoch { epoch }).await
    }

    /// One page of closed epochs.
    pub async fn epochs(
        &self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<EpochsResponse> {
        self.client
            .query(QueryMsg::Epochs { start_after, limit })
            .await
    }

    pub async fn current_epoch(&self) -> Result<CurrentEpochResponse> {
        self.client.query(QueryMsg::CurrentEpoch {}).await
    }

    /// A provider's share of an epoch.
    pub async fn share(&self, provider: &str, epoch: u64) -> Result<ShareResponse> {
        self.client
            .query(QueryMsg::Share {
                provider: provider.to_string(),
                epoch,
            })
            .await
    }

    /// What `provider` can claim now (closed epochs, one page).
    pub async fn claimable(
        &self,
        provider: &str,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<ClaimableResponse> {
        self.client
            .query(QueryMsg::Claimable {
                provider: provider.to_string(),
                start_after,
                limit,
            })
            .await
    }

    pub async fn totals(&self) -> Result<TotalsResponse> {
        self.client.query(QueryMsg::Totals {}).await
    }
}

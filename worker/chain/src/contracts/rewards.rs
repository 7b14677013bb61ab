//! The rewards contract (protocol.md §8): epochs, the reserve, claims.

use impulse_types::rewards::{
    ClaimableResponse, CurrentEpochResponse, EpochResponse, EpochsResponse, ExecuteMsg, QueryMsg,
    ShareResponse, TotalsResponse,
};

use crate::api::{Chain, Result, TxOutcome};

contract_client!(
    Rewards,
    rewards,
    set_contracts(staking, reputation, marketplace)
);

impl<C: Chain> Rewards<'_, C> {
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

//! The rewards contract (protocol.md §8): epochs, the reserve, claims.

use impulse_types::rewards::{
    ClaimableResponse, ConfigResponse, CurrentEpochResponse, EpochResponse, EpochsResponse,
    ExecuteMsg, QueryMsg, ShareResponse, TotalsResponse,
};

use crate::api::{Chain, Result, TxOutcome};
use crate::Coin;

/// The rewards contract of a deployment, as the signer of `chain`.
#[derive(Debug)]
pub struct Rewards<'a, C> {
    chain: &'a C,
}

impl<'a, C: Chain> Rewards<'a, C> {
    pub fn new(chain: &'a C) -> Self {
        Rewards { chain }
    }

    fn addr(&self) -> &str {
        &self.chain.deployment().rewards
    }

    async fn execute(&self, msg: ExecuteMsg, funds: Option<u128>) -> Result<TxOutcome> {
        let coins: Vec<Coin> = funds
            .map(|a| Coin::new(a, &self.chain.deployment().denom))
            .into_iter()
            .collect();
        self.chain.execute(self.addr(), &msg, &coins).await
    }

    async fn query<T: serde::de::DeserializeOwned>(&self, q: QueryMsg) -> Result<T> {
        self.chain.query(self.addr(), &q).await
    }

    /// `CloseEpoch` (permissionless crank, once the epoch has ended).
    pub async fn close_epoch(&self) -> Result<TxOutcome> {
        self.execute(ExecuteMsg::CloseEpoch {}, None).await
    }

    /// `FundReserve` with `amount` (uimp).
    pub async fn fund_reserve(&self, amount: u128) -> Result<TxOutcome> {
        self.execute(ExecuteMsg::FundReserve {}, Some(amount)).await
    }

    /// `Claim` of the signer's rewards (`epochs`: these only; all closed
    /// ones when `None`).
    pub async fn claim(&self, epochs: Option<Vec<u64>>, limit: Option<u32>) -> Result<TxOutcome> {
        self.execute(ExecuteMsg::Claim { epochs, limit }, None)
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
        self.execute(msg, None).await
    }

    pub async fn config(&self) -> Result<ConfigResponse> {
        self.query(QueryMsg::Config {}).await
    }

    pub async fn epoch(&self, epoch: u64) -> Result<EpochResponse> {
        self.query(QueryMsg::Epoch { epoch }).await
    }

    /// One page of closed epochs.
    pub async fn epochs(
        &self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<EpochsResponse> {
        self.query(QueryMsg::Epochs { start_after, limit }).await
    }

    pub async fn current_epoch(&self) -> Result<CurrentEpochResponse> {
        self.query(QueryMsg::CurrentEpoch {}).await
    }

    /// A provider's share of an epoch.
    pub async fn share(&self, provider: &str, epoch: u64) -> Result<ShareResponse> {
        self.query(QueryMsg::Share {
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
        self.query(QueryMsg::Claimable {
            provider: provider.to_string(),
            start_after,
            limit,
        })
        .await
    }

    pub async fn totals(&self) -> Result<TotalsResponse> {
        self.query(QueryMsg::Totals {}).await
    }
}

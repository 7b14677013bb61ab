//! The staking contract (protocol.md §2): registration, stake, heartbeats,
//! missed-heartbeat reports, claims; provider reads.

use cosmwasm_std::Uint128;
use impulse_types::staking::{
    ExecuteMsg, ProviderResponse, ProvidersResponse, QueryMsg, TotalsResponse, UnbondingResponse,
};
use impulse_types::{Backend, Capacity};

use crate::api::{Chain, Result, TxOutcome};

contract_client!(
    Staking,
    staking,
    set_contracts(marketplace, reputation, rewards)
);

impl<C: Chain> Staking<'_, C> {
    /// `Register`, staking `stake` (uimp).
    pub async fn register(
        &self,
        capacity: Capacity,
        backend: Backend,
        price_per_step: u128,
        endpoint: String,
        stake: u128,
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::Register {
            capacity,
            backend,
            price_per_step: Uint128::new(price_per_step),
            endpoint,
        };
        self.client.execute(msg, Some(stake)).await
    }

    /// `UpdateProvider`: the fields given change, the others stay.
    pub async fn update_provider(
        &self,
        capacity: Option<Capacity>,
        price_per_step: Option<u128>,
        endpoint: Option<String>,
    ) -> Result<TxOutcome> {
        let msg = ExecuteMsg::UpdateProvider {
            capacity,
            price_per_step: price_per_step.map(Uint128::new),
            endpoint,
        };
        self.client.execute(msg, None).await
    }

    /// `Stake`: adds `amount` (uimp) to the bonded stake.
    pub async fn stake(&self, amount: u128) -> Result<TxOutcome> {
        self.client
            .execute(ExecuteMsg::Stake {}, Some(amount))
            .await
    }

    /// `Unstake`: starts unbonding `amount` (uimp).
    pub async fn unstake(&self, amount: u128) -> Result<TxOutcome> {
        let msg = ExecuteMsg::Unstake {
            amount: Uint128::new(amount),
        };
        self.client.execute(msg, None).await
    }

    /// `Claim`: withdraws released unbonding and slash shares.
    pub async fn claim(&self) -> Result<TxOutcome> {
        self.client.execute(ExecuteMsg::Claim {}, None).await
    }

    /// `Heartbeat`.
    pub async fn heartbeat(&self) -> Result<TxOutcome> {
        self.client.execute(ExecuteMsg::Heartbeat {}, None).await
    }

    /// `ReportMissedHeartbeats` of `provider` (permissionless crank).
    pub async fn report_missed_heartbeats(&self, provider: &str) -> Result<TxOutcome> {
        let msg = ExecuteMsg::ReportMissedHeartbeats {
            provider: provider.to_string(),
        };
        self.client.execute(msg, None).await
    }

    /// One provider (an error when it is not registered).
    pub async fn provider(&self, address: &str) -> Result<ProviderResponse> {
        let q = QueryMsg::Provider {
            address: address.to_string(),
        };
        self.client.query(q).await
    }

    /// One page of providers, by address.
    pub async fn providers(
        &self,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Result<ProvidersResponse> {
        let q = QueryMsg::Providers { start_after, limit };
        self.client.query(q).await
    }

    pub async fn unbonding(&self, address: &str) -> Result<UnbondingResponse> {
        let q = QueryMsg::Unbonding {
            address: address.to_string(),
        };
        self.client.query(q).await
    }

    pub async fn totals(&self) -> Result<TotalsResponse> {
        self.client.query(QueryMsg::Totals {}).await
    }
}

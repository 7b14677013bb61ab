//! The messages that set up a deployment, the same for `impulse deploy` on
//! wasmd and for the embedded chain: the four contracts are instantiated in
//! order, each wired to those that exist before it (staking to none,
//! reputation to staking, the marketplace to staking and reputation,
//! rewards to all three), then [`wiring`] gives the earlier ones the
//! addresses of the later ones.

use impulse_types::{marketplace as mkt, reputation as rep, rewards as rw, staking as stk};

use crate::api::Deployment;

/// Staking, instantiated first.
pub fn instantiate_staking(governance: &str, params: stk::StakingParams) -> stk::InstantiateMsg {
    stk::InstantiateMsg {
        governance: governance.to_string(),
        marketplace: None,
        reputation: None,
        rewards: None,
        params: Some(params),
    }
}

/// Reputation, wired to staking.
pub fn instantiate_reputation(
    governance: &str,
    staking: &str,
    params: rep::ReputationParams,
) -> rep::InstantiateMsg {
    rep::InstantiateMsg {
        governance: governance.to_string(),
        staking: Some(staking.to_string()),
        marketplace: None,
        params: Some(params),
    }
}

/// The marketplace, wired to staking and reputation.
pub fn instantiate_marketplace(
    governance: &str,
    staking: &str,
    reputation: &str,
    params: mkt::MarketplaceParams,
) -> mkt::InstantiateMsg {
    mkt::InstantiateMsg {
        governance: governance.to_string(),
        staking: Some(staking.to_string()),
        reputation: Some(reputation.to_string()),
        rewards: None,
        params: Some(params),
    }
}

/// Rewards, instantiated last, wired to the three others.
pub fn instantiate_rewards(
    governance: &str,
    staking: &str,
    reputation: &str,
    marketplace: &str,
    params: rw::RewardsParams,
) -> rw::InstantiateMsg {
    rw::InstantiateMsg {
        governance: governance.to_string(),
        staking: Some(staking.to_string()),
        reputation: Some(reputation.to_string()),
        marketplace: Some(marketplace.to_string()),
        params: Some(params),
    }
}

/// The `SetContracts` messages (sent by the governance) that complete the
/// wiring once all four contracts exist.
#[derive(Clone, Debug)]
pub struct Wiring {
    /// To staking: the marketplace, reputation and rewards.
    pub staking: stk::ExecuteMsg,
    /// To reputation: the marketplace.
    pub reputation: rep::ExecuteMsg,
    /// To the marketplace: rewards.
    pub marketplace: mkt::ExecuteMsg,
}

/// The wiring of deployment `d`.
pub fn wiring(d: &Deployment) -> Wiring {
    Wiring {
        staking: stk::ExecuteMsg::SetContracts {
            marketplace: Some(d.marketplace.clone()),
            reputation: Some(d.reputation.clone()),
            rewards: Some(d.rewards.clone()),
        },
        reputation: rep::ExecuteMsg::SetContracts {
            staking: None,
            marketplace: Some(d.marketplace.clone()),
        },
        marketplace: mkt::ExecuteMsg::SetContracts {
            staking: None,
            reputation: None,
            rewards: Some(d.rewards.clone()),
        },
    }
}

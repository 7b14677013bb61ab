//! The messages that complete a deployment, the same for `impulse deploy`
//! on wasmd and for the embedded chain: the four contracts are instantiated
//! in order with [`impulse_types::wiring::Wiring`], each wired to those that
//! exist before it, then [`wiring`] gives the earlier ones the addresses of
//! the later ones.

use impulse_types::{marketplace as mkt, reputation as rep, staking as stk};

use crate::api::Deployment;

/// The `SetContracts` messages (sent by the governance) that complete the
/// wiring once all four contracts exist.
#[derive(Clone, Debug)]
pub struct FinalWiring {
    /// To staking: the marketplace, reputation and rewards.
    pub staking: stk::ExecuteMsg,
    /// To reputation: the marketplace.
    pub reputation: rep::ExecuteMsg,
    /// To the marketplace: rewards.
    pub marketplace: mkt::ExecuteMsg,
}

/// The wiring of deployment `d`.
pub fn wiring(d: &Deployment) -> FinalWiring {
    FinalWiring {
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

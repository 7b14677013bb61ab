//! Who governs a contract and where the others are: what every
//! instantiate message carries. One builder for the test suite, the gas
//! bench, `impulse deploy` and the embedded chain: a deployment fills it as
//! the contracts come into existence, so each is instantiated wired to
//! those before it (staking to none, reputation to staking, the
//! marketplace to both, rewards to all three).

use crate::marketplace::{self as mkt, MarketplaceParams};
use crate::reputation::{self as rep, ReputationParams};
use crate::rewards::{self as rw, RewardsParams};
use crate::staking::{self as stk, StakingParams};

/// Who governs a contract and where the others are: what every instantiate
/// message carries (each contract takes the addresses it talks to).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wiring {
    pub staking: Option<String>,
    pub reputation: Option<String>,
    pub marketplace: Option<String>,
    pub rewards: Option<String>,
    pub governance: String,
}

impl Wiring {
    /// Governed by `governance`, wired to nothing yet.
    pub fn governed_by(governance: impl ToString) -> Wiring {
        Wiring {
            governance: governance.to_string(),
            ..Wiring::default()
        }
    }

    /// Everything wired: `addr` gives the address of each role by name
    /// (`governance`, `staking`, `reputation`, `marketplace`, `rewards`).
    pub fn named(addr: impl Fn(&str) -> String) -> Wiring {
        Wiring {
            governance: addr("governance"),
            staking: Some(addr("staking")),
            reputation: Some(addr("reputation")),
            marketplace: Some(addr("marketplace")),
            rewards: Some(addr("rewards")),
        }
    }

    pub fn staking(&self, params: Option<StakingParams>) -> stk::InstantiateMsg {
        stk::InstantiateMsg {
            governance: self.governance.clone(),
            marketplace: self.marketplace.clone(),
            reputation: self.reputation.clone(),
            rewards: self.rewards.clone(),
            params,
        }
    }

    pub fn reputation(&self, params: Option<ReputationParams>) -> rep::InstantiateMsg {
        rep::InstantiateMsg {
            governance: self.governance.clone(),
            staking: self.staking.clone(),
            marketplace: self.marketplace.clone(),
            params,
        }
    }

    pub fn marketplace(&self, params: Option<MarketplaceParams>) -> mkt::InstantiateMsg {
        mkt::InstantiateMsg {
            governance: self.governance.clone(),
            staking: self.staking.clone(),
            reputation: self.reputation.clone(),
            rewards: self.rewards.clone(),
            params,
        }
    }

    pub fn rewards(&self, params: Option<RewardsParams>) -> rw::InstantiateMsg {
        rw::InstantiateMsg {
            governance: self.governance.clone(),
            staking: self.staking.clone(),
            reputation: self.reputation.clone(),
            marketplace: self.marketplace.clone(),
            params,
        }
    }
}

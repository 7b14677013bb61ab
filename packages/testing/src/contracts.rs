//! The four contracts as cw-multi-test wrappers: the one place the suites,
//! the embedded chain and the reputation tests get them from.

use cosmwasm_std::Empty;
use cw_multi_test::{Contract, ContractWrapper};

pub fn staking() -> Box<dyn Contract<Empty>> {
    use impulse_staking::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_sudo(c::sudo)
            .with_reply(c::reply)
            .with_migrate(c::migrate),
    )
}

pub fn reputation() -> Box<dyn Contract<Empty>> {
    use impulse_reputation::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_sudo(c::sudo)
            .with_migrate(c::migrate),
    )
}

pub fn rewards() -> Box<dyn Contract<Empty>> {
    use impulse_rewards::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_sudo(c::sudo)
            .with_reply(c::reply)
            .with_migrate(c::migrate),
    )
}

pub fn marketplace() -> Box<dyn Contract<Empty>> {
    use impulse_marketplace::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_sudo(c::sudo)
            .with_reply(c::reply)
            .with_migrate(c::migrate),
    )
}

//! The four contracts as cw-multi-test wrappers: the one place the suites,
//! the embedded chain and the reputation tests get them from.

use cosmwasm_std::Empty;
use cw_multi_test::{Contract, ContractWrapper};

/// `pub fn $name()`: the wrapper of `$krate::contract` with its entry
/// points beyond execute / instantiate / query.
macro_rules! wrapper {
    ($name:ident, $krate:ident, $($entry:ident),+) => {
        pub fn $name() -> Box<dyn Contract<Empty>> {
            use $krate::contract as c;
            Box::new(ContractWrapper::new(c::execute, c::instantiate, c::query)$(.$entry(wrapper!(@fn $entry)))+)
        }
    };
    (@fn with_sudo) => { c::sudo };
    (@fn with_reply) => { c::reply };
    (@fn with_migrate) => { c::migrate };
}

wrapper!(
    staking,
    impulse_staking,
    with_sudo,
    with_reply,
    with_migrate
);
wrapper!(reputation, impulse_reputation, with_sudo, with_migrate);
wrapper!(
    rewards,
    impulse_rewards,
    with_sudo,
    with_reply,
    with_migrate
);
wrapper!(
    marketplace,
    impulse_marketplace,
    with_sudo,
    with_reply,
    with_migrate
);

//! Entry points: reject funds, then hand each message to its use case.
//! Governance arrives either as the configured address (`execute`) or as
//! wasmd's x/gov (`sudo`); both reach the same handlers in `governance.rs`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, Env};
use impulse_types::funds::nonpayable;
use impulse_types::reputation::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::GOVERNANCE;
use crate::{query, update};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

impulse_governance::instantiate_entry_point!(GOVERNANCE, |_, _, _, resp| Ok(resp));

impulse_governance::execute_entry_point!(GOVERNANCE, |deps, env, info, msg| {
    nonpayable(&info)?;
    match msg {
        ExecuteMsg::RecordJob {
            provider,
            performance,
            earned,
        } => update::record_job(deps, env, &info.sender, provider, performance, earned),
        ExecuteMsg::RecordFault { provider, fault } => {
            update::record_fault(deps, env, &info.sender, provider, fault)
        }
        ExecuteMsg::RecordStake { provider, stake } => {
            update::record_stake(deps, env, &info.sender, provider, stake)
        }
        ExecuteMsg::RecordMissedHeartbeats {
            provider,
            intervals,
        } => update::record_missed_heartbeats(deps, env, &info.sender, provider, intervals),
        impulse_governance::governance_msgs!(ExecuteMsg) => {
            unreachable!("governance, handled by GOVERNANCE.execute_entry")
        }
    }
});

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Reputation { provider } => {
            to_json_binary(&query::reputation(deps, env, provider)?)?
        }
        QueryMsg::Score { provider } => to_json_binary(&query::score(deps, env, provider)?)?,
        QueryMsg::Reputations { start_after, limit } => {
            to_json_binary(&query::reputations(deps, env, start_after, limit)?)?
        }
    })
}

// Refuses another contract's state and any downgrade. The storage layout has
// not changed since 0.0.1, so no data is rewritten.
impulse_governance::sudo_entry_point!(GOVERNANCE);
impulse_governance::migrate_entry_point!(GOVERNANCE);

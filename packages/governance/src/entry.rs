//! What the four contracts' entry points share: the governance address and
//! parameters of an `InstantiateMsg`, the governance messages of every
//! `ExecuteMsg`, and the `SudoMsg` messages every contract takes
//! (`UpdateParams`, `SetContracts`) beside its own. The macros below write
//! the entry points out of these, so a contract's `contract.rs` holds only
//! what is its own.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use impulse_types::funds::{nonpayable, FundsError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Controller, GovError, Governed};

/// A contract's `InstantiateMsg`: its governance address and parameters
/// (`None`: the defaults); its other fields name the contracts it calls.
pub trait InstantiateMsg: Serialize {
    type Params;
    fn governance(&self) -> &str;
    fn params(&self) -> Option<Self::Params>;
}

/// A contract's `ExecuteMsg`.
pub trait ExecuteMsg: Serialize {
    /// One of [`governance_msgs!`](crate::governance_msgs): the messages
    /// [`Controller::execute`] takes.
    fn is_governance(&self) -> bool;
}

/// A `SudoMsg` split into the governance messages every contract takes and
/// the contract's own.
pub enum Sudo<P, M> {
    /// `UpdateParams { params }`.
    UpdateParams(P),
    /// `SetContracts { .. }`, the whole message (its fields are the wiring).
    SetContracts(M),
    /// A message of this contract only (e.g. staking's `Slash`).
    Own(M),
}

/// A contract's `SudoMsg`.
pub trait SudoMsg: Serialize + Sized {
    type Params;
    fn split(self) -> Sudo<Self::Params, Self>;
}

/// The governance messages every contract's `ExecuteMsg` carries, as a
/// pattern (see [`ExecuteMsg::is_governance`]).
#[macro_export]
macro_rules! governance_msgs {
    ($($msg:ident)::+) => {
        $($msg)::+::UpdateParams { .. }
            | $($msg)::+::SetContracts { .. }
            | $($msg)::+::ProposeGovernance { .. }
            | $($msg)::+::AcceptGovernance {}
    };
}

/// The `sudo` entry point of a contract whose `SudoMsg` holds only the
/// shared governance messages: `controller.sudo`. Expects `ContractError`
/// and `SudoMsg` in scope.
#[macro_export]
macro_rules! sudo_entry_point {
    ($controller:expr) => {
        /// x/gov: the same handlers as the governance address's `execute`.
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn sudo(
            deps: ::cosmwasm_std::DepsMut,
            _env: ::cosmwasm_std::Env,
            msg: SudoMsg,
        ) -> Result<::cosmwasm_std::Response, ContractError> {
            $controller.sudo(deps, msg, |_, _| {
                unreachable!("every sudo message of this contract is shared governance")
            })
        }
    };
}

impl<C> Controller<C>
where
    C: Governed + Serialize + DeserializeOwned + 'static,
{
    /// The `instantiate` entry point: refuses funds, stores the
    /// configuration ([`Controller::instantiate`]) and hands it to `setup`
    /// for the contract's own state.
    pub fn instantiate_entry<M, E>(
        &self,
        deps: DepsMut,
        env: Env,
        info: &MessageInfo,
        msg: &M,
        setup: impl FnOnce(DepsMut, Env, C, Response) -> Result<Response, E>,
    ) -> Result<Response, E>
    where
        M: InstantiateMsg<Params = C::Params>,
        E: From<GovError> + From<FundsError>,
    {
        nonpayable(info)?;
        let (config, resp) = self.instantiate(deps.storage, deps.api, msg)?;
        setup(deps, env, config, resp)
    }

    /// The `execute` entry point: a governance message (which takes no
    /// funds) goes to [`Controller::execute`] and on to the contract's
    /// `sudo`, any other to `own`.
    pub fn execute_entry<M, S, E>(
        &self,
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: M,
        sudo: fn(DepsMut, Env, S) -> Result<Response, E>,
        own: impl FnOnce(DepsMut, Env, MessageInfo, M) -> Result<Response, E>,
    ) -> Result<Response, E>
    where
        M: ExecuteMsg,
        S: DeserializeOwned,
        E: From<GovError> + From<FundsError>,
    {
        if !msg.is_governance() {
            return own(deps, env, info, msg);
        }
        nonpayable(&info)?;
        self.execute(deps, &info.sender, &msg, |deps, msg| sudo(deps, env, msg))
    }
}

/// The `instantiate` entry point: [`Controller::instantiate_entry`] with
/// `setup` (`|deps, env, config, resp| ..`). Expects `ContractError` and
/// `InstantiateMsg` in scope.
#[macro_export]
macro_rules! instantiate_entry_point {
    ($controller:expr, $setup:expr) => {
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn instantiate(
            deps: ::cosmwasm_std::DepsMut,
            env: ::cosmwasm_std::Env,
            info: ::cosmwasm_std::MessageInfo,
            msg: InstantiateMsg,
        ) -> Result<::cosmwasm_std::Response, ContractError> {
            $controller.instantiate_entry(deps, env, &info, &msg, $setup)
        }
    };
}

/// The `execute` entry point: [`Controller::execute_entry`] with the
/// contract's `sudo` and `own` (`|deps, env, info, msg| ..`) for its own
/// messages. Expects `ContractError`, `ExecuteMsg` and `sudo` in scope.
#[macro_export]
macro_rules! execute_entry_point {
    ($controller:expr, $own:expr) => {
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn execute(
            deps: ::cosmwasm_std::DepsMut,
            env: ::cosmwasm_std::Env,
            info: ::cosmwasm_std::MessageInfo,
            msg: ExecuteMsg,
        ) -> Result<::cosmwasm_std::Response, ContractError> {
            $controller.execute_entry(deps, env, info, msg, sudo, $own)
        }
    };
}

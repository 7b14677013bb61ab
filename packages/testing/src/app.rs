//! cw-multi-test plumbing every part of the suite uses: deploying a
//! contract, a governance call that must succeed, message funds, walking a
//! paginated query, and the typed entry points of a contract held by the
//! suite.

use anyhow::Result;
use cosmwasm_std::{coins, Addr, Coin, Empty};
use cw_multi_test::{App, Contract, Executor};
use impulse_types::common::MAX_LIMIT;
use serde::Serialize;
use std::fmt::Debug;

use crate::DENOM;

/// Store `code` and instantiate it as `gov`, which is also its admin.
#[track_caller]
pub fn deploy(
    app: &mut App,
    code: Box<dyn Contract<Empty>>,
    gov: &Addr,
    msg: &impl Serialize,
    funds: &[Coin],
    label: &str,
) -> (u64, Addr) {
    let code_id = app.store_code(code);
    let addr = app
        .instantiate_contract(
            code_id,
            gov.clone(),
            msg,
            funds,
            label,
            Some(gov.to_string()),
        )
        .unwrap_or_else(|e| panic!("instantiate {label}: {e}"));
    (code_id, addr)
}

/// Send a governance message (`SetContracts`) that must succeed.
#[track_caller]
pub fn govern(
    app: &mut App,
    gov: &Addr,
    contract: &Addr,
    msg: &(impl Serialize + Debug),
    what: &str,
) {
    app.execute_contract(gov.clone(), contract.clone(), msg, &[])
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// The typed entry points of the contract held in `Suite::$field`, whose
/// messages are in `impulse_types::$msgs`: execute with funds of the denom
/// or with any coins, raw bytes (not necessarily JSON) in and out, and sudo
/// (wasmd's x/gov).
macro_rules! entry_points {
    ($name:literal, $field:ident, $msgs:ident, $exec:ident, $coins:ident, $raw:ident,
     $query_raw:ident, $sudo:ident) => {
        impl $crate::Suite {
            #[doc = concat!("Execute on the ", $name, " contract with funds of the denom.")]
            pub fn $exec(
                &mut self,
                sender: &cosmwasm_std::Addr,
                msg: &$msgs::ExecuteMsg,
                funds: u128,
            ) -> anyhow::Result<cw_multi_test::AppResponse> {
                self.$coins(sender, msg, &$crate::app::funds(funds))
            }

            #[doc = concat!("Execute on the ", $name, " contract with any coins attached.")]
            pub fn $coins(
                &mut self,
                sender: &cosmwasm_std::Addr,
                msg: &$msgs::ExecuteMsg,
                funds: &[cosmwasm_std::Coin],
            ) -> anyhow::Result<cw_multi_test::AppResponse> {
                self.exec_coins(&self.$field.clone(), sender, msg, funds)
            }

            #[doc = concat!("Execute raw bytes on the ", $name, " contract.")]
            pub fn $raw(
                &mut self,
                sender: &cosmwasm_std::Addr,
                msg: impl Into<cosmwasm_std::Binary>,
                funds: &[cosmwasm_std::Coin],
            ) -> anyhow::Result<cw_multi_test::AppResponse> {
                self.exec_raw(&self.$field.clone(), sender, msg, funds)
            }

            #[doc = concat!("Query the ", $name, " contract with raw bytes.")]
            pub fn $query_raw(
                &self,
                msg: impl Into<cosmwasm_std::Binary>,
            ) -> anyhow::Result<serde_json::Value> {
                self.query_raw(&self.$field, msg)
            }

            #[doc = concat!("Call the ", $name, " contract's `sudo` entry point.")]
            pub fn $sudo(
                &mut self,
                msg: &$msgs::SudoMsg,
            ) -> anyhow::Result<cw_multi_test::AppResponse> {
                self.sudo(&self.$field.clone(), msg)
            }
        }
    };
}
pub(crate) use entry_points;

/// `amount` of the suite's denom as message funds (none for 0).
pub fn funds(amount: u128) -> Vec<Coin> {
    if amount == 0 {
        vec![]
    } else {
        coins(amount, DENOM)
    }
}

/// Walk a paginated list query: `page(start_after)` returns one page of at
/// most `MAX_LIMIT` items; `key` gives the cursor of an item.
#[track_caller]
pub fn paginate<T, K>(
    mut page: impl FnMut(Option<K>) -> Result<Vec<T>>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut out: Vec<T> = vec![];
    loop {
        let items = page(out.last().map(&key)).expect("list query");
        let done = items.len() < MAX_LIMIT as usize;
        out.extend(items);
        if done {
            return out;
        }
    }
}

//! Checklist items (shared/checklists.md) that every contract must pass in
//! the same way, written once and called from each contract's checklist.

use cosmwasm_std::testing::{mock_dependencies, mock_env};
use cosmwasm_std::{
    Addr, Binary, Coin, CosmosMsg, DepsMut, Empty, Env, QueryRequest, Reply, Response,
    SubMsgResponse, SubMsgResult, WasmMsg, WasmQuery,
};
use cw_multi_test::{App, AppResponse, Executor, SudoMsg, WasmSudo};

use impulse_governance::GovError;

use crate::{Outcome, Suite};

/// The id `assert_unknown_reply_refused` replies with.
pub const UNKNOWN_REPLY_ID: u64 = 99;

/// Item 10: a reply with an id the contract never used is an error, whether
/// the sub-message failed or succeeded: exactly `expected` (compared by
/// `Debug`, as contract errors have no `PartialEq`).
#[track_caller]
#[allow(deprecated)] // SubMsgResponse::data
pub fn assert_unknown_reply_refused<E: std::fmt::Debug>(
    reply: impl Fn(DepsMut, Env, Reply) -> Result<Response, E>,
    expected: E,
) {
    let mut deps = mock_dependencies();
    let env = mock_env();
    for result in [
        SubMsgResult::Err("boom".to_string()),
        SubMsgResult::Ok(SubMsgResponse {
            events: vec![],
            data: None,
            msg_responses: vec![],
        }),
    ] {
        let msg = Reply {
            id: UNKNOWN_REPLY_ID,
            payload: Binary::default(),
            gas_used: 0,
            result,
        };
        let err = reply(deps.as_mut(), env.clone(), msg).expect_err("an unknown reply id");
        assert_eq!(format!("{err:?}"), format!("{expected:?}"));
    }
}

/// Which entry points accepted a payload (`send_raw`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accepted {
    pub execute: bool,
    pub query: bool,
    pub sudo: bool,
    pub migrate: bool,
    pub instantiate: bool,
}

/// Item 19: `payload`, as is, to every entry point of `contract` (of code
/// `code`): executed by `sender` with `funds`, queried, sent by x/gov,
/// migrated to the same code and instantiated by `admin`.
pub fn send_raw(
    app: &mut App,
    (contract, code): (&Addr, u64),
    (sender, admin): (&Addr, &Addr),
    payload: &[u8],
    funds: &[Coin],
) -> Accepted {
    let msg = Binary::from(payload);
    let contract_addr = contract.to_string();
    let wasm = |m: WasmMsg| CosmosMsg::<Empty>::Wasm(m);
    let execute = wasm(WasmMsg::Execute {
        contract_addr: contract_addr.clone(),
        msg: msg.clone(),
        funds: funds.to_vec(),
    });
    let query = QueryRequest::<Empty>::Wasm(WasmQuery::Smart {
        contract_addr: contract_addr.clone(),
        msg: msg.clone(),
    });
    let migrate = wasm(WasmMsg::Migrate {
        contract_addr,
        new_code_id: code,
        msg: msg.clone(),
    });
    let instantiate = wasm(WasmMsg::Instantiate {
        admin: None,
        code_id: code,
        msg: msg.clone(),
        funds: vec![],
        label: "malformed".to_string(),
    });
    let sudo = SudoMsg::Wasm(WasmSudo {
        contract_addr: contract.clone(),
        message: msg,
    });
    Accepted {
        execute: app.execute(sender.clone(), execute).is_ok(),
        query: app.wrap().query::<serde_json::Value>(&query).is_ok(),
        sudo: app.sudo(sudo).is_ok(),
        migrate: app.execute(admin.clone(), migrate).is_ok(),
        instantiate: app.execute(admin.clone(), instantiate).is_ok(),
    }
}

impl Suite {
    /// Item 18 for `contract` (its code `code`, cw2 `name` at `version`):
    /// migrating to the same version works; the state of the contract
    /// `other` is `WrongContract`, and each stored version of `refused` is
    /// refused with its error; a refusal changes nothing `snapshot` shows;
    /// the state written by 0.0.1 migrates and keeps all `snapshot` shows.
    /// The responses of the first and the last migration.
    #[track_caller]
    pub fn assert_migrations<S: PartialEq + std::fmt::Debug>(
        &mut self,
        (contract, code): (&Addr, u64),
        (name, version): (&str, &str),
        other: &str,
        refused: &[(&str, String)],
        snapshot: impl Fn(&Suite) -> S,
    ) -> (AppResponse, AppResponse) {
        let same = self.migrate(contract, code).must(self);
        let wrong = GovError::WrongContract {
            expected: name.to_string(),
            stored: other.to_string(),
        };
        let records = std::iter::once((other, version, wrong.to_string()))
            .chain(refused.iter().map(|(v, e)| (name, *v, e.clone())));
        for (stored, version, expected) in records {
            self.set_version(contract, stored, version);
            self.rejects_unchanged(&snapshot, |s| s.migrate(contract, code), expected);
        }
        self.set_version(contract, name, "0.0.1");
        let before = snapshot(self);
        let old = self.migrate(contract, code).must(self);
        assert_eq!(snapshot(self), before, "state kept");
        (same, old)
    }
}

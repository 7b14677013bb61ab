//! The harness of a scenario: one contract's wasm in `cosmwasm_vm` with
//! the chain around it (block, accounts, the other contracts' answers), and
//! the gas of each step as a table row (the estimate is explained in
//! `bench`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use cosmwasm_std::{
    Binary, Coin, ContractResult, Empty, Env, Event, MessageInfo, QuerierResult, Response,
    WasmQuery,
};
use cosmwasm_vm::testing::{mock_env, MockApi, MockQuerier};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, call_reply, call_sudo, Backend, Instance,
    InstanceOptions, Size,
};
use serde::Serialize;

use super::storage::SdkGasStorage;
use super::{Row, GAS_MULTIPLIER, INSTANCE_COST};

/// wasmd's event costs (`DefaultPerAttributeCost`, `DefaultPerCustomEventCost`,
/// `DefaultEventAttributeDataCost`, `DefaultEventAttributeDataFreeTier`).
const PER_ATTRIBUTE_COST: u64 = 10;
const PER_CUSTOM_EVENT_COST: u64 = 20;
const ATTRIBUTE_DATA_COST: u64 = 1;
const ATTRIBUTE_DATA_FREE_TIER: u64 = 100;

/// Far above anything one scenario spends; per-step gas is a difference.
const GAS_LIMIT: u64 = 1_000_000_000_000_000_000;
/// wasmd's per-instance memory limit.
const MEMORY_LIMIT: Size = Size::mebi(32);
/// Seconds per block when the scenario advances the chain.
const BLOCK_SECONDS: u64 = 5;

type VmInstance = Instance<MockApi, SdkGasStorage, MockQuerier>;

/// Answers the contract's cross-contract (smart) queries during a scenario.
pub type WasmHandler = dyn Fn(&WasmQuery) -> QuerierResult + 'static;

/// A contract instance plus the chain around it (block, accounts).
pub struct Harness {
    contract: String,
    instance: VmInstance,
    pub env: Env,
    pub api: MockApi,
    smart_queries: Arc<AtomicU64>,
    pub rows: Vec<Row>,
}

impl Harness {
    pub fn new(contract: &str, wasm: &[u8], balances: &[(&str, &[Coin])]) -> Result<Self> {
        let env = mock_env();
        let mut bal = balances.to_vec();
        let empty: &[Coin] = &[];
        let contract_addr = env.contract.address.to_string();
        if !bal.iter().any(|(a, _)| *a == contract_addr) {
            bal.push((&contract_addr, empty));
        }
        let backend = Backend {
            api: MockApi::default(),
            storage: SdkGasStorage::default(),
            querier: MockQuerier::new(&bal),
        };
        let instance = Instance::from_code(
            wasm,
            backend,
            InstanceOptions {
                gas_limit: GAS_LIMIT,
            },
            Some(MEMORY_LIMIT),
        )
        .with_context(|| format!("instantiating the {contract} wasm in the VM"))?;
        Ok(Harness {
            contract: contract.to_string(),
            instance,
            env,
            api: MockApi::default(),
            smart_queries: Arc::new(AtomicU64::new(0)),
            rows: Vec::new(),
        })
    }

    /// A valid address for a test account.
    pub fn addr(&self, name: &str) -> String {
        self.api.addr_make(name)
    }

    /// Install the answers to smart queries (counted for the SDK estimate).
    pub fn on_wasm_query(&mut self, handler: Box<WasmHandler>) {
        let counter = self.smart_queries.clone();
        let wrapped = move |q: &WasmQuery| {
            if matches!(q, WasmQuery::Smart { .. }) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            handler(q)
        };
        self.instance
            .with_querier(|q| {
                q.update_wasm(wrapped);
                Ok(())
            })
            .expect("mock querier is always available");
    }

    /// Move the chain `blocks` blocks forward.
    pub fn advance(&mut self, blocks: u64) {
        self.env.block.height += blocks;
        self.env.block.time = self.env.block.time.plus_seconds(blocks * BLOCK_SECONDS);
    }

    /// A valid address for each of `names`.
    pub fn addrs<const N: usize>(&self, names: [&str; N]) -> [String; N] {
        names.map(|n| self.addr(n))
    }

    /// Instantiate as `governance` and record a table row.
    pub fn instantiate(
        &mut self,
        label: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        let gov = self.addr("governance");
        self.call(label, true, Entry::Instantiate(info(&gov, funds)), msg)
    }

    /// Execute and record a table row.
    pub fn execute(
        &mut self,
        label: &str,
        sender: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        self.execute_as(label, true, sender, funds, msg)
    }

    /// Execute a setup step that sends `amount` of the denom (0: nothing):
    /// no row unless it fails (then named after the message).
    pub fn setup(&mut self, sender: &str, amount: u128, msg: &impl Serialize) -> Option<Response> {
        let label = serde_json::to_value(msg)
            .ok()
            .and_then(|v| v.as_object()?.keys().next().cloned())
            .unwrap_or_else(|| "setup".to_string());
        let funds = if amount == 0 {
            vec![]
        } else {
            cosmwasm_std::coins(amount, impulse_types::DEFAULT_DENOM)
        };
        self.execute_as(&label, false, sender, &funds, msg)
    }

    /// Execute; a table row when `show` (or when it fails).
    pub fn execute_as(
        &mut self,
        label: &str,
        show: bool,
        sender: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        self.call(label, show, Entry::Execute(info(sender, funds)), msg)
    }

    pub fn sudo(&mut self, label: &str, msg: &impl Serialize) -> Option<Response> {
        self.call(label, true, Entry::Sudo, msg)
    }

    /// Governance changes `params` by `change`, by message and by sudo
    /// (x/gov): a row each. Every contract takes the same JSON for both.
    pub fn update_params<P: Serialize>(
        &mut self,
        gov: &str,
        mut params: P,
        change: impl FnOnce(&mut P),
    ) {
        change(&mut params);
        let msg = serde_json::json!({ "update_params": { "params": params } });
        self.execute("update_params", gov, &[], &msg);
        self.sudo("sudo update_params", &msg);
    }

    /// Deliver a sub-message reply and record a table row.
    pub fn reply(&mut self, label: &str, reply: &cosmwasm_std::Reply) -> Option<Response> {
        self.call(label, true, Entry::Reply(reply), &reply.id)
    }

    /// Query and record a table row; the response JSON on success.
    pub fn query(&mut self, label: &str, msg: &impl Serialize) -> Option<Binary> {
        let bytes = self.serialize(label, msg)?;
        let env = self.env.clone();
        self.instance.set_storage_readonly(true);
        let before = self.snapshot();
        let result = call_query(&mut self.instance, &env, &bytes);
        let (wasm_gas, storage, queries) = self.spent_since(before);
        let (error, data) = outcome(result);
        let sdk =
            INSTANCE_COST + ceil_div(wasm_gas, GAS_MULTIPLIER) + storage + queries * INSTANCE_COST;
        self.push(label, wasm_gas, storage, sdk, error);
        data
    }

    /// Query and decode the answer (the query is a table row too).
    pub fn query_json<T: serde::de::DeserializeOwned>(
        &mut self,
        label: &str,
        msg: &impl Serialize,
    ) -> Result<T> {
        let data = self
            .query(label, msg)
            .with_context(|| format!("{label} failed"))?;
        cosmwasm_std::from_json(data).map_err(|e| anyhow::anyhow!("{label}: {e}"))
    }

    /// `msg` as JSON, or a failed row.
    fn serialize(&mut self, label: &str, msg: &impl Serialize) -> Option<Vec<u8>> {
        match serde_json::to_vec(msg) {
            Ok(b) => Some(b),
            Err(err) => {
                self.fail(label, format!("serializing the message: {err}"));
                None
            }
        }
    }

    fn call(
        &mut self,
        label: &str,
        show: bool,
        entry: Entry,
        msg: &impl Serialize,
    ) -> Option<Response> {
        let bytes = self.serialize(label, msg)?;
        let env = self.env.clone();
        self.instance.set_storage_readonly(false);
        let before = self.snapshot();
        let inst = &mut self.instance;
        let result = match &entry {
            Entry::Instantiate(info) => {
                call_instantiate::<_, _, _, Empty>(inst, &env, info, &bytes)
            }
            Entry::Execute(info) => call_execute::<_, _, _, Empty>(inst, &env, info, &bytes),
            Entry::Sudo => call_sudo::<_, _, _, Empty>(inst, &env, &bytes),
            Entry::Reply(reply) => call_reply::<_, _, _, Empty>(inst, &env, reply),
        };
        let (wasm_gas, storage, queries) = self.spent_since(before);
        let (error, response) = outcome(result);
        if error.is_none() && !show {
            return response;
        }
        let events = response
            .as_ref()
            .map(|r| event_costs(&r.attributes, &r.events))
            .unwrap_or(0);
        let sdk = INSTANCE_COST
            + ceil_div(wasm_gas, GAS_MULTIPLIER)
            + storage
            + events
            + queries * INSTANCE_COST;
        let label = if show {
            label.to_string()
        } else {
            format!("{label} (setup)")
        };
        self.push(&label, wasm_gas, storage, sdk, error);
        response
    }

    fn snapshot(&mut self) -> (u64, u64, u64) {
        let report = self.instance.create_gas_report();
        let storage = self
            .instance
            .with_storage(|s| Ok(s.sdk_gas()))
            .expect("storage is always available");
        (
            report.used_internally,
            storage,
            self.smart_queries.load(Ordering::Relaxed),
        )
    }

    /// (wasm gas, KV-store SDK gas, smart queries) since `before`.
    fn spent_since(&mut self, before: (u64, u64, u64)) -> (u64, u64, u64) {
        let now = self.snapshot();
        (
            now.0.saturating_sub(before.0),
            now.1.saturating_sub(before.1),
            now.2.saturating_sub(before.2),
        )
    }

    /// Record a step that could not even be attempted.
    pub fn fail(&mut self, label: &str, error: String) {
        self.push(label, 0, 0, 0, Some(error));
    }

    fn push(&mut self, label: &str, wasm_gas: u64, storage: u64, sdk: u64, error: Option<String>) {
        self.rows.push(Row {
            contract: self.contract.clone(),
            message: label.to_string(),
            wasm_gas,
            storage_sdk_gas: storage,
            sdk_gas_estimate: sdk,
            error,
        });
    }
}

/// Which entry point a call goes to.
enum Entry<'a> {
    Instantiate(MessageInfo),
    Execute(MessageInfo),
    Sudo,
    Reply(&'a cosmwasm_std::Reply),
}

/// (error, value) of a call: a contract error or a VM error, or the value.
fn outcome<T>(result: cosmwasm_vm::VmResult<ContractResult<T>>) -> (Option<String>, Option<T>) {
    match result {
        Ok(ContractResult::Ok(v)) => (None, Some(v)),
        Ok(ContractResult::Err(err)) => (Some(format!("contract error: {err}")), None),
        Err(err) => (Some(format!("VM error: {err}")), None),
    }
}

fn info(sender: &str, funds: &[Coin]) -> MessageInfo {
    MessageInfo {
        sender: cosmwasm_std::Addr::unchecked(sender),
        funds: funds.to_vec(),
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

/// wasmd's `EventCosts` for a response's attributes and custom events.
fn event_costs(attrs: &[cosmwasm_std::Attribute], events: &[Event]) -> u64 {
    fn attr_costs(attrs: &[cosmwasm_std::Attribute], free: u64) -> (u64, u64) {
        if attrs.is_empty() {
            return (0, free);
        }
        let bytes: u64 = attrs
            .iter()
            .map(|a| (a.key.len() + a.value.len()) as u64)
            .sum();
        let (charged, free) = if bytes <= free {
            (0, free - bytes)
        } else {
            (bytes - free, 0)
        };
        (
            charged * ATTRIBUTE_DATA_COST + PER_ATTRIBUTE_COST * attrs.len() as u64,
            free,
        )
    }
    let (mut gas, mut free) = attr_costs(attrs, ATTRIBUTE_DATA_FREE_TIER);
    for e in events {
        gas += PER_CUSTOM_EVENT_COST + e.ty.len() as u64 * ATTRIBUTE_DATA_COST;
        let (g, f) = attr_costs(&e.attributes, free);
        gas += g;
        free = f;
    }
    gas
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Attribute;

    #[test]
    fn event_costs_follow_wasmd() {
        // within the free tier: only the per-attribute cost
        let small = vec![Attribute::new("action", "stake")];
        assert_eq!(event_costs(&small, &[]), PER_ATTRIBUTE_COST);
        // 200 bytes: 100 charged
        let big = vec![Attribute::new("k", "v".repeat(199))];
        assert_eq!(event_costs(&big, &[]), 100 + PER_ATTRIBUTE_COST);
        // a custom event: flat + type bytes, free tier shared
        let ev = Event::new("wasm-slash").add_attribute("a", "b");
        assert_eq!(
            event_costs(&[], &[ev]),
            PER_CUSTOM_EVENT_COST + 10 + PER_ATTRIBUTE_COST
        );
    }
}

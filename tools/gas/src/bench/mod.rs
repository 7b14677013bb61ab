//! Gas bench: runs each contract's optimized wasm in `cosmwasm_vm` (the VM
//! wasmd embeds) through a scripted scenario and tabulates the gas of every
//! step. Gas is reported, never asserted: a step that errors shows its error
//! in the table and makes the command exit non-zero.
//!
//! Two numbers per step:
//! - **wasm gas**: CosmWasm gas spent executing the contract (Wasm operations
//!   and host calls), as metered by the VM itself;
//! - **SDK gas (est.)**: what wasmd (default `WasmGasRegister`) would charge
//!   the transaction for that call: instance cost + wasm gas / multiplier +
//!   KV-store gas (the Cosmos SDK's `KVGasConfig` on the contract's prefixed
//!   keys) + event costs + instance cost per cross-contract query (the queried
//!   contract's own execution is not included). It leaves out the ante handler
//!   (signature, tx size), which is paid once per transaction.

mod marketplace;
mod reputation;
mod rewards;
mod staking;
mod storage;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use cosmwasm_std::{
    Binary, Coin, ContractResult, Empty, Env, Event, MessageInfo, QuerierResult, Response,
    SystemError, SystemResult, WasmQuery,
};
use cosmwasm_vm::testing::{mock_env, MockApi, MockQuerier};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, call_reply, call_sudo, Backend, Instance,
    InstanceOptions, Size,
};
use serde::Serialize;

use crate::registry;
use storage::SdkGasStorage;

/// wasmd's `DefaultGasMultiplier`: CosmWasm gas per SDK gas.
pub const GAS_MULTIPLIER: u64 = 140_000_000;
/// wasmd's `DefaultInstanceCost`: SDK gas per contract instance (unpinned).
pub const INSTANCE_COST: u64 = 60_000;
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

/// One row of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub contract: String,
    pub message: String,
    pub wasm_gas: u64,
    pub storage_sdk_gas: u64,
    pub sdk_gas_estimate: u64,
    pub error: Option<String>,
}

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

    pub fn instantiate(
        &mut self,
        label: &str,
        sender: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        let info = info(sender, funds);
        let env = self.env.clone();
        self.call(
            label,
            true,
            |inst, bytes| call_instantiate::<_, _, _, Empty>(inst, &env, &info, bytes),
            msg,
        )
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

    /// Execute a setup step: no row unless it fails.
    pub fn setup(
        &mut self,
        label: &str,
        sender: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        self.execute_as(label, false, sender, funds, msg)
    }

    fn execute_as(
        &mut self,
        label: &str,
        show: bool,
        sender: &str,
        funds: &[Coin],
        msg: &impl Serialize,
    ) -> Option<Response> {
        let info = info(sender, funds);
        let env = self.env.clone();
        self.call(
            label,
            show,
            |inst, bytes| call_execute::<_, _, _, Empty>(inst, &env, &info, bytes),
            msg,
        )
    }

    pub fn sudo(&mut self, label: &str, msg: &impl Serialize) -> Option<Response> {
        let env = self.env.clone();
        self.call(
            label,
            true,
            |inst, bytes| call_sudo::<_, _, _, Empty>(inst, &env, bytes),
            msg,
        )
    }

    /// Deliver a sub-message reply and record a table row.
    pub fn reply(&mut self, label: &str, reply: &cosmwasm_std::Reply) -> Option<Response> {
        let env = self.env.clone();
        self.call(
            label,
            true,
            |inst, _| call_reply::<_, _, _, Empty>(inst, &env, reply),
            &reply.id,
        )
    }

    /// Query and record a table row; the response JSON on success.
    pub fn query(&mut self, label: &str, msg: &impl Serialize) -> Option<Binary> {
        let bytes = match serde_json::to_vec(msg) {
            Ok(b) => b,
            Err(err) => {
                self.fail(label, format!("serializing the message: {err}"));
                return None;
            }
        };
        let env = self.env.clone();
        self.instance.set_storage_readonly(true);
        let before = self.snapshot();
        let result = call_query(&mut self.instance, &env, &bytes);
        let (wasm_gas, storage, queries) = self.spent_since(before);
        let (error, data) = match result {
            Ok(ContractResult::Ok(data)) => (None, Some(data)),
            Ok(ContractResult::Err(err)) => (Some(format!("contract error: {err}")), None),
            Err(err) => (Some(format!("VM error: {err}")), None),
        };
        let sdk =
            INSTANCE_COST + ceil_div(wasm_gas, GAS_MULTIPLIER) + storage + queries * INSTANCE_COST;
        self.push(label, wasm_gas, storage, sdk, error);
        data
    }

    fn call(
        &mut self,
        label: &str,
        show: bool,
        f: impl FnOnce(&mut VmInstance, &[u8]) -> cosmwasm_vm::VmResult<ContractResult<Response>>,
        msg: &impl Serialize,
    ) -> Option<Response> {
        let bytes = match serde_json::to_vec(msg) {
            Ok(b) => b,
            Err(err) => {
                self.fail(label, format!("serializing the message: {err}"));
                return None;
            }
        };
        self.instance.set_storage_readonly(false);
        let before = self.snapshot();
        let result = f(&mut self.instance, &bytes);
        let (wasm_gas, storage, queries) = self.spent_since(before);
        let (error, response) = match result {
            Ok(ContractResult::Ok(res)) => (None, Some(res)),
            Ok(ContractResult::Err(err)) => (Some(format!("contract error: {err}")), None),
            Err(err) => (Some(format!("VM error: {err}")), None),
        };
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

/// A smart-query answer for the mock querier.
pub fn answer(json: &impl Serialize) -> QuerierResult {
    match cosmwasm_std::to_json_binary(json) {
        Ok(bin) => SystemResult::Ok(ContractResult::Ok(bin)),
        Err(err) => SystemResult::Err(SystemError::InvalidResponse {
            error: err.to_string(),
            response: Binary::default(),
        }),
    }
}

/// Contract scenario: fills the harness rows.
type Scenario = fn(&[u8]) -> Result<Vec<Row>>;

/// The scenario of each contract; contracts without one are reported, not
/// failed, so a new contract can land before its bench.
fn scenario_of(package: &str) -> Option<Scenario> {
    match package {
        "impulse-staking" => Some(staking::scenario),
        "impulse-reputation" => Some(reputation::scenario),
        "impulse-rewards" => Some(rewards::scenario),
        "impulse-marketplace" => Some(marketplace::scenario),
        _ => None,
    }
}

pub fn run(artifacts: &Path, json: Option<&Path>) -> Result<bool> {
    let mut rows = Vec::new();
    let mut ok = true;
    let mut notes = Vec::new();
    for c in registry::contracts()? {
        let path = artifacts.join(c.wasm_file());
        let Some(scenario) = scenario_of(&c.package) else {
            notes.push(format!(
                "note: {} has no bench scenario (add one in tools/gas/src/bench/)",
                c.package
            ));
            continue;
        };
        let wasm = match std::fs::read(&path) {
            Ok(w) => w,
            Err(err) => {
                ok = false;
                rows.push(Row {
                    contract: c.package.clone(),
                    message: "(load wasm)".into(),
                    wasm_gas: 0,
                    storage_sdk_gas: 0,
                    sdk_gas_estimate: 0,
                    error: Some(format!(
                        "{}: {err} (run ci/build-wasm.sh first)",
                        path.display()
                    )),
                });
                continue;
            }
        };
        match scenario(&wasm) {
            Ok(r) => rows.extend(r),
            Err(err) => rows.push(Row {
                contract: c.package.clone(),
                message: "(scenario)".into(),
                wasm_gas: 0,
                storage_sdk_gas: 0,
                sdk_gas_estimate: 0,
                error: Some(format!("{err:#}")),
            }),
        }
    }
    let failures = rows.iter().filter(|r| r.error.is_some()).count();
    ok &= failures == 0;

    print_table(&rows);
    for n in &notes {
        println!("{n}");
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&rows)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    if failures > 0 {
        println!("{failures} step(s) FAILED (see the error rows above)");
    }
    Ok(ok)
}

fn print_table(rows: &[Row]) {
    println!("| contract | message | wasm gas | KV SDK gas | SDK gas (est.) |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in rows {
        match &r.error {
            None => println!(
                "| {} | {} | {} | {} | {} |",
                r.contract,
                r.message,
                group(r.wasm_gas),
                group(r.storage_sdk_gas),
                group(r.sdk_gas_estimate)
            ),
            Some(err) => {
                let err = err.replace('|', "\\|").replace('\n', " ");
                println!("| {} | {} | ERROR: {} | | |", r.contract, r.message, err);
            }
        }
    }
    println!();
    println!(
        "wasm gas: CosmWasm gas metered by cosmwasm-vm. SDK gas (est.): wasmd defaults \
         (instance {INSTANCE_COST} + wasm gas / {GAS_MULTIPLIER} + KV-store gas + events \
         + {INSTANCE_COST} per cross-contract query), without the ante handler."
    );
}

/// 1234567 -> "1_234_567".
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Attribute;

    #[test]
    fn groups_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1_000");
        assert_eq!(group(1234567), "1_234_567");
    }

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

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

mod harness;
mod marketplace;
mod mocks;
mod reputation;
mod rewards;
mod staking;
mod storage;

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::registry;
pub use harness::{Harness, WasmHandler};

/// wasmd's `DefaultGasMultiplier`: CosmWasm gas per SDK gas.
pub const GAS_MULTIPLIER: u64 = 140_000_000;
/// wasmd's `DefaultInstanceCost`: SDK gas per contract instance (unpinned).
pub const INSTANCE_COST: u64 = 60_000;

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
    impulse_types::common::group_digits(n.into(), '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1_000");
        assert_eq!(group(1234567), "1_234_567");
    }
}

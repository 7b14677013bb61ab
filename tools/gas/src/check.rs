//! What wasmd checks when code is stored: the static analysis of
//! `cosmwasm_vm` against the chain's capabilities, then a compile (this is
//! what the `cosmwasm-check` tool does).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cosmwasm_vm::internals::{check_wasm, compile_module, Logger};
use cosmwasm_vm::{capabilities_from_csv, WasmLimits};

/// Capabilities of wasmd (v0.55+, wasmvm 3). `cosmwasm_3_0` is not among
/// them: a contract that needs it would be rejected on upload.
pub const WASMD_CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,\
cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,ibc2";

pub fn capabilities() -> HashSet<String> {
    capabilities_from_csv(WASMD_CAPABILITIES)
}

/// Checks every file; prints `OK`/`FAIL` per file. `Ok(false)` if any failed.
pub fn run(files: &[PathBuf]) -> Result<bool> {
    if files.is_empty() {
        anyhow::bail!("no wasm file to check");
    }
    let caps = capabilities();
    let mut failed = 0;
    for file in files {
        match check_file(file, &caps) {
            Ok(size) => println!("OK    {} ({} bytes)", file.display(), size),
            Err(err) => {
                failed += 1;
                println!("FAIL  {}: {err:#}", file.display());
            }
        }
    }
    if failed == 0 {
        println!("all {} contract(s) pass the VM checks", files.len());
    } else {
        println!(
            "{failed} of {} contract(s) FAILED the VM checks",
            files.len()
        );
    }
    Ok(failed == 0)
}

fn check_file(path: &Path, caps: &HashSet<String>) -> Result<usize> {
    let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    check_wasm(&wasm, caps, &WasmLimits::default(), Logger::Off).context("static check")?;
    compile_module(&wasm, None).context("compile")?;
    Ok(wasm.len())
}

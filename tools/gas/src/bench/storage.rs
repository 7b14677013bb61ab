//! A `MockStorage` that charges what wasmd charges for storage: the Cosmos
//! SDK's `KVGasConfig` (flat + per byte) on keys that carry wasmd's contract
//! prefix. Like wasmvm, it reports that gas to the VM multiplied by the gas
//! multiplier, and keeps the SDK-gas total for the table.

use std::sync::atomic::{AtomicU64, Ordering};

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::testing::MockStorage;
use cosmwasm_vm::{BackendResult, GasInfo, Storage};

use super::GAS_MULTIPLIER;

/// cosmos-sdk `store/types/gas.go`: the gas of each store operation.
struct KvGasConfig {
    delete: u64,
    read_flat: u64,
    read_per_byte: u64,
    write_flat: u64,
    write_per_byte: u64,
    iter_next_flat: u64,
}

/// `KVGasConfig()`, what wasmd charges a contract's store.
const KV: KvGasConfig = KvGasConfig {
    delete: 1_000,
    read_flat: 1_000,
    read_per_byte: 3,
    write_flat: 2_000,
    write_per_byte: 30,
    iter_next_flat: 30,
};
/// wasmd stores a contract's keys under `0x03 || contract address` (32 bytes).
const KEY_PREFIX_LEN: u64 = 1 + 32;

#[derive(Default)]
pub struct SdkGasStorage {
    inner: MockStorage,
    /// An atomic because `Storage::get` takes `&self`.
    sdk_gas: AtomicU64,
}

impl SdkGasStorage {
    /// SDK gas charged for storage so far.
    pub fn sdk_gas(&self) -> u64 {
        self.sdk_gas.load(Ordering::Relaxed)
    }

    fn charge(&self, sdk: u64) -> GasInfo {
        self.sdk_gas.fetch_add(sdk, Ordering::Relaxed);
        GasInfo::with_externally_used(sdk * GAS_MULTIPLIER)
    }
}

fn key_len(key: &[u8]) -> u64 {
    key.len() as u64 + KEY_PREFIX_LEN
}

impl Storage for SdkGasStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let (value, _) = self.inner.get(key);
        let sdk = match &value {
            Ok(v) => {
                KV.read_flat
                    + KV.read_per_byte
                        * (key_len(key) + v.as_ref().map(|v| v.len() as u64).unwrap_or(0))
            }
            Err(_) => KV.read_flat,
        };
        let gas = self.charge(sdk);
        (value, gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let (id, _) = self.inner.scan(start, end, order);
        (id, GasInfo::free())
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let (item, _) = self.inner.next(iterator_id);
        let sdk = match &item {
            Ok(Some((k, v))) => {
                KV.iter_next_flat + KV.read_per_byte * (key_len(k) + v.len() as u64)
            }
            _ => KV.iter_next_flat,
        };
        let gas = self.charge(sdk);
        (item, gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let (res, _) = self.inner.set(key, value);
        let gas =
            self.charge(KV.write_flat + KV.write_per_byte * (key_len(key) + value.len() as u64));
        (res, gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let (res, _) = self.inner.remove(key);
        let gas = self.charge(KV.delete);
        (res, gas)
    }
}

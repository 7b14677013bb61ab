//! Types used by more than one contract (protocol.md sections 1, 2 and 9).

use cosmwasm_schema::cw_serde;

/// The chain's native denom on the localnet; a governance parameter elsewhere.
pub const DEFAULT_DENOM: &str = "uimp";

/// Default page size of every list query.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest page any list query returns, whatever the caller asks for.
pub const MAX_LIMIT: u32 = 100;

/// Clamp a caller's page size to `[1, MAX_LIMIT]`, `DEFAULT_LIMIT` when absent.
pub fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

/// `n` with `sep` between every three digits: `group_digits(1234567, ',')`
/// is `"1,234,567"`. How amounts and gas are shown to people (the CLI, the
/// demo report, the gas table).
pub fn group_digits(n: u128, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// The compute backend a provider trains on. Replay is bit-for-bit only within
/// one backend family, so jobs, provers and verifiers are matched on it.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub enum Backend {
    Cpu,
    Cuda,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda => "cuda",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a provider advertises it can run at once.
#[cw_serde]
#[derive(Copy, Eq, Default)]
pub struct Capacity {
    /// Accelerator (or host) memory in GiB.
    pub memory_gib: u32,
    /// Number of devices (GPUs, or CPU sockets for the `cpu` backend).
    pub devices: u32,
}

impl Capacity {
    /// Whether `need` fits in what is left of `self` after `used`.
    pub fn fits(&self, used: &Capacity, need: &Capacity) -> bool {
        let mem = used.memory_gib.checked_add(need.memory_gib);
        let dev = used.devices.checked_add(need.devices);
        matches!((mem, dev), (Some(m), Some(d)) if m <= self.memory_gib && d <= self.devices)
    }
}

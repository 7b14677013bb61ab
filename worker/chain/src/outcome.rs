//! What an included, successful transaction gave back: one shape for every
//! implementation of the `Chain` interface (wasmd fills every field, the
//! embedded chain only those it has).

use serde::{Deserialize, Serialize};

use crate::config::Coin;
use crate::events::{ContractEvent, TxEvent};

/// An included, successful transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOutcome {
    /// Height of the block that included it.
    pub height: u64,
    /// Transaction hash on wasmd; a synthetic id (`embedded-<height>-<n>`) on
    /// the embedded chain.
    pub tx_hash: String,
    /// The contract events (`wasm`, `wasm-*`), in emission order.
    pub events: Vec<ContractEvent>,
    /// The data the executed contract set on its response, when the
    /// implementation exposes it (the embedded chain does; wasmd leaves it
    /// `None`).
    pub data: Option<Vec<u8>>,
    /// Every event of the transaction, the SDK's included (`transfer`,
    /// `store_code`, `submit_proposal`...); empty on the embedded chain.
    pub tx_events: Vec<TxEvent>,
    /// Gas limit the transaction was signed with (0 on the embedded chain,
    /// which meters no gas).
    pub gas_wanted: u64,
    /// Gas it used (0 on the embedded chain).
    pub gas_used: u64,
    /// The fee paid (zero and no denom on the embedded chain).
    pub fee: Coin,
    /// The `timeout_height` it was signed with (0 on the embedded chain).
    pub timeout_height: u64,
}

impl TxOutcome {
    /// The first value of attribute `key` in any contract event of type `ty`
    /// (`wasm` or a custom type without the `wasm-` prefix).
    pub fn attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .find_map(|e| e.attr(key))
    }

    /// Every value of attribute `key` in contract events of type `ty`, in
    /// order.
    pub fn attrs(&self, ty: &str, key: &str) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .flat_map(|e| e.attributes.iter())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of attribute `key` in a transaction event of type
    /// `ty` (the full event type, e.g. `store_code`).
    pub fn event_attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.tx_events
            .iter()
            .filter(|e| e.ty == ty)
            .find_map(|e| e.attr(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_of_contract_and_transaction_events() {
        let out = TxOutcome {
            events: vec![
                ContractEvent::new("wasm1c", "wasm", &[("job_id", "1"), ("job_id", "2")]),
                ContractEvent::new("wasm1c", "job", &[("job_id", "3")]),
            ],
            tx_events: vec![TxEvent::new("store_code", &[("code_id", "7")])],
            ..TxOutcome::default()
        };
        assert_eq!(out.attr("wasm", "job_id"), Some("1"));
        assert_eq!(out.attrs("wasm", "job_id"), vec!["1", "2"]);
        assert_eq!(out.attr("job", "job_id"), Some("3"));
        assert_eq!(out.attr("wasm", "code_id"), None);
        assert_eq!(out.event_attr("store_code", "code_id"), Some("7"));
    }
}

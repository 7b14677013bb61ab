//! Events of an included transaction, and the contract events among them.

use serde::{Deserialize, Serialize};

/// One ABCI event of a transaction, as emitted by the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxEvent {
    /// Event type, e.g. `transfer`, `wasm`, `wasm-impulse_register`.
    pub ty: String,
    /// Attributes in emission order.
    pub attributes: Vec<(String, String)>,
}

impl TxEvent {
    /// An event of type `ty` with these attributes, in this order.
    pub fn new(ty: &str, attributes: &[(&str, &str)]) -> Self {
        TxEvent {
            ty: ty.to_string(),
            attributes: owned(attributes),
        }
    }

    /// The first value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        first_value(&self.attributes, key)
    }
}

fn owned(attributes: &[(&str, &str)]) -> Vec<(String, String)> {
    attributes
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The first value of attribute `key` among `attributes`.
fn first_value<'a>(attributes: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// An event emitted by a contract: the `wasm` event (the response's
/// attributes) or a custom `wasm-<type>` event (`Event::new(<type>)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractEvent {
    /// Address of the contract that emitted it (`_contract_address`).
    pub contract: String,
    /// `wasm` for the response's attributes, otherwise the custom type
    /// without the `wasm-` prefix.
    pub ty: String,
    /// Attributes in emission order, without `_contract_address` and the
    /// SDK's `msg_index`.
    pub attributes: Vec<(String, String)>,
}

impl ContractEvent {
    /// An event of type `ty` emitted by `contract`, with these attributes.
    pub fn new(contract: &str, ty: &str, attributes: &[(&str, &str)]) -> Self {
        ContractEvent {
            contract: contract.to_string(),
            ty: ty.to_string(),
            attributes: owned(attributes),
        }
    }

    /// The first value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        first_value(&self.attributes, key)
    }
}

/// Attribute carrying the emitting contract's address in wasmd events.
pub const CONTRACT_ADDRESS_ATTR: &str = "_contract_address";

/// Picks the contract events (`wasm`, `wasm-*`) out of a transaction's
/// events, in order. An event without `_contract_address` is not a
/// contract's and is skipped.
pub fn contract_events(events: &[TxEvent]) -> Vec<ContractEvent> {
    events
        .iter()
        .filter_map(|e| {
            let ty = if e.ty == "wasm" {
                "wasm".to_string()
            } else {
                e.ty.strip_prefix("wasm-")?.to_string()
            };
            let contract = e.attr(CONTRACT_ADDRESS_ATTR)?.to_string();
            let attributes = e
                .attributes
                .iter()
                .filter(|(k, _)| k != CONTRACT_ADDRESS_ATTR && k != "msg_index")
                .cloned()
                .collect();
            Some(ContractEvent {
                contract,
                ty,
                attributes,
            })
        })
        .collect()
}

pub(crate) fn from_abci(events: Vec<cosmos_sdk_proto::tendermint::abci::Event>) -> Vec<TxEvent> {
    events
        .into_iter()
        .map(|e| TxEvent {
            ty: e.r#type,
            attributes: e.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_wasm_and_custom_events_only() {
        let events = vec![
            TxEvent::new("tx", &[("fee", "10uimp")]),
            TxEvent::new(
                "wasm",
                &[
                    ("_contract_address", "wasm1c"),
                    ("action", "register"),
                    ("msg_index", "0"),
                ],
            ),
            TxEvent::new(
                "wasm-impulse_register",
                &[("_contract_address", "wasm1c"), ("provider", "wasm1p")],
            ),
            TxEvent::new("wasm-orphan", &[("x", "1")]),
            TxEvent::new("wasmx", &[("_contract_address", "wasm1c")]),
        ];
        let got = contract_events(&events);
        assert_eq!(
            got,
            vec![
                ContractEvent {
                    contract: "wasm1c".into(),
                    ty: "wasm".into(),
                    attributes: vec![("action".into(), "register".into())],
                },
                ContractEvent {
                    contract: "wasm1c".into(),
                    ty: "impulse_register".into(),
                    attributes: vec![("provider".into(), "wasm1p".into())],
                },
            ]
        );
        assert_eq!(got[1].attr("provider"), Some("wasm1p"));
        assert_eq!(events[0].attr("fee"), Some("10uimp"));
    }
}

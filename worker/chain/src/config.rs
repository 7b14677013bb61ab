//! Connection, fee and retry settings of the chain client, and the coin
//! amounts transactions carry.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use serde::{Deserialize, Serialize};

use crate::keys::DEFAULT_PREFIX;

/// Connection, fee and retry settings.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// gRPC endpoint of the node, e.g. `http://127.0.0.1:9090`.
    pub grpc_endpoint: String,
    /// Chain id every transaction is signed for; checked against the node.
    pub chain_id: String,
    /// bech32 prefix of account addresses.
    pub prefix: String,
    /// Denom fees are paid in.
    pub fee_denom: String,
    /// Fee per unit of gas, in `fee_denom`.
    pub gas_price: f64,
    /// Gas limit = simulated gas used × this margin.
    pub gas_adjustment: f64,
    /// Every transaction gets `timeout_height = latest height + this`.
    pub timeout_height_blocks: u64,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Per-request timeout of every gRPC call.
    pub request_timeout: Duration,
    /// How long to wait for an accepted transaction to be included.
    pub inclusion_timeout: Duration,
    /// Interval between polls (inclusion, blocks, proposals).
    pub poll_interval: Duration,
    /// Refresh-and-retry rounds on an account sequence mismatch.
    pub max_sequence_retries: u32,
    /// Longest a single block may take before a wait for blocks gives up.
    pub block_timeout: Duration,
}

impl ChainConfig {
    /// Defaults for the localnet of `localnet/` (chain `impulse-local`,
    /// denom `uimp`, gRPC on 127.0.0.1:9090).
    pub fn localnet() -> ChainConfig {
        ChainConfig {
            grpc_endpoint: "http://127.0.0.1:9090".into(),
            chain_id: "impulse-local".into(),
            prefix: DEFAULT_PREFIX.into(),
            fee_denom: "uimp".into(),
            gas_price: 0.025,
            gas_adjustment: 1.3,
            timeout_height_blocks: 50,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            inclusion_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            max_sequence_retries: 3,
            block_timeout: Duration::from_secs(10),
        }
    }

    /// The same settings against another gRPC endpoint.
    pub fn with_endpoint(mut self, grpc_endpoint: impl Into<String>) -> ChainConfig {
        self.grpc_endpoint = grpc_endpoint.into();
        self
    }
}

/// An amount of one denom.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(amount: u128, denom: impl Into<String>) -> Coin {
        Coin {
            denom: denom.into(),
            amount,
        }
    }

    pub(crate) fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl From<Coin> for ProtoCoin {
    fn from(c: Coin) -> ProtoCoin {
        c.to_proto()
    }
}

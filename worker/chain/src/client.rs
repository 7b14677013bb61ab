//! The gRPC chain client: one connection and one signing key. This file
//! holds the connection and the plain reads (node info, heights, balances);
//! transactions are in `tx.rs`, wasm messages and smart queries in
//! `wasm.rs`, x/gov in `gov.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    query_client::QueryClient as BankQuery, QueryBalanceRequest,
};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    service_client::ServiceClient as TmService, GetLatestBlockRequest, GetNodeInfoRequest,
};
use tokio::sync::Mutex;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

use crate::config::ChainConfig;
use crate::error::{ChainError, Result};
use crate::keys::Signer;

/// The signer's account number and next sequence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Account {
    pub(crate) number: u64,
    pub(crate) sequence: u64,
}

/// A client for one signing key on one chain. Transactions of one client
/// are serialised (each waits for the previous to be included); use one
/// client per key.
pub struct ChainClient {
    pub(crate) config: ChainConfig,
    pub(crate) channel: Channel,
    pub(crate) signer: Signer,
    pub(crate) chain_id: cosmrs::tendermint::chain::Id,
    /// Account number and sequence, read from the chain on first use and
    /// advanced locally; `None` forces a re-read (see `tx.rs`).
    pub(crate) account: Mutex<Option<Account>>,
    pub(crate) sequence_refreshes: AtomicU64,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient")
            .field("endpoint", &self.config.grpc_endpoint)
            .field("chain_id", &self.config.chain_id)
            .field("address", &self.address())
            .finish_non_exhaustive()
    }
}

impl ChainClient {
    /// Connects to the node's gRPC endpoint and checks that it serves
    /// `config.chain_id`. The channel reconnects by itself after the node
    /// restarts; calls made while it is down fail with
    /// [`ChainError::Connection`].
    pub async fn connect(config: ChainConfig, signer: Signer) -> Result<ChainClient, ChainError> {
        let invalid = |reason: String| ChainError::InvalidEndpoint {
            endpoint: config.grpc_endpoint.clone(),
            reason,
        };
        let endpoint = Endpoint::from_shared(config.grpc_endpoint.clone())
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .tcp_nodelay(true);
        let chain_id = config
            .chain_id
            .parse()
            .map_err(|e| invalid(format!("chain id {:?}: {e}", config.chain_id)))?;
        let client = ChainClient {
            channel: endpoint.connect_lazy(),
            signer,
            chain_id,
            config,
            account: Mutex::new(None),
            sequence_refreshes: AtomicU64::new(0),
        };
        let network = client.node_network().await?;
        if network != client.config.chain_id {
            return Err(ChainError::Grpc {
                method: "GetNodeInfo",
                code: Code::FailedPrecondition,
                message: format!(
                    "node serves chain {network:?}, expected {:?}",
                    client.config.chain_id
                ),
            });
        }
        Ok(client)
    }

    /// The signer's bech32 address.
    pub fn address(&self) -> String {
        self.signer.address().to_string()
    }

    /// Changes the fee per unit of gas for the following transactions.
    pub fn set_gas_price(&mut self, gas_price: f64) {
        self.config.gas_price = gas_price;
    }

    /// The configuration in use.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// How many times the account was re-read from the chain after a
    /// sequence mismatch (for monitoring and tests).
    pub fn sequence_refreshes(&self) -> u64 {
        self.sequence_refreshes.load(Ordering::Relaxed)
    }

    /// Maps a gRPC status: unreachable node and timeouts become
    /// [`ChainError::Connection`], anything else [`ChainError::Grpc`].
    pub(crate) fn status(&self, method: &'static str, s: tonic::Status) -> ChainError {
        let message = s.message().to_string();
        let lower = message.to_ascii_lowercase();
        let connection = match s.code() {
            Code::Unavailable | Code::DeadlineExceeded => true,
            Code::Cancelled | Code::Unknown => {
                lower.contains("timeout")
                    || lower.contains("transport")
                    || lower.contains("connect")
                    || lower.contains("broken pipe")
                    || lower.contains("h2 protocol")
            }
            _ => false,
        };
        if connection {
            ChainError::Connection {
                endpoint: self.config.grpc_endpoint.clone(),
                method,
                message,
            }
        } else {
            ChainError::Grpc {
                method,
                code: s.code(),
                message,
            }
        }
    }

    async fn node_network(&self) -> Result<String, ChainError> {
        let info = TmService::new(self.channel.clone())
            .get_node_info(GetNodeInfoRequest {})
            .await
            .map_err(|s| self.status("GetNodeInfo", s))?
            .into_inner();
        info.default_node_info
            .map(|n| n.network)
            .ok_or_else(|| ChainError::Decode("GetNodeInfo without node info".into()))
    }

    /// Height of the latest block.
    pub async fn latest_height(&self) -> Result<u64, ChainError> {
        let r = TmService::new(self.channel.clone())
            .get_latest_block(GetLatestBlockRequest {})
            .await
            .map_err(|s| self.status("GetLatestBlock", s))?
            .into_inner();
        let height = r
            .sdk_block
            .and_then(|b| b.header)
            .map(|h| h.height)
            .or_else(|| r.block.and_then(|b| b.header).map(|h| h.height))
            .ok_or_else(|| ChainError::Decode("latest block without a header".into()))?;
        u64::try_from(height).map_err(|_| ChainError::Decode(format!("negative height {height}")))
    }

    /// Waits until the chain is at `height` or above; the height reached.
    /// Gives up after `block_timeout` per block still to come.
    pub async fn wait_until_height(&self, height: u64) -> Result<u64, ChainError> {
        let mut h = self.latest_height().await?;
        let blocks = u32::try_from(height.saturating_sub(h).max(1)).unwrap_or(u32::MAX);
        let timeout = self.config.block_timeout.saturating_mul(blocks);
        let deadline = Instant::now() + timeout;
        loop {
            if h >= height {
                return Ok(h);
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout {
                    what: format!("height {height} (at {h})"),
                    timeout,
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
            h = self.latest_height().await?;
        }
    }

    /// Waits until `n` more blocks have been produced; the height reached.
    pub async fn wait_for_blocks(&self, n: u64) -> Result<u64, ChainError> {
        let start = self.latest_height().await?;
        self.wait_until_height(start.saturating_add(n)).await
    }

    /// Balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128, ChainError> {
        let r = BankQuery::new(self.channel.clone())
            .balance(QueryBalanceRequest {
                address: address.to_string(),
                denom: denom.to_string(),
            })
            .await
            .map_err(|s| self.status("Balance", s))?
            .into_inner();
        match r.balance {
            None => Ok(0),
            Some(c) => c
                .amount
                .parse()
                .map_err(|_| ChainError::Decode(format!("balance amount {:?}", c.amount))),
        }
    }

    pub(crate) fn channel(&self) -> Channel {
        self.channel.clone()
    }
}

//! The gRPC chain client: connection, queries, signing and broadcasting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    query_client::QueryClient as AuthQuery, BaseAccount, QueryAccountRequest,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    query_client::QueryClient as BankQuery, QueryBalanceRequest,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    service_client::ServiceClient as TmService, GetLatestBlockRequest, GetNodeInfoRequest,
};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    service_client::ServiceClient as TxService, BroadcastMode, BroadcastTxRequest, GetTxRequest,
    SimulateRequest,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    query_client::QueryClient as WasmQuery, MsgExecuteContract, MsgInstantiateContract,
    MsgStoreCode, QuerySmartContractStateRequest,
};
use cosmos_sdk_proto::Any;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

use crate::error::{ChainError, KeyError};
use crate::events::{self, ContractEvent, TxEvent};
use crate::keys::{Signer, DEFAULT_PREFIX};

/// Result type of the client.
pub type Result<T> = std::result::Result<T, ChainError>;

/// Gas limit written into the transaction that is simulated (the
/// simulation itself runs without a limit).
const SIM_GAS_LIMIT: u64 = 1_000_000;

/// ABCI code of `sdkerrors.ErrOutOfGas` (codespace `sdk`).
const CODE_OUT_OF_GAS: u32 = 11;

/// ABCI code of `sdkerrors.ErrWrongSequence` (codespace `sdk`).
const CODE_WRONG_SEQUENCE: u32 = 32;

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
    /// Longest a single block may take before `wait_for_blocks` gives up.
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

    fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

/// An included, successful transaction.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    pub txhash: String,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    /// The fee paid.
    pub fee: Coin,
    /// The `timeout_height` the transaction was signed with.
    pub timeout_height: u64,
    /// All events of the transaction.
    pub events: Vec<TxEvent>,
}

impl TxOutcome {
    /// The contract events (`wasm`, `wasm-*`) in order.
    pub fn contract_events(&self) -> Vec<ContractEvent> {
        events::contract_events(&self.events)
    }

    /// The first value of attribute `key` in an event of type `ty`.
    pub fn event_attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .find_map(|e| e.attr(key))
    }
}

/// Gas limit and fee amount for a simulated gas use: `ceil(used × margin)`
/// and `ceil(limit × price)`.
pub fn gas_and_fee(gas_used: u64, gas_adjustment: f64, gas_price: f64) -> (u64, u128) {
    let limit = (gas_used as f64 * gas_adjustment).ceil().max(1.0) as u64;
    let fee = (limit as f64 * gas_price).ceil() as u128;
    (limit, fee)
}

#[derive(Clone, Copy, Debug)]
struct Account {
    number: u64,
    sequence: u64,
}

/// One attempt at a transaction.
enum Attempt {
    /// Accepted by CheckTx under this hash.
    Accepted(String),
    /// Account sequence mismatch: refresh and retry.
    WrongSequence(String),
}

/// A client for one signing key on one chain. Transactions of one client
/// are serialised (each waits for the previous to be included); use one
/// client per key.
pub struct ChainClient {
    config: ChainConfig,
    channel: Channel,
    signer: Signer,
    chain_id: cosmrs::tendermint::chain::Id,
    account: Mutex<Option<Account>>,
    sequence_refreshes: AtomicU64,
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
    pub async fn connect(config: ChainConfig, signer: Signer) -> Result<ChainClient> {
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

    async fn node_network(&self) -> Result<String> {
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
    pub async fn latest_height(&self) -> Result<u64> {
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

    /// Waits until `n` more blocks have been produced.
    pub async fn wait_for_blocks(&self, n: u64) -> Result<u64> {
        let start = self.latest_height().await?;
        let target = start.saturating_add(n);
        let timeout = self
            .config
            .block_timeout
            .saturating_mul(u32::try_from(n.max(1)).unwrap_or(u32::MAX));
        let deadline = Instant::now() + timeout;
        loop {
            let h = self.latest_height().await?;
            if h >= target {
                return Ok(h);
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout {
                    what: format!("height {target} (at {h})"),
                    timeout,
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    /// Balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
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

    /// A smart query, decoded from JSON into `T`.
    pub async fn query_smart<Q: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<T> {
        let query_data = serde_json::to_vec(query).map_err(|source| ChainError::Json {
            context: "encoding a smart query".into(),
            source,
        })?;
        let r = WasmQuery::new(self.channel.clone())
            .smart_contract_state(QuerySmartContractStateRequest {
                address: contract.to_string(),
                query_data,
            })
            .await
            .map_err(|s| match self.status("SmartContractState", s) {
                ChainError::Grpc { message, .. } => ChainError::Query {
                    contract: contract.to_string(),
                    message,
                },
                other => other,
            })?
            .into_inner();
        serde_json::from_slice(&r.data).map_err(|source| ChainError::Json {
            context: format!("decoding the smart query response of {contract}"),
            source,
        })
    }

    async fn query_account(&self) -> Result<Account> {
        let address = self.address();
        let r = AuthQuery::new(self.channel.clone())
            .account(QueryAccountRequest {
                address: address.clone(),
            })
            .await;
        let any = match r {
            Ok(r) => r.into_inner().account,
            Err(s) if s.code() == Code::NotFound => {
                return Err(ChainError::AccountNotFound { address })
            }
            Err(s) => return Err(self.status("Account", s)),
        }
        .ok_or_else(|| ChainError::AccountNotFound {
            address: address.clone(),
        })?;
        if any.type_url != "/cosmos.auth.v1beta1.BaseAccount" {
            return Err(ChainError::Decode(format!(
                "account {address} is a {}, not a BaseAccount",
                any.type_url
            )));
        }
        let base: BaseAccount = prost::Message::decode(any.value.as_slice())
            .map_err(|e| ChainError::Decode(format!("BaseAccount: {e}")))?;
        Ok(Account {
            number: base.account_number,
            sequence: base.sequence,
        })
    }

    fn sign(
        &self,
        msgs: &[Any],
        memo: &str,
        timeout_height: u64,
        account: Account,
        gas_limit: u64,
        fee_amount: u128,
    ) -> Result<Vec<u8>> {
        let signing = |e: cosmrs::ErrorReport| ChainError::Key(KeyError::Signing(e.to_string()));
        let height = cosmrs::tendermint::block::Height::try_from(timeout_height)
            .map_err(|e| ChainError::Key(KeyError::Signing(format!("timeout height: {e}"))))?;
        let body = Body::new(msgs.to_vec(), memo, height);
        let denom = self.config.fee_denom.parse().map_err(signing)?;
        let fee = Fee::from_amount_and_gas(
            cosmrs::Coin {
                denom,
                amount: fee_amount,
            },
            gas_limit,
        );
        let auth_info = SignerInfo::single_direct(Some(self.signer.public_key()), account.sequence)
            .auth_info(fee);
        let doc =
            SignDoc::new(&body, &auth_info, &self.chain_id, account.number).map_err(signing)?;
        let raw = doc.sign(self.signer.signing_key()).map_err(signing)?;
        raw.to_bytes().map_err(signing)
    }

    /// Simulate, sign with the simulated gas and broadcast (sync mode).
    async fn attempt(
        &self,
        msgs: &[Any],
        memo: &str,
        account: Account,
        gas_adjustment: f64,
    ) -> Result<Attempt> {
        let timeout_height = self
            .latest_height()
            .await?
            .saturating_add(self.config.timeout_height_blocks);
        // Simulate the tx as it will be sent: a non-zero fee (its deduction
        // writes state and costs gas) and a gas limit of similar size.
        let sim_bytes = self.sign(msgs, memo, timeout_height, account, SIM_GAS_LIMIT, 1)?;
        #[allow(deprecated)]
        let sim = TxService::new(self.channel.clone())
            .simulate(SimulateRequest {
                tx: None,
                tx_bytes: sim_bytes,
            })
            .await;
        let gas_used = match sim {
            Ok(r) => {
                r.into_inner()
                    .gas_info
                    .ok_or_else(|| ChainError::Decode("simulation without gas info".into()))?
                    .gas_used
            }
            Err(s) => {
                return match self.status("Simulate", s) {
                    ChainError::Grpc { message, .. } if is_sequence_mismatch(&message) => {
                        Ok(Attempt::WrongSequence(message))
                    }
                    ChainError::Grpc { message, .. } => Err(ChainError::Simulation { message }),
                    other => Err(other),
                }
            }
        };
        let (gas_limit, fee) = gas_and_fee(gas_used, gas_adjustment, self.config.gas_price);
        let tx_bytes = self.sign(msgs, memo, timeout_height, account, gas_limit, fee)?;
        let r = TxService::new(self.channel.clone())
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes,
                mode: BroadcastMode::Sync as i32,
            })
            .await
            .map_err(|s| self.status("BroadcastTx", s))?
            .into_inner()
            .tx_response
            .ok_or_else(|| ChainError::Decode("broadcast without tx_response".into()))?;
        if r.code == 0 {
            return Ok(Attempt::Accepted(r.txhash));
        }
        if (r.code == CODE_WRONG_SEQUENCE && r.codespace == "sdk")
            || is_sequence_mismatch(&r.raw_log)
        {
            return Ok(Attempt::WrongSequence(r.raw_log));
        }
        Err(ChainError::CheckTx {
            code: r.code,
            codespace: r.codespace,
            log: r.raw_log,
        })
    }

    /// Signs and broadcasts `msgs` as one transaction and waits until it is
    /// included. Gas comes from simulation times the configured margin, the
    /// fee is gas × gas price in the fee denom, and `timeout_height` is set.
    ///
    /// On an account sequence mismatch the account is re-read from the chain
    /// and the transaction retried, at most `max_sequence_retries` times.
    /// A transaction that ran out of gas in its block (the state it ran
    /// against changed after the simulation) is sent once more with twice
    /// the gas margin. The
    /// local sequence advances only when CheckTx accepted the transaction;
    /// after a connection error or an inclusion timeout it is re-read from
    /// the chain before the next transaction.
    pub async fn broadcast(&self, msgs: Vec<Any>, memo: &str) -> Result<TxOutcome> {
        let mut cached = self.account.lock().await;
        let mut last_mismatch = String::new();
        let mut adjustment = self.config.gas_adjustment;
        let mut out_of_gas_retried = false;
        // Sequence rounds: the first try plus the retries; one more round is
        // kept for the out-of-gas retry.
        let rounds = self.config.max_sequence_retries.saturating_add(1);
        let mut mismatches = 0u32;
        for round in 0..rounds.saturating_add(1) {
            let account = match (*cached, round == 0 || out_of_gas_retried) {
                (Some(a), true) => a,
                _ => {
                    if round > 0 {
                        self.sequence_refreshes.fetch_add(1, Ordering::Relaxed);
                    }
                    let a = self.query_account().await?;
                    *cached = Some(a);
                    a
                }
            };
            let attempt = match self.attempt(&msgs, memo, account, adjustment).await {
                Ok(a) => a,
                Err(e) => {
                    if e.is_connection() {
                        // The tx may or may not have reached the node.
                        *cached = None;
                    }
                    return Err(e);
                }
            };
            match attempt {
                Attempt::WrongSequence(message) => {
                    last_mismatch = message;
                    mismatches += 1;
                    if mismatches >= rounds {
                        break;
                    }
                    // Re-read the account next round.
                    *cached = None;
                }
                Attempt::Accepted(txhash) => {
                    *cached = Some(Account {
                        sequence: account.sequence.saturating_add(1),
                        ..account
                    });
                    let r = match self.wait_for_tx(&txhash).await {
                        Ok(r) => r,
                        Err(e) => {
                            *cached = None;
                            return Err(e);
                        }
                    };
                    if r.code == CODE_OUT_OF_GAS && r.codespace == "sdk" && !out_of_gas_retried {
                        // Included and failed: the sequence moved on (cached
                        // above); send it again with a wider margin.
                        out_of_gas_retried = true;
                        adjustment *= 2.0;
                        continue;
                    }
                    return self.outcome(r);
                }
            }
        }
        Err(ChainError::SequenceMismatch {
            attempts: rounds,
            message: last_mismatch,
        })
    }

    /// Polls `GetTx` until the transaction is in a block.
    async fn wait_for_tx(&self, txhash: &str) -> Result<TxResponse> {
        let timeout = self.config.inclusion_timeout;
        let deadline = Instant::now() + timeout;
        loop {
            let r = TxService::new(self.channel.clone())
                .get_tx(GetTxRequest {
                    hash: txhash.to_string(),
                })
                .await;
            match r {
                Ok(r) => {
                    if let Some(tx) = r.into_inner().tx_response {
                        return Ok(tx);
                    }
                }
                Err(s) => match self.status("GetTx", s) {
                    // Not in a block yet, or the node is briefly unreachable.
                    ChainError::Connection { .. } => {}
                    ChainError::Grpc { code, message, .. }
                        if code == Code::NotFound || message.contains("not found") => {}
                    other => return Err(other),
                },
            }
            if Instant::now() >= deadline {
                return Err(ChainError::InclusionTimeout {
                    txhash: txhash.to_string(),
                    timeout,
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    fn outcome(&self, r: TxResponse) -> Result<TxOutcome> {
        let height = u64::try_from(r.height).unwrap_or_default();
        if r.code != 0 {
            return Err(ChainError::TxFailed {
                txhash: r.txhash,
                height,
                code: r.code,
                codespace: r.codespace,
                log: r.raw_log,
            });
        }
        let tx = r.tx.as_ref().and_then(|any| {
            <cosmos_sdk_proto::cosmos::tx::v1beta1::Tx as prost::Message>::decode(
                any.value.as_slice(),
            )
            .ok()
        });
        let timeout_height = tx
            .as_ref()
            .and_then(|tx| tx.body.as_ref())
            .map(|b| b.timeout_height)
            .unwrap_or_default();
        let fee = tx
            .and_then(|tx| tx.auth_info?.fee)
            .and_then(|fee| fee.amount.into_iter().next())
            .map(|c| Coin::new(c.amount.parse().unwrap_or_default(), c.denom))
            .unwrap_or_else(|| Coin::new(0, self.config.fee_denom.clone()));
        Ok(TxOutcome {
            txhash: r.txhash,
            height,
            gas_wanted: u64::try_from(r.gas_wanted).unwrap_or_default(),
            gas_used: u64::try_from(r.gas_used).unwrap_or_default(),
            fee,
            timeout_height,
            events: events::from_abci(r.events),
        })
    }

    /// Uploads a wasm module; returns its code id.
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<(u64, TxOutcome)> {
        let msg = MsgStoreCode {
            sender: self.address(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        };
        let out = self.broadcast(vec![to_any(&msg)], "").await?;
        let code_id = out
            .event_attr("store_code", "code_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ChainError::Decode("store_code event without code_id".into()))?;
        Ok((code_id, out))
    }

    /// Instantiates `code_id` with the JSON of `msg`; returns the contract
    /// address.
    pub async fn instantiate<M: Serialize>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
        funds: &[Coin],
    ) -> Result<(String, TxOutcome)> {
        let msg = MsgInstantiateContract {
            sender: self.address(),
            admin: admin.unwrap_or_default().to_string(),
            code_id,
            label: label.to_string(),
            msg: json(msg, "an instantiate message")?,
            funds: funds.iter().map(Coin::to_proto).collect(),
        };
        let out = self.broadcast(vec![to_any(&msg)], "").await?;
        let address = out
            .event_attr("instantiate", events::CONTRACT_ADDRESS_ATTR)
            .ok_or_else(|| ChainError::Decode("instantiate event without address".into()))?
            .to_string();
        Ok((address, out))
    }

    /// Executes `msg` on `contract`, sending `funds`.
    pub async fn execute<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<TxOutcome> {
        let msg = self.execute_msg(contract, msg, funds)?;
        self.broadcast(vec![msg], "").await
    }

    /// A `MsgExecuteContract` from this client's address, to batch several
    /// in one transaction with [`ChainClient::broadcast`].
    pub fn execute_msg<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<Any> {
        Ok(to_any(&MsgExecuteContract {
            sender: self.address(),
            contract: contract.to_string(),
            msg: json(msg, "an execute message")?,
            funds: funds.iter().map(Coin::to_proto).collect(),
        }))
    }

    pub(crate) fn channel(&self) -> Channel {
        self.channel.clone()
    }
}

fn is_sequence_mismatch(message: &str) -> bool {
    message.contains("account sequence mismatch") || message.contains("incorrect account sequence")
}

pub(crate) fn json<M: Serialize>(msg: &M, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec(msg).map_err(|source| ChainError::Json {
        context: format!("encoding {what}"),
        source,
    })
}

/// Packs a protobuf message into an `Any` with its type URL.
pub fn to_any<M: prost::Message + prost::Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_is_rounded_up_with_margin_and_priced() {
        assert_eq!(gas_and_fee(100_000, 1.3, 0.025), (130_000, 3_250));
        assert_eq!(gas_and_fee(3, 1.3, 0.025), (4, 1));
        assert_eq!(gas_and_fee(0, 1.3, 0.025), (1, 1));
        assert_eq!(gas_and_fee(1_000, 1.0, 0.0), (1_000, 0));
    }

    #[test]
    fn any_uses_the_proto_type_url() {
        let any = to_any(&MsgStoreCode::default());
        assert_eq!(any.type_url, "/cosmwasm.wasm.v1.MsgStoreCode");
    }

    #[test]
    fn sequence_mismatch_messages_are_recognised() {
        assert!(is_sequence_mismatch(
            "account sequence mismatch, expected 5, got 4: incorrect account sequence"
        ));
        assert!(!is_sequence_mismatch("out of gas"));
    }
}

//! Transactions: account number and sequence, signing, gas by simulation,
//! broadcast, the sequence-mismatch and out-of-gas retries, waiting for
//! inclusion, and decoding the included transaction into a [`TxOutcome`].

use std::sync::atomic::Ordering;
use std::time::Instant;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    query_client::QueryClient as AuthQuery, BaseAccount, QueryAccountRequest,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    service_client::ServiceClient as TxService, BroadcastMode, BroadcastTxRequest, GetTxRequest,
    SimulateRequest,
};
use cosmos_sdk_proto::Any;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use tonic::Code;

use crate::client::{Account, ChainClient};
use crate::config::Coin;
use crate::error::{ChainError, KeyError, Result};
use crate::events;
use crate::outcome::TxOutcome;

/// Gas limit written into the transaction that is simulated (the
/// simulation itself runs without a limit).
const SIM_GAS_LIMIT: u64 = 1_000_000;

/// ABCI code of `sdkerrors.ErrOutOfGas` (codespace `sdk`).
const CODE_OUT_OF_GAS: u32 = 11;

/// ABCI code of `sdkerrors.ErrWrongSequence` (codespace `sdk`).
const CODE_WRONG_SEQUENCE: u32 = 32;

/// Gas limit and fee amount for a simulated gas use: `ceil(used × margin)`
/// and `ceil(limit × price)`.
pub fn gas_and_fee(gas_used: u64, gas_adjustment: f64, gas_price: f64) -> (u64, u128) {
    let limit = (gas_used as f64 * gas_adjustment).ceil().max(1.0) as u64;
    let fee = (limit as f64 * gas_price).ceil() as u128;
    (limit, fee)
}

/// Packs a protobuf message into an `Any` with its type URL.
pub fn to_any<M: prost::Message + prost::Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// One attempt at a transaction.
enum Attempt {
    /// Accepted by CheckTx under this hash.
    Accepted(String),
    /// Account sequence mismatch: refresh and retry.
    WrongSequence(String),
}

fn is_sequence_mismatch(message: &str) -> bool {
    message.contains("account sequence mismatch") || message.contains("incorrect account sequence")
}

impl ChainClient {
    async fn query_account(&self) -> Result<Account, ChainError> {
        let address = self.address();
        let r = AuthQuery::new(self.channel())
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
    ) -> Result<Vec<u8>, ChainError> {
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
    ) -> Result<Attempt, ChainError> {
        let timeout_height = self
            .latest_height()
            .await?
            .saturating_add(self.config.timeout_height_blocks);
        // Simulate the tx as it will be sent: a non-zero fee (its deduction
        // writes state and costs gas) and a gas limit of similar size.
        let sim_bytes = self.sign(msgs, memo, timeout_height, account, SIM_GAS_LIMIT, 1)?;
        #[allow(deprecated)]
        let sim = TxService::new(self.channel())
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
        let r = TxService::new(self.channel())
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
    /// the gas margin. The local sequence advances only when CheckTx
    /// accepted the transaction; after a connection error or an inclusion
    /// timeout it is re-read from the chain before the next transaction.
    pub async fn broadcast(&self, msgs: Vec<Any>, memo: &str) -> Result<TxOutcome, ChainError> {
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
                Attempt::Accepted(tx_hash) => {
                    *cached = Some(Account {
                        sequence: account.sequence.saturating_add(1),
                        ..account
                    });
                    let r = match self.wait_for_tx(&tx_hash).await {
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
    async fn wait_for_tx(&self, tx_hash: &str) -> Result<TxResponse, ChainError> {
        let timeout = self.config.inclusion_timeout;
        let deadline = Instant::now() + timeout;
        loop {
            let r = TxService::new(self.channel())
                .get_tx(GetTxRequest {
                    hash: tx_hash.to_string(),
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
                    tx_hash: tx_hash.to_string(),
                    timeout,
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    /// The outcome of an included transaction, or [`ChainError::TxFailed`].
    fn outcome(&self, r: TxResponse) -> Result<TxOutcome, ChainError> {
        let height = u64::try_from(r.height).unwrap_or_default();
        if r.code != 0 {
            return Err(ChainError::TxFailed {
                tx_hash: r.txhash,
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
        let tx_events = events::from_abci(r.events);
        Ok(TxOutcome {
            height,
            tx_hash: r.txhash,
            events: events::contract_events(&tx_events),
            data: None,
            tx_events,
            gas_wanted: u64::try_from(r.gas_wanted).unwrap_or_default(),
            gas_used: u64::try_from(r.gas_used).unwrap_or_default(),
            fee,
            timeout_height,
        })
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
        let any = to_any(&cosmos_sdk_proto::cosmwasm::wasm::v1::MsgStoreCode::default());
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

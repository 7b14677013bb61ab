//! The wasm module: upload, instantiate, execute (contract messages are any
//! `Serialize` value, sent as JSON) and smart queries.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    query_client::QueryClient as WasmQuery, MsgExecuteContract, MsgInstantiateContract,
    MsgStoreCode, QuerySmartContractStateRequest,
};
use cosmos_sdk_proto::Any;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::ChainClient;
use crate::config::Coin;
use crate::error::{ChainError, Result};
use crate::events::CONTRACT_ADDRESS_ATTR;
use crate::outcome::TxOutcome;
use crate::tx::to_any;

/// The JSON of a contract message; `what` names it in the error.
pub(crate) fn json<M: Serialize>(msg: &M, what: &str) -> Result<Vec<u8>, ChainError> {
    serde_json::to_vec(msg).map_err(|source| ChainError::Json {
        context: format!("encoding {what}"),
        source,
    })
}

impl ChainClient {
    /// Uploads a wasm module; returns its code id.
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<(u64, TxOutcome), ChainError> {
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
    ) -> Result<(String, TxOutcome), ChainError> {
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
            .event_attr("instantiate", CONTRACT_ADDRESS_ATTR)
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
    ) -> Result<TxOutcome, ChainError> {
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
    ) -> Result<Any, ChainError> {
        Ok(to_any(&MsgExecuteContract {
            sender: self.address(),
            contract: contract.to_string(),
            msg: json(msg, "an execute message")?,
            funds: funds.iter().map(Coin::to_proto).collect(),
        }))
    }

    /// A smart query, decoded from JSON into `T`.
    pub async fn query_smart<Q: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<T, ChainError> {
        let query_data = json(query, "a smart query")?;
        let r = WasmQuery::new(self.channel())
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
}

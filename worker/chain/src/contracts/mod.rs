//! Typed clients of the four contracts over the [`Chain`] interface: every
//! contract message the daemon, the keeper and the CLI send is built in one
//! place, here, from plain arguments (hashes as 32 bytes, amounts as
//! `u128` in the deployment's denom), and every query decodes into its
//! `impulse-types` response. Errors are the [`Chain`] interface's; callers
//! add their own context.
//!
//! ```ignore
//! let m = Marketplace::new(&chain);
//! let job = m.job(7).await?;
//! m.commit_result(7, &root, &model, build, Backend::Cpu).await?;
//! ```
//!
//! [`deploy`] builds the messages that instantiate and wire a deployment.
//!
//! Only the messages a party outside the contracts sends are here: the
//! contract-to-contract ones (`LockForJob`, `Slash`, `RecordWork`, ...)
//! and governance parameter updates (sent through x/gov) are not.

/// The typed client of one contract: the struct over [`Client`], `new`, and
/// the two messages every contract has, `SetContracts` (the addresses of
/// the contracts it is wired to, the message's fields) and the `Config`
/// query. `$contract` names the contract's module of `impulse-types` and
/// its field of the [`Deployment`].
macro_rules! contract_client {
    ($name:ident, $contract:ident, set_contracts($($wired:ident),+)) => {
        #[doc = concat!(
            "The ", stringify!($contract), " contract of a deployment, as the signer of `chain`."
        )]
        #[derive(Debug)]
        pub struct $name<'a, C> {
            client: super::Client<'a, C>,
        }

        impl<'a, C: crate::api::Chain> $name<'a, C> {
            pub fn new(chain: &'a C) -> Self {
                let client = super::Client::new(chain, |d| &d.$contract);
                $name { client }
            }

            /// `SetContracts` (its governance only): wires the other contracts.
            pub async fn set_contracts(
                &self,
                $($wired: Option<String>),+
            ) -> crate::api::Result<crate::api::TxOutcome> {
                let msg = impulse_types::$contract::ExecuteMsg::SetContracts { $($wired),+ };
                self.client.execute(msg, None).await
            }

            pub async fn config(
                &self,
            ) -> crate::api::Result<impulse_types::$contract::ConfigResponse> {
                let q = impulse_types::$contract::QueryMsg::Config {};
                self.client.query(q).await
            }
        }
    };
}

pub mod deploy;
pub mod marketplace;
pub mod reputation;
pub mod rewards;
pub mod staking;

pub use marketplace::Marketplace;
pub use reputation::Reputation;
pub use rewards::Rewards;
pub use staking::Staking;

use cosmwasm_std::HexBinary;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{Chain, Deployment, Result, TxOutcome};
use crate::Coin;

/// One contract of a deployment, as the signer of `chain`: what every typed
/// client sends its messages and queries through.
#[derive(Debug)]
struct Client<'a, C> {
    chain: &'a C,
    /// The contract's address in the deployment.
    addr: fn(&Deployment) -> &str,
}

impl<'a, C: Chain> Client<'a, C> {
    fn new(chain: &'a C, addr: fn(&Deployment) -> &str) -> Self {
        Client { chain, addr }
    }

    fn addr(&self) -> &str {
        (self.addr)(self.chain.deployment())
    }

    /// `msg`, sending `funds` of the deployment's denom.
    async fn execute<M: Serialize + Sync>(&self, msg: M, funds: Option<u128>) -> Result<TxOutcome> {
        let coins: Vec<Coin> = funds
            .map(|a| Coin::new(a, &self.chain.deployment().denom))
            .into_iter()
            .collect();
        self.chain.execute(self.addr(), &msg, &coins).await
    }

    async fn query<Q: Serialize + Sync, T: DeserializeOwned>(&self, q: Q) -> Result<T> {
        self.chain.query(self.addr(), &q).await
    }
}

/// A 32-byte hash as the contracts take it.
fn hex32(h: &[u8; 32]) -> HexBinary {
    HexBinary::from(h.to_vec())
}

//! An in-process Impulse chain: the real code of the four contracts
//! (staking, reputation, marketplace, rewards, linked as libraries) running
//! in cw-multi-test, behind the same [`Chain`](impulse_chain::api::Chain)
//! interface as wasmd, so the daemon and the CLI run unchanged on either.
//!
//! [`EmbeddedChain::deploy`] stores and instantiates the four contracts
//! wired to each other, funds the emission reserve and mints demo balances.
//! [`EmbeddedChain::signer`] hands out a [`Chain`](impulse_chain::api::Chain)
//! handle per signer address, with a deterministic account key for signing
//! off chain (`signer.rs`); every handle talks to the same chain. Blocks advance on a clock
//! ([`Clock::Every`]: a tokio task adds one block, and `block_secs` of chain
//! time, every tick) or on demand ([`Clock::Manual`] and
//! [`EmbeddedChain::advance`], for tests).
//!
//! cw-multi-test's `App` is not `Send` (it stores contracts as plain
//! `Box<dyn Contract>`), so it lives on a dedicated thread and every call is
//! a closure sent to it: calls are serialised exactly as transactions are on
//! a chain, and each `execute` is atomic (a failing message changes nothing).
//! Contract events are decoded into the same [`ContractEvent`] type as on
//! wasmd; a contract's error comes back as [`Error::Contract`] with the
//! contract's message.

use std::sync::mpsc;
use std::sync::{Arc, Weak};
use std::time::Duration;

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{
    to_json_vec, Addr, Api, Binary, ContractResult, CosmosMsg, Empty, Querier, QueryRequest,
    StdError, SystemResult, Uint128, WasmMsg, WasmQuery,
};
use cw_multi_test::{AppResponse, BasicApp, BasicAppBuilder, Executor};
use impulse_chain::api::{Deployment, Error, Result, TxOutcome};
use impulse_chain::contracts::deploy as plan;
use impulse_chain::{contract_events, Coin, TxEvent};
use impulse_types::marketplace::MarketplaceParams;
use impulse_types::reputation::ReputationParams;
use impulse_types::rewards::RewardsParams;
use impulse_types::staking::StakingParams;
use impulse_types::wiring::Wiring;
use impulse_types::DEFAULT_DENOM;
use serde::Serialize;
use tokio::sync::{oneshot, watch};

mod signer;
pub use signer::EmbeddedSigner;

/// Bech32 prefix of the embedded chain's addresses (the same as wasmd's).
pub const PREFIX: &str = "wasm";
/// Chain id written into the deployment.
pub const CHAIN_ID: &str = "impulse-embedded";

/// How blocks advance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Only on [`EmbeddedChain::advance`] (tests).
    Manual,
    /// One block every period of wall-clock time (a background tokio task;
    /// `deploy` must then be called inside a tokio runtime).
    Every(Duration),
}

/// What [`EmbeddedChain::deploy`] sets up.
#[derive(Clone, Debug)]
pub struct DeployParams {
    pub staking: StakingParams,
    pub reputation: ReputationParams,
    pub marketplace: MarketplaceParams,
    pub rewards: RewardsParams,
    /// Sent to the rewards contract at instantiation: the emission reserve.
    pub reserve: u128,
    /// Demo accounts: `(name, balance)`; the address of a name is
    /// [`EmbeddedChain::address_of`] (deterministic).
    pub accounts: Vec<(String, u128)>,
    /// Chain time added per block, in seconds.
    pub block_secs: u64,
    pub clock: Clock,
}

impl Default for DeployParams {
    /// Protocol defaults, a reserve of 1e11, no demo account, 6 s blocks,
    /// manual clock.
    fn default() -> Self {
        DeployParams {
            staking: StakingParams::default(),
            reputation: ReputationParams::default(),
            marketplace: MarketplaceParams::default(),
            rewards: RewardsParams::default(),
            reserve: 100_000_000_000,
            accounts: vec![],
            block_secs: 6,
            clock: Clock::Manual,
        }
    }
}

/// The account that deploys the contracts and holds governance over them.
pub const GOVERNANCE: &str = "governance";

// ----------------------------------------------------------- the contracts

use impulse_testing::contracts::{
    marketplace as marketplace_contract, reputation as reputation_contract,
    rewards as rewards_contract, staking as staking_contract,
};

// ---------------------------------------------------------------- the node

/// The chain state, owned by the node thread.
struct Node {
    app: BasicApp,
    heights: watch::Sender<u64>,
    block_secs: u64,
    denom: String,
    /// Executions so far (for synthetic transaction ids).
    txs: u64,
    /// Everything of `denom` minted out of thin air (demo balances, reserve).
    minted: u128,
}

type Op = Box<dyn FnOnce(&mut Node) + Send>;

/// The contract's own message out of cw-multi-test's error: it wraps the
/// contract's error as the last line of "Error executing WasmMsg: sender,
/// message, error" and prefixes each level with "kind: .., error: ".
fn contract_message(e: &StdError) -> String {
    let full = (**e).to_string();
    let mut m = full.lines().last().unwrap_or_default().trim();
    while m.starts_with("kind: ") {
        match m.find(", error: ") {
            Some(i) => m = &m[i + ", error: ".len()..],
            None => break,
        }
    }
    m.to_string()
}

fn embedded(e: impl std::fmt::Display) -> Error {
    Error::Embedded(e.to_string())
}

fn unavailable() -> Error {
    Error::Unavailable {
        message: "the embedded chain has shut down".into(),
    }
}

impl Node {
    fn addr(&self, address: &str) -> Result<Addr> {
        self.app
            .api()
            .addr_validate(address)
            .map_err(|e| embedded(format!("invalid address {address:?}: {e}")))
    }

    fn height(&self) -> u64 {
        self.app.block_info().height
    }

    fn advance(&mut self, n: u64) -> u64 {
        let secs = self.block_secs.saturating_mul(n);
        self.app.update_block(|b| {
            b.height = b.height.saturating_add(n);
            b.time = b.time.plus_seconds(secs);
        });
        let h = self.height();
        self.heights.send_replace(h);
        h
    }

    fn coins(&self, funds: &[Coin]) -> Vec<cosmwasm_std::Coin> {
        funds
            .iter()
            .map(|c| cosmwasm_std::Coin::new(Uint128::new(c.amount), c.denom.clone()))
            .collect()
    }

    fn outcome(&mut self, res: AppResponse) -> TxOutcome {
        self.txs += 1;
        let height = self.height();
        let events: Vec<TxEvent> = res
            .events
            .into_iter()
            .map(|e| TxEvent {
                ty: e.ty,
                attributes: e.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
            })
            .collect();
        TxOutcome {
            height,
            tx_hash: format!("embedded-{height}-{}", self.txs),
            events: contract_events(&events),
            data: res.data.map(|d| d.to_vec()),
            ..TxOutcome::default()
        }
    }

    fn execute(
        &mut self,
        sender: &str,
        contract: &str,
        msg: Vec<u8>,
        funds: &[Coin],
    ) -> Result<TxOutcome> {
        let sender = self.addr(sender)?;
        let msg: CosmosMsg = WasmMsg::Execute {
            contract_addr: contract.to_string(),
            msg: Binary::from(msg),
            funds: self.coins(funds),
        }
        .into();
        match self.app.execute(sender, msg) {
            Ok(res) => Ok(self.outcome(res)),
            Err(e) => Err(Error::Contract {
                contract: contract.to_string(),
                message: contract_message(&e),
            }),
        }
    }

    fn sudo(&mut self, contract: &str, msg: Vec<u8>) -> Result<TxOutcome> {
        let addr = self.addr(contract)?;
        let msg = cw_multi_test::SudoMsg::Wasm(cw_multi_test::WasmSudo {
            contract_addr: addr,
            message: Binary::from(msg),
        });
        match self.app.sudo(msg) {
            Ok(res) => Ok(self.outcome(res)),
            Err(e) => Err(Error::Contract {
                contract: contract.to_string(),
                message: contract_message(&e),
            }),
        }
    }

    fn query(&self, contract: &str, msg: Vec<u8>) -> Result<Vec<u8>> {
        let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
            contract_addr: contract.to_string(),
            msg: Binary::from(msg),
        });
        let raw = to_json_vec(&request).map_err(embedded)?;
        let rejected = |message: String| Error::Contract {
            contract: contract.to_string(),
            message,
        };
        match self.app.raw_query(&raw) {
            SystemResult::Ok(ContractResult::Ok(bin)) => Ok(bin.to_vec()),
            SystemResult::Ok(ContractResult::Err(message)) => Err(rejected(message)),
            SystemResult::Err(e) => Err(rejected(e.to_string())),
        }
    }

    fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let a = self.addr(address)?;
        let c = self.app.wrap().query_balance(a, denom).map_err(embedded)?;
        Uint128::try_from(c.amount)
            .map(|a| a.u128())
            .map_err(embedded)
    }

    fn supply(&self) -> Result<u128> {
        let c = self
            .app
            .wrap()
            .query_supply(self.denom.clone())
            .map_err(embedded)?;
        Uint128::try_from(c.amount)
            .map(|a| a.u128())
            .map_err(embedded)
    }

    /// Adds `amount` to `to` out of thin air (`init_balance` replaces an
    /// account's coins, so it fills an empty faucet and sends from it).
    fn mint(&mut self, to: &str, amount: u128) -> Result<()> {
        let to = self.addr(to)?;
        let faucet = self.app.api().addr_make("faucet");
        let coin = cosmwasm_std::Coin::new(Uint128::new(amount), self.denom.clone());
        let fill = vec![coin.clone()];
        self.app
            .init_modules(|router, _, storage| router.bank.init_balance(storage, &faucet, fill))
            .map_err(embedded)?;
        self.app
            .send_tokens(faucet, to, &[coin])
            .map_err(embedded)?;
        self.minted = self
            .minted
            .checked_add(amount)
            .ok_or_else(|| embedded("minted amount overflows"))?;
        Ok(())
    }
}

/// Instantiates `code` as `impulse-<name>`, sent by the governance, which
/// is also its admin.
fn instantiate<M: Serialize>(
    app: &mut BasicApp,
    code: u64,
    gov: &Addr,
    msg: &M,
    funds: &[cosmwasm_std::Coin],
    name: &str,
) -> std::result::Result<Addr, StdError> {
    let label = format!("impulse-{name}");
    app.instantiate_contract(code, gov.clone(), msg, funds, label, Some(gov.to_string()))
}

/// Builds the app and deploys the four contracts wired to each other.
fn build(params: DeployParams, heights: watch::Sender<u64>) -> Result<(Node, Deployment)> {
    let api = MockApi::default().with_prefix(PREFIX);
    let app = BasicAppBuilder::<Empty, Empty>::new()
        .with_api(api)
        .build(|_, _, _| {});
    let mut node = Node {
        app,
        heights,
        block_secs: params.block_secs,
        denom: DEFAULT_DENOM.to_string(),
        txs: 0,
        minted: 0,
    };
    let gov = node.app.api().addr_make(GOVERNANCE);
    node.mint(gov.as_str(), params.reserve.max(1))?;
    for (name, amount) in &params.accounts {
        if *amount > 0 {
            let a = node.app.api().addr_make(name);
            node.mint(a.as_str(), *amount)?;
        }
    }
    let step = |what: &str, e: StdError| embedded(format!("{what}: {}", contract_message(&e)));
    let app = &mut node.app;
    let g = gov.as_str();

    // Each contract wired to those instantiated before it.
    let mut wired = Wiring::governed_by(g);
    let code = app.store_code(staking_contract());
    let msg = wired.staking(Some(params.staking));
    let staking = instantiate(app, code, &gov, &msg, &[], "staking")
        .map_err(|e| step("instantiate staking", e))?;
    wired.staking = Some(staking.to_string());

    let code = app.store_code(reputation_contract());
    let msg = wired.reputation(Some(params.reputation));
    let reputation = instantiate(app, code, &gov, &msg, &[], "reputation")
        .map_err(|e| step("instantiate reputation", e))?;
    wired.reputation = Some(reputation.to_string());

    let code = app.store_code(marketplace_contract());
    let msg = wired.marketplace(Some(params.marketplace));
    let marketplace = instantiate(app, code, &gov, &msg, &[], "marketplace")
        .map_err(|e| step("instantiate marketplace", e))?;
    wired.marketplace = Some(marketplace.to_string());

    let code = app.store_code(rewards_contract());
    let reserve = if params.reserve == 0 {
        vec![]
    } else {
        vec![cosmwasm_std::Coin::new(
            Uint128::new(params.reserve),
            DEFAULT_DENOM,
        )]
    };
    let msg = wired.rewards(Some(params.rewards));
    let rewards = instantiate(app, code, &gov, &msg, &reserve, "rewards")
        .map_err(|e| step("instantiate rewards", e))?;

    let deployment = Deployment {
        chain_id: CHAIN_ID.to_string(),
        denom: DEFAULT_DENOM.to_string(),
        staking: staking.to_string(),
        reputation: reputation.to_string(),
        marketplace: marketplace.to_string(),
        rewards: rewards.to_string(),
    };
    let w = plan::wiring(&deployment);
    app.execute_contract(gov.clone(), staking, &w.staking, &[])
        .map_err(|e| step("wire staking", e))?;
    app.execute_contract(gov.clone(), reputation, &w.reputation, &[])
        .map_err(|e| step("wire reputation", e))?;
    app.execute_contract(gov, marketplace, &w.marketplace, &[])
        .map_err(|e| step("wire the marketplace", e))?;

    let h = node.height();
    node.heights.send_replace(h);
    Ok((node, deployment))
}

// --------------------------------------------------------------- the chain

struct Shared {
    ops: mpsc::Sender<Op>,
    heights: watch::Receiver<u64>,
    deployment: Deployment,
    api: MockApi,
    /// The account keys handed out so far, by address (see `signer.rs`).
    keys: signer::Keys,
}

impl Shared {
    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> R + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(Box::new(move |node: &mut Node| {
                let _ = tx.send(f(node));
            }))
            .map_err(|_| unavailable())?;
        rx.await.map_err(|_| unavailable())
    }
}

/// The embedded chain. Cheap to clone; the chain (its thread and clock)
/// lives as long as any clone or [`EmbeddedSigner`] does.
#[derive(Clone)]
pub struct EmbeddedChain {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmbeddedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedChain")
            .field("deployment", &self.shared.deployment)
            .field("height", &self.height())
            .finish()
    }
}

impl EmbeddedChain {
    /// Starts the chain: stores and instantiates the four contracts wired to
    /// each other, funds the emission reserve, mints the demo balances and,
    /// with [`Clock::Every`], starts the clock (inside the current tokio
    /// runtime).
    pub fn deploy(params: DeployParams) -> Result<EmbeddedChain> {
        let clock = params.clock;
        let runtime =
            match clock {
                Clock::Manual => None,
                Clock::Every(period) => {
                    if period.is_zero() {
                        return Err(embedded("the clock period must be positive"));
                    }
                    Some(tokio::runtime::Handle::try_current().map_err(|_| {
                        embedded("a clock needs a tokio runtime: deploy inside one")
                    })?)
                }
            };
        let (ops, rx) = mpsc::channel::<Op>();
        let (heights_tx, heights) = watch::channel(0u64);
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("impulse-embedded".into())
            .spawn(move || match build(params, heights_tx) {
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
                Ok((mut node, deployment)) => {
                    let _ = ready_tx.send(Ok(deployment));
                    // Until every handle is gone.
                    while let Ok(op) = rx.recv() {
                        op(&mut node);
                    }
                }
            })
            .map_err(embedded)?;
        let deployment = ready_rx.recv().map_err(|_| unavailable())??;
        let shared = Arc::new(Shared {
            ops,
            heights,
            deployment,
            api: MockApi::default().with_prefix(PREFIX),
            keys: signer::Keys::default(),
        });
        if let (Some(rt), Clock::Every(period)) = (runtime, clock) {
            rt.spawn(run_clock(Arc::downgrade(&shared), period));
        }
        Ok(EmbeddedChain { shared })
    }

    /// The deployed contracts.
    pub fn deployment(&self) -> &Deployment {
        &self.shared.deployment
    }

    /// The deterministic address of a named account (the demo accounts of
    /// [`DeployParams::accounts`], [`GOVERNANCE`], or any other name).
    pub fn address_of(&self, name: &str) -> String {
        self.shared.api.addr_make(name).to_string()
    }

    /// The governance account's address (it can execute the contracts'
    /// governance messages).
    pub fn governance(&self) -> String {
        self.address_of(GOVERNANCE)
    }

    /// A [`Chain`](impulse_chain::api::Chain) handle that signs as `address` (any valid address; fund it
    /// with [`EmbeddedChain::mint`] if it is not a demo account).
    pub fn signer(&self, address: &str) -> Result<EmbeddedSigner> {
        self.shared
            .api
            .addr_validate(address)
            .map_err(|e| embedded(format!("invalid address {address:?}: {e}")))?;
        let key = self.shared.keys.register(address);
        Ok(EmbeddedSigner {
            shared: self.shared.clone(),
            address: address.to_string(),
            key,
        })
    }

    /// The public key of an account this chain handed a signer for
    /// ([`EmbeddedChain::signer`] registers it, as an account's first
    /// transaction does on a Cosmos chain); `None` before that.
    pub fn public_key_of(&self, address: &str) -> Option<[u8; 33]> {
        self.shared.keys.public_key(address)
    }

    /// The current height (no wait).
    pub fn height(&self) -> u64 {
        *self.shared.heights.borrow()
    }

    /// Adds `n` blocks now (manual mode; works beside a clock too); the new
    /// height.
    pub async fn advance(&self, n: u64) -> Result<u64> {
        self.shared.call(move |node| node.advance(n)).await
    }

    /// Adds `amount` of the denom to `address` out of thin air.
    pub async fn mint(&self, address: &str, amount: u128) -> Result<()> {
        let a = address.to_string();
        self.shared.call(move |node| node.mint(&a, amount)).await?
    }

    /// Everything minted so far (demo balances and the reserve).
    pub async fn minted(&self) -> Result<u128> {
        self.shared.call(|node| node.minted).await
    }

    /// The bank supply of the denom (minted minus burned).
    pub async fn supply(&self) -> Result<u128> {
        self.shared.call(|node| node.supply()).await?
    }

    /// A `sudo` call on a contract, as the chain's governance module would
    /// make it (x/gov on wasmd).
    pub async fn sudo<M: Serialize>(&self, contract: &str, msg: &M) -> Result<TxOutcome> {
        let msg = encode(msg, "a sudo message")?;
        let c = contract.to_string();
        self.shared.call(move |node| node.sudo(&c, msg)).await?
    }
}

async fn run_clock(shared: Weak<Shared>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate
    loop {
        tick.tick().await;
        let Some(s) = shared.upgrade() else { return };
        if s.call(|node| node.advance(1)).await.is_err() {
            return;
        }
    }
}

fn encode<M: Serialize>(msg: &M, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec(msg).map_err(|source| Error::Json {
        context: format!("encoding {what}"),
        source,
    })
}

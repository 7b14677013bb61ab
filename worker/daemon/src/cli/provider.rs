//! `impulse provider register|stake|unstake|heartbeat|claim`: a provider's
//! manual controls (the daemon, `impulse worker run`, does all of this by
//! itself).

use std::process::ExitCode;

use clap::Subcommand;
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Rewards, Staking};
use impulse_types::{Backend, Capacity};
use serde_json::json;

use super::common::Global;
use crate::amount::parse_amount;
use crate::error::{ChainContext, DaemonError, Result};

#[derive(Subcommand, Debug)]
pub enum ProviderAction {
    /// Register as a provider with an initial stake.
    Register {
        /// Stake sent with the registration (e.g. 1500000000uimp).
        #[arg(long)]
        stake: String,
        /// Price per training step (uimp).
        #[arg(long)]
        price: u128,
        #[arg(long, default_value_t = 16)]
        memory_gib: u32,
        #[arg(long, default_value_t = 1)]
        devices: u32,
        /// Where the artifact service will be reachable (http://host:port).
        #[arg(long, default_value = "")]
        endpoint: String,
    },
    /// Add stake.
    Stake { amount: String },
    /// Start unbonding part of the stake (released after the lock-up).
    Unstake { amount: String },
    /// Send a heartbeat now.
    Heartbeat,
    /// Claim rewards of closed epochs (and, with --unbonded, released stake).
    Claim {
        #[arg(long)]
        unbonded: bool,
    },
}

/// `impulse provider ACTION`.
pub async fn run(g: &Global, action: ProviderAction) -> Result<ExitCode> {
    let chain = g.opts().chain(g.from()?).await?;
    let c = &*chain;
    let denom = c.deployment().denom.clone();
    let me = c.address();
    let staking = Staking::new(c);
    let out = match action {
        ProviderAction::Register {
            stake,
            price,
            memory_gib,
            devices,
            endpoint,
        } => {
            let amount = funds(c, parse_amount(&stake, &denom)?).await?;
            let capacity = Capacity {
                memory_gib,
                devices,
            };
            staking
                .register(capacity, Backend::Cpu, price, endpoint, amount)
                .await
                .ctx(|| "registering".into())?
        }
        ProviderAction::Stake { amount } => {
            let amount = funds(c, parse_amount(&amount, &denom)?).await?;
            staking.stake(amount).await.ctx(|| "staking".into())?
        }
        ProviderAction::Unstake { amount } => staking
            .unstake(parse_amount(&amount, &denom)?)
            .await
            .ctx(|| "unstaking".into())?,
        ProviderAction::Heartbeat => staking.heartbeat().await.ctx(|| "heartbeat".into())?,
        ProviderAction::Claim { unbonded: true } => staking
            .claim()
            .await
            .ctx(|| "claiming released stake".into())?,
        ProviderAction::Claim { unbonded: false } => Rewards::new(c)
            .claim(None, None)
            .await
            .ctx(|| "claiming rewards".into())?,
    };
    let p = staking
        .provider(&me)
        .await
        .ctx(|| "reading the provider".into())?;
    let after = c
        .balance(&me, &denom)
        .await
        .ctx(|| "reading the balance".into())?;
    g.print(&json!({
        "tx": out.tx_hash, "height": out.height, "address": me,
        "stake": p.stake.to_string(), "unbonding": p.unbonding.to_string(),
        "claimable": p.claimable.to_string(), "balance": after.to_string(),
    }));
    Ok(ExitCode::SUCCESS)
}

/// `amount` of the deployment's denom, checked against the signer's
/// balance before it is sent.
async fn funds<C: Chain>(chain: &C, amount: u128) -> Result<u128> {
    let (me, denom) = (chain.address(), &chain.deployment().denom);
    if amount == 0 {
        return Err(DaemonError::Input("the amount must be above 0".into()));
    }
    let have = chain
        .balance(&me, denom)
        .await
        .ctx(|| "reading the balance".into())?;
    if have < amount {
        return Err(DaemonError::Input(format!(
            "insufficient funds: {amount}{denom} asked, {me} holds {have}{denom}"
        )));
    }
    Ok(amount)
}

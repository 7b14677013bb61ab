//! A provider's own staking messages (protocol.md section 2), as random ops
//! shared by the vault's and the rewards contract's sequences: register,
//! stake, unstake, heartbeat and the missed-heartbeat crank.

use std::ops::Range;

use cosmwasm_std::Addr;
use impulse_testing::Suite;
use proptest::prelude::*;

/// How many providers the sequences have.
pub const PROVIDERS: usize = 5;

/// How much to unstake, decided against the provider's stake at the time.
#[derive(Clone, Debug)]
pub enum Amount {
    Zero,
    One,
    Odd(u32),
    /// Basis points of the current stake.
    Bps(u16),
    All,
    AllPlusOne,
    Max,
}

impl Amount {
    pub fn of(&self, stake: u128) -> u128 {
        match self {
            Amount::Zero => 0,
            Amount::One => 1,
            Amount::Odd(v) => *v as u128 | 1,
            Amount::Bps(b) => stake * *b as u128 / 10_000,
            Amount::All => stake,
            Amount::AllPlusOne => stake + 1,
            Amount::Max => u128::MAX,
        }
    }
}

/// The provider `who` (an index into the sequence's providers) sends ...
#[derive(Clone, Debug)]
pub enum StakeOp {
    Register {
        who: usize,
        amount: u128,
    },
    Stake {
        who: usize,
        amount: u128,
    },
    Unstake {
        who: usize,
        amount: Amount,
    },
    Heartbeat {
        who: usize,
    },
    /// ... or someone cranks its missed heartbeats.
    ReportMissed {
        who: usize,
    },
}

impl StakeOp {
    /// Send it; `cranker` reports missed heartbeats.
    pub fn apply(&self, s: &mut Suite, providers: &[Addr], cranker: &Addr) -> anyhow::Result<()> {
        match self {
            StakeOp::Register { who, amount } => s.register(&providers[*who], *amount),
            StakeOp::Stake { who, amount } => s.stake(&providers[*who], *amount),
            StakeOp::Unstake { who, amount } => {
                let p = &providers[*who];
                let stake = s.try_provider(p).map(|r| r.stake.u128()).unwrap_or(0);
                s.unstake(p, amount.of(stake))
            }
            StakeOp::Heartbeat { who } => s.heartbeat(&providers[*who]),
            StakeOp::ReportMissed { who } => s.report_missed(cranker, &providers[*who]),
        }
        .map(drop)
    }
}

pub fn register(who: Range<usize>, amounts: Vec<u128>) -> impl Strategy<Value = StakeOp> {
    (who, prop::sample::select(amounts)).prop_map(|(who, amount)| StakeOp::Register { who, amount })
}

pub fn stake(who: Range<usize>, amounts: Vec<u128>) -> impl Strategy<Value = StakeOp> {
    (who, prop::sample::select(amounts)).prop_map(|(who, amount)| StakeOp::Stake { who, amount })
}

pub fn unstake(
    who: Range<usize>,
    amount: impl Strategy<Value = Amount>,
) -> impl Strategy<Value = StakeOp> {
    (who, amount).prop_map(|(who, amount)| StakeOp::Unstake { who, amount })
}

pub fn heartbeat(who: Range<usize>) -> impl Strategy<Value = StakeOp> {
    who.prop_map(|who| StakeOp::Heartbeat { who })
}

pub fn report_missed(who: Range<usize>) -> impl Strategy<Value = StakeOp> {
    who.prop_map(|who| StakeOp::ReportMissed { who })
}

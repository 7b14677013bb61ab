use cosmwasm_std::{Addr, StdError};
use thiserror::Error;

/// What the governance controller refuses. Every contract's `ContractError`
/// wraps it transparently, so the messages read the same everywhere.
#[derive(Error, Debug)]
pub enum GovError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("unauthorized: {sender} may not {action}")]
    Unauthorized {
        sender: String,
        action: &'static str,
    },

    #[error("no governance transfer is pending")]
    NoPendingGovernance {},

    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: &'static str, reason: String },

    #[error("invalid address {address}: {reason}")]
    InvalidAddress { address: String, reason: String },

    #[error("the {contract} contract is not configured")]
    NotWired { contract: &'static str },

    #[error("cannot migrate from contract {stored} to {expected}")]
    WrongContract { stored: String, expected: String },

    #[error("cannot migrate from version {stored} down to {new}")]
    CannotDowngrade { stored: String, new: String },

    #[error("invalid version string {version}")]
    InvalidVersion { version: String },
}

impl GovError {
    pub fn unauthorized(sender: &Addr, action: &'static str) -> Self {
        GovError::Unauthorized {
            sender: sender.to_string(),
            action,
        }
    }
}

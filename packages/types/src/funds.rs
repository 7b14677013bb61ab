//! Checks on the funds sent with a message, shared by every contract so that
//! "no funds", "wrong denom" and "several denoms" read the same everywhere
//! (checklist item 4).

use cosmwasm_std::{MessageInfo, Uint128};
use thiserror::Error;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum FundsError {
    #[error("this message takes no funds, but {sent} was sent")]
    NotAccepted { sent: String },
    #[error("send exactly one coin of {denom}; nothing was sent")]
    NoFunds { denom: String },
    #[error("send exactly one coin of {denom}; got several denoms: {sent}")]
    MultipleDenoms { denom: String, sent: String },
    #[error("wrong denom: expected {expected}, got {got}")]
    WrongDenom { expected: String, got: String },
    #[error("amount of {denom} must be greater than zero")]
    ZeroAmount { denom: String },
    #[error("amount {amount} of {denom} does not fit in 128 bits")]
    AmountTooLarge { amount: String, denom: String },
}

fn describe(info: &MessageInfo) -> String {
    info.funds
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",")
}

/// Error unless no funds (or only zero-amount coins) were sent.
pub fn nonpayable(info: &MessageInfo) -> Result<(), FundsError> {
    if info.funds.iter().any(|c| !c.amount.is_zero()) {
        return Err(FundsError::NotAccepted {
            sent: describe(info),
        });
    }
    Ok(())
}

/// The amount of the single non-zero coin of `denom` that was sent.
pub fn must_pay(info: &MessageInfo, denom: &str) -> Result<Uint128, FundsError> {
    let paid: Vec<_> = info.funds.iter().filter(|c| !c.amount.is_zero()).collect();
    match paid.as_slice() {
        [] => {
            if info.funds.iter().any(|c| c.denom == denom) {
                Err(FundsError::ZeroAmount {
                    denom: denom.to_string(),
                })
            } else {
                Err(FundsError::NoFunds {
                    denom: denom.to_string(),
                })
            }
        }
        [coin] if coin.denom == denom => {
            Uint128::try_from(coin.amount).map_err(|_| FundsError::AmountTooLarge {
                amount: coin.amount.to_string(),
                denom: denom.to_string(),
            })
        }
        [coin] => Err(FundsError::WrongDenom {
            expected: denom.to_string(),
            got: coin.denom.clone(),
        }),
        _ => Err(FundsError::MultipleDenoms {
            denom: denom.to_string(),
            sent: describe(info),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{coin, testing::message_info, Addr};

    fn info(funds: &[cosmwasm_std::Coin]) -> MessageInfo {
        message_info(&Addr::unchecked("sender"), funds)
    }

    #[test]
    fn must_pay_cases() {
        assert_eq!(
            must_pay(&info(&[coin(5, "uimp")]), "uimp"),
            Ok(Uint128::new(5))
        );
        assert!(matches!(
            must_pay(&info(&[]), "uimp"),
            Err(FundsError::NoFunds { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(0, "uimp")]), "uimp"),
            Err(FundsError::ZeroAmount { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(5, "uatom")]), "uimp"),
            Err(FundsError::WrongDenom { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(5, "uimp"), coin(1, "uatom")]), "uimp"),
            Err(FundsError::MultipleDenoms { .. })
        ));
    }

    #[test]
    fn nonpayable_cases() {
        assert_eq!(nonpayable(&info(&[])), Ok(()));
        assert!(nonpayable(&info(&[coin(1, "uimp")])).is_err());
    }
}

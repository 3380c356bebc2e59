//! Amounts as a person types them (`12.34`, in display units) and as the ledger counts them
//! (minor units), with the chain's decimals from `chain_status`.
//!
//! An amount is checked twice: its form (digits, one point, greater than zero) before the node
//! is asked anything, then its decimals once the chain's are known. Both failures are usage
//! errors (exit 2): nothing is signed.

use vellum_protocol::Amount;
use vellum_protocol::amount::{AmountError, MAX_DECIMALS};

use crate::exit::WalletError;

/// Checks the form of `text` without the chain's decimals.
pub fn check_form(text: &str) -> Result<(), WalletError> {
    match Amount::parse_display(text, MAX_DECIMALS) {
        Ok(_) | Err(AmountError::TooManyDecimals { .. }) | Err(AmountError::Overflow) => Ok(()),
        Err(e) => Err(refusal(text, &e)),
    }
}

/// `text` in minor units with `decimals` decimals.
pub fn parse(text: &str, decimals: u8) -> Result<Amount, WalletError> {
    Amount::parse_display(text, decimals).map_err(|e| refusal(text, &e))
}

/// `amount` in display units, e.g. `1234.50`.
pub fn show(amount: Amount, decimals: u8) -> String {
    amount.display(decimals)
}

fn refusal(text: &str, e: &AmountError) -> WalletError {
    let why = if text.trim_start().starts_with('-') {
        "the amount must be greater than zero".to_string()
    } else {
        e.to_string()
    };
    WalletError::Usage(format!("--amount {text:?}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::EXIT_USAGE;

    #[test]
    fn amounts_parse_with_the_chain_decimals() {
        assert_eq!(parse("12.34", 2).unwrap(), Amount(1234));
        assert_eq!(parse("7", 0).unwrap(), Amount(7));
        assert_eq!(show(Amount(1234), 2), "12.34");
    }

    #[test]
    fn zero_negative_malformed_and_overprecise_amounts_are_usage_errors() {
        for (text, decimals, says) in [
            ("0", 2, "greater than zero"),
            ("0.00", 2, "greater than zero"),
            ("-5", 2, "greater than zero"),
            ("1,5", 2, "digits"),
            ("abc", 2, "digits"),
            ("1.234", 2, "3 decimals"),
            ("0.1", 0, "1 decimals"),
        ] {
            let e = parse(text, decimals).unwrap_err();
            assert_eq!(e.exit_code(), EXIT_USAGE, "{text}");
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn the_form_check_needs_no_decimals() {
        assert!(check_form("1.234567").is_ok());
        assert!(check_form("0").is_err());
        assert!(check_form("-1").is_err());
        assert!(check_form("1e5").is_err());
    }
}

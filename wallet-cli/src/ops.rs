//! How an operation reads to a person, with amounts in display units: `transfer 12.34 to vl1…`.

use vellum_protocol::Operation;

use crate::amounts::show;

/// One line describing `op`.
pub fn describe(op: &Operation, decimals: u8) -> String {
    match op {
        Operation::Transfer { to, amount, memo } if memo.is_empty() => {
            format!("transfer {} to {to}", show(*amount, decimals))
        }
        Operation::Transfer { to, amount, memo } => {
            format!(
                "transfer {} to {to} (memo {memo:?})",
                show(*amount, decimals)
            )
        }
        Operation::Mint { to, amount } => format!("mint {} to {to}", show(*amount, decimals)),
        Operation::Burn { amount } => format!("burn {}", show(*amount, decimals)),
        Operation::Freeze { account } => format!("freeze {account}"),
        Operation::Unfreeze { account } => format!("unfreeze {account}"),
        Operation::AddValidator { key, power } => {
            format!("set validator {key} to power {power}")
        }
        Operation::RemoveValidator { key } => format!("remove validator {key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::{Address, Amount};

    #[test]
    fn amounts_read_in_display_units() {
        let to = Address([1; 20]);
        let op = Operation::Transfer {
            to,
            amount: Amount(1234),
            memo: "rent".into(),
        };
        assert_eq!(
            describe(&op, 2),
            format!("transfer 12.34 to {to} (memo \"rent\")")
        );
        assert_eq!(
            describe(&Operation::Burn { amount: Amount(5) }, 3),
            "burn 0.005"
        );
    }
}

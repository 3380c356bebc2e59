//! Amounts of the ledger's currency: integer minor units with checked arithmetic.
//!
//! The number of decimals is declared in genesis. Display text such as `12.34` is converted
//! with those decimals and refused when it has more digits after the point than the currency
//! has. JSON carries amounts as decimal strings of minor units, so no client rounds them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// Most decimals a currency may declare (10^38 still fits a `u128`).
pub const MAX_DECIMALS: u8 = 18;

/// An amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub u128);

/// Why display text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount is digits with at most one decimal point, like 12.34")]
    Malformed,
    #[error("the amount has {given} decimals; this currency has {allowed}")]
    TooManyDecimals { given: usize, allowed: u8 },
    #[error("the amount is too large")]
    Overflow,
    #[error("the amount must be greater than zero")]
    Zero,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses display units (`"12.34"`) with `decimals` decimals into minor units. Zero and
    /// negative amounts are refused: a user never means to send nothing.
    pub fn parse_display(text: &str, decimals: u8) -> Result<Amount, AmountError> {
        let text = text.trim();
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(AmountError::Malformed);
        }
        if text.ends_with('.') {
            return Err(AmountError::Malformed);
        }
        let significant_frac = frac.trim_end_matches('0');
        if significant_frac.len() > usize::from(decimals) {
            return Err(AmountError::TooManyDecimals {
                given: frac.len(),
                allowed: decimals,
            });
        }
        let scale = 10u128
            .checked_pow(u32::from(decimals))
            .ok_or(AmountError::Overflow)?;
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| AmountError::Overflow)?
        };
        let mut frac_units: u128 = 0;
        for (i, c) in significant_frac.bytes().enumerate() {
            let place = 10u128.pow(u32::from(decimals) - 1 - i as u32);
            frac_units += u128::from(c - b'0') * place;
        }
        let units = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_units))
            .ok_or(AmountError::Overflow)?;
        if units == 0 {
            return Err(AmountError::Zero);
        }
        Ok(Amount(units))
    }

    /// Formats in display units with all `decimals` digits, e.g. `1234.50`.
    pub fn display(self, decimals: u8) -> String {
        if decimals == 0 {
            return self.0.to_string();
        }
        let scale = 10u128.pow(u32::from(decimals));
        format!(
            "{}.{:0width$}",
            self.0 / scale,
            self.0 % scale,
            width = usize::from(decimals)
        )
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Encode for Amount {
    fn encode(&self, w: &mut Writer) {
        w.u128(self.0);
    }
}

impl Decode for Amount {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Amount(r.u128()?))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(serde::de::Error::custom(
                "an amount in JSON is a string of minor units, like \"1234\"",
            ));
        }
        s.parse::<u128>()
            .map(Amount)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_text_parses_with_the_currency_decimals() {
        assert_eq!(Amount::parse_display("12.34", 2), Ok(Amount(1234)));
        assert_eq!(Amount::parse_display("12", 2), Ok(Amount(1200)));
        assert_eq!(Amount::parse_display("0.5", 2), Ok(Amount(50)));
        assert_eq!(Amount::parse_display(".5", 2), Ok(Amount(50)));
        assert_eq!(Amount::parse_display("1.230", 2), Ok(Amount(123)));
    }

    #[test]
    fn bad_display_text_is_refused_with_a_reason() {
        assert_eq!(
            Amount::parse_display("1.234", 2),
            Err(AmountError::TooManyDecimals {
                given: 3,
                allowed: 2
            })
        );
        assert_eq!(Amount::parse_display("0", 2), Err(AmountError::Zero));
        assert_eq!(Amount::parse_display("-1", 2), Err(AmountError::Malformed));
        assert_eq!(Amount::parse_display("1e3", 2), Err(AmountError::Malformed));
        assert_eq!(Amount::parse_display("1.", 2), Err(AmountError::Malformed));
        assert_eq!(Amount::parse_display("", 2), Err(AmountError::Malformed));
        assert_eq!(
            Amount::parse_display(&"9".repeat(40), 2),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn display_pads_the_decimals() {
        assert_eq!(Amount(123450).display(2), "1234.50");
        assert_eq!(Amount(5).display(3), "0.005");
        assert_eq!(Amount(7).display(0), "7");
    }

    #[test]
    fn json_uses_strings_of_minor_units() {
        assert_eq!(
            serde_json::to_string(&Amount(u128::MAX)).unwrap(),
            format!("\"{}\"", u128::MAX)
        );
        assert_eq!(
            serde_json::from_str::<Amount>("\"42\"").unwrap(),
            Amount(42)
        );
        assert!(serde_json::from_str::<Amount>("42").is_err());
        assert!(serde_json::from_str::<Amount>("\"-1\"").is_err());
    }
}

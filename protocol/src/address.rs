//! Account addresses: derived from an ed25519 public key, written with a checksum.
//!
//! Rule: `address = SHA-256("VELLUM/ADDRESS/v1\0" || public_key)[0..20]`. Its text form is
//! Bech32m (BIP-350) with the human-readable part `vl`, e.g. `vl1...`: the checksum detects any
//! error in up to four characters, so a mistyped address is refused before anything is signed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::crypto::{Hash, PublicKey};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// The human-readable prefix of every address.
pub const ADDRESS_HRP: &str = "vl";
const ADDRESS_TAG: &[u8] = b"VELLUM/ADDRESS/v1\0";
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// A 20-byte account address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 20]);

/// Why a text address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an address starts with \"{ADDRESS_HRP}1\"")]
    WrongPrefix,
    #[error("an address has only the characters qpzry9x8gf2tvdw0s3jn54khce6mua7l after vl1")]
    BadCharacter,
    #[error("an address is all lower case or all upper case")]
    MixedCase,
    #[error("the address checksum does not match: check it for a typo")]
    BadChecksum,
    #[error("an address holds 20 bytes; this one has the wrong length")]
    WrongLength,
}

impl Address {
    pub fn from_public_key(key: &PublicKey) -> Address {
        let h = Hash::of(&[ADDRESS_TAG, &key.0]);
        let mut a = [0u8; 20];
        a.copy_from_slice(&h.0[..20]);
        Address(a)
    }
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let b = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(*v);
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> Vec<u8> {
    let b = hrp.as_bytes();
    b.iter()
        .map(|c| c >> 5)
        .chain([0])
        .chain(b.iter().map(|c| c & 31))
        .collect()
}

/// Regroups bits, e.g. 8-bit bytes into 5-bit symbols. With `pad` false, leftover bits must be
/// zero padding of fewer than `from` bits.
fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let maxv = (1u32 << to) - 1;
    let mut out = Vec::new();
    for v in data {
        acc = (acc << from) | u32::from(*v);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = convert_bits(&self.0, 8, 5, true).expect("padding always succeeds");
        let mut values = hrp_expand(ADDRESS_HRP);
        values.extend_from_slice(&data);
        values.extend_from_slice(&[0; 6]);
        let pm = polymod(&values) ^ BECH32M_CONST;
        let mut s = String::with_capacity(ADDRESS_HRP.len() + 1 + data.len() + 6);
        s.push_str(ADDRESS_HRP);
        s.push('1');
        for d in &data {
            s.push(CHARSET[*d as usize] as char);
        }
        for i in 0..6 {
            s.push(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char);
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Address, AddressError> {
        let has_lower = s.bytes().any(|c| c.is_ascii_lowercase());
        let has_upper = s.bytes().any(|c| c.is_ascii_uppercase());
        if has_lower && has_upper {
            return Err(AddressError::MixedCase);
        }
        let s = s.to_ascii_lowercase();
        let rest = s
            .strip_prefix(ADDRESS_HRP)
            .and_then(|r| r.strip_prefix('1'))
            .ok_or(AddressError::WrongPrefix)?;
        let mut data = Vec::with_capacity(rest.len());
        for c in rest.bytes() {
            let v = CHARSET
                .iter()
                .position(|x| *x == c)
                .ok_or(AddressError::BadCharacter)?;
            data.push(v as u8);
        }
        if data.len() < 6 {
            return Err(AddressError::WrongLength);
        }
        let mut values = hrp_expand(ADDRESS_HRP);
        values.extend_from_slice(&data);
        if polymod(&values) != BECH32M_CONST {
            return Err(AddressError::BadChecksum);
        }
        let payload =
            convert_bits(&data[..data.len() - 6], 5, 8, false).ok_or(AddressError::WrongLength)?;
        let arr: [u8; 20] = payload.try_into().map_err(|_| AddressError::WrongLength)?;
        Ok(Address(arr))
    }
}

impl Encode for Address {
    fn encode(&self, w: &mut Writer) {
        w.raw(&self.0);
    }
}

impl Decode for Address {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Address(r.array()?))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32m_checksum_matches_a_bip350_vector() {
        // BIP-350 valid Bech32m string "a1lqfn3a": HRP "a", empty data.
        let mut values = hrp_expand("a");
        for c in "lqfn3a".bytes() {
            values.push(CHARSET.iter().position(|x| *x == c).unwrap() as u8);
        }
        assert_eq!(polymod(&values), BECH32M_CONST);
    }

    #[test]
    fn an_address_round_trips_through_text() {
        let a = Address([0xab; 20]);
        let s = a.to_string();
        assert!(s.starts_with("vl1"));
        assert_eq!(s.parse::<Address>().unwrap(), a);
        assert_eq!(s.to_ascii_uppercase().parse::<Address>().unwrap(), a);
    }

    #[test]
    fn every_single_character_typo_is_refused() {
        let s = Address([0x5a; 20]).to_string();
        for i in 3..s.len() {
            for c in CHARSET.iter() {
                let mut t = s.clone().into_bytes();
                if t[i] == *c {
                    continue;
                }
                t[i] = *c;
                let t = String::from_utf8(t).unwrap();
                assert!(t.parse::<Address>().is_err(), "typo accepted: {t}");
            }
        }
    }

    #[test]
    fn swapped_neighbours_and_bad_prefixes_are_refused() {
        let s = Address([0x11; 20]).to_string();
        let mut t = s.clone().into_bytes();
        t.swap(10, 11);
        if t != s.as_bytes() {
            assert!(String::from_utf8(t).unwrap().parse::<Address>().is_err());
        }
        assert_eq!("xx1qqqq".parse::<Address>(), Err(AddressError::WrongPrefix));
        assert_eq!(
            "vl1Qqqqqqqq".parse::<Address>(),
            Err(AddressError::MixedCase)
        );
        assert_eq!(
            "vl1qqqqqqqb".parse::<Address>(),
            Err(AddressError::BadCharacter)
        );
    }
}

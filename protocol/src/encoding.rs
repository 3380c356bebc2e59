//! The canonical byte encoding: one deterministic form for signing, hashing, the wire and the disk.
//!
//! Rules (specified byte by byte in `docs/PROTOCOL.md`):
//! - integers are fixed width, big-endian; `bool` is one byte, 0 or 1, nothing else;
//! - byte strings and UTF-8 strings are a `u32` length then the bytes;
//! - lists are a `u32` count then the items; `Option` is a 0/1 tag then the value;
//! - enums are a `u8` tag then the variant's fields in order.
//!
//! Decoding is bounded: every length and count is checked against a limit and against the bytes
//! that remain *before* anything is allocated, nesting is capped, and a value must use every byte
//! it is given (`decode_exact`), so there is exactly one encoding per value.

use thiserror::Error;

/// Deepest nesting of lists and options a decoder accepts.
pub const MAX_NESTING: u32 = 8;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} remain")]
    UnexpectedEnd { needed: usize, remaining: usize },
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    #[error("{what}: length {len} is over the limit of {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("nesting deeper than {MAX_NESTING} levels")]
    TooDeep,
    #[error("{what}: unknown tag {tag}")]
    BadTag { what: &'static str, tag: u8 },
    #[error("{0}: not valid UTF-8")]
    BadUtf8(&'static str),
    #[error("{0}: not in canonical form")]
    NonCanonical(&'static str),
}

/// Appends canonical bytes to a buffer.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap),
        }
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u128(&mut self, v: u128) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Fixed-size bytes with no length prefix (keys, hashes, signatures).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    /// A `u32` length, then the bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        let len = u32::try_from(bytes.len()).expect("encoded byte strings are far below 4 GiB");
        self.u32(len);
        self.raw(bytes);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub fn option<T>(&mut self, v: Option<&T>, mut f: impl FnMut(&mut Self, &T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        let n = u32::try_from(items.len()).expect("encoded lists are far below 4G items");
        self.u32(n);
        for item in items {
            f(self, item);
        }
    }
}

/// Reads canonical bytes, refusing anything over its limits.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    depth: u32,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, depth: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }
    /// Fails unless every byte was consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.buf.len() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
    pub fn raw(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::UnexpectedEnd {
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.raw(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.raw(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::NonCanonical("bool")),
        }
    }
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub fn u128(&mut self) -> Result<u128, DecodeError> {
        Ok(u128::from_be_bytes(self.array()?))
    }
    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        self.raw(len)
    }
    pub fn string(&mut self, what: &'static str, max: usize) -> Result<String, DecodeError> {
        let bytes = self.bytes(what, max)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError::BadUtf8(what))
    }
    pub fn option<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.nested(|r| f(r).map(Some)),
            tag => Err(DecodeError::BadTag { what, tag }),
        }
    }
    /// A counted list of at most `max` items; each item must take at least `min_item_len`
    /// bytes, so a count that cannot fit in the remaining input is refused before allocating.
    pub fn list<T>(
        &mut self,
        what: &'static str,
        max: usize,
        min_item_len: usize,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(DecodeError::TooLong { what, len: n, max });
        }
        let needed = n.saturating_mul(min_item_len.max(1));
        if needed > self.buf.len() {
            return Err(DecodeError::UnexpectedEnd {
                needed,
                remaining: self.buf.len(),
            });
        }
        self.nested(|r| {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(f(r)?);
            }
            Ok(out)
        })
    }
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        if self.depth >= MAX_NESTING {
            return Err(DecodeError::TooDeep);
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }
}

/// A value with a canonical encoding.
pub trait Encode {
    fn encode(&self, w: &mut Writer);
    /// About how many bytes the encoding takes, so [`Encode::to_bytes`] allocates once instead
    /// of growing its buffer step by step (transactions are encoded on every hash).
    fn size_hint(&self) -> usize {
        0
    }
    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.size_hint());
        self.encode(&mut w);
        w.into_bytes()
    }
}

/// A value that can be read back from its canonical encoding.
pub trait Decode: Sized {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    /// Decodes a value that must use every byte given.
    fn decode_exact(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian_fixed_width() {
        let mut w = Writer::new();
        w.u16(0x0102);
        w.u32(0x0304_0506);
        w.u64(7);
        assert_eq!(w.into_bytes(), [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn a_length_over_the_limit_is_refused_before_reading() {
        let mut w = Writer::new();
        w.u32(u32::MAX);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes).bytes("memo", 256).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLong {
                what: "memo",
                len: u32::MAX as usize,
                max: 256
            }
        );
    }

    #[test]
    fn a_count_that_cannot_fit_is_refused_without_allocating() {
        let mut w = Writer::new();
        w.u32(1000);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes)
            .list("txs", 100_000, 100, |r| r.u8())
            .unwrap_err();
        assert!(matches!(err, DecodeError::UnexpectedEnd { .. }));
    }

    #[test]
    fn nesting_over_the_limit_is_refused() {
        fn nest(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
            match r.option("nest", nest)? {
                Some(d) => Ok(d + 1),
                None => Ok(0),
            }
        }
        let ok = [1u8; 8].iter().copied().chain([0]).collect::<Vec<_>>();
        assert_eq!(nest(&mut Reader::new(&ok)).unwrap(), 8);
        let deep = [1u8; 9].iter().copied().chain([0]).collect::<Vec<_>>();
        assert_eq!(
            nest(&mut Reader::new(&deep)).unwrap_err(),
            DecodeError::TooDeep
        );
    }

    #[test]
    fn bool_accepts_only_zero_and_one() {
        assert_eq!(
            Reader::new(&[2]).bool(),
            Err(DecodeError::NonCanonical("bool"))
        );
    }
}

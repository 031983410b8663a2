//! Fixed-width bit-vector values: constants in the construction layer and port values in
//! the simulators. One type for both so that a value written to a port and a literal in the
//! Verilog agree on width and two's-complement meaning.
//!
//! Hand-written rather than taken from a big-integer crate: seedchip needs exactly a width-
//! tagged, wrap-free container with lane packing, not arithmetic on unbounded integers.

use std::fmt;

/// A value of exactly `width` bits, stored little-endian in 64-bit limbs. Bits above `width`
/// are always zero, so equality is bit equality.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bits {
    width: u32,
    limbs: Vec<u64>,
}

/// A value did not fit the width it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value {value} does not fit in {width} {kind} bits")]
pub struct BitsError {
    pub value: String,
    pub width: u32,
    pub kind: &'static str,
}

fn limbs_for(width: u32) -> usize {
    (width as usize).div_ceil(64).max(1)
}

/// Bytes as 32-bit little-endian words, the last one zero-padded.
pub fn le_words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect()
}

impl Bits {
    /// All-zero value of `width` bits.
    pub fn zero(width: u32) -> Bits {
        Bits {
            width,
            limbs: vec![0; limbs_for(width)],
        }
    }

    /// Unsigned value; errors when `value` needs more than `width` bits.
    pub fn from_u64(width: u32, value: u64) -> Result<Bits, BitsError> {
        if width < 64 && value >> width != 0 {
            return Err(BitsError {
                value: value.to_string(),
                width,
                kind: "unsigned",
            });
        }
        Ok(Bits::from_u64_wrapping(width, value))
    }

    /// Signed value in two's complement; errors when outside `-2^(width-1) .. 2^(width-1)`.
    pub fn from_i64(width: u32, value: i64) -> Result<Bits, BitsError> {
        let fits = width >= 64
            || width > 0 && {
                let min = -(1i128 << (width - 1));
                let max = (1i128 << (width - 1)) - 1;
                (min..=max).contains(&(value as i128))
            };
        if !fits {
            return Err(BitsError {
                value: value.to_string(),
                width,
                kind: "signed",
            });
        }
        Ok(Bits::from_i64_wrapping(width, value))
    }

    /// The low `width` bits of `value`.
    pub fn from_u64_wrapping(width: u32, value: u64) -> Bits {
        let mut b = Bits::zero(width);
        b.limbs[0] = value;
        b.mask_top();
        b
    }

    /// `value` sign-extended (or truncated) to `width` bits.
    pub fn from_i64_wrapping(width: u32, value: i64) -> Bits {
        let mut b = Bits::zero(width);
        let fill = if value < 0 { u64::MAX } else { 0 };
        for (i, limb) in b.limbs.iter_mut().enumerate() {
            *limb = if i == 0 { value as u64 } else { fill };
        }
        b.mask_top();
        b
    }

    /// Build from bytes, least significant first. Extra bits above `width` are ignored.
    pub fn from_le_bytes(width: u32, bytes: &[u8]) -> Bits {
        Bits::from_words_u32(width, &le_words(bytes))
    }

    /// The first `n` bytes, least significant first (zeros past the value).
    pub fn to_le_bytes(&self, n: usize) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .to_words_u32()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        out.resize(n, 0);
        out
    }

    /// Build from 32-bit words, least significant first (the Verilator layout). Extra bits
    /// above `width` are ignored.
    pub fn from_words_u32(width: u32, words: &[u32]) -> Bits {
        let mut b = Bits::zero(width);
        for (i, w) in words.iter().enumerate() {
            let limb = i / 2;
            if limb < b.limbs.len() {
                b.limbs[limb] |= (*w as u64) << (32 * (i % 2));
            }
        }
        b.mask_top();
        b
    }

    /// Pack lanes of `lane_width` bits, lane 0 in the least significant position.
    pub fn from_lanes(lane_width: u32, lanes: &[i64]) -> Bits {
        let mut b = Bits::zero(lane_width * lanes.len() as u32);
        for (i, &v) in lanes.iter().enumerate() {
            b.set_slice(
                i as u32 * lane_width,
                &Bits::from_i64_wrapping(lane_width, v),
            );
        }
        b
    }

    /// Unpack into signed lanes of `lane_width` bits (lane 0 from the least significant bits).
    pub fn to_signed_lanes(&self, lane_width: u32) -> Vec<i64> {
        (0..self.width / lane_width)
            .map(|i| self.slice(i * lane_width, lane_width).to_i64_wrapping())
            .collect()
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn bit(&self, i: u32) -> bool {
        i < self.width && (self.limbs[(i / 64) as usize] >> (i % 64)) & 1 == 1
    }

    pub fn set_bit(&mut self, i: u32, v: bool) {
        assert!(i < self.width, "bit {i} outside a {}-bit value", self.width);
        let (l, s) = ((i / 64) as usize, i % 64);
        self.limbs[l] = (self.limbs[l] & !(1 << s)) | ((v as u64) << s);
    }

    /// `width` bits starting at bit `lo`.
    pub fn slice(&self, lo: u32, width: u32) -> Bits {
        let mut out = Bits::zero(width);
        for i in 0..width {
            if self.bit(lo + i) {
                out.set_bit(i, true);
            }
        }
        out
    }

    /// Overwrite bits `lo .. lo + v.width()` with `v`.
    pub fn set_slice(&mut self, lo: u32, v: &Bits) {
        for i in 0..v.width {
            self.set_bit(lo + i, v.bit(i));
        }
    }

    /// The value as unsigned if it fits in 64 bits.
    pub fn to_u64(&self) -> Option<u64> {
        self.limbs[1..]
            .iter()
            .all(|&l| l == 0)
            .then_some(self.limbs[0])
    }

    /// The low 64 bits.
    pub fn to_u64_wrapping(&self) -> u64 {
        self.limbs[0]
    }

    /// The value read as two's complement, sign-extended from `width` (low 64 bits kept).
    pub fn to_i64_wrapping(&self) -> i64 {
        if self.width == 0 {
            return 0;
        }
        let low = self.limbs[0];
        if self.width >= 64 {
            return low as i64;
        }
        let shift = 64 - self.width;
        ((low << shift) as i64) >> shift
    }

    /// 32-bit words, least significant first.
    pub fn to_words_u32(&self) -> Vec<u32> {
        let n = (self.width as usize).div_ceil(32).max(1);
        (0..n)
            .map(|i| (self.limbs[i / 2] >> (32 * (i % 2))) as u32)
            .collect()
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.iter().all(|&l| l == 0)
    }

    /// Hexadecimal digits without prefix, most significant first, no leading zeros.
    pub fn to_hex(&self) -> String {
        let mut s = String::new();
        for limb in self.limbs.iter().rev() {
            if s.is_empty() {
                if *limb != 0 {
                    s = format!("{limb:x}");
                }
            } else {
                s.push_str(&format!("{limb:016x}"));
            }
        }
        if s.is_empty() {
            s.push('0');
        }
        s
    }

    /// A sized Verilog literal: decimal for small values (`8'd5`), hex above 2^20 (`32'h1f0000`).
    pub fn verilog_literal(&self) -> String {
        match self.to_u64() {
            Some(v) if v < 1 << 20 => format!("{}'d{}", self.width, v),
            _ => format!("{}'h{}", self.width, self.to_hex()),
        }
    }

    fn mask_top(&mut self) {
        let used = self.width % 64;
        if used != 0 {
            let last = self.limbs.len() - 1;
            self.limbs[last] &= (1u64 << used) - 1;
        }
        for l in self.limbs.iter_mut().skip(limbs_for(self.width)) {
            *l = 0;
        }
        if self.width == 0 {
            self.limbs[0] = 0;
        }
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

impl std::str::FromStr for Bits {
    type Err = BitsError;

    /// Parse `W'hHEX` (the [`Display`](fmt::Display) form), e.g. `8'h5a`.
    fn from_str(text: &str) -> Result<Bits, BitsError> {
        let bad = || BitsError {
            value: text.to_string(),
            width: 0,
            kind: "W'hHEX-formatted",
        };
        let (w, hex) = text.trim().split_once("'h").ok_or_else(bad)?;
        let width: u32 = w.parse().map_err(|_| bad())?;
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut b = Bits::zero(width);
        for (i, c) in hex.chars().rev().enumerate() {
            let nibble = c.to_digit(16).expect("checked hex digit");
            for k in 0..4 {
                if nibble >> k & 1 == 1 {
                    let bit = i as u32 * 4 + k;
                    if bit >= width {
                        return Err(BitsError {
                            value: text.to_string(),
                            width,
                            kind: "unsigned",
                        });
                    }
                    b.set_bit(bit, true);
                }
            }
        }
        Ok(b)
    }
}

impl serde::Serialize for Bits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Bits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bits, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_checks_name_the_width() {
        assert!(Bits::from_u64(8, 255).is_ok());
        let e = Bits::from_u64(8, 256).unwrap_err();
        assert_eq!(e.to_string(), "value 256 does not fit in 8 unsigned bits");
        assert!(Bits::from_i64(8, -128).is_ok());
        assert!(Bits::from_i64(8, 127).is_ok());
        assert!(Bits::from_i64(8, 128).is_err());
        assert!(Bits::from_i64(8, -129).is_err());
        assert!(Bits::from_i64(64, i64::MIN).is_ok());
    }

    #[test]
    fn wide_values_round_trip_through_words_and_lanes() {
        let lanes: Vec<i64> = (0..40).map(|i| (i * 37 % 256) - 128).collect();
        let b = Bits::from_lanes(8, &lanes);
        assert_eq!(b.width(), 320);
        assert_eq!(b.to_signed_lanes(8), lanes);
        let w = b.to_words_u32();
        assert_eq!(w.len(), 10);
        assert_eq!(Bits::from_words_u32(320, &w), b);
        let neg = Bits::from_i64_wrapping(100, -1);
        assert_eq!(neg.to_hex(), "fffffffffffffffffffffffff");
        assert_eq!(neg.to_i64_wrapping(), -1);
    }

    #[test]
    fn text_form_round_trips_and_checks_width() {
        let b = Bits::from_i64_wrapping(70, -3);
        assert_eq!(b.to_string().parse::<Bits>().unwrap(), b);
        assert_eq!("8'h5a".parse::<Bits>().unwrap().to_u64(), Some(0x5a));
        assert!("4'h1f".parse::<Bits>().is_err());
        assert!("8'hxz".parse::<Bits>().is_err());
        assert!("12".parse::<Bits>().is_err());
    }

    #[test]
    fn literals_are_sized() {
        assert_eq!(Bits::from_u64(8, 5).unwrap().verilog_literal(), "8'd5");
        assert_eq!(
            Bits::from_u64(12, 0xabc).unwrap().verilog_literal(),
            "12'd2748"
        );
        assert_eq!(
            Bits::from_u64(24, 0xabcdef).unwrap().verilog_literal(),
            "24'habcdef"
        );
        assert_eq!(Bits::from_i64(8, -1).unwrap().verilog_literal(), "8'd255");
    }
}

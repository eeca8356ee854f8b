//! The Open Inference Protocol V2 on the wire, shared by the client
//! (`models::remote`) and the server (`serve`): its datatypes, a tensor's
//! flat values, and Triton's binary tensor data encoding (the same bytes
//! both ways, so the two cannot disagree).
//!
//! Binary tensors are little-endian and row-major: BOOL one byte, INT8 to
//! UINT64 their width, FP16 and BF16 two bytes, FP32 four, FP64 eight;
//! BYTES elements are each a 4-byte little-endian length and the bytes.

use serde::Serialize;

/// The header that says how long a binary body's JSON part is.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// The V2 tensor datatypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Fp16,
    /// bfloat16 (binary tensor data; JSON numbers as for the other floats).
    Bf16,
    Fp32,
    Fp64,
    Bytes,
}

impl DataType {
    pub const ALL: [Self; 14] = [
        Self::Bool,
        Self::Int8,
        Self::Int16,
        Self::Int32,
        Self::Int64,
        Self::Uint8,
        Self::Uint16,
        Self::Uint32,
        Self::Uint64,
        Self::Fp16,
        Self::Bf16,
        Self::Fp32,
        Self::Fp64,
        Self::Bytes,
    ];

    /// The name on the wire: `BOOL`, `INT64`, `FP32`, `BYTES`, …
    pub fn name(self) -> &'static str {
        match self {
            Self::Bool => "BOOL",
            Self::Int8 => "INT8",
            Self::Int16 => "INT16",
            Self::Int32 => "INT32",
            Self::Int64 => "INT64",
            Self::Uint8 => "UINT8",
            Self::Uint16 => "UINT16",
            Self::Uint32 => "UINT32",
            Self::Uint64 => "UINT64",
            Self::Fp16 => "FP16",
            Self::Bf16 => "BF16",
            Self::Fp32 => "FP32",
            Self::Fp64 => "FP64",
            Self::Bytes => "BYTES",
        }
    }

    /// Parses a wire name (upper case per the protocol; lower case is
    /// accepted too).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// The inclusive range of an integer datatype.
    pub fn integer_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Self::Int8 => (i8::MIN.into(), i8::MAX.into()),
            Self::Int16 => (i16::MIN.into(), i16::MAX.into()),
            Self::Int32 => (i32::MIN.into(), i32::MAX.into()),
            Self::Int64 => (i64::MIN.into(), i64::MAX.into()),
            Self::Uint8 => (0, u8::MAX.into()),
            Self::Uint16 => (0, u16::MAX.into()),
            Self::Uint32 => (0, u32::MAX.into()),
            // Held as i64: larger values are refused with a message.
            Self::Uint64 => (0, i64::MAX.into()),
            _ => return None,
        })
    }

    pub fn is_integer(self) -> bool {
        self.integer_range().is_some()
    }

    pub fn is_float(self) -> bool {
        matches!(self, Self::Fp16 | Self::Bf16 | Self::Fp32 | Self::Fp64)
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The flat, row-major values of a tensor. Serialises as a plain JSON list:
/// booleans, integers, numbers (NaN as `null`) or strings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TensorData {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bytes(Vec<String>),
}

impl TensorData {
    pub fn len(&self) -> usize {
        match self {
            Self::Bool(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Bytes(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements `range` as a new tensor's data.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        match self {
            Self::Bool(v) => Self::Bool(v.get(range).unwrap_or_default().to_vec()),
            Self::Int(v) => Self::Int(v.get(range).unwrap_or_default().to_vec()),
            Self::Float(v) => Self::Float(v.get(range).unwrap_or_default().to_vec()),
            Self::Bytes(v) => Self::Bytes(v.get(range).unwrap_or_default().to_vec()),
        }
    }
}

/// Bytes per element of a fixed-size datatype (`None` for BYTES).
pub fn element_size(d: DataType) -> Option<usize> {
    Some(match d {
        DataType::Bool | DataType::Int8 | DataType::Uint8 => 1,
        DataType::Int16 | DataType::Uint16 | DataType::Fp16 | DataType::Bf16 => 2,
        DataType::Int32 | DataType::Uint32 | DataType::Fp32 => 4,
        DataType::Int64 | DataType::Uint64 | DataType::Fp64 => 8,
        DataType::Bytes => return None,
    })
}

/// Decodes `count` elements of `datatype` from a tensor's bytes; the error
/// says what is wrong (the caller says which tensor).
pub fn decode(datatype: DataType, count: usize, bytes: &[u8]) -> Result<TensorData, String> {
    if let Some(size) = element_size(datatype) {
        let want = count.saturating_mul(size);
        if bytes.len() != want {
            return Err(format!(
                "binary_data_size is {} bytes, but its shape holds {count} {datatype} values of {size} bytes ({want} bytes)",
                bytes.len()
            ));
        }
    }
    macro_rules! le {
        ($t:ty, $n:expr) => {
            bytes.chunks_exact($n).map(|c| {
                let mut a = [0u8; $n];
                a.copy_from_slice(c);
                <$t>::from_le_bytes(a)
            })
        };
    }
    Ok(match datatype {
        DataType::Bool => TensorData::Bool(bytes.iter().map(|&b| b != 0).collect()),
        DataType::Int8 => TensorData::Int(le!(i8, 1).map(i64::from).collect()),
        DataType::Uint8 => TensorData::Int(le!(u8, 1).map(i64::from).collect()),
        DataType::Int16 => TensorData::Int(le!(i16, 2).map(i64::from).collect()),
        DataType::Uint16 => TensorData::Int(le!(u16, 2).map(i64::from).collect()),
        DataType::Int32 => TensorData::Int(le!(i32, 4).map(i64::from).collect()),
        DataType::Uint32 => TensorData::Int(le!(u32, 4).map(i64::from).collect()),
        DataType::Int64 => TensorData::Int(le!(i64, 8).collect()),
        DataType::Uint64 => TensorData::Int(
            le!(u64, 8)
                .enumerate()
                .map(|(i, v)| {
                    i64::try_from(v).map_err(|_| {
                        format!(
                            "value {i} is {v}, larger than 2^63 - 1, which cityops holds at most"
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        DataType::Fp16 => TensorData::Float(
            le!(u16, 2)
                .map(|b| f64::from(half::f16::from_bits(b)))
                .collect(),
        ),
        DataType::Bf16 => TensorData::Float(
            le!(u16, 2)
                .map(|b| f64::from(half::bf16::from_bits(b)))
                .collect(),
        ),
        DataType::Fp32 => TensorData::Float(le!(f32, 4).map(f64::from).collect()),
        DataType::Fp64 => TensorData::Float(le!(f64, 8).collect()),
        DataType::Bytes => TensorData::Bytes(decode_bytes(count, bytes)?),
    })
}

/// BYTES elements: each a 4-byte little-endian length, then the bytes
/// (UTF-8 text here).
fn decode_bytes(count: usize, bytes: &[u8]) -> Result<Vec<String>, String> {
    // Each element takes at least its 4-byte length: reserve by what the
    // bytes can hold, not by what the shape claims.
    let mut out = Vec::with_capacity(count.min(bytes.len() / 4));
    let mut rest = bytes;
    for i in 0..count {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(format!(
                "the binary data ends at element {i} of {count}; each BYTES element is a 4-byte length and its bytes"
            ));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if len > tail.len() {
            return Err(format!(
                "element {i} says it is {len} bytes long, but only {} bytes of the tensor are left",
                tail.len()
            ));
        }
        let (text, after) = tail.split_at(len);
        let text = std::str::from_utf8(text).map_err(|e| {
            format!("element {i} is not UTF-8 text ({e}); cityops reads BYTES as text")
        })?;
        out.push(text.to_owned());
        rest = after;
    }
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes are left after its {count} BYTES elements; binary_data_size must be exactly the elements' bytes",
            rest.len()
        ));
    }
    Ok(out)
}

/// A tensor's values as `datatype`'s bytes. Integers out of the
/// datatype's range wrap as Rust's `as` does; callers check ranges first.
pub fn encode(data: &TensorData, datatype: DataType) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * element_size(datatype).unwrap_or(8));
    match data {
        TensorData::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        TensorData::Int(v) => {
            for &x in v {
                match datatype {
                    DataType::Int8 | DataType::Uint8 | DataType::Bool => out.push(x as u8),
                    DataType::Int16 | DataType::Uint16 => {
                        out.extend_from_slice(&(x as u16).to_le_bytes())
                    }
                    DataType::Int32 | DataType::Uint32 => {
                        out.extend_from_slice(&(x as u32).to_le_bytes())
                    }
                    DataType::Fp32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
                    DataType::Fp64 => out.extend_from_slice(&(x as f64).to_le_bytes()),
                    _ => out.extend_from_slice(&x.to_le_bytes()),
                }
            }
        }
        TensorData::Float(v) => {
            for &x in v {
                match datatype {
                    DataType::Fp16 => out.extend_from_slice(&half::f16::from_f64(x).to_le_bytes()),
                    DataType::Bf16 => out.extend_from_slice(&half::bf16::from_f64(x).to_le_bytes()),
                    DataType::Fp32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
                    _ => out.extend_from_slice(&x.to_le_bytes()),
                }
            }
        }
        TensorData::Bytes(v) => {
            for s in v {
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_datatype_round_trips_through_its_bytes() {
        let cases = [
            (DataType::Bool, TensorData::Bool(vec![true, false])),
            (DataType::Int8, TensorData::Int(vec![-128, 127])),
            (DataType::Uint16, TensorData::Int(vec![0, 65_535])),
            (DataType::Int32, TensorData::Int(vec![-5, 1 << 30])),
            (DataType::Int64, TensorData::Int(vec![i64::MIN, i64::MAX])),
            (DataType::Uint64, TensorData::Int(vec![0, i64::MAX])),
            (DataType::Fp16, TensorData::Float(vec![0.5, -3.0])),
            (DataType::Bf16, TensorData::Float(vec![2.0, -0.25])),
            (DataType::Fp32, TensorData::Float(vec![1.5, -2.0])),
            (DataType::Fp64, TensorData::Float(vec![0.1, f64::MAX])),
            (
                DataType::Bytes,
                TensorData::Bytes(vec!["North".into(), String::new(), "河".into()]),
            ),
        ];
        for (d, data) in cases {
            let bytes = encode(&data, d);
            assert_eq!(decode(d, data.len(), &bytes).unwrap(), data, "{d}");
        }
    }

    #[test]
    fn sizes_and_lengths_are_checked() {
        let bytes = encode(&TensorData::Float(vec![1.0, 2.0]), DataType::Fp32);
        let err = decode(DataType::Fp32, 3, &bytes).unwrap_err();
        assert!(err.contains("holds 3 FP32 values"), "{err}");
        let mut b = encode(&TensorData::Bytes(vec!["ab".into()]), DataType::Bytes);
        b[0] = 200;
        assert!(
            decode(DataType::Bytes, 1, &b)
                .unwrap_err()
                .contains("200 bytes")
        );
        assert!(decode(DataType::Bytes, usize::MAX, &[0, 0]).is_err());
        assert!(decode(DataType::Uint64, 1, &u64::MAX.to_le_bytes()).is_err());
    }
}

//! The Open Inference Protocol V2 on the wire, shared by the client
//! (`models::remote`) and the server (`serve`): its datatypes, a tensor's
//! flat values (one enum, `TensorData`, with missing values), the reader of
//! a tensor's JSON `data` (one, for requests and answers alike), and
//! Triton's binary tensor data encoding (the same bytes both ways, so the
//! two sides cannot disagree).
//!
//! Binary tensors are little-endian and row-major: BOOL one byte, INT8 to
//! UINT64 their width, FP16 and BF16 two bytes, FP32 four, FP64 eight;
//! BYTES elements are each a 4-byte little-endian length and the bytes.

use serde::{Deserialize, Serialize};

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

/// What a model says about one of its inputs or outputs: the server lists
/// it, the client reads it. `-1` in a shape marks a dimension of any size
/// (usually the batch).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TensorMeta {
    pub name: String,
    /// `BOOL`, `INT8` … `INT64`, `UINT8` … `UINT64`, `FP16`, `BF16`,
    /// `FP32`, `FP64` or `BYTES`, upper case.
    pub datatype: String,
    pub shape: Vec<i64>,
}

impl TensorMeta {
    pub fn new(name: impl Into<String>, datatype: DataType, shape: Vec<i64>) -> Self {
        Self {
            name: name.into(),
            datatype: datatype.name().to_owned(),
            shape,
        }
    }
}

/// The answer to `GET /v2/models/NAME`, on both sides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelMetadata {
    pub name: String,
    pub versions: Vec<String>,
    pub platform: String,
    pub inputs: Vec<TensorMeta>,
    pub outputs: Vec<TensorMeta>,
    pub parameters: serde_json::Value,
}

/// The flat, row-major values of a tensor, on both sides of the protocol:
/// `None` is a missing value (JSON `null`). Serialises as a plain JSON
/// list: booleans, integers, numbers (NaN and missing as `null`) or
/// strings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TensorData {
    Bool(Vec<Option<bool>>),
    /// Every integer datatype.
    Int(Vec<Option<i64>>),
    /// FP16, BF16, FP32 and FP64.
    Float(Vec<Option<f64>>),
    Bytes(Vec<Option<String>>),
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

    /// Numbers, NaN as missing.
    pub fn floats(values: impl IntoIterator<Item = f64>) -> Self {
        Self::Float(
            values
                .into_iter()
                .map(|x| (!x.is_nan()).then_some(x))
                .collect(),
        )
    }

    pub fn ints(values: impl IntoIterator<Item = i64>) -> Self {
        Self::Int(values.into_iter().map(Some).collect())
    }

    pub fn bools(values: impl IntoIterator<Item = bool>) -> Self {
        Self::Bool(values.into_iter().map(Some).collect())
    }

    pub fn strings(values: impl IntoIterator<Item = String>) -> Self {
        Self::Bytes(values.into_iter().map(Some).collect())
    }

    /// The values as numbers (missing as NaN, booleans as 0 and 1);
    /// `None` for BYTES.
    pub fn to_f64s(&self) -> Option<Vec<f64>> {
        Some(match self {
            Self::Float(v) => v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            Self::Int(v) => v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect(),
            Self::Bool(v) => v
                .iter()
                .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
                .collect(),
            Self::Bytes(_) => return None,
        })
    }

    /// The texts of a BYTES tensor (missing as ""); `None` for the others.
    pub fn to_strings(&self) -> Option<Vec<String>> {
        match self {
            Self::Bytes(v) => Some(v.iter().map(|s| s.clone().unwrap_or_default()).collect()),
            _ => None,
        }
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
        DataType::Bool => TensorData::Bool(bytes.iter().map(|&b| Some(b != 0)).collect()),
        DataType::Int8 => TensorData::Int(le!(i8, 1).map(|x| Some(i64::from(x))).collect()),
        DataType::Uint8 => TensorData::Int(le!(u8, 1).map(|x| Some(i64::from(x))).collect()),
        DataType::Int16 => TensorData::Int(le!(i16, 2).map(|x| Some(i64::from(x))).collect()),
        DataType::Uint16 => TensorData::Int(le!(u16, 2).map(|x| Some(i64::from(x))).collect()),
        DataType::Int32 => TensorData::Int(le!(i32, 4).map(|x| Some(i64::from(x))).collect()),
        DataType::Uint32 => TensorData::Int(le!(u32, 4).map(|x| Some(i64::from(x))).collect()),
        DataType::Int64 => TensorData::Int(le!(i64, 8).map(Some).collect()),
        DataType::Uint64 => TensorData::Int(
            le!(u64, 8)
                .enumerate()
                .map(|(i, v)| {
                    i64::try_from(v).map(Some).map_err(|_| {
                        format!(
                            "value {i} is {v}, larger than 2^63 - 1, which cityops holds at most"
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        DataType::Fp16 => TensorData::Float(
            le!(u16, 2)
                .map(|b| Some(f64::from(half::f16::from_bits(b))))
                .collect(),
        ),
        DataType::Bf16 => TensorData::Float(
            le!(u16, 2)
                .map(|b| Some(f64::from(half::bf16::from_bits(b))))
                .collect(),
        ),
        DataType::Fp32 => TensorData::Float(le!(f32, 4).map(|x| Some(f64::from(x))).collect()),
        DataType::Fp64 => TensorData::Float(le!(f64, 8).map(Some).collect()),
        DataType::Bytes => {
            TensorData::Bytes(decode_bytes(count, bytes)?.into_iter().map(Some).collect())
        }
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
        // A missing value has no bytes of its own: NaN for floats, zero,
        // false or the empty string otherwise.
        TensorData::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b.unwrap_or(false)))),
        TensorData::Int(v) => {
            for x in v {
                let x = x.unwrap_or(0);
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
            for x in v {
                let x = x.unwrap_or(f64::NAN);
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
                let s = s.as_deref().unwrap_or("");
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

/// A leaf of a tensor's `data`, as the JSON parser hands it over.
enum Leaf<'s> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'s str),
    /// An object where a value was expected.
    Object,
}

impl Leaf<'_> {
    /// What the value is, for messages.
    fn describe(&self) -> String {
        match self {
            Self::Null => "null".to_owned(),
            Self::Bool(b) => b.to_string(),
            Self::Int(n) => n.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Str(s) if s.chars().count() > 40 => {
                format!("the string \"{}…\"", s.chars().take(40).collect::<String>())
            }
            Self::Str(s) => format!("the string \"{s}\""),
            Self::Object => "an object".to_owned(),
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(n) => Some(*n as f64),
            Self::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Typed values as the leaves arrive, stopping at the first wrong one or
/// at one more than the shape holds.
struct Collector<'l> {
    label: &'l str,
    datatype: DataType,
    expected: usize,
    seen: usize,
    values: TensorData,
    /// The first problem, reported instead of the parser's own error.
    failure: Option<String>,
    /// An answer's data (not a request's): numbers written as strings,
    /// and numbers or booleans as BYTES, are taken too.
    lenient: bool,
}

impl<'l> Collector<'l> {
    fn new(
        label: &'l str,
        datatype: DataType,
        expected: usize,
        raw_len: usize,
        lenient: bool,
    ) -> Self {
        // Every value takes at least two bytes of the body (digit and
        // comma), so the data cannot hold more than this: never reserve
        // more than the body could fill.
        let capacity = expected.min(raw_len / 2 + 1);
        let values = match datatype {
            DataType::Bool => TensorData::Bool(Vec::with_capacity(capacity)),
            DataType::Fp16 | DataType::Fp32 | DataType::Fp64 => {
                TensorData::Float(Vec::with_capacity(capacity))
            }
            DataType::Bytes => TensorData::Bytes(Vec::with_capacity(capacity)),
            _ => TensorData::Int(Vec::with_capacity(capacity)),
        };
        Self {
            label,
            datatype,
            expected,
            seen: 0,
            values,
            failure: None,
            lenient,
        }
    }

    fn wrong(&self, leaf: &Leaf<'_>, expected: &str) -> String {
        format!(
            "{}, value #{}: expected {expected} for {}, found {}",
            self.label,
            self.seen + 1,
            self.datatype,
            leaf.describe()
        )
    }

    /// Adds one leaf; `Err` when the request must be refused.
    fn push(&mut self, leaf: Leaf<'_>) -> Result<(), String> {
        if self.seen >= self.expected {
            return Err(format!(
                "{}: the shape holds {} values but \"data\" has more. Send exactly the shape's product of values, flat in row-major order or nested.",
                self.label, self.expected
            ));
        }
        let datatype = self.datatype;
        let problem = match (&mut self.values, &leaf) {
            (TensorData::Bool(v), Leaf::Null) => {
                v.push(None);
                None
            }
            (TensorData::Bool(v), Leaf::Bool(b)) => {
                v.push(Some(*b));
                None
            }
            (TensorData::Bool(v), l) if l.as_f64() == Some(0.0) => {
                v.push(Some(false));
                None
            }
            (TensorData::Bool(v), l) if l.as_f64() == Some(1.0) => {
                v.push(Some(true));
                None
            }
            (TensorData::Bool(_), _) => Some("true, false, 0 or 1".to_owned()),
            (TensorData::Float(v), Leaf::Null) => {
                v.push(None);
                None
            }
            (TensorData::Float(v), l) if l.as_f64().is_some() => {
                v.push(l.as_f64());
                None
            }
            (TensorData::Float(v), Leaf::Str(s)) if self.lenient => match s.trim().parse::<f64>() {
                Ok(x) => {
                    v.push(Some(x));
                    None
                }
                Err(_) => Some("a number".to_owned()),
            },
            (TensorData::Float(_), _) => Some("a number".to_owned()),
            (TensorData::Bytes(v), Leaf::Null) => {
                v.push(None);
                None
            }
            (TensorData::Bytes(v), Leaf::Str(s)) => {
                v.push(Some((*s).to_owned()));
                None
            }
            (TensorData::Bytes(v), Leaf::Bool(b)) if self.lenient => {
                v.push(Some(b.to_string()));
                None
            }
            (TensorData::Bytes(v), Leaf::Int(n)) if self.lenient => {
                v.push(Some(n.to_string()));
                None
            }
            (TensorData::Bytes(v), Leaf::Float(f)) if self.lenient => {
                v.push(Some(f.to_string()));
                None
            }
            (TensorData::Bytes(_), _) => Some("a string".to_owned()),
            (TensorData::Int(v), leaf) => {
                let (lo, hi) = datatype.integer_range().unwrap_or((0, 0));
                let n = match leaf {
                    Leaf::Null => {
                        v.push(None);
                        self.seen += 1;
                        return Ok(());
                    }
                    Leaf::Int(n) => Some(*n),
                    // 3.0 is a whole number too.
                    Leaf::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i128),
                    _ => None,
                };
                match n.filter(|n| (lo..=hi).contains(n)) {
                    Some(n) => {
                        v.push(i64::try_from(n).ok());
                        None
                    }
                    None => Some(format!("a whole number from {lo} to {hi}")),
                }
            }
        };
        if let Some(expected) = problem {
            return Err(self.wrong(&leaf, &expected));
        }
        self.seen += 1;
        Ok(())
    }
}

/// Walks nested arrays, handing each leaf to the collector.
struct Leaves<'c, 'l>(&'c mut Collector<'l>);

impl Leaves<'_, '_> {
    fn take<E: serde::de::Error>(self, leaf: Leaf<'_>) -> Result<(), E> {
        match self.0.push(leaf) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.0.failure = Some(e);
                Err(E::custom("refused"))
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Leaves<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Leaves<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("values or nested arrays of values")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Leaves(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        self.take(Leaf::Object)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.take(Leaf::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.take(Leaf::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.take(Leaf::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.take(Leaf::Int(v.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.take(Leaf::Int(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.take(Leaf::Float(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.take(Leaf::Str(v))
    }
}

/// Reads a tensor's JSON `data` — flat or nested arrays — straight from
/// its text into `expected` values of `datatype` (`null` is a missing
/// value), stopping at the first wrong value or at one too many, and never
/// reserving more than the text could hold. `label` names the tensor in
/// the messages. `lenient`: an answer's data (the client), which may write
/// numbers as strings and BYTES as numbers; a request's is read strictly.
pub fn read_json_data(
    label: &str,
    datatype: DataType,
    expected: usize,
    raw: &str,
    lenient: bool,
) -> Result<TensorData, String> {
    let mut collector = Collector::new(label, datatype, expected, raw.len(), lenient);
    let parsed = {
        let mut de = serde_json::Deserializer::from_str(raw);
        serde::de::DeserializeSeed::deserialize(Leaves(&mut collector), &mut de)
    };
    if let Some(failure) = collector.failure.take() {
        return Err(failure);
    }
    if let Err(e) = parsed {
        return Err(format!(
            "{label}: \"data\" cannot be read: {e}. Send the values as a flat or nested JSON array."
        ));
    }
    if collector.seen != expected {
        return Err(format!(
            "{label}: its shape holds {expected} values but \"data\" has {}. Send exactly the shape's product of values, flat in row-major order or nested.",
            collector.seen
        ));
    }
    Ok(collector.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_datatype_round_trips_through_its_bytes() {
        let cases = [
            (DataType::Bool, TensorData::bools([true, false])),
            (DataType::Int8, TensorData::ints([-128, 127])),
            (DataType::Uint16, TensorData::ints([0, 65_535])),
            (DataType::Int32, TensorData::ints([-5, 1 << 30])),
            (DataType::Int64, TensorData::ints([i64::MIN, i64::MAX])),
            (DataType::Uint64, TensorData::ints([0, i64::MAX])),
            (DataType::Fp16, TensorData::floats([0.5, -3.0])),
            (DataType::Bf16, TensorData::floats([2.0, -0.25])),
            (DataType::Fp32, TensorData::floats([1.5, -2.0])),
            (DataType::Fp64, TensorData::floats([0.1, f64::MAX])),
            (
                DataType::Bytes,
                TensorData::strings(["North".to_owned(), String::new(), "河".to_owned()]),
            ),
        ];
        for (d, data) in cases {
            let bytes = encode(&data, d);
            assert_eq!(decode(d, data.len(), &bytes).unwrap(), data, "{d}");
        }
    }

    #[test]
    fn sizes_and_lengths_are_checked() {
        let bytes = encode(&TensorData::floats([1.0, 2.0]), DataType::Fp32);
        let err = decode(DataType::Fp32, 3, &bytes).unwrap_err();
        assert!(err.contains("holds 3 FP32 values"), "{err}");
        let mut b = encode(&TensorData::strings(["ab".to_owned()]), DataType::Bytes);
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

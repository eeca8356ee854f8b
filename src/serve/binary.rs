//! Triton's binary tensor data extension, as its protocol documents
//! (`binary_tensor_data`): a request or response body is a JSON header of
//! `Inference-Header-Content-Length` bytes followed by the tensors' raw
//! bytes, in the order of the tensors that say `"parameters":
//! {"binary_data_size": N}`.
//!
//! - Fixed-size datatypes are little-endian, row-major: BOOL one byte,
//!   INT8…UINT64, FP16 and BF16 two bytes, FP32 four, FP64 eight.
//! - BYTES elements are each a 4-byte little-endian length and the bytes.
//!
//! Every size is checked before anything is read: a header length past the
//! body, a tensor whose `binary_data_size` does not match its shape and
//! datatype, sizes that do not add up to the binary part, a BYTES length
//! past its tensor — each is a 400 that names what is wrong. Triton's own
//! Python client (`tritonclient.http`) sends inputs this way by default and
//! asks for binary outputs (`binary_data_output`, or `binary_data` per
//! requested output).

use axum::http::HeaderMap;

use super::error::ApiError;
use super::tensor::{DataType, OutputData, Values};

/// The header that says how long the JSON part is.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// Splits a body into its JSON header and its binary part (empty when the
/// request has no `Inference-Header-Content-Length`).
pub fn split<'b>(headers: &HeaderMap, body: &'b [u8]) -> Result<(&'b [u8], &'b [u8]), ApiError> {
    let Some(value) = headers.get(HEADER_LENGTH) else {
        return Ok((body, &[]));
    };
    let len: usize = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Inference-Header-Content-Length '{}' is not a number of bytes",
                String::from_utf8_lossy(value.as_bytes())
            ))
        })?;
    if len > body.len() {
        return Err(ApiError::bad_request(format!(
            "Inference-Header-Content-Length is {len} bytes, past the end of the {}-byte body; it must be the length of the JSON part",
            body.len()
        )));
    }
    Ok(body.split_at(len))
}

/// Reads tensors' bytes off the binary part in order.
#[derive(Debug)]
pub struct Cursor<'b> {
    rest: &'b [u8],
    total: usize,
}

impl<'b> Cursor<'b> {
    pub fn new(binary: &'b [u8]) -> Self {
        Self {
            rest: binary,
            total: binary.len(),
        }
    }

    /// The next `size` bytes, for the tensor `label`.
    pub fn take(&mut self, label: &str, size: usize) -> Result<&'b [u8], ApiError> {
        if size > self.rest.len() {
            return Err(ApiError::bad_request(format!(
                "{label}: binary_data_size {size} is past the end of the binary part ({} of its {} bytes are left); the sizes must add up to the bytes after the JSON header",
                self.rest.len(),
                self.total
            )));
        }
        let (now, rest) = self.rest.split_at(size);
        self.rest = rest;
        Ok(now)
    }

    /// Refuses bytes that no tensor claimed.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "the binary part has {} bytes after the last tensor's binary_data_size; the sizes must add up to the {} bytes after the JSON header",
                self.rest.len(),
                self.total
            )))
        }
    }
}

/// Bytes per element of a fixed-size datatype.
pub fn element_size(d: DataType) -> Option<usize> {
    Some(match d {
        DataType::Bool | DataType::Int8 | DataType::Uint8 => 1,
        DataType::Int16 | DataType::Uint16 | DataType::Fp16 | DataType::Bf16 => 2,
        DataType::Int32 | DataType::Uint32 | DataType::Fp32 => 4,
        DataType::Int64 | DataType::Uint64 | DataType::Fp64 => 8,
        DataType::Bytes => return None,
    })
}

/// Decodes `count` elements of `datatype` from a tensor's bytes.
pub fn decode(
    label: &str,
    datatype: DataType,
    count: usize,
    bytes: &[u8],
) -> Result<Values, ApiError> {
    if let Some(size) = element_size(datatype) {
        let want = count.saturating_mul(size);
        if bytes.len() != want {
            return Err(ApiError::bad_request(format!(
                "{label}: binary_data_size is {} bytes, but its shape holds {count} {datatype} values of {size} bytes ({want} bytes)",
                bytes.len()
            )));
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
        DataType::Bool => Values::Bool(bytes.iter().map(|&b| Some(b != 0)).collect()),
        DataType::Int8 => Values::Int(le!(i8, 1).map(|v| Some(i64::from(v))).collect()),
        DataType::Uint8 => Values::Int(le!(u8, 1).map(|v| Some(i64::from(v))).collect()),
        DataType::Int16 => Values::Int(le!(i16, 2).map(|v| Some(i64::from(v))).collect()),
        DataType::Uint16 => Values::Int(le!(u16, 2).map(|v| Some(i64::from(v))).collect()),
        DataType::Int32 => Values::Int(le!(i32, 4).map(|v| Some(i64::from(v))).collect()),
        DataType::Uint32 => Values::Int(le!(u32, 4).map(|v| Some(i64::from(v))).collect()),
        DataType::Int64 => Values::Int(le!(i64, 8).map(Some).collect()),
        DataType::Uint64 => {
            let mut out = Vec::with_capacity(count);
            for (i, v) in le!(u64, 8).enumerate() {
                let v = i64::try_from(v).map_err(|_| {
                    ApiError::bad_request(format!(
                        "{label}: value {i} is {v}, larger than this server's integers hold ({})",
                        i64::MAX
                    ))
                })?;
                out.push(Some(v));
            }
            Values::Int(out)
        }
        DataType::Fp16 => Values::Float(
            le!(u16, 2)
                .map(|b| Some(f64::from(half::f16::from_bits(b))))
                .collect(),
        ),
        DataType::Bf16 => Values::Float(
            le!(u16, 2)
                .map(|b| Some(f64::from(half::bf16::from_bits(b))))
                .collect(),
        ),
        DataType::Fp32 => Values::Float(le!(f32, 4).map(|v| Some(f64::from(v))).collect()),
        DataType::Fp64 => Values::Float(le!(f64, 8).map(Some).collect()),
        DataType::Bytes => Values::Bytes(decode_bytes(label, count, bytes)?),
    })
}

/// BYTES elements: each a 4-byte little-endian length, then that many
/// bytes (UTF-8 text here).
fn decode_bytes(label: &str, count: usize, bytes: &[u8]) -> Result<Vec<Option<String>>, ApiError> {
    // Each element takes at least its 4-byte length: bound the reservation
    // by what the bytes can hold, not by what the shape claims.
    let mut out = Vec::with_capacity(count.min(bytes.len() / 4));
    let mut rest = bytes;
    for i in 0..count {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(ApiError::bad_request(format!(
                "{label}: the binary data ends at element {i} of {count}; each BYTES element is a 4-byte length and its bytes"
            )));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if len > tail.len() {
            return Err(ApiError::bad_request(format!(
                "{label}: element {i} says it is {len} bytes long, but only {} bytes of the tensor are left",
                tail.len()
            )));
        }
        let (text, after) = tail.split_at(len);
        let text = std::str::from_utf8(text).map_err(|e| {
            ApiError::bad_request(format!(
                "{label}: element {i} is not UTF-8 text ({e}); this server reads BYTES as text"
            ))
        })?;
        out.push(Some(text.to_owned()));
        rest = after;
    }
    if !rest.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{label}: {} bytes are left after its {count} BYTES elements; binary_data_size must be exactly the elements' bytes",
            rest.len()
        )));
    }
    Ok(out)
}

/// An output's values as raw bytes (missing numbers as NaN).
pub fn encode(data: &OutputData) -> Vec<u8> {
    match data {
        OutputData::Fp64(v) => v
            .iter()
            .flat_map(|x| x.unwrap_or(f64::NAN).to_le_bytes())
            .collect(),
        OutputData::Fp32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        OutputData::Bytes(v) => {
            let mut out = Vec::with_capacity(v.iter().map(|s| s.len() + 4).sum());
            for s in v {
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_size_values_read_little_endian_and_sizes_are_checked() {
        let bytes: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            decode("input 'x'", DataType::Fp32, 2, &bytes).unwrap(),
            Values::Float(vec![Some(1.5), Some(-2.0)])
        );
        let err = decode("input 'x'", DataType::Fp32, 3, &bytes).unwrap_err();
        assert!(
            err.message.contains("holds 3 FP32 values"),
            "{}",
            err.message
        );
        let half: Vec<u8> = [half::f16::from_f32(0.5), half::f16::from_f32(-3.0)]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            decode("h", DataType::Fp16, 2, &half).unwrap(),
            Values::Float(vec![Some(0.5), Some(-3.0)])
        );
        let bf: Vec<u8> = half::bf16::from_f32(2.0).to_le_bytes().to_vec();
        assert_eq!(
            decode("b", DataType::Bf16, 1, &bf).unwrap(),
            Values::Float(vec![Some(2.0)])
        );
        assert!(decode("u", DataType::Uint64, 1, &u64::MAX.to_le_bytes()).is_err());
    }

    #[test]
    fn bytes_elements_round_trip_and_a_bad_length_is_named() {
        let out = encode(&OutputData::Bytes(vec![
            "North".into(),
            "".into(),
            "河".into(),
        ]));
        assert_eq!(
            decode("t", DataType::Bytes, 3, &out).unwrap(),
            Values::Bytes(vec![
                Some("North".into()),
                Some(String::new()),
                Some("河".into())
            ])
        );
        let mut bad = out.clone();
        bad[0] = 200;
        let err = decode("t", DataType::Bytes, 3, &bad).unwrap_err();
        assert!(
            err.message.contains("element 0 says it is 200 bytes"),
            "{}",
            err.message
        );
        let err = decode("t", DataType::Bytes, 4, &out).unwrap_err();
        assert!(err.message.contains("ends at element 3"), "{}", err.message);
        // A huge count with few bytes reserves by the bytes.
        assert!(decode("t", DataType::Bytes, usize::MAX, &[0, 0]).is_err());
    }

    #[test]
    fn the_header_length_and_the_sizes_must_add_up() {
        let mut h = HeaderMap::new();
        h.insert(HEADER_LENGTH, "5".parse().unwrap());
        assert_eq!(
            split(&h, b"{}abcdefg").unwrap(),
            (&b"{}abc"[..], &b"defg"[..])
        );
        h.insert(HEADER_LENGTH, "50".parse().unwrap());
        assert!(
            split(&h, b"{}")
                .unwrap_err()
                .message
                .contains("past the end")
        );
        let mut c = Cursor::new(b"abcdef");
        assert_eq!(c.take("a", 4).unwrap(), b"abcd");
        assert!(
            c.take("b", 4)
                .unwrap_err()
                .message
                .contains("past the end of the binary part")
        );
        let mut c = Cursor::new(b"abcdef");
        c.take("a", 4).unwrap();
        assert!(c.finish().unwrap_err().message.contains("2 bytes after"));
    }
}

//! Triton's binary tensor data extension on the server, as its protocol documents
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
pub use crate::models::wire::HEADER_LENGTH;
use crate::models::wire::{self, TensorData};

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

/// Decodes `count` elements of `datatype` from a tensor's bytes (the
/// codec is the client's too: `models::wire`).
pub fn decode(
    label: &str,
    datatype: DataType,
    count: usize,
    bytes: &[u8],
) -> Result<Values, ApiError> {
    wire::decode(datatype, count, bytes).map_err(|e| ApiError::bad_request(format!("{label}: {e}")))
}

/// An output's values as raw bytes (missing numbers as NaN).
pub fn encode(data: &OutputData) -> Vec<u8> {
    match data {
        OutputData::Fp64(v) => wire::encode(&TensorData::Float(v.clone()), DataType::Fp64),
        OutputData::Fp32(v) => wire::encode(
            &TensorData::floats(v.iter().map(|&x| f64::from(x))),
            DataType::Fp32,
        ),
        OutputData::Bytes(v) => {
            wire::encode(&TensorData::strings(v.iter().cloned()), DataType::Bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

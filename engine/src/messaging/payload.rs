//! Frame payloads: postcard (compact, serde, not self-describing). A payload must be
//! consumed whole: trailing bytes mean sender and receiver disagree on the type, and are
//! refused rather than ignored. Changing a payload type is a protocol version change.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a payload could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("postcard: {0}")]
    Postcard(#[from] postcard::Error),
    #[error("{0} bytes left over after the payload")]
    TrailingBytes(usize),
}

/// Appends `value` in postcard to `out`.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), PayloadError> {
    let buffer = std::mem::take(out);
    *out = postcard::to_extend(value, buffer)?;
    Ok(())
}

/// `value` in postcard.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, PayloadError> {
    let mut out = Vec::new();
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Decodes a whole payload.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PayloadError> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(PayloadError::TrailingBytes(rest.len()));
    }
    Ok(value)
}

/// Decodes a value at the front of `bytes` and returns what follows (extensible layouts).
pub fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), PayloadError> {
    Ok(postcard::take_from_bytes(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_bytes_and_short_payloads_are_refused() {
        let bytes = encode(&(1u32, 2u32)).unwrap();
        assert_eq!(decode::<(u32, u32)>(&bytes).unwrap(), (1, 2));
        assert_eq!(decode::<u32>(&bytes), Err(PayloadError::TrailingBytes(1)));
        assert!(matches!(decode::<(u32, u32, u32)>(&bytes), Err(PayloadError::Postcard(_))));
        assert!(matches!(decode::<String>(&[5, b'a']), Err(PayloadError::Postcard(_))));
    }
}

//! Handshake and authentication bodies: SUPPORTED (`[string multimap]`), AUTHENTICATE
//! (authenticator class `[string]`), AUTH_CHALLENGE and AUTH_SUCCESS (`[bytes]` token).
//! READY has an empty body.

use crate::wire;

/// SUPPORTED: each startup option with its possible values.
pub fn encode_supported<K: AsRef<str>, V: AsRef<str>>(out: &mut Vec<u8>, options: &[(K, Vec<V>)]) {
    wire::write_string_multimap(out, options);
}

/// AUTHENTICATE: the full class name of the authenticator
/// (`org.apache.cassandra.auth.PasswordAuthenticator`).
pub fn encode_authenticate(out: &mut Vec<u8>, authenticator_class: &str) {
    wire::write_string(out, authenticator_class);
}

/// AUTH_CHALLENGE: a SASL challenge token.
pub fn encode_auth_challenge(out: &mut Vec<u8>, token: Option<&[u8]>) {
    wire::write_bytes(out, token);
}

/// AUTH_SUCCESS: the final SASL token, often null.
pub fn encode_auth_success(out: &mut Vec<u8>, token: Option<&[u8]>) {
    wire::write_bytes(out, token);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireReader;
    use bytes::Bytes;

    #[test]
    fn supported_round_trips() {
        let options = vec![
            ("CQL_VERSION".to_string(), vec!["3.3.1".to_string()]),
            ("COMPRESSION".to_string(), vec!["lz4".to_string(), "snappy".to_string()]),
        ];
        let mut out = Vec::new();
        encode_supported(&mut out, &options);
        let mut r = WireReader::new(Bytes::from(out));
        assert_eq!(r.read_string_multimap().unwrap(), options);
    }

    #[test]
    fn auth_bodies() {
        let mut out = Vec::new();
        encode_authenticate(&mut out, "a.B");
        assert_eq!(out, [0, 3, b'a', b'.', b'B']);
        let mut out = Vec::new();
        encode_auth_success(&mut out, None);
        assert_eq!(out, [0xFF, 0xFF, 0xFF, 0xFF]);
        let mut out = Vec::new();
        encode_auth_challenge(&mut out, Some(b"x"));
        assert_eq!(out, [0, 0, 0, 1, b'x']);
    }
}

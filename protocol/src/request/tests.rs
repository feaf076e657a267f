//! Tests of request decoding: one hand-made body per opcode, errors, and random bytes.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::frame::parse_header;
use crate::wire::{self, consistency, Value};

fn decode(opcode: Opcode, body: Vec<u8>) -> Result<Request, ProtocolError> {
    decode_request(4, opcode as u8, Bytes::from(body))
}

#[test]
fn startup() {
    let mut body = Vec::new();
    wire::write_string_map(&mut body, &[("CQL_VERSION", "4.0.0"), ("COMPRESSION", "lz4")]);
    let Request::Startup { options } = decode(Opcode::Startup, body).unwrap() else {
        panic!("not a startup");
    };
    assert_eq!(Request::startup_option(&options, "compression"), Some("lz4"));
    assert_eq!(Request::startup_option(&options, STARTUP_CQL_VERSION), Some("4.0.0"));
}

#[test]
fn options_and_register_and_auth() {
    assert_eq!(decode(Opcode::Options, vec![]).unwrap(), Request::Options);
    let mut body = Vec::new();
    wire::write_string_list(&mut body, &["SCHEMA_CHANGE", "STATUS_CHANGE"]);
    assert_eq!(
        decode(Opcode::Register, body).unwrap(),
        Request::Register { events: vec!["SCHEMA_CHANGE".into(), "STATUS_CHANGE".into()] }
    );
    let body = vec![0, 0, 0, 3, 0, b'u', b'p'];
    assert_eq!(
        decode(Opcode::AuthResponse, body).unwrap(),
        Request::AuthResponse { token: Some(Bytes::from_static(b"\0up")) }
    );
    assert_eq!(
        decode(Opcode::AuthResponse, vec![0xFF, 0xFF, 0xFF, 0xFF]).unwrap(),
        Request::AuthResponse { token: None }
    );
}

#[test]
fn query_prepare_execute() {
    let mut body = Vec::new();
    wire::write_long_string(&mut body, "SELECT * FROM t");
    body.extend_from_slice(&[0, 1, 0]); // ONE, no flags
    assert_eq!(
        decode(Opcode::Query, body).unwrap(),
        Request::Query { query: "SELECT * FROM t".into(), params: QueryParams::default() }
    );

    let mut body = Vec::new();
    wire::write_long_string(&mut body, "INSERT INTO t (k) VALUES (?)");
    assert_eq!(
        decode(Opcode::Prepare, body).unwrap(),
        Request::Prepare { query: "INSERT INTO t (k) VALUES (?)".into() }
    );

    let mut body = vec![0, 2, 0xAB, 0xCD]; // [short bytes] id
    body.extend_from_slice(&[0, 4, 0x01, 0, 1, 0, 0, 0, 0]); // QUORUM, one empty value
    let Request::Execute { id, params } = decode(Opcode::Execute, body).unwrap() else {
        panic!("not an execute");
    };
    assert_eq!(id, &[0xAB, 0xCD][..]);
    assert_eq!(params.consistency, consistency::QUORUM);
    assert_eq!(params.values, Values::Positional(vec![Value::Bytes(Bytes::new())]));
}

#[test]
fn v3_is_accepted_and_other_versions_refused() {
    assert_eq!(decode_request(3, 5, Bytes::new()).unwrap(), Request::Options);
    assert_eq!(decode_request(5, 5, Bytes::new()), Err(ProtocolError::UnsupportedVersion(5)));
}

#[test]
fn response_and_unknown_opcodes_are_refused() {
    assert_eq!(decode(Opcode::Result, vec![]), Err(ProtocolError::NotARequest(0x08)));
    assert_eq!(decode_request(4, 0x04, Bytes::new()), Err(ProtocolError::UnknownOpcode(0x04)));
}

#[test]
fn truncated_bodies_are_errors() {
    assert!(decode(Opcode::Query, vec![0, 0, 0, 5, b'a']).is_err());
    assert!(decode(Opcode::Execute, vec![0, 2, 1]).is_err());
    assert!(decode(Opcode::Startup, vec![0, 1, 0, 3]).is_err());
}

#[test]
fn custom_payload_is_skipped() {
    let mut frame = vec![0x04, FLAG_CUSTOM_PAYLOAD, 0, 1, Opcode::Options as u8, 0, 0, 0, 0];
    let mut body = vec![0, 1];
    wire::write_string(&mut body, "k");
    wire::write_bytes(&mut body, Some(b"v"));
    frame.extend_from_slice(&body);
    let header = parse_header(&frame).unwrap();
    assert_eq!(decode_request_frame(&header, Bytes::from(body)).unwrap(), Request::Options);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(
        opcode in 0u8..=0x12,
        version in 2u8..=5,
        data in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        let _ = decode_request(version, opcode, Bytes::from(data));
    }

    #[test]
    fn random_bodies_after_valid_prefix_never_panic(
        opcode in prop_oneof![Just(Opcode::Query), Just(Opcode::Execute), Just(Opcode::Batch)],
        data in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        // A plausible prefix gets the fuzzing past the first length field.
        let mut body = match opcode {
            Opcode::Query => vec![0, 0, 0, 1, b'q'],
            Opcode::Execute => vec![0, 1, 7],
            _ => vec![0, 0, 1],
        };
        body.extend_from_slice(&data);
        let _ = decode(opcode, body);
    }
}

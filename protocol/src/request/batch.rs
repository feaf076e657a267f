//! BATCH (spec §4.1.7): `<type><n><query_1>...<query_n><consistency><flags>
//! [<serial_consistency>][<timestamp>]`, each query being
//! `<kind><string_or_id><n>[<name_1>]<value_1>...`.

use bytes::Bytes;

use super::query_params::{read_timestamp, read_values, write_values, Values};
use crate::error::ProtocolError;
use crate::wire::{self, WireReader};

/// Batch types.
pub const BATCH_LOGGED: u8 = 0;
pub const BATCH_UNLOGGED: u8 = 1;
pub const BATCH_COUNTER: u8 = 2;

/// Statement kinds inside a batch.
pub const BATCH_KIND_QUERY: u8 = 0;
pub const BATCH_KIND_PREPARED: u8 = 1;

/// A serial `[consistency]` follows.
pub const BATCH_FLAG_SERIAL_CONSISTENCY: u8 = 0x10;
/// A `[long]` default timestamp follows.
pub const BATCH_FLAG_DEFAULT_TIMESTAMP: u8 = 0x20;
/// Every value is preceded by its `[string]` name.
pub const BATCH_FLAG_NAMES_FOR_VALUES: u8 = 0x40;
/// Flags a batch may carry; the 4 low bits must be 0 (spec).
const BATCH_FLAGS_KNOWN: u8 = 0x70;

/// Most statements in one batch (the count is a `[short]`).
pub const MAX_BATCH_STATEMENTS: usize = 65535;
/// Smallest statement: kind byte, empty `[short bytes]` id, `[short]` value count.
const MIN_BATCH_STATEMENT_BYTES: usize = 5;

/// What a batch statement runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchStatementKind {
    /// A query string (kind 0).
    Query(String),
    /// A prepared statement id (kind 1).
    Prepared(Bytes),
}

/// One statement of a batch with its bound values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatement {
    pub kind: BatchStatementKind,
    /// Positional unless the batch has flag 0x40. Never `Values::None`.
    pub values: Values,
}

/// A decoded BATCH request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    /// 0 logged, 1 unlogged, 2 counter.
    pub batch_type: u8,
    pub statements: Vec<BatchStatement>,
    pub consistency: u16,
    pub serial_consistency: Option<u16>,
    pub timestamp: Option<i64>,
}

impl BatchRequest {
    /// Decodes a BATCH body.
    ///
    /// The flags that say whether values carry names come *after* the statements
    /// (the spec calls flag 0x40 unimplementable, CASSANDRA-10246). So the body is read
    /// assuming positional values, and read again assuming names only if that fails or
    /// the flags then say 0x40; the first error is the one reported.
    pub fn decode(r: &mut WireReader) -> Result<BatchRequest, ProtocolError> {
        let positional = decode_assuming(r.clone(), false);
        let (batch, rest) = match positional {
            Ok(done) => done,
            Err(first) => decode_assuming(r.clone(), true).map_err(|_| first)?,
        };
        *r = rest;
        Ok(batch)
    }

    /// Encodes a BATCH body as a client would (used by tests and tools). Values are
    /// named when the first statement's are.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let named = matches!(self.statements.first().map(|s| &s.values), Some(Values::Named(_)));
        wire::write_u8(out, self.batch_type);
        wire::write_u16(out, u16::try_from(self.statements.len()).unwrap_or(u16::MAX));
        for st in &self.statements {
            match &st.kind {
                BatchStatementKind::Query(q) => {
                    wire::write_u8(out, BATCH_KIND_QUERY);
                    wire::write_long_string(out, q);
                }
                BatchStatementKind::Prepared(id) => {
                    wire::write_u8(out, BATCH_KIND_PREPARED);
                    wire::write_short_bytes(out, id);
                }
            }
            wire::write_u16(out, u16::try_from(st.values.len()).unwrap_or(u16::MAX));
            write_values(out, &st.values);
        }
        wire::write_consistency(out, self.consistency);
        let mut flags = 0;
        if self.serial_consistency.is_some() {
            flags |= BATCH_FLAG_SERIAL_CONSISTENCY;
        }
        if self.timestamp.is_some() {
            flags |= BATCH_FLAG_DEFAULT_TIMESTAMP;
        }
        if named {
            flags |= BATCH_FLAG_NAMES_FOR_VALUES;
        }
        wire::write_u8(out, flags);
        if let Some(cl) = self.serial_consistency {
            wire::write_consistency(out, cl);
        }
        if let Some(ts) = self.timestamp {
            wire::write_i64(out, ts);
        }
    }
}

fn decode_assuming(mut r: WireReader, named: bool) -> Result<(BatchRequest, WireReader), ProtocolError> {
    let batch_type = r.read_u8()?;
    if batch_type > BATCH_COUNTER {
        return Err(ProtocolError::bad_value(
            "batch type",
            format!("{batch_type} (expected 0 logged, 1 unlogged or 2 counter)"),
        ));
    }
    let n = r.read_u16()? as usize;
    let mut statements = Vec::with_capacity(n.min(r.remaining() / MIN_BATCH_STATEMENT_BYTES));
    for _ in 0..n {
        let kind = read_statement_head(&mut r)?;
        let count = r.read_u16()? as usize;
        let values = read_values(&mut r, count, named)?;
        statements.push(BatchStatement { kind, values });
    }
    let consistency = r.read_consistency()?;
    let flags = r.read_u8()?;
    if flags & !BATCH_FLAGS_KNOWN != 0 {
        return Err(ProtocolError::bad_value(
            "batch flags",
            format!("unknown flags 0x{:02X}", flags & !BATCH_FLAGS_KNOWN),
        ));
    }
    if (flags & BATCH_FLAG_NAMES_FOR_VALUES != 0) != named {
        return Err(ProtocolError::bad_value("batch", "values do not match the names-for-values flag"));
    }
    let serial_consistency = (flags & BATCH_FLAG_SERIAL_CONSISTENCY != 0).then(|| r.read_consistency()).transpose()?;
    let timestamp = (flags & BATCH_FLAG_DEFAULT_TIMESTAMP != 0).then(|| read_timestamp(&mut r)).transpose()?;
    let batch = BatchRequest { batch_type, statements, consistency, serial_consistency, timestamp };
    Ok((batch, r))
}

fn read_statement_head(r: &mut WireReader) -> Result<BatchStatementKind, ProtocolError> {
    Ok(match r.read_u8()? {
        BATCH_KIND_QUERY => BatchStatementKind::Query(r.read_long_string()?),
        BATCH_KIND_PREPARED => BatchStatementKind::Prepared(r.read_short_bytes()?),
        other => {
            return Err(ProtocolError::bad_value(
                "batch statement kind",
                format!("{other} (expected 0 query or 1 prepared)"),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{consistency, Value};
    use proptest::prelude::*;

    fn decode(bytes: Vec<u8>) -> Result<BatchRequest, ProtocolError> {
        BatchRequest::decode(&mut WireReader::new(Bytes::from(bytes)))
    }

    #[test]
    fn hand_made_bytes() {
        let mut b = vec![BATCH_UNLOGGED, 0, 2];
        // query "q" with one value
        b.extend_from_slice(&[0, 0, 0, 0, 1, b'q', 0, 1, 0, 0, 0, 1, 9]);
        // prepared id [1,2] with no value
        b.extend_from_slice(&[1, 0, 2, 1, 2, 0, 0]);
        // LOCAL_QUORUM, flags: timestamp, ts = 5
        b.extend_from_slice(&[0, 6, 0x20, 0, 0, 0, 0, 0, 0, 0, 5]);
        let batch = decode(b).unwrap();
        assert_eq!(batch.batch_type, BATCH_UNLOGGED);
        assert_eq!(batch.consistency, consistency::LOCAL_QUORUM);
        assert_eq!(batch.timestamp, Some(5));
        assert_eq!(batch.serial_consistency, None);
        assert_eq!(
            batch.statements,
            vec![
                BatchStatement {
                    kind: BatchStatementKind::Query("q".into()),
                    values: Values::Positional(vec![Value::Bytes(Bytes::from_static(&[9]))]),
                },
                BatchStatement {
                    kind: BatchStatementKind::Prepared(Bytes::from_static(&[1, 2])),
                    values: Values::Positional(vec![]),
                },
            ]
        );
    }

    #[test]
    fn named_values_are_understood() {
        let mut b = vec![BATCH_LOGGED, 0, 1];
        b.extend_from_slice(&[1, 0, 1, 7, 0, 1, 0, 1, b'k', 0xFF, 0xFF, 0xFF, 0xFF]);
        b.extend_from_slice(&[0, 1, 0x40]);
        let batch = decode(b).unwrap();
        assert_eq!(batch.statements[0].values, Values::Named(vec![("k".into(), Value::Null)]));
    }

    #[test]
    fn errors() {
        assert!(decode(vec![3, 0, 0, 0, 1, 0]).is_err(), "bad type");
        assert!(decode(vec![0, 0, 1, 2]).is_err(), "bad kind");
        assert!(decode(vec![0, 0, 0, 0, 1, 0x01]).is_err(), "low flag bits set");
        assert!(decode(vec![0, 0xFF, 0xFF]).is_err(), "missing statements");
        assert!(decode(vec![0, 0, 0, 0, 1]).is_err(), "missing flags");
    }

    fn statement(named: bool) -> impl Strategy<Value = BatchStatement> {
        let value = prop_oneof![
            Just(Value::Null),
            Just(Value::Unset),
            proptest::collection::vec(any::<u8>(), 0..6).prop_map(|v| Value::Bytes(Bytes::from(v))),
        ];
        let kind = prop_oneof![
            ".{0,10}".prop_map(BatchStatementKind::Query),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(|v| BatchStatementKind::Prepared(Bytes::from(v))),
        ];
        let values = if named {
            proptest::collection::vec(("[a-z]{1,4}", value), 0..4).prop_map(Values::Named).boxed()
        } else {
            proptest::collection::vec(value, 0..4).prop_map(Values::Positional).boxed()
        };
        (kind, values).prop_map(|(kind, values)| BatchStatement { kind, values })
    }

    fn batch() -> impl Strategy<Value = BatchRequest> {
        any::<bool>().prop_flat_map(|named| {
            (
                0..=BATCH_COUNTER,
                proptest::collection::vec(statement(named), 1..4),
                0..=consistency::MAX_CODE,
                proptest::option::of(consistency::SERIAL..=consistency::LOCAL_SERIAL),
                proptest::option::of(0..i64::MAX),
            )
                .prop_map(|(t, statements, cl, serial, ts)| BatchRequest {
                    batch_type: t,
                    statements,
                    consistency: cl,
                    serial_consistency: serial,
                    timestamp: ts,
                })
        })
    }

    proptest! {
        #[test]
        fn round_trip(b in batch()) {
            let mut out = Vec::new();
            b.encode(&mut out);
            let mut r = WireReader::new(Bytes::from(out));
            prop_assert_eq!(BatchRequest::decode(&mut r).unwrap(), b);
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}

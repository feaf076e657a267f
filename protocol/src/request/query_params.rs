//! `<query_parameters>` of QUERY and EXECUTE (spec §4.1.4), v3/v4 layout:
//! `<consistency><flags:byte>[<n><value_1>...][<page_size>][<paging_state>]
//! [<serial_consistency>][<timestamp>]`, with `[string]` names before the values when
//! flag 0x40 is set.

use bytes::Bytes;

use crate::error::ProtocolError;
use crate::wire::{self, consistency, Value, WireReader};

/// The query carries bound values.
pub const QUERY_FLAG_VALUES: u8 = 0x01;
/// The result should not repeat the (prepared) metadata.
pub const QUERY_FLAG_SKIP_METADATA: u8 = 0x02;
/// A `[int]` page size follows.
pub const QUERY_FLAG_PAGE_SIZE: u8 = 0x04;
/// A `[bytes]` paging state follows.
pub const QUERY_FLAG_PAGING_STATE: u8 = 0x08;
/// A serial `[consistency]` follows.
pub const QUERY_FLAG_SERIAL_CONSISTENCY: u8 = 0x10;
/// A `[long]` default timestamp (microseconds) follows.
pub const QUERY_FLAG_DEFAULT_TIMESTAMP: u8 = 0x20;
/// Each value is preceded by its `[string]` name.
pub const QUERY_FLAG_NAMES_FOR_VALUES: u8 = 0x40;
/// Flags a v3/v4 client may set; any other bit is refused.
const QUERY_FLAGS_KNOWN: u8 = 0x7F;

/// Most bound values in one statement (the count is a `[short]`).
pub const MAX_BOUND_VALUES: usize = 65535;
/// Smallest `[value]`: its `[int]` length.
pub(crate) const MIN_VALUE_BYTES: usize = 4;

/// Bound values of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Values {
    #[default]
    None,
    Positional(Vec<Value>),
    /// Values by bind-marker name (flag 0x40), in the order sent.
    Named(Vec<(String, Value)>),
}

impl Values {
    /// Number of values, whatever the form.
    pub fn len(&self) -> usize {
        match self {
            Values::None => 0,
            Values::Positional(v) => v.len(),
            Values::Named(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Options of a QUERY or EXECUTE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParams {
    pub consistency: u16,
    pub values: Values,
    pub skip_metadata: bool,
    /// As sent; the engine decides what a non-positive size means (no paging).
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
    pub serial_consistency: Option<u16>,
    /// Default write timestamp in microseconds.
    pub timestamp: Option<i64>,
}

impl Default for QueryParams {
    fn default() -> Self {
        QueryParams {
            consistency: consistency::ONE,
            values: Values::None,
            skip_metadata: false,
            page_size: None,
            paging_state: None,
            serial_consistency: None,
            timestamp: None,
        }
    }
}

/// Reads `n` values, named or positional. Shared with BATCH statements.
pub(crate) fn read_values(r: &mut WireReader, n: usize, named: bool) -> Result<Values, ProtocolError> {
    let cap = n.min(r.remaining() / MIN_VALUE_BYTES);
    if named {
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            let name = r.read_string()?;
            out.push((name, r.read_value()?));
        }
        Ok(Values::Named(out))
    } else {
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            out.push(r.read_value()?);
        }
        Ok(Values::Positional(out))
    }
}

/// Writes the values (without their count). Shared with BATCH statements.
pub(crate) fn write_values(out: &mut Vec<u8>, values: &Values) {
    match values {
        Values::None => {}
        Values::Positional(vs) => vs.iter().for_each(|v| wire::write_value(out, v)),
        Values::Named(vs) => vs.iter().for_each(|(n, v)| {
            wire::write_string(out, n);
            wire::write_value(out, v);
        }),
    }
}

/// Reads a default timestamp, refusing `i64::MIN` as Cassandra does.
pub(crate) fn read_timestamp(r: &mut WireReader) -> Result<i64, ProtocolError> {
    let ts = r.read_i64()?;
    if ts == i64::MIN {
        return Err(ProtocolError::bad_value(
            "default timestamp",
            format!("out of bound timestamp {ts}, must be in [{}, {}]", i64::MIN + 1, i64::MAX),
        ));
    }
    Ok(ts)
}

impl QueryParams {
    /// Decodes `<query_parameters>` (v3 and v4 share the layout).
    pub fn decode(r: &mut WireReader, _version: u8) -> Result<QueryParams, ProtocolError> {
        let consistency = r.read_consistency()?;
        let flags = r.read_u8()?;
        if flags & !QUERY_FLAGS_KNOWN != 0 {
            return Err(ProtocolError::bad_value(
                "query flags",
                format!("unknown flags 0x{:02X}", flags & !QUERY_FLAGS_KNOWN),
            ));
        }
        let has = |f: u8| flags & f != 0;
        let values = if has(QUERY_FLAG_VALUES) {
            let n = r.read_u16()? as usize;
            read_values(r, n, has(QUERY_FLAG_NAMES_FOR_VALUES))?
        } else {
            Values::None
        };
        let page_size = has(QUERY_FLAG_PAGE_SIZE).then(|| r.read_i32()).transpose()?;
        let paging_state = if has(QUERY_FLAG_PAGING_STATE) { r.read_bytes()? } else { None };
        let serial_consistency = has(QUERY_FLAG_SERIAL_CONSISTENCY).then(|| r.read_consistency()).transpose()?;
        let timestamp = has(QUERY_FLAG_DEFAULT_TIMESTAMP).then(|| read_timestamp(r)).transpose()?;
        Ok(QueryParams {
            consistency,
            values,
            skip_metadata: has(QUERY_FLAG_SKIP_METADATA),
            page_size,
            paging_state,
            serial_consistency,
            timestamp,
        })
    }

    /// Encodes `<query_parameters>` as a client would (used by tests and tools).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut flags = 0u8;
        let mut set = |cond: bool, f: u8| {
            if cond {
                flags |= f;
            }
        };
        set(!matches!(self.values, Values::None), QUERY_FLAG_VALUES);
        set(matches!(self.values, Values::Named(_)), QUERY_FLAG_NAMES_FOR_VALUES);
        set(self.skip_metadata, QUERY_FLAG_SKIP_METADATA);
        set(self.page_size.is_some(), QUERY_FLAG_PAGE_SIZE);
        set(self.paging_state.is_some(), QUERY_FLAG_PAGING_STATE);
        set(self.serial_consistency.is_some(), QUERY_FLAG_SERIAL_CONSISTENCY);
        set(self.timestamp.is_some(), QUERY_FLAG_DEFAULT_TIMESTAMP);
        wire::write_consistency(out, self.consistency);
        wire::write_u8(out, flags);
        if !matches!(self.values, Values::None) {
            wire::write_u16(out, u16::try_from(self.values.len()).unwrap_or(u16::MAX));
            write_values(out, &self.values);
        }
        if let Some(n) = self.page_size {
            wire::write_i32(out, n);
        }
        if let Some(state) = &self.paging_state {
            wire::write_bytes(out, Some(state));
        }
        if let Some(cl) = self.serial_consistency {
            wire::write_consistency(out, cl);
        }
        if let Some(ts) = self.timestamp {
            wire::write_i64(out, ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Result<QueryParams, ProtocolError> {
        QueryParams::decode(&mut WireReader::new(Bytes::copy_from_slice(bytes)), 4)
    }

    #[test]
    fn hand_made_bytes() {
        // QUORUM, flags = values|page_size|timestamp, 2 values (int 1, null), page 100, ts 7.
        let bytes = [
            0x00, 0x04, 0x25, 0x00, 0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 100, 0, 0, 0, 0, 0,
            0, 0, 7,
        ];
        let p = decode(&bytes).unwrap();
        assert_eq!(p.consistency, consistency::QUORUM);
        assert_eq!(p.values, Values::Positional(vec![Value::Bytes(Bytes::from_static(&[0, 0, 0, 1])), Value::Null]));
        assert_eq!(p.page_size, Some(100));
        assert_eq!(p.timestamp, Some(7));
        assert!(!p.skip_metadata && p.paging_state.is_none() && p.serial_consistency.is_none());
    }

    #[test]
    fn named_values() {
        let bytes = [0x00, 0x01, 0x41, 0x00, 0x01, 0, 1, b'k', 0xFF, 0xFF, 0xFF, 0xFE];
        assert_eq!(decode(&bytes).unwrap().values, Values::Named(vec![("k".into(), Value::Unset)]));
    }

    #[test]
    fn errors() {
        assert!(decode(&[0x00]).is_err());
        assert!(decode(&[0x00, 0x01, 0x80]).is_err(), "unknown flag");
        assert!(decode(&[0x00, 0x01, 0x01, 0xFF, 0xFF]).is_err(), "65535 missing values");
        assert!(decode(&[0x00, 0x0F, 0x00]).is_err(), "unknown consistency");
        let mut min_ts = vec![0x00, 0x01, 0x20];
        min_ts.extend_from_slice(&i64::MIN.to_be_bytes());
        assert!(decode(&min_ts).is_err());
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Unset),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(|v| Value::Bytes(Bytes::from(v))),
        ]
    }

    fn values() -> impl Strategy<Value = Values> {
        prop_oneof![
            Just(Values::None),
            proptest::collection::vec(value(), 0..5).prop_map(Values::Positional),
            proptest::collection::vec(("[a-z]{0,5}", value()), 0..5).prop_map(Values::Named),
        ]
    }

    pub(crate) fn query_params() -> impl Strategy<Value = QueryParams> {
        (
            0..=consistency::MAX_CODE,
            values(),
            any::<bool>(),
            proptest::option::of(any::<i32>()),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
            proptest::option::of(consistency::SERIAL..=consistency::LOCAL_SERIAL),
            proptest::option::of(i64::MIN + 1..=i64::MAX),
        )
            .prop_map(|(cl, values, skip, page, state, serial, ts)| QueryParams {
                consistency: cl,
                values,
                skip_metadata: skip,
                page_size: page,
                paging_state: state.map(Bytes::from),
                serial_consistency: serial,
                timestamp: ts,
            })
    }

    proptest! {
        #[test]
        fn round_trip(p in query_params()) {
            let mut out = Vec::new();
            p.encode(&mut out);
            let mut r = WireReader::new(Bytes::from(out));
            prop_assert_eq!(QueryParams::decode(&mut r, 4).unwrap(), p);
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}

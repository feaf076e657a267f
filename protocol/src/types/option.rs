//! The `[option]` encoding of a type in result metadata (spec §4.2.5.2): a `[short]` id,
//! then parameters for custom, collection, UDT and tuple types. `frozen<>` is not
//! visible on the wire. `duration` uses id 0x0015 (as Scylla does for v4 too). Vectors
//! have no id: they are the custom type of their Cassandra class name
//! (`org.apache.cassandra.db.marshal.VectorType(…FloatType , 3)`), which is what
//! drivers parse; read back, such an option stays [`CqlType::Custom`].

use super::cql_type::{CqlType, UdtType};
use crate::error::ProtocolError;
use crate::wire::{self, WireReader};

/// Deepest type nesting accepted from a client (`list<list<...>>`).
pub const MAX_TYPE_NESTING_DEPTH: usize = 32;

/// `[option]` ids.
pub mod option_id {
    pub const CUSTOM: u16 = 0x0000;
    pub const ASCII: u16 = 0x0001;
    pub const BIGINT: u16 = 0x0002;
    pub const BLOB: u16 = 0x0003;
    pub const BOOLEAN: u16 = 0x0004;
    pub const COUNTER: u16 = 0x0005;
    pub const DECIMAL: u16 = 0x0006;
    pub const DOUBLE: u16 = 0x0007;
    pub const FLOAT: u16 = 0x0008;
    pub const INT: u16 = 0x0009;
    pub const TIMESTAMP: u16 = 0x000B;
    pub const UUID: u16 = 0x000C;
    pub const VARCHAR: u16 = 0x000D;
    pub const VARINT: u16 = 0x000E;
    pub const TIMEUUID: u16 = 0x000F;
    pub const INET: u16 = 0x0010;
    pub const DATE: u16 = 0x0011;
    pub const TIME: u16 = 0x0012;
    pub const SMALLINT: u16 = 0x0013;
    pub const TINYINT: u16 = 0x0014;
    pub const DURATION: u16 = 0x0015;
    pub const LIST: u16 = 0x0020;
    pub const MAP: u16 = 0x0021;
    pub const SET: u16 = 0x0022;
    pub const UDT: u16 = 0x0030;
    pub const TUPLE: u16 = 0x0031;
}

impl CqlType {
    /// The `[option]` id of a native type.
    fn native_option_id(&self) -> Option<u16> {
        use option_id::*;
        Some(match self {
            CqlType::Ascii => ASCII,
            CqlType::Bigint => BIGINT,
            CqlType::Blob => BLOB,
            CqlType::Boolean => BOOLEAN,
            CqlType::Counter => COUNTER,
            CqlType::Decimal => DECIMAL,
            CqlType::Double => DOUBLE,
            CqlType::Float => FLOAT,
            CqlType::Int => INT,
            CqlType::Timestamp => TIMESTAMP,
            CqlType::Uuid => UUID,
            CqlType::Text => VARCHAR,
            CqlType::Varint => VARINT,
            CqlType::Timeuuid => TIMEUUID,
            CqlType::Inet => INET,
            CqlType::Date => DATE,
            CqlType::Time => TIME,
            CqlType::Smallint => SMALLINT,
            CqlType::Tinyint => TINYINT,
            CqlType::Duration => DURATION,
            _ => return None,
        })
    }

    /// Appends this type as an `[option]`.
    pub fn write_option(&self, out: &mut Vec<u8>) {
        if let Some(id) = self.native_option_id() {
            wire::write_u16(out, id);
            return;
        }
        match self {
            CqlType::List(e) => {
                wire::write_u16(out, option_id::LIST);
                e.write_option(out);
            }
            CqlType::Set(e) => {
                wire::write_u16(out, option_id::SET);
                e.write_option(out);
            }
            CqlType::Map(k, v) => {
                wire::write_u16(out, option_id::MAP);
                k.write_option(out);
                v.write_option(out);
            }
            CqlType::Tuple(items) => {
                wire::write_u16(out, option_id::TUPLE);
                wire::write_u16(out, u16::try_from(items.len()).unwrap_or(u16::MAX));
                for t in items.iter().take(u16::MAX as usize) {
                    t.write_option(out);
                }
            }
            CqlType::Udt(udt) => {
                wire::write_u16(out, option_id::UDT);
                wire::write_string(out, &udt.keyspace);
                wire::write_string(out, &udt.name);
                wire::write_u16(out, u16::try_from(udt.fields.len()).unwrap_or(u16::MAX));
                for (name, t) in udt.fields.iter().take(u16::MAX as usize) {
                    wire::write_string(out, name);
                    t.write_option(out);
                }
            }
            CqlType::Frozen(inner) => inner.write_option(out),
            CqlType::Custom(class) => {
                wire::write_u16(out, option_id::CUSTOM);
                wire::write_string(out, class);
            }
            CqlType::Vector(..) => {
                wire::write_u16(out, option_id::CUSTOM);
                wire::write_string(out, &self.marshal_class());
            }
            _ => {}
        }
    }

    /// Reads an `[option]`. Nesting deeper than [`MAX_TYPE_NESTING_DEPTH`] is refused.
    /// Collections, tuples and UDTs read from the wire come back unfrozen (the wire
    /// does not say).
    pub fn read_option(r: &mut WireReader) -> Result<CqlType, ProtocolError> {
        read_option_at(r, 0)
    }
}

fn read_option_at(r: &mut WireReader, depth: usize) -> Result<CqlType, ProtocolError> {
    if depth >= MAX_TYPE_NESTING_DEPTH {
        return Err(ProtocolError::NestingTooDeep { max: MAX_TYPE_NESTING_DEPTH });
    }
    let id = r.read_u16()?;
    let child = |r: &mut WireReader| read_option_at(r, depth + 1).map(Box::new);
    use option_id::*;
    Ok(match id {
        CUSTOM => CqlType::Custom(r.read_string()?),
        ASCII => CqlType::Ascii,
        BIGINT => CqlType::Bigint,
        BLOB => CqlType::Blob,
        BOOLEAN => CqlType::Boolean,
        COUNTER => CqlType::Counter,
        DECIMAL => CqlType::Decimal,
        DOUBLE => CqlType::Double,
        FLOAT => CqlType::Float,
        INT => CqlType::Int,
        TIMESTAMP => CqlType::Timestamp,
        UUID => CqlType::Uuid,
        VARCHAR => CqlType::Text,
        VARINT => CqlType::Varint,
        TIMEUUID => CqlType::Timeuuid,
        INET => CqlType::Inet,
        DATE => CqlType::Date,
        TIME => CqlType::Time,
        SMALLINT => CqlType::Smallint,
        TINYINT => CqlType::Tinyint,
        DURATION => CqlType::Duration,
        LIST => CqlType::List(child(r)?),
        SET => CqlType::Set(child(r)?),
        MAP => {
            let k = child(r)?;
            CqlType::Map(k, child(r)?)
        }
        TUPLE => {
            let n = r.read_u16()? as usize;
            let mut items = Vec::with_capacity(n.min(r.remaining() / 2));
            for _ in 0..n {
                items.push(read_option_at(r, depth + 1)?);
            }
            CqlType::Tuple(items)
        }
        UDT => {
            let keyspace = r.read_string()?;
            let name = r.read_string()?;
            let n = r.read_u16()? as usize;
            let mut fields = Vec::with_capacity(n.min(r.remaining() / 4));
            for _ in 0..n {
                let field = r.read_string()?;
                fields.push((field, read_option_at(r, depth + 1)?));
            }
            CqlType::Udt(UdtType { keyspace, name, fields })
        }
        other => return Err(ProtocolError::bad_value("[option]", format!("unknown type id 0x{other:04X}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn round_trip(t: &CqlType) -> CqlType {
        let mut out = Vec::new();
        t.write_option(&mut out);
        let mut r = WireReader::new(Bytes::from(out));
        let back = CqlType::read_option(&mut r).unwrap();
        assert_eq!(r.remaining(), 0);
        back
    }

    #[test]
    fn spec_bytes() {
        let mut out = Vec::new();
        CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int)).write_option(&mut out);
        assert_eq!(out, [0x00, 0x21, 0x00, 0x0D, 0x00, 0x09]);
        let mut out = Vec::new();
        CqlType::Duration.write_option(&mut out);
        assert_eq!(out, [0x00, 0x15]);
    }

    #[test]
    fn round_trips_and_frozen_is_transparent() {
        let udt = CqlType::Udt(UdtType {
            keyspace: "ks".into(),
            name: "addr".into(),
            fields: vec![
                ("street".into(), CqlType::Text),
                ("zip".into(), CqlType::Tuple(vec![CqlType::Int, CqlType::Uuid])),
            ],
        });
        let types = [
            CqlType::Int,
            CqlType::Custom("org.apache.cassandra.db.marshal.DateRangeType".into()),
            CqlType::List(Box::new(CqlType::Set(Box::new(CqlType::Timeuuid)))),
            udt.clone(),
        ];
        for t in &types {
            assert_eq!(&round_trip(t), t);
        }
        assert_eq!(round_trip(&CqlType::Frozen(Box::new(udt.clone()))), udt);
    }

    #[test]
    fn vectors_are_custom_types() {
        let mut out = Vec::new();
        CqlType::Vector(Box::new(CqlType::Float), 3).write_option(&mut out);
        let class = "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)";
        assert_eq!(out[..2], [0x00, 0x00]);
        assert_eq!(out[2..4], (class.len() as u16).to_be_bytes());
        assert_eq!(&out[4..], class.as_bytes());
        let mut r = WireReader::new(Bytes::from(out));
        assert_eq!(CqlType::read_option(&mut r).unwrap(), CqlType::Custom(class.into()));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut out = Vec::new();
        for _ in 0..100 {
            out.extend_from_slice(&option_id::LIST.to_be_bytes());
        }
        out.extend_from_slice(&option_id::INT.to_be_bytes());
        let mut r = WireReader::new(Bytes::from(out));
        assert!(matches!(CqlType::read_option(&mut r), Err(ProtocolError::NestingTooDeep { .. })));
    }

    #[test]
    fn unknown_id_is_refused() {
        let mut r = WireReader::new(Bytes::from_static(&[0x00, 0x0A]));
        assert!(CqlType::read_option(&mut r).is_err());
    }
}

//! Cassandra's `AbstractType` class names (`AbstractType.toString()`), the form a type
//! takes where the protocol has no `[option]` id for it: a vector is sent in result
//! metadata as the custom type
//! `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)`.
//!
//! Parameters follow Cassandra's `TypeParser`: collections and tuples list theirs in
//! parentheses separated by `,` (no space); user types give their keyspace, then the hex of
//! their name and of each field name (`UserType(ks,61646472,7a6970:…Int32Type)`); frozen
//! collections and user types are wrapped in `FrozenType(…)`; vectors separate the element
//! type and the dimension by `" , "` (`TypeParser.stringifyVectorParameters`).

use std::fmt::Write as _;

use super::cql_type::CqlType;

/// The package of Cassandra's type classes.
pub const MARSHAL_PACKAGE: &str = "org.apache.cassandra.db.marshal.";

/// Separates a vector's element type from its dimension in its class name.
const VECTOR_PARAMETER_SEPARATOR: &str = " , ";

impl CqlType {
    /// The Cassandra class name of this type, with its parameters.
    pub fn marshal_class(&self) -> String {
        let mut out = String::new();
        write_class(self, &mut out);
        out
    }
}

/// The class of a native type, without the package.
fn native_class(ty: &CqlType) -> Option<&'static str> {
    Some(match ty {
        CqlType::Ascii => "AsciiType",
        CqlType::Bigint => "LongType",
        CqlType::Blob => "BytesType",
        CqlType::Boolean => "BooleanType",
        CqlType::Counter => "CounterColumnType",
        CqlType::Decimal => "DecimalType",
        CqlType::Double => "DoubleType",
        CqlType::Float => "FloatType",
        CqlType::Int => "Int32Type",
        CqlType::Timestamp => "TimestampType",
        CqlType::Uuid => "UUIDType",
        CqlType::Text => "UTF8Type",
        CqlType::Varint => "IntegerType",
        CqlType::Timeuuid => "TimeUUIDType",
        CqlType::Inet => "InetAddressType",
        CqlType::Date => "SimpleDateType",
        CqlType::Time => "TimeType",
        CqlType::Smallint => "ShortType",
        CqlType::Tinyint => "ByteType",
        CqlType::Duration => "DurationType",
        _ => return None,
    })
}

fn write_class(ty: &CqlType, out: &mut String) {
    if let Some(class) = native_class(ty) {
        out.push_str(MARSHAL_PACKAGE);
        out.push_str(class);
        return;
    }
    match ty {
        CqlType::List(e) => write_parameterized("ListType", &[e], out),
        CqlType::Set(e) => write_parameterized("SetType", &[e], out),
        CqlType::Map(k, v) => write_parameterized("MapType", &[k, v], out),
        CqlType::Tuple(items) => write_parameterized("TupleType", &items.iter().collect::<Vec<_>>(), out),
        CqlType::Udt(udt) => {
            out.push_str(MARSHAL_PACKAGE);
            out.push_str("UserType(");
            out.push_str(&udt.keyspace);
            out.push(',');
            push_hex(out, &udt.name);
            for (name, field) in &udt.fields {
                out.push(',');
                push_hex(out, name);
                out.push(':');
                write_class(field, out);
            }
            out.push(')');
        }
        CqlType::Frozen(inner) => match inner.as_ref() {
            // Tuples and vectors are frozen by nature: no wrapper.
            CqlType::Tuple(_) | CqlType::Vector(..) | CqlType::Frozen(_) => write_class(inner, out),
            _ => write_parameterized("FrozenType", &[inner], out),
        },
        CqlType::Vector(element, dimension) => {
            out.push_str(MARSHAL_PACKAGE);
            out.push_str("VectorType(");
            write_class(element, out);
            out.push_str(VECTOR_PARAMETER_SEPARATOR);
            let _ = write!(out, "{dimension}");
            out.push(')');
        }
        CqlType::Custom(class) => out.push_str(class),
        _ => {}
    }
}

fn write_parameterized(class: &str, parameters: &[&CqlType], out: &mut String) {
    out.push_str(MARSHAL_PACKAGE);
    out.push_str(class);
    out.push('(');
    for (i, p) in parameters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_class(p, out);
    }
    out.push(')');
}

fn push_hex(out: &mut String, name: &str) {
    for b in name.bytes() {
        let _ = write!(out, "{b:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::UdtType;

    fn b(t: CqlType) -> Box<CqlType> {
        Box::new(t)
    }

    #[test]
    fn vectors_name_their_element_and_dimension_as_cassandra_does() {
        assert_eq!(
            CqlType::Vector(b(CqlType::Float), 3).marshal_class(),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)"
        );
        let nested = CqlType::Vector(b(CqlType::Frozen(b(CqlType::List(b(CqlType::Int))))), 2);
        assert_eq!(
            nested.marshal_class(),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType(\
             org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)) , 2)"
        );
    }

    #[test]
    fn other_types() {
        assert_eq!(CqlType::Text.marshal_class(), "org.apache.cassandra.db.marshal.UTF8Type");
        let map = CqlType::Map(b(CqlType::Int), b(CqlType::Text));
        assert_eq!(
            map.marshal_class(),
            "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.Int32Type,\
             org.apache.cassandra.db.marshal.UTF8Type)"
        );
        let udt = CqlType::Udt(UdtType {
            keyspace: "ks".into(),
            name: "ab".into(),
            fields: vec![("z".into(), CqlType::Int)],
        });
        assert_eq!(
            CqlType::Frozen(b(udt)).marshal_class(),
            "org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.UserType(ks,6162,\
             7a:org.apache.cassandra.db.marshal.Int32Type))"
        );
        assert_eq!(CqlType::Custom("a.B".into()).marshal_class(), "a.B");
    }
}

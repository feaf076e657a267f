//! [`CqlType`]: the CQL data types, their names, and the predicates the engine needs
//! (frozen, multi-cell, collection, counter).
//!
//! Canonical names ([`CqlType::cql_name`]) are the strings shown in
//! `system_schema.columns.type`, following Cassandra 3.0 (the release Percore reports):
//! `text` (never `varchar`), `list<int>`, `map<text, int>` with one space after commas,
//! `frozen<...>` around frozen collections and UDTs, and tuples as `tuple<int, text>`
//! without a `frozen<>` wrapper (tuples are always frozen, and Cassandra 3.0 prints them
//! that way; 4.0 added the wrapper). UDTs print by name, double-quoted when the name is
//! not a plain lowercase identifier. Custom types print as a single-quoted class name.
//! Vectors (Cassandra 5.0) print as `vector<float, 3>`: element type, comma, space,
//! dimension.

/// A user-defined type: its keyspace, name and ordered fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdtType {
    pub keyspace: String,
    pub name: String,
    pub fields: Vec<(String, CqlType)>,
}

/// A CQL data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CqlType {
    Ascii,
    Bigint,
    Blob,
    Boolean,
    Counter,
    Decimal,
    Double,
    Float,
    Int,
    Timestamp,
    Uuid,
    Text,
    Varint,
    Timeuuid,
    Inet,
    Date,
    Time,
    Smallint,
    Tinyint,
    Duration,
    List(Box<CqlType>),
    Set(Box<CqlType>),
    Map(Box<CqlType>, Box<CqlType>),
    Tuple(Vec<CqlType>),
    Udt(UdtType),
    /// A frozen collection or UDT: stored and compared as one blob. Transparent on the
    /// wire.
    Frozen(Box<CqlType>),
    /// A custom type named by its Java class.
    Custom(String),
    /// `vector<element, dimension>` (Cassandra 5.0): a fixed number of non-null elements,
    /// stored and compared as one value like a tuple; collections and UDTs inside are
    /// frozen. The dimension is positive. On the wire it is the custom type `VectorType`
    /// (see `vector` for its value layout).
    Vector(Box<CqlType>, u32),
}

/// Native (non-parameterised) types and their canonical names.
static NATIVE_TYPES: [(&str, CqlType); 20] = [
    ("ascii", CqlType::Ascii),
    ("bigint", CqlType::Bigint),
    ("blob", CqlType::Blob),
    ("boolean", CqlType::Boolean),
    ("counter", CqlType::Counter),
    ("decimal", CqlType::Decimal),
    ("double", CqlType::Double),
    ("float", CqlType::Float),
    ("int", CqlType::Int),
    ("timestamp", CqlType::Timestamp),
    ("uuid", CqlType::Uuid),
    ("text", CqlType::Text),
    ("varint", CqlType::Varint),
    ("timeuuid", CqlType::Timeuuid),
    ("inet", CqlType::Inet),
    ("date", CqlType::Date),
    ("time", CqlType::Time),
    ("smallint", CqlType::Smallint),
    ("tinyint", CqlType::Tinyint),
    ("duration", CqlType::Duration),
];

impl CqlType {
    /// Parses a native type name, case-insensitively; `varchar` is `text`.
    pub fn from_native_name(name: &str) -> Option<CqlType> {
        if name.eq_ignore_ascii_case("varchar") {
            return Some(CqlType::Text);
        }
        NATIVE_TYPES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, t)| t.clone())
    }

    /// The canonical name of a native type, `None` for parameterised types.
    pub fn native_name(&self) -> Option<&'static str> {
        NATIVE_TYPES.iter().find(|(_, t)| t == self).map(|(n, _)| *n)
    }

    /// The canonical CQL name (see the module docs).
    pub fn cql_name(&self) -> String {
        let mut out = String::new();
        self.write_cql_name(&mut out);
        out
    }

    fn write_cql_name(&self, out: &mut String) {
        if let Some(name) = self.native_name() {
            out.push_str(name);
            return;
        }
        match self {
            CqlType::List(e) => wrap(out, "list<", &[e], ">"),
            CqlType::Set(e) => wrap(out, "set<", &[e], ">"),
            CqlType::Map(k, v) => wrap(out, "map<", &[k, v], ">"),
            CqlType::Tuple(items) => {
                let refs: Vec<&CqlType> = items.iter().collect();
                wrap(out, "tuple<", &refs, ">");
            }
            CqlType::Udt(udt) => out.push_str(&quote_identifier(&udt.name)),
            CqlType::Frozen(inner) => match inner.as_ref() {
                // Tuples are implicitly frozen; frozen<frozen<x>> is frozen<x>.
                CqlType::Tuple(_) | CqlType::Frozen(_) => inner.write_cql_name(out),
                _ => wrap(out, "frozen<", &[inner], ">"),
            },
            CqlType::Custom(class) => {
                out.push('\'');
                out.push_str(&class.replace('\'', "''"));
                out.push('\'');
            }
            CqlType::Vector(element, dimension) => {
                out.push_str("vector<");
                element.write_cql_name(out);
                out.push_str(", ");
                out.push_str(&dimension.to_string());
                out.push('>');
            }
            _ => {}
        }
    }

    /// A list, set or map, frozen or not.
    pub fn is_collection(&self) -> bool {
        matches!(self.unfrozen(), CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..))
    }

    /// Explicitly frozen (`frozen<...>`). Tuples are stored frozen regardless.
    pub fn is_frozen(&self) -> bool {
        matches!(self, CqlType::Frozen(_))
    }

    pub fn is_counter(&self) -> bool {
        matches!(self, CqlType::Counter)
    }

    /// Stored as several cells: a non-frozen collection or non-frozen UDT.
    pub fn is_multi_cell(&self) -> bool {
        matches!(self, CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_))
    }

    /// The type with any `frozen<>` wrappers removed.
    pub fn unfrozen(&self) -> &CqlType {
        let mut t = self;
        while let CqlType::Frozen(inner) = t {
            t = inner;
        }
        t
    }
}

fn wrap(out: &mut String, open: &str, items: &[&CqlType], close: &str) {
    out.push_str(open);
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        t.write_cql_name(out);
    }
    out.push_str(close);
}

/// Double-quotes an identifier unless it is a plain lowercase identifier.
pub fn quote_identifier(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(t: CqlType) -> Box<CqlType> {
        Box::new(t)
    }

    #[test]
    fn native_names() {
        assert_eq!(CqlType::from_native_name("VARCHAR"), Some(CqlType::Text));
        assert_eq!(CqlType::from_native_name("BigInt"), Some(CqlType::Bigint));
        assert_eq!(CqlType::from_native_name("list"), None);
        for (name, t) in NATIVE_TYPES.iter() {
            assert_eq!(CqlType::from_native_name(name).as_ref(), Some(t));
            assert_eq!(t.cql_name(), *name);
        }
    }

    #[test]
    fn canonical_names() {
        let frozen_map = CqlType::Frozen(b(CqlType::Map(b(CqlType::Text), b(CqlType::Int))));
        assert_eq!(frozen_map.cql_name(), "frozen<map<text, int>>");
        assert_eq!(CqlType::List(b(CqlType::Int)).cql_name(), "list<int>");
        let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Text]);
        assert_eq!(tuple.cql_name(), "tuple<int, text>");
        assert_eq!(CqlType::Frozen(b(tuple)).cql_name(), "tuple<int, text>");
        let udt = CqlType::Udt(UdtType { keyspace: "ks".into(), name: "Address".into(), fields: vec![] });
        assert_eq!(udt.cql_name(), "\"Address\"");
        assert_eq!(CqlType::Set(b(CqlType::Frozen(b(udt)))).cql_name(), "set<frozen<\"Address\">>");
        assert_eq!(CqlType::Custom("a.B".into()).cql_name(), "'a.B'");
        assert_eq!(CqlType::Vector(b(CqlType::Float), 3).cql_name(), "vector<float, 3>");
        let nested = CqlType::Vector(b(CqlType::Frozen(b(CqlType::List(b(CqlType::Int))))), 2);
        assert_eq!(nested.cql_name(), "vector<frozen<list<int>>, 2>");
    }

    #[test]
    fn predicates() {
        let list = CqlType::List(b(CqlType::Int));
        let frozen = CqlType::Frozen(b(list.clone()));
        assert!(list.is_collection() && frozen.is_collection());
        assert!(list.is_multi_cell() && !frozen.is_multi_cell());
        assert!(frozen.is_frozen() && !list.is_frozen());
        assert_eq!(frozen.unfrozen(), &list);
        assert!(CqlType::Counter.is_counter());
        assert!(!CqlType::Tuple(vec![]).is_multi_cell());
        let vector = CqlType::Vector(b(CqlType::Float), 2);
        assert!(!vector.is_multi_cell() && !vector.is_collection() && !vector.is_frozen());
    }
}

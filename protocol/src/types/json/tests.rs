//! Tests of the JSON forms: output tables (`toJson`), Java number formatting and parsing,
//! `INSERT JSON` objects, malformed JSON, and a no-panic fuzz. The `fromJson` tables and the
//! round trips are in `tests_from`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::value::{java_double_string, java_float_string, java_parse_double, java_parse_float};
use super::*;
use crate::types::literal::{parse_date, parse_decimal, parse_duration, parse_time, parse_uuid, parse_varint};
use crate::types::{CqlType, CqlValue, UdtType};

pub(super) fn b(t: CqlType) -> Box<CqlType> {
    Box::new(t)
}

pub(super) fn uuid(s: &str) -> uuid::Uuid {
    parse_uuid(s).unwrap()
}

pub(super) const U1: &str = "6bddc89a-5644-11e4-97fc-56847afe9799";

pub(super) fn udt(name: &str, fields: Vec<(&str, CqlType)>) -> CqlType {
    let fields = fields.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
    CqlType::Udt(UdtType { keyspace: "ks".into(), name: name.into(), fields })
}

pub(super) fn decimal(s: &str) -> CqlValue {
    let (scale, unscaled) = parse_decimal(s).unwrap();
    CqlValue::Decimal { scale, unscaled }
}

pub(super) fn duration(s: &str) -> CqlValue {
    let d = parse_duration(s).unwrap();
    CqlValue::Duration { months: d.months, days: d.days, nanos: d.nanos }
}

pub(super) fn to_json(ty: &CqlType, v: &CqlValue) -> String {
    value_to_json(ty, Some(&v.to_bytes())).unwrap()
}

fn abc_udt() -> CqlType {
    udt("t", vec![("a", CqlType::Int), ("b", CqlType::Uuid), ("c", CqlType::Set(b(CqlType::Text)))])
}

#[test]
fn scalars_to_json() {
    use CqlValue as V;
    let v6 = |s: &str| V::Inet(IpAddr::V6(s.parse::<Ipv6Addr>().unwrap()));
    let cases: Vec<(CqlType, CqlValue, &str)> = vec![
        (CqlType::Ascii, V::Ascii("ascii text".into()), r#""ascii text""#),
        (CqlType::Text, V::Text(String::new()), r#""""#),
        (CqlType::Text, V::Text("\u{8422}é".into()), "\"\u{8422}é\""),
        (CqlType::Text, V::Text("\0".into()), r#""\u0000""#),
        (
            CqlType::Text,
            V::Text("q\"b\\/\n\t\r\u{8}\u{c}\u{1f}\u{7f}".into()),
            "\"q\\\"b\\\\/\\n\\t\\r\\b\\f\\u001F\u{7f}\"",
        ),
        (CqlType::Bigint, V::Bigint(-123_123_123_123), "-123123123123"),
        (CqlType::Counter, V::Counter(42), "42"),
        (CqlType::Int, V::Int(123_123), "123123"),
        (CqlType::Smallint, V::Smallint(-32768), "-32768"),
        (CqlType::Tinyint, V::Tinyint(127), "127"),
        (CqlType::Varint, V::Varint(parse_varint("123123123123123123123").unwrap()), "123123123123123123123"),
        (CqlType::Varint, V::Varint(vec![0xFF]), "-1"),
        (CqlType::Decimal, decimal("123123.123123"), "123123.123123"),
        (CqlType::Decimal, decimal("-1.23E-12"), "-1.23E-12"),
        (CqlType::Decimal, decimal("1.50"), "1.50"),
        (CqlType::Double, V::Double(123_123.123_123), "123123.123123"),
        (CqlType::Double, V::Double(123_123.0), "123123.0"),
        (CqlType::Double, V::Double(f64::NAN), "null"),
        (CqlType::Double, V::Double(f64::NEG_INFINITY), "null"),
        (CqlType::Float, V::Float(123.123), "123.123"),
        (CqlType::Float, V::Float(f32::INFINITY), "null"),
        (CqlType::Boolean, V::Boolean(false), "false"),
        (CqlType::Blob, V::Blob(vec![0, 0, 0, 1].into()), r#""0x00000001""#),
        (CqlType::Blob, V::Blob(vec![0xAB].into()), r#""0xab""#),
        (CqlType::Blob, V::Blob(Vec::new().into()), r#""0x""#),
        (CqlType::Timestamp, V::Timestamp(1_388_534_400_000), r#""2014-01-01 00:00:00.000Z""#),
        (CqlType::Timestamp, V::Timestamp(-1), r#""1969-12-31 23:59:59.999Z""#),
        (CqlType::Date, V::Date(parse_date("1987-03-23").unwrap()), r#""1987-03-23""#),
        (CqlType::Time, V::Time(123), r#""00:00:00.000000123""#),
        (CqlType::Time, V::Time(parse_time("07:35:07.000111222").unwrap()), r#""07:35:07.000111222""#),
        (CqlType::Uuid, V::Uuid(uuid(&U1.to_uppercase())), "\"6bddc89a-5644-11e4-97fc-56847afe9799\""),
        (CqlType::Timeuuid, V::Timeuuid(uuid(U1)), "\"6bddc89a-5644-11e4-97fc-56847afe9799\""),
        (CqlType::Inet, V::Inet(IpAddr::V4(Ipv4Addr::LOCALHOST)), r#""127.0.0.1""#),
        (CqlType::Inet, v6("::1"), r#""0:0:0:0:0:0:0:1""#),
        (CqlType::Inet, v6("2001:DB8::ff00:42:8329"), r#""2001:db8:0:0:0:ff00:42:8329""#),
        (CqlType::Inet, v6("::ffff:10.1.2.3"), r#""10.1.2.3""#),
        (CqlType::Duration, duration("12µs"), r#""12us""#),
        (CqlType::Duration, duration("P1Y1M2DT10H5M"), r#""1y1mo2d10h5m""#),
        (CqlType::Duration, duration("-6h40m"), r#""-6h40m""#),
        (CqlType::Custom("a.B".into()), V::Blob(vec![1].into()), r#""0x01""#),
    ];
    for (ty, v, expected) in cases {
        assert_eq!(to_json(&ty, &v), expected, "{ty:?} {v:?}");
    }
}

#[test]
fn empty_and_null_values_to_json() {
    for ty in [CqlType::Int, CqlType::Bigint, CqlType::Timestamp, CqlType::Varint, CqlType::Uuid, CqlType::Inet] {
        assert_eq!(value_to_json(&ty, Some(&[])).unwrap(), r#""""#, "{ty:?}");
    }
    assert_eq!(value_to_json(&CqlType::Text, Some(&[])).unwrap(), r#""""#);
    assert_eq!(value_to_json(&abc_udt(), None).unwrap(), "null");
    assert!(value_to_json(&CqlType::Int, Some(&[1, 2])).is_err());
    assert!(value_to_json(&CqlType::List(b(CqlType::Int)), Some(&[0, 0, 0, 1])).is_err());
}

#[test]
fn collections_to_json() {
    use CqlValue as V;
    let tuple_key = CqlType::Frozen(b(CqlType::Tuple(vec![CqlType::Int, CqlType::Text])));
    let a_udt = udt("u", vec![("a", CqlType::Int)]);
    let case_udt = udt("u", vec![("a", CqlType::Int), ("Foo", CqlType::Int), ("my field", CqlType::Int)]);
    let tuple3 = CqlType::Tuple(vec![CqlType::Int, CqlType::Ascii, CqlType::Uuid]);
    let cases: Vec<(CqlType, CqlValue, &str)> = vec![
        (CqlType::List(b(CqlType::Int)), V::List(vec![V::Int(1), V::Int(2), V::Int(3)]), "[1, 2, 3]"),
        (CqlType::List(b(CqlType::Int)), V::List(vec![]), "[]"),
        (
            CqlType::Set(b(CqlType::Text)),
            V::Set(vec![V::Text("bar".into()), V::Text("foo".into())]),
            r#"["bar", "foo"]"#,
        ),
        (
            CqlType::Frozen(b(CqlType::Map(b(CqlType::Ascii), b(CqlType::Int)))),
            V::Map(vec![(V::Ascii("a".into()), V::Int(1)), (V::Ascii("b".into()), V::Int(2))]),
            r#"{"a": 1, "b": 2}"#,
        ),
        (
            CqlType::Map(b(CqlType::Int), b(CqlType::Boolean)),
            V::Map(vec![(V::Int(0), V::Boolean(true)), (V::Int(1), V::Boolean(false))]),
            r#"{"0": true, "1": false}"#,
        ),
        (
            CqlType::Map(b(tuple_key), b(CqlType::Boolean)),
            V::Map(vec![(V::Tuple(vec![Some(V::Int(0)), Some(V::Text("a".into()))]), V::Boolean(true))]),
            r#"{"[0, \"a\"]": true}"#,
        ),
        (
            CqlType::Map(b(CqlType::Frozen(b(a_udt))), b(CqlType::Int)),
            V::Map(vec![(V::Udt(vec![("a".into(), Some(V::Int(0)))]), V::Int(7))]),
            r#"{"{\"a\": 0}": 7}"#,
        ),
        (
            CqlType::Map(b(CqlType::Timestamp), b(CqlType::Int)),
            V::Map(vec![(V::Timestamp(0), V::Int(1))]),
            r#"{"1970-01-01 00:00:00.000Z": 1}"#,
        ),
        (
            tuple3.clone(),
            V::Tuple(vec![Some(V::Int(1)), Some(V::Ascii("foobar".into())), None]),
            r#"[1, "foobar", null]"#,
        ),
        (tuple3, V::Tuple(vec![Some(V::Int(1))]), "[1, null, null]"),
        (
            abc_udt(),
            V::Udt(vec![
                ("a".into(), Some(V::Int(1))),
                ("b".into(), Some(V::Uuid(uuid(U1)))),
                ("c".into(), Some(V::Set(vec![V::Text("bar".into()), V::Text("foo".into())]))),
            ]),
            r#"{"a": 1, "b": "6bddc89a-5644-11e4-97fc-56847afe9799", "c": ["bar", "foo"]}"#,
        ),
        (abc_udt(), V::Udt(vec![("a".into(), Some(V::Int(1)))]), r#"{"a": 1, "b": null, "c": null}"#),
        (
            case_udt,
            V::Udt(vec![("a".into(), Some(V::Int(0))), ("Foo".into(), Some(V::Int(1))), ("my field".into(), None)]),
            r#"{"a": 0, "\"Foo\"": 1, "my field": null}"#,
        ),
    ];
    for (ty, v, expected) in cases {
        assert_eq!(to_json(&ty, &v), expected, "{ty:?}");
    }
}

#[test]
fn java_double_and_float_strings() {
    let doubles: [(f64, &str); 16] = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.1, "0.1"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (9_999_999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (1.5e10, "1.5E10"),
        (-1.2345e-5, "-1.2345E-5"),
        (1e23, "1.0E23"),
        (2e23, "2.0E23"),
        (f64::MAX, "1.7976931348623157E308"),
        (5e-324, "4.9E-324"),
        (123_123.123_123, "123123.123123"),
    ];
    for (v, expected) in doubles {
        assert_eq!(java_double_string(v), expected, "{v:e}");
    }
    let floats: [(f32, &str); 7] = [
        (0.1, "0.1"),
        (123.123, "123.123"),
        (1e10, "1.0E10"),
        (f32::MAX, "3.4028235E38"),
        (1e-45, "1.4E-45"),
        (-3.0, "-3.0"),
        // JDK 19+ (shortest digits); older JDKs printed Float.MIN_NORMAL as 1.17549435E-38.
        (1.175_494_4e-38, "1.1754944E-38"),
    ];
    for (v, expected) in floats {
        assert_eq!(java_float_string(v), expected, "{v:e}");
    }
    assert_eq!(java_double_string(f64::NAN), "NaN");
    assert_eq!(java_double_string(f64::NEG_INFINITY), "-Infinity");
}

#[test]
fn java_number_parsing() {
    for (s, v) in
        [("1", 1.0), (" 2.5 ", 2.5), ("+.5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("-1E-2d", -0.01), ("7F", 7.0)]
    {
        assert_eq!(java_parse_double(s), Some(v), "{s}");
    }
    assert_eq!(java_parse_double("-Infinity"), Some(f64::NEG_INFINITY));
    assert!(java_parse_double("NaN").is_some_and(f64::is_nan));
    for bad in ["", ".", "e5", "1e", "1e+", "inf", "nan", "infinity", "0x1p3", "1.5ff", "1 2", "--1", "1_0", "١"] {
        assert_eq!(java_parse_double(bad), None, "{bad}");
    }
    assert_eq!(java_parse_float("123123.123123"), Some(123_123.125));
    assert_eq!(java_parse_float("1e39"), Some(f32::INFINITY));
}

#[test]
fn insert_json_objects() {
    let cols = json_object_to_columns(r#"{"k": 0, "V": null, "\"MyCol\"": [1], "\"x": "s"}"#).unwrap();
    let expected = vec![
        ("k".to_string(), JsonValue::Int(0)),
        ("v".to_string(), JsonValue::Null),
        ("MyCol".to_string(), JsonValue::Array(vec![JsonValue::Int(1)])),
        ("\"x".to_string(), JsonValue::String("s".into())),
    ];
    assert_eq!(cols, expected);
    assert_eq!(json_value_to_bytes(&CqlType::Int, &cols[0].1), Ok(Some(vec![0, 0, 0, 0])));
    assert_eq!(json_value_to_bytes(&CqlType::Int, &cols[1].1), Ok(None));
    assert_eq!(json_object_to_columns("{}"), Ok(vec![]));
    assert_eq!(json_object_to_columns("null").unwrap_err().to_string(), "Got null for INSERT JSON values");
    for bad in [r#""notamap""#, "12.34", "[1]", "{", "", r#"{"a": 1} x"#] {
        let e = json_object_to_columns(bad).unwrap_err().to_string();
        assert!(e.starts_with("Could not decode JSON string as a map: "), "{bad}: {e}");
        assert!(e.ends_with(&format!(". (String was: {bad})")), "{bad}: {e}");
    }
    for dup in [r#"{"a": 1, "A": 2}"#, r#"{"a": 1, "a": 2}"#, r#"{"a": 1, "\"a\"": 2}"#] {
        assert_eq!(json_object_to_columns(dup), Err(JsonError::DuplicateColumn("a".into())), "{dup}");
    }
    assert!(json_object_to_columns(r#"{"\"A\"": 1, "a": 2}"#).is_ok());
    for (key, name) in [("MyCol", "mycol"), ("\"MyCol\"", "MyCol"), ("\"", "\""), ("\"\"", ""), ("ÉTÉ", "été")] {
        assert_eq!(json_key_to_column_name(key), name);
    }
}

#[test]
fn malformed_json_is_a_syntax_error() {
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    for bad in ["", " ", "{", "[1,", "01", "NaN", "'a'", r#""\x""#, "1 2", r#"{"a" 1}"#, "tru", "ΎΔδϠ", "[1]]", &deep]
    {
        let e = json_to_value(&CqlType::Text, bad).unwrap_err();
        assert!(matches!(e, JsonError::Syntax { .. }), "{bad}: {e:?}");
        assert!(e.to_string().starts_with(&format!("Could not decode JSON string '{bad}': ")));
    }
    let too_big = "1".repeat(40);
    assert!(matches!(json_to_value(&CqlType::Varint, &too_big), Err(JsonError::Syntax { .. })));
}

/// A small deterministic generator (xorshift) for the no-panic checks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn fuzz_types() -> Vec<CqlType> {
    let mut types: Vec<CqlType> = [
        "ascii",
        "bigint",
        "blob",
        "boolean",
        "counter",
        "decimal",
        "double",
        "float",
        "int",
        "timestamp",
        "uuid",
        "text",
        "varint",
        "timeuuid",
        "inet",
        "date",
        "time",
        "smallint",
        "tinyint",
        "duration",
    ]
    .iter()
    .filter_map(|n| CqlType::from_native_name(n))
    .collect();
    types.push(CqlType::List(b(CqlType::Int)));
    types.push(CqlType::Set(b(CqlType::Frozen(b(CqlType::Tuple(vec![CqlType::Text, CqlType::Double]))))));
    types.push(CqlType::Map(b(CqlType::Timestamp), b(CqlType::List(b(CqlType::Blob)))));
    types.push(CqlType::Map(b(CqlType::Frozen(b(abc_udt()))), b(CqlType::Boolean)));
    types.push(abc_udt());
    types
}

#[test]
fn no_panics_on_random_input() {
    const TOKENS: [&str; 24] = [
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        " ",
        "\"a\"",
        "\"A\"",
        "1",
        "-1.5e3",
        "null",
        "true",
        "\"0x01\"",
        "\"[1]\"",
        "\"2014-01-01\"",
        "\"\"",
        "12345678901234567890",
        "\"\\u0000\"",
        "\"é\"",
        "\"{\\\"a\\\": 1}\"",
        "0.5",
        "\"",
        "\"1h\"",
    ];
    let types = fuzz_types();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let n = rng.below(12);
        let text: String = (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        let raw: Vec<u8> = (0..rng.below(24)).map(|_| rng.next() as u8).collect();
        let lossy = String::from_utf8_lossy(&raw);
        for ty in &types {
            let _ = json_to_value(ty, &text);
            let _ = json_to_value(ty, &lossy);
            let _ = value_to_json(ty, Some(&raw));
        }
        let _ = json_object_to_columns(&text);
        let _ = json_object_to_columns(&lossy);
    }
}

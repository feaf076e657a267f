//! `fromJson` / `INSERT JSON` value tables: what each type accepts (and the value it makes),
//! what it refuses (with Cassandra's message, from its `JsonTest`), the exact serialized
//! form of collections, tuples and UDTs, and value → JSON → value round trips.

use std::net::{IpAddr, Ipv4Addr};

use super::tests::{b, decimal, duration, to_json, udt, uuid, U1};
use super::*;
use crate::types::literal::{parse_date, parse_time, parse_timestamp, parse_varint};
use crate::types::{CqlType, CqlValue, ValueError};

fn read(ty: &CqlType, json: &str) -> CqlValue {
    let bytes = json_to_value(ty, json).unwrap_or_else(|e| panic!("{ty:?} {json}: {e}")).unwrap();
    ty.decode(&bytes).unwrap()
}

fn error(ty: &CqlType, json: &str) -> String {
    match json_to_value(ty, json) {
        Ok(v) => panic!("{ty:?} {json} gave {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn tuple3() -> CqlType {
    CqlType::Frozen(b(CqlType::Tuple(vec![CqlType::Int, CqlType::Ascii, CqlType::Uuid])))
}

fn abc() -> CqlType {
    udt("t", vec![("a", CqlType::Int), ("b", CqlType::Uuid), ("c", CqlType::Set(b(CqlType::Text)))])
}

#[test]
fn scalars_accepted() {
    use CqlType as T;
    use CqlValue as V;
    let cases: Vec<(CqlType, &str, CqlValue)> = vec![
        (T::Ascii, r#""ascii \" text""#, V::Ascii("ascii \" text".into())),
        (T::Bigint, "123123123123", V::Bigint(123_123_123_123)),
        (T::Bigint, r#""-123123123123""#, V::Bigint(-123_123_123_123)),
        (T::Bigint, "-9223372036854775808", V::Bigint(i64::MIN)),
        (T::Blob, r#""0x00000001""#, V::Blob(vec![0, 0, 0, 1].into())),
        (T::Blob, r#""0xAbCd""#, V::Blob(vec![0xAB, 0xCD].into())),
        (T::Blob, r#""0x""#, V::Blob(Vec::new().into())),
        (T::Boolean, "true", V::Boolean(true)),
        (T::Boolean, r#""false""#, V::Boolean(false)),
        (T::Boolean, r#""TrUe""#, V::Boolean(true)),
        (T::Boolean, r#""""#, V::Boolean(false)),
        (T::Date, r#""1987-03-23""#, V::Date(parse_date("1987-03-23").unwrap())),
        (T::Date, r#""2147483648""#, V::Date(1 << 31)),
        (T::Decimal, "123123.123123", decimal("123123.123123")),
        (T::Decimal, "123123", decimal("123123")),
        (T::Decimal, r#""-1.23E-12""#, decimal("-1.23E-12")),
        (T::Double, "123123.123123", V::Double(123_123.123_123)),
        (T::Double, "123123", V::Double(123_123.0)),
        (T::Double, r#""123123""#, V::Double(123_123.0)),
        (T::Double, r#"" 1.5d ""#, V::Double(1.5)),
        (T::Double, r#""-Infinity""#, V::Double(f64::NEG_INFINITY)),
        (T::Float, "123123.123123", V::Float(123_123.123_123_f64 as f32)),
        (T::Float, r#""123123.0""#, V::Float(123_123.0)),
        (T::Float, "16777217", V::Float(16_777_216.0)),
        (T::Inet, r#""127.0.0.1""#, V::Inet([127, 0, 0, 1].into())),
        (T::Inet, r#""::1""#, V::Inet(std::net::Ipv6Addr::LOCALHOST.into())),
        (T::Int, "123123", V::Int(123_123)),
        (T::Int, r#""-123123""#, V::Int(-123_123)),
        (T::Int, r#""+5""#, V::Int(5)),
        (T::Int, "-0", V::Int(0)),
        (T::Smallint, "32767", V::Smallint(32767)),
        (T::Smallint, r#""-32768""#, V::Smallint(-32768)),
        (T::Tinyint, "127", V::Tinyint(127)),
        (T::Tinyint, r#""-128""#, V::Tinyint(-128)),
        (T::Text, r#""""#, V::Text(String::new())),
        (T::Text, r#""some \" text""#, V::Text("some \" text".into())),
        (T::Text, r#""\u2013 é \ud83d\udc0e""#, V::Text("\u{2013} é 🐎".into())),
        (T::Time, r#""07:35:07.000111222""#, V::Time(parse_time("07:35:07.000111222").unwrap())),
        (T::Time, r#""123""#, V::Time(123)),
        (T::Timestamp, "123123123123", V::Timestamp(123_123_123_123)),
        (T::Timestamp, "-3000000000", V::Timestamp(-3_000_000_000)),
        (T::Timestamp, r#""2014-01-01""#, V::Timestamp(1_388_534_400_000)),
        (T::Timestamp, r#""2014-01-01 00:00:00.000Z""#, V::Timestamp(1_388_534_400_000)),
        (T::Timestamp, r#""1000""#, V::Timestamp(1000)),
        (T::Timeuuid, r#""6BDDC89A-5644-11E4-97FC-56847AFE9799""#, V::Timeuuid(uuid(U1))),
        (T::Uuid, r#""6bddc89a-5644-11e4-97fc-56847afe9799""#, V::Uuid(uuid(U1))),
        (T::Varint, "123123123123", V::Varint(parse_varint("123123123123").unwrap())),
        (
            T::Varint,
            r#""1234567890123456789012345678901234567890""#,
            V::Varint(parse_varint("1234567890123456789012345678901234567890").unwrap()),
        ),
        (
            T::Varint,
            "-170141183460469231731687303715884105728",
            V::Varint(parse_varint("-170141183460469231731687303715884105728").unwrap()),
        ),
        (T::Varint, r#""+7""#, V::Varint(vec![7])),
        (T::Duration, r#""53us""#, duration("53us")),
        (T::Duration, r#""P2W""#, V::Duration { months: 0, days: 14, nanos: 0 }),
        (T::Custom("a.B".into()), r#""0x01""#, V::Blob(vec![1].into())),
    ];
    for (ty, json, expected) in cases {
        assert_eq!(read(&ty, json), expected, "{ty:?} {json}");
    }
    assert!(matches!(read(&T::Double, r#""NaN""#), V::Double(f) if f.is_nan()));
    for ty in [T::Int, T::Bigint, T::Float, T::Double, T::Timestamp, T::Uuid, T::Timeuuid, T::Inet] {
        assert_eq!(json_to_value(&ty, r#""""#), Ok(Some(vec![])), "{ty:?}");
    }
    for ty in [T::Int, T::Text, T::List(b(T::Int)), abc()] {
        assert_eq!(json_to_value(&ty, " null "), Ok(None));
    }
}

#[test]
fn scalars_refused() {
    use CqlType as T;
    let cases: Vec<(CqlType, &str, &str)> = vec![
        (T::Ascii, r#""\u1fff\u2013""#, "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1"),
        (T::Ascii, "123", "Expected an ascii string, but got a Integer: 123"),
        (T::Bigint, "9223372036854775808", "Expected a bigint value, but got a BigInteger: 9223372036854775808"),
        (T::Bigint, "123.456", "Expected a bigint value, but got a Double: 123.456"),
        (T::Bigint, r#""abc""#, "Unable to make long from 'abc'"),
        (T::Bigint, r#"["abc"]"#, "Expected a bigint value, but got a ArrayList: [abc]"),
        (T::Blob, r#""xyzz""#, "Value 'xyzz' is not a valid blob representation: String representation of blob is missing 0x prefix: xyzz"),
        (T::Blob, r#""0X01""#, "Value '0X01' is not a valid blob representation: String representation of blob is missing 0x prefix: 0X01"),
        (T::Blob, r#""0x123""#, "Value '0x123' is not a valid blob representation: cannot parse '123' as hex bytes"),
        (T::Blob, "123", "Value '123' is not a valid blob representation: class java.lang.Integer cannot be cast to class java.lang.String"),
        (T::Boolean, r#""abc""#, "Unable to make boolean from 'abc'"),
        (T::Boolean, "123", "Expected a boolean value, but got a Integer: 123"),
        (T::Counter, "1", "Counter values cannot be set from JSON"),
        (T::Date, "123", "Expected a string representation of a date value, but got a Integer: 123"),
        (T::Date, r#""xyz""#, "Unable to coerce 'xyz' to a formatted date (long)"),
        (T::Date, r#""""#, "Unable to coerce '' to a formatted date (long)"),
        (T::Decimal, r#""xyzz""#, "Value 'xyzz' is not a valid representation of a decimal value"),
        (T::Decimal, "true", "Value 'true' is not a valid representation of a decimal value"),
        (T::Decimal, r#""""#, "Value '' is not a valid representation of a decimal value"),
        (T::Double, r#""xyzz""#, "Unable to make double from 'xyzz'"),
        (T::Double, r#""0x1p3""#, "Unable to make double from '0x1p3'"),
        (T::Double, "true", "Expected a double value, but got a Boolean: true"),
        (T::Float, r#""xyzz""#, "Unable to make float from 'xyzz'"),
        (T::Float, "{}", "Expected a float value, but got a LinkedHashMap: {}"),
        (T::Inet, r#""xyzz""#, "Unable to make inet address from 'xyzz'"),
        (T::Inet, "123", "Expected a string representation of an inet value, but got a Integer: 123"),
        (T::Int, "2147483648", "Expected an int value, but got a Long: 2147483648"),
        (T::Int, "123.456", "Expected an int value, but got a Double: 123.456"),
        (T::Int, "1e2", "Expected an int value, but got a Double: 100.0"),
        (T::Int, r#""xyzz""#, "Unable to make int from 'xyzz'"),
        (T::Int, r#"" 1""#, "Unable to make int from ' 1'"),
        (T::Int, "true", "Expected an int value, but got a Boolean: true"),
        (T::Smallint, "32768", "Unable to make short from '32768'"),
        (T::Smallint, "123.456", "Unable to make short from '123.456'"),
        (T::Smallint, r#""xyzz""#, "Unable to make short from 'xyzz'"),
        (T::Smallint, "true", "Expected a short value, but got a Boolean: true"),
        (T::Smallint, r#""""#, "Expected 2 bytes for a smallint (0)"),
        (T::Tinyint, "128", "Unable to make byte from '128'"),
        (T::Tinyint, "true", "Expected a byte value, but got a Boolean: true"),
        (T::Text, "123", "Expected a UTF-8 string, but got a Integer: 123"),
        (T::Text, "[1, [2, {\"a\": null}], 1.5]", "Expected a UTF-8 string, but got a ArrayList: [1, [2, {a=null}], 1.5]"),
        (T::Time, "123456", "Expected a string representation of a time value, but got a Integer: 123456"),
        (T::Time, r#""xyz""#, "(TimeType) Unable to coerce 'xyz' to a formatted time (long)"),
        (T::Timestamp, "123.456", "Expected a long or a datestring representation of a timestamp value, but got a Double: 123.456"),
        (T::Timestamp, "1000", "Expected a long or a datestring representation of a timestamp value, but got a Integer: 1000"),
        (T::Timestamp, r#""abcd""#, "Unable to coerce 'abcd' to a formatted date (long)"),
        (T::Timeuuid, r#""00000000-0000-0000-0000-000000000000""#, "TimeUUID supports only version 1 UUIDs"),
        (T::Timeuuid, r#""xyz""#, "Unknown timeuuid representation: xyz"),
        (T::Timeuuid, "123", "Expected a string representation of a timeuuid, but got a Integer: 123"),
        (T::Uuid, r#""00000000-0000-0000-zzzz-000000000000""#, "Unable to make UUID from '00000000-0000-0000-zzzz-000000000000'"),
        (T::Uuid, "123", "Expected a string representation of a uuid, but got a Integer: 123"),
        (T::Varint, "123123.123", "Value '123123.123' is not a valid representation of a varint value"),
        (T::Varint, r#""xyzz""#, "Value 'xyzz' is not a valid representation of a varint value"),
        (T::Varint, r#""""#, "Value '' is not a valid representation of a varint value"),
        (T::Varint, "true", "Value 'true' is not a valid representation of a varint value"),
        (T::Duration, r#""xyz""#, "Unable to convert 'xyz' to a duration"),
        (T::Duration, r#""""#, "Expected at least 3 bytes for a duration (0)"),
        (T::Duration, "5", "Expected a string representation of a duration, but got a Integer: 5"),
    ];
    for (ty, json, expected) in cases {
        assert_eq!(error(&ty, json), expected, "{ty:?} {json}");
    }
}

#[test]
fn collections_accepted() {
    use CqlType as T;
    use CqlValue as V;
    let ints = |v: &[i32]| v.iter().map(|i| V::Int(*i)).collect::<Vec<_>>();
    let list = T::List(b(T::Int));
    assert_eq!(read(&list, "[1, 2, 3]"), V::List(ints(&[1, 2, 3])));
    assert_eq!(read(&list, "[]"), V::List(vec![]));
    assert_eq!(read(&list, r#""[1, \"2\"]""#), V::List(ints(&[1, 2])));
    assert_eq!(read(&T::Frozen(b(list)), "[1]"), V::List(ints(&[1])));
    // Sets keep the given order and duplicates: sorting is the caller's.
    assert_eq!(read(&T::Set(b(T::Int)), "[3, 1, 3]"), V::Set(ints(&[3, 1, 3])));
    let bool_map = |k: T| T::Map(b(k), b(T::Boolean));
    let keyed: Vec<(CqlType, &str, CqlValue)> = vec![
        (T::Text, r#"{"a": true}"#, V::Text("a".into())),
        (T::Int, r#"{"0": true}"#, V::Int(0)),
        (T::Bigint, r#"{"-1": true}"#, V::Bigint(-1)),
        (T::Varint, r#"{"10": true}"#, V::Varint(vec![10])),
        (T::Smallint, r#"{"1": true}"#, V::Smallint(1)),
        (T::Tinyint, r#"{"1": true}"#, V::Tinyint(1)),
        (T::Boolean, r#"{"false": true}"#, V::Boolean(false)),
        (T::Float, r#"{"1.23": true}"#, V::Float(1.23)),
        (T::Double, r#"{"4.56": true}"#, V::Double(4.56)),
        (T::Decimal, r#"{"1.230": true}"#, decimal("1.230")),
        (T::Timestamp, r#"{"2014-01-01": true}"#, V::Timestamp(parse_timestamp("2014-01-01").unwrap())),
        (
            T::Tuple(vec![T::Int, T::Text]),
            r#"{"[0, \"a\"]": true}"#,
            V::Tuple(vec![Some(V::Int(0)), Some(V::Text("a".into()))]),
        ),
        (udt("u", vec![("a", T::Int)]), r#"{"{\"a\": 0}": true}"#, V::Udt(vec![("a".into(), Some(V::Int(0)))])),
        (T::Frozen(b(T::Set(b(T::Int)))), r#"{"[0, 1, 2]": true}"#, V::Set(ints(&[0, 1, 2]))),
        (
            T::Frozen(b(T::List(b(T::Text)))),
            r#"{"[\"0\", \"1\"]": true}"#,
            V::List(vec![V::Text("0".into()), V::Text("1".into())]),
        ),
        (
            T::Frozen(b(T::Map(b(T::Frozen(b(T::Set(b(T::Text))))), b(T::Text)))),
            r#"{"{\"[\\\"0\\\"]\": \"a\"}": true}"#,
            V::Map(vec![(V::Set(vec![V::Text("0".into())]), V::Text("a".into()))]),
        ),
    ];
    for (key_ty, json, key) in keyed {
        assert_eq!(read(&bool_map(key_ty.clone()), json), V::Map(vec![(key, V::Boolean(true))]), "{key_ty:?} {json}");
    }
    let tuple = read(&tuple3(), &format!(r#"[1, null, "{U1}"]"#));
    assert_eq!(tuple, V::Tuple(vec![Some(V::Int(1)), None, Some(V::Uuid(uuid(U1)))]));
    let full = V::Udt(vec![
        ("a".into(), Some(V::Int(1))),
        ("b".into(), Some(V::Uuid(uuid(U1)))),
        ("c".into(), Some(V::Set(vec![V::Text("foo".into()), V::Text("bar".into())]))),
    ]);
    assert_eq!(read(&abc(), &format!(r#"{{"c": ["foo", "bar"], "b": "{U1}", "A": 1}}"#)), full);
    let partial = read(&abc(), &format!(r#"{{"a": null, "b": "{U1}"}}"#));
    assert_eq!(partial, V::Udt(vec![("a".into(), None), ("b".into(), Some(V::Uuid(uuid(U1)))), ("c".into(), None)]));
    assert_eq!(
        read(&abc(), r#"{"a": 1, "a": 2}"#),
        V::Udt(vec![("a".into(), Some(V::Int(2))), ("b".into(), None), ("c".into(), None)])
    );
    let case = udt("u", vec![("a", T::Int), ("Foo", T::Int)]);
    let expected = V::Udt(vec![("a".into(), Some(V::Int(0))), ("Foo".into(), Some(V::Int(1)))]);
    assert_eq!(read(&case, r#"{"A": 0, "\"Foo\"": 1}"#), expected);
    assert_eq!(error(&case, r#"{"foo": 1}"#), "Unknown field 'foo' in value of user defined type u");
}

#[test]
fn collections_refused() {
    use CqlType as T;
    let cases: Vec<(CqlType, String, &str)> = vec![
        (T::List(b(T::Int)), "123".into(), "Expected a list, but got a Integer: 123"),
        (T::List(b(T::Int)), r#"["abc"]"#.into(), "Unable to make int from 'abc'"),
        (T::List(b(T::Int)), "[null]".into(), "Invalid null element in list"),
        (T::List(b(T::Int)), r#""{\"a\": 1}""#.into(), "Expected a list, but got a LinkedHashMap: {a=1}"),
        (T::Set(b(T::Uuid)), "123".into(), "Expected a list (representing a set), but got a Integer: 123"),
        (T::Set(b(T::Uuid)), r#"["abc"]"#.into(), "Unable to make UUID from 'abc'"),
        (T::Set(b(T::Uuid)), "[null]".into(), "Invalid null element in set"),
        (T::Map(b(T::Ascii), b(T::Int)), "123".into(), "Expected a map, but got a Integer: 123"),
        (T::Map(b(T::Ascii), b(T::Int)), r#"{"\u1fff": 1}"#.into(), "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1"),
        (T::Map(b(T::Ascii), b(T::Int)), r#"{"a": null}"#.into(), "Invalid null value in map"),
        (T::Map(b(T::Int), b(T::Int)), r#"{"x": 1}"#.into(), "Unable to make int from 'x'"),
        (tuple3(), format!(r#"[1, "foobar", "{U1}", 1, 2, 3]"#), "Tuple contains extra items (expected 3): [1, foobar, 6bddc89a-5644-11e4-97fc-56847afe9799, 1, 2, 3]"),
        (tuple3(), r#"[1, "foobar"]"#.into(), "Tuple is missing items (expected 3): [1, foobar]"),
        (tuple3(), format!(r#"["not an int", "foobar", "{U1}"]"#), "Unable to make int from 'not an int'"),
        (tuple3(), "{}".into(), "Expected a list representation of a tuple, but got a LinkedHashMap: {}"),
        (abc(), r#"{"xxx": 1}"#.into(), "Unknown field 'xxx' in value of user defined type t"),
        (abc(), r#"{"a": "foobar"}"#.into(), "Unable to make int from 'foobar'"),
        (abc(), "[1]".into(), "Expected a map, but got a ArrayList: [1]"),
    ];
    for (ty, json, expected) in cases {
        assert_eq!(error(&ty, &json), expected, "{ty:?} {json}");
    }
    let nested = error(&T::List(b(T::Int)), r#""[1,""#);
    assert!(nested.starts_with("Error decoding JSON string: "), "{nested}");
    let mut deep = T::Int;
    for _ in 0..40 {
        deep = T::List(b(deep));
    }
    let json = "[".repeat(40) + &"]".repeat(40);
    assert_eq!(json_to_value(&deep, &json), Err(JsonError::Value(ValueError::TooDeep { max: 32 })));
}

/// Vectors (`VectorType.fromJSONObject` / `toJSONString`): arrays of exactly the dimension,
/// no nulls, serialized without lengths for fixed-size elements.
#[test]
fn vectors() {
    use CqlType as T;
    use CqlValue as V;
    let floats = T::Vector(b(T::Float), 3);
    let bytes = json_to_value(&floats, "[1, 2.5, -3.75]").unwrap().unwrap();
    assert_eq!(bytes, [0x3f, 0x80, 0, 0, 0x40, 0x20, 0, 0, 0xc0, 0x70, 0, 0]);
    assert_eq!(
        read(&floats, r#""[1, 2.5, \"-3.75\"]""#),
        V::Vector(vec![V::Float(1.0), V::Float(2.5), V::Float(-3.75)])
    );
    assert_eq!(to_json(&floats, &V::Vector(vec![V::Float(1.0), V::Float(2.5), V::Float(-3.75)])), "[1.0, 2.5, -3.75]");
    let texts = T::Vector(b(T::Text), 2);
    assert_eq!(json_to_value(&texts, r#"["a", ""]"#).unwrap().unwrap(), [1, b'a', 0]);
    assert_eq!(to_json(&texts, &V::Vector(vec![V::Text("a".into()), V::Text("b".into())])), r#"["a", "b"]"#);
    let cases: Vec<(CqlType, &str, &str)> = vec![
        (floats.clone(), "[1, 2]", "List had incorrect size: expected 3 but given 2; [1, 2]"),
        (floats.clone(), "[1, 2, 3, 4.5]", "List had incorrect size: expected 3 but given 4; [1, 2, 3, 4.5]"),
        (floats.clone(), "[1, null, 3]", "Invalid null element in list"),
        (floats.clone(), "7", "Expected a list, but got a Integer: 7"),
        (floats.clone(), r#"{"a": 1}"#, "Expected a list, but got a LinkedHashMap: {a=1}"),
        (floats, r#"[1, "x", 3]"#, "Unable to make float from 'x'"),
        (texts, "[1, 2]", "Expected a UTF-8 string, but got a Integer: 1"),
    ];
    for (ty, json, expected) in cases {
        assert_eq!(error(&ty, json), expected, "{ty:?} {json}");
    }
}

/// The serialized layout: `[int] n` then `[bytes]` elements; tuples and UDTs write every
/// component, null as length -1.
#[test]
fn serialized_forms() {
    use CqlType as T;
    let bytes = |ty: &CqlType, json: &str| json_to_value(ty, json).unwrap().unwrap();
    assert_eq!(bytes(&T::List(b(T::Int)), "[1]"), [0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]);
    assert_eq!(bytes(&T::Set(b(T::Text)), "[]"), [0, 0, 0, 0]);
    assert_eq!(bytes(&T::Map(b(T::Text), b(T::Tinyint)), r#"{"a": 1}"#), [0, 0, 0, 1, 0, 0, 0, 1, b'a', 0, 0, 0, 1, 1]);
    let tuple = T::Tuple(vec![T::Tinyint, T::Text]);
    assert_eq!(bytes(&tuple, "[1, null]"), [0, 0, 0, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF]);
    let u = udt("u", vec![("x", T::Text), ("y", T::Tinyint)]);
    assert_eq!(bytes(&u, r#"{"y": 2}"#), [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 2]);
    assert_eq!(bytes(&T::Text, r#""é""#), "é".as_bytes());
}

/// Every type: value → JSON → value gives the value back.
#[test]
fn round_trips() {
    use CqlValue as V;
    let ip6 = IpAddr::V6("fe80::1:2".parse().unwrap());
    let map_key_udt = udt("k", vec![("Name", CqlType::Text), ("n", CqlType::Int)]);
    let cases: Vec<(CqlType, CqlValue)> = vec![
        (CqlType::Ascii, V::Ascii("a \"quoted\" \\ line\n".into())),
        (CqlType::Text, V::Text("žluťoučký 🐎 \u{1}".into())),
        (CqlType::Bigint, V::Bigint(i64::MIN)),
        (CqlType::Int, V::Int(i32::MIN)),
        (CqlType::Int, V::Empty),
        (CqlType::Smallint, V::Smallint(i16::MAX)),
        (CqlType::Tinyint, V::Tinyint(i8::MIN)),
        (CqlType::Varint, V::Varint(parse_varint("-98765432109876543210987654321").unwrap())),
        (CqlType::Decimal, decimal("123123.123123")),
        (CqlType::Decimal, decimal("-1.23E-12")),
        (CqlType::Double, V::Double(-1.5e300)),
        (CqlType::Double, V::Double(5e-324)),
        (CqlType::Float, V::Float(1.4e-45)),
        (CqlType::Float, V::Float(-123.123)),
        (CqlType::Boolean, V::Boolean(true)),
        (CqlType::Blob, V::Blob(vec![0, 0xFF, 0x10].into())),
        (CqlType::Timestamp, V::Timestamp(1_388_534_400_123)),
        (CqlType::Timestamp, V::Timestamp(-86_400_001)),
        (CqlType::Timestamp, V::Empty),
        (CqlType::Date, V::Date(parse_date("1987-03-23").unwrap())),
        (CqlType::Time, V::Time(86_399_999_999_999)),
        (CqlType::Uuid, V::Uuid(uuid("550e8400-e29b-41d4-a716-446655440000"))),
        (CqlType::Timeuuid, V::Timeuuid(uuid(U1))),
        (CqlType::Inet, V::Inet(ip6)),
        (CqlType::Inet, V::Inet(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 255)))),
        (CqlType::Duration, duration("-1y2mo3d4h5m6s7ms8us9ns")),
        (CqlType::Duration, duration("P2W")),
        (CqlType::List(b(CqlType::Frozen(b(CqlType::List(b(CqlType::Int)))))), V::List(vec![V::List(vec![V::Int(1)])])),
        (CqlType::Set(b(CqlType::Double)), V::Set(vec![V::Double(0.5), V::Double(2.0)])),
        (
            CqlType::Map(b(CqlType::Frozen(b(CqlType::Set(b(CqlType::Text))))), b(CqlType::Text)),
            V::Map(vec![(V::Set(vec![V::Text("0".into()), V::Text("\"1\"".into())]), V::Text("a".into()))]),
        ),
        (
            CqlType::Map(b(CqlType::Frozen(b(map_key_udt))), b(CqlType::Blob)),
            V::Map(vec![(
                V::Udt(vec![("Name".into(), Some(V::Text("x".into()))), ("n".into(), None)]),
                V::Blob(vec![1].into()),
            )]),
        ),
        (
            CqlType::Map(b(CqlType::Boolean), b(CqlType::Timestamp)),
            V::Map(vec![(V::Boolean(false), V::Timestamp(1)), (V::Boolean(true), V::Timestamp(2))]),
        ),
        (
            CqlType::Tuple(vec![CqlType::Int, CqlType::Text, CqlType::Tuple(vec![CqlType::Varint])]),
            V::Tuple(vec![None, Some(V::Text("t".into())), Some(V::Tuple(vec![Some(V::Varint(vec![5]))]))]),
        ),
        (
            abc(),
            V::Udt(vec![
                ("a".into(), None),
                ("b".into(), Some(V::Uuid(uuid(U1)))),
                ("c".into(), Some(V::Set(vec![V::Text("x".into())]))),
            ]),
        ),
    ];
    for (ty, v) in cases {
        let json = to_json(&ty, &v);
        let bytes = json_to_value(&ty, &json).unwrap_or_else(|e| panic!("{ty:?} {json}: {e}"));
        let back = ty.decode(&bytes.unwrap()).unwrap();
        assert_eq!(back, v, "{ty:?} via {json}");
    }
    assert_eq!(json_to_value(&CqlType::Int, "null"), Ok(None));
}

/// Decimals travel through Jackson's `Double` (as in Cassandra): extra digits and trailing
/// zeros of a bare JSON number are lost; strings keep them.
#[test]
fn decimal_numbers_go_through_double() {
    let read = |json: &str| CqlType::Decimal.decode(&json_to_value(&CqlType::Decimal, json).unwrap().unwrap()).unwrap();
    assert_eq!(read("1.50"), decimal("1.5"));
    assert_eq!(read("1e10"), decimal("1.0E10"));
    assert_eq!(read("3.14159265358979323846"), decimal("3.141592653589793"));
    assert_eq!(read("\"3.14159265358979323846\""), decimal("3.14159265358979323846"));
    assert_eq!(read("12345678901234567890123"), decimal("12345678901234567890123"));
}

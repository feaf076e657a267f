//! Tests of value decoding and validation: Cassandra's rules on hand-made byte vectors,
//! property-based round trips, and random bytes that must never panic.

use std::net::IpAddr;

use bytes::Bytes;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn b(t: CqlType) -> Box<CqlType> {
    Box::new(t)
}

fn err(t: &CqlType, bytes: &[u8]) -> String {
    let decoded = t.decode(bytes).unwrap_err();
    assert_eq!(t.validate(bytes).unwrap_err(), decoded, "validate agrees with decode");
    decoded.to_string()
}

#[test]
fn fixed_sizes_and_messages() {
    assert_eq!(err(&CqlType::Int, &[1, 2, 3]), "Expected 4 or 0 byte int (3)");
    assert_eq!(err(&CqlType::Bigint, &[1]), "Expected 8 or 0 byte long (1)");
    assert_eq!(err(&CqlType::Smallint, &[]), "Expected 2 bytes for a smallint (0)");
    assert_eq!(err(&CqlType::Tinyint, &[1, 2]), "Expected 1 byte for a tinyint (2)");
    assert_eq!(err(&CqlType::Date, &[]), "Expected 4 byte long for date (0)");
    assert_eq!(err(&CqlType::Boolean, &[1, 1]), "Expected 1 or 0 byte value (2)");
    assert_eq!(err(&CqlType::Uuid, &[0; 15]), "UUID should be 16 or 0 bytes (15)");
    assert_eq!(err(&CqlType::Inet, &[0; 5]), "Expected 4 or 16 byte inetaddress; got 0000000000");
    assert_eq!(err(&CqlType::Decimal, &[0; 3]), "Expected 0 or at least 4 bytes (3)");
    assert_eq!(CqlType::Int.decode(&[0, 0, 1, 0]).unwrap(), CqlValue::Int(256));
    assert_eq!(CqlType::Boolean.decode(&[2]).unwrap(), CqlValue::Boolean(true));
    assert_eq!(CqlType::Date.decode(&[0x80, 0, 0, 0]).unwrap(), CqlValue::Date(1 << 31));
}

#[test]
fn empty_values_follow_cassandra() {
    for t in [
        CqlType::Int,
        CqlType::Bigint,
        CqlType::Counter,
        CqlType::Timestamp,
        CqlType::Boolean,
        CqlType::Float,
        CqlType::Double,
        CqlType::Uuid,
        CqlType::Timeuuid,
        CqlType::Inet,
        CqlType::Decimal,
    ] {
        assert_eq!(t.decode(&[]).unwrap(), CqlValue::Empty, "{t:?}");
        assert!(t.validate(&[]).is_ok());
    }
    assert_eq!(CqlType::Text.decode(&[]).unwrap(), CqlValue::Text(String::new()));
    assert_eq!(CqlType::Blob.decode(&[]).unwrap(), CqlValue::Blob(Bytes::new()));
    assert_eq!(CqlType::Varint.decode(&[]).unwrap(), CqlValue::Varint(vec![]));
    assert_eq!(CqlType::Tuple(vec![CqlType::Int]).decode(&[]).unwrap(), CqlValue::Tuple(vec![]));
    for t in [
        CqlType::Smallint,
        CqlType::Tinyint,
        CqlType::Date,
        CqlType::Time,
        CqlType::Duration,
        CqlType::List(b(CqlType::Int)),
        CqlType::Set(b(CqlType::Int)),
        CqlType::Map(b(CqlType::Int), b(CqlType::Int)),
    ] {
        assert!(t.decode(&[]).is_err(), "{t:?}");
        assert!(t.validate(&[]).is_err(), "{t:?}");
    }
}

#[test]
fn text_and_ascii() {
    assert_eq!(err(&CqlType::Text, &[0x61, 0xFF]), "String didn't validate.");
    assert_eq!(err(&CqlType::Ascii, &[0x61, 0xC3, 0xA9]), "Invalid byte for ascii: 195");
    assert_eq!(CqlType::Text.decode("é".as_bytes()).unwrap(), CqlValue::Text("é".into()));
}

#[test]
fn time_range_and_timeuuid_version() {
    let day = NANOS_PER_DAY.to_be_bytes();
    assert!(CqlType::Time.decode(&day).is_err());
    assert!(CqlType::Time.decode(&(-1i64).to_be_bytes()).is_err());
    let last = (NANOS_PER_DAY - 1).to_be_bytes();
    assert_eq!(CqlType::Time.decode(&last).unwrap(), CqlValue::Time(NANOS_PER_DAY - 1));

    let v4 = Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
    assert_eq!(err(&CqlType::Timeuuid, v4.as_bytes()), "Invalid version for TimeUUID type.");
    assert_eq!(CqlType::Uuid.decode(v4.as_bytes()).unwrap(), CqlValue::Uuid(v4));
    let v1 = Uuid::from_u128(0x1234_5678_9abc_1def_8123_4567_89ab_cdef);
    assert_eq!(CqlType::Timeuuid.decode(v1.as_bytes()).unwrap(), CqlValue::Timeuuid(v1));
}

#[test]
fn durations() {
    // 1 month, 2 days, 3 ns (zigzag: 2, 4, 6).
    assert_eq!(CqlType::Duration.decode(&[2, 4, 6]).unwrap(), CqlValue::Duration { months: 1, days: 2, nanos: 3 });
    assert_eq!(
        err(&CqlType::Duration, &[2, 3, 6]),
        "The duration months, days and nanoseconds must be all of the same sign (1, -2, 3)"
    );
    assert_eq!(err(&CqlType::Duration, &[2, 4]), "Expected at least 3 bytes for a duration (2)");
    assert!(CqlType::Duration.decode(&[2, 4, 0xC0]).is_err());
    assert!(CqlType::Duration.decode(&[2, 4, 6, 0]).is_err());
    // months = 2^32 does not fit in an int.
    let mut big = Vec::new();
    vint::write_vint(&mut big, 1 << 32);
    big.extend_from_slice(&[0, 0]);
    assert!(err(&CqlType::Duration, &big).contains("32 bits integer"));
}

#[test]
fn collections() {
    let list = CqlType::List(b(CqlType::Int));
    let bytes = [0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(list.decode(&bytes).unwrap(), CqlValue::List(vec![CqlValue::Int(1), CqlValue::Empty]));
    let null_elem = [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(err(&list, &null_elem), "null is not supported inside collections");
    assert!(list.decode(&[0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3]).is_err(), "bad element");
    let map = CqlType::Frozen(b(CqlType::Map(b(CqlType::Text), b(CqlType::Boolean))));
    let bytes = [0, 0, 0, 1, 0, 0, 0, 1, b'k', 0, 0, 0, 1, 1];
    assert_eq!(map.decode(&bytes).unwrap(), CqlValue::Map(vec![(CqlValue::Text("k".into()), CqlValue::Boolean(true))]));
}

#[test]
fn udt_fields_are_named_and_may_be_missing() {
    let udt = CqlType::Udt(UdtType {
        keyspace: "ks".into(),
        name: "u".into(),
        fields: vec![("a".into(), CqlType::Int), ("b".into(), CqlType::Text)],
    });
    let bytes = [0, 0, 0, 4, 0, 0, 0, 7];
    assert_eq!(udt.decode(&bytes).unwrap(), CqlValue::Udt(vec![("a".into(), Some(CqlValue::Int(7)))]));
    let too_many = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
    assert!(udt.decode(&too_many).is_err());
}

/// `levels` nested lists around an int, and a value with one element per level.
fn nested_lists(levels: usize) -> (CqlType, Vec<u8>) {
    let mut t = CqlType::Int;
    let mut bytes = 7i32.to_be_bytes().to_vec();
    for _ in 0..levels {
        t = CqlType::List(b(t));
        let mut outer = vec![0, 0, 0, 1];
        outer.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        outer.extend_from_slice(&bytes);
        bytes = outer;
    }
    (t, bytes)
}

#[test]
fn deep_types_are_refused_not_overflowed() {
    let (t, bytes) = nested_lists(MAX_TYPE_NESTING_DEPTH - 1);
    assert!(t.decode(&bytes).is_ok());
    assert!(t.validate(&bytes).is_ok());
    let too_deep = Err(ValueError::TooDeep { max: MAX_TYPE_NESTING_DEPTH });
    let (t, bytes) = nested_lists(MAX_TYPE_NESTING_DEPTH);
    assert_eq!(t.decode(&bytes), too_deep);
    assert_eq!(t.validate(&bytes), too_deep.map(drop));
}

fn scalar_type() -> impl Strategy<Value = CqlType> {
    prop_oneof![
        Just(CqlType::Ascii),
        Just(CqlType::Bigint),
        Just(CqlType::Blob),
        Just(CqlType::Boolean),
        Just(CqlType::Counter),
        Just(CqlType::Decimal),
        Just(CqlType::Double),
        Just(CqlType::Float),
        Just(CqlType::Int),
        Just(CqlType::Timestamp),
        Just(CqlType::Uuid),
        Just(CqlType::Text),
        Just(CqlType::Varint),
        Just(CqlType::Timeuuid),
        Just(CqlType::Inet),
        Just(CqlType::Date),
        Just(CqlType::Time),
        Just(CqlType::Smallint),
        Just(CqlType::Tinyint),
        Just(CqlType::Duration),
    ]
}

fn any_type() -> impl Strategy<Value = CqlType> {
    scalar_type().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| CqlType::List(b(t))),
            inner.clone().prop_map(|t| CqlType::Set(b(t))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| CqlType::Map(b(k), b(v))),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(CqlType::Tuple),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(|ts| {
                CqlType::Udt(UdtType {
                    keyspace: "ks".into(),
                    name: "u".into(),
                    fields: ts.into_iter().enumerate().map(|(i, t)| (format!("f{i}"), t)).collect(),
                })
            }),
            (inner.clone(), 1u32..4).prop_map(|(t, n)| CqlType::Vector(b(t), n)),
            inner.prop_map(|t| CqlType::Frozen(b(t))),
        ]
    })
}

fn scalar_value(t: &CqlType) -> BoxedStrategy<CqlValue> {
    match t {
        CqlType::Ascii => "[ -~]{0,8}".prop_map(CqlValue::Ascii).boxed(),
        CqlType::Text => ".{0,8}".prop_map(CqlValue::Text).boxed(),
        CqlType::Bigint => any::<i64>().prop_map(CqlValue::Bigint).boxed(),
        CqlType::Counter => any::<i64>().prop_map(CqlValue::Counter).boxed(),
        CqlType::Timestamp => any::<i64>().prop_map(CqlValue::Timestamp).boxed(),
        CqlType::Blob => {
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(|v| CqlValue::Blob(Bytes::from(v))).boxed()
        }
        CqlType::Boolean => any::<bool>().prop_map(CqlValue::Boolean).boxed(),
        CqlType::Decimal => (any::<i32>(), proptest::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(scale, unscaled)| CqlValue::Decimal { scale, unscaled })
            .boxed(),
        // Compare floats bitwise through their encoding: use finite non-NaN values.
        CqlType::Double => (-1e300f64..1e300).prop_map(CqlValue::Double).boxed(),
        CqlType::Float => (-1e30f32..1e30).prop_map(CqlValue::Float).boxed(),
        CqlType::Int => any::<i32>().prop_map(CqlValue::Int).boxed(),
        CqlType::Uuid => any::<u128>().prop_map(|u| CqlValue::Uuid(Uuid::from_u128(u))).boxed(),
        CqlType::Timeuuid => any::<u128>()
            .prop_map(|u| {
                let u = (u & !(0xF << 76)) | (1 << 76);
                CqlValue::Timeuuid(Uuid::from_u128(u))
            })
            .boxed(),
        CqlType::Varint => proptest::collection::vec(any::<u8>(), 0..8).prop_map(CqlValue::Varint).boxed(),
        CqlType::Inet => prop_oneof![
            any::<[u8; 4]>().prop_map(|a| CqlValue::Inet(IpAddr::from(a))),
            any::<[u8; 16]>().prop_map(|a| CqlValue::Inet(IpAddr::from(a))),
        ]
        .boxed(),
        CqlType::Date => any::<u32>().prop_map(CqlValue::Date).boxed(),
        CqlType::Time => (0..NANOS_PER_DAY).prop_map(CqlValue::Time).boxed(),
        CqlType::Smallint => any::<i16>().prop_map(CqlValue::Smallint).boxed(),
        CqlType::Tinyint => any::<i8>().prop_map(CqlValue::Tinyint).boxed(),
        CqlType::Duration => (0..=i32::MAX, 0..=i32::MAX, 0..=i64::MAX, any::<bool>())
            .prop_map(|(m, d, n, neg)| {
                let s = if neg { -1 } else { 1 };
                CqlValue::Duration { months: m * s, days: d * s, nanos: n * i64::from(s) }
            })
            .boxed(),
        _ => Just(CqlValue::Empty).boxed(),
    }
}

fn value_of(t: &CqlType) -> BoxedStrategy<CqlValue> {
    match t {
        CqlType::List(e) => proptest::collection::vec(value_of(e), 0..3).prop_map(CqlValue::List).boxed(),
        CqlType::Set(e) => proptest::collection::vec(value_of(e), 0..3).prop_map(CqlValue::Set).boxed(),
        CqlType::Map(k, v) => {
            proptest::collection::vec((value_of(k), value_of(v)), 0..3).prop_map(CqlValue::Map).boxed()
        }
        CqlType::Tuple(ts) => {
            ts.iter().map(|t| proptest::option::of(value_of(t))).collect::<Vec<_>>().prop_map(CqlValue::Tuple).boxed()
        }
        CqlType::Udt(udt) => {
            let names: Vec<String> = udt.fields.iter().map(|(n, _)| n.clone()).collect();
            udt.fields
                .iter()
                .map(|(_, t)| proptest::option::of(value_of(t)))
                .collect::<Vec<_>>()
                .prop_map(move |vs| CqlValue::Udt(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        CqlType::Vector(e, n) => {
            let n = *n as usize;
            proptest::collection::vec(value_of(e), n..=n).prop_map(CqlValue::Vector).boxed()
        }
        CqlType::Frozen(inner) => value_of(inner),
        other => scalar_value(other),
    }
}

proptest! {
    #[test]
    fn values_round_trip((t, v) in any_type().prop_flat_map(|t| {
        let v = value_of(&t);
        (Just(t), v)
    })) {
        let bytes = v.to_bytes();
        prop_assert!(t.validate(&bytes).is_ok());
        let back = t.decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back, v);
    }

    #[test]
    fn random_bytes_never_panic(
        t in any_type(),
        data in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let decoded = t.decode(&data);
        let validated = t.validate(&data);
        prop_assert_eq!(decoded.is_ok(), validated.is_ok());
    }
}

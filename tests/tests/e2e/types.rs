//! Every native scalar type written with a prepared INSERT and read back
//! (dynamically as `CqlValue`, and statically for a few Rust types).

use std::net::IpAddr;

use anyhow::{ensure, Context, Result};
use scylla::client::session::Session;
use scylla::value::{CqlDate, CqlDecimal, CqlDuration, CqlTime, CqlTimestamp, CqlTimeuuid, CqlValue, CqlVarint};
use uuid::Uuid;

use crate::common::{connect, create_keyspace, ddl, run, start};

const TYPES: &[&str] = &[
    "ascii",
    "bigint",
    "blob",
    "boolean",
    "date",
    "decimal",
    "double",
    "duration",
    "float",
    "inet",
    "int",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timeuuid",
    "tinyint",
    "uuid",
    "varchar",
    "varint",
];

fn cases() -> Vec<(&'static str, CqlValue)> {
    use CqlValue::*;
    vec![
        ("ascii", Ascii("plain ascii".into())),
        ("ascii", Ascii(String::new())),
        ("bigint", BigInt(i64::MIN)),
        ("bigint", BigInt(i64::MAX)),
        ("blob", Blob(vec![0xca, 0xfe, 0x00, 0xff])),
        ("blob", Blob(vec![])),
        ("boolean", Boolean(true)),
        ("boolean", Boolean(false)),
        ("date", Date(CqlDate(1 << 31))),            // 1970-01-01
        ("date", Date(CqlDate((1 << 31) + 19_782))), // 2024-02-29
        ("date", Date(CqlDate(0))),
        ("decimal", Decimal(CqlDecimal::from_signed_be_bytes_and_exponent(vec![0xfe, 0x1d, 0x3c], 4))), // -123.4500
        ("decimal", Decimal(CqlDecimal::from_signed_be_bytes_and_exponent(vec![0x00], 0))),
        ("double", Double(-1.5e300)),
        ("double", Double(f64::INFINITY)),
        ("double", Double(0.1)),
        ("duration", Duration(CqlDuration { months: 14, days: 25, nanoseconds: 18_367_008_009_010 })),
        ("duration", Duration(CqlDuration { months: 0, days: -3, nanoseconds: 0 })),
        ("float", Float(3.5)),
        ("float", Float(f32::NEG_INFINITY)),
        ("inet", Inet("127.0.0.1".parse::<IpAddr>().unwrap())),
        ("inet", Inet("2001:db8::ff00:42:8329".parse::<IpAddr>().unwrap())),
        ("int", Int(i32::MIN)),
        ("int", Int(i32::MAX)),
        ("smallint", SmallInt(i16::MIN)),
        ("smallint", SmallInt(i16::MAX)),
        ("text", Text("héllo wörld ✓ 日本語 🚀".into())),
        ("text", Text(String::new())),
        ("time", Time(CqlTime(49_530_123_456_789))),
        ("time", Time(CqlTime(86_399_999_999_999))),
        ("timestamp", Timestamp(CqlTimestamp(1_700_000_000_123))),
        ("timestamp", Timestamp(CqlTimestamp(-1_000))),
        (
            "timeuuid",
            Timeuuid(CqlTimeuuid::from(::uuid::Uuid::parse_str("50554d6e-29bb-11e5-b345-feff819cdc9f").unwrap())),
        ),
        ("tinyint", TinyInt(i8::MIN)),
        ("tinyint", TinyInt(i8::MAX)),
        ("uuid", CqlValue::Uuid(::uuid::Uuid::parse_str("123e4567-e89b-12d3-a456-426614174000").unwrap())),
        ("varchar", Text("varchar ✓".into())),
        ("varint", Varint(CqlVarint::from_signed_bytes_be(vec![0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]))),
        ("varint", Varint(CqlVarint::from_signed_bytes_be(vec![0x01]))),
    ]
}

async fn setup(session: &Session) -> Result<()> {
    create_keyspace(session, "ks_types").await?;
    let columns: Vec<String> = TYPES.iter().map(|t| format!("c_{t} {t}")).collect();
    ddl(session, &format!("CREATE TABLE ks_types.t (k int PRIMARY KEY, {})", columns.join(", "))).await
}

#[test]
fn every_scalar_type_round_trips_through_prepared_statements() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        setup(&session).await?;
        let mut failures = Vec::new();
        for (i, (typ, value)) in cases().into_iter().enumerate() {
            let k = i as i32;
            let insert = session
                .prepare(format!("INSERT INTO ks_types.t (k, c_{typ}) VALUES (?, ?)"))
                .await
                .with_context(|| format!("prepare insert {typ}"))?;
            if let Err(e) = session.execute_unpaged(&insert, (k, &value)).await {
                failures.push(format!("{typ} {value:?}: insert failed: {e}"));
                continue;
            }
            let select = session.prepare(format!("SELECT c_{typ} FROM ks_types.t WHERE k = ?")).await?;
            let rows = session.execute_unpaged(&select, (k,)).await?.into_rows_result()?;
            let (got,): (Option<CqlValue>,) = rows.single_row()?;
            if got.as_ref() != Some(&value) {
                failures.push(format!("{typ}: wrote {value:?}, read {got:?}"));
            }
        }
        ensure!(failures.is_empty(), "round-trip failures:\n{}", failures.join("\n"));
        drop(session);
        server.stop()
    });
}

#[test]
fn nulls_and_typed_rust_values() {
    run(|| async {
        let server = start(1)?;
        let session = connect(&server).await?;
        setup(&session).await?;
        // typed Rust values in one INSERT
        let insert = session
            .prepare(
                "INSERT INTO ks_types.t (k, c_int, c_bigint, c_text, c_blob, c_boolean, c_double, c_uuid) \
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .await?;
        let id = Uuid::parse_str("00000000-0000-0000-0000-000000000042")?;
        session
            .execute_unpaged(&insert, (1, -7_i32, 1_i64 << 40, "rust ✓", vec![1_u8, 2, 3], true, 2.5_f64, id))
            .await?;
        let rows = session
            .query_unpaged(
                "SELECT c_int, c_bigint, c_text, c_blob, c_boolean, c_double, c_uuid FROM ks_types.t WHERE k = 1",
                (),
            )
            .await?
            .into_rows_result()?;
        let row: (i32, i64, String, Vec<u8>, bool, f64, Uuid) = rows.single_row()?;
        ensure!(row == (-7, 1 << 40, "rust ✓".to_string(), vec![1, 2, 3], true, 2.5, id), "{row:?}");

        // null binds: every column reads back as null
        for typ in TYPES {
            let insert = session.prepare(format!("INSERT INTO ks_types.t (k, c_{typ}) VALUES (?, ?)")).await?;
            session.execute_unpaged(&insert, (2, None::<CqlValue>)).await?;
            let rows = session
                .query_unpaged(format!("SELECT c_{typ} FROM ks_types.t WHERE k = 2"), ())
                .await?
                .into_rows_result()?;
            let (got,): (Option<CqlValue>,) = rows.single_row()?;
            ensure!(got.is_none(), "{typ}: null read back as {got:?}");
        }
        drop(session);
        server.stop()
    });
}

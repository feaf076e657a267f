//! Computing selections on the coordinator: each row of a page, as the owner encoded its
//! inputs, becomes the result columns — selector functions, casts, or one `SELECT JSON`
//! object — before the page goes to the client.

use bytes::Bytes;
use percore_protocol::types::json::write_json_string;
use percore_protocol::types::literal::{format_date, format_decimal, format_time, format_timestamp, format_varint};
use percore_protocol::types::{value_to_json, CqlType, CqlValue};
use percore_protocol::wire::write_bytes;

use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::read::output::split_rows;
use crate::cql::statement::projection::{ProjExpr, Projection, SelectorFunction};

const MILLIS_PER_DAY: i64 = 86_400_000;
/// `date` values count days with 1970-01-01 at 2^31.
const DATE_EPOCH: i64 = 1 << 31;

/// Re-encodes a page's rows as the projection's result columns.
pub fn project(
    projection: &Projection,
    width: usize,
    content: &[u8],
    bound: &BoundValues,
) -> Result<Vec<u8>, CqlError> {
    let mut out = Vec::with_capacity(content.len());
    for row in split_rows(content, width)? {
        let values = projection.exprs.iter().map(|e| eval(e, &row, bound)).collect::<Result<Vec<_>, _>>()?;
        match &projection.json_names {
            None => values.iter().for_each(|v| write_bytes(&mut out, v.as_deref())),
            Some(names) => {
                let mut json = String::from("{");
                for (i, ((name, value), ty)) in names.iter().zip(&values).zip(&projection.types).enumerate() {
                    if i > 0 {
                        json.push_str(", ");
                    }
                    let key =
                        if name.chars().any(|c| c.is_ascii_uppercase()) { format!("\"{name}\"") } else { name.clone() };
                    write_json_string(&mut json, &key);
                    json.push_str(": ");
                    json.push_str(&value_to_json(ty, value.as_deref()).map_err(|e| CqlError::server(e.to_string()))?);
                }
                json.push('}');
                write_bytes(&mut out, Some(json.as_bytes()));
            }
        }
    }
    Ok(out)
}

fn eval(e: &ProjExpr, row: &[Option<&[u8]>], bound: &BoundValues) -> Result<Option<Bytes>, CqlError> {
    match e {
        ProjExpr::Input(i) => Ok(row.get(*i).copied().flatten().map(Bytes::copy_from_slice)),
        ProjExpr::Field(arg, index) => {
            Ok(eval(arg, row, bound)?.and_then(|v| crate::cql::udt::field(&v, *index).map(Bytes::copy_from_slice)))
        }
        ProjExpr::Call(f, arg) => match eval(arg, row, bound)? {
            None => Ok(None),
            Some(v) => call(f, &v).map(Some),
        },
        ProjExpr::Element { collection, key, key_ty, map } => {
            let Some(value) = eval(collection, row, bound)? else { return Ok(None) };
            let Some(key) = key.eval(bound, key_ty, "element key")?.into_option() else { return Ok(None) };
            let items = crate::cql::write::cell_ops::collection_items(&value, *map)?;
            Ok(items.into_iter().find(|(k, _)| *k == key).and_then(|(k, v)| if *map { v } else { Some(k) }))
        }
        ProjExpr::Function(f, args) => {
            let args = args
                .iter()
                .map(|a| Ok(eval(a, row, bound)?.map_or(Evaluated::Null, Evaluated::Value)))
                .collect::<Result<Vec<_>, CqlError>>()?;
            Ok(crate::cql::functions::call(f, &args)?.into_option())
        }
        ProjExpr::Value(value, ty) => Ok(value.eval(bound, ty, "selection argument")?.into_option()),
    }
}

fn millis_of(ty: &CqlType, v: &[u8]) -> Result<i64, CqlError> {
    let bad = || CqlError::invalid(format!("Invalid {} value", ty.cql_name()));
    match ty {
        CqlType::Timestamp => Ok(i64::from_be_bytes(v.try_into().map_err(|_| bad())?)),
        CqlType::Date => {
            Ok((u32::from_be_bytes(v.try_into().map_err(|_| bad())?) as i64 - DATE_EPOCH) * MILLIS_PER_DAY)
        }
        _ => {
            let u = uuid::Uuid::from_slice(v).map_err(|_| bad())?;
            let (secs, nanos) = u.get_timestamp().map(|t| t.to_unix()).ok_or_else(bad)?;
            Ok(secs as i64 * 1000 + (nanos / 1_000_000) as i64)
        }
    }
}

fn call(f: &SelectorFunction, v: &Bytes) -> Result<Bytes, CqlError> {
    Ok(match f {
        SelectorFunction::ToJson(ty) => Bytes::from(
            value_to_json(ty, Some(v))
                .map_err(|e| CqlError::function_failure("tojson", &[&ty.cql_name()], e.to_string()))?,
        ),
        SelectorFunction::ToTimestamp(ty) | SelectorFunction::ToUnixTimestamp(ty) => {
            Bytes::copy_from_slice(&millis_of(ty, v)?.to_be_bytes())
        }
        SelectorFunction::ToDate(ty) => {
            let days = millis_of(ty, v)?.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH;
            Bytes::copy_from_slice(&(days as u32).to_be_bytes())
        }
        SelectorFunction::BlobAs(ty) => {
            ty.validate(v).map_err(|_| {
                let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
                CqlError::invalid(format!(
                    "In call to function system.blobas{}, value 0x{hex} is not a valid binary representation for type {}",
                    ty.cql_name(),
                    ty.cql_name()
                ))
            })?;
            v.clone()
        }
        SelectorFunction::AsBlob => v.clone(),
        SelectorFunction::Cast { from, to } => cast(from, to, v)?,
    })
}

fn as_f64(value: &CqlValue) -> Option<f64> {
    Some(match value {
        CqlValue::Tinyint(v) => *v as f64,
        CqlValue::Smallint(v) => *v as f64,
        CqlValue::Int(v) => *v as f64,
        CqlValue::Bigint(v) | CqlValue::Counter(v) => *v as f64,
        CqlValue::Float(v) => *v as f64,
        CqlValue::Double(v) => *v,
        _ => return None,
    })
}

fn as_i64(value: &CqlValue) -> Option<i64> {
    Some(match value {
        CqlValue::Tinyint(v) => *v as i64,
        CqlValue::Smallint(v) => *v as i64,
        CqlValue::Int(v) => *v as i64,
        CqlValue::Bigint(v) | CqlValue::Counter(v) => *v,
        CqlValue::Float(v) => *v as i64,
        CqlValue::Double(v) => *v as i64,
        _ => return None,
    })
}

/// The text a value casts to (Cassandra's `toString` of the value).
fn text_of(value: &CqlValue) -> String {
    match value {
        CqlValue::Ascii(s) | CqlValue::Text(s) => s.clone(),
        CqlValue::Bigint(v) | CqlValue::Counter(v) => v.to_string(),
        CqlValue::Int(v) => v.to_string(),
        CqlValue::Smallint(v) => v.to_string(),
        CqlValue::Tinyint(v) => v.to_string(),
        CqlValue::Boolean(b) => b.to_string(),
        CqlValue::Float(v) => format!("{v:?}"),
        CqlValue::Double(v) => format!("{v:?}"),
        CqlValue::Timestamp(ms) => format_timestamp(*ms),
        CqlValue::Date(d) => format_date(*d),
        CqlValue::Time(ns) => format_time(*ns),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => u.to_string(),
        CqlValue::Inet(a) => a.to_string(),
        CqlValue::Varint(b) => format_varint(b),
        CqlValue::Decimal { scale, unscaled } => format_decimal(*scale, unscaled),
        CqlValue::Blob(b) => format!("0x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        other => format!("{other:?}"),
    }
}

fn cast(from: &CqlType, to: &CqlType, v: &Bytes) -> Result<Bytes, CqlError> {
    if from.unfrozen() == to.unfrozen() {
        return Ok(v.clone());
    }
    let value = from.decode(v).map_err(|e| CqlError::invalid(e.to_string()))?;
    if matches!(to, CqlType::Text | CqlType::Ascii) {
        return Ok(Bytes::from(text_of(&value)));
    }
    if matches!(to, CqlType::Timestamp | CqlType::Date) {
        let ms = millis_of(from, v)?;
        return Ok(match to {
            CqlType::Timestamp => Bytes::copy_from_slice(&ms.to_be_bytes()),
            _ => Bytes::copy_from_slice(&((ms.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH) as u32).to_be_bytes()),
        });
    }
    let unsupported = || CqlError::invalid(format!("cannot cast {} to {}", from.cql_name(), to.cql_name()));
    Ok(match to {
        CqlType::Float => Bytes::copy_from_slice(&(as_f64(&value).ok_or_else(unsupported)? as f32).to_be_bytes()),
        CqlType::Double => Bytes::copy_from_slice(&as_f64(&value).ok_or_else(unsupported)?.to_be_bytes()),
        CqlType::Tinyint => Bytes::copy_from_slice(&(as_i64(&value).ok_or_else(unsupported)? as i8).to_be_bytes()),
        CqlType::Smallint => Bytes::copy_from_slice(&(as_i64(&value).ok_or_else(unsupported)? as i16).to_be_bytes()),
        CqlType::Int => Bytes::copy_from_slice(&(as_i64(&value).ok_or_else(unsupported)? as i32).to_be_bytes()),
        CqlType::Bigint => Bytes::copy_from_slice(&as_i64(&value).ok_or_else(unsupported)?.to_be_bytes()),
        _ => return Err(unsupported()),
    })
}

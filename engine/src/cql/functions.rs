//! The native CQL functions usable in values: time and uuid generators and conversions
//! (`now()`, `uuid()`, `currentTimestamp()`, `toTimestamp(now())`, ...).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use percore_protocol::types::CqlType;

use super::bind::Evaluated;
use super::error::CqlError;

const MILLIS_PER_DAY: i64 = 86_400_000;
const NANOS_PER_MILLI: i64 = 1_000_000;
/// `date` values count days with 1970-01-01 at 2^31.
const DATE_EPOCH: i64 = 1 << 31;
/// The node id of generated time UUIDs (random per process).
static NODE_ID: std::sync::OnceLock<[u8; 6]> = std::sync::OnceLock::new();

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Function {
    Now,
    Uuid,
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    ToTimestamp,
    ToDate,
    ToUnixTimestamp,
    /// The smallest / greatest timeuuid of a millisecond (for range restrictions).
    MinTimeuuid,
    MaxTimeuuid,
    /// `<type>AsBlob(value)`: the value's bytes as a blob.
    AsBlob(CqlType),
    /// `blobAs<type>(blob)`: the blob's bytes as the type (validated).
    BlobAs(CqlType),
    /// `token(?, ?)` on the right of a token restriction: the Murmur3 token of the
    /// partition key made of these (bound) components, of these types.
    Token(Vec<CqlType>),
}

impl Function {
    pub fn lookup(name: &str) -> Option<Function> {
        Some(match name.to_ascii_lowercase().as_str() {
            "now" | "currenttimeuuid" => Function::Now,
            "uuid" => Function::Uuid,
            "currenttimestamp" => Function::CurrentTimestamp,
            "currentdate" => Function::CurrentDate,
            "currenttime" => Function::CurrentTime,
            "totimestamp" => Function::ToTimestamp,
            "todate" => Function::ToDate,
            "tounixtimestamp" => Function::ToUnixTimestamp,
            "mintimeuuid" => Function::MinTimeuuid,
            "maxtimeuuid" => Function::MaxTimeuuid,
            other => {
                if let Some(ty) = other.strip_prefix("blobas").and_then(CqlType::from_native_name) {
                    Function::BlobAs(ty)
                } else if let Some(ty) = other.strip_suffix("asblob").and_then(CqlType::from_native_name) {
                    Function::AsBlob(ty)
                } else {
                    return None;
                }
            }
        })
    }

    pub fn return_type(&self) -> CqlType {
        match self {
            Function::MinTimeuuid | Function::MaxTimeuuid => CqlType::Timeuuid,
            Function::AsBlob(_) => CqlType::Blob,
            Function::BlobAs(ty) => ty.clone(),
            Function::Now => CqlType::Timeuuid,
            Function::Uuid => CqlType::Uuid,
            Function::CurrentTimestamp | Function::ToTimestamp => CqlType::Timestamp,
            Function::CurrentDate | Function::ToDate => CqlType::Date,
            Function::CurrentTime => CqlType::Time,
            Function::ToUnixTimestamp | Function::Token(_) => CqlType::Bigint,
        }
    }

    pub fn argument_types(&self) -> Vec<CqlType> {
        match self {
            Function::MinTimeuuid | Function::MaxTimeuuid => vec![CqlType::Timestamp],
            Function::AsBlob(ty) => vec![ty.clone()],
            Function::BlobAs(_) => vec![CqlType::Blob],
            Function::ToTimestamp | Function::ToDate | Function::ToUnixTimestamp => vec![CqlType::Timeuuid],
            Function::Token(types) => types.clone(),
            _ => vec![],
        }
    }
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

pub use crate::model::clock::{now_micros, now_seconds};

fn timeuuid_millis(bytes: &[u8]) -> Result<i64, CqlError> {
    let u = uuid::Uuid::from_slice(bytes).map_err(|_| CqlError::invalid("Invalid timeuuid".into()))?;
    let (secs, nanos) =
        u.get_timestamp().map(|t| t.to_unix()).ok_or_else(|| CqlError::invalid("Not a time-based UUID".into()))?;
    Ok(secs as i64 * 1000 + (nanos / 1_000_000) as i64)
}

fn arg_bytes<'a>(args: &'a [Evaluated], f: &Function) -> Result<&'a Bytes, CqlError> {
    match args.first() {
        Some(Evaluated::Value(b)) => Ok(b),
        _ => Err(CqlError::invalid(format!("{f:?}() needs a non-null argument"))),
    }
}

/// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
const UUID_EPOCH_OFFSET: i64 = 0x01B2_1DD2_1381_4000;

/// A version-1 UUID for `millis` with the lowest (`min`) or highest clock and node bytes,
/// as Cassandra's `minTimeuuid`/`maxTimeuuid` (signed-byte comparison of the low half).
fn bounding_timeuuid(millis: i64, min: bool) -> [u8; 16] {
    let ticks = (millis * 10_000 + UUID_EPOCH_OFFSET + if min { 0 } else { 9_999 }) as u64;
    let mut out = [0u8; 16];
    out[0..4].copy_from_slice(&((ticks & 0xFFFF_FFFF) as u32).to_be_bytes());
    out[4..6].copy_from_slice(&(((ticks >> 32) & 0xFFFF) as u16).to_be_bytes());
    out[6..8].copy_from_slice(&((((ticks >> 48) & 0x0FFF) as u16) | 0x1000).to_be_bytes());
    let low: u64 = if min { 0x8080_8080_8080_8080 } else { 0x7f7f_7f7f_7f7f_7f7f };
    out[8..16].copy_from_slice(&low.to_be_bytes());
    out
}

pub fn call(f: &Function, args: &[Evaluated]) -> Result<Evaluated, CqlError> {
    let millis = match f {
        Function::MinTimeuuid | Function::MaxTimeuuid => {
            let ms = i64::from_be_bytes(
                arg_bytes(args, f)?[..].try_into().map_err(|_| CqlError::invalid("Invalid timestamp".into()))?,
            );
            let uuid = bounding_timeuuid(ms, *f == Function::MinTimeuuid);
            return Ok(Evaluated::Value(Bytes::copy_from_slice(&uuid)));
        }
        Function::AsBlob(_) => return Ok(Evaluated::Value(arg_bytes(args, f)?.clone())),
        Function::BlobAs(ty) => {
            let b = arg_bytes(args, f)?;
            ty.validate(b).map_err(|_| {
                CqlError::invalid(format!(
                    "In call to function system.blobas{}, value 0x{} is not a valid binary representation for type {}",
                    ty.cql_name(),
                    b.iter().map(|x| format!("{x:02x}")).collect::<String>(),
                    ty.cql_name()
                ))
            })?;
            return Ok(Evaluated::Value(b.clone()));
        }
        Function::Now => {
            let node = NODE_ID.get_or_init(|| *uuid::Uuid::new_v4().as_bytes().first_chunk::<6>().unwrap_or(&[1; 6]));
            return Ok(Evaluated::Value(Bytes::copy_from_slice(uuid::Uuid::now_v1(node).as_bytes())));
        }
        Function::Uuid => return Ok(Evaluated::Value(Bytes::copy_from_slice(uuid::Uuid::new_v4().as_bytes()))),
        Function::Token(_) => {
            let components = args
                .iter()
                .map(|a| match a {
                    Evaluated::Value(b) => Ok(&b[..]),
                    _ => Err(CqlError::invalid("Invalid null value for partition key part in token()".into())),
                })
                .collect::<Result<Vec<&[u8]>, _>>()?;
            let mut key = Vec::new();
            crate::model::token::serialize_partition_key(&components, &mut key);
            let token = crate::model::token::token_of(&key);
            return Ok(Evaluated::Value(Bytes::copy_from_slice(&token.to_be_bytes())));
        }
        Function::CurrentTimestamp | Function::CurrentDate | Function::CurrentTime => now_millis(),
        Function::ToTimestamp | Function::ToDate | Function::ToUnixTimestamp => timeuuid_millis(arg_bytes(args, f)?)?,
    };
    let bytes = match f {
        Function::CurrentTimestamp | Function::ToTimestamp | Function::ToUnixTimestamp => millis.to_be_bytes().to_vec(),
        Function::CurrentDate | Function::ToDate => {
            ((millis.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH) as u32).to_be_bytes().to_vec()
        }
        _ => (millis.rem_euclid(MILLIS_PER_DAY) * NANOS_PER_MILLI).to_be_bytes().to_vec(),
    };
    Ok(Evaluated::Value(Bytes::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_a_timeuuid_that_converts_back_to_now() {
        let Evaluated::Value(u) = call(&Function::Now, &[]).unwrap() else { panic!() };
        assert_eq!(u[6] >> 4, 1);
        let Evaluated::Value(ts) = call(&Function::ToTimestamp, &[Evaluated::Value(u)]).unwrap() else { panic!() };
        let ms = i64::from_be_bytes(ts[..].try_into().unwrap());
        assert!((now_millis() - ms).abs() < 5_000);
    }

    #[test]
    fn bounding_timeuuids_enclose_every_uuid_of_their_millisecond() {
        let ms = 1_437_134_400_000i64;
        let min = uuid::Uuid::from_bytes(bounding_timeuuid(ms, true));
        let max = uuid::Uuid::from_bytes(bounding_timeuuid(ms, false));
        assert_eq!(min.get_version_num(), 1);
        let (secs, nanos) = min.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64 * 1000 + (nanos / 1_000_000) as i64, ms);
        let (secs, nanos) = max.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64 * 1000 + (nanos / 1_000_000) as i64, ms);
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Now,
    Uuid,
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    ToTimestamp,
    ToDate,
    ToUnixTimestamp,
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
            _ => return None,
        })
    }

    pub fn return_type(self) -> CqlType {
        match self {
            Function::Now => CqlType::Timeuuid,
            Function::Uuid => CqlType::Uuid,
            Function::CurrentTimestamp | Function::ToTimestamp => CqlType::Timestamp,
            Function::CurrentDate | Function::ToDate => CqlType::Date,
            Function::CurrentTime => CqlType::Time,
            Function::ToUnixTimestamp => CqlType::Bigint,
        }
    }

    pub fn argument_types(self) -> Vec<CqlType> {
        match self {
            Function::ToTimestamp | Function::ToDate | Function::ToUnixTimestamp => vec![CqlType::Timeuuid],
            _ => vec![],
        }
    }
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Microseconds since the epoch (the unit of write timestamps).
pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// Seconds since the epoch (TTL and deletion times).
pub fn now_seconds() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as u32)
}

fn timeuuid_millis(bytes: &[u8]) -> Result<i64, CqlError> {
    let u = uuid::Uuid::from_slice(bytes).map_err(|_| CqlError::invalid("Invalid timeuuid".into()))?;
    let (secs, nanos) =
        u.get_timestamp().map(|t| t.to_unix()).ok_or_else(|| CqlError::invalid("Not a time-based UUID".into()))?;
    Ok(secs as i64 * 1000 + (nanos / 1_000_000) as i64)
}

fn arg_bytes(args: &[Evaluated], f: Function) -> Result<&Bytes, CqlError> {
    match args.first() {
        Some(Evaluated::Value(b)) => Ok(b),
        _ => Err(CqlError::invalid(format!("{f:?}() needs a non-null argument"))),
    }
}

pub fn call(f: Function, args: &[Evaluated]) -> Result<Evaluated, CqlError> {
    let millis = match f {
        Function::Now => {
            let node = NODE_ID.get_or_init(|| *uuid::Uuid::new_v4().as_bytes().first_chunk::<6>().unwrap_or(&[1; 6]));
            return Ok(Evaluated::Value(Bytes::copy_from_slice(uuid::Uuid::now_v1(node).as_bytes())));
        }
        Function::Uuid => return Ok(Evaluated::Value(Bytes::copy_from_slice(uuid::Uuid::new_v4().as_bytes()))),
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
        let Evaluated::Value(u) = call(Function::Now, &[]).unwrap() else { panic!() };
        assert_eq!(u[6] >> 4, 1);
        let Evaluated::Value(ts) = call(Function::ToTimestamp, &[Evaluated::Value(u)]).unwrap() else { panic!() };
        let ms = i64::from_be_bytes(ts[..].try_into().unwrap());
        assert!((now_millis() - ms).abs() < 5_000);
    }
}

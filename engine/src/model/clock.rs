//! The wall clock in the units Cassandra stores: microseconds since the epoch for write
//! timestamps, seconds for TTL expiry and deletion times.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the epoch (default write timestamps).
pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// Seconds since the epoch (TTL and deletion times).
pub fn now_seconds() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as u32)
}

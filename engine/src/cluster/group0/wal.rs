//! The record format of group 0's log file: `u32 length | u32 crc32c | postcard payload`
//! (little endian), the payload a [`WalRecord`] behind a format-version byte. Records
//! are appended and the file is fdatasync'ed before raft is told they are durable, so the
//! only damage a crash can leave is a torn last record: decoding stops there and reports
//! the length of the good prefix, which the store truncates the file to.

use serde::{Deserialize, Serialize};

use super::types::{Group0Entry, Group0LogId, MemberId};

/// The payload format this build writes (the first payload byte).
pub const WAL_FORMAT_VERSION: u8 = 1;
/// Header bytes before each payload: length and checksum.
const RECORD_HEADER_BYTES: usize = 8;
/// The largest record accepted (a batch of group 0 entries: schema statements are small).
pub const WAL_RECORD_BYTES_MAX: usize = 64 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WalRecord {
    Vote(openraft::Vote<MemberId>),
    Committed(Option<Group0LogId>),
    /// Entries appended after the last one (their indexes follow on).
    Entries(Vec<Group0Entry>),
    /// Entries from this index on are gone (a new leader overwrote them).
    TruncateFrom(u64),
    /// Entries up to and including this id are gone (covered by a snapshot).
    PurgeUpTo(Group0LogId),
}

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("group 0 log record of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("cannot encode a group 0 log record: {0}")]
    Encode(postcard::Error),
}

pub fn encode(record: &WalRecord, out: &mut Vec<u8>) -> Result<(), WalError> {
    let mut payload = vec![WAL_FORMAT_VERSION];
    payload = postcard::to_extend(record, payload).map_err(WalError::Encode)?;
    if payload.len() > WAL_RECORD_BYTES_MAX {
        return Err(WalError::TooLarge(payload.len()));
    }
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(())
}

/// The records of `bytes` up to the first incomplete or damaged one, and the length of
/// that good prefix.
pub fn decode_all(bytes: &[u8]) -> (Vec<WalRecord>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some((record, next)) = decode_one(bytes, at) {
        records.push(record);
        at = next;
    }
    (records, at)
}

fn decode_one(bytes: &[u8], at: usize) -> Option<(WalRecord, usize)> {
    let header = bytes.get(at..at + RECORD_HEADER_BYTES)?;
    let length = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if length == 0 || length > WAL_RECORD_BYTES_MAX {
        return None;
    }
    let start = at + RECORD_HEADER_BYTES;
    let payload = bytes.get(start..start + length)?;
    if crc32c::crc32c(payload) != crc || payload[0] != WAL_FORMAT_VERSION {
        return None;
    }
    let record = postcard::from_bytes(&payload[1..]).ok()?;
    Some((record, start + length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(term: u64) -> WalRecord {
        WalRecord::Vote(openraft::Vote::new(term, 7))
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut_off() {
        let mut bytes = Vec::new();
        encode(&vote(1), &mut bytes).unwrap();
        encode(&WalRecord::TruncateFrom(4), &mut bytes).unwrap();
        let good = bytes.len();
        encode(&vote(2), &mut bytes).unwrap();
        let (records, end) = decode_all(&bytes);
        assert_eq!((records.len(), end), (3, bytes.len()));
        for torn in [bytes.len() - 1, good + 3] {
            let (records, end) = decode_all(&bytes[..torn]);
            assert_eq!((records.len(), end), (2, good), "cut at {torn}");
        }
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(decode_all(&damaged).1, good, "a bad checksum ends the log");
    }
}

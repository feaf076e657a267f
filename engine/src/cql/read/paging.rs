//! The paging state handed to clients: opaque bytes that say where the next page starts
//! and how much of the LIMIT is left. It comes back from the client, so decoding checks
//! everything and never panics.

use bytes::{BufMut, Bytes};

use super::state_codec::{put_opt_bytes, StateReader};

use crate::cql::error::CqlError;
use crate::model::mutation::PartitionPosition;

use super::scan::ScanPosition;

const FORMAT_VERSION: u8 = 1;
const KIND_PARTITIONS: u8 = 0;
const KIND_SCAN: u8 = 1;
const KIND_OFFSET: u8 = 2;
const KIND_INDEX: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Within the n-th partition of the statement's key list, after a clustering key.
    Partition { index: u32, after: Option<Bytes> },
    /// A ring scan's position.
    Scan(ScanPosition),
    /// The n-th row of a virtual table.
    Offset(u32),
    /// A secondary index read: after this entry (clustering sort key in the backing table).
    Index { after: Bytes },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingState {
    pub resume: Resume,
    /// Rows of the LIMIT still to return (`None`: no limit).
    pub remaining: Option<u32>,
}

impl PagingState {
    pub fn encode(&self) -> Bytes {
        let mut out = vec![FORMAT_VERSION];
        out.put_u32(self.remaining.map_or(u32::MAX, |r| r));
        match &self.resume {
            Resume::Partition { index, after } => {
                out.put_u8(KIND_PARTITIONS);
                out.put_u32(*index);
                put_opt_bytes(&mut out, after.as_deref());
            }
            Resume::Scan(p) => {
                out.put_u8(KIND_SCAN);
                out.put_i64(p.partition.token);
                put_opt_bytes(&mut out, Some(&p.partition.key));
                put_opt_bytes(&mut out, p.after_clustering.as_deref());
            }
            Resume::Offset(n) => {
                out.put_u8(KIND_OFFSET);
                out.put_u32(*n);
            }
            Resume::Index { after } => {
                out.put_u8(KIND_INDEX);
                put_opt_bytes(&mut out, Some(after));
            }
        }
        Bytes::from(out)
    }

    pub fn decode(bytes: &Bytes) -> Result<PagingState, CqlError> {
        let mut r = StateReader::new(bytes);
        let bad = || CqlError::protocol("Invalid value for the paging state".into());
        if r.u8().ok_or_else(bad)? != FORMAT_VERSION {
            return Err(bad());
        }
        let remaining = r.u32().ok_or_else(bad)?;
        let remaining = (remaining != u32::MAX).then_some(remaining);
        let resume = match r.u8().ok_or_else(bad)? {
            KIND_PARTITIONS => {
                Resume::Partition { index: r.u32().ok_or_else(bad)?, after: r.opt_bytes().ok_or_else(bad)? }
            }
            KIND_SCAN => {
                let token = r.i64().ok_or_else(bad)?;
                let key = r.opt_bytes().ok_or_else(bad)?.ok_or_else(bad)?;
                let after_clustering = r.opt_bytes().ok_or_else(bad)?;
                Resume::Scan(ScanPosition { partition: PartitionPosition { token, key }, after_clustering })
            }
            KIND_OFFSET => Resume::Offset(r.u32().ok_or_else(bad)?),
            KIND_INDEX => Resume::Index { after: r.opt_bytes().ok_or_else(bad)?.ok_or_else(bad)? },
            _ => return Err(bad()),
        };
        if !r.is_done() {
            return Err(bad());
        }
        Ok(PagingState { resume, remaining })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for state in [
            PagingState {
                resume: Resume::Partition { index: 3, after: Some(Bytes::from_static(b"ck")) },
                remaining: Some(10),
            },
            PagingState { resume: Resume::Partition { index: 0, after: None }, remaining: None },
            PagingState {
                resume: Resume::Scan(ScanPosition {
                    partition: PartitionPosition { token: -5, key: Bytes::from_static(b"k") },
                    after_clustering: None,
                }),
                remaining: None,
            },
            PagingState { resume: Resume::Offset(7), remaining: Some(1) },
            PagingState { resume: Resume::Index { after: Bytes::from_static(b"\x01entry") }, remaining: Some(2) },
        ] {
            assert_eq!(PagingState::decode(&state.encode()).unwrap(), state);
        }
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for junk in [&b""[..], b"\x01", b"\x02\0\0\0\0\0", b"\x01\0\0\0\0\x01\0\0\0\0\x01\xff\xff\xff\xff"] {
            assert!(PagingState::decode(&Bytes::copy_from_slice(junk)).is_err());
        }
    }
}

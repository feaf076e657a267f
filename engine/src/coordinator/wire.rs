//! The payloads of the coordinator's verbs (postcard, see `docs/internode-format.md`):
//! MUTATION carries mutations in the commitlog's mutation encoding; READ carries one page
//! of one partition to read, and answers with that page as stored (a mutation) or its digest.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::mutation::{ClusteringBound, ClusteringRange, PartitionPosition};
use crate::model::mutation_codec;
use crate::model::token_bounds::TokenBounds;
use crate::replica::range_slice::{RangeCommand, RangePage};
use crate::replica::slice::{PartitionSlice, SliceCommand};
use crate::replica::Partition;

/// MUTATION: apply these mutations (`mutation_codec::encode_batch`) durably.
#[derive(Debug, Serialize, Deserialize)]
pub struct MutationRequest {
    #[serde(with = "serde_bytes")]
    pub mutations: Vec<u8>,
}

/// The borrowed form a coordinator sends (the same bytes on the wire).
#[derive(Debug, Serialize)]
pub struct MutationRequestRef<'a> {
    #[serde(with = "serde_bytes")]
    pub mutations: &'a [u8],
}

/// MUTATION's answer: applied (commitlog per the sync mode, then memtable).
#[derive(Debug, Serialize, Deserialize)]
pub struct MutationAck;

/// One end of a clustering range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WireBound {
    Unbounded,
    Inclusive(#[serde(with = "serde_bytes")] Vec<u8>),
    Exclusive(#[serde(with = "serde_bytes")] Vec<u8>),
}

impl From<&ClusteringBound> for WireBound {
    fn from(b: &ClusteringBound) -> WireBound {
        match b {
            ClusteringBound::Unbounded => WireBound::Unbounded,
            ClusteringBound::Inclusive(p) => WireBound::Inclusive(p.to_vec()),
            ClusteringBound::Exclusive(p) => WireBound::Exclusive(p.to_vec()),
        }
    }
}

impl From<WireBound> for ClusteringBound {
    fn from(b: WireBound) -> ClusteringBound {
        match b {
            WireBound::Unbounded => ClusteringBound::Unbounded,
            WireBound::Inclusive(p) => ClusteringBound::Inclusive(p.into()),
            WireBound::Exclusive(p) => ClusteringBound::Exclusive(p.into()),
        }
    }
}

/// Whether the replica sends the page or only its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadKind {
    Data,
    Digest,
}

/// READ: one page of one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadRequest {
    pub kind: ReadKind,
    pub table_id: Uuid,
    pub token: i64,
    #[serde(with = "serde_bytes")]
    pub key: Vec<u8>,
    pub start: WireBound,
    pub end: WireBound,
    pub reversed: bool,
    pub start_after: Option<serde_bytes::ByteBuf>,
    pub live_rows_max: u32,
    pub now: u32,
}

impl ReadRequest {
    pub fn new(kind: ReadKind, table_id: Uuid, command: &SliceCommand) -> ReadRequest {
        ReadRequest {
            kind,
            table_id,
            token: command.position.token,
            key: command.position.key.to_vec(),
            start: (&command.range.start).into(),
            end: (&command.range.end).into(),
            reversed: command.reversed,
            start_after: command.start_after.as_ref().map(|k| serde_bytes::ByteBuf::from(k.to_vec())),
            live_rows_max: command.live_rows_max,
            now: command.now,
        }
    }

    pub fn command(self) -> SliceCommand {
        SliceCommand {
            position: PartitionPosition { token: self.token, key: self.key.into() },
            range: ClusteringRange { start: self.start.into(), end: self.end.into() },
            reversed: self.reversed,
            start_after: self.start_after.map(|k| k.into_vec().into()),
            live_rows_max: self.live_rows_max,
            now: self.now,
        }
    }
}

/// READ's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadResponse {
    /// The page as a mutation (`mutation_codec::encode`), for a data read.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
    /// xxh3-128 of the page: equal digests, equal pages.
    pub digest: u128,
    /// The page stopped at its live-row limit at this clustering sort key.
    pub stopped_at: Option<serde_bytes::ByteBuf>,
}

impl ReadResponse {
    /// Whether this answers a data read (a digest read sends no page).
    pub fn is_data(&self) -> bool {
        !self.data.is_empty()
    }
}

/// RANGE_READ: one page of a token range (every partition as stored, to a live-row limit).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RangeReadRequest {
    pub table_id: Uuid,
    pub lower: Option<(i64, bool)>,
    pub upper: Option<(i64, bool)>,
    /// Resume after this partition (token, key), within it after the clustering key.
    pub start: Option<(i64, serde_bytes::ByteBuf, Option<serde_bytes::ByteBuf>)>,
    pub live_rows_max: u32,
    pub now: u32,
}

impl RangeReadRequest {
    pub fn new(table_id: Uuid, command: &RangeCommand) -> RangeReadRequest {
        RangeReadRequest {
            table_id,
            lower: command.tokens.lower,
            upper: command.tokens.upper,
            start: command.start.as_ref().map(|(p, after)| {
                (
                    p.token,
                    serde_bytes::ByteBuf::from(p.key.to_vec()),
                    after.as_ref().map(|a| serde_bytes::ByteBuf::from(a.to_vec())),
                )
            }),
            live_rows_max: command.live_rows_max,
            now: command.now,
        }
    }

    pub fn command(self) -> RangeCommand {
        RangeCommand {
            tokens: TokenBounds { lower: self.lower, upper: self.upper },
            start: self.start.map(|(token, key, after)| {
                (PartitionPosition { token, key: key.into_vec().into() }, after.map(|a| a.into_vec().into()))
            }),
            live_rows_max: self.live_rows_max,
            now: self.now,
        }
    }
}

/// RANGE_READ's answer: the partitions as mutations (`mutation_codec::encode_batch`), and
/// where the page stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RangeReadResponse {
    #[serde(with = "serde_bytes")]
    pub partitions: Vec<u8>,
    pub stopped_at: Option<(i64, serde_bytes::ByteBuf, Option<serde_bytes::ByteBuf>)>,
}

impl RangeReadResponse {
    pub fn from_page(table_id: Uuid, page: &RangePage) -> RangeReadResponse {
        let mutations: Vec<_> = page
            .partitions
            .iter()
            .map(|(position, slice)| slice.partition.to_owned_copy().into_mutation(table_id, position.clone()))
            .collect();
        RangeReadResponse {
            partitions: mutation_codec::encode_batch(&mutations),
            stopped_at: page.stopped_at.as_ref().map(|(p, after)| {
                (
                    p.token,
                    serde_bytes::ByteBuf::from(p.key.to_vec()),
                    after.as_ref().map(|a| serde_bytes::ByteBuf::from(a.to_vec())),
                )
            }),
        }
    }

    /// The page this answer carries, or why it cannot be read.
    pub fn page(self) -> Result<RangePage, String> {
        let mutations = mutation_codec::decode_batch(self.partitions.into())
            .map_err(|e| format!("a replica sent an undecodable range page: {e}"))?;
        Ok(RangePage {
            partitions: mutations
                .into_iter()
                .map(|m| {
                    let position = m.position.clone();
                    (position, PartitionSlice { partition: Partition::from_mutation(m), stopped_at: None })
                })
                .collect(),
            stopped_at: self.stopped_at.map(|(token, key, after)| {
                (PartitionPosition { token, key: key.into_vec().into() }, after.map(|a| a.into_vec().into()))
            }),
        })
    }
}

/// TRUNCATE: empty these tables on the receiving node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruncateRequest {
    pub tables: Vec<Uuid>,
}

/// TRUNCATE's answer: every shard emptied the tables and the truncation is recorded.
#[derive(Debug, Serialize, Deserialize)]
pub struct TruncateAck;

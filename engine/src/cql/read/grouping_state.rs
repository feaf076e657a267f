//! Where an aggregate query stopped, so that `GROUP BY` results are paged like any other
//! rows: the inner read's own paging state, the group in progress with its running
//! accumulators, how many groups were already returned (the LIMIT counts groups), and the
//! PER PARTITION LIMIT bookkeeping. It travels to the client as opaque paging-state bytes
//! and comes back untrusted, so decoding checks every field and never panics.

use bytes::{BufMut, Bytes};

use crate::cql::error::CqlError;

use super::aggregate::Accumulator;
use super::state_codec::{put_opt_bytes, StateReader};

/// First byte of an aggregate paging state (a plain one starts with its format version).
const GROUPING_STATE_MAGIC: u8 = 0xA7;

/// The state of a grouping read between two pages.
#[derive(Debug, Clone, Default)]
pub struct GroupingState {
    /// The inner read's paging state (`None`: from the start).
    pub inner: Option<Bytes>,
    /// Groups returned by earlier pages.
    pub groups_done: u32,
    /// The group in progress: its key and running accumulators.
    pub current: Option<(Vec<Option<Bytes>>, Vec<Accumulator>)>,
    /// The partition key of the groups counted in `partition_groups`.
    pub partition: Vec<Option<Bytes>>,
    pub partition_groups: u32,
    /// Whether the group in progress is past the PER PARTITION LIMIT.
    pub skipping: bool,
}

fn put_values(out: &mut Vec<u8>, values: &[Option<Bytes>]) {
    out.put_u32(values.len() as u32);
    values.iter().for_each(|v| put_opt_bytes(out, v.as_deref()));
}

fn put_accumulator(out: &mut Vec<u8>, acc: &Accumulator) {
    match acc {
        Accumulator::Count(n) => {
            out.put_u8(0);
            out.put_i64(*n);
        }
        Accumulator::Extreme(best) => {
            out.put_u8(1);
            put_opt_bytes(out, best.as_ref().map(|(k, _)| &k[..]));
            put_opt_bytes(out, best.as_ref().map(|(_, v)| &v[..]));
        }
        Accumulator::Integer { sum, count } => {
            out.put_u8(2);
            out.put_i128(*sum);
            out.put_i64(*count);
        }
        Accumulator::Float { sum, count } => {
            out.put_u8(3);
            out.put_f64(*sum);
            out.put_i64(*count);
        }
        Accumulator::First(first) => {
            out.put_u8(4);
            out.put_u8(u8::from(first.is_some()));
            put_opt_bytes(out, first.as_ref().and_then(|v| v.as_deref()));
        }
    }
}

impl GroupingState {
    pub fn encode(&self) -> Bytes {
        let mut out = vec![GROUPING_STATE_MAGIC];
        put_opt_bytes(&mut out, self.inner.as_deref());
        out.put_u32(self.groups_done);
        match &self.current {
            Some((key, accumulators)) => {
                out.put_u8(1);
                put_values(&mut out, key);
                out.put_u32(accumulators.len() as u32);
                accumulators.iter().for_each(|a| put_accumulator(&mut out, a));
            }
            None => out.put_u8(0),
        }
        put_values(&mut out, &self.partition);
        out.put_u32(self.partition_groups);
        out.put_u8(u8::from(self.skipping));
        Bytes::from(out)
    }

    /// Decodes a state sent back by a client; `fresh` are the accumulators of a new group
    /// of this query, whose kinds the decoded ones must match.
    pub fn decode(bytes: &Bytes, fresh: &[Accumulator], key_width: usize) -> Result<GroupingState, CqlError> {
        let bad = || CqlError::protocol("Invalid value for the paging state".into());
        let mut r = StateReader::new(bytes);
        if r.u8().ok_or_else(bad)? != GROUPING_STATE_MAGIC {
            return Err(bad());
        }
        let inner = r.opt_bytes().ok_or_else(bad)?;
        let groups_done = r.u32().ok_or_else(bad)?;
        let current = match r.u8().ok_or_else(bad)? {
            0 => None,
            1 => {
                let key = r.values().ok_or_else(bad)?;
                let count = r.u32().ok_or_else(bad)? as usize;
                if key.len() != key_width || count != fresh.len() {
                    return Err(bad());
                }
                let accumulators =
                    fresh.iter().map(|template| r.accumulator(template).ok_or_else(bad)).collect::<Result<_, _>>()?;
                Some((key, accumulators))
            }
            _ => return Err(bad()),
        };
        let partition = r.values().ok_or_else(bad)?;
        let partition_groups = r.u32().ok_or_else(bad)?;
        let skipping = match r.u8().ok_or_else(bad)? {
            0 => false,
            1 => true,
            _ => return Err(bad()),
        };
        if !r.is_done() || partition.len() > key_width {
            return Err(bad());
        }
        Ok(GroupingState { inner, groups_done, current, partition, partition_groups, skipping })
    }
}

/// What a grouping state adds to the shared reader: lists of values and accumulators.
trait GroupingReader {
    fn values(&mut self) -> Option<Vec<Option<Bytes>>>;
    fn accumulator(&mut self, template: &Accumulator) -> Option<Accumulator>;
}

impl GroupingReader for StateReader<'_> {
    fn values(&mut self) -> Option<Vec<Option<Bytes>>> {
        let n = self.u32()? as usize;
        // Every value takes at least one byte: a count past the rest is a lie.
        if n > self.remaining() {
            return None;
        }
        (0..n).map(|_| self.opt_bytes()).collect()
    }

    fn accumulator(&mut self, template: &Accumulator) -> Option<Accumulator> {
        let tag = self.u8()?;
        let acc = match (tag, template) {
            (0, Accumulator::Count(_)) => Accumulator::Count(self.i64()?),
            (1, Accumulator::Extreme(_)) => {
                let (key, value) = (self.opt_bytes()?, self.opt_bytes()?);
                match (key, value) {
                    (Some(k), Some(v)) => Accumulator::Extreme(Some((k.to_vec(), v))),
                    (None, None) => Accumulator::Extreme(None),
                    _ => return None,
                }
            }
            (2, Accumulator::Integer { .. }) => {
                let sum = i128::from_be_bytes(self.take(16)?.try_into().ok()?);
                Accumulator::Integer { sum, count: self.i64()? }
            }
            (3, Accumulator::Float { .. }) => {
                let sum = f64::from_be_bytes(self.take(8)?.try_into().ok()?);
                Accumulator::Float { sum, count: self.i64()? }
            }
            (4, Accumulator::First(_)) => {
                let started = self.u8()?;
                let value = self.opt_bytes()?;
                match (started, value) {
                    (0, None) => Accumulator::First(None),
                    (1, v) => Accumulator::First(Some(v)),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Vec<Accumulator> {
        vec![
            Accumulator::Count(0),
            Accumulator::Extreme(None),
            Accumulator::Integer { sum: 0, count: 0 },
            Accumulator::Float { sum: 0.0, count: 0 },
            Accumulator::First(None),
        ]
    }

    #[test]
    fn round_trips_a_group_in_progress() {
        let state = GroupingState {
            inner: Some(Bytes::from_static(b"inner")),
            groups_done: 7,
            current: Some((
                vec![Some(Bytes::from_static(b"k")), None],
                vec![
                    Accumulator::Count(3),
                    Accumulator::Extreme(Some((vec![1, 2], Bytes::from_static(b"v")))),
                    Accumulator::Integer { sum: -5, count: 2 },
                    Accumulator::Float { sum: 2.5, count: 1 },
                    Accumulator::First(Some(None)),
                ],
            )),
            partition: vec![Some(Bytes::from_static(b"k"))],
            partition_groups: 2,
            skipping: true,
        };
        let decoded = GroupingState::decode(&state.encode(), &fresh(), 2).unwrap();
        assert_eq!(format!("{decoded:?}"), format!("{state:?}"));
    }

    #[test]
    fn refuses_truncated_foreign_and_mismatched_states() {
        let state = GroupingState { current: Some((vec![None, None], fresh())), ..GroupingState::default() };
        let bytes = state.encode();
        for cut in 0..bytes.len() {
            assert!(GroupingState::decode(&bytes.slice(..cut), &fresh(), 2).is_err(), "cut at {cut}");
        }
        assert!(GroupingState::decode(&bytes, &fresh()[..4], 2).is_err(), "other accumulators");
        assert!(GroupingState::decode(&bytes, &fresh(), 3).is_err(), "other key width");
        let mut foreign = bytes.to_vec();
        foreign[0] = 1;
        assert!(GroupingState::decode(&Bytes::from(foreign), &fresh(), 2).is_err());
    }
}

//! Cells, liveness and deletion times, with Cassandra's reconciliation rules: the higher
//! write timestamp wins; on a tie a tombstone beats a live cell, and between two live cells
//! the later expiry, then the greater value wins (so every replica picks the same cell).

use bytes::Bytes;

/// Write timestamp in microseconds since the epoch (client- or server-assigned).
pub type WriteTimestamp = i64;

/// Seconds since the epoch, the unit of TTL expiry and local deletion times.
pub type EpochSeconds = u32;

/// No expiry: a live cell or row marker written without TTL.
pub const NEVER_EXPIRES: EpochSeconds = EpochSeconds::MAX;

/// A deletion: everything written at or before `marked_at` is shadowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionTime {
    pub marked_at: WriteTimestamp,
    pub local_deletion_time: EpochSeconds,
}

impl DeletionTime {
    pub fn shadows(&self, timestamp: WriteTimestamp) -> bool {
        timestamp <= self.marked_at
    }

    /// The later of two deletions (the one that shadows more).
    pub fn merge(a: Option<DeletionTime>, b: Option<DeletionTime>) -> Option<DeletionTime> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.marked_at > x.marked_at { y } else { x }),
            (x, None) => x,
            (None, y) => y,
        }
    }
}

/// When a row came to exist through INSERT (the row marker) and until when it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    pub timestamp: WriteTimestamp,
    pub ttl_seconds: u32,
    pub expires_at: EpochSeconds,
}

impl Liveness {
    pub fn is_live(&self, now: EpochSeconds) -> bool {
        now < self.expires_at
    }

    /// Cassandra's `LivenessInfo.supersedes`: the later timestamp; on a tie an expiring
    /// marker over a permanent one, then the later expiry.
    pub fn supersedes(&self, other: &Liveness) -> bool {
        if self.timestamp != other.timestamp {
            return self.timestamp > other.timestamp;
        }
        let (expiring, other_expiring) = (self.expires_at != NEVER_EXPIRES, other.expires_at != NEVER_EXPIRES);
        if expiring != other_expiring {
            return expiring;
        }
        self.expires_at > other.expires_at
    }

    pub fn merge(a: Option<Liveness>, b: Option<Liveness>) -> Option<Liveness> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.supersedes(&x) { y } else { x }),
            (x, None) => x,
            (None, y) => y,
        }
    }
}

/// One column's value in a row: live (with optional TTL) or a tombstone (`value == None`).
///
/// A non-frozen collection is several cells of one column, one per element, each with its
/// element's [`path`](Cell::path) (see `model::element_path`); a cell of that column
/// without a path is always a tombstone: the collection's deletion, shadowing the elements
/// written at or before it (an overwrite writes it just below the new elements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub timestamp: WriteTimestamp,
    pub value: Option<Bytes>,
    /// The element of a non-frozen collection this cell holds; `None` for a simple cell.
    pub path: Option<Bytes>,
    pub ttl_seconds: u32,
    /// For live cells the expiry time ([`NEVER_EXPIRES`] without TTL); for tombstones the
    /// local deletion time.
    pub expires_at: EpochSeconds,
}

impl Cell {
    pub fn live(timestamp: WriteTimestamp, value: Bytes, ttl_seconds: u32, now: EpochSeconds) -> Cell {
        let expires_at = if ttl_seconds == 0 { NEVER_EXPIRES } else { now.saturating_add(ttl_seconds) };
        Cell { timestamp, value: Some(value), path: None, ttl_seconds, expires_at }
    }

    pub fn tombstone(timestamp: WriteTimestamp, now: EpochSeconds) -> Cell {
        Cell { timestamp, value: None, path: None, ttl_seconds: 0, expires_at: now }
    }

    /// This cell as the collection element at `path`.
    pub fn at_path(mut self, path: Bytes) -> Cell {
        self.path = Some(path);
        self
    }

    /// The value if the cell is live at `now`.
    pub fn live_value(&self, now: EpochSeconds) -> Option<&Bytes> {
        self.value.as_ref().filter(|_| now < self.expires_at)
    }

    /// Cassandra's reconciliation (`Cells.resolveRegular`, 4.0): does `self` win against
    /// `other`? The later timestamp; on a tie a tombstone, then an expiring cell over a
    /// permanent one (CASSANDRA-14592: the answer must not depend on when cells are
    /// merged), then the later expiry or deletion, then the greater value.
    pub fn supersedes(&self, other: &Cell) -> bool {
        if self.timestamp != other.timestamp {
            return self.timestamp > other.timestamp;
        }
        match (&self.value, &other.value) {
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => self.expires_at >= other.expires_at,
            (Some(a), Some(b)) => {
                let (expiring, other_expiring) = (self.expires_at != NEVER_EXPIRES, other.expires_at != NEVER_EXPIRES);
                if expiring != other_expiring {
                    expiring
                } else if self.expires_at != other.expires_at {
                    self.expires_at > other.expires_at
                } else {
                    a >= b
                }
            }
        }
    }

    /// Approximate memory footprint, for memtable accounting.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<Cell>()
            + self.value.as_ref().map_or(0, |v| v.len())
            + self.path.as_ref().map_or(0, |p| p.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(ts: i64, v: &'static [u8]) -> Cell {
        Cell::live(ts, Bytes::from_static(v), 0, 100)
    }

    #[test]
    fn on_a_timestamp_tie_an_expiring_cell_beats_a_permanent_one_whatever_the_values() {
        let permanent = live(5, b"z");
        let expiring = Cell::live(5, Bytes::from_static(b"a"), 1000, 100);
        assert!(expiring.supersedes(&permanent) && !permanent.supersedes(&expiring));
        let marker = |ttl| Liveness {
            timestamp: 5,
            ttl_seconds: ttl,
            expires_at: if ttl == 0 { NEVER_EXPIRES } else { 100 + ttl },
        };
        assert_eq!(Liveness::merge(Some(marker(0)), Some(marker(10))), Some(marker(10)));
        assert_eq!(Liveness::merge(Some(marker(10)), Some(marker(0))), Some(marker(10)));
    }

    #[test]
    fn higher_timestamp_wins() {
        assert!(live(2, b"a").supersedes(&live(1, b"z")));
        assert!(!live(1, b"z").supersedes(&live(2, b"a")));
    }

    #[test]
    fn tombstone_wins_a_tie() {
        let t = Cell::tombstone(5, 100);
        assert!(t.supersedes(&live(5, b"x")));
        assert!(!live(5, b"x").supersedes(&t));
    }

    #[test]
    fn greater_value_wins_a_tie_between_live_cells() {
        assert!(live(5, b"b").supersedes(&live(5, b"a")));
        assert!(!live(5, b"a").supersedes(&live(5, b"b")));
    }

    #[test]
    fn ttl_expires() {
        let c = Cell::live(1, Bytes::from_static(b"v"), 10, 100);
        assert!(c.live_value(109).is_some());
        assert!(c.live_value(110).is_none());
    }
}

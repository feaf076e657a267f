//! Verbs — what an internode request asks for — and the connection class each travels on.
//!
//! A verb's number is on the wire: numbers are never reused or renumbered, a new verb takes
//! the next free number (0 is the handshake's). A node that receives a number it does not
//! know answers an `UnknownVerb` error, so a newer peer can probe an older one.

use std::fmt;
use std::time::Duration;

use crate::limits;

/// Default timeout of [`Verb::Echo`]: a failure-detector probe (tests run with 2 s).
pub const ECHO_TIMEOUT_MS: u64 = 2_000;
/// Default timeout of the group 0 Raft verbs (append entries, votes, snapshot chunks).
pub const GROUP0_RAFT_TIMEOUT_MS: u64 = 5_000;
/// Default timeout of [`Verb::Group0Forward`]: the leader commits before it answers.
pub const GROUP0_FORWARD_TIMEOUT_MS: u64 = 10_000;
/// Default timeout of [`Verb::JoinRequest`]: the topology coordinator may be busy.
pub const JOIN_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Default timeout of [`Verb::Mutation`] (Cassandra's `write_request_timeout_in_ms`).
pub const MUTATION_TIMEOUT_MS: u64 = 2_000;
/// Default timeout of [`Verb::Read`] (Cassandra's `read_request_timeout_in_ms`).
pub const READ_TIMEOUT_MS: u64 = 5_000;
/// Default timeout of [`Verb::Truncate`] (Cassandra's `truncate_request_timeout_in_ms`).
pub const TRUNCATE_TIMEOUT_MS: u64 = 60_000;
/// Default timeout of [`Verb::Stream`]: one chunk of streamed data.
pub const STREAM_TIMEOUT_MS: u64 = 60_000;

/// What a request asks of its peer. The discriminant is the wire number.
#[repr(u16)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// Failure-detector probe.
    Echo = 1,
    /// Group 0 Raft: append entries (and heartbeats).
    Group0Append = 2,
    /// A follower forwarding a group 0 proposal to the leader.
    Group0Forward = 3,
    /// A new node asking the cluster to let it join.
    JoinRequest = 4,
    /// Apply a mutation on a replica.
    Mutation = 5,
    /// Read data (or a digest) from a replica.
    Read = 6,
    /// Streaming/repair data.
    Stream = 7,
    /// Group 0 Raft: a vote request.
    Group0Vote = 8,
    /// Group 0 Raft: a snapshot chunk.
    Group0Snapshot = 9,
    /// Read a page of a token range from a replica (range scans).
    RangeRead = 10,
    /// Empty tables on a node (TRUNCATE).
    Truncate = 11,
}

impl Verb {
    /// Every verb, in wire-number order.
    pub const ALL: [Verb; 11] = [
        Verb::Echo,
        Verb::Group0Append,
        Verb::Group0Forward,
        Verb::JoinRequest,
        Verb::Mutation,
        Verb::Read,
        Verb::Stream,
        Verb::Group0Vote,
        Verb::Group0Snapshot,
        Verb::RangeRead,
        Verb::Truncate,
    ];

    /// The number on the wire.
    pub fn number(self) -> u16 {
        self as u16
    }

    /// The connection class this verb's requests (and responses) travel on.
    pub fn class(self) -> ConnectionClass {
        match self {
            Verb::Echo
            | Verb::Group0Append
            | Verb::Group0Vote
            | Verb::Group0Snapshot
            | Verb::Group0Forward
            | Verb::JoinRequest => ConnectionClass::Small,
            Verb::Mutation | Verb::Truncate => ConnectionClass::Mutation,
            Verb::Read | Verb::RangeRead => ConnectionClass::Read,
            Verb::Stream => ConnectionClass::Bulk,
        }
    }

    /// The timeout `Messaging::send` applies.
    pub fn default_timeout(self) -> Duration {
        Duration::from_millis(match self {
            Verb::Echo => ECHO_TIMEOUT_MS,
            Verb::Group0Append | Verb::Group0Vote | Verb::Group0Snapshot => GROUP0_RAFT_TIMEOUT_MS,
            Verb::Group0Forward => GROUP0_FORWARD_TIMEOUT_MS,
            Verb::JoinRequest => JOIN_REQUEST_TIMEOUT_MS,
            Verb::Mutation => MUTATION_TIMEOUT_MS,
            Verb::Read | Verb::RangeRead => READ_TIMEOUT_MS,
            Verb::Stream => STREAM_TIMEOUT_MS,
            Verb::Truncate => TRUNCATE_TIMEOUT_MS,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Verb::Echo => "ECHO",
            Verb::Group0Append => "GROUP0_APPEND",
            Verb::Group0Vote => "GROUP0_VOTE",
            Verb::Group0Snapshot => "GROUP0_SNAPSHOT",
            Verb::Group0Forward => "GROUP0_FORWARD",
            Verb::JoinRequest => "JOIN_REQUEST",
            Verb::Mutation => "MUTATION",
            Verb::Read => "READ",
            Verb::RangeRead => "RANGE_READ",
            Verb::Truncate => "TRUNCATE",
            Verb::Stream => "STREAM",
        }
    }

    /// The verb of a [`Verb::name`] (ASCII case ignored), as operators and tests write it.
    pub fn from_name(name: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|verb| verb.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A verb number this node does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown verb {0}")]
pub struct UnknownVerb(pub u16);

impl TryFrom<u16> for Verb {
    type Error = UnknownVerb;

    fn try_from(number: u16) -> Result<Verb, UnknownVerb> {
        Verb::ALL.into_iter().find(|verb| verb.number() == number).ok_or(UnknownVerb(number))
    }
}

/// Which of a peer's connections a message travels on: each class has its own TCP
/// connection per (peer, shard), so a large stream chunk never delays an echo.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConnectionClass {
    /// Echo, group 0, join: small, latency-critical.
    Small = 0,
    Mutation = 1,
    Read = 2,
    /// Streaming and repair.
    Bulk = 3,
}

/// Number of connection classes (the length of per-class counter arrays).
pub const CONNECTION_CLASSES: usize = 4;

impl ConnectionClass {
    pub const ALL: [ConnectionClass; CONNECTION_CLASSES] =
        [ConnectionClass::Small, ConnectionClass::Mutation, ConnectionClass::Read, ConnectionClass::Bulk];

    /// Position in per-class arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The largest frame (length field included) a connection of this class carries.
    pub fn frame_bytes_max(self) -> usize {
        match self {
            ConnectionClass::Small => limits::MESSAGING_FRAME_BYTES_MAX_SMALL,
            ConnectionClass::Mutation => limits::MESSAGING_FRAME_BYTES_MAX_MUTATION,
            ConnectionClass::Read => limits::MESSAGING_FRAME_BYTES_MAX_READ,
            ConnectionClass::Bulk => limits::MESSAGING_FRAME_BYTES_MAX_BULK,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ConnectionClass::Small => "small",
            ConnectionClass::Mutation => "mutation",
            ConnectionClass::Read => "read",
            ConnectionClass::Bulk => "bulk",
        }
    }
}

impl fmt::Display for ConnectionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u8> for ConnectionClass {
    type Error = u8;

    fn try_from(number: u8) -> Result<ConnectionClass, u8> {
        ConnectionClass::ALL.into_iter().find(|class| *class as u8 == number).ok_or(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verb_numbers_round_trip_and_unknown_numbers_are_refused() {
        for verb in Verb::ALL {
            assert_eq!(Verb::try_from(verb.number()), Ok(verb));
        }
        assert_eq!(Verb::try_from(0), Err(UnknownVerb(0)));
        assert_eq!(Verb::try_from(999), Err(UnknownVerb(999)));
    }

    #[test]
    fn wire_numbers_are_stable() {
        // On the wire: changing one breaks mixed-version clusters.
        let numbers: Vec<u16> = Verb::ALL.iter().map(|v| v.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn verbs_are_found_by_name() {
        for verb in Verb::ALL {
            assert_eq!(Verb::from_name(verb.name()), Some(verb));
        }
        assert_eq!(Verb::from_name("mutation"), Some(Verb::Mutation));
        assert_eq!(Verb::from_name("MUTATIONS"), None);
    }

    #[test]
    fn bulk_traffic_has_its_own_class() {
        assert_eq!(Verb::Echo.class(), ConnectionClass::Small);
        assert_eq!(Verb::Group0Append.class(), ConnectionClass::Small);
        assert_eq!(Verb::Stream.class(), ConnectionClass::Bulk);
        assert_ne!(Verb::Mutation.class(), Verb::Read.class());
        for class in ConnectionClass::ALL {
            assert_eq!(ConnectionClass::try_from(class as u8), Ok(class));
        }
        assert_eq!(ConnectionClass::try_from(9), Err(9));
    }
}

//! A range of the Murmur3 token ring, `(start, end]` as Cassandra's `Range<Token>`: start
//! exclusive, end inclusive, wrapping past `i64::MAX` back to the smallest token when
//! `start >= end`; `start == end` is the whole ring (a ring of one token).
//!
//! Sizes are counted in tokens of Murmur3Partitioner's ring, which has [`RING_TOKENS`] of
//! them: every `i64` but `i64::MIN`, which Cassandra reserves as the minimum token. This is
//! the ring size of Cassandra's `Murmur3Partitioner.describeOwnership`.

use std::fmt;

use crate::model::token::Token;

/// Tokens in the ring: `i64::MAX - (i64::MIN + 1) + 1`.
pub const RING_TOKENS: u128 = (1u128 << 64) - 1;

/// `(start, end]`, wrapping when `start >= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenRange {
    /// Exclusive.
    pub start: Token,
    /// Inclusive.
    pub end: Token,
}

impl TokenRange {
    pub fn new(start: Token, end: Token) -> Self {
        TokenRange { start, end }
    }

    /// Whether the range passes `i64::MAX` and continues from the ring's start (or is the
    /// whole ring).
    pub fn is_wrapping(&self) -> bool {
        self.start >= self.end
    }

    pub fn contains(&self, token: Token) -> bool {
        if self.is_wrapping() {
            token > self.start || token <= self.end
        } else {
            token > self.start && token <= self.end
        }
    }

    /// How many tokens of the ring the range holds (1 ..= [`RING_TOKENS`]).
    pub fn size_tokens(&self) -> u128 {
        let difference = (self.end as i128) - (self.start as i128);
        let size = difference.rem_euclid(RING_TOKENS as i128) as u128;
        // start == end: the whole ring, not nothing.
        if size == 0 {
            RING_TOKENS
        } else {
            size
        }
    }

    /// The share of the ring the range holds, in (0, 1].
    pub fn ring_fraction(&self) -> f64 {
        self.size_tokens() as f64 / RING_TOKENS as f64
    }
}

impl fmt::Display for TokenRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}]", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_range_holds_its_end_but_not_its_start() {
        let r = TokenRange::new(-10, 20);
        assert!(!r.is_wrapping());
        assert!(!r.contains(-10));
        assert!(r.contains(-9));
        assert!(r.contains(20));
        assert!(!r.contains(21));
        assert_eq!(r.size_tokens(), 30);
    }

    #[test]
    fn a_wrapping_range_continues_from_the_ring_start() {
        let r = TokenRange::new(100, -100);
        assert!(r.is_wrapping());
        assert!(r.contains(i64::MAX));
        assert!(r.contains(i64::MIN + 1));
        assert!(r.contains(-100));
        assert!(!r.contains(-99));
        assert!(!r.contains(100));
        // (100, MAX] holds MAX - 100 tokens, [MIN + 1, -100] holds MAX - 99 - 1 + 1 tokens.
        assert_eq!(r.size_tokens(), (i64::MAX as u128 - 100) + (i64::MAX as u128 - 99));
    }

    #[test]
    fn equal_ends_are_the_whole_ring() {
        let r = TokenRange::new(7, 7);
        assert!(r.is_wrapping());
        assert!(r.contains(7));
        assert!(r.contains(i64::MIN + 1));
        assert_eq!(r.size_tokens(), RING_TOKENS);
        assert_eq!(r.ring_fraction(), 1.0);
    }

    #[test]
    fn ranges_between_consecutive_ring_tokens_add_up_to_the_ring() {
        let tokens = [i64::MIN + 1, -5, 0, 3, i64::MAX];
        let total: u128 = (0..tokens.len())
            .map(|i| TokenRange::new(tokens[(i + tokens.len() - 1) % tokens.len()], tokens[i]).size_tokens())
            .sum();
        assert_eq!(total, RING_TOKENS);
    }
}

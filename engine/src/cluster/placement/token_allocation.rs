//! The tokens a joining node takes, ScyllaDB's way (`boot_strapper::get_random_tokens`):
//! `num_tokens` tokens drawn uniformly from Murmur3's range without `i64::MIN` (reserved),
//! distinct, and none already owned by a node of the ring. With 256 tokens per node random
//! placement leaves each node within a few percent of its fair share; Cassandra 4's
//! replication-aware allocator (16 tokens) is not implemented.
//!
//! The random source is a parameter so that a seed reproduces a choice (tests, simulations);
//! a node seeds it from real entropy.

use std::collections::BTreeSet;

use rand::Rng;

use super::token_metadata::{TokenMetadata, NODE_TOKENS_MAX};
use crate::model::token::Token;

/// Draws per wanted token before giving up: the ring holds 2^64 - 1 tokens, so a working
/// random source collides almost never; a broken one (constant output) must not loop forever.
pub const DRAWS_PER_TOKEN_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenAllocationError {
    #[error("num_tokens must be between 1 and {NODE_TOKENS_MAX}; found {0}")]
    NumTokensOutOfRange(usize),
    #[error("the random source gave {wanted} distinct free tokens in no fewer than {draws} draws; it is broken")]
    RandomSourceExhausted { wanted: usize, draws: usize },
}

/// `num_tokens` distinct random tokens owned by no node of `ring`, sorted.
pub fn random_tokens<R: Rng + ?Sized>(
    rng: &mut R,
    num_tokens: usize,
    ring: &TokenMetadata,
) -> Result<Vec<Token>, TokenAllocationError> {
    if num_tokens == 0 || num_tokens > NODE_TOKENS_MAX {
        return Err(TokenAllocationError::NumTokensOutOfRange(num_tokens));
    }
    let draws_max = num_tokens * DRAWS_PER_TOKEN_MAX;
    let mut chosen = BTreeSet::new();
    for _ in 0..draws_max {
        if chosen.len() == num_tokens {
            break;
        }
        let token = rng.random_range(i64::MIN + 1..=i64::MAX);
        if ring.first_token_index(token).is_none_or(|p| ring.ring()[p].0 != token) {
            chosen.insert(token);
        }
    }
    if chosen.len() < num_tokens {
        return Err(TokenAllocationError::RandomSourceExhausted { wanted: num_tokens, draws: draws_max });
    }
    Ok(chosen.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngCore, SeedableRng};

    use super::*;
    use crate::cluster::placement::ownership::primary_ownership;
    use crate::cluster::placement::test_rings::{endpoint, ring, simple_node};
    use crate::cluster::placement::token_metadata::RingNode;

    #[test]
    fn a_seed_reproduces_the_tokens() {
        let empty = TokenMetadata::empty();
        let a = random_tokens(&mut StdRng::seed_from_u64(7), 256, &empty).unwrap();
        let b = random_tokens(&mut StdRng::seed_from_u64(7), 256, &empty).unwrap();
        let c = random_tokens(&mut StdRng::seed_from_u64(8), 256, &empty).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 256);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert!(!a.contains(&i64::MIN));
    }

    #[test]
    fn tokens_of_the_ring_are_not_taken_again() {
        // The same seed draws the same first token, which the ring now owns.
        let owned = random_tokens(&mut StdRng::seed_from_u64(1), 1, &TokenMetadata::empty()).unwrap()[0];
        let tm = ring(vec![simple_node(1, &[owned])]);
        let drawn = random_tokens(&mut StdRng::seed_from_u64(1), 3, &tm).unwrap();
        assert!(!drawn.contains(&owned), "the owned token was drawn first and refused");
        assert_eq!(drawn.len(), 3);
    }

    #[test]
    fn a_broken_source_is_an_error_not_a_hang() {
        struct Constant;
        impl RngCore for Constant {
            fn next_u32(&mut self) -> u32 {
                7
            }
            fn next_u64(&mut self) -> u64 {
                7
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                dest.fill(7)
            }
        }
        assert_eq!(
            random_tokens(&mut Constant, 2, &TokenMetadata::empty()),
            Err(TokenAllocationError::RandomSourceExhausted { wanted: 2, draws: 2 * DRAWS_PER_TOKEN_MAX })
        );
    }

    #[test]
    fn num_tokens_is_bounded() {
        let empty = TokenMetadata::empty();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(random_tokens(&mut rng, 0, &empty), Err(TokenAllocationError::NumTokensOutOfRange(0)));
        assert_eq!(
            random_tokens(&mut rng, NODE_TOKENS_MAX + 1, &empty),
            Err(TokenAllocationError::NumTokensOutOfRange(NODE_TOKENS_MAX + 1))
        );
    }

    #[test]
    fn nodes_joining_with_256_random_tokens_own_near_fair_shares() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut tm = TokenMetadata::empty();
        let nodes = 6u8;
        for n in 1..=nodes {
            let tokens = random_tokens(&mut rng, 256, &tm).unwrap();
            tm = tm.with_normal_node(RingNode { endpoint: endpoint(n, "dc1", "rack1"), tokens }).unwrap();
        }
        assert_eq!(tm.version(), nodes as u64);
        assert_eq!(tm.ring().len(), 256 * nodes as usize);
        let fair = 1.0 / nodes as f64;
        for share in primary_ownership(&tm) {
            // Each node's share is a sum of 256 spacings: within ±25% of fair by a wide margin.
            assert!((share.fraction() - fair).abs() < 0.25 * fair, "node share {} vs fair {fair}", share.fraction());
        }
    }
}

//! Which shard owns a token: ScyllaDB's `biased-token-round-robin` sharding, bit-exact with
//! the shard-aware drivers. The ring is cut into 2^ignore_msb × nr_shards slices dealt to the
//! shards round-robin, so every shard owns many small ranges spread over the whole ring.

use super::token::Token;

/// Scylla's default `murmur3_partitioner_ignore_msb_bits`.
pub const DEFAULT_IGNORE_MSB_BITS: u32 = 12;

/// The shard that owns `token` on a node with `nr_shards` shards.
pub fn shard_of(token: Token, nr_shards: usize, ignore_msb: u32) -> usize {
    debug_assert!(nr_shards > 0);
    let mut biased = (token as u64).wrapping_add(1 << 63);
    biased <<= ignore_msb;
    ((biased as u128 * nr_shards as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_check_vectors() {
        assert_eq!(shard_of(-9219783007514621794, 4, 12), 3);
        assert_eq!(shard_of(9222582454147032830, 4, 12), 3);
    }

    #[test]
    fn single_shard_owns_everything() {
        for t in [i64::MIN, -1, 0, 1, i64::MAX] {
            assert_eq!(shard_of(t, 1, 12), 0);
        }
    }

    #[test]
    fn shards_are_in_range() {
        for n in 1..9 {
            for t in (0..1000i64).map(|i| i64::MIN.wrapping_add(i.wrapping_mul(18_446_744_073_709_551))) {
                assert!(shard_of(t, n, 12) < n);
            }
        }
    }
}

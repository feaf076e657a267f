//! The bloom filter over partition keys, pure. Sized from the expected partition count and
//! the table's `bloom_filter_fp_chance` (`m = -n·ln p / ln²2` bits, `k = m/n · ln 2` hashes);
//! probes use Kirsch–Mitzenmacher double hashing over the two halves of the key's
//! Murmur3 x64_128 hash: bit `i` is `(h1 + i·h2) mod m`. An fp chance of 1 disables the
//! filter (Cassandra's convention): it then answers "maybe" for every key.
//!
//! Serialized payload: `u32 LE hashes ‖ u64 LE bits ‖ u64 LE word * (bits / 64)`.

use crate::model::token::murmur3_x64_128;

use super::wire::{put_u32, put_u64, DecodeError, WireReader};

/// More probes than this cost more than they save.
pub const MAX_BLOOM_HASHES: u32 = 20;

/// The largest filter a reader accepts: 8 Gi bits (1 GiB).
pub const MAX_BLOOM_BITS: u64 = 8 << 30;

const WORD_BITS: u64 = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    num_hashes: u32,
    num_bits: u64,
    words: Vec<u64>,
}

impl BloomFilter {
    /// An empty filter for about `expected_keys` keys at false-positive chance `fp_chance`.
    pub fn with_capacity(expected_keys: usize, fp_chance: f64) -> BloomFilter {
        if !(fp_chance > 0.0 && fp_chance < 1.0) {
            return BloomFilter { num_hashes: 0, num_bits: 0, words: Vec::new() };
        }
        let n = expected_keys.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits = (-n * fp_chance.ln() / (ln2 * ln2)).ceil();
        let bits = (bits as u64).clamp(WORD_BITS, MAX_BLOOM_BITS).div_ceil(WORD_BITS) * WORD_BITS;
        let hashes = ((bits as f64 / n) * ln2).round() as u32;
        BloomFilter {
            num_hashes: hashes.clamp(1, MAX_BLOOM_HASHES),
            num_bits: bits,
            words: vec![0; (bits / WORD_BITS) as usize],
        }
    }

    pub fn is_disabled(&self) -> bool {
        self.num_bits == 0
    }

    pub fn num_bits(&self) -> u64 {
        self.num_bits
    }

    pub fn num_hashes(&self) -> u32 {
        self.num_hashes
    }

    fn probes(&self, key: &[u8]) -> impl Iterator<Item = u64> {
        let (h1, h2) = murmur3_x64_128(key, 0);
        let m = self.num_bits.max(1);
        (0..u64::from(self.num_hashes)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % m)
    }

    pub fn insert(&mut self, key: &[u8]) {
        for bit in self.probes(key) {
            self.words[(bit / WORD_BITS) as usize] |= 1 << (bit % WORD_BITS);
        }
    }

    /// False means the key was certainly never inserted.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.is_disabled()
            || self.probes(key).all(|bit| self.words[(bit / WORD_BITS) as usize] & (1 << (bit % WORD_BITS)) != 0)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.num_hashes);
        put_u64(out, self.num_bits);
        out.reserve(self.words.len() * 8);
        for w in &self.words {
            put_u64(out, *w);
        }
    }

    pub fn decode(payload: &[u8]) -> Result<BloomFilter, DecodeError> {
        let mut r = WireReader::new(payload);
        let num_hashes = r.u32("bloom hash count")?;
        let num_bits = r.u64("bloom bit count")?;
        if num_bits > MAX_BLOOM_BITS || num_bits % WORD_BITS != 0 {
            return Err(DecodeError::new(4, format!("invalid bloom bit count {num_bits}")));
        }
        let valid_hashes = if num_bits == 0 { num_hashes == 0 } else { (1..=MAX_BLOOM_HASHES).contains(&num_hashes) };
        if !valid_hashes {
            return Err(DecodeError::new(0, format!("invalid bloom hash count {num_hashes}")));
        }
        let n_words = (num_bits / WORD_BITS) as usize;
        let bytes = r.take(n_words * 8, "bloom bits")?;
        r.finish("bloom filter")?;
        let words = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        Ok(BloomFilter { num_hashes, num_bits, words })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inserted_keys_are_always_found_and_encoding_round_trips() {
        let mut f = BloomFilter::with_capacity(1000, 0.01);
        for i in 0..1000u32 {
            f.insert(&i.to_be_bytes());
        }
        for i in 0..1000u32 {
            assert!(f.may_contain(&i.to_be_bytes()));
        }
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(BloomFilter::decode(&out).unwrap(), f);
        assert!(BloomFilter::decode(&out[..out.len() - 1]).is_err());
    }

    #[test]
    fn fp_chance_one_disables_the_filter() {
        let f = BloomFilter::with_capacity(10, 1.0);
        assert!(f.is_disabled());
        assert!(f.may_contain(b"anything"));
        let mut out = Vec::new();
        f.encode(&mut out);
        assert!(BloomFilter::decode(&out).unwrap().is_disabled());
    }

    #[test]
    fn corrupt_headers_are_refused() {
        let mut out = Vec::new();
        BloomFilter::with_capacity(10, 0.1).encode(&mut out);
        let mut bad = out.clone();
        bad[0] = 0;
        assert!(BloomFilter::decode(&bad).is_err());
        let mut bad = out.clone();
        bad[4] = 1;
        assert!(BloomFilter::decode(&bad).is_err());
        let mut bad = out;
        bad[11] = 0xff;
        assert!(BloomFilter::decode(&bad).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn false_positive_rate_is_within_bounds(n in 100usize..3000, fp in prop::sample::select(vec![0.1, 0.01, 0.001]), seed in any::<u64>()) {
            let mut f = BloomFilter::with_capacity(n, fp);
            for i in 0..n as u64 {
                f.insert(&(seed ^ i).to_le_bytes());
            }
            for i in 0..n as u64 {
                prop_assert!(f.may_contain(&(seed ^ i).to_le_bytes()));
            }
            let probes = 20_000u64;
            let fps = (0..probes)
                .filter(|i| f.may_contain(&format!("absent-{seed}-{i}").into_bytes()))
                .count() as f64;
            // Generous slack: the configured chance is a target, not a guarantee.
            prop_assert!(fps / probes as f64 <= fp * 2.0 + 0.002, "rate {} for fp {}", fps / probes as f64, fp);
        }
    }
}

//! Cassandra's Murmur3Partitioner, bit-exact: MurmurHash3 x64_128 with Cassandra's quirk of
//! sign-extending the tail bytes, the first 64-bit half as the token, and `i64::MIN` mapped
//! to `i64::MAX` (the minimum token is reserved by Cassandra).
//!
//! Composite partition keys are hashed over their serialized form: for each component
//! `u16 BE length ‖ bytes ‖ 0x00` (see [`serialize_partition_key`]).

/// The partitioner's class name, as `system.local` and DESCRIBE name it.
pub const PARTITIONER: &str = "org.apache.cassandra.dht.Murmur3Partitioner";

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

/// A partition's position on the token ring.
pub type Token = i64;

/// The token Cassandra's Murmur3Partitioner assigns to a serialized partition key.
pub fn token_of(partition_key: &[u8]) -> Token {
    let (h1, _) = murmur3_x64_128(partition_key, 0);
    let token = h1 as i64;
    if token == i64::MIN {
        i64::MAX
    } else {
        token
    }
}

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

fn mix_k1(k1: u64) -> u64 {
    k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
}

fn mix_k2(k2: u64) -> u64 {
    k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
}

/// Cassandra reads tail bytes as signed Java bytes and widens them to long (sign extension).
fn tail_byte(b: u8, shift: u32) -> u64 {
    ((b as i8) as i64 as u64) << shift
}

/// MurmurHash3 x64_128 exactly as Cassandra's `MurmurHash.hash3_x64_128` computes it.
pub fn murmur3_x64_128(data: &[u8], seed: u64) -> (u64, u64) {
    let mut h1 = seed;
    let mut h2 = seed;
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        let (lo, hi) = block.split_at(8);
        let k1 = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
        let k2 = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
        h1 ^= mix_k1(k1);
        h1 = h1.rotate_left(27).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(k2);
        h2 = h2.rotate_left(31).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let mut k1 = 0u64;
    let mut k2 = 0u64;
    for (i, &b) in tail.iter().enumerate().rev() {
        if i >= 8 {
            k2 ^= tail_byte(b, 8 * (i as u32 - 8));
        } else {
            k1 ^= tail_byte(b, 8 * i as u32);
        }
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

/// Serializes a partition key the way Cassandra hashes and stores it: a single component is
/// its raw bytes; a composite key is `u16 BE length ‖ bytes ‖ 0x00` per component.
pub fn serialize_partition_key(components: &[&[u8]], out: &mut Vec<u8>) {
    if let [single] = components {
        out.extend_from_slice(single);
        return;
    }
    for component in components {
        debug_assert!(component.len() <= u16::MAX as usize, "checked by the caller");
        out.extend_from_slice(&(component.len() as u16).to_be_bytes());
        out.extend_from_slice(component);
        out.push(0);
    }
}

/// Splits a serialized composite partition key back into its components.
pub fn split_partition_key(key: &[u8], nr_components: usize) -> Option<Vec<&[u8]>> {
    if nr_components == 1 {
        return Some(vec![key]);
    }
    let mut parts = Vec::with_capacity(nr_components);
    let mut rest = key;
    for _ in 0..nr_components {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = u16::from_be_bytes(*len) as usize;
        let component = tail.get(..len)?;
        rest = tail.get(len + 1..)?;
        parts.push(component);
    }
    rest.is_empty().then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cassandra_check_vectors() {
        assert_eq!(token_of(b"test"), -6017608668500074083);
        assert_eq!(token_of(b"xd"), 4507812186440344727);
        assert_eq!(token_of(b"primary_key"), -1632642444691073360);
    }

    #[test]
    fn tail_bytes_are_sign_extended() {
        // Bytes >= 0x80 in the tail exercise the sign-extension quirk; these values come from
        // the Rust scylla driver's partitioner tests (which match Cassandra).
        assert_eq!(token_of(&[0xff; 3]), token_of(&[0xff, 0xff, 0xff]));
        assert_ne!(token_of(&[0x80]), token_of(&[0x00]));
    }

    #[test]
    fn composite_keys_round_trip() {
        let mut key = Vec::new();
        serialize_partition_key(&[b"ab", b"", b"xyz"], &mut key);
        assert_eq!(key, b"\x00\x02ab\x00\x00\x00\x00\x00\x03xyz\x00");
        let parts = split_partition_key(&key, 3).unwrap();
        assert_eq!(parts, vec![&b"ab"[..], &b""[..], &b"xyz"[..]]);
        assert!(split_partition_key(&key[..5], 3).is_none());
    }
}

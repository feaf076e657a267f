//! Bound values: one generator per bind marker, writing the CQL wire encoding
//! straight into a reusable per-slot buffer ([`RawRow`]), so the hot loop does
//! no per-operation allocation and no type-dispatch through `CqlValue`.
//!
//! A value is a pure function of (column, index drawn from its population,
//! size): inserts and reads that draw the same index produce the same key.

use anyhow::{bail, Result};
use scylla::frame::response::result::{ColumnType, NativeType};
use scylla::serialize::row::{RowSerializationContext, SerializeRow};
use scylla::serialize::writers::RowWriter;
use scylla::serialize::SerializationError;

use crate::keys::Dist;
use crate::rng::{mix64, Rng};

/// How a column's value is encoded on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Blob,
    Text,
    Int,
    BigInt,
    SmallInt,
    TinyInt,
    Boolean,
    Float,
    Double,
    Uuid,
    TimeUuid,
    Timestamp,
    Date,
}

impl Encoding {
    pub fn of(typ: &ColumnType<'_>) -> Result<Self> {
        let ColumnType::Native(n) = typ else {
            bail!("unsupported bind type {typ:?} (only native types)");
        };
        Ok(match n {
            NativeType::Blob => Encoding::Blob,
            NativeType::Text | NativeType::Ascii => Encoding::Text,
            NativeType::Int => Encoding::Int,
            NativeType::BigInt | NativeType::Counter => Encoding::BigInt,
            NativeType::SmallInt => Encoding::SmallInt,
            NativeType::TinyInt => Encoding::TinyInt,
            NativeType::Boolean => Encoding::Boolean,
            NativeType::Float => Encoding::Float,
            NativeType::Double => Encoding::Double,
            NativeType::Uuid => Encoding::Uuid,
            NativeType::Timeuuid => Encoding::TimeUuid,
            NativeType::Timestamp => Encoding::Timestamp,
            NativeType::Date => Encoding::Date,
            other => bail!("unsupported bind type {other:?}"),
        })
    }
}

/// What to generate for one column: which value (population) and how long (size).
#[derive(Clone, Debug)]
pub struct ColumnSpec {
    pub population: Dist,
    pub size: Dist,
}

/// Generator for one bind marker.
#[derive(Clone, Debug)]
pub struct ColumnGen {
    /// Bind-marker (column) name, for diagnostics.
    #[allow(dead_code)]
    pub name: String,
    pub enc: Encoding,
    pub spec: ColumnSpec,
    salt: u64,
}

/// Shared read-only filler bytes (printable ASCII, valid as text and blob).
pub struct Pool(Vec<u8>);

impl Pool {
    pub fn new(len: usize, seed: u64) -> Self {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut rng = Rng::new(seed ^ 0x5EED);
        Pool((0..len.max(64)).map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize]).collect())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl ColumnGen {
    pub fn new(name: &str, enc: Encoding, spec: ColumnSpec) -> Self {
        let salt = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        ColumnGen { name: name.to_string(), enc, spec, salt }
    }

    /// Largest value size this generator can ask of the pool.
    pub fn max_size(&self) -> u64 {
        self.spec.size.max
    }

    /// Append this column's encoded value for a fresh draw.
    #[inline]
    pub fn fill(&self, rng: &mut Rng, pool: &Pool, out: &mut Vec<u8>) {
        let k = self.spec.population.sample(rng);
        self.encode(k, pool, out);
    }

    /// Append the encoding of population index `k` (deterministic in `k`).
    pub fn encode(&self, k: u64, pool: &Pool, out: &mut Vec<u8>) {
        let h = mix64(k ^ self.salt);
        match self.enc {
            Encoding::Blob | Encoding::Text => {
                let len = match self.spec.size.kind {
                    crate::keys::DistKind::Fixed(v) => v,
                    _ => self.spec.size.sample(&mut Rng::new(h)),
                } as usize;
                let len = len.min(pool.len());
                // 16 hex digits of the hash make distinct indexes distinct values;
                // the rest is filler from the pool at a hash-chosen offset.
                let head = len.min(16);
                out.extend((0..head).map(|i| HEX[((h >> (60 - 4 * i)) & 0xF) as usize]));
                let rest = len - head;
                if rest > 0 {
                    let off = (h as usize) % (pool.len() - rest + 1);
                    out.extend_from_slice(&pool.0[off..off + rest]);
                }
            }
            Encoding::Int => out.extend_from_slice(&(k as i32).to_be_bytes()),
            Encoding::BigInt => out.extend_from_slice(&(k as i64).to_be_bytes()),
            Encoding::SmallInt => out.extend_from_slice(&(k as i16).to_be_bytes()),
            Encoding::TinyInt => out.push(k as u8),
            Encoding::Boolean => out.push((k & 1) as u8),
            Encoding::Float => out.extend_from_slice(&(k as f32).to_be_bytes()),
            Encoding::Double => out.extend_from_slice(&(k as f64).to_be_bytes()),
            Encoding::Timestamp => out.extend_from_slice(&(k as i64).to_be_bytes()),
            Encoding::Date => out.extend_from_slice(&((1u32 << 31).wrapping_add(k as u32)).to_be_bytes()),
            Encoding::Uuid | Encoding::TimeUuid => {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&h.to_be_bytes());
                b[8..].copy_from_slice(&mix64(h).to_be_bytes());
                let version = if self.enc == Encoding::Uuid { 0x40 } else { 0x10 };
                b[6] = (b[6] & 0x0F) | version;
                b[8] = (b[8] & 0x3F) | 0x80;
                out.extend_from_slice(&b);
            }
        }
    }
}

/// A row of pre-encoded cells, reused across operations.
#[derive(Default, Debug)]
pub struct RawRow {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl RawRow {
    pub fn with_capacity(bytes: usize, cells: usize) -> Self {
        RawRow { buf: Vec::with_capacity(bytes), ends: Vec::with_capacity(cells) }
    }

    /// Regenerate every cell from `gens`.
    #[inline]
    pub fn fill(&mut self, gens: &[ColumnGen], rng: &mut Rng, pool: &Pool) {
        self.buf.clear();
        self.ends.clear();
        for g in gens {
            g.fill(rng, pool, &mut self.buf);
            self.ends.push(self.buf.len());
        }
    }

    #[cfg(test)]
    pub fn cell(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

impl SerializeRow for RawRow {
    fn serialize(&self, ctx: &RowSerializationContext<'_>, writer: &mut RowWriter) -> Result<(), SerializationError> {
        debug_assert_eq!(ctx.columns().len(), self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            writer.make_cell_writer().set_value(&self.buf[start..end]).map_err(SerializationError::new)?;
            start = end;
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pop: &str, size: &str) -> ColumnSpec {
        ColumnSpec { population: Dist::parse(pop, (1, 1000)).unwrap(), size: Dist::parse(size, (1, 1)).unwrap() }
    }

    #[test]
    fn values_are_deterministic_and_sized() {
        let pool = Pool::new(4096, 1);
        let g = ColumnGen::new("key", Encoding::Blob, spec("uniform", "fixed(10)"));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        g.encode(42, &pool, &mut a);
        g.encode(42, &pool, &mut b);
        assert_eq!(a, b);
        assert_eq!(a.len(), 10);
        let mut c = Vec::new();
        g.encode(43, &pool, &mut c);
        assert_ne!(a, c);
        let v = ColumnGen::new("C0", Encoding::Text, spec("uniform", "uniform(20..40)"));
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let mut o = Vec::new();
            v.fill(&mut rng, &pool, &mut o);
            assert!((20..=40).contains(&o.len()));
            assert!(std::str::from_utf8(&o).is_ok());
        }
    }

    #[test]
    fn raw_row_cells() {
        let pool = Pool::new(4096, 1);
        let gens = vec![
            ColumnGen::new("a", Encoding::Int, spec("fixed(7)", "fixed(1)")),
            ColumnGen::new("b", Encoding::Blob, spec("uniform", "fixed(34)")),
        ];
        let mut row = RawRow::default();
        row.fill(&gens, &mut Rng::new(1), &pool);
        assert_eq!(row.cell(0), &7i32.to_be_bytes());
        assert_eq!(row.cell(1).len(), 34);
    }
}

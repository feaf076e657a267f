//! Value/key distributions in cassandra-stress syntax: `fixed(N)`, `seq(A..B)`,
//! `uniform(A..B)`, `gaussian(A..B[,stdvs])`, `zipf(A..B[,s])`.
//!
//! A bare name (`uniform`, `gaussian`, `zipf`, `zipf:1.2`, `seq`) takes its range
//! from the caller (the `--partitions` population). Counts accept k/m/b suffixes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::rng::Rng;

#[derive(Clone, Debug, PartialEq)]
pub enum DistKind {
    Fixed(u64),
    Seq,
    Uniform,
    /// Normal around the middle of the range, `stdvs` standard deviations to each edge.
    Gaussian {
        stdvs: f64,
    },
    /// Zipf hot spot over ranks: `min` is the hottest value.
    Zipf {
        s: f64,
    },
}

/// A distribution over the inclusive integer range `min..=max`.
#[derive(Clone, Debug)]
pub struct Dist {
    pub kind: DistKind,
    pub min: u64,
    pub max: u64,
    zipf: Option<ZipfTable>,
    seq: Arc<AtomicU64>,
}

impl PartialEq for Dist {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind && self.min == o.min && self.max == o.max
    }
}

/// Parse `123`, `10k`, `2M`, `1B` (k = 1e3, m = 1e6, b = 1e9).
pub fn parse_count(s: &str) -> Result<u64> {
    let s = s.trim().replace('_', "");
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1_000),
        Some('m' | 'M') => (&s[..s.len() - 1], 1_000_000),
        Some('b' | 'B') => (&s[..s.len() - 1], 1_000_000_000),
        _ => (&s[..], 1),
    };
    let v: f64 = num.parse().with_context(|| format!("bad count {s:?}"))?;
    if v < 0.0 {
        bail!("negative count {s:?}");
    }
    Ok((v * mult as f64).round() as u64)
}

impl Dist {
    pub fn new(kind: DistKind, min: u64, max: u64) -> Result<Self> {
        if max < min {
            bail!("empty range {min}..{max}");
        }
        let zipf = match kind {
            DistKind::Zipf { s } => {
                if s <= 0.0 || !s.is_finite() {
                    bail!("zipf exponent must be > 0, got {s}");
                }
                Some(ZipfTable::new(max - min + 1, s))
            }
            _ => None,
        };
        Ok(Dist { kind, min, max, zipf, seq: Arc::new(AtomicU64::new(0)) })
    }

    /// Parse a spec; `default_range` is used when the spec gives no `(A..B)`.
    pub fn parse(spec: &str, default_range: (u64, u64)) -> Result<Self> {
        let spec = spec.trim();
        let (name, inner) = match spec.find('(') {
            Some(i) => {
                let inner = spec[i + 1..].strip_suffix(')').with_context(|| format!("missing ')' in {spec:?}"))?;
                (&spec[..i], Some(inner))
            }
            None => (spec, None),
        };
        let (name, colon_arg) = match name.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (name, None),
        };
        let name = name.trim().to_ascii_lowercase();
        let mut args: Vec<&str> = inner.map(|s| s.split(',').map(str::trim).collect()).unwrap_or_default();
        if let Some(a) = colon_arg {
            args.push(a);
        }
        if name == "fixed" {
            let v = parse_count(args.first().context("fixed(N) needs a value")?)?;
            return Dist::new(DistKind::Fixed(v), v, v);
        }
        let (min, max, rest) = match args.first() {
            Some(r) if r.contains("..") => {
                let (a, b) = r.split_once("..").unwrap();
                (parse_count(a)?, parse_count(b)?, &args[1..])
            }
            _ => (default_range.0, default_range.1, &args[..]),
        };
        let num = |d: f64| -> Result<f64> {
            match rest.first() {
                Some(v) => v.parse().with_context(|| format!("bad parameter in {spec:?}")),
                None => Ok(d),
            }
        };
        let kind = match name.as_str() {
            "seq" => DistKind::Seq,
            "uniform" | "uni" => DistKind::Uniform,
            "gaussian" | "gauss" | "normal" => DistKind::Gaussian { stdvs: num(3.0)? },
            "zipf" | "zipfian" => DistKind::Zipf { s: num(0.99)? },
            _ => bail!("unknown distribution {name:?} (fixed, seq, uniform, gaussian, zipf)"),
        };
        Dist::new(kind, min, max)
    }

    /// Draw a value in `min..=max`.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let span = self.max - self.min + 1;
        match self.kind {
            DistKind::Fixed(v) => v,
            DistKind::Seq => self.min + self.seq.fetch_add(1, Ordering::Relaxed) % span,
            DistKind::Uniform => self.min + rng.below(span),
            DistKind::Gaussian { stdvs } => {
                let mean = (self.min as f64 + self.max as f64) / 2.0;
                let sd = (self.max - self.min) as f64 / 2.0 / stdvs.max(1e-9);
                // Box-Muller.
                let u1 = 1.0 - rng.next_f64();
                let u2 = rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let v = (mean + z * sd).round();
                v.clamp(self.min as f64, self.max as f64) as u64
            }
            DistKind::Zipf { .. } => self.min + self.zipf.as_ref().expect("zipf table").sample(rng) - 1,
        }
    }
}

/// Zipf over ranks 1..=n by rejection-inversion (Hörmann & Derflinger), O(1) per draw.
#[derive(Clone, Debug)]
struct ZipfTable {
    n: f64,
    s: f64,
    t: f64,
    q: f64,
}

impl ZipfTable {
    fn new(n: u64, s: f64) -> Self {
        let n = n as f64;
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s != 1.0 { (n.powf(1.0 - s) - s) * q } else { 1.0 + n.ln() };
        ZipfTable { n, s, t, q }
    }

    fn inv_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let inv_b = self.inv_cdf(rng.next_f64());
            let x = (inv_b + 1.0).floor();
            let mut ratio = x.powf(-self.s);
            if x > 1.0 {
                ratio *= inv_b.powf(self.s);
            }
            if rng.next_f64() < ratio {
                return x.clamp(1.0, self.n) as u64;
            }
        }
    }
}

/// Like [`parse_count`] but keeps fractions (rates such as `2.5k` or `0.5`).
pub fn parse_count_f64(s: &str) -> Result<f64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1e3),
        Some('m' | 'M') => (&s[..s.len() - 1], 1e6),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().with_context(|| format!("bad number {s:?}"))?;
    if !(v > 0.0 && v.is_finite()) {
        bail!("rate must be positive: {s:?}");
    }
    Ok(v * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_range(spec: &str, min: u64, max: u64) -> Vec<u64> {
        let d = Dist::parse(spec, (min, max)).unwrap();
        let mut rng = Rng::new(1);
        let v: Vec<u64> = (0..20_000).map(|_| d.sample(&mut rng)).collect();
        assert!(v.iter().all(|&x| x >= min && x <= max), "{spec} out of range");
        v
    }

    #[test]
    fn all_distributions_stay_in_range() {
        check_range("uniform", 1, 1000);
        check_range("gaussian", 1, 1000);
        check_range("gaussian(1..1000,1)", 1, 1000);
        check_range("zipf", 1, 1000);
        check_range("zipf:1.0", 1, 1000);
        check_range("zipf(1..1000,1.5)", 1, 1000);
        check_range("seq", 5, 9);
        check_range("uniform(1..1)", 1, 1);
    }

    #[test]
    fn parse_forms() {
        let d = Dist::parse("uniform(1..1M)", (0, 0)).unwrap();
        assert_eq!((d.min, d.max, d.kind), (1, 1_000_000, DistKind::Uniform));
        let d = Dist::parse("fixed(34)", (0, 0)).unwrap();
        assert_eq!(d.kind, DistKind::Fixed(34));
        assert_eq!(d.sample(&mut Rng::new(0)), 34);
        let d = Dist::parse("zipf:1.2", (1, 10)).unwrap();
        assert_eq!(d.kind, DistKind::Zipf { s: 1.2 });
        assert!(Dist::parse("bogus", (1, 2)).is_err());
        assert!(Dist::parse("uniform(5..1)", (1, 2)).is_err());
        assert_eq!(parse_count("2.5k").unwrap(), 2500);
        assert_eq!(parse_count("1B").unwrap(), 1_000_000_000);
    }

    #[test]
    fn zipf_is_skewed_and_gaussian_centered() {
        let v = check_range("zipf(1..1000000,1.1)", 1, 1_000_000);
        let hot = v.iter().filter(|&&x| x <= 10).count();
        assert!(hot > v.len() / 4, "zipf not skewed: {hot}");
        let g = check_range("gaussian(0..1000)", 0, 1000);
        let mean = g.iter().sum::<u64>() as f64 / g.len() as f64;
        assert!((mean - 500.0).abs() < 10.0, "mean {mean}");
    }

    #[test]
    fn seq_wraps() {
        let d = Dist::parse("seq(1..3)", (0, 0)).unwrap();
        let mut r = Rng::new(0);
        let v: Vec<u64> = (0..5).map(|_| d.sample(&mut r)).collect();
        assert_eq!(v, vec![1, 2, 3, 1, 2]);
    }
}

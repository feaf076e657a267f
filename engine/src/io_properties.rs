//! `io_properties.yaml`: what `percore-tune io` (or Seastar's `iotune`) measured of the disks,
//! in Seastar's format (scylladb/seastar `doc/io-properties-file.md`):
//!
//! ```yaml
//! disks:
//!   - mountpoint: /var/lib/percore
//!     read_iops: 95000
//!     read_bandwidth: 545M        # bytes/s
//!     write_iops: 85000
//!     write_bandwidth: 510M
//! ```
//!
//! The four figures are required and must be positive. As in Seastar they are plain integers
//! or carry a suffix `k`/`K`, `M`, `G`, `T` (powers of 1024, optionally followed by `i`, `iB`
//! or `B`). An entry names one mount point, or several sharing one device (`mountpoints:
//! [...]`). Seastar's optional keys (`read_saturation_length`, …) and any other key are
//! ignored, as Seastar ignores them. A directory is served by the entry whose mount point is
//! its longest path prefix ([`IoProperties::disk_for`]).
//!
//! Read once at start-up, before the executors run (blocking std I/O is fine there).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use thiserror::Error;

/// `k`/`K`, `M`, `G`, `T` as Seastar's `parse_memory_size` reads them (binary multiples).
const QUANTITY_SUFFIXES: [(char, u32); 5] = [('k', 10), ('K', 10), ('M', 20), ('G', 30), ('T', 40)];
/// Unit endings Seastar strips before the multiplier (`8Mi`, `7GB`, `1TiB`).
const QUANTITY_UNIT_ENDINGS: [&str; 3] = ["iB", "i", "B"];

#[derive(Debug, Error)]
pub enum IoPropertiesError {
    #[error("cannot read io_properties_file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid io_properties_file {path}: {source}")]
    Parse { path: PathBuf, source: serde_yaml::Error },
    #[error("invalid io_properties_file {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// One measured device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskProperties {
    /// Where the device is mounted (one, or several sharing the device).
    pub mountpoints: Vec<PathBuf>,
    /// Random 4 KiB reads per second.
    pub read_iops: u64,
    /// Sequential read bandwidth, bytes/s.
    pub read_bandwidth: u64,
    /// Random 4 KiB writes per second.
    pub write_iops: u64,
    /// Sequential write bandwidth, bytes/s.
    pub write_bandwidth: u64,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoProperties {
    pub disks: Vec<DiskProperties>,
}

/// Which entry of the file serves a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskMatch<'a> {
    /// The entry whose mount point is the directory's longest path prefix.
    Mountpoint { disk: &'a DiskProperties, mountpoint: &'a Path },
    /// No mount point holds the directory, but the file has a single entry.
    OnlyEntry(&'a DiskProperties),
    /// No mount point holds the directory and the file has several entries.
    Unmatched,
}

impl IoProperties {
    /// Reads and validates the file (start-up only: blocking I/O).
    pub fn load(path: &Path) -> Result<IoProperties, IoPropertiesError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| IoPropertiesError::Read { path: path.into(), source })?;
        IoProperties::parse(&text, path)
    }

    /// Parses and validates the text of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<IoProperties, IoPropertiesError> {
        let invalid = |reason: String| IoPropertiesError::Invalid { path: path.into(), reason };
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return Err(invalid("the file is empty (expected a `disks` list)".into()));
        }
        let raw: RawFile =
            serde_yaml::from_str(text).map_err(|source| IoPropertiesError::Parse { path: path.into(), source })?;
        if raw.disks.is_empty() {
            return Err(invalid("`disks` lists no disk".into()));
        }
        let mut disks = Vec::with_capacity(raw.disks.len());
        for (i, d) in raw.disks.into_iter().enumerate() {
            let mountpoints = match (d.mountpoint, d.mountpoints) {
                (Some(one), None) => vec![one],
                (None, Some(many)) if !many.is_empty() => many,
                (None, Some(_)) => return Err(invalid(format!("disks[{i}]: `mountpoints` is empty"))),
                (None, None) => return Err(invalid(format!("disks[{i}]: missing field `mountpoint`"))),
                (Some(_), Some(_)) => {
                    return Err(invalid(format!("disks[{i}]: both `mountpoint` and `mountpoints` given")))
                }
            };
            if let Some(relative) = mountpoints.iter().find(|m| !m.is_absolute()) {
                return Err(invalid(format!("disks[{i}]: mount point {} is not an absolute path", relative.display())));
            }
            let figures = [
                ("read_iops", d.read_iops.0),
                ("read_bandwidth", d.read_bandwidth.0),
                ("write_iops", d.write_iops.0),
                ("write_bandwidth", d.write_bandwidth.0),
            ];
            if let Some((field, _)) = figures.iter().find(|(_, v)| *v == 0) {
                return Err(invalid(format!("disks[{i}] ({}): {field} must be positive", mountpoints[0].display())));
            }
            disks.push(DiskProperties {
                mountpoints,
                read_iops: d.read_iops.0,
                read_bandwidth: d.read_bandwidth.0,
                write_iops: d.write_iops.0,
                write_bandwidth: d.write_bandwidth.0,
            });
        }
        Ok(IoProperties { disks })
    }

    /// The entry serving `dir` (an absolute, preferably canonical path): the one whose mount
    /// point is its longest prefix, compared component by component (`/data` holds
    /// `/data/percore`, not `/data2`).
    pub fn disk_for(&self, dir: &Path) -> DiskMatch<'_> {
        let best = self
            .disks
            .iter()
            .flat_map(|disk| disk.mountpoints.iter().map(move |m| (disk, m.as_path())))
            .filter(|(_, mountpoint)| dir.starts_with(mountpoint))
            .max_by_key(|(_, mountpoint)| mountpoint.components().count());
        match (best, self.disks.as_slice()) {
            (Some((disk, mountpoint)), _) => DiskMatch::Mountpoint { disk, mountpoint },
            (None, [only]) => DiskMatch::OnlyEntry(only),
            (None, _) => DiskMatch::Unmatched,
        }
    }
}

/// The file as written, before validation.
#[derive(Deserialize)]
struct RawFile {
    disks: Vec<RawDisk>,
}

#[derive(Deserialize)]
struct RawDisk {
    mountpoint: Option<PathBuf>,
    mountpoints: Option<Vec<PathBuf>>,
    read_iops: Quantity,
    read_bandwidth: Quantity,
    write_iops: Quantity,
    write_bandwidth: Quantity,
}

/// A figure: a YAML integer or a string with Seastar's binary suffixes.
struct Quantity(u64);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

struct QuantityVisitor;

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative integer, optionally with a suffix k, M, G or T (e.g. 545M)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
        Ok(Quantity(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
        u64::try_from(v).map(Quantity).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
        parse_quantity(v).map(Quantity).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `545M` → 545 × 2^20, as Seastar's `parse_memory_size`; `None` if malformed or too large.
pub fn parse_quantity(text: &str) -> Option<u64> {
    let mut rest = text.trim();
    if let Some(ending) = QUANTITY_UNIT_ENDINGS.iter().find(|e| rest.ends_with(*e)) {
        rest = &rest[..rest.len() - ending.len()];
    }
    let mut shift = 0;
    if let Some((suffix, power)) = QUANTITY_SUFFIXES.iter().find(|(s, _)| rest.ends_with(*s)) {
        rest = &rest[..rest.len() - suffix.len_utf8()];
        shift = *power;
    }
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<IoProperties, IoPropertiesError> {
        IoProperties::parse(text, Path::new("/etc/percore/io_properties.yaml"))
    }

    /// What `percore-tune io` writes (serde_yaml's flush-left list).
    const TUNE_OUTPUT: &str = "# Generated by percore-tune io; Seastar io-properties format. Bandwidths are bytes/s.\n\
        disks:\n- mountpoint: /var/lib/percore\n  read_iops: 95000\n  read_bandwidth: 545000000\n  \
        write_iops: 85000\n  write_bandwidth: 510000000\n";

    #[test]
    fn percore_tune_output_parses() {
        let p = parse(TUNE_OUTPUT).unwrap();
        assert_eq!(
            p.disks,
            vec![DiskProperties {
                mountpoints: vec![PathBuf::from("/var/lib/percore")],
                read_iops: 95000,
                read_bandwidth: 545_000_000,
                write_iops: 85000,
                write_bandwidth: 510_000_000,
            }]
        );
    }

    #[test]
    fn seastar_example_with_indented_list_suffixes_and_optional_keys() {
        let text = "disks:\n  - mountpoint: /var/lib/some_seastar_app\n    read_iops: 95000\n    \
                    read_bandwidth: 545M\n    write_iops: 85k\n    write_bandwidth: 510MiB\n    \
                    write_saturation_length: 64k\n";
        let d = &parse(text).unwrap().disks[0];
        assert_eq!(d.read_bandwidth, 545 << 20);
        assert_eq!(d.write_iops, 85 << 10);
        assert_eq!(d.write_bandwidth, 510 << 20);
        let several = "disks:\n  - mountpoints:\n      - /a/one\n      - /a/two\n    read_iops: 1\n    \
                       read_bandwidth: 2\n    write_iops: 3\n    write_bandwidth: \"4\"\n";
        let d = &parse(several).unwrap().disks[0];
        assert_eq!(d.mountpoints, vec![PathBuf::from("/a/one"), PathBuf::from("/a/two")]);
        assert_eq!(d.write_bandwidth, 4);
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("5"), Some(5));
        assert_eq!(parse_quantity("4k"), Some(4 << 10));
        assert_eq!(parse_quantity("8Mi"), Some(8 << 20));
        assert_eq!(parse_quantity("7GB"), Some(7 << 30));
        assert_eq!(parse_quantity("1TiB"), Some(1 << 40));
        for bad in ["", "M", "1.5G", "-3", "12X", "99999999T"] {
            assert_eq!(parse_quantity(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_missing_figure_names_the_field_and_the_file() {
        let text = "disks:\n- mountpoint: /x\n  read_iops: 1\n  read_bandwidth: 2\n  write_iops: 3\n";
        let message = parse(text).unwrap_err().to_string();
        assert!(message.contains("write_bandwidth"), "{message}");
        assert!(message.contains("/etc/percore/io_properties.yaml"), "{message}");
        let message = parse("disks:\n- read_iops: 1\n  read_bandwidth: 2\n  write_iops: 3\n  write_bandwidth: 4\n")
            .unwrap_err()
            .to_string();
        assert!(message.contains("mountpoint"), "{message}");
    }

    #[test]
    fn invalid_files_are_refused() {
        let cases = [
            ("", "disks"),
            ("disks: []\n", "no disk"),
            ("disk:\n- mountpoint: /x\n", "disks"),
            ("disks:\n- mountpoint: /x\n  read_iops: 0\n  read_bandwidth: 2\n  write_iops: 3\n  write_bandwidth: 4\n", "read_iops must be positive"),
            ("disks:\n- mountpoint: x\n  read_iops: 1\n  read_bandwidth: 2\n  write_iops: 3\n  write_bandwidth: 4\n", "absolute"),
            ("disks:\n- mountpoint: /x\n  read_iops: lots\n  read_bandwidth: 2\n  write_iops: 3\n  write_bandwidth: 4\n", "read_iops"),
            ("disks:\n- mountpoint: /x\n  read_iops: 1\n  read_bandwidth: -2\n  write_iops: 3\n  write_bandwidth: 4\n", "read_bandwidth"),
        ];
        for (text, expected) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let message = IoProperties::load(Path::new("/nonexistent/io_properties.yaml")).unwrap_err().to_string();
        assert!(message.contains("cannot read io_properties_file /nonexistent/io_properties.yaml"), "{message}");
    }

    fn disk(mountpoint: &str, read_iops: u64) -> DiskProperties {
        DiskProperties {
            mountpoints: vec![PathBuf::from(mountpoint)],
            read_iops,
            read_bandwidth: 1,
            write_iops: 1,
            write_bandwidth: 1,
        }
    }

    #[test]
    fn the_longest_mountpoint_prefix_serves_a_directory() {
        let p = IoProperties { disks: vec![disk("/", 1), disk("/data", 2), disk("/data/fast", 3)] };
        let served_by = |dir: &str| match p.disk_for(Path::new(dir)) {
            DiskMatch::Mountpoint { disk, .. } => disk.read_iops,
            other => panic!("{dir}: {other:?}"),
        };
        assert_eq!(served_by("/data/fast/percore"), 3);
        assert_eq!(served_by("/data/fast"), 3);
        assert_eq!(served_by("/data/percore/commitlog"), 2);
        assert_eq!(served_by("/data2/percore"), 1, "components, not string prefixes");
        assert_eq!(served_by("/var/lib/percore"), 1);
    }

    #[test]
    fn an_unmatched_directory_uses_a_single_entry_only() {
        let one = IoProperties { disks: vec![disk("/mnt/nvme", 1)] };
        assert!(matches!(one.disk_for(Path::new("/var/lib/percore")), DiskMatch::OnlyEntry(d) if d.read_iops == 1));
        let two = IoProperties { disks: vec![disk("/mnt/a", 1), disk("/mnt/b", 2)] };
        assert_eq!(two.disk_for(Path::new("/var/lib/percore")), DiskMatch::Unmatched);
        assert!(
            matches!(two.disk_for(Path::new("/mnt/b/x")), DiskMatch::Mountpoint { disk, .. } if disk.read_iops == 2)
        );
    }
}

//! Cassandra's nodetool output shapes, as pure functions of what the node answered (unit
//! tested here): sizes and tables as Cassandra's `FileUtils` and `TableBuilder` print them,
//! and one module per group of commands.

pub mod cluster;
pub mod compaction;
pub mod gossip;
pub mod info;
pub mod status;
pub mod tablestats;

/// Bytes as Cassandra's `FileUtils.stringifyFileSize`: `#.##` of the largest binary unit
/// that fits (`306.77 KiB`, `1 MiB`, `12 bytes`).
pub fn file_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return format!("{} {unit}", two_decimals(bytes as f64 / size as f64));
        }
    }
    format!("{bytes} bytes")
}

/// `DecimalFormat("#.##")`: at most two decimals, no trailing zeros.
fn two_decimals(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value that may be NaN as Java prints it with a fixed number of decimals.
pub fn java_fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else {
        format!("{value:.decimals$}")
    }
}

/// Cassandra's `TableBuilder`: columns padded to their widest cell, one space apart.
#[derive(Default)]
pub struct TableBuilder {
    rows: Vec<Vec<String>>,
}

impl TableBuilder {
    pub fn add<S: ToString>(&mut self, row: &[S]) {
        self.rows.push(row.iter().map(ToString::to_string).collect());
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| self.rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push(' ');
                }
                if c + 1 < row.len() {
                    line.push_str(&format!("{cell:<width$}", width = widths[c]));
                } else {
                    line.push_str(cell);
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_as_cassandra_prints_them() {
        assert_eq!(file_size(0), "0 bytes");
        assert_eq!(file_size(1023), "1023 bytes");
        assert_eq!(file_size(1024), "1 KiB");
        assert_eq!(file_size(314_132), "306.77 KiB");
        assert_eq!(file_size(3 << 19), "1.5 MiB");
        assert_eq!(file_size(5 << 40), "5 TiB");
    }

    #[test]
    fn tables_are_aligned() {
        let mut t = TableBuilder::default();
        t.add(&["id", "keyspace"]);
        t.add(&["1234", "k"]);
        assert_eq!(t.render(), "id   keyspace\n1234 k\n");
        assert_eq!(java_fixed(f64::NAN, 3), "NaN");
        assert_eq!(java_fixed(0.5, 3), "0.500");
    }
}

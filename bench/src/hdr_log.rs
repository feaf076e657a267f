//! HdrHistogram interval log (V2, compressed, standard header) via
//! `hdrhistogram::serialization::interval_log`, readable by HdrHistogram's
//! `HistogramLogProcessor` and friends. Values are nanoseconds; the max column
//! is written in milliseconds (divisor 1e6), as the Java tools expect.
//! The interval writer borrows the file, so the reporter owns both for the run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use hdrhistogram::serialization::interval_log::{IntervalLogWriter, IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::Histogram;

/// An open log file with its header (format version, start/base time, legend) written.
pub struct HdrOut {
    out: BufWriter<File>,
    ser: V2DeflateSerializer,
}

/// Writer appending intervals to an [`HdrOut`].
pub type HdrWriter<'a> = IntervalLogWriter<'a, 'a, BufWriter<File>, V2DeflateSerializer>;

impl HdrOut {
    pub fn create(path: &Path, start: SystemTime, comment: &str) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut log = HdrOut { out: BufWriter::new(file), ser: V2DeflateSerializer::new() };
        IntervalLogWriterBuilder::new()
            .add_comment(comment)
            .add_comment("[Histogram log format version 1.3]")
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut log.out, &mut log.ser)?;
        writeln!(log.out, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")?;
        Ok(log)
    }

    /// The interval writer (max column in ms, like the Java writer's default).
    pub fn writer(&mut self) -> Result<HdrWriter<'_>> {
        Ok(IntervalLogWriterBuilder::new().with_max_value_divisor(1e6).begin_log_with(&mut self.out, &mut self.ser)?)
    }
}

/// Append one interval (`start` relative to the base time).
pub fn write(
    w: &mut HdrWriter<'_>,
    h: &Histogram<u64>,
    start: Duration,
    len: Duration,
    tag: Option<&str>,
) -> Result<()> {
    w.write_histogram(h, start, len, tag.and_then(Tag::new)).map_err(|e| anyhow::anyhow!("hdr log: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn writes_a_readable_log() {
        let path = std::env::temp_dir().join(format!("percore-bench-{}.hlog", std::process::id()));
        let t0 = SystemTime::now();
        let mut log = HdrOut::create(&path, t0, "percore-bench test").unwrap();
        let mut h = crate::stats::new_histogram();
        h.record(1_000_000).unwrap();
        h.record(3_000_000).unwrap();
        {
            let mut w = log.writer().unwrap();
            write(&mut w, &h, Duration::from_secs(0), Duration::from_secs(1), None).unwrap();
            write(&mut w, &h, Duration::from_secs(1), Duration::from_secs(1), Some("write")).unwrap();
        }
        drop(log);
        let text = std::fs::read(&path).unwrap();
        let s = String::from_utf8_lossy(&text);
        assert!(s.starts_with("#percore-bench test\n#[Histogram log format version 1.3]\n#[StartTime: "), "{s}");
        assert!(s.contains("\n\"StartTimestamp\",\"Interval_Length\""));
        assert!(s.contains("#[BaseTime: "));
        let hist: Vec<_> = IntervalLogIterator::new(&text)
            .filter_map(|e| match e.unwrap() {
                LogEntry::Interval(i) => Some((i.tag().map(|t| t.as_str().to_string()), i.max())),
                _ => None,
            })
            .collect();
        assert_eq!(hist.len(), 2);
        assert_eq!(hist[1].0.as_deref(), Some("write"));
        assert!((hist[0].1 - 3.0).abs() < 0.01, "{:?}", hist);
        std::fs::remove_file(path).ok();
    }
}

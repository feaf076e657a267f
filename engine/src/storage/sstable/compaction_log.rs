//! The compaction log: which input SSTables a finished compaction replaced.
//!
//! A compaction's outputs may drop tombstones together with the data they shadow, so the
//! inputs must disappear *all* or *none*: deleting them is not atomic, and a crash between
//! two deletions could keep old data whose tombstone is gone (a resurrection). So once the
//! outputs are complete, `compaction-<first output generation>.log` is written durably
//! (temporary name, fdatasync, rename, directory fsync) listing the inputs; then the inputs
//! are deleted and the log removed. Start-up finishes any log it finds before opening the
//! directory's SSTables.
//!
//! ```text
//! "percore-compaction-log 1\n" ‖ ("remove " generation "\n")* ‖ "end\n"
//! ```
//! A log without its `end` line (impossible after the rename, but checked) is corrupt.

use std::path::{Path, PathBuf};

use super::component_file::{read_whole, sync_dir, ComponentWriter};
use super::error::SstableError;
use super::format::Generation;

const HEADER: &str = "percore-compaction-log 1";
const END: &str = "end";
const FILE_PREFIX: &str = "compaction-";
const FILE_SUFFIX: &str = ".log";
/// A log lists at most this many inputs (a compaction takes far fewer).
const MAX_LOG_BYTES: u64 = 1 << 20;

/// `<dir>/compaction-<id>.log`.
pub fn log_path(dir: &Path, id: Generation) -> PathBuf {
    dir.join(format!("{FILE_PREFIX}{id}{FILE_SUFFIX}"))
}

/// Whether a file name is a compaction log, and whether it is the temporary one.
pub fn parse_log_name(name: &str) -> Option<bool> {
    let rest = name.strip_prefix(FILE_PREFIX)?;
    let (id, temporary) = match rest.strip_suffix(".tmp") {
        Some(r) => (r.strip_suffix(FILE_SUFFIX)?, true),
        None => (rest.strip_suffix(FILE_SUFFIX)?, false),
    };
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(temporary)
}

pub fn encode(inputs: &[Generation]) -> String {
    let mut text = format!("{HEADER}\n");
    for g in inputs {
        text.push_str(&format!("remove {g}\n"));
    }
    text.push_str(END);
    text.push('\n');
    text
}

pub fn decode(text: &str) -> Option<Vec<Generation>> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut inputs = Vec::new();
    for line in lines.by_ref() {
        if line == END {
            return lines.next().is_none().then_some(inputs);
        }
        inputs.push(line.strip_prefix("remove ")?.parse().ok()?);
    }
    None
}

/// Writes the log durably (its rename made durable by a directory fsync).
pub async fn write_log(dir: &Path, id: Generation, inputs: &[Generation]) -> Result<PathBuf, SstableError> {
    let target = log_path(dir, id);
    let temp = target.with_extension("log.tmp");
    let mut w = ComponentWriter::create_at(temp, target.clone()).await?;
    w.write(encode(inputs).as_bytes()).await?;
    w.commit().await?;
    sync_dir(dir).await?;
    Ok(target)
}

/// The inputs a log lists.
pub async fn read_log(path: &Path) -> Result<Vec<Generation>, SstableError> {
    let bytes = read_whole(path, MAX_LOG_BYTES).await?;
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(decode)
        .ok_or_else(|| SstableError::corrupt(path, 0, "not a complete compaction log"))
}

/// Removes a finished log (its inputs are gone).
pub async fn remove_log(dir: &Path, path: &Path) -> Result<(), SstableError> {
    glommio::io::remove(path).await.map_err(SstableError::io("remove", path))?;
    sync_dir(dir).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_torn_logs() {
        let text = encode(&[3, 7, 12]);
        assert_eq!(decode(&text), Some(vec![3, 7, 12]));
        assert_eq!(decode(&encode(&[])), Some(vec![]));
        assert_eq!(decode(&text[..text.len() - 4]), None, "no end line");
        assert_eq!(decode("garbage\nend\n"), None);
        assert_eq!(decode(&format!("{text}remove 1\n")), None, "nothing after end");
    }

    #[test]
    fn names() {
        let p = log_path(Path::new("/d"), 42);
        assert_eq!(p, Path::new("/d/compaction-42.log"));
        assert_eq!(parse_log_name("compaction-42.log"), Some(false));
        assert_eq!(parse_log_name("compaction-42.log.tmp"), Some(true));
        assert_eq!(parse_log_name("compaction-.log"), None);
        assert_eq!(parse_log_name("42-Data.db"), None);
    }
}

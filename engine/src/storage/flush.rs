//! Memtable flush: seal a table's active memtable (a new one takes writes at once), write
//! it as an SSTable through DMA streams, open it, swap it in for the sealed memtable, and
//! release the commitlog segments the memtable kept alive. Runs in the shard's
//! low-priority flush task queue so foreground requests keep their latency.
//!
//! SSTables live in `<data>/data/<keyspace>/<table>-<id>/shard-<n>-of-<m>/`: each shard
//! writes its own directory; `m` records the shard count, so after a restart with another
//! `--smp` the SSTables are recognised as foreign (they hold partitions of several shards).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::commitlog::Commitlog;
use super::memtable::Memtable;
use super::shard_store::ShardStore;
use super::sstable::{Generation, SstableError, SstableReader, SstableWriter, SstableWriterOptions, Statistics};
use super::table_options::StorageOptions;

/// The directory holding one shard's SSTables of a table.
pub fn sstable_directory(data_dir: &Path, table: &StorageOptions, shard: usize, nr_shards: usize) -> PathBuf {
    table_directory(data_dir, table).join(format!("shard-{shard}-of-{nr_shards}"))
}

pub fn table_directory(data_dir: &Path, table: &StorageOptions) -> PathBuf {
    data_dir.join("data").join(&table.keyspace).join(format!("{}-{}", table.name, table.id.simple()))
}

/// Parses `shard-<n>-of-<m>`.
pub fn parse_shard_directory(name: &str) -> Option<(usize, usize)> {
    let (n, m) = name.strip_prefix("shard-")?.split_once("-of-")?;
    Some((n.parse().ok()?, m.parse().ok()?))
}

/// Creates `dir` and its missing parents through glommio (no blocking call on the executor).
pub async fn create_directories(dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if glommio::io::Directory::open(d).await.is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    for d in missing.into_iter().rev() {
        if let Err(e) = glommio::io::Directory::create(&d).await {
            let exists =
                matches!(&e, glommio::GlommioError::IoError(io) if io.kind() == std::io::ErrorKind::AlreadyExists);
            if !exists {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// A sealed memtable waiting to become an SSTable.
pub struct SealedMemtable {
    pub memtable: Rc<Memtable>,
    pub generation: Generation,
}

/// Seals the table's active memtable for flushing; `None` when it is empty.
pub fn seal(store: &RefCell<ShardStore>, directory: &Path, table: &StorageOptions) -> Option<SealedMemtable> {
    let mut store = store.borrow_mut();
    let t = store.table_mut(&table.id);
    t.directory.get_or_insert_with(|| directory.to_path_buf());
    t.seal().map(|(memtable, generation)| SealedMemtable { memtable, generation })
}

/// Whether a sealed memtable still waits for its SSTable (not dropped or truncated since).
pub fn still_sealed(store: &RefCell<ShardStore>, table: &StorageOptions, memtable: &Rc<Memtable>) -> bool {
    store.borrow().table(&table.id).is_some_and(|t| t.flushing.iter().any(|m| Rc::ptr_eq(m, memtable)))
}

/// A fresh generation number for a retried flush (a failed attempt may have left files).
pub fn next_generation(store: &RefCell<ShardStore>, table: &StorageOptions) -> Generation {
    let mut store = store.borrow_mut();
    let t = store.table_mut(&table.id);
    t.next_generation += 1;
    t.next_generation
}

/// Flushes the table's active memtable; `Ok(None)` when it was empty.
pub async fn flush_table(
    store: &RefCell<ShardStore>,
    commitlog: &Rc<Commitlog>,
    directory: PathBuf,
    table: &StorageOptions,
) -> Result<Option<Statistics>, (SstableError, Option<SealedMemtable>)> {
    let Some(sealed) = seal(store, &directory, table) else {
        return Ok(None);
    };
    match write_sealed(store, commitlog, &directory, table, &sealed).await {
        Ok(statistics) => Ok(Some(statistics)),
        Err(e) => Err((e, Some(sealed))),
    }
}

/// Writes a sealed memtable as an SSTable and swaps it in. On error the memtable stays
/// sealed (readable, its commitlog segments kept) for a retry.
pub async fn write_sealed(
    store: &RefCell<ShardStore>,
    commitlog: &Rc<Commitlog>,
    directory: &Path,
    table: &StorageOptions,
    sealed: &SealedMemtable,
) -> Result<Statistics, SstableError> {
    let (memtable, generation) = (&sealed.memtable, sealed.generation);
    create_directories(directory).await.map_err(|source| SstableError::Io {
        operation: "create directory",
        path: directory.to_path_buf(),
        source,
    })?;
    let options = SstableWriterOptions {
        compression: table.compression,
        bloom_filter_fp_chance: table.bloom_filter_fp_chance,
        expected_partitions: memtable.partition_count(),
        level: 0,
    };
    let mut writer = SstableWriter::create(directory, generation, options).await?;
    let mut slicer = super::cooperative::Slicer::default();
    for (position, partition) in memtable.partitions_from(None) {
        if let Err(e) = writer.write_partition(position, partition).await {
            writer.abort().await;
            return Err(e);
        }
        // Encoding is CPU work between block writes: let requests run.
        slicer.tick().await;
    }
    let statistics = writer.finish().await?;
    let reader = Rc::new(SstableReader::open(directory, generation).await?);
    let installed = still_sealed(store, table, memtable);
    if installed {
        store.borrow_mut().table_mut(&table.id).install_flushed(memtable, reader.clone());
        commitlog.release(memtable.commitlog_segments().iter().map(|(s, c)| (*s, *c)));
    } else {
        // Truncated or dropped while flushing: the data must not come back at start-up.
        super::sstable_set::delete_sstable(&reader).await;
    }
    Ok(statistics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_directories_parse() {
        assert_eq!(parse_shard_directory("shard-1-of-4"), Some((1, 4)));
        assert_eq!(parse_shard_directory("shard-x-of-4"), None);
        assert_eq!(parse_shard_directory("other"), None);
    }
}

//! Finding, opening and deleting a table's SSTables on one shard.
//!
//! At start-up each shard opens its own directory (`shard-<me>-of-<n>`, cleaning up
//! incomplete SSTables there) and every directory written under another shard count
//! (foreign: partitions of several shards; scans skip the ones this shard does not own).
//! Directory listings are blocking syscalls: they run on glommio's blocking thread pool,
//! off the reactor.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::flush::{parse_shard_directory, table_directory};
use super::shard_store::{OpenSstable, TableStore};
use super::sstable::format::{component_path, parse_file_name, Component};
use super::sstable::{remove_incomplete, Generation, SstableError, SstableReader};
use super::table_options::StorageOptions;

/// Opens the table's SSTables this shard must read into `store`.
pub async fn open_table_sstables(
    data_dir: &Path,
    table: &StorageOptions,
    shard: usize,
    nr_shards: usize,
    store: &mut TableStore,
) -> Result<usize, SstableError> {
    let dir = table_directory(data_dir, table);
    let listing = glommio::executor().spawn_blocking(move || list_shard_directories(&dir)).await?;
    let mut opened = 0;
    for (path, owner, of, foreign_generations) in listing {
        let mine = of == nr_shards && owner == shard;
        let foreign = of != nr_shards;
        if !mine && !foreign {
            continue;
        }
        let generations = if mine { remove_incomplete(&path).await? } else { foreign_generations };
        for generation in generations {
            match SstableReader::open(&path, generation).await {
                Ok(reader) => {
                    store.sstables.push(OpenSstable { reader: Rc::new(reader), foreign });
                    opened += 1;
                }
                // A foreign directory's owner may be cleaning it up concurrently.
                Err(e) if foreign => tracing::warn!("skipping SSTable {generation} in {}: {e}", path.display()),
                Err(e) => return Err(e),
            }
            if mine {
                store.next_generation = store.next_generation.max(generation);
            }
        }
        if mine {
            store.directory = Some(path);
        }
    }
    Ok(opened)
}

type ShardDirectory = (PathBuf, usize, usize, Vec<Generation>);

/// The table's `shard-<n>-of-<m>` directories with their complete generations (blocking:
/// runs on the blocking thread pool).
fn list_shard_directories(dir: &Path) -> Result<Vec<ShardDirectory>, SstableError> {
    // Blocking listing: only ever called through `spawn_blocking`, off the reactor.
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(SstableError::io("list", dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some((owner, of)) = entry.file_name().to_str().and_then(parse_shard_directory) else { continue };
        let path = entry.path();
        let generations = complete_generations(&path)?;
        out.push((path, owner, of, generations));
    }
    Ok(out)
}

/// Generations with a TOC (complete) in `dir`, without modifying it.
fn complete_generations(dir: &Path) -> Result<Vec<Generation>, SstableError> {
    // Blocking listing: called from `list_shard_directories`, on the blocking thread pool.
    let entries = std::fs::read_dir(dir).map_err(SstableError::io("list", dir))?;
    let mut generations: Vec<Generation> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(parse_file_name))
        .filter(|(_, component, temporary)| *component == Component::Toc && !temporary)
        .map(|(generation, _, _)| generation)
        .collect();
    generations.sort_unstable();
    Ok(generations)
}

/// Deletes an SSTable's files (TOC first, so a crash midway leaves an incomplete SSTable
/// that start-up removes rather than a half-deleted complete one).
pub async fn delete_sstable(reader: &SstableReader) {
    let mut components = Component::ALL.to_vec();
    components.sort_by_key(|c| *c != Component::Toc);
    for component in components {
        let path = component_path(reader.dir(), reader.generation(), component);
        if let Err(e) = glommio::io::remove(&path).await {
            let missing = matches!(&e, glommio::GlommioError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound);
            if !missing {
                tracing::warn!("cannot delete {}: {e}", path.display());
            }
        }
    }
}

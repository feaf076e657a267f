//! Start-up clean-up of a table directory: whatever a crash left behind is removed —
//! temporary files (`*.tmp`), the inputs of compactions whose log says they were replaced
//! (then the log), and every component of a generation without a `TOC.txt` — and the
//! complete generations are returned. Runs once per table before the shard serves
//! requests; listing the directory (glommio has no asynchronous readdir) runs on the
//! blocking thread pool, deletions and the directory fsync go through glommio.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::compaction_log::{parse_log_name, read_log, remove_log};
use super::component_file::sync_dir;
use super::error::SstableError;
use super::format::{parse_file_name, Component, Generation};

/// Removes leftovers of unfinished writes and compactions; returns the complete
/// generations in order.
pub async fn remove_incomplete(dir: &Path) -> Result<Vec<Generation>, SstableError> {
    let (mut files, logs) = list(dir).await?;
    for (log, temporary) in logs {
        if !temporary {
            let replaced: BTreeSet<Generation> = read_log(&log).await?.into_iter().collect();
            remove_files(dir, files.iter().filter(|(_, (g, _, _))| replaced.contains(g)).map(|(n, _)| n)).await?;
            files.retain(|(_, (g, _, _))| !replaced.contains(g));
            tracing::info!("finished the compaction recorded in {}", log.display());
        }
        remove_log(dir, &log).await?;
    }
    let complete: BTreeSet<Generation> = files
        .iter()
        .filter(|(_, (_, component, temporary))| *component == Component::Toc && !temporary)
        .map(|(_, (generation, _, _))| *generation)
        .collect();
    let garbage = files.iter().filter(|(_, (g, _, temporary))| *temporary || !complete.contains(g)).map(|(n, _)| n);
    remove_files(dir, garbage).await?;
    Ok(complete.into_iter().collect())
}

type ParsedFile = (String, (Generation, Component, bool));

/// The directory's SSTable files and compaction logs (with whether each is temporary).
/// The listing is a blocking syscall: it runs on glommio's blocking thread pool.
async fn list(dir: &Path) -> Result<(Vec<ParsedFile>, Vec<(PathBuf, bool)>), SstableError> {
    let owned = dir.to_path_buf();
    let names = glommio::executor()
        .spawn_blocking(move || -> std::io::Result<Vec<String>> {
            // Blocking listing, on the blocking thread pool (never on the reactor).
            let entries = std::fs::read_dir(&owned)?;
            let mut names = Vec::new();
            for entry in entries {
                names.extend(entry?.file_name().to_str().map(str::to_owned));
            }
            Ok(names)
        })
        .await
        .map_err(SstableError::io("list directory", dir))?;
    let (mut files, mut logs) = (Vec::new(), Vec::new());
    for name in names {
        if let Some(parsed) = parse_file_name(&name) {
            files.push((name, parsed));
        } else if let Some(temporary) = parse_log_name(&name) {
            logs.push((dir.join(&name), temporary));
        }
    }
    Ok((files, logs))
}

/// Removes the named files (TOCs first, so a crash midway leaves incomplete generations,
/// never a complete one missing a component), then syncs the directory.
async fn remove_files<'a>(dir: &Path, names: impl Iterator<Item = &'a String>) -> Result<(), SstableError> {
    let mut names: Vec<&String> = names.collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort_by_key(|n| !n.ends_with(Component::Toc.name()));
    for name in names {
        let path = dir.join(name);
        glommio::io::remove(&path).await.map_err(SstableError::io("remove", &path))?;
    }
    sync_dir(dir).await
}

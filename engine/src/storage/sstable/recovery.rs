//! Start-up clean-up of a table directory: whatever a crash left behind is removed —
//! temporary files (`*.tmp`) and every component of a generation without a `TOC.txt` —
//! and the complete generations are returned. Runs once per table before the shard
//! serves requests; listing the directory is the one synchronous call (glommio has no
//! asynchronous readdir), deletions and the directory fsync go through glommio.

use std::collections::BTreeSet;
use std::path::Path;

use super::component_file::sync_dir;
use super::error::SstableError;
use super::format::{parse_file_name, Component, Generation};

/// Removes leftovers of unfinished writes; returns the complete generations in order.
pub async fn remove_incomplete(dir: &Path) -> Result<Vec<Generation>, SstableError> {
    let directory = glommio::io::Directory::open(dir).await.map_err(SstableError::io("open directory", dir))?;
    let listing = directory.sync_read_dir().map_err(SstableError::io("list directory", dir));
    let _ = directory.close().await;
    let mut files = Vec::new();
    for entry in listing? {
        let entry = entry.map_err(SstableError::io("list directory", dir))?;
        if let Some(name) = entry.file_name().to_str() {
            if let Some(parsed) = parse_file_name(name) {
                files.push((name.to_owned(), parsed));
            }
        }
    }
    let complete: BTreeSet<Generation> = files
        .iter()
        .filter(|(_, (_, component, temporary))| *component == Component::Toc && !temporary)
        .map(|(_, (generation, _, _))| *generation)
        .collect();
    let mut removed = false;
    for (name, (generation, _, temporary)) in &files {
        if *temporary || !complete.contains(generation) {
            let path = dir.join(name);
            glommio::io::remove(&path).await.map_err(SstableError::io("remove", &path))?;
            removed = true;
        }
    }
    if removed {
        sync_dir(dir).await?;
    }
    Ok(complete.into_iter().collect())
}

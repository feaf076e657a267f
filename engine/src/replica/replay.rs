//! Commitlog replay through the write path: each shard replays the old segments dealt to
//! it, sending every mutation to its current owner (who logs it in its own new segment),
//! then deletes the replayed segment. See `storage::commitlog::replay`.

use std::path::PathBuf;
use std::rc::Rc;

use crate::model::mutation_codec::decode_batch;
use crate::storage::commitlog::replay::{read_segment, FoundSegment};

use super::apply::apply_routed;
use super::{Replica, ReplicaError};

#[derive(Debug, Default)]
pub struct ReplayStats {
    pub segments: usize,
    pub mutations: usize,
    pub skipped_entries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read commitlog segment {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("replaying {path}: {source}")]
    Apply { path: PathBuf, source: ReplicaError },
    #[error("cannot remove replayed segment {path}: {source}")]
    Remove { path: PathBuf, source: glommio::GlommioError<()> },
}

/// Replays the segments whose index modulo the shard count is this shard's id.
pub async fn replay_assigned(replica: &Rc<Replica>, segments: &[FoundSegment]) -> Result<ReplayStats, ReplayError> {
    let mut stats = ReplayStats::default();
    let mine = segments.iter().enumerate().filter(|(i, _)| i % replica.nr_shards() == replica.id).map(|(_, s)| s);
    for segment in mine {
        let path = &segment.path;
        let contents =
            read_segment(segment).await.map_err(|source| ReplayError::Read { path: path.clone(), source })?;
        if contents.unwritten {
            tracing::info!("commitlog segment {} was prepared but never written: nothing to replay", path.display());
        }
        if let Some(reason) = &contents.stopped_early {
            tracing::warn!(
                "commitlog replay of {} stopped early: {reason} (a torn tail from a crash is expected)",
                path.display()
            );
        }
        let schema = replica.schema();
        for entry in contents.entries {
            let mutations = match decode_batch(entry) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("commitlog replay of {}: skipping an entry: {e}", path.display());
                    stats.skipped_entries += 1;
                    continue;
                }
            };
            // Mutations of tables dropped or truncated since they were written are not replayed.
            let truncations = &replica.truncations_at_start;
            let live: Vec<_> = mutations
                .into_iter()
                .filter(|m| schema.table_by_id(&m.table_id).is_some() && !truncations.skips(&m.table_id, &segment.name))
                .collect();
            stats.mutations += live.len();
            apply_routed(replica, live, false)
                .await
                .map_err(|source| ReplayError::Apply { path: path.clone(), source })?;
        }
        glommio::io::remove(path).await.map_err(|source| ReplayError::Remove { path: path.clone(), source })?;
        stats.segments += 1;
    }
    Ok(stats)
}

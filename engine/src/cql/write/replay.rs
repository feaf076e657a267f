//! Commitlog replay through the write path: each shard replays the old segments dealt to
//! it, sending every mutation to its current owner (who logs it in its own new segment),
//! then deletes the replayed segment. See `storage::commitlog::replay`.

use std::rc::Rc;

use crate::model::mutation_codec::decode_batch;
use crate::runtime::shard::Shard;
use crate::storage::commitlog::replay::{read_segment, FoundSegment};

use super::apply::apply_routed;

#[derive(Debug, Default)]
pub struct ReplayStats {
    pub segments: usize,
    pub mutations: usize,
    pub skipped_entries: usize,
}

/// Replays the segments whose index modulo the shard count is this shard's id.
pub async fn replay_assigned(shard: &Rc<Shard>, segments: &[FoundSegment]) -> Result<ReplayStats, String> {
    let mut stats = ReplayStats::default();
    let mine = segments.iter().enumerate().filter(|(i, _)| i % shard.nr_shards() == shard.id).map(|(_, s)| s);
    for segment in mine {
        let path = segment.path.display().to_string();
        let contents = read_segment(segment).await.map_err(|e| format!("cannot read commitlog segment {path}: {e}"))?;
        if contents.unwritten {
            tracing::info!("commitlog segment {path} was prepared but never written: nothing to replay");
        }
        if let Some(reason) = &contents.stopped_early {
            tracing::warn!("commitlog replay of {path} stopped early: {reason} (a torn tail from a crash is expected)");
        }
        let schema = shard.schema();
        for entry in contents.entries {
            let mutations = match decode_batch(entry) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("commitlog replay of {path}: skipping an entry: {e}");
                    stats.skipped_entries += 1;
                    continue;
                }
            };
            // Mutations of tables dropped or truncated since they were written are not replayed.
            let truncations = &shard.node.truncations_at_start;
            let live: Vec<_> = mutations
                .into_iter()
                .filter(|m| schema.table_by_id(&m.table_id).is_some() && !truncations.skips(&m.table_id, &segment.name))
                .collect();
            stats.mutations += live.len();
            apply_routed(shard, live, false).await.map_err(|e| format!("replaying {path}: {}", e.message))?;
        }
        glommio::io::remove(&segment.path).await.map_err(|e| format!("cannot remove replayed segment {path}: {e}"))?;
        stats.segments += 1;
    }
    Ok(stats)
}

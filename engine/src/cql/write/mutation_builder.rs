//! Bound INSERT/UPDATE/DELETE → one [`Mutation`] per partition it touches.

use bytes::Bytes;

use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::functions::{now_micros, now_seconds};
use crate::cql::keys::{clustering_key, partition_position, slice_range};
use crate::cql::statement::modification::{ModificationKind, ModificationPlan};
use crate::cql::statement::restrictions::partition_keys;
use crate::model::cell::{Cell, DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringKey, ClusteringRange, Mutation, RowUpdate};
use crate::schema::ColumnKind;

/// Cassandra's maximum TTL: 20 years.
pub const TTL_SECONDS_MAX: i32 = 20 * 365 * 24 * 60 * 60;

/// Per-execution inputs besides the bound values.
#[derive(Debug, Clone, Copy)]
pub struct WriteContext {
    /// The client's default timestamp (QUERY/EXECUTE/BATCH parameter), microseconds.
    pub default_timestamp: Option<i64>,
    pub now_seconds: u32,
}

impl WriteContext {
    pub fn new(default_timestamp: Option<i64>) -> WriteContext {
        WriteContext { default_timestamp, now_seconds: now_seconds() }
    }
}

pub fn build(plan: &ModificationPlan, values: &BoundValues, ctx: &WriteContext) -> Result<Vec<Mutation>, CqlError> {
    let table = &plan.table;
    let timestamp = match &plan.timestamp {
        Some(e) => e.eval_i64(values, "timestamp")?,
        None => None,
    }
    .or(ctx.default_timestamp)
    .unwrap_or_else(now_micros);
    let ttl = match &plan.ttl {
        Some(e) => e.eval_i32(values, "ttl")?,
        None => None,
    }
    .unwrap_or(table.options.default_time_to_live);
    if ttl < 0 {
        return Err(CqlError::invalid(format!("A TTL must be greater or equal to 0, but was {ttl}")));
    }
    if ttl > TTL_SECONDS_MAX {
        return Err(CqlError::invalid(format!("ttl is too large. requested ({ttl}) maximum ({TTL_SECONDS_MAX})")));
    }
    let ttl = ttl as u32;
    let now = ctx.now_seconds;

    let Some(partition) = &plan.restrictions.partition else {
        return Err(CqlError::invalid("Missing mandatory PRIMARY KEY parts".into()));
    };
    let prefix = plan
        .restrictions
        .clustering_prefix
        .iter()
        .zip(&table.clustering_key)
        .map(|(e, &id)| {
            let c = table.column(id);
            e.eval_required(values, &c.ty, &c.name)
        })
        .collect::<Result<Vec<Bytes>, _>>()?;
    let full_clustering = prefix.len() == table.clustering_key.len();

    let mut cells = Vec::new();
    let mut static_cells = Vec::new();
    for (id, expr) in &plan.assignments {
        let c = table.column(*id);
        let cell = match expr.eval(values, &c.ty, &c.name)? {
            Evaluated::Unset => continue,
            Evaluated::Null => Cell::tombstone(timestamp, now),
            Evaluated::Value(v) => Cell::live(timestamp, v, ttl, now),
        };
        if c.kind == ColumnKind::Static {
            static_cells.push((*id, cell));
        } else {
            cells.push((*id, cell));
        }
    }
    for id in &plan.deleted_columns {
        let cell = Cell::tombstone(timestamp, now);
        if table.column(*id).kind == ColumnKind::Static {
            static_cells.push((*id, cell));
        } else {
            cells.push((*id, cell));
        }
    }
    let deletion = DeletionTime { marked_at: timestamp, local_deletion_time: now };

    let mut mutations = Vec::new();
    for key in partition_keys(table, partition, values)? {
        let mut m = Mutation::new(table.id, partition_position(&key));
        m.static_cells = static_cells.clone();
        match plan.kind {
            ModificationKind::Insert | ModificationKind::Update => {
                let marker = (plan.kind == ModificationKind::Insert).then(|| Liveness {
                    timestamp,
                    ttl_seconds: ttl,
                    expires_at: if ttl == 0 { NEVER_EXPIRES } else { now.saturating_add(ttl) },
                });
                if full_clustering && (!cells.is_empty() || marker.is_some()) {
                    let clustering = if table.clustering_key.is_empty() {
                        ClusteringKey::default()
                    } else {
                        clustering_key(table, prefix.clone())
                    };
                    m.rows.push(RowUpdate { clustering, marker, deletion: None, cells: cells.clone() });
                }
            }
            ModificationKind::Delete if !plan.deleted_columns.is_empty() => {
                if !cells.is_empty() {
                    let clustering = if table.clustering_key.is_empty() {
                        ClusteringKey::default()
                    } else {
                        clustering_key(table, prefix.clone())
                    };
                    m.rows.push(RowUpdate { clustering, marker: None, deletion: None, cells: cells.clone() });
                }
            }
            ModificationKind::Delete => {
                let slice = plan.restrictions.clustering_slice.as_ref();
                if prefix.is_empty() && slice.is_none() {
                    m.partition_deletion = Some(deletion);
                } else if full_clustering {
                    let clustering = clustering_key(table, prefix.clone());
                    m.rows.push(RowUpdate { clustering, marker: None, deletion: Some(deletion), cells: vec![] });
                } else {
                    let range: ClusteringRange = slice_range(table, &prefix, slice, values)?;
                    m.range_deletions.push((range, deletion));
                }
            }
        }
        mutations.push(m);
    }
    Ok(mutations)
}

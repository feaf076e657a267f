//! Coordinated range scans (Cassandra's `StorageProxy.getRangeSlice`): the scan's token
//! bounds cut along the ring into segments with one replica set each (consecutive vnode
//! ranges of the same replicas joined), walked in token order. Each segment is read from as
//! many live replicas as the level needs — from this node's shards directly when its
//! replica alone meets the level — and, when several answer, their pages are reconciled
//! partition by partition, cut at the first stop, and the replicas that differ repaired
//! (blocking) before the rows are returned. A page ends where a segment stopped at its
//! live-row limit; the caller resumes from there.

use std::collections::BTreeMap;
use std::rc::Rc;

use bytes::Bytes;
use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use uuid::Uuid;

use crate::cluster::placement::EffectiveReplicationMap;
use crate::messaging::{MessagingError, Verb};
use crate::model::mutation::Mutation;
use crate::model::mutation_codec;
use crate::model::token::Token;
use crate::model::token_bounds::TokenBounds;
use crate::replica::range_slice::{RangeCommand, RangePage, RangeStop};
use crate::replica::slice::PartitionSlice;
use crate::replica::{Partition, Replica};
use crate::runtime::metrics::ShardMetrics;
use crate::schema::{KeyspaceDef, TableDef};

use super::consistency::{BlockFor, ReplicationFactors};
use super::error::CoordinatorError;
use super::read::contacts;
use super::replica_plan::{ReplicaPlan, Target};
use super::wire::{MutationAck, MutationRequestRef, RangeReadRequest, RangeReadResponse};
use super::Coordinator;

/// Reads one page of `command`'s token range of `table` at `level`.
pub async fn read_range(
    coordinator: &Rc<Coordinator>,
    table: &TableDef,
    keyspace: &KeyspaceDef,
    command: RangeCommand,
    level: u16,
) -> Result<RangePage, CoordinatorError> {
    let Some(factors) = ReplicationFactors::of(keyspace) else {
        return node_range_page(&coordinator.replica, table.id, command).await.map_err(CoordinatorError::Placement);
    };
    let map = coordinator
        .ring
        .replication_map(&coordinator.view, keyspace)
        .map_err(|e| CoordinatorError::Placement(e.to_string()))?;
    let block_for = BlockFor::of(level, &factors, &coordinator.local_datacenter);
    let from = command.start.as_ref().map(|(p, _)| p.token);
    let mut page = RangePage::default();
    let mut live_left = command.live_rows_max;
    for (tokens, hosts) in segments(&map, command.tokens, from) {
        let plan = segment_plan(coordinator, &map, &hosts, &block_for, level)?;
        let start = command.start.clone().filter(|(p, _)| tokens.contains(p.token));
        let segment = RangeCommand { tokens, start, live_rows_max: live_left, now: command.now };
        let part = read_segment(coordinator, table, segment, &plan).await?;
        live_left = live_left.saturating_sub(live_rows(&part, command.now));
        page.partitions.extend(part.partitions);
        if part.stopped_at.is_some() || live_left == 0 {
            page.stopped_at = part.stopped_at.or_else(|| page.partitions.last().map(|(p, _)| (p.clone(), None)));
            return Ok(page);
        }
    }
    Ok(page)
}

/// The live rows of a page (as its replicas judged them at `now`).
fn live_rows(page: &RangePage, now: u32) -> u32 {
    page.partitions
        .iter()
        .map(|(_, s)| {
            let p = &s.partition;
            p.rows.iter().filter(|(k, r)| r.is_live(r.effective_deletion(p.deletion_for(k)), now)).count() as u32
        })
        .sum()
}

/// The ring cut into segments within `bounds` from token `from` on, in token order: each
/// with the host ids of its replicas; neighbours with the same replicas joined.
fn segments(map: &EffectiveReplicationMap, bounds: TokenBounds, from: Option<Token>) -> Vec<(TokenBounds, Vec<Uuid>)> {
    let ring = map.token_metadata();
    let tokens = ring.ring();
    let hosts = |position: usize| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = map.replicas_at(position).iter().map(|&i| ring.endpoint(i).host_id).collect();
        ids.sort();
        ids
    };
    let bounds = match from {
        Some(t) => intersect(bounds, TokenBounds { lower: Some((t, true)), upper: None }),
        None => Some(bounds),
    };
    let Some(bounds) = bounds else { return Vec::new() };
    if tokens.is_empty() {
        return vec![(bounds, Vec::new())];
    }
    let n = tokens.len();
    let mut raw: Vec<(TokenBounds, Vec<Uuid>)> = Vec::with_capacity(n + 1);
    raw.push((TokenBounds { lower: None, upper: Some((tokens[0].0, true)) }, hosts(0)));
    for p in 1..n {
        raw.push((TokenBounds { lower: Some((tokens[p - 1].0, false)), upper: Some((tokens[p].0, true)) }, hosts(p)));
    }
    raw.push((TokenBounds { lower: Some((tokens[n - 1].0, false)), upper: None }, hosts(0)));
    let mut joined: Vec<(TokenBounds, Vec<Uuid>)> = Vec::new();
    for (segment, ids) in raw {
        let Some(segment) = intersect(segment, bounds) else { continue };
        match joined.last_mut() {
            Some((last, last_ids)) if *last_ids == ids => last.upper = segment.upper,
            _ => joined.push((segment, ids)),
        }
    }
    joined
}

/// The tokens both bounds admit (`None`: none).
fn intersect(a: TokenBounds, b: TokenBounds) -> Option<TokenBounds> {
    // A lower bound as the least token it admits, an upper one as the greatest.
    let least =
        |l: Option<(i64, bool)>| l.map_or(Some(i64::MIN), |(t, incl)| if incl { Some(t) } else { t.checked_add(1) });
    let greatest =
        |u: Option<(i64, bool)>| u.map_or(Some(i64::MAX), |(t, incl)| if incl { Some(t) } else { t.checked_sub(1) });
    let lower = least(a.lower)?.max(least(b.lower)?);
    let upper = greatest(a.upper)?.min(greatest(b.upper)?);
    (lower <= upper).then_some(TokenBounds { lower: Some((lower, true)), upper: Some((upper, true)) })
}

/// The replicas of one segment as a plan, or `Unavailable`.
fn segment_plan(
    coordinator: &Coordinator,
    map: &EffectiveReplicationMap,
    hosts: &[Uuid],
    block_for: &BlockFor,
    level: u16,
) -> Result<ReplicaPlan, CoordinatorError> {
    let endpoints = map.token_metadata().nodes().iter().map(|n| &n.endpoint).filter(|e| hosts.contains(&e.host_id));
    coordinator.plan_for(endpoints, block_for.clone(), level)
}

/// One segment's page at the plan's level.
async fn read_segment(
    coordinator: &Rc<Coordinator>,
    table: &TableDef,
    command: RangeCommand,
    plan: &ReplicaPlan,
) -> Result<RangePage, CoordinatorError> {
    let local_suffices =
        plan.includes_local() && plan.block_for.is_met(std::iter::once(plan.targets[0].datacenter.as_str()));
    if local_suffices {
        return node_range_page(&coordinator.replica, table.id, command).await.map_err(CoordinatorError::Placement);
    }
    let (contacted, _) = contacts(plan);
    let pages = ask_all(coordinator, table.id, &command, &contacted, plan).await?;
    if pages.len() == 1 {
        return Ok(pages.into_iter().next().expect("one page"));
    }
    let (merged, repairs) = reconcile(table, pages);
    let stale: Vec<(Target, Vec<Mutation>)> =
        contacted.into_iter().zip(repairs).filter(|(_, mutations)| !mutations.is_empty()).collect();
    if !stale.is_empty() {
        ShardMetrics::inc(&coordinator.metrics().read_repairs);
        repair(coordinator, stale, plan).await?;
    }
    Ok(merged)
}

/// Asks every contact for its page of the segment; all must answer within the timeout.
async fn ask_all(
    coordinator: &Rc<Coordinator>,
    table_id: Uuid,
    command: &RangeCommand,
    contacted: &[Target],
    plan: &ReplicaPlan,
) -> Result<Vec<RangePage>, CoordinatorError> {
    let timeout = coordinator.read_timeout;
    let mut pending = FuturesUnordered::new();
    for (i, target) in contacted.iter().enumerate() {
        let command = command.clone();
        if target.is_local {
            let replica = coordinator.replica.clone();
            pending.push(glommio::spawn_local(async move {
                (i, node_range_page(&replica, table_id, command).await.map_err(Some))
            }));
        } else {
            let messaging = coordinator.messaging.clone();
            let address = target.address;
            pending.push(glommio::spawn_local(async move {
                let request = RangeReadRequest::new(table_id, &command);
                let sent: Result<RangeReadResponse, _> =
                    messaging.send_with_timeout(address, Verb::RangeRead, &request, timeout).await;
                let page = match sent {
                    Ok(response) => response.page().map_err(Some),
                    Err(MessagingError::Remote { message, .. }) => Err(Some(message)),
                    Err(_) => Err(None),
                };
                (i, page)
            }));
        }
    }
    let mut pages: Vec<Option<RangePage>> = (0..contacted.len()).map(|_| None).collect();
    let (mut failures, mut failure) = (0u32, None);
    let deadline = glommio::timer::sleep(timeout);
    futures::pin_mut!(deadline);
    while let Either::Left((Some((i, answer)), _)) = select(pending.next(), deadline.as_mut()).await {
        match answer {
            Ok(page) => pages[i] = Some(page),
            Err(Some(reason)) => {
                failures += 1;
                failure = Some(reason);
            }
            Err(None) => {}
        }
    }
    let received = pages.iter().filter(|p| p.is_some()).count() as u32;
    let block_for = contacted.len() as u32;
    if received < block_for {
        return Err(match failure {
            Some(reason) => CoordinatorError::ReadFailure {
                consistency: plan.level,
                received,
                block_for,
                failures,
                data_present: received > 0,
                reason,
            },
            None => CoordinatorError::ReadTimeout {
                consistency: plan.level,
                received,
                block_for,
                data_present: received > 0,
            },
        });
    }
    Ok(pages.into_iter().flatten().collect())
}

/// Orders stops: earlier partitions first; within one, a stop inside it (at a clustering
/// key) before the stop after all of it.
fn stop_key(stop: &RangeStop) -> (&crate::model::mutation::PartitionPosition, bool, Option<&Bytes>) {
    (&stop.0, stop.1.is_none(), stop.1.as_ref())
}

/// The replicas' pages reconciled and cut at the first stop, and for each replica the
/// mutations that bring it up to the reconciled page.
fn reconcile(table: &TableDef, pages: Vec<RangePage>) -> (RangePage, Vec<Vec<Mutation>>) {
    let stop: Option<RangeStop> =
        pages.iter().filter_map(|p| p.stopped_at.clone()).min_by(|a, b| stop_key(a).cmp(&stop_key(b)));
    let n = pages.len();
    let mut versions: BTreeMap<crate::model::mutation::PartitionPosition, Vec<Option<Partition>>> = BTreeMap::new();
    for (i, page) in pages.into_iter().enumerate() {
        for (position, slice) in page.partitions {
            let mut partition = slice.partition;
            if let Some((stop_at, clustering)) = &stop {
                if position > *stop_at {
                    continue;
                }
                if let (true, Some(c)) = (position == *stop_at, clustering) {
                    partition.rows.retain(|key, _| key <= c);
                }
            }
            versions.entry(position).or_insert_with(|| (0..n).map(|_| None).collect())[i] = Some(partition);
        }
    }
    let mut merged = RangePage { partitions: Vec::with_capacity(versions.len()), stopped_at: stop };
    let mut repairs: Vec<Vec<Mutation>> = (0..n).map(|_| Vec::new()).collect();
    for (position, copies) in versions {
        let mut whole = Partition::default();
        for copy in copies.iter().flatten() {
            whole.merge(copy.to_owned_copy());
        }
        let whole = PartitionSlice { partition: whole, stopped_at: None };
        let reference = whole.digest(table, &position);
        for (i, copy) in copies.into_iter().enumerate() {
            let differs = match copy {
                Some(partition) => PartitionSlice { partition, stopped_at: None }.digest(table, &position) != reference,
                None => true,
            };
            if differs {
                repairs[i].push(whole.to_mutation(table, &position));
            }
        }
        merged.partitions.push((position, whole));
    }
    (merged, repairs)
}

/// Blocking read repair of a range page: each stale replica's mutations, waited for.
async fn repair(
    coordinator: &Rc<Coordinator>,
    stale: Vec<(Target, Vec<Mutation>)>,
    plan: &ReplicaPlan,
) -> Result<(), CoordinatorError> {
    let timeout = coordinator.write_timeout;
    let writes = stale.into_iter().map(|(target, mutations)| async move {
        if target.is_local {
            crate::replica::apply::apply(&coordinator.replica, mutations).await.is_ok()
        } else {
            let encoded = mutation_codec::encode_batch(&mutations);
            let request = MutationRequestRef { mutations: &encoded };
            let sent: Result<MutationAck, _> =
                coordinator.messaging.send_with_timeout(target.address, Verb::Mutation, &request, timeout).await;
            sent.is_ok()
        }
    });
    let done = futures::future::join_all(writes).await;
    let failed = done.iter().filter(|ok| !**ok).count() as u32;
    if failed == 0 {
        return Ok(());
    }
    let block_for = plan.block_for.total();
    Err(CoordinatorError::ReadTimeout {
        consistency: plan.level,
        received: block_for.saturating_sub(failed),
        block_for,
        data_present: true,
    })
}

/// This node's page of a range: every shard's, merged in ring order and cut at the first
/// shard that stopped (past it, that shard said nothing).
pub async fn node_range_page(
    replica: &Rc<Replica>,
    table_id: Uuid,
    command: RangeCommand,
) -> Result<RangePage, String> {
    let schema = replica.schema();
    let table = schema.table_by_id(&table_id).ok_or_else(|| format!("unknown table {table_id}"))?.clone();
    let others = (0..replica.nr_shards()).filter(|&s| s != replica.id).map(|s| {
        let (table, command) = (table.clone(), command.clone());
        async move {
            replica
                .router
                .call(s, move |other: Rc<Replica>| async move {
                    other.scan_slices(&table, &command).await.map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
        }
    });
    let local = async { replica.scan_slices(&table, &command).await.map_err(|e| e.to_string()) };
    let (mut pages, local) = futures::future::try_join(futures::future::try_join_all(others), local).await?;
    pages.push(local);
    if pages.len() == 1 {
        return Ok(pages.pop().expect("one page"));
    }
    let stop: Option<RangeStop> =
        pages.iter().filter_map(|p| p.stopped_at.clone()).min_by(|a, b| stop_key(a).cmp(&stop_key(b)));
    let mut partitions: Vec<_> = pages.into_iter().flat_map(|p| p.partitions).collect();
    partitions.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some((stop_at, _)) = &stop {
        partitions.retain(|(p, _)| p <= stop_at);
    }
    Ok(RangePage { partitions, stopped_at: stop })
}

//! Coordinated single-partition reads (Cassandra's `StorageProxy.read` with digest reads and
//! blocking read repair): the full page from one replica (this node when it is one), digests
//! from as many others as the level needs. Equal digests: the page is the answer. A
//! mismatch: the full page from every replica contacted, reconciled cell by cell by
//! timestamp (tombstones and TTLs included), the replicas whose page differs from the
//! reconciled one repaired with it — and waited for — before the answer.
//!
//! Pages stop after a number of live rows; replicas may stop at different keys. The
//! reconciled page ends at the first stop: past it some replica said nothing, so nothing
//! there can be trusted (short-read protection by truncation; the client pages on).

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use uuid::Uuid;

use crate::messaging::{MessagingError, Verb};
use crate::model::mutation::PartitionPosition;
use crate::model::mutation_codec;
use crate::replica::apply::apply;
use crate::replica::slice::{PartitionSlice, SliceCommand};
use crate::replica::{Partition, Replica};
use crate::runtime::metrics::ShardMetrics;
use crate::schema::TableDef;

use super::consistency::BlockFor;
use super::error::CoordinatorError;
use super::replica_handlers::read_page;
use super::replica_plan::{ReplicaPlan, Target};
use super::speculation::SpeculativeRetry;
use super::wire::{MutationAck, MutationRequestRef, ReadKind, ReadRequest, ReadResponse};
use super::Coordinator;

/// How one replica answered a read.
enum ReadAnswer {
    Page(ReadResponse),
    Failed(String),
    Lost,
}

/// The replicas a read contacts — the first live ones (in the plan's order) whose answers
/// count, until the level would be met — and the live ones left to speculate on.
pub(super) fn contacts(plan: &ReplicaPlan) -> (Vec<Target>, Vec<Target>) {
    let mut chosen: Vec<Target> = Vec::new();
    let mut spares: Vec<Target> = Vec::new();
    for target in plan.alive() {
        if !plan.block_for.counts(&target.datacenter) {
            continue;
        }
        let mut needed = !plan.block_for.is_met(chosen.iter().map(|t| t.datacenter.as_str()));
        if let BlockFor::EachQuorum(dcs) = &plan.block_for {
            let have = chosen.iter().filter(|t| t.datacenter == target.datacenter).count() as u32;
            let need = dcs.iter().find(|(dc, _)| *dc == target.datacenter).map_or(0, |(_, n)| *n);
            needed &= have < need;
        }
        if needed {
            chosen.push(target.clone());
        } else {
            spares.push(target.clone());
        }
    }
    (chosen, spares)
}

/// Reads one page of `table`'s partition at the plan's level.
pub async fn read(
    coordinator: &Rc<Coordinator>,
    table: &TableDef,
    command: SliceCommand,
    plan: &ReplicaPlan,
) -> Result<PartitionSlice, CoordinatorError> {
    let started = std::time::Instant::now();
    let timeout = coordinator.read_timeout;
    let (contacts, spares) = contacts(plan);
    let block_for = plan.block_for.total();
    let asked: Vec<(Target, ReadKind)> = contacts
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, if i == 0 { ReadKind::Data } else { ReadKind::Digest }))
        .collect();
    let policy = SpeculativeRetry::parse(&table.options.speculative_retry);
    let speculation = coordinator.read_latencies.delay(policy).filter(|_| !spares.is_empty());
    let round = Round { table_id: table.id, command: &command, timeout, speculation, need: block_for };
    let answers = gather(coordinator, &round, asked, spares, plan).await?;
    coordinator.read_latencies.record(started.elapsed());
    let data_digest = answers[0].1.digest;
    if answers.iter().all(|(_, a)| a.digest == data_digest) {
        return decode_slice(&answers[0].1);
    }
    // Digest mismatch: every answering replica's page, reconciled.
    ShardMetrics::inc(&coordinator.metrics().read_digest_mismatches);
    let targets: Vec<Target> = answers.into_iter().map(|(t, _)| t).collect();
    let round = Round {
        timeout: timeout.saturating_sub(started.elapsed()),
        speculation: None,
        need: targets.len() as u32,
        ..round
    };
    let asked = targets.iter().map(|t| (t.clone(), ReadKind::Data)).collect();
    let full = gather(coordinator, &round, asked, Vec::new(), plan).await?;
    let targets: Vec<Target> = full.iter().map(|(t, _)| t.clone()).collect();
    let slices: Vec<PartitionSlice> = full.iter().map(|(_, a)| decode_slice(a)).collect::<Result<_, _>>()?;
    let (merged, stale) = reconcile(table, &command, slices);
    if !stale.is_empty() {
        ShardMetrics::inc(&coordinator.metrics().read_repairs);
        let repair = merged.to_mutation(table, &command.position);
        let stale: Vec<Target> = stale.iter().map(|&i| targets[i].clone()).collect();
        repair_replicas(coordinator, repair, &stale, plan, block_for).await?;
    }
    Ok(merged)
}

/// One round of reads: what is read, how long it may take, when to speculate, and how
/// many answers (one of them with data) end it.
#[derive(Clone, Copy)]
struct Round<'a> {
    table_id: Uuid,
    command: &'a SliceCommand,
    timeout: Duration,
    speculation: Option<Duration>,
    need: u32,
}

/// Asks `asked` (and, after the speculation delay, one spare) and returns `need` answers
/// with the data answer first — or the timeout or failure Cassandra would report.
async fn gather(
    coordinator: &Rc<Coordinator>,
    round: &Round<'_>,
    asked: Vec<(Target, ReadKind)>,
    spares: Vec<Target>,
    plan: &ReplicaPlan,
) -> Result<Vec<(Target, ReadResponse)>, CoordinatorError> {
    let started = std::time::Instant::now();
    let mut targets: Vec<Target> = Vec::new();
    let mut pending = FuturesUnordered::new();
    for (target, kind) in asked {
        pending.push(send_read(coordinator, round, &target, kind, targets.len()));
        targets.push(target);
    }
    let mut spares = spares.into_iter();
    let mut speculate_at = round.speculation.map(|d| started + d);
    let deadline = started + round.timeout;
    let mut pages: Vec<(usize, ReadResponse)> = Vec::new();
    let (mut failures, mut failure) = (0u32, None);
    let enough =
        |pages: &[(usize, ReadResponse)]| pages.len() as u32 >= round.need && pages.iter().any(|(_, p)| p.is_data());
    while !enough(&pages) && !pending.is_empty() {
        let wake = speculate_at.map_or(deadline, |s| s.min(deadline));
        let now = std::time::Instant::now();
        let timer = glommio::timer::sleep(wake.saturating_duration_since(now));
        match select(pending.next(), std::pin::pin!(timer)).await {
            Either::Left((Some((i, answer)), _)) => match answer {
                ReadAnswer::Page(page) => pages.push((i, page)),
                ReadAnswer::Failed(reason) => {
                    failures += 1;
                    failure = Some(reason);
                }
                ReadAnswer::Lost => {}
            },
            Either::Left((None, _)) => break,
            Either::Right(_) if speculate_at.is_some_and(|s| std::time::Instant::now() >= s) && wake < deadline => {
                speculate_at = None;
                if let Some(spare) = spares.next() {
                    ShardMetrics::inc(&coordinator.metrics().read_speculative_retries);
                    let data_here = pages.iter().any(|(_, p)| p.is_data());
                    let kind = if data_here { ReadKind::Digest } else { ReadKind::Data };
                    pending.push(send_read(coordinator, round, &spare, kind, targets.len()));
                    targets.push(spare);
                }
            }
            Either::Right(_) => break,
        }
    }
    // Reads left unanswered are abandoned (dropping their tasks cancels them).
    drop(pending);
    let data_present = pages.iter().any(|(_, p)| p.is_data());
    if !enough(&pages) {
        let received = pages.len() as u32;
        return Err(match failure {
            Some(reason) => CoordinatorError::ReadFailure {
                consistency: plan.level,
                received,
                block_for: round.need,
                failures,
                data_present,
                reason,
            },
            None => {
                CoordinatorError::ReadTimeout { consistency: plan.level, received, block_for: round.need, data_present }
            }
        });
    }
    // The data answer first, then the digests (at most `need` answers in all).
    pages.sort_by_key(|(_, p)| !p.is_data());
    pages.truncate(round.need as usize);
    Ok(pages.into_iter().map(|(i, p)| (targets[i].clone(), p)).collect())
}

/// Sends one read (locally to the owning shard, or over messaging) as a task.
fn send_read(
    coordinator: &Rc<Coordinator>,
    round: &Round<'_>,
    target: &Target,
    kind: ReadKind,
    index: usize,
) -> glommio::Task<(usize, ReadAnswer)> {
    let (table_id, command, timeout) = (round.table_id, round.command.clone(), round.timeout);
    if target.is_local {
        let replica = coordinator.replica.clone();
        glommio::spawn_local(async move { (index, local_read(&replica, kind, table_id, command).await) })
    } else {
        let messaging = coordinator.messaging.clone();
        let address = target.address;
        glommio::spawn_local(async move {
            let request = ReadRequest::new(kind, table_id, &command);
            let sent = messaging.send_with_timeout(address, Verb::Read, &request, timeout).await;
            (index, remote_answer(sent))
        })
    }
}

async fn local_read(replica: &Rc<Replica>, kind: ReadKind, table_id: Uuid, command: SliceCommand) -> ReadAnswer {
    let owner = replica.owner_of(command.position.token);
    let answer = if owner == replica.id {
        read_page(replica, kind, table_id, command).await
    } else {
        replica
            .router
            .call(owner, move |owner: Rc<Replica>| async move { read_page(&owner, kind, table_id, command).await })
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    };
    match answer {
        Ok(page) => ReadAnswer::Page(page),
        Err(reason) => ReadAnswer::Failed(reason),
    }
}

fn remote_answer(sent: Result<ReadResponse, MessagingError>) -> ReadAnswer {
    match sent {
        Ok(page) => ReadAnswer::Page(page),
        Err(MessagingError::Remote { message, .. }) => ReadAnswer::Failed(message),
        Err(_) => ReadAnswer::Lost,
    }
}

fn decode_slice(page: &ReadResponse) -> Result<PartitionSlice, CoordinatorError> {
    let mutation = mutation_codec::decode(Bytes::copy_from_slice(&page.data))
        .map_err(|e| CoordinatorError::Placement(format!("a replica sent an undecodable page: {e}")))?;
    Ok(PartitionSlice {
        partition: Partition::from_mutation(mutation),
        stopped_at: page.stopped_at.as_ref().map(|k| Bytes::copy_from_slice(k)),
    })
}

/// The replicas' pages reconciled, cut at the first stop; and which replicas' pages
/// (indexes into `slices`) differ from it.
fn reconcile(table: &TableDef, command: &SliceCommand, slices: Vec<PartitionSlice>) -> (PartitionSlice, Vec<usize>) {
    let stop =
        slices
            .iter()
            .filter_map(|s| s.stopped_at.clone())
            .reduce(|a, b| if (a < b) != command.reversed { a } else { b });
    let cut: Vec<PartitionSlice> = slices
        .into_iter()
        .map(|mut s| {
            if let Some(stop) = &stop {
                s.partition.rows.retain(|key, _| if command.reversed { key >= stop } else { key <= stop });
            }
            s.stopped_at = stop.clone();
            s
        })
        .collect();
    let mut merged = PartitionSlice { partition: Partition::default(), stopped_at: stop };
    for s in &cut {
        merged.partition.merge(s.partition.to_owned_copy());
    }
    let position: &PartitionPosition = &command.position;
    let reconciled = merged.digest(table, position);
    let stale =
        cut.iter().enumerate().filter(|(_, s)| s.digest(table, position) != reconciled).map(|(i, _)| i).collect();
    (merged, stale)
}

/// Blocking read repair: the reconciled page written to the stale replicas, waited for.
async fn repair_replicas(
    coordinator: &Rc<Coordinator>,
    repair: crate::model::mutation::Mutation,
    targets: &[Target],
    plan: &ReplicaPlan,
    block_for: u32,
) -> Result<(), CoordinatorError> {
    let timeout = coordinator.write_timeout;
    let encoded = mutation_codec::encode_batch(std::slice::from_ref(&repair));
    let writes = targets.iter().map(|target| {
        let (encoded, repair) = (&encoded, repair.clone());
        async move {
            if target.is_local {
                apply(&coordinator.replica, vec![repair]).await.is_ok()
            } else {
                let request = MutationRequestRef { mutations: encoded };
                let sent: Result<MutationAck, _> =
                    coordinator.messaging.send_with_timeout(target.address, Verb::Mutation, &request, timeout).await;
                sent.is_ok()
            }
        }
    });
    let repaired = futures::future::join_all(writes).await;
    if repaired.iter().all(|ok| *ok) {
        return Ok(());
    }
    let received = block_for.saturating_sub(repaired.iter().filter(|ok| !**ok).count() as u32);
    Err(CoordinatorError::ReadTimeout { consistency: plan.level, received, block_for, data_present: true })
}

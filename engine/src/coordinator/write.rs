//! Coordinated writes (Cassandra's `StorageProxy.mutate`): every mutation goes to every
//! live natural replica of its token — this node's replica through `replica::apply` (which
//! hops to the owning shard), the others as MUTATION from this shard to the same shard
//! number on the peer — and the write is acknowledged once the consistency level's
//! answers are in. The sends a reply does not wait for keep running (detached), so every
//! live replica gets the write. Too few live replicas: `Unavailable` before anything is
//! sent; too few answers within `write_request_timeout_in_ms`: `WriteTimeout` with what
//! was received; replicas answering with errors so that the level cannot be met:
//! `WriteFailure`.

use std::rc::Rc;

use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::messaging::{MessagingError, Verb};
use crate::model::mutation::Mutation;
use crate::model::mutation_codec;
use crate::replica::apply::apply;
use crate::replica::index_entries;
use crate::runtime::metrics::ShardMetrics;

use super::error::{CoordinatorError, WriteType};
use super::replica_plan::{Placement, ReplicaPlan};
use super::wire::{MutationAck, MutationRequestRef};
use super::Coordinator;

/// How one replica answered a write.
enum Answer {
    Applied,
    /// The replica answered with an error.
    Failed(String),
    /// No answer (timed out, or the connection failed): as if the message was lost.
    Lost,
}

/// Applies `mutations` at `level`: `Ok` once every mutation's level is met.
pub async fn mutate(
    coordinator: &Rc<Coordinator>,
    mutations: Vec<Mutation>,
    level: u16,
    write_type: WriteType,
) -> Result<(), CoordinatorError> {
    let schema = coordinator.replica.schema();
    // The secondary index entries the write implies travel with it, to their own replicas.
    let mut mutations = mutations;
    let entries = index_entries::derive(&schema, &mutations);
    mutations.extend(entries);
    // Every mutation is planned before any is sent: Unavailable means nothing was written.
    let mut here = Vec::new();
    let mut replicated: Vec<(Mutation, ReplicaPlan)> = Vec::new();
    for m in mutations {
        let keyspace = schema.table_by_id(&m.table_id).and_then(|t| schema.keyspace(&t.keyspace));
        let placement = match keyspace {
            Some(keyspace) => coordinator.plan(keyspace, m.position.token, level)?,
            None => Placement::NodeLocal,
        };
        match placement {
            Placement::Replicated(plan) if !plan.is_local_only() => {
                coordinator.count_placement(&plan, m.position.token);
                replicated.push((m, plan));
            }
            _ => here.push(m),
        }
    }
    let local = async {
        if here.is_empty() {
            Ok(())
        } else {
            apply(&coordinator.replica, here).await.map_err(CoordinatorError::from)
        }
    };
    let remote = futures::future::try_join_all(
        replicated.into_iter().map(|(m, plan)| write_partition(coordinator, m, plan, write_type, false)),
    );
    futures::future::try_join(local, remote).await?;
    Ok(())
}

/// Sends a mutation this node's replica has already applied (the result of a counter's
/// read-modify-write) to the other replicas, and waits for the level, this node counted.
pub async fn replicate(
    coordinator: &Rc<Coordinator>,
    mutation: Mutation,
    plan: ReplicaPlan,
    write_type: WriteType,
) -> Result<(), CoordinatorError> {
    assert!(plan.includes_local(), "only a replica replicates what it applied");
    let schema = coordinator.replica.schema();
    let entries = index_entries::derive(&schema, std::slice::from_ref(&mutation));
    let level = plan.level;
    let base = write_partition(coordinator, mutation, plan, write_type, true);
    let index = async {
        if entries.is_empty() {
            Ok(())
        } else {
            mutate(coordinator, entries, level, write_type).await
        }
    };
    futures::future::try_join(base, index).await?;
    Ok(())
}

/// Writes the secondary index entries of a mutation this node's replica applied by itself
/// (a read-modify-write whose data has no other replica).
pub async fn index_applied(
    coordinator: &Rc<Coordinator>,
    mutation: &Mutation,
    level: u16,
    write_type: WriteType,
) -> Result<(), CoordinatorError> {
    let entries = index_entries::derive(&coordinator.replica.schema(), std::slice::from_ref(mutation));
    if entries.is_empty() {
        return Ok(());
    }
    mutate(coordinator, entries, level, write_type).await
}

/// Sends one partition's mutation to its live replicas and waits for the level
/// (`local_applied`: this node's replica has it already).
async fn write_partition(
    coordinator: &Rc<Coordinator>,
    mutation: Mutation,
    plan: ReplicaPlan,
    write_type: WriteType,
    local_applied: bool,
) -> Result<(), CoordinatorError> {
    let timeout = coordinator.write_timeout;
    let encoded = Rc::new(mutation_codec::encode_batch(std::slice::from_ref(&mutation)));
    let mut mutation = Some(mutation);
    let mut pending = FuturesUnordered::new();
    let block_for = &plan.block_for;
    let mut acknowledged: Vec<String> = Vec::new();
    for target in plan.alive() {
        let datacenter = target.datacenter.clone();
        if target.is_local && local_applied {
            if block_for.counts(&datacenter) {
                acknowledged.push(datacenter);
            }
            continue;
        }
        let task = if target.is_local {
            let m = mutation.take().expect("one local replica");
            let replica = coordinator.replica.clone();
            glommio::spawn_local(async move {
                let answer = match apply(&replica, vec![m]).await {
                    Ok(()) => Answer::Applied,
                    Err(e) => Answer::Failed(e.to_string()),
                };
                (datacenter, answer)
            })
        } else {
            let messaging = coordinator.messaging.clone();
            let (address, bytes) = (target.address, encoded.clone());
            glommio::spawn_local(async move {
                let request = MutationRequestRef { mutations: &bytes };
                let sent: Result<MutationAck, _> =
                    messaging.send_with_timeout(address, Verb::Mutation, &request, timeout).await;
                (datacenter, remote_answer(sent))
            })
        };
        pending.push(task);
    }
    let mut counting_left =
        plan.alive().filter(|t| block_for.counts(&t.datacenter) && !(t.is_local && local_applied)).count() as u32;
    if block_for.is_met(acknowledged.iter().map(String::as_str)) {
        for task in pending {
            task.detach();
        }
        return Ok(());
    }
    let (mut failures, mut reason) = (0u32, String::new());
    let deadline = glommio::timer::sleep(timeout);
    futures::pin_mut!(deadline);
    let outcome = loop {
        let next = pending.next();
        match select(next, deadline.as_mut()).await {
            Either::Left((Some((datacenter, answer)), _)) => {
                let counts = block_for.counts(&datacenter);
                counting_left -= u32::from(counts);
                match answer {
                    Answer::Applied if counts => acknowledged.push(datacenter),
                    Answer::Applied | Answer::Lost => {}
                    Answer::Failed(why) => {
                        failures += 1;
                        reason = why;
                    }
                }
                if block_for.is_met(acknowledged.iter().map(String::as_str)) {
                    break Ok(());
                }
                let possible = acknowledged.len() as u32 + counting_left;
                if failures > 0 && possible < block_for.total() {
                    break Err(CoordinatorError::WriteFailure {
                        consistency: plan.level,
                        received: acknowledged.len() as u32,
                        block_for: block_for.total(),
                        failures,
                        write_type,
                        reason,
                    });
                }
            }
            // Every live replica answered (or was lost) and the level is not met: wait the
            // timeout out as Cassandra does only when answers may still come; none can.
            Either::Left((None, _)) | Either::Right(_) => {
                break Err(CoordinatorError::WriteTimeout {
                    consistency: plan.level,
                    received: acknowledged.len() as u32,
                    block_for: block_for.total(),
                    write_type,
                });
            }
        }
    };
    // The replicas not waited for still get the write.
    for task in pending {
        task.detach();
    }
    if outcome.is_err() {
        ShardMetrics::inc(&coordinator.metrics().coordinator_write_errors);
    }
    outcome
}

fn remote_answer(sent: Result<MutationAck, MessagingError>) -> Answer {
    match sent {
        Ok(MutationAck) => Answer::Applied,
        Err(MessagingError::Remote { message, .. }) => Answer::Failed(message),
        Err(_) => Answer::Lost,
    }
}

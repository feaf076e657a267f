//! Bringing a node into its cluster at start-up (on shard 0, after commitlog replay and
//! before any shard opens its CQL port): open group 0; a node that is not yet a member
//! founds a new cluster (no seeds, or it is the first seed) or joins one through its seeds;
//! a member whose address, placement or shard count changed tells group 0. Also the
//! listener that applies every committed group 0 change on this node: the ring to every
//! shard's view, the schema to every shard (with its events and index builds).

use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;

use crate::cluster::failure_detector::{EchoReply, EchoRequest, FailureDetector, LivenessListener};
use crate::cluster::group0::command::{Change, Group0Command};
use crate::cluster::group0::network::Group0Transport;
use crate::cluster::group0::service::{choose_tokens, Group0, Group0Error};
use crate::cluster::group0::state::{AppliedEffects, Group0State, NodeRecord, NodeStatus};
use crate::cluster::group0::state_machine::AppliedStateListener;
use crate::cluster::view::ClusterView;
use crate::cql::ddl;
use crate::cql::shard::Shard;
use crate::cql::system_tables::node_tables::RELEASE_VERSION;
use crate::messaging::{Messaging, Verb};
use crate::schema::persist;
use crate::transport::events::EventSubscribers;

/// Where group 0 keeps its log and state, under the data directory.
pub const GROUP0_DIRECTORY: &str = "group0";
/// How long a new node keeps asking its seeds to let it in.
const JOIN_DEADLINE: Duration = Duration::from_secs(120);

/// Applies committed group 0 changes on this node (runs on shard 0).
pub struct AppliedStateInstaller {
    pub shard: Rc<Shard>,
}

impl AppliedStateListener for AppliedStateInstaller {
    fn applied(&self, state: Arc<Group0State>, effects: AppliedEffects) -> LocalBoxFuture<'_, ()> {
        Box::pin(async move {
            let shard = &self.shard;
            let previous = shard.cluster.state();
            let view_state = state.clone();
            let installed = shard
                .router
                .call_all(shard.nr_shards(), move |view: Rc<ClusterView>| {
                    let state = view_state.clone();
                    async move { view.install(state) }
                })
                .await;
            if let Err(e) = installed {
                tracing::error!("group 0: cannot install the ring on every shard: {e}");
            }
            announce_ring_changes(shard, &previous, &state).await;
            if !effects.schema_changed {
                return;
            }
            let schema = match persist::from_statements(&state.schema_statements(), &shard.node.config.data_center) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("group 0: the committed schema does not apply here: {e}");
                    return;
                }
            };
            let events = effects.events.iter().filter_map(ddl::client_event).collect();
            if let Err(e) = ddl::install_applied(shard, schema, events).await {
                tracing::error!("group 0: installing the committed schema: {}", e.message);
            }
        })
    }
}

/// `TOPOLOGY_CHANGE` to every shard's clients for each other member that became NORMAL
/// (`NEW_NODE`) or stopped being one (`REMOVED_NODE`).
async fn announce_ring_changes(shard: &Rc<Shard>, previous: &Group0State, next: &Group0State) {
    let me = shard.node.host_id;
    let normal = |state: &Group0State| -> Vec<NodeRecord> {
        state.normal_nodes().filter(|n| n.host_id != me).cloned().collect()
    };
    let (before, after) = (normal(previous), normal(next));
    let joined = after.iter().filter(|n| !before.iter().any(|b| b.host_id == n.host_id)).map(|n| ("NEW_NODE", n));
    let left = before.iter().filter(|n| !after.iter().any(|a| a.host_id == n.host_id)).map(|n| ("REMOVED_NODE", n));
    for (change, node) in joined.chain(left) {
        tracing::info!("ring: {change} {} ({})", node.address, node.host_id);
        let addr = SocketAddr::new(node.rpc_address, shard.node.config.native_transport_port);
        let told = shard
            .router
            .call_all(shard.nr_shards(), move |events: Rc<EventSubscribers>| async move {
                events.topology_changed(change, addr)
            })
            .await;
        if let Err(e) = told {
            tracing::warn!("ring: cannot tell every shard's clients of {change}: {e}");
        }
    }
}

/// Installs the failure detector's verdicts on every shard and tells clients
/// `STATUS_CHANGE`.
pub struct LivenessAnnouncer {
    pub shard: Rc<Shard>,
}

impl LivenessListener for LivenessAnnouncer {
    fn changed(&self, node: NodeRecord, up: bool) -> LocalBoxFuture<'_, ()> {
        Box::pin(async move {
            let shard = &self.shard;
            let host = node.host_id;
            let addr = SocketAddr::new(node.rpc_address, shard.node.config.native_transport_port);
            let change = if up { "UP" } else { "DOWN" };
            let installed = shard
                .router
                .call_all(shard.nr_shards(), move |view: Rc<ClusterView>| async move { view.set_up(host, up) })
                .await;
            let told = shard
                .router
                .call_all(shard.nr_shards(), move |events: Rc<EventSubscribers>| async move {
                    events.status_changed(change, addr)
                })
                .await;
            if let Err(e) = installed.and(told) {
                tracing::warn!("failure detector: cannot tell every shard that {addr} is {change}: {e}");
            }
        })
    }
}

/// Makes this shard answer the failure detector's echoes.
pub fn register_echo(shard: &Rc<Shard>, messaging: &Messaging) {
    let host_id = shard.node.host_id;
    messaging.register(Verb::Echo, move |_, _: EchoRequest| async move { Ok(EchoReply { host_id }) });
}

/// Starts shard 0's failure detector (it runs until the node shuts down).
pub fn spawn_failure_detector(shard: &Rc<Shard>, messaging: Rc<Messaging>) {
    let listener = Rc::new(LivenessAnnouncer { shard: shard.clone() });
    let timeout = shard.node.config.failure_detector_timeout();
    let detector = FailureDetector::new(messaging, shard.cluster.clone(), timeout, listener);
    let node = shard.node.clone();
    glommio::spawn_local(detector.run(move || node.shutdown_requested())).detach();
}

/// This node as a ring member (tokens filled in by whoever gives them).
fn own_record(shard: &Shard, tokens: Vec<i64>) -> NodeRecord {
    let config = &shard.node.config;
    NodeRecord {
        host_id: shard.node.host_id,
        address: config.broadcast_address(),
        rpc_address: config.broadcast_rpc_address(),
        data_center: config.data_center.clone(),
        rack: config.rack.clone(),
        tokens,
        nr_shards: shard.nr_shards() as u32,
        release_version: RELEASE_VERSION.to_string(),
        status: NodeStatus::Normal,
    }
}

/// Opens group 0 on shard 0 and makes this node a member; returns once it is one.
pub async fn start(
    shard: &Rc<Shard>,
    transport: Rc<dyn Group0Transport>,
    seeds: &[IpAddr],
) -> Result<Rc<Group0>, Group0Error> {
    let config = &shard.node.config;
    let directory = config.data_directory().join(GROUP0_DIRECTORY);
    let listener = Rc::new(AppliedStateInstaller { shard: shard.clone() });
    let group0 = Group0::open(
        &directory,
        &config.cluster_name,
        shard.node.host_id,
        config.broadcast_address(),
        listener,
        transport,
    )
    .await?;
    shard.router.register(group0.clone());
    // Not a member yet, or one that stopped before its own record was applied (a
    // learner still joining, a founder that crashed half-way): become one now.
    if group0.state().node(shard.node.host_id).is_none() {
        let me = config.broadcast_address();
        if seeds.is_empty() || seeds[0] == me {
            tracing::info!("group 0: founding a new cluster '{}' as {me}", config.cluster_name);
            let tokens = choose_tokens(&Default::default(), config.num_tokens).map_err(Group0Error::Failed)?;
            let record = own_record(shard, tokens);
            group0.found(record, persist::statements_by_keyspace(&shard.schema())).await?;
        } else {
            tracing::info!("group 0: joining the cluster through seeds {seeds:?}");
            let record = own_record(shard, Vec::new());
            group0.join(seeds, record, config.num_tokens, Instant::now() + JOIN_DEADLINE).await?;
        }
        tracing::info!("group 0: this node is a member");
    } else {
        refresh_own_record(shard, &group0);
    }
    Ok(group0)
}

/// A member restarted with another address, placement or shard count: tell group 0 in the
/// background (it may have no quorum yet while the cluster restarts).
fn refresh_own_record(shard: &Rc<Shard>, group0: &Rc<Group0>) {
    let state = group0.state();
    let Some(known) = state.node(shard.node.host_id) else { return };
    let wanted = own_record(shard, known.tokens.clone());
    if *known == wanted {
        return;
    }
    let group0 = group0.clone();
    glommio::spawn_local(async move {
        loop {
            let command = Group0Command::new(group0.state().state_id, Change::UpsertNode(wanted.clone()));
            match group0.propose(command).await {
                Ok(crate::cluster::group0::command::Group0Response::Conflict { .. }) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::info!("group 0: cannot record this node's new details yet: {e}");
                    glommio::timer::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
    .detach();
}

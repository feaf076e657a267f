//! Bringing a node into its cluster at start-up (on shard 0, after commitlog replay and
//! before any shard opens its CQL port): open group 0; a node that is not yet a member
//! founds a new cluster (no seeds, or it is the first seed) or joins one through its seeds;
//! a member whose address, placement or shard count changed tells group 0. Also the
//! listener that applies every committed group 0 change on this node: the ring to every
//! shard's view, the schema to every shard (with its events and index builds).

use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;

use crate::cluster::group0::command::{Change, Group0Command};
use crate::cluster::group0::network::Group0Transport;
use crate::cluster::group0::service::{choose_tokens, Group0, Group0Error};
use crate::cluster::group0::state::{AppliedEffects, Group0State, NodeRecord, NodeStatus};
use crate::cluster::group0::state_machine::AppliedStateListener;
use crate::cluster::view::ClusterView;
use crate::cql::ddl;
use crate::cql::shard::Shard;
use crate::cql::system_tables::node_tables::RELEASE_VERSION;
use crate::schema::persist;

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
            if !effects.schema_changed {
                return;
            }
            let schema = match persist::from_statements(&state.schema, &shard.node.config.data_center) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("group 0: the committed schema does not apply here: {e}");
                    return;
                }
            };
            let event = effects.event.as_ref().and_then(ddl::client_event);
            if let Err(e) = ddl::install_applied(shard, schema, event).await {
                tracing::error!("group 0: installing the committed schema: {}", e.message);
            }
        })
    }
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
    if !group0.is_member().await {
        let me = config.broadcast_address();
        if seeds.is_empty() || seeds[0] == me {
            tracing::info!("group 0: founding a new cluster '{}' as {me}", config.cluster_name);
            let tokens = choose_tokens(&Default::default(), config.num_tokens).map_err(Group0Error::Failed)?;
            let record = own_record(shard, tokens);
            group0.found(record, persist::statements(&shard.schema())).await?;
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

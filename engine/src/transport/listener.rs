//! Listeners and connection placement. Every shard listens on both CQL ports with
//! SO_REUSEPORT; whichever shard the kernel gives a connection to decides who serves it:
//! on the shard-aware port, shard `client source port % nr_shards` (what shard-aware
//! drivers count on); on the plain port, the shard with the fewest connections. A
//! connection for another shard is handed over through a bounded cross-shard queue.

use std::net::SocketAddr;
use std::rc::Rc;

use glommio::channels::channel_mesh::{Full, MeshBuilder, Senders};
use glommio::net::{AcceptedTcpStream, TcpListener};
use glommio::Task;

use crate::cql::shard::Shard;
use crate::runtime::metrics::ShardMetrics;

use super::connection;

/// Which port a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    Plain,
    ShardAware,
}

/// An accepted connection on its way to the shard that will serve it.
pub struct Handoff {
    pub stream: AcceptedTcpStream,
    pub port: PortKind,
}

pub type HandoffMesh = MeshBuilder<Handoff, Full>;

/// The shard's listening tasks; dropping this stops accepting.
pub struct Listeners {
    _tasks: Vec<Task<()>>,
}

pub async fn start(shard: Rc<Shard>, mesh: HandoffMesh) -> std::io::Result<Listeners> {
    let (senders, mut receivers) = mesh.join().await.map_err(|e| std::io::Error::other(e.to_string()))?;
    let senders = Rc::new(senders);
    let config = &shard.node.config;
    let mut tasks = Vec::new();
    for (port, kind) in [
        (config.native_transport_port, PortKind::Plain),
        (config.native_shard_aware_transport_port, PortKind::ShardAware),
    ] {
        // SO_REUSEADDR as well as SO_REUSEPORT: the server-side ends of the previous run's
        // connections in TIME_WAIT must not keep a restarted node from listening.
        let listener = crate::runtime::listen_socket::listen(SocketAddr::new(config.rpc_address(), port), true)?;
        tasks.push(glommio::spawn_local(accept_loop(shard.clone(), senders.clone(), listener, kind)));
    }
    for (_, receiver) in receivers.streams() {
        let shard = shard.clone();
        tasks.push(glommio::spawn_local(async move {
            while let Some(handoff) = receiver.recv().await {
                serve(shard.clone(), handoff.stream, handoff.port);
            }
        }));
    }
    Ok(Listeners { _tasks: tasks })
}

async fn accept_loop(shard: Rc<Shard>, senders: Rc<Senders<Handoff>>, listener: TcpListener, port: PortKind) {
    loop {
        let stream = match listener.shared_accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("shard {}: accept failed: {e}", shard.id);
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let target = match port {
            PortKind::ShardAware => match stream.peer_addr() {
                Ok(peer) => peer.port() as usize % shard.nr_shards(),
                Err(_) => shard.id,
            },
            PortKind::Plain => least_loaded(&shard),
        };
        if ShardMetrics::get(&shard.node.metrics[target].cql_connections) >= crate::limits::SHARD_CONNECTIONS_MAX as u64
        {
            // An AcceptedTcpStream does not close its fd on drop; a bound TcpStream does.
            tracing::warn!("shard {target} is at its connection limit; refusing a connection");
            drop(stream.bind_to_executor());
            continue;
        }
        // Reserve the slot now so concurrent accepts on other shards see it.
        ShardMetrics::inc(&shard.node.metrics[target].cql_connections);
        if target == shard.id {
            serve(shard.clone(), stream, port);
        } else if let Err(e) = senders.send_to(target, Handoff { stream, port }).await {
            release_slot(&shard, target);
            tracing::warn!("shard {}: cannot hand a connection to shard {target}: {e}", shard.id);
        }
    }
}

/// The least-loaded shard, preferring this one on a tie (no handoff needed).
fn least_loaded(shard: &Shard) -> usize {
    let node = &shard.node;
    let best = node.least_loaded_shard();
    let load = |s: usize| ShardMetrics::get(&node.metrics[s].cql_connections);
    if load(shard.id) == load(best) {
        shard.id
    } else {
        best
    }
}

fn release_slot(shard: &Shard, target: usize) {
    shard.node.metrics[target].cql_connections.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

/// Serves an accepted connection on this shard (its slot is already reserved).
fn serve(shard: Rc<Shard>, stream: AcceptedTcpStream, port: PortKind) {
    let stream = stream.bind_to_executor();
    glommio::spawn_local(async move {
        connection::serve(shard.clone(), stream, port).await;
        release_slot(&shard, shard.id);
    })
    .detach();
}

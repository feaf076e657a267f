//! Accepting internode connections and placing each on its shard. Every shard listens on
//! `listen_address:storage_port` with SO_REUSEADDR and SO_REUSEPORT; whichever shard the
//! kernel hands a connection to sends it to shard `client source port % nr_shards` (the
//! client picked its port so that this is its own shard number) through a bounded
//! cross-shard queue, as the CQL shard-aware port does.

use std::os::fd::AsRawFd;
use std::rc::{Rc, Weak};

use glommio::channels::channel_mesh::{Full, MeshBuilder, Senders};
use glommio::net::{AcceptedTcpStream, TcpListener};
use glommio::Task;

use crate::limits;
use crate::runtime::listen_socket;

use super::server_connection;
use super::service::Messaging;
use super::socket_control::SocketControl;

/// An accepted internode connection on its way to the shard that serves it.
pub struct MessagingHandoff {
    stream: AcceptedTcpStream,
}

/// The cross-shard queues accepted connections travel on; every shard joins the same one.
pub type MessagingHandoffMesh = MeshBuilder<MessagingHandoff, Full>;

/// The mesh for a node of `nr_shards` shards (clone it for each shard).
pub fn handoff_mesh(nr_shards: usize) -> MessagingHandoffMesh {
    MeshBuilder::full(nr_shards, limits::MESSAGING_HANDOFF_QUEUE_DEPTH)
}

/// This shard's listening: the accepting and receiving tasks, and a handle that stops the
/// listening socket at once.
pub(super) struct Listening {
    pub tasks: Vec<Task<()>>,
    pub socket: SocketControl,
}

/// Joins the hand-over mesh and listens.
pub(super) async fn start(messaging: &Rc<Messaging>, mesh: MessagingHandoffMesh) -> std::io::Result<Listening> {
    let config = messaging.config();
    if mesh.nr_peers() != config.nr_shards {
        return Err(std::io::Error::other(format!(
            "the messaging hand-over mesh has {} shards, the node {}",
            mesh.nr_peers(),
            config.nr_shards
        )));
    }
    let (senders, mut receivers) = mesh.join().await.map_err(|e| std::io::Error::other(e.to_string()))?;
    if senders.peer_id() != config.shard {
        // glommio numbers mesh peers by executor creation order, the node by shard.
        return Err(std::io::Error::other(format!(
            "shard {} joined the messaging hand-over mesh as peer {}: executors must be created in shard order",
            config.shard,
            senders.peer_id()
        )));
    }
    let (listener, handle) = listen_socket::listen_with_handle(config.listen_socket_address(), true)?;
    let socket = SocketControl::from(handle);
    tracing::debug!("shard {} listening for internode connections on {}", config.shard, config.listen_socket_address());
    let mut tasks = vec![glommio::spawn_local(accept_loop(Rc::downgrade(messaging), senders, listener))];
    for (_, receiver) in receivers.streams() {
        let messaging = Rc::downgrade(messaging);
        tasks.push(glommio::spawn_local(async move {
            while let Some(handoff) = receiver.recv().await {
                match messaging.upgrade() {
                    Some(messaging) => serve(&messaging, handoff.stream),
                    None => close(handoff.stream),
                }
            }
        }));
    }
    Ok(Listening { tasks, socket })
}

async fn accept_loop(messaging: Weak<Messaging>, senders: Senders<MessagingHandoff>, listener: TcpListener) {
    loop {
        let accepted = listener.shared_accept().await;
        let Some(messaging) = messaging.upgrade() else { return };
        let shard = messaging.config().shard;
        let stream = match accepted {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!("shard {shard}: internode accept failed: {error}");
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let target = match stream.peer_addr() {
            Ok(peer) => peer.port() as usize % messaging.config().nr_shards,
            Err(_) => shard,
        };
        if target == shard {
            serve(&messaging, stream);
        } else if let Err(error) = senders.send_to(target, MessagingHandoff { stream }).await {
            tracing::warn!("shard {shard}: cannot hand an internode connection to shard {target}: {error}");
        }
    }
}

/// Serves an accepted connection on this shard, unless the shard is at its limit.
fn serve(messaging: &Rc<Messaging>, stream: AcceptedTcpStream) {
    if messaging.incoming_connections() >= limits::MESSAGING_INCOMING_CONNECTIONS_MAX {
        tracing::warn!(
            "shard {} serves {} internode connections already; closing a new one",
            messaging.config().shard,
            limits::MESSAGING_INCOMING_CONNECTIONS_MAX
        );
        close(stream);
        return;
    }
    let stream = stream.bind_to_executor();
    let control = SocketControl::of(stream.as_raw_fd()).ok();
    messaging.track_incoming(control, |messaging| server_connection::serve(messaging, stream));
}

/// An `AcceptedTcpStream` does not close its fd on drop; a bound `TcpStream` does.
fn close(stream: AcceptedTcpStream) {
    drop(stream.bind_to_executor());
}

//! Opening an outgoing connection without blocking the shard, from a chosen source.
//!
//! The socket is bound to this node's listen address — on one machine nodes are 127.0.0.1,
//! 127.0.0.2, …, and a peer must see the right source address — and, once the peer's shard
//! count is known, to a source port with `port % peer_shards == this_shard % peer_shards`,
//! so the peer serves the connection on the same shard number (ScyllaDB's port-based
//! balancing). A port in use is retried with another one.
//!
//! The connect itself is non-blocking: `connect(2)` starts it (EINPROGRESS) and the socket
//! is handed to glommio at once; the first write — the handshake — completes when the
//! connection is established (glommio waits for writability) or fails with the connect's
//! error (ECONNREFUSED, EHOSTUNREACH …). The caller bounds the whole with a timeout, so a
//! silent peer costs a timer, never a stalled executor.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{FromRawFd, IntoRawFd};

use ahash::RandomState;
use glommio::net::TcpStream;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::limits;

/// How the source port must relate to the peer's shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ShardPort {
    /// The peer's shard count.
    pub peer_shards: usize,
    /// The shard that should serve the connection (`this_shard % peer_shards`).
    pub shard: usize,
}

/// A connecting (maybe not yet connected) stream from `local` to `peer`.
pub(super) fn start_connect(local: IpAddr, peer: SocketAddr, port: Option<ShardPort>) -> io::Result<TcpStream> {
    let random = RandomState::new();
    let mut last_error = None;
    for attempt in 0..limits::MESSAGING_SOURCE_PORT_ATTEMPTS_MAX {
        let source_port = match port {
            Some(port) => shard_source_port(random.hash_one(attempt), port),
            None => 0, // the kernel picks
        };
        let socket = Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        socket.set_nodelay(true)?;
        if let Err(error) = socket.bind(&SockAddr::from(SocketAddr::new(local, source_port))) {
            if error.kind() == io::ErrorKind::AddrInUse && port.is_some() {
                last_error = Some(error);
                continue;
            }
            return Err(error);
        }
        match socket.connect(&SockAddr::from(peer)) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
            // The 4-tuple is still in TIME_WAIT from an earlier connection: another port.
            Err(error) if error.kind() == io::ErrorKind::AddrNotAvailable && port.is_some() => {
                last_error = Some(error);
                continue;
            }
            Err(error) => return Err(error),
        }
        return Ok(into_glommio(socket));
    }
    Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

#[allow(unsafe_code)] // fd hand-over; the `unsafe` block states its SAFETY
fn into_glommio(socket: Socket) -> TcpStream {
    // SAFETY: the fd is a TCP socket we own (connecting or connected), given up by
    // `into_raw_fd` and owned by the glommio stream from here on.
    unsafe { TcpStream::from_raw_fd(socket.into_raw_fd()) }
}

/// A port in the source range with `port % peer_shards == shard`, derived from `random`.
fn shard_source_port(random: u64, port: ShardPort) -> u16 {
    let (min, max) = (limits::MESSAGING_SOURCE_PORT_MIN as u64, limits::MESSAGING_SOURCE_PORT_MAX as u64);
    let modulus = port.peer_shards.max(1) as u64;
    let wanted = port.shard as u64 % modulus;
    let base = min + random % (max - min + 1);
    let mut candidate = base - base % modulus + wanted;
    if candidate < min {
        candidate += modulus;
    }
    if candidate > max {
        candidate -= modulus;
    }
    candidate as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ports_land_on_the_wanted_shard_inside_the_range() {
        for peer_shards in [1usize, 2, 3, 7, 64, 1000] {
            for shard in 0..peer_shards.min(9) {
                for random in [0u64, 1, 16383, 16384, 99_999, u64::MAX] {
                    let port = shard_source_port(random, ShardPort { peer_shards, shard });
                    assert!((limits::MESSAGING_SOURCE_PORT_MIN..=limits::MESSAGING_SOURCE_PORT_MAX).contains(&port));
                    assert_eq!(port as usize % peer_shards, shard, "{peer_shards} shards, shard {shard}, {random}");
                }
            }
        }
    }
}

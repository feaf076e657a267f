//! Listening sockets (CQL, internode, admin HTTP). Built here rather than with
//! `glommio::net::TcpListener::bind` so they carry SO_REUSEADDR as well: connections the
//! server closed first linger in TIME_WAIT and inherit the listener's options, and without
//! SO_REUSEADDR on them a restarted node could not bind its ports for a minute.

use std::net::SocketAddr;
use std::os::fd::{FromRawFd, IntoRawFd};

use glommio::net::TcpListener;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Pending connections the kernel queues per listener.
const LISTEN_BACKLOG: i32 = 1024;

/// A listener on `addr`; `shared` adds SO_REUSEPORT so every shard can listen on it.
pub fn listen(addr: SocketAddr, shared: bool) -> std::io::Result<TcpListener> {
    Ok(listen_with_handle(addr, shared)?.0)
}

/// A listener and a second handle on its socket (a dup of its fd) that can `shutdown(2)` it
/// while glommio still holds the listener (an in-flight accept keeps a dropped listener
/// listening for a moment).
#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
pub fn listen_with_handle(addr: SocketAddr, shared: bool) -> std::io::Result<(TcpListener, Socket)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(shared)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(LISTEN_BACKLOG)?;
    let handle = socket.try_clone()?;
    // SAFETY: the fd is a bound, listening TCP socket we own and hand over.
    Ok((unsafe { TcpListener::from_raw_fd(socket.into_raw_fd()) }, handle))
}

//! A second handle on a socket — a dup of its fd — to shut it down promptly.
//!
//! Dropping a glommio socket closes its fd, but the socket lives on while an io_uring
//! operation (an accept, a readiness poll) still holds it, and after an executor exits its
//! ring is torn down asynchronously by the kernel. A closed listener could so keep
//! receiving connections — and reset them — for a moment after `shutdown`, and a closed
//! connection keep its peer waiting for the end of the stream. `shutdown(2)` through this
//! handle takes effect at once: a listener leaves its SO_REUSEPORT group, a connection
//! sends its FIN. The dup stays valid however the glommio side ends, and is closed with
//! the handle.

use std::net::Shutdown;
use std::os::fd::{BorrowedFd, RawFd};

use socket2::Socket;

/// A dup of a socket's fd, used only to shut the socket down.
pub(super) struct SocketControl(Socket);

impl From<Socket> for SocketControl {
    /// Takes a dup already made (`Socket::try_clone`).
    fn from(dup: Socket) -> SocketControl {
        SocketControl(dup)
    }
}

impl SocketControl {
    /// A handle on the socket `fd`, which must be open for the duration of the call.
    #[allow(unsafe_code)] // borrowing a raw fd; the `unsafe` block states its SAFETY
    pub fn of(fd: RawFd) -> std::io::Result<SocketControl> {
        // SAFETY: the caller owns an open socket with this fd (a glommio listener or stream
        // it holds) for the duration of this call; the dup is an independent descriptor.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        Ok(SocketControl(Socket::from(borrowed.try_clone_to_owned()?)))
    }

    /// Stops the socket both ways (a listener stops listening). Errors (already closed,
    /// not connected) leave nothing to do.
    pub fn shut_down(&self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

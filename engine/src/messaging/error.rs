//! Errors: what a sender gets back ([`MessagingError`]), what a handler may fail with
//! ([`HandlerError`]), and the error response on the wire ([`RemoteError`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::frame::FrameEncodeError;
use super::payload::PayloadError;
use super::verb::Verb;

/// Why a send did not return the peer's response.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    #[error("{verb} to {peer} timed out after {timeout_ms} ms")]
    Timeout { verb: Verb, peer: IpAddr, timeout_ms: u64 },
    #[error("cannot connect to {peer}: {source}")]
    ConnectFailed { peer: SocketAddr, source: std::io::Error },
    #[error("the connection to {peer} closed before {verb} was answered")]
    ConnectionClosed { verb: Verb, peer: IpAddr },
    #[error("{peer} refused the internode connection: {reason}")]
    Refused { peer: IpAddr, reason: String },
    #[error("{peer} broke the handshake: {reason}")]
    Handshake { peer: IpAddr, reason: String },
    #[error("{verb} failed on {peer} ({kind}): {message}")]
    Remote { verb: Verb, peer: IpAddr, kind: RemoteErrorKind, message: String },
    #[error("cannot encode the {verb} request: {source}")]
    Encode { verb: Verb, source: FrameEncodeError },
    #[error("cannot decode the {verb} response from {peer}: {source}")]
    Decode { verb: Verb, peer: IpAddr, source: PayloadError },
    #[error("too many {verb} requests waiting for the connection to {peer}")]
    Overloaded { verb: Verb, peer: IpAddr },
    #[error("messaging is shut down")]
    ShuttingDown,
}

/// A handler's failure, sent back to the caller as [`MessagingError::Remote`] with
/// [`RemoteErrorKind::Handler`]. Any `std::error::Error` converts into it (`?` works).
pub struct HandlerError {
    message: String,
}

impl HandlerError {
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError { message: message.into() }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(error: E) -> HandlerError {
        HandlerError { message: error.to_string() }
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandlerError({:?})", self.message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a request got an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemoteErrorKind {
    /// The handler returned an error.
    Handler,
    /// The peer does not know the verb number (a newer sender).
    UnknownVerb,
    /// The peer knows the verb but has no handler registered for it (yet).
    NoHandler,
    /// The request payload did not decode as the handler's request type.
    BadRequest,
    /// The handler's response could not be encoded (or was over the frame limit).
    BadResponse,
}

impl fmt::Display for RemoteErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemoteErrorKind::Handler => "handler error",
            RemoteErrorKind::UnknownVerb => "unknown verb",
            RemoteErrorKind::NoHandler => "no handler",
            RemoteErrorKind::BadRequest => "bad request",
            RemoteErrorKind::BadResponse => "bad response",
        })
    }
}

/// The payload of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteError {
    pub kind: RemoteErrorKind,
    pub message: String,
}

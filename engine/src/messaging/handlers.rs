//! The verb handlers registered on one shard, type-erased: a handler takes the raw request
//! payload and yields an encodable response or the [`RemoteError`] to answer with.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use ahash::AHashMap;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::{HandlerError, RemoteError, RemoteErrorKind};
use super::payload::{self, PayloadError};
use super::peer::PeerInfo;
use super::verb::Verb;

/// A handler's response, encoded only when its frame is built.
pub(super) trait ResponseBody {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), PayloadError>;
}

impl<T: Serialize> ResponseBody for T {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), PayloadError> {
        payload::encode_into(self, out)
    }
}

pub(super) type HandlerOutcome = Result<Box<dyn ResponseBody>, RemoteError>;
type HandlerFuture = Pin<Box<dyn Future<Output = HandlerOutcome>>>;
pub(super) type ErasedHandler = Rc<dyn Fn(PeerInfo, Bytes) -> HandlerFuture>;

/// One handler per verb.
#[derive(Default)]
pub(super) struct HandlerRegistry {
    by_verb: RefCell<AHashMap<Verb, ErasedHandler>>,
}

impl HandlerRegistry {
    /// Makes `handler` answer `verb` (replacing an earlier one).
    pub fn register<Req, Resp, F, Fut>(&self, verb: Verb, handler: F)
    where
        Req: DeserializeOwned + 'static,
        Resp: Serialize + 'static,
        F: Fn(PeerInfo, Req) -> Fut + 'static,
        Fut: Future<Output = Result<Resp, HandlerError>> + 'static,
    {
        let handler = Rc::new(handler);
        let erased: ErasedHandler = Rc::new(move |peer: PeerInfo, bytes: Bytes| {
            let handler = handler.clone();
            Box::pin(async move {
                let request: Req = payload::decode(&bytes).map_err(|error| RemoteError {
                    kind: RemoteErrorKind::BadRequest,
                    message: format!("cannot decode the {verb} request: {error}"),
                })?;
                match handler(peer, request).await {
                    Ok(response) => Ok(Box::new(response) as Box<dyn ResponseBody>),
                    Err(error) => Err(RemoteError { kind: RemoteErrorKind::Handler, message: error.to_string() }),
                }
            })
        });
        self.by_verb.borrow_mut().insert(verb, erased);
    }

    pub fn get(&self, verb: Verb) -> Option<ErasedHandler> {
        self.by_verb.borrow().get(&verb).cloned()
    }
}

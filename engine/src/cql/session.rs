//! Per-connection query state: the current keyspace (USE) and who the client is.

use std::cell::RefCell;
use std::net::SocketAddr;

#[derive(Debug, Default)]
pub struct Session {
    keyspace: RefCell<Option<String>>,
    pub peer: Option<SocketAddr>,
    driver: RefCell<(Option<String>, Option<String>)>,
}

impl Session {
    pub fn new(peer: Option<SocketAddr>) -> Session {
        Session { peer, ..Session::default() }
    }

    pub fn keyspace(&self) -> Option<String> {
        self.keyspace.borrow().clone()
    }

    pub fn set_keyspace(&self, keyspace: String) {
        *self.keyspace.borrow_mut() = Some(keyspace);
    }

    pub fn set_driver(&self, name: Option<String>, version: Option<String>) {
        *self.driver.borrow_mut() = (name, version);
    }

    pub fn driver(&self) -> (Option<String>, Option<String>) {
        self.driver.borrow().clone()
    }
}

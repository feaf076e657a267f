//! Group 0's state machine: applies committed commands to the [`Group0State`], keeps it
//! durable (`<data>/group0/state`, replaced atomically after every applied batch, so a
//! restarted node knows its schema and ring before raft has a leader), hands every change
//! to the node's [`AppliedStateListener`] (which installs schema and topology on the
//! shards) and then publishes it to [`AppliedWatch`] waiters. Snapshots are the same
//! bytes as the state file.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use futures::future::LocalBoxFuture;
use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, RaftSnapshotBuilder, Snapshot, SnapshotMeta, StorageIOError, StoredMembership};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::Group0Response;
use super::state::{AppliedEffects, Group0State};
use super::types::{Group0Entry, Group0LogId, Group0StorageError, Group0Types, Member, MemberId};

const STATE_FILE: &str = "state";
const STATE_TMP_FILE: &str = "state.tmp";
/// The state file's format (its first byte).
const STATE_FORMAT_VERSION: u8 = 1;

/// Told of every applied change, in log order, before anyone waiting for it is woken.
pub trait AppliedStateListener {
    fn applied(&self, state: Arc<Group0State>, effects: AppliedEffects) -> LocalBoxFuture<'_, ()>;
}

/// What the state file holds (also a snapshot's bytes).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppliedState {
    pub last_applied: Option<Group0LogId>,
    pub membership: StoredMembership<MemberId, Member>,
    pub state: Group0State,
}

impl AppliedState {
    fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let payload = postcard::to_allocvec(self).map_err(std::io::Error::other)?;
        let mut out = vec![STATE_FORMAT_VERSION];
        out.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    fn from_bytes(bytes: &[u8]) -> std::io::Result<AppliedState> {
        let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("group 0 state: {why}"));
        if bytes.len() < 5 || bytes[0] != STATE_FORMAT_VERSION {
            return Err(invalid("unknown format"));
        }
        let crc = u32::from_le_bytes(bytes[1..5].try_into().expect("four bytes"));
        if crc32c::crc32c(&bytes[5..]) != crc {
            return Err(invalid("checksum mismatch"));
        }
        postcard::from_bytes(&bytes[5..]).map_err(|e| invalid(&e.to_string()))
    }
}

/// The latest applied (log index, state id); waiters watch it.
pub type AppliedWatch = tokio::sync::watch::Sender<(u64, Uuid)>;

pub struct StateMachine {
    directory: PathBuf,
    applied: AppliedState,
    current: Rc<std::cell::RefCell<Arc<Group0State>>>,
    watch: Rc<AppliedWatch>,
    listener: Rc<dyn AppliedStateListener>,
}

/// Reads the state file a previous run left (start-up: before raft starts).
pub async fn load_state(directory: &Path) -> std::io::Result<Option<AppliedState>> {
    let path = directory.join(STATE_FILE);
    let file = match glommio::io::BufferedFile::open(&path).await.map_err(std::io::Error::from) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let size = file.file_size().await?;
    let bytes = file.read_at(0, size as usize).await?;
    file.close().await?;
    AppliedState::from_bytes(&bytes).map(Some)
}

/// The same, with std I/O: for the node's start-up before any executor runs.
pub fn load_state_blocking(directory: &Path) -> std::io::Result<Option<AppliedState>> {
    match std::fs::read(directory.join(STATE_FILE)) {
        Ok(bytes) => AppliedState::from_bytes(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn save_state(directory: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    let tmp = directory.join(STATE_TMP_FILE);
    let file = glommio::io::BufferedFile::create(&tmp).await?;
    file.write_at(bytes, 0).await?;
    file.fdatasync().await?;
    file.close().await?;
    glommio::io::rename(&tmp, directory.join(STATE_FILE)).await?;
    glommio::io::Directory::open(directory).await?.sync().await?;
    Ok(())
}

fn write_error(e: std::io::Error) -> Group0StorageError {
    StorageIOError::write_state_machine(&e).into()
}

impl StateMachine {
    pub fn new(
        directory: &Path,
        applied: AppliedState,
        current: Rc<std::cell::RefCell<Arc<Group0State>>>,
        watch: Rc<AppliedWatch>,
        listener: Rc<dyn AppliedStateListener>,
    ) -> StateMachine {
        StateMachine { directory: directory.to_path_buf(), applied, current, watch, listener }
    }

    async fn persist(&self) -> Result<(), Group0StorageError> {
        let bytes = self.applied.to_bytes().map_err(write_error)?;
        save_state(&self.directory, bytes).await.map_err(write_error)
    }

    /// Tells the listener, then the waiters, about the state now applied.
    async fn publish(&self, effects: AppliedEffects) {
        let state = Arc::new(self.applied.state.clone());
        if effects != AppliedEffects::default() {
            self.listener.applied(state.clone(), effects).await;
        }
        *self.current.borrow_mut() = state;
        let index = self.applied.last_applied.map_or(0, |l| l.index);
        self.watch.send_replace((index, self.applied.state.state_id));
    }

    #[allow(clippy::result_large_err)] // openraft's own error type, as its trait returns it
    fn snapshot(&self) -> Result<Snapshot<Group0Types>, Group0StorageError> {
        let bytes = self.applied.to_bytes().map_err(|e| StorageIOError::read_snapshot(None, &e))?;
        let id =
            self.applied.last_applied.map_or_else(|| "empty".to_string(), |l| format!("{}-{}", l.leader_id, l.index));
        let meta = SnapshotMeta {
            last_log_id: self.applied.last_applied,
            last_membership: self.applied.membership.clone(),
            snapshot_id: id,
        };
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(bytes)) })
    }
}

/// Builds a snapshot of the state as applied when it was asked for.
pub struct SnapshotBuilder(Result<Snapshot<Group0Types>, String>);

impl RaftSnapshotBuilder<Group0Types> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<Group0Types>, Group0StorageError> {
        match &self.0 {
            Ok(s) => {
                Ok(Snapshot { meta: s.meta.clone(), snapshot: Box::new(Cursor::new(s.snapshot.get_ref().clone())) })
            }
            Err(e) => Err(StorageIOError::read_snapshot(None, &std::io::Error::other(e.clone())).into()),
        }
    }
}

impl RaftStateMachine<Group0Types> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<Group0LogId>, StoredMembership<MemberId, Member>), Group0StorageError> {
        Ok((self.applied.last_applied, self.applied.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Group0Response>, Group0StorageError>
    where
        I: IntoIterator<Item = Group0Entry>,
    {
        let mut responses = Vec::new();
        let mut effects = AppliedEffects::default();
        for entry in entries {
            self.applied.last_applied = Some(entry.log_id);
            let response = match entry.payload {
                EntryPayload::Blank => Group0Response::Applied { state_id: self.applied.state.state_id },
                EntryPayload::Membership(m) => {
                    self.applied.membership = StoredMembership::new(Some(entry.log_id), m);
                    Group0Response::Applied { state_id: self.applied.state.state_id }
                }
                EntryPayload::Normal(command) => {
                    let (response, applied) = self.applied.state.apply(&command);
                    effects.schema_changed |= applied.schema_changed;
                    effects.events.extend(applied.events);
                    effects.nodes_changed.extend(applied.nodes_changed);
                    response
                }
            };
            responses.push(response);
        }
        self.persist().await?;
        self.publish(effects).await;
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder(self.snapshot().map_err(|e| e.to_string()))
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, Group0StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<MemberId, Member>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), Group0StorageError> {
        let received = AppliedState::from_bytes(snapshot.get_ref())
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        let effects = AppliedEffects {
            schema_changed: received.state.schema != self.applied.state.schema,
            events: Vec::new(),
            nodes_changed: received.state.nodes.keys().copied().collect(),
        };
        self.applied = AppliedState {
            last_applied: meta.last_log_id,
            membership: meta.last_membership.clone(),
            state: received.state,
        };
        self.persist().await?;
        self.publish(effects).await;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<Group0Types>>, Group0StorageError> {
        Ok(Some(self.snapshot()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_file_round_trips_and_detects_damage() {
        let mut applied = AppliedState::default();
        applied.state.schema.insert("k".into(), vec!["CREATE KEYSPACE k WITH replication = {}".into()]);
        applied.state.state_id = Uuid::from_u128(9);
        let bytes = applied.to_bytes().unwrap();
        let back = AppliedState::from_bytes(&bytes).unwrap();
        assert_eq!(back.state, applied.state);
        let mut damaged = bytes;
        *damaged.last_mut().unwrap() ^= 0x40;
        assert!(AppliedState::from_bytes(&damaged).is_err());
    }
}

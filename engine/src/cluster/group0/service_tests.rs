//! Group 0 on one node, for real: openraft on a glommio executor with the durable log and
//! state in a temporary directory. A one-member group sends no messages, so its transport
//! is one that reaches nobody.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use futures::future::LocalBoxFuture;
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use uuid::Uuid;

use super::command::{Change, Group0Command, Group0Response};
use super::network::{
    AppendReply, Group0Transport, LeaderReply, LeaderRequest, Sent, SnapshotReply, TransportError, VoteReply,
};
use super::service::Group0;
use super::state::{AppliedEffects, Group0State, NodeRecord, NodeStatus};
use super::state_machine::AppliedStateListener;
use super::types::{Group0Types, MemberId};

struct NoPeers;

fn nobody<T>(to: IpAddr) -> Sent<'static, T> {
    Box::pin(async move { Err(TransportError::Unreachable(to, "a one-node test group".into())) })
}

impl Group0Transport for NoPeers {
    fn append(&self, to: IpAddr, _: AppendEntriesRequest<Group0Types>) -> Sent<'_, AppendReply> {
        nobody(to)
    }
    fn vote(&self, to: IpAddr, _: VoteRequest<MemberId>) -> Sent<'_, VoteReply> {
        nobody(to)
    }
    fn snapshot(&self, to: IpAddr, _: InstallSnapshotRequest<Group0Types>) -> Sent<'_, SnapshotReply> {
        nobody(to)
    }
    fn leader(&self, to: IpAddr, _: LeaderRequest) -> Sent<'_, LeaderReply> {
        nobody(to)
    }
}

/// Remembers what was applied, in order.
#[derive(Default)]
struct Recorder {
    applied: RefCell<Vec<(Arc<Group0State>, AppliedEffects)>>,
}

impl AppliedStateListener for Recorder {
    fn applied(&self, state: Arc<Group0State>, effects: AppliedEffects) -> LocalBoxFuture<'_, ()> {
        self.applied.borrow_mut().push((state, effects));
        Box::pin(async {})
    }
}

const ADDRESS: [u8; 4] = [127, 0, 0, 1];

fn record(host_id: Uuid) -> NodeRecord {
    NodeRecord {
        host_id,
        address: IpAddr::from(ADDRESS),
        rpc_address: IpAddr::from(ADDRESS),
        data_center: "datacenter1".into(),
        rack: "rack1".into(),
        tokens: vec![-7, 42],
        nr_shards: 1,
        release_version: "3.0.8".into(),
        status: NodeStatus::Normal,
    }
}

fn run(test: impl FnOnce() -> LocalBoxFuture<'static, ()> + Send + 'static) {
    glommio::LocalExecutorBuilder::default().spawn(test).expect("executor").join().expect("test");
}

/// A change that sets each named keyspace to the one statement of that name.
fn schema(statements: &[&str]) -> Change {
    let keyspaces = statements.iter().map(|s| (s.to_string(), vec![s.to_string()])).collect();
    Change::Schema { keyspaces, dropped: Vec::new(), event: None }
}

fn keyspaces(names: &[&str]) -> std::collections::BTreeMap<String, Vec<String>> {
    names.iter().map(|s| (s.to_string(), vec![s.to_string()])).collect()
}

async fn open(dir: &std::path::Path, host_id: Uuid, recorder: Rc<Recorder>) -> Rc<Group0> {
    Group0::open(dir, "test", host_id, IpAddr::from(ADDRESS), recorder, Rc::new(NoPeers)).await.expect("open")
}

#[test]
fn a_founded_group_applies_guarded_commands_and_keeps_them_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("percore-group0-{}", Uuid::new_v4()));
    let path = dir.clone();
    run(move || {
        Box::pin(async move {
            let host_id = Uuid::new_v4();
            let recorder = Rc::new(Recorder::default());
            let group0 = open(&path, host_id, recorder.clone()).await;
            assert!(!group0.is_member().await);
            group0.found(record(host_id), keyspaces(&["CREATE KEYSPACE a"])).await.expect("found");
            let state = group0.state();
            assert_eq!(state.node(host_id).map(|n| n.tokens.clone()), Some(vec![-7, 42]));
            assert_eq!(state.schema_statements(), vec!["CREATE KEYSPACE a".to_string()]);

            let stale = state.state_id;
            let first = Group0Command::new(stale, schema(&["CREATE KEYSPACE b"]));
            let applied = group0.propose(first.clone()).await.expect("propose");
            assert_eq!(applied, Group0Response::Applied { state_id: first.new_state_id });
            let racing = Group0Command::new(stale, schema(&["CREATE KEYSPACE c"]));
            assert_eq!(
                group0.propose(racing).await.expect("propose"),
                Group0Response::Conflict { current: first.new_state_id }
            );
            assert_eq!(
                group0.propose(first.clone()).await.expect("retry"),
                Group0Response::Applied { state_id: first.new_state_id },
                "a retried command is applied once"
            );
            let schema_changes = recorder.applied.borrow().iter().filter(|(_, e)| e.schema_changed).count();
            assert_eq!(schema_changes, 2, "the founding schema, then b; the conflict and the retry change nothing");
            group0.shutdown().await;
            drop(group0);

            let again = open(&path, host_id, Rc::new(Recorder::default())).await;
            assert!(again.is_member().await, "the log survived");
            let state = again.state();
            assert_eq!(state.state_id, first.new_state_id, "the applied state survived");
            assert_eq!(
                state.schema_statements(),
                vec!["CREATE KEYSPACE a".to_string(), "CREATE KEYSPACE b".to_string()]
            );
            let next = Group0Command::new(state.state_id, schema(&["CREATE KEYSPACE d"]));
            assert!(matches!(
                again.propose(next).await.expect("propose after restart"),
                Group0Response::Applied { .. }
            ));
            again.shutdown().await;
        })
    });
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// Commands enough for openraft to snapshot and purge the log, and for the log file to be
/// rewritten with only its live records.
const MANY_COMMANDS: usize = 1_300;

#[test]
fn a_long_log_is_snapshotted_purged_and_rewritten_and_still_reopens() {
    let dir = std::env::temp_dir().join(format!("percore-group0-{}", Uuid::new_v4()));
    let path = dir.clone();
    run(move || {
        Box::pin(async move {
            let host_id = Uuid::new_v4();
            let group0 = open(&path, host_id, Rc::new(Recorder::default())).await;
            group0.found(record(host_id), Default::default()).await.expect("found");
            for i in 0..MANY_COMMANDS {
                let command = Group0Command::new(group0.state().state_id, schema(&[&format!("CREATE KEYSPACE k{i}")]));
                assert!(matches!(group0.propose(command).await.expect("propose"), Group0Response::Applied { .. }));
            }
            let expected = group0.state();
            group0.shutdown().await;
            drop(group0);
            let (records, _) = super::wal::decode_all(&std::fs::read(path.join("log")).expect("log file"));
            let entries_in_file: usize =
                records.iter().map(|r| if let super::wal::WalRecord::Entries(e) = r { e.len() } else { 0 }).sum();
            let again = open(&path, host_id, Rc::new(Recorder::default())).await;
            assert_eq!(*again.state(), *expected);
            let next = Group0Command::new(expected.state_id, schema(&["CREATE KEYSPACE last"]));
            assert!(matches!(
                again.propose(next).await.expect("propose after restart"),
                Group0Response::Applied { .. }
            ));
            again.shutdown().await;
            // Without purges and a rewrite the file would hold every entry.
            assert!(entries_in_file < MANY_COMMANDS / 2, "the log was never rewritten: {entries_in_file} entries");
        })
    });
    std::fs::remove_dir_all(&dir).expect("clean up");
}

//! The group 0 member on shard 0: opens the durable log and state, runs openraft, and
//! offers the node a narrow interface — [`Group0::state`] (the applied state),
//! [`Group0::propose`] (a guarded command, sent to the leader wherever it is, answered
//! once this node has applied it), founding a cluster, joining one through seeds, and the
//! handlers for what other members send.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openraft::error::{ClientWriteError, RaftError};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use openraft::{ChangeMembers, Raft};

use crate::cluster::placement::token_allocation::random_tokens;

use super::command::{Change, Group0Command, Group0Response};
use super::log_store::LogStore;
use super::network::{
    AppendReply, Group0Transport, LeaderReply, LeaderRequest, NetworkFactory, SnapshotReply, TransportError, VoteReply,
};
use super::state::{Group0State, NodeRecord};
use super::state_machine::{self, AppliedState, AppliedStateListener, StateMachine};
use super::types::{member_id, Group0Raft, Member, MemberId};

/// Raft heartbeats from the leader.
const HEARTBEAT_INTERVAL_MS: u64 = 150;
/// A follower that hears no leader for a random time in this range starts an election.
const ELECTION_TIMEOUT_MIN_MS: u64 = 1_000;
const ELECTION_TIMEOUT_MAX_MS: u64 = 2_000;
/// Applied entries between snapshots (after which the log before them is purged).
const SNAPSHOT_EVERY_ENTRIES: u64 = 512;
/// Entries one append message carries: an entry holds up to one keyspace's whole schema,
/// and a group 0 message must fit the small connection class's frame.
const ENTRIES_PER_APPEND: u64 = 8;
/// Entries kept behind a snapshot for members slightly behind (further behind, they get
/// the snapshot: group 0's state is small).
const ENTRIES_KEPT_BEHIND_SNAPSHOT: u64 = 100;
/// How long a proposal may wait for a leader (elections take up to a few seconds).
pub const LEADER_WAIT: Duration = Duration::from_secs(8);
/// How long the leader may take to confirm it still has a quorum before a proposal.
const QUORUM_CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an entry may take to commit and apply (index backfills run in the apply).
const COMMIT_TIMEOUT: Duration = Duration::from_secs(120);
/// Pause between attempts to find the leader.
const LEADER_RETRY_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum Group0Error {
    #[error("group 0 has no leader reachable from this node (is a majority of nodes down?)")]
    NoLeader,
    #[error("group 0 has no quorum: a majority of nodes must be up for schema and topology changes")]
    NoQuorum,
    #[error("group 0 did not apply the change in time")]
    Timeout,
    #[error("group 0 failed: {0}")]
    Failed(String),
    #[error("cannot join the cluster: {0}")]
    Refused(String),
    #[error("cannot open group 0's files: {0}")]
    Storage(#[from] std::io::Error),
}

/// What this member's raft says of group 0 right now (for monitoring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group0Status {
    /// The raft term this member is in.
    pub term: u64,
    /// Whether this member is the leader (as far as it knows).
    pub is_leader: bool,
    /// The last log index appended here (0: none).
    pub last_log_index: u64,
    /// The last log index applied here (0: none).
    pub applied_index: u64,
    /// Voting members in the membership this member knows.
    pub voters: usize,
}

pub struct Group0 {
    raft: Group0Raft,
    me: MemberId,
    address: IpAddr,
    current: Rc<RefCell<Arc<Group0State>>>,
    applied: tokio::sync::watch::Receiver<(u64, uuid::Uuid)>,
    transport: Rc<dyn Group0Transport>,
}

fn raft_config(cluster_name: &str) -> Result<openraft::Config, Group0Error> {
    openraft::Config {
        cluster_name: cluster_name.to_string(),
        heartbeat_interval: HEARTBEAT_INTERVAL_MS,
        election_timeout_min: ELECTION_TIMEOUT_MIN_MS,
        election_timeout_max: ELECTION_TIMEOUT_MAX_MS,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(SNAPSHOT_EVERY_ENTRIES),
        max_in_snapshot_log_to_keep: ENTRIES_KEPT_BEHIND_SNAPSHOT,
        max_payload_entries: ENTRIES_PER_APPEND,
        ..Default::default()
    }
    .validate()
    .map_err(|e| Group0Error::Failed(e.to_string()))
}

/// Reads the applied state a previous run saved (start-up, before the executors: the
/// schema and ring it holds are needed to replay the commitlog).
pub fn load_applied_blocking(directory: &Path) -> std::io::Result<Option<AppliedState>> {
    state_machine::load_state_blocking(directory)
}

impl Group0 {
    /// Opens group 0's files in `directory` and starts raft (not yet a member of anything
    /// if this is the node's first start: see [`Group0::found`] and [`Group0::join`]).
    pub async fn open(
        directory: &Path,
        cluster_name: &str,
        host_id: uuid::Uuid,
        address: IpAddr,
        listener: Rc<dyn AppliedStateListener>,
        transport: Rc<dyn Group0Transport>,
    ) -> Result<Rc<Group0>, Group0Error> {
        create_directory(directory).await?;
        let log = LogStore::open(directory).await?;
        let applied = state_machine::load_state(directory).await?.unwrap_or_default();
        let index = applied.last_applied.map_or(0, |l| l.index);
        let current = Rc::new(RefCell::new(Arc::new(applied.state.clone())));
        let (watch, receiver) = tokio::sync::watch::channel((index, applied.state.state_id));
        let machine = StateMachine::new(directory, applied, current.clone(), Rc::new(watch), listener);
        let me = member_id(host_id);
        let network = NetworkFactory { transport: transport.clone() };
        let raft = Raft::new(me, Arc::new(raft_config(cluster_name)?), network, log, machine)
            .await
            .map_err(|e| Group0Error::Failed(e.to_string()))?;
        Ok(Rc::new(Group0 { raft, me, address, current, applied: receiver, transport }))
    }

    /// The state as this node has applied it.
    pub fn state(&self) -> Arc<Group0State> {
        self.current.borrow().clone()
    }

    /// A snapshot of raft's metrics (no waiting, no I/O).
    pub fn status(&self) -> Group0Status {
        let metrics = self.raft.metrics();
        let m = metrics.borrow();
        Group0Status {
            term: m.current_term,
            is_leader: m.state.is_leader(),
            last_log_index: m.last_log_index.unwrap_or(0),
            applied_index: m.last_applied.map_or(0, |l| l.index),
            voters: m.membership_config.membership().voter_ids().count(),
        }
    }

    /// Whether this node is (or was) a member of a group 0.
    pub async fn is_member(&self) -> bool {
        self.raft.is_initialized().await.unwrap_or(false)
    }

    /// Makes this node the first member of a new cluster, owning `record`'s tokens, with
    /// the user schema's `keyspaces` (what a single node had before it was a cluster). A
    /// founder that crashed half-way (group 0 initialized, its record not yet applied)
    /// finishes the job.
    pub async fn found(&self, record: NodeRecord, keyspaces: BTreeMap<String, Vec<String>>) -> Result<(), Group0Error> {
        if !self.is_member().await {
            let members = BTreeMap::from([(self.me, Member { address: self.address })]);
            self.raft.initialize(members).await.map_err(|e| Group0Error::Failed(e.to_string()))?;
        }
        let join = Group0Command::new(self.state().state_id, Change::UpsertNode(record));
        let joined = self.propose_once(join).await?;
        if !keyspaces.is_empty() {
            let prev = match joined {
                Group0Response::Applied { state_id } => state_id,
                other => return Err(Group0Error::Failed(format!("founding the cluster: {other:?}"))),
            };
            let schema = Change::Schema { keyspaces, dropped: Vec::new(), event: None };
            self.propose_once(Group0Command::new(prev, schema)).await?;
        }
        Ok(())
    }

    /// Proposes `command` (computed from the state it names) and returns once this node
    /// has applied its outcome: `Conflict` means recompute from the now-newer state.
    pub async fn propose(&self, command: Group0Command) -> Result<Group0Response, Group0Error> {
        // A conflict was decided by the leader's log at an index this node has applied
        // before `propose_once` returns: the caller recomputes from the newer state.
        self.propose_once(command).await
    }

    async fn propose_once(&self, command: Group0Command) -> Result<Group0Response, Group0Error> {
        let (log_index, response) = done(self.to_leader(LeaderRequest::Propose(command)).await?)?;
        self.wait_applied(log_index).await?;
        Ok(response)
    }

    /// Waits until this node has applied every change committed before the call (a read
    /// barrier): a change computed from [`Group0::state`] afterwards starts from the newest
    /// state, so DDL sent to one node right after DDL through another sees the first.
    pub async fn read_barrier(&self) -> Result<(), Group0Error> {
        let (log_index, _) = done(self.to_leader(LeaderRequest::CommittedIndex).await?)?;
        self.wait_applied(log_index).await
    }

    /// Asks the seeds (in turn, until `deadline`) to make this node a member that owns
    /// `num_tokens` tokens; returns once this node has applied its own membership.
    pub async fn join(
        &self,
        seeds: &[IpAddr],
        record: NodeRecord,
        num_tokens: u32,
        deadline: Instant,
    ) -> Result<(), Group0Error> {
        let request = LeaderRequest::Join { record, num_tokens };
        loop {
            for &seed in seeds.iter().filter(|&&s| s != self.address) {
                match self.ask_until_leader(seed, request.clone(), deadline).await {
                    Ok(LeaderReply::Done { log_index, .. }) => return self.wait_applied(log_index).await,
                    Ok(LeaderReply::Failed { reason }) => return Err(Group0Error::Failed(reason)),
                    Err(Group0Error::Refused(reason)) => return Err(Group0Error::Refused(reason)),
                    Ok(LeaderReply::NotLeader { .. } | LeaderReply::NoQuorum) | Err(_) => {
                        tracing::info!("group 0: seed {seed} cannot take this node in yet; trying again");
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(Group0Error::NoLeader);
            }
            glommio::timer::sleep(LEADER_RETRY_PAUSE * 10).await;
        }
    }

    /// Sends `request` to `first`, then to whichever leader the answers name.
    async fn ask_until_leader(
        &self,
        first: IpAddr,
        request: LeaderRequest,
        deadline: Instant,
    ) -> Result<LeaderReply, Group0Error> {
        let mut target = first;
        loop {
            let reply = self.transport.leader(target, request.clone()).await;
            match reply {
                Ok(LeaderReply::NotLeader { leader: Some(leader) }) if Instant::now() < deadline => target = leader,
                Ok(LeaderReply::NotLeader { leader: None }) if Instant::now() < deadline => {
                    glommio::timer::sleep(LEADER_RETRY_PAUSE).await;
                }
                Ok(other) => return Ok(other),
                Err(e @ TransportError::Refused(..)) => return Err(Group0Error::Refused(e.to_string())),
                Err(e) => return Err(Group0Error::Failed(e.to_string())),
            }
        }
    }

    /// Serves `request` on the leader, wherever it is.
    async fn to_leader(&self, request: LeaderRequest) -> Result<LeaderReply, Group0Error> {
        let deadline = Instant::now() + LEADER_WAIT;
        loop {
            let reply = match self.leader_address().await {
                Some(leader) if leader == self.address => self.serve_as_leader(request.clone()).await,
                Some(leader) => self
                    .transport
                    .leader(leader, request.clone())
                    .await
                    .unwrap_or(LeaderReply::NotLeader { leader: None }),
                None => LeaderReply::NotLeader { leader: None },
            };
            match reply {
                LeaderReply::NotLeader { .. } if Instant::now() < deadline => {
                    glommio::timer::sleep(LEADER_RETRY_PAUSE).await;
                }
                LeaderReply::NotLeader { .. } => return Err(Group0Error::NoLeader),
                other => return Ok(other),
            }
        }
    }

    /// The leader's internode address, if this node knows one.
    async fn leader_address(&self) -> Option<IpAddr> {
        let leader = self.raft.current_leader().await?;
        let metrics = self.raft.metrics();
        let membership = metrics.borrow().membership_config.clone();
        membership.membership().get_node(&leader).map(|m| m.address)
    }

    /// What another member asked of this node as the leader (the messaging handler).
    pub async fn serve_as_leader(&self, request: LeaderRequest) -> LeaderReply {
        let leader_check =
            glommio::timer::timeout(QUORUM_CHECK_TIMEOUT, async { Ok(self.raft.ensure_linearizable().await) });
        let committed = match leader_check.await {
            Ok(Ok(read_log_id)) => read_log_id.map_or(0, |l| l.index),
            Ok(Err(RaftError::APIError(openraft::error::CheckIsLeaderError::ForwardToLeader(f)))) => {
                return LeaderReply::NotLeader { leader: f.leader_node.map(|m| m.address) }
            }
            Ok(Err(e)) => return LeaderReply::Failed { reason: e.to_string() },
            Err(_) => return LeaderReply::NoQuorum,
        };
        match request {
            LeaderRequest::Propose(command) => self.write(command).await,
            LeaderRequest::Join { record, num_tokens } => self.admit(record, num_tokens).await,
            LeaderRequest::CommittedIndex => LeaderReply::Done {
                log_index: committed,
                response: Group0Response::Applied { state_id: self.state().state_id },
            },
        }
    }

    /// Appends `command` as the leader and waits for it to apply here.
    async fn write(&self, command: Group0Command) -> LeaderReply {
        let written = glommio::timer::timeout(COMMIT_TIMEOUT, async { Ok(self.raft.client_write(command).await) });
        match written.await {
            Ok(Ok(r)) => LeaderReply::Done { log_index: r.log_id.index, response: r.data },
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))) => {
                LeaderReply::NotLeader { leader: f.leader_node.map(|m| m.address) }
            }
            Ok(Err(e)) => LeaderReply::Failed { reason: e.to_string() },
            Err(_) => LeaderReply::Failed { reason: Group0Error::Timeout.to_string() },
        }
    }

    /// Makes a new node a voting member and gives it tokens nobody owns.
    async fn admit(&self, mut record: NodeRecord, num_tokens: u32) -> LeaderReply {
        let id = member_id(record.host_id);
        let member = Member { address: record.address };
        let voters = {
            let metrics = self.raft.metrics();
            let m = metrics.borrow().membership_config.clone();
            m.membership().voter_ids().collect::<std::collections::BTreeSet<_>>()
        };
        if !voters.contains(&id) {
            let learner =
                glommio::timer::timeout(COMMIT_TIMEOUT, async { Ok(self.raft.add_learner(id, member, true).await) });
            if let Err(reason) = flatten(learner.await) {
                return LeaderReply::Failed { reason: format!("adding {} as a learner: {reason}", record.address) };
            }
            let change = ChangeMembers::AddVoterIds(std::collections::BTreeSet::from([id]));
            let voter =
                glommio::timer::timeout(COMMIT_TIMEOUT, async { Ok(self.raft.change_membership(change, false).await) });
            if let Err(reason) = flatten(voter.await) {
                return LeaderReply::Failed { reason: format!("making {} a voter: {reason}", record.address) };
            }
        }
        loop {
            let state = self.state();
            if let Some(existing) = state.node(record.host_id).filter(|n| !n.tokens.is_empty()) {
                record.tokens = existing.tokens.clone();
            } else {
                match choose_tokens(&state, num_tokens) {
                    Ok(tokens) => record.tokens = tokens,
                    Err(reason) => return LeaderReply::Failed { reason },
                }
            }
            match self.write(Group0Command::new(state.state_id, Change::UpsertNode(record.clone()))).await {
                LeaderReply::Done { response: Group0Response::Conflict { .. }, .. } => continue,
                other => return other,
            }
        }
    }

    /// Waits until this node has applied the log up to `index`.
    pub async fn wait_applied(&self, index: u64) -> Result<(), Group0Error> {
        let mut receiver = self.applied.clone();
        let wait = async move { receiver.wait_for(|(applied, _)| *applied >= index).await.map(drop) };
        match glommio::timer::timeout(COMMIT_TIMEOUT, async { Ok(wait.await) }).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Group0Error::Failed("group 0 stopped".into())),
            Err(_) => Err(Group0Error::Timeout),
        }
    }

    pub async fn handle_append(&self, rpc: AppendEntriesRequest<super::types::Group0Types>) -> AppendReply {
        self.raft.append_entries(rpc).await
    }

    pub async fn handle_vote(&self, rpc: VoteRequest<MemberId>) -> VoteReply {
        self.raft.vote(rpc).await
    }

    pub async fn handle_snapshot(&self, rpc: InstallSnapshotRequest<super::types::Group0Types>) -> SnapshotReply {
        self.raft.install_snapshot(rpc).await
    }

    pub async fn shutdown(&self) {
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!("group 0: stopping raft: {e}");
        }
    }
}

/// `num_tokens` random tokens no member of `state` owns.
pub fn choose_tokens(state: &Group0State, num_tokens: u32) -> Result<Vec<i64>, String> {
    let ring = crate::cluster::view::token_metadata(state).map_err(|e| e.to_string())?;
    random_tokens(&mut rand::rng(), num_tokens as usize, &ring).map_err(|e| e.to_string())
}

/// The log index and outcome of a request the leader carried out, or why it did not.
fn done(reply: LeaderReply) -> Result<(u64, Group0Response), Group0Error> {
    match reply {
        LeaderReply::Done { log_index, response } => Ok((log_index, response)),
        LeaderReply::NoQuorum => Err(Group0Error::NoQuorum),
        LeaderReply::Failed { reason } => Err(Group0Error::Failed(reason)),
        LeaderReply::NotLeader { .. } => Err(Group0Error::NoLeader),
    }
}

async fn create_directory(directory: &Path) -> std::io::Result<()> {
    match glommio::io::Directory::create(directory).await.map_err(std::io::Error::from) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn flatten<T, E: std::fmt::Display>(r: Result<Result<T, E>, glommio::GlommioError<()>>) -> Result<T, String> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(Group0Error::Timeout.to_string()),
    }
}

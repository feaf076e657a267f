//! `nodetool gossipinfo`: each member's state in Cassandra's shape — a `/<address>` line,
//! then indented `KEY:value` lines. Percore has no gossip: the state is group 0's ring record
//! (status, dc, rack, tokens, host id, addresses, release) and what the member said of
//! itself when asked (generation = its start time, heartbeat = its uptime in seconds, load,
//! schema version). A member that is down or did not answer has only the ring's part, as
//! Cassandra shows a dead endpoint's last known state. Cassandra's per-field gossip version
//! numbers have no meaning here and are left out.

use crate::admin::ring_views::MemberView;
use crate::nodetool::ring_answers::RingAnswers;

pub fn gossipinfo(answers: &RingAnswers) -> String {
    let mut out = String::new();
    let mut members: Vec<&MemberView> = answers.ring.members.iter().collect();
    members.sort_by(|a, b| a.address.cmp(&b.address));
    for member in members {
        out.push_str(&format!("/{}\n", member.address));
        let info = answers.nodes.get(&member.host_id);
        if let Some(info) = info {
            out.push_str(&format!("  generation:{}\n", info.generation));
            out.push_str(&format!("  heartbeat:{}\n", info.uptime_seconds));
        }
        let first_token = member.tokens.first().map_or_else(String::new, i64::to_string);
        out.push_str(&format!("  STATUS:NORMAL,{first_token}\n"));
        if let Some(info) = info {
            out.push_str(&format!("  LOAD:{:.1}\n", info.load_bytes as f64));
        }
        if let Some(version) = answers.schema_version(member) {
            out.push_str(&format!("  SCHEMA:{version}\n"));
        }
        out.push_str(&format!("  DC:{}\n", member.data_center));
        out.push_str(&format!("  RACK:{}\n", member.rack));
        out.push_str(&format!("  RELEASE_VERSION:{}\n", member.release_version));
        out.push_str(&format!("  RPC_ADDRESS:{}\n", member.rpc_address));
        out.push_str(&format!("  HOST_ID:{}\n", member.host_id));
        out.push_str("  TOKENS:<hidden>\n");
    }
    out
}

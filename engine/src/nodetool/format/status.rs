//! `nodetool status` and `nodetool ring` as Cassandra 4 prints them (`Status`, `Ring`).
//!
//! * status: one block per data center (by name): `Datacenter: <dc>` underlined, the
//!   legend, then a table shared by all blocks (`TableBuilder.SharedTable`: every column
//!   padded to its widest cell across the blocks, two spaces apart). Vnodes (more tokens than
//!   nodes) give `-- Address Load Tokens Owns Host ID Rack`, one token per node gives
//!   `-- Address Load Owns Host ID Token Rack`. Rows are ordered as Cassandra 5 orders them by
//!   default (4's order is a hash map's): by host id with vnodes (Java's `UUID.compareTo`,
//!   signed halves), by token otherwise. "Owns (effective)" is `##0.0%` of the member's
//!   effective ownership; without one, the column is "Owns", every value `?`, and the note
//!   follows the tables.
//! * ring: per data center, every token in token order with its owner's address, rack,
//!   Up/Down, Normal, load and effective ownership (`##0.00%`, or `?`), on Cassandra's
//!   fixed-width lines (the address column as wide as the longest `address:storage_port`,
//!   as Cassandra measures it), then the vnode warning and the note.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use uuid::Uuid;

use crate::admin::ring_views::MemberView;
use crate::nodetool::ring_answers::RingAnswers;

use super::file_size;

/// Columns of status's table are this far apart.
const STATUS_COLUMN_GAP: &str = "  ";
const LEGEND: &str = "Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n";
/// What Cassandra prints for a value it does not know.
const UNKNOWN: &str = "?";
const VNODES_WARNING: &str = "  Warning: \"nodetool ring\" is used to output all the tokens of a node.\n  \
     To view status related info of a node use \"nodetool status\" instead.\n\n";

/// The members of each data center, data centers by name.
pub fn by_datacenter(members: &[MemberView]) -> BTreeMap<&str, Vec<&MemberView>> {
    let mut dcs: BTreeMap<&str, Vec<&MemberView>> = BTreeMap::new();
    for m in members {
        dcs.entry(m.data_center.as_str()).or_default().push(m);
    }
    dcs
}

/// Java's `UUID.compareTo`: the most, then the least significant 64 bits, each signed.
fn java_uuid_order(a: &Uuid, b: &Uuid) -> Ordering {
    let halves = |u: &Uuid| {
        let (high, low) = u.as_u64_pair();
        (high as i64, low as i64)
    };
    halves(a).cmp(&halves(b))
}

/// A share as Java's `DecimalFormat` with `decimals` places and `%` prints Cassandra's
/// `Float` ownership.
fn percent(share: Option<f64>, decimals: usize) -> String {
    match share {
        Some(share) => format!("{:.decimals$}%", f64::from(share as f32) * 100.0),
        None => UNKNOWN.to_string(),
    }
}

fn load(answers: &RingAnswers, member: &MemberView) -> String {
    answers.load(member).map_or_else(|| UNKNOWN.to_string(), file_size)
}

/// Cassandra's `TableBuilder.SharedTable`: each table rendered with the column widths of
/// all of them, every cell padded, cells `gap` apart.
fn shared_tables(tables: &[Vec<Vec<String>>], gap: &str) -> Vec<String> {
    let columns = tables.iter().flatten().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| tables.iter().flatten().filter_map(|row| row.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    tables
        .iter()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let cells: Vec<String> = widths
                        .iter()
                        .enumerate()
                        .map(|(c, &width)| format!("{:<width$}", row.get(c).map_or("", String::as_str)))
                        .collect();
                    cells.join(gap) + "\n"
                })
                .collect()
        })
        .collect()
}

pub fn status(answers: &RingAnswers) -> String {
    let ring = &answers.ring;
    let dcs = by_datacenter(&ring.members);
    let token_count: usize = ring.members.iter().map(|m| m.tokens.len()).sum();
    let token_per_node = ring.members.len() >= token_count;
    let owns = if ring.ownership_note.is_none() { "Owns (effective)" } else { "Owns" };
    let header: Vec<String> = if token_per_node {
        ["--", "Address", "Load", owns, "Host ID", "Token", "Rack"].map(String::from).to_vec()
    } else {
        ["--", "Address", "Load", "Tokens", owns, "Host ID", "Rack"].map(String::from).to_vec()
    };
    let tables: Vec<Vec<Vec<String>>> = dcs
        .values()
        .map(|members| {
            let mut members = members.clone();
            if token_per_node {
                members.sort_by_key(|m| m.tokens.first().copied());
            } else {
                members.sort_by(|a, b| java_uuid_order(&a.host_id, &b.host_id));
            }
            let mut rows = vec![header.clone()];
            for m in members {
                let state = format!("{}N", if m.up { "U" } else { "D" });
                let tokens = if token_per_node {
                    m.tokens.first().map(i64::to_string).unwrap_or_default()
                } else {
                    m.tokens.len().to_string()
                };
                let (address, load, owns, host, rack) =
                    (m.address.clone(), load(answers, m), percent(m.owns, 1), m.host_id.to_string(), m.rack.clone());
                rows.push(if token_per_node {
                    vec![state, address, load, owns, host, tokens, rack]
                } else {
                    vec![state, address, load, tokens, owns, host, rack]
                });
            }
            rows
        })
        .collect();
    let mut out = String::new();
    for (i, (dc, table)) in dcs.keys().zip(shared_tables(&tables, STATUS_COLUMN_GAP)).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let title = format!("Datacenter: {dc}");
        out.push_str(&format!("{title}\n{}\n{LEGEND}{table}", "=".repeat(title.chars().count())));
    }
    out.push('\n');
    if let Some(note) = &ring.ownership_note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

/// `address:port` as Java's `InetAddressAndPort.getHostAddressAndPort` writes it.
pub fn address_and_port(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

pub fn ring(answers: &RingAnswers) -> String {
    let ring = &answers.ring;
    let width =
        ring.members.iter().map(|m| address_and_port(&m.address, ring.storage_port).chars().count()).max().unwrap_or(0);
    let line = |cells: [&str; 7]| {
        let [address, rack, status, state, load, owns, token] = cells;
        format!("{address:<width$}  {rack:<12}{status:<7}{state:<8}{load:<16}{owns:<20}{token:<44}\n")
    };
    let mut out = String::from("\n");
    for (dc, members) in by_datacenter(&ring.members) {
        out.push_str(&format!("Datacenter: {dc}\n==========\n"));
        out.push_str(&line(["Address", "Rack", "Status", "State", "Load", "Owns", "Token"]));
        let mut tokens: Vec<(i64, &MemberView)> =
            members.iter().flat_map(|m| m.tokens.iter().map(move |&t| (t, *m))).collect();
        tokens.sort_by_key(|&(t, _)| t);
        match tokens.last() {
            Some((last, _)) if tokens.len() > 1 => out.push_str(&line(["", "", "", "", "", "", &last.to_string()])),
            _ => out.push('\n'),
        }
        for (token, m) in tokens {
            let status = if m.up { "Up" } else { "Down" };
            let (load, owns) = (load(answers, m), percent(m.owns, 2));
            out.push_str(&line([&m.address, &m.rack, status, "Normal", &load, &owns, &token.to_string()]));
        }
        out.push('\n');
    }
    if ring.members.iter().any(|m| m.tokens.len() > 1) {
        out.push_str(VNODES_WARNING);
    }
    out.push_str("\n  ");
    if let Some(note) = &ring.ownership_note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::admin::ring_views::{KeyspaceReplication, RingView};
    use crate::nodetool::format::info::sample;

    pub fn member(n: u8, dc: &str, rack: &str, tokens: &[i64], up: bool, owns: Option<f64>) -> MemberView {
        MemberView {
            host_id: Uuid::from_u128(((0xf0 - n as u128) << 120) | n as u128),
            address: format!("127.0.0.{n}"),
            rpc_address: format!("127.0.0.{n}"),
            data_center: dc.into(),
            rack: rack.into(),
            tokens: tokens.to_vec(),
            up,
            release_version: "3.0.8".into(),
            owns,
        }
    }

    /// Three nodes: .1 (the asked one) and .2 up in dc1, .3 down in dc2; only .1 answered.
    pub fn answers(members: Vec<MemberView>, note: Option<&str>) -> RingAnswers {
        let mut local = sample();
        local.host_id = members[0].host_id;
        RingAnswers {
            nodes: [(local.host_id, local.clone())].into_iter().collect(),
            local,
            ring: RingView {
                schema_version: Uuid::from_u128(7),
                storage_port: 7000,
                members,
                ownership_note: note.map(String::from),
                keyspaces: vec![KeyspaceReplication {
                    name: "ks".into(),
                    class: "SimpleStrategy".into(),
                    options: [("replication_factor".to_string(), "2".to_string())].into_iter().collect(),
                }],
            },
        }
    }

    pub fn three() -> Vec<MemberView> {
        vec![
            member(1, "dc1", "rack1", &[-10, 40], true, Some(2.0 / 3.0)),
            member(2, "dc1", "rack22", &[0, 50], true, Some(1.0 / 3.0)),
            member(3, "dc2", "rack1", &[20, 30], false, Some(1.0)),
        ]
    }

    #[test]
    fn status_has_a_block_per_datacenter_with_shared_columns() {
        let text = status(&answers(three(), None));
        let host = |n: usize| three()[n].host_id.to_string();
        let expected = format!(
            "Datacenter: dc1\n\
             ===============\n\
             {LEGEND}\
             --  Address    Load        Tokens  Owns (effective)  Host ID                               Rack  \n\
             UN  127.0.0.2  ?           2       33.3%             {}  rack22\n\
             UN  127.0.0.1  306.77 KiB  2       66.7%             {}  rack1 \n\
             \n\
             Datacenter: dc2\n\
             ===============\n\
             {LEGEND}\
             --  Address    Load        Tokens  Owns (effective)  Host ID                               Rack  \n\
             DN  127.0.0.3  ?           2       100.0%            {}  rack1 \n\
             \n",
            host(1),
            host(0),
            host(2)
        );
        assert_eq!(text, expected, "{text}");
    }

    #[test]
    fn status_without_effective_ownership_prints_the_note() {
        let mut members = three();
        members.iter_mut().for_each(|m| m.owns = None);
        let text = status(&answers(members, Some("Non-system keyspaces differ")));
        assert!(text.contains("--  Address    Load        Tokens  Owns  Host ID"), "{text}");
        assert!(text.contains("  2       ?     "), "{text}");
        assert!(text.ends_with("\n\nNote: Non-system keyspaces differ\n"), "{text}");
    }

    #[test]
    fn one_token_per_node_shows_the_token() {
        let members =
            vec![member(1, "dc1", "r1", &[5], true, Some(1.0)), member(2, "dc1", "r1", &[-5], true, Some(1.0))];
        let lines: Vec<String> = status(&answers(members, None)).lines().map(String::from).collect();
        assert!(lines[4].starts_with("--  Address    Load        Owns (effective)  Host ID  "), "{}", lines[4]);
        assert!(lines[5].starts_with("UN  127.0.0.2  ?           100.0%"), "by token: {}", lines[5]);
        assert!(lines[6].contains(" 5  "), "{}", lines[6]);
    }

    #[test]
    fn uuids_compare_as_java_does() {
        let high = Uuid::from_u128(0x8000_0000_0000_0000_0000_0000_0000_0000);
        let low = Uuid::from_u128(0x7000_0000_0000_0000_0000_0000_0000_0000);
        assert_eq!(java_uuid_order(&high, &low), Ordering::Less, "the sign bit makes 8... negative");
        assert_eq!(percent(Some(1.0), 1), "100.0%");
        assert_eq!(percent(Some(2.0 / 3.0), 2), "66.67%");
        assert_eq!(percent(None, 2), "?");
    }

    #[test]
    fn ring_lists_every_token_of_each_datacenter() {
        let text = ring(&answers(three(), None));
        let pad = |s: &str| format!("{s:<44}");
        let line = |a: &str, r: &str, s: &str, l: &str, o: &str, t: &str| {
            format!("{a:<14}  {r:<12}{s:<7}{:<8}{l:<16}{o:<20}{}\n", "Normal", pad(t))
        };
        let header = format!(
            "{:<14}  {:<12}{:<7}{:<8}{:<16}{:<20}{}\n",
            "Address",
            "Rack",
            "Status",
            "State",
            "Load",
            "Owns",
            pad("Token")
        );
        let last = |t: &str| format!("{:<14}  {:<12}{:<7}{:<8}{:<16}{:<20}{}\n", "", "", "", "", "", "", pad(t));
        let expected = [
            "\nDatacenter: dc1\n==========\n".to_string(),
            header.clone(),
            last("50"),
            line("127.0.0.1", "rack1", "Up", "306.77 KiB", "66.67%", "-10"),
            line("127.0.0.2", "rack22", "Up", "?", "33.33%", "0"),
            line("127.0.0.1", "rack1", "Up", "306.77 KiB", "66.67%", "40"),
            line("127.0.0.2", "rack22", "Up", "?", "33.33%", "50"),
            "\nDatacenter: dc2\n==========\n".to_string(),
            header,
            last("30"),
            line("127.0.0.3", "rack1", "Down", "?", "100.00%", "20"),
            line("127.0.0.3", "rack1", "Down", "?", "100.00%", "30"),
            "\n".to_string(),
            VNODES_WARNING.to_string(),
            "\n  ".to_string(),
        ]
        .concat();
        assert_eq!(text, expected, "{text}");
    }

    #[test]
    fn a_single_token_ring_has_a_blank_line_for_the_last_token() {
        let text = ring(&answers(vec![member(1, "dc1", "rack1", &[0], true, None)], Some("meaningless")));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[4], "");
        assert!(
            lines[5].starts_with("127.0.0.1       rack1       Up     Normal  306.77 KiB      ?                   0 ")
        );
        assert!(text.ends_with("\n\n  Note: meaningless\n"), "{text:?}");
        assert!(!text.contains("Warning"));
    }
}

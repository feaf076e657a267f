//! The ring as `nodetool status`, `ring`, `describecluster`, `describering` and
//! `getendpoints` print it (Cassandra's `Status`, `Ring`, `DescribeCluster`,
//! `DescribeRing`, `GetEndpoints`). One node for now: it is up, normal, and owns the ring.

use crate::admin::views::{NodeInfo, TokenRangeView};

use super::file_size;

/// `Datacenter: <dc>` underlined with `=` (Cassandra's status header).
fn datacenter_header(dc: &str) -> String {
    let header = format!("Datacenter: {dc}");
    format!("{header}\n{}\n", "=".repeat(header.len()))
}

pub fn status(info: &NodeInfo) -> String {
    let width = info.address.len();
    let line = |status: &str, address: &str, load: &str, tokens: &str, owns: &str, host: &str, rack: &str| {
        format!("{status}  {address:<width$}  {load:<9}  {tokens:<11}  {owns:<16}  {host:<36}  {rack}\n")
    };
    let mut out = datacenter_header(&info.data_center);
    out.push_str("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n");
    out.push_str(&line("--", "Address", "Load", "Tokens", "Owns (effective)", "Host ID", "Rack"));
    out.push_str(&line(
        "UN",
        &info.address,
        &file_size(info.load_bytes),
        &info.tokens.len().to_string(),
        "100.0%",
        &info.host_id.to_string(),
        &info.rack,
    ));
    out.push('\n');
    out
}

pub fn ring(info: &NodeInfo) -> String {
    let width = info.address.len().max("Address".len());
    let line = |cells: [&str; 7]| {
        let [address, rack, status, state, load, owns, token] = cells;
        format!("{address:<width$}  {rack:<12}{status:<7}{state:<8}{load:<16}{owns:<20}{token:<44}")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = format!("\nDatacenter: {}\n==========\n", info.data_center);
    out.push_str(&line(["Address", "Rack", "Status", "State", "Load", "Owns", "Token"]));
    out.push('\n');
    let load = file_size(info.load_bytes);
    for token in &info.tokens {
        out.push_str(&line([&info.address, &info.rack, "Up", "Normal", &load, "100.00%", token]));
    }
    out.push('\n');
    out
}

pub fn describe_cluster(info: &NodeInfo) -> String {
    format!(
        "Cluster Information:\n\tName: {}\n\tSnitch: {}\n\tDynamicEndPointSnitch: disabled\n\tPartitioner: {}\n\tSchema versions:\n\t\t{}: [{}]\n\n",
        info.cluster_name, info.snitch, info.partitioner, info.schema_version, info.address
    )
}

pub fn describe_ring(schema_version: &uuid::Uuid, ranges: &[TokenRangeView]) -> String {
    let mut out = format!("Schema Version:{schema_version}\nTokenRange: \n");
    for r in ranges {
        let details: Vec<String> = r
            .endpoint_details
            .iter()
            .map(|d| format!("EndpointDetails(host:{}, datacenter:{}, rack:{})", d.host, d.datacenter, d.rack))
            .collect();
        out.push_str(&format!(
            "\tTokenRange(start_token:{}, end_token:{}, endpoints:[{}], rpc_endpoints:[{}], endpoint_details:[{}])\n",
            r.start_token,
            r.end_token,
            r.endpoints.join(", "),
            r.rpc_endpoints.join(", "),
            details.join(", ")
        ));
    }
    out
}

pub fn endpoints(addresses: &[String]) -> String {
    addresses.iter().map(|a| format!("{a}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::views::EndpointDetails;
    use crate::nodetool::format::info::sample;

    #[test]
    fn status_has_the_header_block_and_one_node() {
        let text = status(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Datacenter: datacenter1");
        assert_eq!(lines[1], "=======================");
        assert_eq!(lines[2], "Status=Up/Down");
        assert_eq!(lines[3], "|/ State=Normal/Leaving/Joining/Moving");
        assert!(
            lines[4].starts_with("--  Address    Load       Tokens       Owns (effective)  Host ID"),
            "{}",
            lines[4]
        );
        assert_eq!(
            lines[5],
            "UN  127.0.0.1  306.77 KiB  1            100.0%            0d3c0000-0000-4000-8000-000000000001  rack1"
        );
    }

    #[test]
    fn ring_and_cluster_descriptions() {
        let ring = ring(&sample());
        assert!(ring.contains("Address    Rack        Status State   Load            Owns                Token\n"));
        assert!(
            ring.contains("127.0.0.1  rack1       Up     Normal  306.77 KiB      100.00%             0\n"),
            "{ring}"
        );
        let cluster = describe_cluster(&sample());
        assert!(cluster.starts_with("Cluster Information:\n\tName: Test Cluster\n"));
        assert!(cluster.contains("\t\t00000000-0000-0000-0000-000000000007: [127.0.0.1]\n"));
        let range = TokenRangeView {
            start_token: "0".into(),
            end_token: "0".into(),
            endpoints: vec!["127.0.0.1".into()],
            rpc_endpoints: vec!["127.0.0.1".into()],
            endpoint_details: vec![EndpointDetails {
                host: "127.0.0.1".into(),
                datacenter: "dc1".into(),
                rack: "r1".into(),
            }],
        };
        assert_eq!(
            describe_ring(&uuid::Uuid::from_u128(7), &[range]).lines().nth(2),
            Some("\tTokenRange(start_token:0, end_token:0, endpoints:[127.0.0.1], rpc_endpoints:[127.0.0.1], endpoint_details:[EndpointDetails(host:127.0.0.1, datacenter:dc1, rack:r1)])")
        );
        assert_eq!(endpoints(&["127.0.0.1".into()]), "127.0.0.1\n");
    }
}

//! Shard N talks to shard N: a client shard's connections are served by the peer shard of
//! the same number (modulo the peer's shard count), whichever shard accepted them.

use crate::messaging::{Messaging, Verb};

use super::harness::{config, ip, run, TestNode};

#[test]
fn each_client_shard_is_served_by_the_peer_shard_of_its_number() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 2);
    run(move || async move {
        let peer = ip("127.0.0.2");
        // Shards of a 4-shard client node: 0 → 0, 1 → 1, 2 → 0, 3 → 1 on the 2-shard peer.
        for shard in 0..4usize {
            let client = Messaging::new(config("127.0.0.1", port, 4, shard));
            for round in 0..3 {
                let (_, served_by): (String, u32) = client.send(peer, Verb::Echo, "which shard?").await.unwrap();
                assert_eq!(served_by as usize, shard % 2, "client shard {shard}, round {round}");
            }
            assert_eq!(client.peer_info(peer).unwrap().nr_shards, 2);
            let opened = client.stats().connections_opened;
            assert!((1..=2).contains(&opened), "at most one reconnect to reach the right shard: {opened}");
            client.shutdown();
        }
    });
}

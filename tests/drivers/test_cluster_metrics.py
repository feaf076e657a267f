"""A 3-node cluster's health on each node's /metrics: group 0 (one leader, one term, three
voters), the members up and down as each node's failure detector sees them, and the
internode messaging counters (engine/src/admin/cluster_metrics.rs).

Real `percore` processes on 127.A.B.1-3 (tests/drivers/local_cluster.py), one shard each;
failure detector timeout: the launcher's 2 s. Metrics only: no driver involved.
"""

import time
import urllib.request

from percore_harness import parse_prometheus

FD_TIMEOUT_S = 2.0
DOWN_SLACK_S = 1.0           # the budget beyond the detector timeout for a scrape to say DOWN
SETTLE_S = 20.0              # a cluster just started: the last joiner's record reaching everyone
POLL_S = 0.1
SCRAPE_TIMEOUT_S = 2.0
CLASSES = ("small", "mutation", "read", "bulk")
NODES = (1, 2, 3)


def scrape(cluster, i):
    """{metric: {frozenset(labels): value}} of node i's /metrics."""
    node = cluster.node(i)
    url = f"http://{node.address}:{node.ports['prometheus_port']}/metrics"
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_S) as response:
        return parse_prometheus(response.read().decode())


def value(samples, name, **labels):
    """The one sample of `name` with exactly `labels`."""
    return samples[name][frozenset(labels.items())]


def total(samples, name, **labels):
    """The sum of `name` over the samples that carry `labels` (e.g. every shard of a class)."""
    wanted = set(labels.items())
    return sum(v for key, v in samples.get(name, {}).items() if wanted <= key)


def cluster_health(samples):
    return {
        "leader": value(samples, "percore_group0_leader"),
        "term": value(samples, "percore_group0_term"),
        "voters": value(samples, "percore_group0_voters"),
        "up": value(samples, "percore_cluster_nodes", status="up"),
        "down": value(samples, "percore_cluster_nodes", status="down"),
    }


def wait_until(condition, timeout, what):
    """Polls `condition()` (a value, falsy until done) until `timeout`; returns its value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(POLL_S)
    raise AssertionError(f"{what} not within {timeout} s; last: {last}")


def settled(cluster, nodes):
    """{node: health} once exactly one node leads, all agree on the term and see every node up."""
    health = {i: cluster_health(scrape(cluster, i)) for i in nodes}
    leaders = [i for i, h in health.items() if h["leader"] == 1]
    terms = {h["term"] for h in health.values()}
    agreed = len(leaders) == 1 and len(terms) == 1 and all(
        h["up"] == len(NODES) and h["down"] == 0 and h["voters"] == len(NODES) for h in health.values())
    return health if agreed else None


def test_each_node_reports_group0_membership_and_messaging(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    health = wait_until(lambda: settled(cluster, NODES), SETTLE_S, "one leader, one term, 3 nodes up everywhere")
    [leader] = [i for i, h in health.items() if h["leader"] == 1]

    for i in NODES:
        samples = scrape(cluster, i)
        assert value(samples, "percore_group0_applied_index") > 0, f"node {i} applied nothing"
        assert value(samples, "percore_group0_last_log_index") >= value(samples, "percore_group0_applied_index")
        for name in ("percore_messaging_requests_sent_total", "percore_messaging_requests_received_total",
                     "percore_messaging_responses_received_total", "percore_messaging_responses_sent_total"):
            assert total(samples, name, **{"class": "small"}) > 0, f"node {i}: {name} is 0 (echoes, raft)"
        classes = {dict(key)["class"] for key in samples["percore_messaging_timeouts_total"]}
        assert classes == set(CLASSES), classes
        assert total(samples, "percore_messaging_connections_opened_total") > 0, f"node {i} opened no connection"
        assert total(samples, "percore_messaging_connections_accepted_total") > 0, f"node {i} accepted none"
        assert total(samples, "percore_messaging_bad_frames_total") == 0

    victim = next(i for i in NODES if i != leader)
    survivors = [i for i in NODES if i != victim]
    failed_before = {i: failed_small_requests(scrape(cluster, i)) for i in survivors}
    killed = time.monotonic()
    cluster.kill(victim)

    def everyone_sees_it_down():
        health = {i: cluster_health(scrape(cluster, i)) for i in survivors}
        return health if all(h["down"] == 1 and h["up"] == 2 for h in health.values()) else None

    health = wait_until(everyone_sees_it_down, FD_TIMEOUT_S + DOWN_SLACK_S + 1, f"node {victim} down on {survivors}")
    elapsed = time.monotonic() - killed
    assert elapsed <= FD_TIMEOUT_S + DOWN_SLACK_S, f"down after {elapsed:.2f} s"
    assert [i for i, h in health.items() if h["leader"] == 1] == [leader], health
    assert len({h["term"] for h in health.values()}) == 1, health
    for i in survivors:
        failed = failed_small_requests(scrape(cluster, i))
        assert failed > failed_before[i], f"node {i}: echoes to the dead node counted no timeout or error"


def failed_small_requests(samples):
    small = {"class": "small"}
    return (total(samples, "percore_messaging_timeouts_total", **small)
            + total(samples, "percore_messaging_send_errors_total", **small))


def test_a_single_node_is_a_cluster_of_one(server):
    samples = parse_prometheus(server.metrics_text())
    health = cluster_health(samples)
    assert health["term"] >= 1
    assert health == {"leader": 1, "term": health["term"], "voters": 1, "up": 1, "down": 0}, health
    shards = {dict(key)["shard"] for key in samples["percore_messaging_requests_sent_total"]}
    assert shards == {str(s) for s in range(server.smp)}

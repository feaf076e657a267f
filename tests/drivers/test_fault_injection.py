"""The test-only messaging fault injection (engine/src/messaging/fault.rs), as the tests of a
cluster drive it: `POST /messaging/fault_injection` installs rules on every shard, `GET` lists
them, `DELETE` clears them; bad rules are refused with 400 and the reason; an oversized body
with 413. The `messaging_fault_injection` key of percore.yaml installs rules at start-up, and
bad rules there stop start-up. The faults applied are exported per shard and action.

One node (smp 2: the rules must reach both shards); HTTP only, no driver involved.
"""

import json
import socket
import urllib.error
import urllib.request

import pytest

from percore_harness import HOST
from test_io_properties import start_expecting_failure

PATH = "/messaging/fault_injection"
HTTP_TIMEOUT_S = 5.0
RULES = {
    "rules": [
        {"verb": "MUTATION", "peer": "127.0.0.3", "action": "drop"},
        {"verb": "read", "action": "delay", "ms": 150, "probability": 0.5},
        {"action": "duplicate"},
    ],
    "seed": 7,
}
# What the node answers for RULES: verb names as Verb::name() spells them, every probability.
RULES_IN_FORCE = {
    "rules": [
        {"verb": "MUTATION", "peer": "127.0.0.3", "action": "drop", "probability": 1.0},
        {"verb": "READ", "action": "delay", "ms": 150, "probability": 0.5},
        {"action": "duplicate", "probability": 1.0},
    ],
    "seed": 7,
}
NO_RULES = {"rules": []}
BODY_BYTES_MAX = 64 * 1024  # limits::ADMIN_REQUEST_BODY_BYTES_MAX


def request(server, method, body=None):
    """(status, body text) of `method PATH` on the node's admin endpoint."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    url = f"http://{HOST}:{server.prometheus_port}{PATH}"
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def rules_in_force(server):
    status, text = request(server, "GET")
    assert status == 200, text
    return json.loads(text)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    from support import ServerFactory

    factory = ServerFactory(tmp_path_factory.mktemp("faults"))
    server = factory.start(2)
    yield server
    assert not factory.stop_all()


def test_off_by_default_then_installed_listed_and_cleared(node):
    assert rules_in_force(node) == NO_RULES
    status, text = request(node, "POST", RULES)
    assert status == 200, text
    assert json.loads(text) == RULES_IN_FORCE
    assert rules_in_force(node) == RULES_IN_FORCE
    # A POST replaces the rules.
    status, text = request(node, "POST", {"rules": [{"verb": "ECHO", "action": "drop"}]})
    assert status == 200, text
    assert rules_in_force(node) == {"rules": [{"verb": "ECHO", "action": "drop", "probability": 1.0}]}
    status, text = request(node, "DELETE")
    assert status == 200, text
    assert rules_in_force(node) == NO_RULES


@pytest.mark.parametrize("body, reason", [
    ({"rules": [{"verb": "MUTATE", "action": "drop"}]}, "unknown verb 'MUTATE'"),
    ({"rules": [{"action": "explode"}]}, "unknown action 'explode'"),
    ({"rules": [{"action": "drop", "probability": 2}]}, "probability 2 is not between 0 and 1"),
    ({"rules": [{"action": "delay"}]}, "a delay rule needs 'ms'"),
    ({"rules": [{"action": "drop", "peer": "not-an-address"}]}, "invalid IP address"),
    ({"rules": [{"action": "drop"}] * 65}, "more than the limit of 64"),
    (b"{not json", "invalid fault injection rules"),
], ids=["verb", "action", "probability", "delay", "peer", "too-many", "json"])
def test_bad_rules_are_refused_and_change_nothing(node, body, reason):
    status, text = request(node, "POST", RULES)
    assert status == 200, text
    status, text = request(node, "POST", body)
    assert status == 400, text
    assert reason in text, text
    assert rules_in_force(node) == RULES_IN_FORCE
    request(node, "DELETE")


def test_an_oversized_body_is_refused_with_413(node):
    with socket.create_connection((HOST, node.prometheus_port), timeout=HTTP_TIMEOUT_S) as s:
        s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY_BYTES_MAX + 1}\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert rules_in_force(node) == NO_RULES


def test_other_methods_are_not_allowed(node):
    status, _ = request(node, "PUT", RULES)
    assert status == 405


def test_the_faults_applied_are_exported_per_shard_and_action(node):
    samples = node.metrics().samples["percore_messaging_faults_total"]
    keys = {(dict(k)["shard"], dict(k)["action"]) for k in samples}
    assert keys == {(s, a) for s in ("0", "1") for a in ("drop", "delay", "duplicate")}


def test_the_config_key_installs_rules_at_start_up(percore_factory, tmp_path):
    config = tmp_path / "percore.yaml"
    config.write_text(
        "messaging_fault_injection:\n"
        "  seed: 3\n"
        "  rules:\n"
        "    - verb: READ\n"
        "      peer: 127.0.0.2\n"
        "      action: delay\n"
        "      ms: 20\n"
    )
    server = percore_factory.start(smp=2, extra_args=["--config", str(config)])
    assert rules_in_force(server) == {
        "rules": [{"verb": "READ", "peer": "127.0.0.2", "action": "delay", "ms": 20, "probability": 1.0}],
        "seed": 3,
    }
    assert "messaging fault injection ON" in server.log_path.read_text(errors="replace")


def test_bad_rules_in_the_config_stop_start_up(tmp_path):
    config = tmp_path / "percore.yaml"
    config.write_text("messaging_fault_injection:\n  rules:\n    - verb: WRITE\n      action: drop\n")
    code, stderr = start_expecting_failure(tmp_path, "--config", str(config))
    assert code != 0
    assert "invalid value for messaging_fault_injection" in stderr and "unknown verb 'WRITE'" in stderr, stderr


def test_dropping_echoes_to_a_peer_makes_it_look_down_until_cleared(local_cluster_factory):
    """The rules act on real traffic: node 1 dropping every ECHO to node 2 holds it down
    (its failure detector hears nothing) while node 2 still sees node 1 up; clearing the
    rules brings it back."""
    from test_cluster_metrics import FD_TIMEOUT_S, SETTLE_S, cluster_health, scrape, total, wait_until

    cluster = local_cluster_factory(2).start()

    def health(i):
        return cluster_health(scrape(cluster, i))

    wait_until(lambda: all(health(i)["up"] == 2 for i in (1, 2)), SETTLE_S, "both nodes up on both")
    node1 = cluster.node(1)
    url = f"http://{node1.address}:{node1.ports['prometheus_port']}{PATH}"
    peer = cluster.node_address(2)

    def call(method, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as response:
            return response.status

    assert call("POST", {"rules": [{"verb": "ECHO", "peer": peer, "action": "drop"}]}) == 200
    wait_until(lambda: health(1)["down"] == 1, 3 * FD_TIMEOUT_S + 2, f"node 2 ({peer}) down on node 1")
    assert health(2)["down"] == 0, "node 2 still hears node 1"
    assert total(scrape(cluster, 1), "percore_messaging_faults_total", action="drop") > 0
    assert call("DELETE") == 200
    wait_until(lambda: health(1)["up"] == 2, 3 * FD_TIMEOUT_S + 2, "node 2 up again on node 1")

"""Consistency levels answered as a one-node Cassandra cluster answers them: a level that
blocks for more replicas than the keyspace's replication gives this node is `Unavailable`
(code 0x1000, with the level, the replicas required and alive), levels that make no sense
for the request are `Invalid`, and everything the node can serve works.

Statements carry `FallthroughRetryPolicy` so the driver reports the server's answer instead
of retrying it on another host."""

import pytest
from cassandra import ConsistencyLevel as CL
from cassandra import InvalidRequest, Unavailable, WriteTimeout
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import SimpleStatement


def run(session, query, level, serial=None, params=None):
    statement = SimpleStatement(
        query, consistency_level=level, serial_consistency_level=serial, retry_policy=FallthroughRetryPolicy()
    )
    return session.execute(statement, params)


@pytest.fixture
def keyspaces(session, ks):
    """Three keyspaces: replication 3 (one node: 1 alive), local datacenter 1, another datacenter only."""
    # Keyspace names stop at 48 characters: shorten the test's own.
    base = f"cl{abs(hash(ks)) % 10**8}"
    names = {"rf3": f"{base}_rf3", "local": f"{base}_local", "remote": f"{base}_remote"}
    replication = {
        "rf3": "{'class': 'SimpleStrategy', 'replication_factor': 3}",
        "local": "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1, 'dc2': 2}",
        "remote": "{'class': 'NetworkTopologyStrategy', 'dc2': 1}",
    }
    session.execute(f"CREATE TABLE {ks}.kv (k int PRIMARY KEY, v int)")
    for key, name in names.items():
        session.execute(f"CREATE KEYSPACE {name} WITH replication = {replication[key]}")
        session.execute(f"CREATE TABLE {name}.t (k int PRIMARY KEY, v int)")
    yield names
    for name in names.values():
        session.execute(f"DROP KEYSPACE {name}")


def assert_unavailable(session, query, level, required, alive, serial=None):
    with pytest.raises(Unavailable) as info:
        run(session, query, level, serial)
    e = info.value
    # A conditional write's Paxos round reports its serial level.
    reported = serial if serial is not None else level
    assert (e.consistency, e.required_replicas, e.alive_replicas) == (reported, required, alive)
    assert "Cannot achieve consistency level" in str(e)


def test_levels_one_node_can_serve(session, ks, keyspaces):
    for level in (CL.ONE, CL.LOCAL_ONE, CL.QUORUM, CL.LOCAL_QUORUM, CL.ALL, CL.EACH_QUORUM, CL.ANY):
        run(session, f"INSERT INTO {ks}.kv (k, v) VALUES (1, 1)", level)
    for level in (CL.ONE, CL.QUORUM, CL.ALL, CL.SERIAL, CL.LOCAL_SERIAL):
        assert run(session, f"SELECT v FROM {ks}.kv WHERE k = 1", level).one().v == 1
    rf3 = keyspaces["rf3"]
    run(session, f"INSERT INTO {rf3}.t (k, v) VALUES (1, 1)", CL.ONE)
    assert run(session, f"SELECT v FROM {rf3}.t WHERE k = 1", CL.LOCAL_ONE).one().v == 1
    local = keyspaces["local"]
    run(session, f"INSERT INTO {local}.t (k, v) VALUES (1, 1)", CL.LOCAL_QUORUM)
    assert run(session, f"SELECT v FROM {local}.t WHERE k = 1", CL.LOCAL_QUORUM).one().v == 1


def test_more_replicas_than_the_node_has_is_unavailable(session, keyspaces):
    rf3, local, remote = keyspaces["rf3"], keyspaces["local"], keyspaces["remote"]
    assert_unavailable(session, f"INSERT INTO {rf3}.t (k, v) VALUES (1, 1)", CL.QUORUM, 2, 1)
    assert_unavailable(session, f"SELECT * FROM {rf3}.t WHERE k = 1", CL.ALL, 3, 1)
    assert_unavailable(session, f"SELECT * FROM {rf3}.t", CL.TWO, 2, 1)
    assert_unavailable(session, f"UPDATE {rf3}.t SET v = 1 WHERE k = 1 IF EXISTS", CL.ONE, 2, 1, serial=CL.SERIAL)
    # Quorum over both datacenters (1 + 2 replicas) needs 2; each quorum needs dc2 too.
    assert_unavailable(session, f"INSERT INTO {local}.t (k, v) VALUES (1, 1)", CL.QUORUM, 2, 1)
    assert_unavailable(session, f"INSERT INTO {local}.t (k, v) VALUES (1, 1)", CL.EACH_QUORUM, 2, 0)
    # Replicated only to another datacenter: no replica here at all.
    assert_unavailable(session, f"INSERT INTO {remote}.t (k, v) VALUES (1, 1)", CL.ONE, 1, 0)
    assert_unavailable(session, f"SELECT * FROM {remote}.t WHERE k = 1", CL.LOCAL_ONE, 1, 0)
    # ANY is never Unavailable; with no replica to write to and no hints yet (Cassandra with
    # hinted_handoff_enabled: false), nothing can acknowledge it.
    with pytest.raises(WriteTimeout) as raised:
        run(session, f"INSERT INTO {remote}.t (k, v) VALUES (1, 1)", CL.ANY)
    assert (raised.value.received_responses, raised.value.required_responses) == (0, 1)


def test_levels_that_do_not_apply_are_invalid(session, ks, keyspaces):
    with pytest.raises(InvalidRequest, match="ANY ConsistencyLevel is only supported for writes"):
        run(session, f"SELECT * FROM {ks}.kv WHERE k = 1", CL.ANY)
    with pytest.raises(InvalidRequest, match="You must use conditional updates for serializable writes"):
        run(session, f"INSERT INTO {ks}.kv (k, v) VALUES (1, 1)", CL.SERIAL)

"""SCHEMA_CHANGE events: a second client learns about DDL it did not run, through the
event pushed on its control connection (the driver refreshes its metadata on the event)."""

import time

from support import connect

EVENT_BUDGET_S = 5.0


def test_other_client_sees_ddl_through_events(server2):
    watcher_cluster, _ = connect(server2)
    actor_cluster, actor = connect(server2)
    try:
        ks = "ks_events"
        actor.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        actor.execute(f"CREATE TABLE {ks}.watched (k int PRIMARY KEY, v text)")
        deadline = time.monotonic() + EVENT_BUDGET_S
        while time.monotonic() < deadline:
            meta = watcher_cluster.metadata.keyspaces.get(ks)
            if meta is not None and "watched" in meta.tables:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the watching client never saw the new table: no SCHEMA_CHANGE event arrived")
        actor.execute(f"DROP TABLE {ks}.watched")
        deadline = time.monotonic() + EVENT_BUDGET_S
        while "watched" in watcher_cluster.metadata.keyspaces[ks].tables:
            assert time.monotonic() < deadline, "the watching client never saw the DROP"
            time.sleep(0.05)
    finally:
        actor_cluster.shutdown()
        watcher_cluster.shutdown()

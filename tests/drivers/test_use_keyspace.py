"""USE <keyspace> then unqualified table names (also on every pooled connection)."""

from support import connect


def test_use_then_unqualified_names(server, ks):
    cluster, session = connect(server)
    try:
        session.execute(f"USE {ks}")
        assert session.keyspace == ks
        session.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        session.execute("INSERT INTO t (k, v) VALUES (1, 'one')")
        assert session.execute("SELECT v FROM t WHERE k = 1").one().v == "one"
        prepared = session.prepare("SELECT v FROM t WHERE k = ?")
        assert session.execute(prepared, (1,)).one().v == "one"
        assert "t" in cluster.metadata.keyspaces[ks].tables
    finally:
        cluster.shutdown()


def test_connect_with_keyspace(server, ks, session):
    session.execute(f"CREATE TABLE {ks}.u (k int PRIMARY KEY, v int)")
    cluster, ks_session = connect(server, keyspace=ks)
    try:
        insert = ks_session.prepare("INSERT INTO u (k, v) VALUES (?, ?)")
        for k in range(50):  # spread over partitions, so over shards on smp=2
            ks_session.execute(insert, (k, k * k))
        select = ks_session.prepare("SELECT v FROM u WHERE k = ?")
        assert [ks_session.execute(select, (k,)).one().v for k in range(50)] == [k * k for k in range(50)]
        # unqualified simple statements go to random connections: all must have the keyspace
        for k in range(20):
            assert ks_session.execute(f"SELECT v FROM u WHERE k = {k}").one().v == k * k
    finally:
        cluster.shutdown()


def test_qualified_names_ignore_current_keyspace(server, ks, session):
    session.execute(f"CREATE TABLE {ks}.w (k int PRIMARY KEY)")
    cluster, other = connect(server, keyspace="system")
    try:
        other.execute(f"INSERT INTO {ks}.w (k) VALUES (5)")
        assert other.execute(f"SELECT k FROM {ks}.w").one().k == 5
        assert other.execute("SELECT key FROM local WHERE key = 'local'").one().key == "local"
    finally:
        cluster.shutdown()

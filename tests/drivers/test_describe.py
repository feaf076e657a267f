"""Server-side DESCRIBE (Cassandra 4.0+ / ScyllaDB 5+): the rows drivers get, and cqlsh's output.

Results have Cassandra's columns: `keyspace_name, type, name` for listings, plus
`create_statement` for elements; `cluster, partitioner, snitch[, range_ownership]` for
DESCRIBE CLUSTER.
"""

import subprocess

import pytest
from cassandra import InvalidRequest

from support import connect
from test_cqlsh import TIMEOUT_S, cqlsh_args, cqlsh_env, is_scylla_cqlsh, run_cqlsh

LISTING = ["keyspace_name", "type", "name"]
ELEMENT = LISTING + ["create_statement"]


def table_options(**overrides):
    """The WITH clause DESCRIBE prints after the clustering order: every option, by name."""
    options = {
        "bloom_filter_fp_chance": "0.01",
        "caching": "{'keys': 'ALL', 'rows_per_partition': 'ALL'}",
        "comment": "''",
        "compaction": "{'class': 'SizeTieredCompactionStrategy'}",
        "compression": "{'sstable_compression': 'org.apache.cassandra.io.compress.LZ4Compressor'}",
        "crc_check_chance": "1",
        "dclocal_read_repair_chance": "0",
        "default_time_to_live": "0",
        "gc_grace_seconds": "864000",
        "max_index_interval": "2048",
        "memtable_flush_period_in_ms": "0",
        "min_index_interval": "128",
        "read_repair_chance": "0",
        "speculative_retry": "'99.0PERCENTILE'",
    }
    options.update(overrides)
    return "\n    AND ".join(f"{k} = {v}" for k, v in options.items()) + ";"


def events_table(ks):
    """Quoted names, a composite partition key, clustering order, a static column, options."""
    return (
        f'CREATE TABLE {ks}."Events" ("Device" text, day date, ts timestamp, seq int, '
        'owner text static, "Value" double, note text, PRIMARY KEY (("Device", day), ts, seq)) '
        "WITH CLUSTERING ORDER BY (ts DESC, seq ASC) AND comment = 'it''s' "
        "AND default_time_to_live = 60 AND gc_grace_seconds = 3600 "
        "AND compaction = {'class': 'LeveledCompactionStrategy'}"
    )


def events_text(ks):
    return (
        f'CREATE TABLE {ks}."Events" (\n'
        '    "Device" text,\n'
        "    day date,\n"
        "    ts timestamp,\n"
        "    seq int,\n"
        "    owner text static,\n"
        '    "Value" double,\n'
        "    note text,\n"
        '    PRIMARY KEY (("Device", day), ts, seq)\n'
        ") WITH CLUSTERING ORDER BY (ts DESC, seq ASC)\n"
        "    AND " + table_options(comment="'it''s'", compaction="{'class': 'LeveledCompactionStrategy'}",
                                   default_time_to_live="60", gc_grace_seconds="3600")
    )


def plain_text(ks, name):
    return f"CREATE TABLE {ks}.{name} (\n    k int,\n    v text,\n    PRIMARY KEY (k)\n) WITH " + table_options()


def keyspace_text(ks):
    return (f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'org.apache.cassandra.locator.SimpleStrategy', "
            "'replication_factor': '1'} AND durable_writes = true;")


def rows_of(result):
    return [tuple(r) for r in result]


def describe(session, cql):
    result = session.execute(cql)
    return result.column_names, rows_of(result)


def unquoted(name):
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


@pytest.fixture
def schema(session, ks):
    """`ks` with the tables "Events", alpha, zeta (case-insensitive order: alpha, Events, zeta)."""
    session.execute(events_table(ks))
    for name in ("zeta", "alpha"):
        session.execute(f"CREATE TABLE {ks}.{name} (k int PRIMARY KEY, v text)")
    return ks


def test_describe_table(session, schema):
    ks = schema
    expected = [(ks, "table", '"Events"', events_text(ks))]
    for cql in (f'DESCRIBE TABLE {ks}."Events"', f'desc columnfamily {ks}."Events"', f'DESCRIBE {ks}."Events"'):
        columns, rows = describe(session, cql)
        assert columns == ELEMENT, cql
        assert rows == expected, cql
    assert describe(session, f"DESCRIBE TABLE {ks}.alpha")[1] == [(ks, "table", "alpha", plain_text(ks, "alpha"))]


def test_describe_table_prepared(session, schema):
    ks = schema
    prepared = session.prepare(f"DESCRIBE TABLE {ks}.zeta")
    assert rows_of(session.execute(prepared)) == [(ks, "table", "zeta", plain_text(ks, "zeta"))]


def test_describe_output_recreates_the_table(session, schema):
    ks = schema
    text = describe(session, f'DESCRIBE TABLE {ks}."Events"')[1][0][3]
    session.execute(f'DROP TABLE {ks}."Events"')
    session.execute(text)
    assert describe(session, f'DESCRIBE TABLE {ks}."Events"')[1][0][3] == text


def test_describe_keyspace(server, session, schema):
    ks = schema
    expected = [
        (ks, "keyspace", ks, keyspace_text(ks)),
        (ks, "table", "alpha", plain_text(ks, "alpha")),
        (ks, "table", '"Events"', events_text(ks)),
        (ks, "table", "zeta", plain_text(ks, "zeta")),
    ]
    assert describe(session, f"DESCRIBE KEYSPACE {ks}") == (ELEMENT, expected)
    assert describe(session, f"DESC {ks}")[1] == expected
    assert describe(session, f"DESCRIBE ONLY KEYSPACE {ks}")[1] == expected[:1]
    cluster, in_ks = connect(server, keyspace=ks)
    try:
        assert describe(in_ks, "DESCRIBE KEYSPACE")[1] == expected
        assert describe(in_ks, "DESCRIBE zeta")[1] == expected[3:]
    finally:
        cluster.shutdown()


def test_describe_keyspaces(session, schema):
    columns, rows = describe(session, "DESCRIBE KEYSPACES")
    assert columns == LISTING
    assert (schema, "keyspace", schema) in rows
    assert ("system", "keyspace", "system") in rows and ("system_schema", "keyspace", "system_schema") in rows
    assert all(r[0] == r[2] and r[1] == "keyspace" for r in rows), rows
    names = [unquoted(r[2]) for r in rows]
    assert names == sorted(names, key=str.lower)


def test_describe_tables(server, session, schema):
    ks = schema
    cluster, in_ks = connect(server, keyspace=ks)
    try:
        assert describe(in_ks, "DESCRIBE TABLES") == (
            LISTING, [(ks, "table", "alpha"), (ks, "table", '"Events"'), (ks, "table", "zeta")])
        for cql in ("DESCRIBE TYPES", "DESCRIBE FUNCTIONS", "DESCRIBE AGGREGATES"):
            assert describe(in_ks, cql) == (LISTING, []), cql
    finally:
        cluster.shutdown()
    # Without a keyspace: every keyspace's tables, system ones included.
    rows = describe(session, "DESCRIBE TABLES")[1]
    assert [r for r in rows if r[0] == ks] == [(ks, "table", "alpha"), (ks, "table", '"Events"'), (ks, "table", "zeta")]
    assert ("system_schema", "table", "columns") in rows


def test_describe_schema(session, schema):
    ks = schema
    columns, rows = describe(session, "DESCRIBE SCHEMA")
    assert columns == ELEMENT
    mine = [r for r in rows if r[0] == ks]
    assert [r[1:3] for r in mine] == [("keyspace", ks), ("table", "alpha"), ("table", '"Events"'), ("table", "zeta")]
    assert mine[2][3] == events_text(ks)
    assert not any(r[0] in ("system", "system_schema") for r in rows)
    assert all(r[3].endswith(";") for r in rows)
    keyspaces = [unquoted(r[0]) for r in rows if r[1] == "keyspace"]
    assert keyspaces == sorted(keyspaces, key=str.lower)
    full = describe(session, "DESCRIBE FULL SCHEMA")[1]
    assert ("system", "keyspace") == full[[r[0] for r in full].index("system")][:2]
    assert any(r[0] == "system" and r[2] == "local" and r[3].startswith("CREATE TABLE system.local (") for r in full)


def test_describe_cluster(server, session, ks):
    assert describe(session, "DESCRIBE CLUSTER") == (
        ["cluster", "partitioner", "snitch"], [("Percore Cluster", "Murmur3Partitioner", "SimpleSnitch")])
    cluster, in_ks = connect(server, keyspace=ks)
    try:
        columns, rows = describe(in_ks, "DESCRIBE CLUSTER")
        assert columns == ["cluster", "partitioner", "snitch", "range_ownership"]
        assert rows[0][:3] == ("Percore Cluster", "Murmur3Partitioner", "SimpleSnitch")
        tokens = in_ks.execute("SELECT tokens FROM system.local").one().tokens
        ownership = dict(rows[0][3])
        assert set(ownership) == set(tokens), "a range per token of the node, keyed by its end token"
        assert all(list(endpoints) == ["127.0.0.1"] for endpoints in ownership.values())
    finally:
        cluster.shutdown()


@pytest.mark.parametrize("cql, message", [
    ("DESCRIBE KEYSPACE no_such_ks", "'no_such_ks' not found in keyspaces"),
    ("DESCRIBE no_such_thing", "'no_such_thing' not found in keyspaces"),
    ("DESCRIBE {ks}.nope", "'nope' not found in keyspace '{ks}'"),
    ("DESCRIBE TABLE {ks}.nope", "Table 'nope' not found in keyspace '{ks}'"),
    ("DESCRIBE TABLE no_such_ks.t", "'no_such_ks' not found in keyspaces"),
    ("DESCRIBE TABLE t", "No keyspace specified and no current keyspace"),
    ("DESCRIBE TYPE {ks}.x", "User defined type 'x' not found in '{ks}'"),
    ("DESCRIBE FUNCTION {ks}.f", "User defined function 'f' not found in '{ks}'"),
    ("DESCRIBE AGGREGATE {ks}.a", "User defined aggregate 'a' not found in '{ks}'"),
    ("DESCRIBE INDEX {ks}.i", "Table for existing index 'i' not found in '{ks}'"),
    ("DESCRIBE MATERIALIZED VIEW {ks}.v", "Materialized view 'v' not found in '{ks}'"),
])
def test_describe_errors(session, ks, cql, message):
    with pytest.raises(InvalidRequest) as e:
        session.execute(cql.format(ks=ks))
    assert message.format(ks=ks) in str(e.value)


@pytest.mark.skipif(not is_scylla_cqlsh(), reason="Apache cqlsh only DESCRIBEs server-side on Cassandra >= 4 "
                    "(we present as 3.0.8)")
def test_cqlsh_describe(server2, session2, tmp_path):
    ks = "cqlsh_describe"
    session2.execute(f"DROP KEYSPACE IF EXISTS {ks}")
    session2.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    session2.execute(events_table(ks))
    session2.execute(f"CREATE TABLE {ks}.alpha (k int PRIMARY KEY, v text)")

    def cqlsh(cql, keyspace=None):
        # One statement per run: cqlsh sends a whole multi-statement line as the DESCRIBE text.
        args = cqlsh_args(server2) + (["-k", keyspace] if keyspace else []) + ["-e", cql]
        proc = subprocess.run(args, env=cqlsh_env(tmp_path), capture_output=True, text=True, timeout=TIMEOUT_S)
        assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc.stdout

    out = cqlsh(f'DESCRIBE TABLE {ks}."Events"')
    assert events_text(ks) in out, out
    out = cqlsh(f"DESCRIBE KEYSPACE {ks}")
    assert keyspace_text(ks) in out and events_text(ks) in out and plain_text(ks, "alpha") in out, out
    assert out.index(keyspace_text(ks)) < out.index(plain_text(ks, "alpha")) < out.index(events_text(ks)), out
    out = cqlsh("DESCRIBE TABLES", keyspace=ks)
    assert 'alpha  "Events"' in out, out
    out = cqlsh("DESCRIBE CLUSTER", keyspace=ks)
    assert "Snitch: SimpleSnitch" in out and "Range ownership:" in out and "[127.0.0.1]" in out, out
    out = cqlsh("DESCRIBE KEYSPACES")
    assert ks in out and "system_schema" in out, out
    proc = run_cqlsh(server2, tmp_path, f"DESCRIBE TABLE {ks}.nope")
    assert f"Table 'nope' not found in keyspace '{ks}'" in proc.stderr, proc.stderr

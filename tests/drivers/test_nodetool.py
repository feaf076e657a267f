"""`percore nodetool` commands against a running node (smp 2) with some data: output in
Cassandra nodetool's shapes, throughput set and read back, auto-compaction switched off
and on, drain, stopdaemon, and unknown commands."""

import re
import socket
import subprocess

import pytest

from percore_harness import server_binary
from support import connect, stop_checked
from test_compaction import wait_for, write_and_flush
from test_flush_sstables import metric_total, nodetool

KS = "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SIZE = r"\d+(\.\d{1,2})? (bytes|KiB|MiB|GiB|TiB)"


def ok(server, *args):
    result = nodetool(server, *args)
    assert result.returncode == 0, f"nodetool {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """An smp=2 node with keyspace nt: table t (flushed and in memtables), read and written."""
    from support import ServerFactory

    factory = ServerFactory(tmp_path_factory.mktemp("nodetool"))
    server = factory.start(2)
    cluster, session = connect(server)
    session.execute(KS.format("nt"))
    session.execute("CREATE TABLE nt.t (p int, c int, v text, PRIMARY KEY (p, c))")
    session.execute("CREATE TABLE nt.other (k text PRIMARY KEY, v int)")
    insert = session.prepare("INSERT INTO nt.t (p, c, v) VALUES (?, ?, ?)")
    for p in range(40):
        for c in range(5):
            session.execute(insert, (p, c, f"v{p}-{c}"))
    ok(server, "flush", "nt")
    for p in range(40, 50):
        session.execute(insert, (p, 0, "in memtable"))
    for p in range(0, 50, 3):
        list(session.execute("SELECT * FROM nt.t WHERE p = %s", (p,)))
    yield server, session
    cluster.shutdown()
    assert not factory.stop_all()


def test_version_matches_system_local(loaded):
    server, session = loaded
    release = session.execute("SELECT release_version FROM system.local").one().release_version
    assert ok(server, "version") == f"ReleaseVersion: {release}\n"


def local_tokens(session):
    """system.local's tokens as numbers, ascending (a node owns num_tokens of them)."""
    return sorted(int(t) for t in session.execute("SELECT tokens FROM system.local").one().tokens)


def test_info(loaded):
    server, session = loaded
    out = ok(server, "info")
    host_id = session.execute("SELECT host_id FROM system.local").one().host_id
    tokens = local_tokens(session)
    assert len(tokens) == 256, "the default num_tokens"
    lines = out.splitlines()
    expected = [
        rf"ID                     : {host_id}",
        r"Gossip active          : (true|false)",
        r"Native Transport active: true",
        rf"Load                   : {SIZE}",
        r"Generation No          : \d+",
        r"Uptime \(seconds\)       : \d+",
        r"Heap Memory \(MB\)       : \d+\.\d\d / \d+\.\d\d",
        r"Data Center            : \S+",
        r"Rack                   : \S+",
        r"Exceptions             : 0",
        r"Key Cache              : entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, \d+ save period in seconds",
        r"Row Cache              : entries 0, .*",
        r"Counter Cache          : entries 0, .*",
        r"Percent Repaired       : \d+\.\d%",
        rf"Token                  : \(invoke with -T/--tokens to see all {len(tokens)} tokens\)",
    ]
    assert len(lines) == len(expected), out
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), f"{line!r} !~ {pattern!r}"
    listed = [line.split(": ", 1)[1] for line in ok(server, "info", "-T").splitlines() if line.startswith("Token ")]
    assert listed == [str(t) for t in tokens], "-T lists system.local's tokens in token order"


def test_status_and_ring(loaded):
    server, session = loaded
    host_id = session.execute("SELECT host_id FROM system.local").one().host_id
    tokens = local_tokens(session)
    for args in (["status"], ["status", "nt"]):
        # nt is the only non-system keyspace: status shows its effective ownership either way.
        lines = ok(server, *args).splitlines()
        assert re.fullmatch(r"Datacenter: \S+", lines[0])
        assert lines[1] == "=" * len(lines[0])
        assert lines[2:4] == ["Status=Up/Down", "|/ State=Normal/Leaving/Joining/Moving"]
        assert re.fullmatch(r"--  Address    Load\s+Tokens  Owns \(effective\)  Host ID {29}  Rack\s*", lines[4]), lines[4]
        assert re.fullmatch(rf"UN  127\.0\.0\.1  {SIZE}\s+{len(tokens)}\s+100\.0%\s+{host_id}  \S+", lines[5]), lines[5]
        assert lines[6:] == [""], "one node, then the closing blank line"
    no_ring = ok(server, "status", "system")
    assert re.search(r"  Owns  Host ID .*\n.*  \?     ", no_ring), no_ring
    assert no_ring.endswith("\nNote: Ownership values for keyspaces with LocalStrategy are meaningless\n"), no_ring
    missing = nodetool(server, "status", "nope")
    assert missing.returncode != 0 and "The keyspace nope, does not exist" in missing.stderr

    ring = ok(server, "ring", "nt")
    assert ring.startswith("\nDatacenter: "), ring
    assert re.search(r"^Address\s+Rack\s+Status\s+State\s+Load\s+Owns\s+Token\s*$", ring, re.M), ring
    assert re.search(rf"^\s+{tokens[-1]}\s*$", ring, re.M), "the last token heads the list"
    rows = re.findall(rf"^127\.0\.0\.1\s+\S+\s+Up\s+Normal\s+{SIZE}\s+100\.00%\s+(-?\d+)\s*$", ring, re.M)
    assert [int(row[-1]) for row in rows] == tokens, "every token of system.local, in token order"
    assert 'Warning: "nodetool ring" is used to output all the tokens of a node.' in ring
    assert ring.endswith("\n  ")


def test_describecluster_and_describering(loaded):
    server, session = loaded
    version = session.execute("SELECT schema_version FROM system.local").one().schema_version
    out = ok(server, "describecluster")
    assert out.startswith("Cluster Information:\n\tName: ")
    assert "\tPartitioner: org.apache.cassandra.dht.Murmur3Partitioner\n" in out
    assert re.search(r"^\tSnitch: org\.apache\.cassandra\.locator\.\S+$", out, re.M)
    assert f"\tSchema versions:\n\t\t{version}: [127.0.0.1]\n\n" in out
    assert "Stats for all nodes:\n\tLive: 1\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 0\n\tUnreachable: 0\n" in out
    assert re.search(r"\nData Centers: \n\t\S+ #Nodes: 1 #Down: 0\n", out), out
    assert re.search(r"\nDatabase versions:\n\t[\d.]+: \[127\.0\.0\.1:\d+\]\n\n", out), out
    assert "\tnt -> Replication class: SimpleStrategy {replication_factor=1}\n" in out
    assert "\tsystem -> Replication class: LocalStrategy {}\n" in out
    ring = ok(server, "describering", "nt").splitlines()
    assert ring[0] == f"Schema Version:{version}"
    assert ring[1] == "TokenRange: "
    tokens = local_tokens(session)
    assert len(ring) == 2 + len(tokens), "one range per token"
    ends = []
    for line in ring[2:]:
        m = re.fullmatch(
            r"\tTokenRange\(start_token:(-?\d+), end_token:(-?\d+), endpoints:\[127\.0\.0\.1\], "
            r"rpc_endpoints:\[127\.0\.0\.1\], endpoint_details:\[EndpointDetails\(host:127\.0\.0\.1, "
            r"datacenter:\S+, rack:\S+\)\]\)", line)
        assert m, line
        assert not ends or int(m[1]) == ends[-1], "each range starts where the previous one ended"
        ends.append(int(m[2]))
    assert ends == tokens
    assert nodetool(server, "describering", "nope").returncode != 0
    local = nodetool(server, "describering", "system")
    assert local.returncode != 0 and "There is no ring for the keyspace: system" in local.stderr


def test_getendpoints(loaded):
    server, _ = loaded
    assert ok(server, "getendpoints", "nt", "t", "7") == "127.0.0.1\n"
    assert ok(server, "getendpoints", "nt", "t", "-7") == "127.0.0.1\n", "a negative key is a key, not an option"
    assert ok(server, "getendpoints", "nt", "other", "some key:with colon") == "127.0.0.1\n"
    bad = nodetool(server, "getendpoints", "nt", "t", "not-an-int")
    assert bad.returncode != 0 and "key" in bad.stderr
    assert nodetool(server, "getendpoints", "nt", "nope", "1").returncode != 0


def table_block(out, name):
    match = re.search(rf"\t\tTable: {name}\n((\t\t.*\n)+)", out)
    assert match, out
    return dict(line.strip().split(": ", 1) for line in match.group(1).splitlines())


@pytest.mark.parametrize("command", ["tablestats", "cfstats"])
def test_tablestats(loaded, command):
    server, _ = loaded
    out = ok(server, command, "nt")
    assert re.match(r"Total number of tables: 2\n----------------\nKeyspace : nt\n", out), out
    for field in ("Read Count", "Read Latency", "Write Count", "Write Latency", "Pending Flushes"):
        assert re.search(rf"^\t{field}: ", out, re.M), field
    t = table_block(out, "t")
    assert int(t["SSTable count"]) >= 1
    assert int(t["Space used (live)"]) > 0
    assert int(t["Local write count"]) >= 210, "every client write counted once"
    assert int(t["Local read count"]) >= 17
    assert re.fullmatch(r"\d+\.\d{3} ms", t["Local read latency"])
    assert int(t["Memtable cell count"]) >= 10
    assert int(t["Memtable data size"]) > 0
    assert int(t["Memtable switch count"]) >= 1
    assert int(t["Number of partitions (estimate)"]) >= 50
    assert re.fullmatch(r"\d\.\d{5}", t["Bloom filter false ratio"])
    assert int(t["Bloom filter space used"]) > 0
    other = table_block(out, "other")
    assert other["Local read latency"] == "NaN ms" and other["SSTable count"] == "0"
    only = ok(server, command, "nt.other")
    assert "Table: other" in only and "Table: t\n" not in only
    assert nodetool(server, command, "nt.nope").returncode != 0


def test_compactionstats_and_history(loaded):
    server, _ = loaded
    out = ok(server, "compactionstats")
    assert re.match(r"pending tasks: \d+\n", out), out
    ok(server, "flush", "nt")  # a second SSTable per shard: the major compaction has work
    ok(server, "compact", "nt", "t")
    history = ok(server, "compactionhistory").splitlines()
    assert history[0] == "Compaction History: "
    assert re.match(r"id\s+keyspace_name\s+columnfamily_name\s+compacted_at\s+bytes_in\s+bytes_out\s+rows_merged", history[1])
    rows = [line for line in history[2:] if " nt " in line]
    assert rows, history
    assert re.fullmatch(
        rf"{UUID}\s+nt\s+t\s+\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}\s+\d+\s+\d+\s+\{{\d+:\d+(, \d+:\d+)*\}}", rows[-1]), rows[-1]


def test_compaction_throughput_round_trips(loaded):
    server, _ = loaded
    assert re.fullmatch(r"Current compaction throughput: \d+ MB/s\n", ok(server, "getcompactionthroughput"))
    for value in (16, 3, 0):
        assert ok(server, "setcompactionthroughput", str(value)) == ""
        assert ok(server, "getcompactionthroughput") == f"Current compaction throughput: {value} MB/s\n"
    per_shard = metric_total(server, "percore_compaction_bandwidth_limit_bytes_per_second")
    assert per_shard == 0, "0 is unthrottled on every shard"
    assert nodetool(server, "setcompactionthroughput", "lots").returncode != 0


def test_disableautocompaction_keeps_sstables_until_enabled(percore_factory):
    server = percore_factory.start(smp=2)
    cluster, session = connect(server)
    session.execute(KS.format("ac"))
    session.execute("CREATE TABLE ac.t (p int, c int, v text, PRIMARY KEY (p, c))")
    ok(server, "disableautocompaction", "ac", "t")
    expected = {}
    write_and_flush(server, session, "ac.t", 6, 100, expected)
    assert metric_total(server, "percore_compactions_total") == 0, "no background compaction while disabled"
    assert metric_total(server, "percore_sstables") == 12, "6 flushes x 2 shards, none compacted"
    assert re.match(r"pending tasks: [1-9]", ok(server, "compactionstats")), "the waiting jobs are pending"
    ok(server, "enableautocompaction", "ac")
    wait_for(lambda: metric_total(server, "percore_compactions_total") >= 2, what="compactions after enable")
    wait_for(lambda: metric_total(server, "percore_sstables") < 12, what="fewer SSTables")
    assert nodetool(server, "disableautocompaction", "nope").returncode != 0
    rows = {(r.p, r.c): r.v for r in session.execute("SELECT * FROM ac.t")}
    assert rows == expected
    cluster.shutdown()


def test_drain_flushes_and_stops_listening(percore_factory):
    server = percore_factory.start(smp=2)
    cluster, session = connect(server)
    session.execute(KS.format("dr"))
    session.execute("CREATE TABLE dr.t (k int PRIMARY KEY, v int)")
    for k in range(20):
        session.execute("INSERT INTO dr.t (k, v) VALUES (%s, %s)", (k, k))
    flushes = metric_total(server, "percore_memtable_flushes_total")
    assert ok(server, "drain") == ""
    assert metric_total(server, "percore_memtable_flushes_total") > flushes
    assert "Native Transport active: false" in ok(server, "info")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    cluster.shutdown()
    stop_checked(server)


def test_stopdaemon_exits_cleanly(percore_factory):
    server = percore_factory.start(smp=2)
    assert ok(server, "stopdaemon") == ""
    assert server.proc.wait(timeout=30) == 0, server.log_excerpt()


def test_unknown_command_lists_the_commands(loaded):
    server, _ = loaded
    result = nodetool(server, "frobnicate")
    assert result.returncode != 0
    assert "frobnicate" in result.stderr
    for name in ("flush", "info", "status", "tablestats", "compactionstats", "setcompactionthroughput",
                 "disableautocompaction", "drain", "stopdaemon"):
        assert name in result.stderr, result.stderr


def test_unreachable_node_is_an_error():
    from percore_harness import free_port

    result = subprocess.run([str(server_binary()), "nodetool", "-p", str(free_port()), "info"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "cannot reach" in result.stderr

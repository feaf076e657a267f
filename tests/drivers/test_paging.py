"""Paged SELECTs return every row exactly once, in a single partition and across the table."""

from collections import Counter

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

N = 1000
PAGE = 100


def pages(session, query, params=None, fetch_size=PAGE):
    """Fetch page by page through paging_state; return the list of pages (lists of rows)."""
    stmt = SimpleStatement(query, fetch_size=fetch_size) if isinstance(query, str) else query
    if not isinstance(query, str):
        stmt.fetch_size = fetch_size
    out = []
    paging_state = None
    for _ in range(10 * N // fetch_size + 10):  # bounded: a server that never ends paging fails
        rs = session.execute(stmt, params, paging_state=paging_state)
        out.append(list(rs.current_rows))
        assert len(out[-1]) <= fetch_size, f"page of {len(out[-1])} rows > fetch_size {fetch_size}"
        paging_state = rs.paging_state
        if paging_state is None:
            return out
    raise AssertionError("paging never finished (paging_state never became null)")


def assert_exactly_once(values, expected):
    dupes = [v for v, n in Counter(values).items() if n > 1]
    assert not dupes, f"{len(dupes)} rows returned more than once, e.g. {dupes[:5]}"
    missing = set(expected) - set(values)
    assert not missing, f"{len(missing)} rows missing, e.g. {sorted(missing)[:5]}"
    assert len(values) == len(expected)


@pytest.fixture(scope="module")
def paging_tables(server2):
    from support import connect
    cluster, session = connect(server2)
    session.execute("CREATE KEYSPACE IF NOT EXISTS ks_paging WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS ks_paging.wide (p int, c int, v text, PRIMARY KEY (p, c))")
    session.execute("CREATE TABLE IF NOT EXISTS ks_paging.many (k int PRIMARY KEY, v text)")
    wide = session.prepare("INSERT INTO ks_paging.wide (p, c, v) VALUES (?, ?, ?)")
    many = session.prepare("INSERT INTO ks_paging.many (k, v) VALUES (?, ?)")
    for stmt, args in [(wide, [(1, c, f"row{c}") for c in range(N)]),
                       (many, [(k, f"key{k}") for k in range(N)])]:
        results = execute_concurrent_with_args(session, stmt, args, concurrency=50, raise_on_first_error=True)
        assert all(ok for ok, _ in results)
    # a neighbour partition that must not show up in the single-partition scan
    session.execute("INSERT INTO ks_paging.wide (p, c, v) VALUES (2, 0, 'other')")
    yield session
    cluster.shutdown()


def test_single_partition_paged(paging_tables):
    session = paging_tables
    got = pages(session, "SELECT c, v FROM ks_paging.wide WHERE p = 1")
    rows = [r for page in got for r in page]
    assert len(got) >= N // PAGE, f"expected >= {N // PAGE} pages, got {len(got)}"
    assert [r.c for r in rows] == list(range(N)), "rows out of clustering order or missing"
    assert all(r.v == f"row{r.c}" for r in rows)


def test_single_partition_paged_prepared(paging_tables):
    session = paging_tables
    stmt = session.prepare("SELECT c FROM ks_paging.wide WHERE p = ?")
    got = pages(session, stmt, (1,))
    assert [r.c for page in got for r in page] == list(range(N))


def test_full_table_scan_paged(paging_tables):
    session = paging_tables
    got = pages(session, "SELECT k, v FROM ks_paging.many")
    rows = [r for page in got for r in page]
    assert len(got) >= N // PAGE, f"expected >= {N // PAGE} pages, got {len(got)}"
    assert_exactly_once([r.k for r in rows], range(N))
    assert all(r.v == f"key{r.k}" for r in rows)


def test_full_table_scan_driver_auto_paging(paging_tables):
    """The driver's transparent paging (iterating the ResultSet) across all shards."""
    session = paging_tables
    rs = session.execute(SimpleStatement("SELECT k FROM ks_paging.many", fetch_size=PAGE))
    assert_exactly_once([r.k for r in rs], range(N))


def test_full_table_scan_of_clustered_table(paging_tables):
    session = paging_tables
    got = pages(session, "SELECT p, c FROM ks_paging.wide", fetch_size=77)
    assert_exactly_once([(r.p, r.c) for page in got for r in page],
                        [(1, c) for c in range(N)] + [(2, 0)])


def test_full_table_count(paging_tables):
    session = paging_tables
    assert session.execute("SELECT COUNT(*) FROM ks_paging.many").one()[0] == N


def test_limit_with_paging(paging_tables):
    session = paging_tables
    got = pages(session, "SELECT c FROM ks_paging.wide WHERE p = 1 LIMIT 250")
    assert [r.c for page in got for r in page] == list(range(250))
    got = pages(session, "SELECT k FROM ks_paging.many LIMIT 250")
    ks = [r.k for page in got for r in page]
    assert len(ks) == 250 and len(set(ks)) == 250

"""Statement tables: CQL semantics written as what a user types and what Cassandra answers.

A case is a list of steps, run in order against a fresh keyspace (`{ks}` in a statement is
replaced by its name):

    "CQL"                              must succeed; its result is not checked
    ("CQL", [(col1, col2), ...])       must return exactly these rows, in this order
    ("CQL", Invalid("text"))           must fail with code 0x2200 (Invalid) and this text
    ("CQL", ConfigError("text"))       must fail with code 0x2300 (Config) and this text
    FLUSH                              `percore nodetool flush` of the keyspace: what
                                       follows reads memtables merged with SSTables

Values compare as the Python driver returns them, with sets as Python sets and maps as
dicts (`normalize`). Every case runs twice: as written, and with a FLUSH before each
SELECT, so the same answers must come from memtables and from SSTables.
"""

import subprocess
from dataclasses import dataclass

from cassandra import InvalidRequest
from cassandra.protocol import ConfigurationException

from percore_harness import server_binary

FLUSH = "FLUSH"


@dataclass(frozen=True)
class Invalid:
    """An expected InvalidRequest (0x2200) whose message contains `text`."""
    text: str


@dataclass(frozen=True)
class ConfigError:
    """An expected ConfigurationException (0x2300) whose message contains `text`."""
    text: str


def normalize(value):
    """Driver values → plain comparable Python values."""
    name = type(value).__name__
    if name == "SortedSet":
        return {normalize(v) for v in value}
    if name in ("OrderedMapSerializedKey", "OrderedMap") or isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    return value


def flush(server, keyspace):
    cmd = [str(server_binary()), "nodetool", "-p", str(server.prometheus_port), "flush", keyspace]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"nodetool flush failed: {result.stderr}"


def with_flushes(steps):
    """The same steps with a FLUSH before every SELECT."""
    out = []
    for step in steps:
        statement = step if isinstance(step, str) else step[0]
        if statement.lstrip().upper().startswith("SELECT"):
            out.append(FLUSH)
        out.append(step)
    return out


def run_case(session, server, keyspace, steps):
    for number, step in enumerate(steps, 1):
        if step == FLUSH:
            flush(server, keyspace)
            continue
        statement, expected = (step, None) if isinstance(step, str) else step
        cql = statement.replace("{ks}", keyspace)
        where = f"step {number}: {cql}"
        if isinstance(expected, (Invalid, ConfigError)):
            error = InvalidRequest if isinstance(expected, Invalid) else ConfigurationException
            try:
                session.execute(cql)
            except error as e:
                assert expected.text in str(e), f"{where}\n  expected error containing {expected.text!r}\n  got {e}"
            else:
                raise AssertionError(f"{where}\n  expected {error.__name__} {expected.text!r}, it succeeded")
            continue
        result = session.execute(cql)
        if expected is not None:
            rows = [tuple(normalize(v) for v in row) for row in result]
            assert rows == expected, f"{where}\n  expected {expected}\n  got      {rows}"

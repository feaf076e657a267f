#!/usr/bin/env python3
"""Replica lists as the installed Python driver computes them (cassandra.metadata), so that
Percore's placement (engine/src/cluster/placement) can be checked token by token.

Not a pytest module: the Rust test `cluster::placement::driver_reference_tests` runs it with
each driver venv's interpreter (target/venvs/{cassandra,scylla}/bin/python, created by
tests/run.sh), feeds it random rings and compares the answers with its own.

stdin, one JSON document:
    {"cases": [{"name": str,
                "nodes": [{"host_id": str, "address": str, "datacenter": str, "rack": str,
                           "tokens": [int, ...]}, ...],
                "replication": {"class": str, ...},   # as system_schema.keyspaces shows it
                "tokens": [int, ...]}, ...]}
stdout, one JSON document:
    {"driver": "<distribution> <version>",
     "cases": [{"name": str, "replicas": [[node, ...] for each token]}, ...]}
where a node is its index in the case's "nodes".

The driver is driven as against a live cluster: a keyspace built from the replication map the
way its schema parser builds one (class popped, the rest passed as options), the token map
rebuilt from the nodes' token strings (Metadata.rebuild_token_map), and each token's replicas
from TokenMap.get_replicas (bisect over the sorted ring).
"""

import importlib.metadata
import json
import sys
import uuid

from cassandra.metadata import KeyspaceMetadata, Metadata, Murmur3Token
from cassandra.policies import SimpleConvictionPolicy
from cassandra.pool import Host

PARTITIONER = "org.apache.cassandra.dht.Murmur3Partitioner"
KEYSPACE = "ks"


def driver_name():
    for dist in ("scylla-driver", "cassandra-driver"):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown driver"


def replicas_of_case(case):
    hosts = [
        Host(n["address"], SimpleConvictionPolicy, datacenter=n["datacenter"], rack=n["rack"],
             host_id=uuid.UUID(n["host_id"]))
        for n in case["nodes"]
    ]
    index_of = {id(h): i for i, h in enumerate(hosts)}
    replication = dict(case["replication"])
    strategy_class = replication.pop("class")
    metadata = Metadata()
    metadata.keyspaces[KEYSPACE] = KeyspaceMetadata(KEYSPACE, True, strategy_class, replication)
    metadata.rebuild_token_map(
        PARTITIONER, {h: [str(t) for t in n["tokens"]] for h, n in zip(hosts, case["nodes"])})
    token_map = metadata.token_map
    return [[index_of[id(h)] for h in token_map.get_replicas(KEYSPACE, Murmur3Token(t))]
            for t in case["tokens"]]


def main():
    request = json.load(sys.stdin)
    answer = {
        "driver": driver_name(),
        "cases": [{"name": c["name"], "replicas": replicas_of_case(c)} for c in request["cases"]],
    }
    json.dump(answer, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()

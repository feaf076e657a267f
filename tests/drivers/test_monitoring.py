"""The monitoring files in monitoring/ work with a real node.

The Grafana dashboard (monitoring/grafana/dashboards/percore.json) may query only what a
running node exports: every metric name in every panel target's PromQL and in every
variable query must be on /metrics (a histogram query on `x_bucket` needs `x_bucket`
there), every label it groups or filters by must be on those metrics (or be one that
Prometheus adds: instance, job), and every metric family the node exports must be on
some panel. Panel ids are unique and every panel has a title. prometheus.yml, the Grafana
provisioning files and docker-compose.yml parse and point at each other (full checks need
PyYAML, which only the scylla venv has; a minimal check of prometheus.yml runs in both).

The PromQL is read by a small extractor (`promql_names`): string literals, Grafana
variables, range selectors and label matchers are removed, grouping clauses
(`by (...)`, `on (...)`, ...) give label names, an identifier followed by `(` must be a
known PromQL function, keywords are skipped, and every other identifier is a metric name.
"""

import json
import re
from pathlib import Path

import pytest

from percore_harness import REPO_ROOT, parse_prometheus

MONITORING = REPO_ROOT / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "percore.json"
PROMETHEUS_PORT = 9180

# Labels Prometheus attaches to every scraped series (target labels).
TARGET_LABELS = {"instance", "job"}
# Metric families the node exports that the dashboard deliberately does not show.
NOT_ON_DASHBOARD = set()

# -- PromQL ------------------------------------------------------------------------

PROMQL_FUNCTIONS = {
    # functions
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
    "count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
    "delta", "deriv", "double_exponential_smoothing", "end", "exp", "floor", "histogram_avg",
    "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
    "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time",
    "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
    "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn",
    "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "start",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp",
    "vector", "year",
    # aggregation operators
    "avg", "bottomk", "count", "count_values", "group", "limit_ratio", "limitk", "max", "min",
    "quantile", "stddev", "stdvar", "sum", "topk",
}
PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left",
                   "group_right", "atan2"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_MATCHER = re.compile(r'\s*([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*""\s*')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", re.I)
_TOKEN = re.compile(r"(?P<number>\d[\w.]*|\.\d[\w.]*)|(?P<name>[A-Za-z_:][\w:]*)")


class PromQLError(ValueError):
    pass


def promql_names(expr):
    """(metric names, label names) an expression refers to. Raises PromQLError on what the
    extractor does not understand, so nothing is skipped silently."""
    if "__name__" in expr:
        raise PromQLError(f"selects metrics by __name__, which cannot be checked: {expr!r}")
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("", text)
    text = _RANGE.sub("", text)
    labels = set()

    def matchers(m):
        for matcher in filter(str.strip, m.group(1).split(",")):
            found = _MATCHER.fullmatch(matcher)
            if not found:
                raise PromQLError(f"label matcher {matcher.strip()!r} not understood in {expr!r}")
            labels.add(found.group(1))
        return " "

    text = _MATCHERS.sub(matchers, text)

    def grouping(m):
        labels.update(filter(None, (label.strip() for label in m.group(2).split(","))))
        return " "

    text = _GROUPING.sub(grouping, text).replace('""', " ")
    if re.search(r"[{}\[\]\"'`$]", text):
        raise PromQLError(f"left over after parsing {expr!r}: {text!r}")
    metrics = set()
    for m in _TOKEN.finditer(text):
        name = m.group("name")
        if name is None:
            continue
        called = text[m.end():].lstrip().startswith("(")
        if called:
            if name.lower() not in PROMQL_FUNCTIONS:
                raise PromQLError(f"unknown PromQL function {name!r} in {expr!r}")
        elif name.lower() in PROMQL_KEYWORDS or name.lower() in {"by", "without", "on", "ignoring"}:
            continue
        else:
            metrics.add(name)
    return metrics, labels


def variable_query_names(query):
    """(metric names, label names) of a Grafana Prometheus variable query."""
    if isinstance(query, dict):
        query = query.get("query", "")
    query = query.strip()
    m = re.fullmatch(r"label_values\((.*)\)", query, re.S)
    if m:
        args = m.group(1)
        depth, split = 0, None
        for i, c in enumerate(args):
            if c in "({[":
                depth += 1
            elif c in ")}]":
                depth -= 1
            elif c == "," and depth == 0:
                split = i
        if split is None:
            raise PromQLError(f"label_values without a metric cannot be checked: {query!r}")
        metrics, labels = promql_names(args[:split])
        return metrics, labels | {args[split + 1:].strip()}
    m = re.fullmatch(r"query_result\((.*)\)", query, re.S)
    if m:
        return promql_names(m.group(1))
    raise PromQLError(f"variable query not understood: {query!r}")


# -- the dashboard -------------------------------------------------------------------

def load_dashboard(path=DASHBOARD):
    return json.loads(Path(path).read_text())


def all_panels(panels):
    """Every panel, rows' nested panels (collapsed rows) included."""
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def queries(dashboard):
    """(where, metric names, label names) for every panel target and variable query."""
    out = []
    for panel in all_panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            where = f"panel {panel.get('id')} {panel.get('title')!r} target {target.get('refId')}"
            metrics, labels = promql_names(target["expr"])
            out.append((where, metrics, labels))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            metrics, labels = variable_query_names(variable["query"])
            out.append((f"variable {variable['name']!r}", metrics, labels))
    return out


def problems_against(dashboard, metrics_text):
    """What the dashboard queries that the node's /metrics does not export."""
    samples = parse_prometheus(metrics_text)
    problems = []
    for where, metrics, labels in queries(dashboard):
        if not metrics:
            problems.append(f"{where}: queries no metric")
        missing = sorted(m for m in metrics if m not in samples)
        if missing:
            problems.append(f"{where}: not on /metrics: {', '.join(missing)}")
        exported_labels = {label for m in metrics if m in samples for key in samples[m] for label, _ in key}
        unknown = sorted(labels - TARGET_LABELS - exported_labels)
        if unknown and not missing:
            problems.append(f"{where}: labels {', '.join(unknown)} are on none of {sorted(metrics)}")
    return problems


def metric_families(metrics_text):
    """{family: {sample names}} from the # TYPE lines (a histogram x: x_bucket, x_sum, x_count)."""
    families = {}
    for line in metrics_text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            name, kind = m.groups()
            families[name] = {f"{name}{s}" for s in ("_bucket", "_sum", "_count")} if kind == "histogram" else {name}
    return families


def do_traffic(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v text)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?)")
    select = session.prepare(f"SELECT v FROM {ks}.t WHERE k = ?")
    for k in range(40):
        session.execute(insert, (k, f"value {k}"))
    for k in range(40):
        assert session.execute(select, (k,)).one().v == f"value {k}"


# -- tests -------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, metrics, labels", [
    ('sum by (instance, shard) (rate(percore_cql_requests_total{instance=~"$instance", shard=~"$shard"}[$__rate_interval]))',
     {"percore_cql_requests_total"}, {"instance", "shard"}),
    ("histogram_quantile(0.999, sum(rate(x_bucket{shard!='0'}[5m])) by (le))", {"x_bucket"}, {"shard", "le"}),
    ("rate(a_sum[1m]) / on (shard) group_left rate(a_count[1m]) > 1e-3", {"a_sum", "a_count"}, {"shard"}),
    ("max_over_time(job:requests:rate5m[1h:5m] offset 10m) * 2 > bool scalar(vector(1))",
     {"job:requests:rate5m"}, set()),
    ('label_replace(up{job="x"}, "dst", "$1", "src", "(.*)") or absent(up)', {"up"}, {"job"}),
    ("process_cpu_seconds_total", {"process_cpu_seconds_total"}, set()),
], ids=["grouped-rate", "quantile-by-after", "vector-matching", "subquery-offset", "strings", "bare"])
def test_promql_extractor(expr, metrics, labels):
    assert promql_names(expr) == (metrics, labels)


@pytest.mark.parametrize("expr", [
    'sum(rate({__name__=~"percore_.*"}[1m]))',      # cannot be checked
    "sum(ratee(percore_cql_requests_total[1m]))",    # a misspelled function
    "percore_sstables{shard}",                       # a broken matcher
], ids=["name-matcher", "unknown-function", "broken-matcher"])
def test_promql_extractor_refuses_what_it_cannot_check(expr):
    with pytest.raises(PromQLError):
        promql_names(expr)


def test_variable_queries_are_read():
    assert variable_query_names({"query": 'label_values(percore_sstables{instance=~"$instance"}, shard)'}) == (
        {"percore_sstables"}, {"instance", "shard"})
    with pytest.raises(PromQLError):
        variable_query_names("label_values(instance)")


def test_dashboard_structure():
    dashboard = load_dashboard()
    assert dashboard["schemaVersion"] >= 36
    assert dashboard.get("uid") and dashboard.get("title")
    assert "row cache" in dashboard["description"], "the description says there is no row cache"
    panels = list(all_panels(dashboard["panels"]))
    ids = [p.get("id") for p in panels]
    assert all(isinstance(i, int) for i in ids), ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate panel ids: {duplicates}"
    untitled = [p.get("id") for p in panels if not str(p.get("title", "")).strip()]
    assert not untitled, f"panels without a title: {untitled}"

    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert {"instance", "shard"} <= set(variables), sorted(variables)
    datasource_variables = [v["name"] for v in variables.values()
                            if v["type"] == "datasource" and v["query"] == "prometheus"]
    assert datasource_variables, "the Prometheus data source is a template variable"
    allowed = {f"${{{name}}}" for name in datasource_variables} | {f"${name}" for name in datasource_variables}

    for panel in panels:
        if panel["type"] in ("row", "text"):
            assert not panel.get("targets"), panel["title"]
            continue
        assert panel.get("targets"), f"panel {panel['title']!r} has no query"
        for owner in [panel, *panel["targets"]]:
            source = owner.get("datasource")
            assert source is None or (source.get("type") == "prometheus" and source.get("uid") in allowed), \
                f"panel {panel['title']!r}: datasource {source}"
        for target in panel["targets"]:
            assert target.get("expr", "").strip() and target.get("refId"), panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), f"panel {panel['title']!r}: refIds {refs}"

    # Panels on the grid do not overlap (rows' nested panels lie on their own grid).
    cells = {}
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panels {cells[(x, y)]!r} and {panel['title']!r} overlap"
                cells[(x, y)] = panel["title"]

    # Latency quantiles come from the histogram buckets.
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    for q in ("0.5", "0.95", "0.99", "0.999"):
        assert any(f"histogram_quantile({q}," in e and "percore_cql_request_latency_seconds_bucket" in e
                   and "rate(" in e for e in exprs), f"no p{q} latency panel"


def test_dashboard_queries_only_what_the_node_exports(server, session, ks):
    do_traffic(session, ks)
    text = server.metrics_text()
    samples = parse_prometheus(text)
    assert samples["percore_cql_requests_total"], "the node exports per-shard counters"
    assert sum(samples["percore_cql_requests_total"].values()) >= 80, "the traffic was counted"
    shards = {dict(key).get("shard") for key in samples["percore_cql_requests_total"]}
    assert shards == {str(s) for s in range(server.smp)}

    problems = problems_against(load_dashboard(), text)
    assert not problems, "the dashboard queries what the node does not export:\n" + "\n".join(problems)

    queried = set().union(*(metrics for _, metrics, _ in queries(load_dashboard())))
    not_shown = sorted(family for family, names in metric_families(text).items()
                       if not names & queried and family not in NOT_ON_DASHBOARD)
    assert not not_shown, (f"metrics the node exports but no panel shows: {not_shown} (add a panel to "
                           f"{DASHBOARD.relative_to(REPO_ROOT)}, or list them in NOT_ON_DASHBOARD)")


def test_a_misspelled_metric_fails_the_check(server):
    """The check can fail: the same dashboard with a misspelled metric, a histogram query on
    a bucket series the node does not have, and a label no metric carries."""
    text = server.metrics_text()
    dashboard = load_dashboard()
    panels = {p["title"]: p for p in all_panels(dashboard["panels"])}
    assert problems_against(dashboard, text) == []
    panels["Requests/s per shard"]["targets"][0]["expr"] = "sum(rate(percore_cql_request_total[5m]))"
    panels["Latency p99 per shard"]["targets"][0]["expr"] = (
        "histogram_quantile(0.99, sum by (le) (rate(percore_cql_request_latency_bucket[5m])))")
    panels["SSTables per shard"]["targets"][0]["expr"] = "sum by (table) (percore_sstables)"
    problems = problems_against(dashboard, text)
    assert len(problems) == 3, problems
    assert "'Requests/s per shard' target A: not on /metrics: percore_cql_request_total" in problems[0]
    assert "'Latency p99 per shard' target A: not on /metrics: percore_cql_request_latency_bucket" in problems[1]
    assert "'SSTables per shard' target A: labels table are on none of ['percore_sstables']" in problems[2]


def test_prometheus_config_minimal():
    """Without PyYAML: prometheus.yml has a scrape config whose targets are on port 9180."""
    text = (MONITORING / "prometheus.yml").read_text()
    assert re.search(r"^scrape_configs:\s*$", text, re.M)
    assert re.search(r"^\s*- job_name:\s*\S+", text, re.M)
    targets = re.findall(r"^\s*-\s*([\w.\-\[\]:]+:(\d+))\s*$", text, re.M)
    assert targets, "no target host:port lines"
    assert all(int(port) == PROMETHEUS_PORT for _, port in targets), targets


def test_monitoring_yaml_files():
    """prometheus.yml, the provisioning files and docker-compose.yml parse and agree."""
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the scylla venv only")
    prometheus = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "percore"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = [t for config in job["static_configs"] for t in config["targets"]]
    assert targets and all(t.rsplit(":", 1)[1] == str(PROMETHEUS_PORT) for t in targets), targets

    provisioning = MONITORING / "grafana" / "provisioning"
    [datasource] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["isDefault"]
    [provider] = yaml.safe_load((provisioning / "dashboards" / "percore.yml").read_text())["providers"]
    assert provider["type"] == "file"

    compose = yaml.safe_load((MONITORING / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert services["grafana"]["image"].startswith("grafana/grafana")

    def mounts(service):
        """{container path: host path (absolute)} of a service's bind mounts."""
        out = {}
        for volume in services[service].get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                out[target] = (MONITORING / source).resolve()
        return out

    for service in services:
        for target, source in mounts(service).items():
            assert source.exists(), f"{service} mounts {source}, which is not in the repo"
    prometheus_mounts = mounts("prometheus")
    config_flag = next(a for a in services["prometheus"]["command"] if a.startswith("--config.file="))
    assert prometheus_mounts[config_flag.split("=", 1)[1]] == (MONITORING / "prometheus.yml").resolve()
    grafana_mounts = mounts("grafana")
    for container_path, repo_path in [
        ("/etc/grafana/provisioning/datasources", provisioning / "datasources"),
        ("/etc/grafana/provisioning/dashboards", provisioning / "dashboards"),
        (provider["options"]["path"], DASHBOARD.parent),  # where the provider looks for dashboards
    ]:
        assert grafana_mounts.get(container_path) == repo_path.resolve(), \
            f"grafana should mount {repo_path} at {container_path}; it mounts {grafana_mounts}"
    listen = next((a for a in services["prometheus"]["command"] if a.startswith("--web.listen-address=")),
                  "--web.listen-address=:9090")
    assert datasource["url"].rstrip("/").endswith(":" + listen.rsplit(":", 1)[1]), datasource["url"]

"""deploy/prometheus, deploy/grafana, deploy/otel: promtool checks and unit-tests the alert rules;
every expression of the alerts and the dashboard names only metrics (and labels) that the code
exports; every alert links to a runbook section that exists."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from deploy_support import ROOT

PROMETHEUS = ROOT / "deploy/prometheus"
DASHBOARD = ROOT / "deploy/grafana/kinerja-overview.json"
# labels every scraped series has (scrape config) besides the ones the code declares
TARGET_LABELS = {"job", "instance", "service", "pod", "namespace"}


# --- the metrics the code exports -----------------------------------------------------------------

METRIC_DEF = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][\w:]*)\"\s*,\s*(?:\"(?:[^\"\\]|\\.)*\"\s*)+"
    r"(?:,\s*\[([^\]]*)\])?")


def code_metrics() -> dict[str, set[str]]:
    """Every series name the services expose -> its label names, from the prometheus_client
    Counter/Gauge/Histogram/Summary definitions in libs/kit and services/*/src."""
    found: dict[str, set[str]] = {}
    sources = [*(ROOT / "libs/kit/src").rglob("*.py"), *(ROOT / "services").glob("*/src/**/*.py")]
    for path in sources:
        text = path.read_text()
        if "prometheus_client" not in text:
            continue
        for kind, name, labels in METRIC_DEF.findall(text):
            label_names = set(re.findall(r"\"(\w+)\"", labels or ""))
            if kind == "Counter":
                found[name if name.endswith("_total") else name + "_total"] = label_names
            elif kind == "Gauge":
                found[name] = label_names
            else:
                found[name + "_bucket"] = label_names | {"le"}
                for suffix in ("_sum", "_count"):
                    found[name + suffix] = label_names
                if kind == "Summary":
                    found[name] = label_names | {"quantile"}
    found["up"] = set()  # Prometheus' own, per target
    return found


def test_the_code_metrics_are_found():
    metrics = code_metrics()
    assert {"kinerja_http_request_seconds_bucket", "kinerja_messages_consumed_total", "kinerja_consumer_lag",
            "kinerja_outbox_pending", "kinerja_approval_escalations_total"} <= set(metrics)
    assert metrics["kinerja_messages_consumed_total"] == {"topic", "group", "outcome"}
    assert metrics["kinerja_http_request_seconds_count"] == {"method", "route", "status"}


# --- PromQL: which metrics and labels an expression uses ------------------------------------------

TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<matchers>\{[^}]*\})
  | (?P<ident>[a-zA-Z_:][\w:]*)
  | (?P<paren>[()])
  | (?P<other>[^\s"'`\[\]{}()a-zA-Z_:]+)
  | (?P<space>\s+)
""", re.X)
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
                "topk", "quantile", "limitk", "limit_ratio"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "atan2", "inf", "nan"}
LABEL_LIST_BEFORE = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names in its matchers) for every vector selector in `expr`."""
    tokens = [(m.lastgroup, m.group()) for m in TOKEN.finditer(expr) if m.lastgroup != "space"]
    out, i = [], 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
        if kind == "ident" and text in LABEL_LIST_BEFORE and nxt[1] == "(":
            while tokens[i][1] != ")":  # skip the label list
                i += 1
        elif kind == "ident" and nxt[1] == "(":
            pass  # a function
        elif kind == "ident" and text not in AGGREGATIONS | KEYWORDS:
            labels = set()
            if nxt[0] == "matchers":
                labels = set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", re.sub(r'"(?:[^"\\]|\\.)*"', '""', nxt[1])))
            out.append((text, labels))
        elif kind == "matchers" and (i == 0 or tokens[i - 1][0] != "ident"):
            raise AssertionError(f"a selector without a metric name in {expr!r}")
        i += 1
    return out


def test_the_promql_reader():
    assert selectors('sum by (service, le) (rate(x_bucket{route!~"/m|/h", a="}"}[5m])) > 0.5 and on (g) y') == [
        ("x_bucket", {"route", "a"}), ("y", set())]
    assert selectors('deriv(max by (service) (kinerja_outbox_pending)[15m:1m])') == [("kinerja_outbox_pending", set())]


def alert_rules() -> list[dict]:
    return [r for g in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"] for r in g["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target, and the selectors of the template variables."""
    board = json.loads(DASHBOARD.read_text())
    out = [(p["title"], t["expr"]) for p in board["panels"] for t in p.get("targets", [])]
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            selector, label = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query).groups()
            out.append((f"variable {var['name']}", f"{selector}"))
            assert label in TARGET_LABELS
    return out


def expressions() -> list[tuple[str, str]]:
    return [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()] + dashboard_expressions()


@pytest.mark.parametrize("where,expr", expressions(), ids=lambda v: v if len(v) < 60 else None)
def test_expressions_use_only_exported_metrics_and_labels(where, expr):
    metrics = code_metrics()
    used = selectors(expr)
    assert used, f"{where}: no metric in {expr!r}"
    for name, labels in used:
        assert name in metrics, f"{where}: {name} is not exported by the code"
        unknown = labels - metrics[name] - TARGET_LABELS
        assert not unknown, f"{where}: {name} has no label {unknown}"


def test_the_dashboard_covers_the_platform():
    board = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    text = " ".join(expr for _, expr in dashboard_expressions())
    for needed in ["kinerja_http_request_seconds_count", "kinerja_http_request_seconds_bucket",
                   "kinerja_http_errors_total", "kinerja_messages_consumed_total", "kinerja_outbox_published_total",
                   "kinerja_consumer_lag", 'outcome="dead_lettered"', "kinerja_outbox_pending",
                   "activity\\\\.(submitted", "approval.requested.v1", "approval.decided.v1",
                   "tpp.period.closed.v1", "tpp.computed.v1"]:
        assert needed in text, f"the dashboard shows nothing of {needed}"
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


# --- alert rules: promtool, runbook links ---------------------------------------------------------

def test_promtool_checks_the_rules(promtool):
    proc = subprocess.run([promtool, "check", "rules", str(PROMETHEUS / "alerts.yml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_unit_tests_of_the_alerts_pass(promtool):
    proc = subprocess.run([promtool, "test", "rules", "alerts_test.yml"], cwd=PROMETHEUS,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_every_alert_is_unit_tested():
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t["alert_rule_test"] if case["exp_alerts"]}
    assert {r["alert"] for r in alert_rules()} - tested == set()


def test_promtool_checks_the_scrape_configs(promtool, tmp_path):
    """prometheus.compose.yml as it is; prometheus.yml without its Kubernetes job, since Debian
    builds promtool without Kubernetes service discovery (that job is checked by hand below)."""
    proc = subprocess.run([promtool, "check", "config", str(PROMETHEUS / "prometheus.compose.yml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (k8s,) = [j for j in config["scrape_configs"] if "kubernetes_sd_configs" in j]
    relabels = {r.get("target_label"): r for r in k8s["relabel_configs"]}
    assert relabels["service"]["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    assert relabels["__address__"]["source_labels"][1] == "__meta_kubernetes_pod_annotation_prometheus_io_port"
    config["scrape_configs"].remove(k8s)
    config["rule_files"] = [str(PROMETHEUS / f) for f in config["rule_files"]]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    proc = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def anchors(markdown: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    out = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", markdown.read_text(), re.M):
        out.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return out


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_links_to_its_runbook_section(rule):
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert path in ("docs/runbook.md", "docs/operations/alerts.md"), path
    assert anchor in anchors(ROOT / path), f"{rule['alert']}: no section #{anchor} in {path}"


# --- the OpenTelemetry Collector -------------------------------------------------------------------

def test_the_collector_config_is_complete():
    config = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text())
    for name, pipeline in config["service"]["pipelines"].items():
        for part in ("receivers", "processors", "exporters"):
            for component in pipeline.get(part, []):
                assert component in config[part], f"pipeline {name}: {part[:-1]} {component} is not defined"
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert "memory_limiter" == config["service"]["pipelines"]["traces"]["processors"][0]
    # Prometheus scrapes the collector where it serves its own metrics
    (reader,) = config["service"]["telemetry"]["metrics"]["readers"]
    port = reader["pull"]["exporter"]["prometheus"]["port"]
    scrape = yaml.safe_load((PROMETHEUS / "prometheus.compose.yml").read_text())["scrape_configs"]
    assert [j["static_configs"][0]["targets"] for j in scrape if j["job_name"] == "otel-collector"] == \
        [[f"otel-collector:{port}"]]

"""docker-compose.yml: `docker compose config` accepts it (the Compose plugin from
scripts/ops-tools.sh; no Docker engine is needed), and the model it resolves agrees with the code
and the other files in deploy/: ports, settings, databases, mounts, the collector and Grafana."""

from __future__ import annotations

import json
import re
import subprocess
from urllib.parse import urlparse

import pytest
import yaml
from deploy_support import ROOT, SERVICES, check_env_name, service_ports

OBSERVABILITY = {"prometheus", "grafana", "otel-collector", "jaeger"}


def duration_seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value))


@pytest.fixture(scope="module")
def model(docker_compose, compose_env) -> dict:
    proc = subprocess.run([*docker_compose, "-f", "docker-compose.yml", "config", "--format", "json"],
                          cwd=ROOT, env=compose_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_compose_config_is_valid(docker_compose, compose_env):
    proc = subprocess.run([*docker_compose, "-f", "docker-compose.yml", "config", "-q"],
                          cwd=ROOT, env=compose_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr  # no warnings either


def test_every_part_is_there(model):
    assert set(model["services"]) == {"kafka", "postgres", "topics", *SERVICES, *OBSERVABILITY}
    kafka = model["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}  # KRaft
    assert not any("ZOOKEEPER" in k for k in kafka["environment"])


def test_the_services_match_the_code(model):
    ports = service_ports()
    init_sql = (ROOT / "deploy/postgres/init.sql").read_text()
    kit = (ROOT / "libs/kit/src/kinerja_kit/service.py").read_text() + (ROOT / "libs/kit/src/kinerja_kit/kafka.py").read_text()
    drain = (float(re.search(r"timeout_graceful_shutdown=([\d.]+)", kit).group(1))
             + float(re.search(r"graceful_timeout=([\d.]+)", kit).group(1)))
    for name in SERVICES:
        svc = model["services"][name]
        assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert svc["build"]["args"] == {"SERVICE": name, "PORT": str(ports[name])}
        assert svc["image"] == f"kinerja/{name}:dev"
        assert [(p["host_ip"], p["target"], p["published"]) for p in svc["ports"]] == \
            [("127.0.0.1", ports[name], str(ports[name]))]
        env = svc["environment"]
        for key in env:
            assert check_env_name(key) is None, f"{name}: {key}: {check_env_name(key)}"
        db = urlparse(env[f"KINERJA_{name.upper()}_DATABASE_URL"])
        assert db.hostname == "postgres" and f"CREATE DATABASE {db.path[1:]} OWNER {db.username};" in \
            re.sub(r" +", " ", init_sql)
        kafka_host, kafka_port = env["KINERJA_KAFKA_BOOTSTRAP"].split(":")
        assert kafka_host == "kafka" and f"INTERNAL://kafka:{kafka_port}" in \
            model["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
        assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"] and "/tmp" in svc["tmpfs"]
        assert duration_seconds(svc["stop_grace_period"]) >= drain + 5, f"{name}: stop_grace_period"
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    # the local evidence store (var/evidence under the image's /app) must be writable
    assert any(v["target"] == "/app/var" for v in model["services"]["activity"]["volumes"])


def test_traces_go_to_the_collector(model):
    collector = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text())
    http_port = int(collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1])
    mounts = {v["target"]: v["source"] for v in model["services"]["otel-collector"]["volumes"]}
    (config_arg,) = [a for a in model["services"]["otel-collector"]["command"] if a.startswith("--config=")]
    assert mounts[config_arg.removeprefix("--config=")] == str(ROOT / "deploy/otel/collector.yaml")
    for name in SERVICES:
        endpoint = urlparse(model["services"][name]["environment"]["KINERJA_OTLP_ENDPOINT"])
        assert (endpoint.hostname, endpoint.port, endpoint.path) == ("otel-collector", http_port, "/v1/traces")
    exporter = collector["exporters"]["otlp/jaeger"]["endpoint"]
    assert exporter.split(":")[0] in model["services"]


def test_prometheus_and_grafana_are_provisioned(model):
    prom = model["services"]["prometheus"]
    mounts = {v["target"]: v["source"] for v in prom["volumes"] if v["type"] == "bind"}
    assert mounts["/etc/prometheus"] == str(ROOT / "deploy/prometheus")
    (config_arg,) = [a for a in prom["command"] if a.startswith("--config.file=")]
    config = yaml.safe_load((ROOT / "deploy/prometheus" / config_arg.rsplit("/", 1)[1]).read_text())
    assert config["rule_files"] == ["alerts.yml"]
    ports = service_ports()
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "kinerja"]
    targets = {(g["labels"]["service"], g["targets"][0]) for g in job["static_configs"]}
    assert targets == {(s, f"{s}:{ports[s]}") for s in SERVICES}

    grafana = model["services"]["grafana"]
    mounts = {v["target"]: v["source"] for v in grafana["volumes"] if v["type"] == "bind"}
    provisioning = ROOT / "deploy/grafana/provisioning"
    assert mounts["/etc/grafana/provisioning"] == str(provisioning)
    sources = yaml.safe_load((provisioning / "datasources/kinerja.yaml").read_text())["datasources"]
    listens = {"prometheus": 9090, "jaeger": 16686}  # the images' HTTP ports
    for source in sources:
        url = urlparse(source["url"])
        assert listens.get(url.hostname) == url.port, source["name"]
    assert [s["type"] for s in sources if s.get("isDefault")] == ["prometheus"]
    (provider,) = yaml.safe_load((provisioning / "dashboards/kinerja.yaml").read_text())["providers"]
    dashboards = {t: s for t, s in mounts.items() if t.startswith(provider["options"]["path"] + "/")}
    assert set(dashboards.values()) == {str(p) for p in (ROOT / "deploy/grafana").glob("*.json")}
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home in dashboards


def test_mounts_exist_ports_are_local_images_pinned(model):
    for name, svc in model["services"].items():
        for volume in svc.get("volumes", []):
            if volume["type"] == "bind":
                assert volume["source"].startswith(str(ROOT)), f"{name}: mounts {volume['source']}"
                assert (ROOT / volume["source"]).exists(), f"{name}: {volume['source']} does not exist"
                assert volume.get("read_only"), f"{name}: {volume['target']} should be read-only"
        for port in svc.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"
        image = svc["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"{name}: pin {image}"

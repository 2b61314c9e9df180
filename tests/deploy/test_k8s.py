"""deploy/k8s: every overlay renders, every rendered manifest validates against the Kubernetes,
Strimzi and KEDA schemas (offline, strict), and the manifests agree with the code: topics and
ACLs with the registry, ports and settings with the services, shutdown timing with the kit."""

from __future__ import annotations

import re
import subprocess

import pytest
from deploy_support import OVERLAYS, ROOT, SERVICES, check_env_name, service_ports

from kinerja_contracts.topics import TOPICS, all_topic_names, dlq_topic, topic_config


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_every_overlay_validates_against_the_schemas(rendered, k8s_python):
    files = [str(path) for path, _ in rendered.values()]
    proc = subprocess.run([k8s_python, str(ROOT / "deploy/k8s/validate.py"), *files],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = sum(len(docs) for _, docs in rendered.values())
    assert f"{total} manifests, 0 errors" in proc.stderr


def test_the_validator_rejects_what_the_api_server_would(k8s_python, rendered, tmp_path):
    """The schemas bite: an unknown field, a wrong type and an unknown kind each fail."""
    import copy

    import yaml

    docs = copy.deepcopy(rendered["production"][1])
    kafka = next(d for d in docs if d["kind"] == "Kafka")
    kafka["spec"]["kafka"]["listenerz"] = []
    topic = next(d for d in docs if d["kind"] == "KafkaTopic")
    topic["spec"]["partitions"] = "six"
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    container(deployment)["livenessprobe"] = {}
    docs.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump_all(docs))
    proc = subprocess.run([k8s_python, str(ROOT / "deploy/k8s/validate.py"), str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "'listenerz' was unexpected" in proc.stdout
    assert "'six' is not of type 'integer'" in proc.stdout
    assert "'livenessprobe' was unexpected" in proc.stdout
    assert "no CRD schema for example.com/v1 Widget" in proc.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_objects(rendered, overlay):
    docs = rendered[overlay][1]
    for kind in ["Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "ServiceAccount"]:
        names = by_kind(docs, kind)
        for service in SERVICES:
            name = f"kinerja-{service}" if kind == "ServiceAccount" else service
            assert name in names, f"{overlay}: no {kind} {name}"
    assert "kinerja-config" in {n.rsplit("-", 1)[0] for n in by_kind(docs, "ConfigMap")}
    scaled = set(by_kind(docs, "HorizontalPodAutoscaler")) | set(by_kind(docs, "ScaledObject"))
    if overlay == "local":
        assert scaled == set()  # one replica of each
        assert all(d["spec"]["replicas"] == 1 for d in by_kind(docs, "Deployment").values())
    else:
        assert scaled == set(SERVICES)
        # the autoscaler owns the replica count: a Deployment with replicas would reset it on apply
        assert all("replicas" not in d["spec"] for d in by_kind(docs, "Deployment").values())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_are_hardened_and_probed(rendered, overlay):
    ports = service_ports()
    for name, d in by_kind(rendered[overlay][1], "Deployment").items():
        if name not in SERVICES:
            continue
        pod = d["spec"]["template"]["spec"]
        c = container(d)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        for kind in ["requests", "limits"]:
            assert set(c["resources"][kind]) == {"cpu", "memory"}, f"{name}: {kind}"
        assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
        assert c["startupProbe"]["httpGet"]["path"] == "/health/live"
        (port,) = [p for p in c["ports"] if p["name"] == "http"]
        assert port["containerPort"] == ports[name]
        env = {e["name"]: e for e in c["env"]}
        assert env[f"KINERJA_{name.upper()}_HTTP_PORT"]["value"] == str(ports[name])
        db_secret = env[f"KINERJA_{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"]
        assert re.fullmatch(rf"kinerja-{name}-db(-[a-z0-9]{{10}})?", db_secret), db_secret  # generated: hashed
        assert d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(ports[name])
        for e in env:
            assert check_env_name(e) is None, f"{name}: {e}: {check_env_name(e)}"
        # a writable /tmp (the root filesystem is read-only)
        assert any(m["mountPath"] == "/tmp" for m in c["volumeMounts"])


def test_termination_grace_outlasts_the_drain(rendered):
    """preStop + uvicorn's graceful shutdown + the consumers' drain, read from the kit's code."""
    service_py = (ROOT / "libs/kit/src/kinerja_kit/service.py").read_text()
    kafka_py = (ROOT / "libs/kit/src/kinerja_kit/kafka.py").read_text()
    http_grace = float(re.search(r"timeout_graceful_shutdown=([\d.]+)", service_py).group(1))
    drain = float(re.search(r"graceful_timeout=([\d.]+)", kafka_py).group(1))
    for overlay in OVERLAYS:
        for name, d in by_kind(rendered[overlay][1], "Deployment").items():
            if name not in SERVICES:
                continue
            pre_stop = container(d)["lifecycle"]["preStop"]["exec"]["command"]
            assert pre_stop[0] == "sleep"
            needed = float(pre_stop[1]) + http_grace + drain
            grace = d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            assert grace >= needed + 10, f"{overlay}/{name}: {grace}s grace for a {needed}s drain"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_and_references_match(rendered, overlay):
    docs = rendered[overlay][1]
    deployments = by_kind(docs, "Deployment")
    workloads = deployments | by_kind(docs, "StatefulSet")
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in workloads.items()}

    def selects(selector: dict) -> set[str]:
        return {n for n, labels in pod_labels.items() if selector.items() <= labels.items()}

    for name, svc in by_kind(docs, "Service").items():
        assert selects(svc["spec"]["selector"]), f"Service {name} selects no pod"
    for service in SERVICES:
        assert selects(by_kind(docs, "Service")[service]["spec"]["selector"]) == {service}
        assert selects(by_kind(docs, "PodDisruptionBudget")[service]["spec"]["selector"]["matchLabels"]) == {service}
        assert selects(by_kind(docs, "NetworkPolicy")[service]["spec"]["podSelector"]["matchLabels"]) == {service}
        assert by_kind(docs, "Service")[service]["spec"]["ports"][0]["targetPort"] == "http"
    targets = [h["spec"]["scaleTargetRef"]["name"] for h in by_kind(docs, "HorizontalPodAutoscaler").values()]
    targets += [s["spec"]["scaleTargetRef"]["name"] for s in by_kind(docs, "ScaledObject").values()]
    assert len(targets) == len(set(targets)), "two autoscalers on one Deployment"
    assert set(targets) <= set(deployments)
    for hpa in by_kind(docs, "HorizontalPodAutoscaler").values():
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_names_real_settings(rendered, overlay):
    (config,) = [d for n, d in by_kind(rendered[overlay][1], "ConfigMap").items() if n.startswith("kinerja-config")]
    for key in config["data"]:
        assert check_env_name(key) is None, f"{overlay}: {key}: {check_env_name(key)}"


def secret_refs(deployment: dict) -> list[tuple[str, bool]]:
    """(secret name, optional) for every Secret a pod needs."""
    pod = deployment["spec"]["template"]["spec"]
    refs = []
    for c in pod["containers"]:
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.append((ref["name"], ref.get("optional", False)))
        for e in c.get("envFrom", []):
            if "secretRef" in e:
                refs.append((e["secretRef"]["name"], e["secretRef"].get("optional", False)))
    for v in pod.get("volumes", []):
        if "secret" in v:
            refs.append((v["secret"]["secretName"], v["secret"].get("optional", False)))
    return refs


def test_secrets_are_provided_or_documented(rendered):
    local = rendered["local"][1]
    generated = {n.rsplit("-", 1)[0] for n in by_kind(local, "Secret")} | set(by_kind(local, "Secret"))
    for name, d in by_kind(local, "Deployment").items():
        for secret, optional in secret_refs(d):
            assert optional or secret in generated, f"local: {name} needs Secret {secret}"
    # production: the Secrets an operator creates are the ones the overlay's header lists
    header = (ROOT / "deploy/k8s/overlays/production/kustomization.yaml").read_text()
    for name, d in by_kind(rendered["production"][1], "Deployment").items():
        for secret, optional in secret_refs(d):
            documented = secret.replace(name, "<service>") in header or secret in header
            strimzi = secret in (f"kinerja-{name}", "kinerja-cluster-ca-cert")  # the operators write these
            assert documented or (optional and strimzi), f"production: Secret {secret} of {name} is not documented"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topics_are_the_registry(rendered, overlay):
    topics = by_kind(rendered[overlay][1], "KafkaTopic")
    assert sorted(t["spec"]["topicName"] for t in topics.values()) == all_topic_names()
    replicas = 1 if overlay == "local" else 3
    (kafka,) = by_kind(rendered[overlay][1], "Kafka").values()
    min_isr = kafka["spec"]["kafka"]["config"]["min.insync.replicas"]
    for t in topics.values():
        _, partitions, config = topic_config(t["spec"]["topicName"])
        assert t["spec"]["partitions"] == partitions
        assert t["spec"]["replicas"] == replicas
        assert {k: str(v) for k, v in t["spec"]["config"].items()} == config
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == "kinerja"
    if overlay != "local":
        assert min_isr == replicas - 1  # acks=all survives one broker down


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_runs_in_kraft_mode_with_node_pools(rendered, overlay):
    docs = rendered[overlay][1]
    (kafka,) = by_kind(docs, "Kafka").values()
    assert "zookeeper" not in kafka["spec"]
    pools = by_kind(docs, "KafkaNodePool").values()
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "kinerja" for p in pools)
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    assert controllers % 2 == 1, "a KRaft quorum needs an odd number of controllers"
    if overlay != "local":
        assert controllers >= 3 and brokers >= 3
    tls = [listener for listener in kafka["spec"]["kafka"]["listeners"] if listener["tls"]]
    assert tls and all(listener["authentication"]["type"] == "scram-sha-512" for listener in tls)
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    if overlay != "local":  # plaintext only on the local cluster
        assert all(listener["tls"] for listener in kafka["spec"]["kafka"]["listeners"])
        assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False


def acls(user: dict) -> dict[str, set[tuple[str, str]]]:
    """operation -> {(resource type, name)}"""
    out: dict[str, set[tuple[str, str]]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        for op in acl["operations"]:
            out.setdefault(op, set()).add((acl["resource"]["type"], acl["resource"]["name"]))
    return out


def test_service_users_follow_the_registry(rendered):
    """Each service writes what the registry says it produces plus the DLQs of what it reads,
    reads only registry topics, in its own group; nothing else."""
    users = by_kind(rendered["production"][1], "KafkaUser")
    for service in SERVICES:
        user = users[f"kinerja-{service}"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        granted = acls(user)
        assert set(granted) == {"Read", "Write", "Describe"}
        reads = {name for kind, name in granted["Read"] if kind == "topic"}
        writes = {name for kind, name in granted["Write"] if kind == "topic"}
        assert {name for kind, name in granted["Read"] if kind == "group"} == {f"kinerja-{service}"}
        assert reads <= set(TOPICS), f"{service} reads topics outside the registry"
        produced = {t for t, spec in TOPICS.items() if spec.producer == service}
        assert writes == produced | {dlq_topic(t) for t in reads}, service
        assert all(kind == "topic" for kind, _ in granted["Write"])
        assert not any(name in ("*", "") for _, name in granted["Read"] | granted["Write"])
    # every topic in the registry has a reader or is documented as not read yet
    read_somewhere = set().union(*({n for k, n in acls(u)["Read"] if k == "topic"}
                                   for n, u in users.items() if n.removeprefix("kinerja-") in SERVICES))
    for topic, spec in TOPICS.items():
        assert topic in read_somewhere or "not consume" in spec.description, f"nobody reads {topic}"


def test_keda_scales_each_consumer_on_its_own_group(rendered):
    docs = rendered["production-keda"][1]
    users = by_kind(docs, "KafkaUser")
    deployments = by_kind(docs, "Deployment")
    auths = by_kind(docs, "TriggerAuthentication")
    for name, so in by_kind(docs, "ScaledObject").items():
        (kafka,) = [t for t in so["spec"]["triggers"] if t["type"] == "kafka"]
        assert kafka["metadata"]["consumerGroup"] == f"kinerja-{name}"
        assert kafka["metadata"]["offsetResetPolicy"] == "earliest"  # as the kit's consumers
        assert kafka["metadata"]["sasl"] == "scram_sha512" and kafka["metadata"]["tls"] == "enable"
        assert any(t["type"] == "cpu" for t in so["spec"]["triggers"])
        reads = {n for k, n in acls(users[f"kinerja-{name}"])["Read"] if k == "topic"}
        assert so["spec"]["maxReplicaCount"] <= max(TOPICS[t].partitions for t in reads)
        auth = auths[kafka["authenticationRef"]["name"]]
        env_names = {e["name"] for e in container(deployments[name])["env"]}
        assert {e["name"] for e in auth["spec"]["env"]} <= env_names
        assert {r["name"] for r in auth["spec"]["secretTargetRef"]} == {f"kinerja-{name}", "kinerja-cluster-ca-cert"}


def test_images(rendered):
    for overlay in OVERLAYS:
        for name, d in by_kind(rendered[overlay][1], "Deployment").items():
            if name not in SERVICES:
                continue
            image = container(d)["image"]
            if overlay == "local":
                assert image == f"kinerja/{name}:dev"
            else:
                assert re.fullmatch(rf"[\w.-]+/kinerja/{name}:\d+\.\d+\.\d+", image), image
                assert container(d)["imagePullPolicy"] == "Always"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(rendered, overlay):
    policies = by_kind(rendered[overlay][1], "NetworkPolicy")
    for service in SERVICES:
        spec = policies[service]["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        assert spec["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
        egress_ports = {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}
        assert {53, 5432, 9093, 4318} <= egress_ports
    (kafka,) = by_kind(rendered[overlay][1], "Kafka").values()
    if overlay != "local":
        (tls,) = kafka["spec"]["kafka"]["listeners"]
        peers = tls["networkPolicyPeers"]
        assert {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "kinerja"}}} in peers


def test_the_committed_crds_are_the_upstream_files():
    """deploy/k8s/schemas/README.md records where each CRD came from and its SHA-256."""
    import hashlib

    schemas = ROOT / "deploy/k8s/schemas"
    listed = dict((path, digest) for digest, path in
                  re.findall(r"^([0-9a-f]{64})  (\S+)$", (schemas / "README.md").read_text(), re.M))
    present = {str(p.relative_to(schemas)) for p in schemas.rglob("*.yaml")}
    assert set(listed) == present
    for path, digest in listed.items():
        assert hashlib.sha256((schemas / path).read_bytes()).hexdigest() == digest, path

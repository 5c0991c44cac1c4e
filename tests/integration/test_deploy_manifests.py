"""The deployment files, checked without Docker or a cluster (make
test-compose runs the compose stack for real):

- deploy/kubernetes: every manifest is YAML whose documents have apiVersion,
  kind and metadata.name; kustomization.yaml lists them; the Deployment's
  probes are /readyz (readiness) and /healthz (liveness) on a port it names,
  and a real `c12 serve` answers both; every container has resources; every
  Secret, ConfigMap and claim a pod names is defined; the Service selects the
  Deployment's pods;
- the C12 configurations of the container (deploy/docker/c12.yaml) and of
  the ConfigMap pass `c12 config check` and say `ledger.store: postgresql`
  with the DSN from the environment;
- docker-compose.yml: each long-running service has a health check, restart
  unless-stopped, named volumes, host ports on 127.0.0.1 only; each
  depends_on has a condition; every secret it requires is in .env.example,
  and .env is git-ignored; the stack's Prometheus config passes promtool."""
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, run
from server_helpers import Server

K8S = ROOT / "deploy" / "kubernetes"
DOCKER = ROOT / "deploy" / "docker"
DSN = "postgresql://c12:check@postgres:5432/c12"


def manifests():
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        docs[path.name] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return docs


def objects(kind=None):
    return [d for name, ds in manifests().items() for d in ds
            if name != "kustomization.yaml" and (kind is None or d["kind"] == kind)]


def pod_specs():
    """(name, pod spec, the names of the workload's claim templates)."""
    return [(d["metadata"]["name"], d["spec"]["template"]["spec"],
             {t["metadata"]["name"] for t in d["spec"].get("volumeClaimTemplates", [])})
            for d in objects() if d["kind"] in ("Deployment", "StatefulSet")]


def test_every_manifest_is_yaml_with_kind_and_name():
    docs = manifests()
    assert {"kustomization.yaml", "deployment.yaml", "service.yaml", "configmap.yaml",
            "secret.example.yaml"} <= set(docs)
    for name, ds in docs.items():
        assert ds, name
        for d in ds:
            assert isinstance(d, dict), name
            assert d.get("apiVersion") and d.get("kind"), (name, d)
            assert d.get("metadata", {}).get("name"), (name, d)
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", d["metadata"]["name"]), (name, d["metadata"])
    # kustomize applies every manifest but the Secret's example.
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == set(docs) - {"kustomization.yaml", "secret.example.yaml"}, listed


def test_deployment_probes_resources_and_references():
    deps = objects("Deployment")
    assert [d["metadata"]["name"] for d in deps] == ["c12"]
    dep = deps[0]
    spec = dep["spec"]["template"]["spec"]
    c12 = next(c for c in spec["containers"] if c["name"] == "c12")
    ports = {p["name"]: p["containerPort"] for p in c12["ports"]}
    assert ports == {"http": 8080}
    assert c12["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c12["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert c12[probe]["httpGet"]["port"] in ports, probe
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["terminationGracePeriodSeconds"] > 30, "more than server.grace_s"
    assert dep["spec"]["replicas"] >= 2
    # The Service reaches these pods on the named port.
    svc = next(d for d in objects("Service") if d["metadata"]["name"] == "c12")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert all(p["targetPort"] in ports for p in svc["spec"]["ports"])
    # An init container pulls the models into the volume the server reads.
    init = spec["initContainers"][0]
    assert init["args"][:2] == ["models", "pull"]
    mounts = {m["name"]: m["mountPath"] for m in c12["volumeMounts"]}
    assert {m["name"]: m["mountPath"] for m in init["volumeMounts"]}["models"] == mounts["models"] == \
        "/var/lib/c12/models"


def test_every_reference_is_defined():
    secret = objects("Secret")
    assert [s["metadata"]["name"] for s in secret] == ["c12-secrets"]
    secret_keys = set(secret[0]["stringData"])
    configmaps = {d["metadata"]["name"]: d for d in objects("ConfigMap")}
    claims = {d["metadata"]["name"] for d in objects("PersistentVolumeClaim")}
    for owner, spec, templates in pod_specs():
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec.get("initContainers", []) + spec["containers"]:
            assert c.get("resources", {}).get("requests") and c["resources"].get("limits", {}).get("memory"), \
                (owner, c["name"])
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "c12-secrets" and ref["key"] in secret_keys, (owner, ref)
            for m in c.get("volumeMounts", []):
                assert m["name"] in volumes or m["name"] in templates, (owner, m)
        for v in volumes.values():
            if "configMap" in v:
                assert v["configMap"]["name"] in configmaps, (owner, v)
            if "persistentVolumeClaim" in v:
                assert v["persistentVolumeClaim"]["claimName"] in claims, (owner, v)


def test_probes_point_at_endpoints_c12_serves(c12_san):
    srv = Server(c12_san)
    try:
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            status, body = srv.get(path)
            assert status == 200, (probe, path, status, body)
    finally:
        srv.stop()


def config_check(binary, text, tmp_path, name):
    """`c12 config check` of a container configuration (its ledger section
    names PostgreSQL, the DSN from the environment)."""
    path = tmp_path / name
    path.write_text(text)
    env = {"C12_API_KEY": "check", "C12_LEDGER_DSN": DSN}
    r = run([binary, "config", "check", str(path)], env={**os.environ, **env})
    assert r.returncode == 0, r.stderr
    assert yaml.safe_load(text)["ledger"] == {"store": "postgresql", "dsn_env": "C12_LEDGER_DSN"}


def test_container_configurations_pass_config_check(c12_san, tmp_path):
    cm = next(d for d in objects("ConfigMap") if d["metadata"]["name"] == "c12-config")
    for name, text in (("docker.yaml", (DOCKER / "c12.yaml").read_text()), ("configmap.yaml", cm["data"]["c12.yaml"])):
        cfg = yaml.safe_load(text)
        assert cfg["server"]["listen"] == "0.0.0.0:8080", name
        assert cfg["server"]["api_keys"] == ["env:C12_API_KEY"], name
        config_check(c12_san, text, tmp_path, name)


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services():
    doc = compose()
    assert "version" not in doc, "Compose Specification: no version key (v2 warns about it)"
    services = doc["services"]
    assert {"c12", "models", "postgres", "prometheus", "grafana"} == set(services)
    named = set(doc["volumes"])
    for name, s in services.items():
        if name == "models":  # the one-shot: it exits when the models are in
            assert s["restart"] == "no" and s["healthcheck"] == {"disable": True}
        else:
            assert s["restart"] == "unless-stopped", name
            assert s["healthcheck"]["test"][0] == "CMD", name
        for cond in (s.get("depends_on") or {}).values():
            assert cond["condition"] in ("service_healthy", "service_completed_successfully"), (name, cond)
        for v in s.get("volumes", []):
            src = v.split(":")[0]
            assert src in named or src.startswith("./"), (name, v)
        for p in s.get("ports", []):
            assert p.startswith("127.0.0.1:"), (name, p)
    assert "ports" not in services["postgres"]
    assert services["c12"]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                             "models": {"condition": "service_completed_successfully"}}
    assert "/readyz" in " ".join(services["c12"]["healthcheck"]["test"])


def test_compose_secrets_come_from_env_file():
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert {"POSTGRES_PASSWORD", "C12_DB_PASSWORD", "C12_API_KEY", "GRAFANA_ADMIN_PASSWORD"} <= required
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert used <= set(example), used - set(example)
    assert all(" #" not in v for v in example.values()), "compose reads a comment after a value as the value"
    r = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert r.returncode == 0, ".env must be git-ignored"
    r = subprocess.run(["git", "ls-files", "--error-unmatch", ".env.example"], cwd=ROOT, capture_output=True)
    assert r.returncode == 0, ".env.example must be committed"


def test_compose_prometheus_config(tmp_path):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool is missing (scripts/deps.sh --test installs prometheus)")
    # The image puts the rules beside the config, as here.
    shutil.copy(DOCKER / "prometheus" / "prometheus.yml", tmp_path / "prometheus.yml")
    shutil.copy(ROOT / "deploy" / "prometheus" / "c12-alerts.yml", tmp_path / "c12-alerts.yml")
    r = subprocess.run([promtool, "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    job = yaml.safe_load((tmp_path / "prometheus.yml").read_text())["scrape_configs"][0]
    assert job["job_name"] == "c12" and job["static_configs"][0]["targets"] == ["c12:8080"]

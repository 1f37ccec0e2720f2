"""The rendered Deployment as `podman run` flags (deploy/pod_run.py), as `make image-check` uses them."""

from decimal import Decimal

import pytest

from deploy.container_spec import Manifest, ManifestError
from deploy.manifests import KUSTOMIZATION, render
from deploy.pod_run import pod_run, quantity


def _container(documents: list[Manifest]) -> Manifest:
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    container: Manifest = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.mark.parametrize(
    ("text", "value"),
    [("384Mi", 384 * 2**20), ("16Mi", 2**24), ("1Gi", 2**30), ("500m", Decimal("0.5")), ("1", 1), ("2k", 2000)],
)
def test_kubernetes_quantities(text: str, value: Decimal) -> None:
    assert quantity(text) == value


def test_the_shipped_deployment_runs_read_only_as_its_user_within_its_limits() -> None:
    run = pod_run(render(KUSTOMIZATION))
    assert {
        "--user=10001:10001",
        "--read-only",
        "--read-only-tmpfs=false",
        "--security-opt=no-new-privileges",
        "--cap-drop=ALL",
        f"--memory={384 * 2**20}",
        "--cpus=1",
        f"--tmpfs=/tmp:rw,mode=0777,size={16 * 2**20}",
        "--stop-timeout=35",  # the grace period (45 s) less the preStop pause (10 s)
    } == set(run.flags)
    assert run.environment["WEB_CONCURRENCY"] == "1"
    assert "REDIS_URL" not in run.environment  # from a Secret that is optional and absent
    assert [(probe.kind, probe.path, probe.container_port) for probe in run.probes] == [
        ("startupProbe", "/healthz", 8080),
        ("livenessProbe", "/healthz", 8080),
        ("readinessProbe", "/readyz", 8080),
    ]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("securityContext", "privileged", True),
        ("lifecycle", "postStart", {"sleep": {"seconds": 1}}),
        ("resources", "limits", {"ephemeral-storage": "1Gi"}),
        ("readinessProbe", "httpGet", {"path": "/readyz", "port": "http", "scheme": "HTTPS"}),
    ],
)
def test_a_setting_the_check_cannot_apply_is_refused(section: str, key: str, value: object) -> None:
    documents = render(KUSTOMIZATION)
    _container(documents)[section][key] = value
    with pytest.raises(ManifestError, match="image check"):
        pod_run(documents)


def test_a_command_in_place_of_the_images_entrypoint_is_refused() -> None:
    documents = render(KUSTOMIZATION)
    _container(documents)["command"] = ["python", "-m", "app"]
    with pytest.raises(ManifestError, match="image check"):
        pod_run(documents)


def _pod(documents: list[Manifest]) -> Manifest:
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    pod: Manifest = deployment["spec"]["template"]["spec"]
    return pod


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("initContainers", [{"name": "setup", "image": "busybox"}]),
        ("hostNetwork", True),
        ("shareProcessNamespace", True),
        ("automountServiceAccountToken", True),
        ("runtimeClassName", "gvisor"),
    ],
)
def test_a_pod_setting_the_check_cannot_apply_is_refused(key: str, value: object) -> None:
    documents = render(KUSTOMIZATION)
    _pod(documents)[key] = value
    with pytest.raises(ManifestError, match="image check"):
        pod_run(documents)


@pytest.mark.parametrize(
    "change",
    [
        {"volumeMounts": [{"name": "tmp", "mountPath": "/tmp", "subPath": "app"}]},  # noqa: S108 - the manifest's path
        {"env": [{"name": "GREETING", "value": "listening on $(PORT)"}]},
        {"env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]},
        {"envFrom": [{"configMapRef": {"name": "absent"}}]},
        {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "flow-api", "key": "ABSENT"}}}]},
        {"readinessProbe": {"httpGet": {"path": "/readyz", "port": "http", "host": "10.0.0.1"}}},
    ],
    ids=["subPath", "$(VAR)", "fieldRef", "missing ConfigMap", "missing key", "probe host"],
)
def test_a_container_setting_the_check_cannot_apply_is_refused(change: Manifest) -> None:
    documents = render(KUSTOMIZATION)
    _container(documents).update(change)
    with pytest.raises(ManifestError, match="image check"):
        pod_run(documents)


def test_env_from_prefix_and_optional_references_are_applied_as_kubernetes_does() -> None:
    documents = render(KUSTOMIZATION)
    _container(documents)["envFrom"] = [
        {"configMapRef": {"name": "flow-api"}, "prefix": "SHIPPED_"},
        {"configMapRef": {"name": "absent", "optional": True}},
    ]
    _container(documents)["env"] = [
        {"name": "PORT", "valueFrom": {"configMapKeyRef": {"name": "flow-api", "key": "ABSENT", "optional": True}}},
        {"name": "EMPTY"},
    ]
    environment = pod_run(documents).environment
    assert environment["SHIPPED_WEB_CONCURRENCY"] == "1"
    assert "WEB_CONCURRENCY" not in environment
    assert "PORT" not in environment
    assert environment["EMPTY"] == ""

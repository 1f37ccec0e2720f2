"""The rendered Deployment as `podman run` flags (deploy/pod_run.py), as `make image-check` uses them."""

from decimal import Decimal

import pytest

from deploy.manifests import KUSTOMIZATION, Manifest, ManifestError, render
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

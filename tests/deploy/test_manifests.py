"""The manifest check (`make lint-manifests`) on the shipped manifests and on ones made wrong."""

import pytest

from deploy.container_spec import Manifest
from deploy.manifests import KUSTOMIZATION, SETTINGS_CONFIG_MAP, cross_check, render

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _container(documents: list[Manifest]) -> Manifest:
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    container: Manifest = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _settings(documents: list[Manifest]) -> dict[str, str]:
    (config,) = (
        doc for doc in documents if (doc["kind"], doc["metadata"]["name"]) == ("ConfigMap", SETTINGS_CONFIG_MAP)
    )
    data: dict[str, str] = config["data"]
    return data


def _with_probe_port(probe: str, port: str | int) -> list[Manifest]:
    documents = render(KUSTOMIZATION)
    _container(documents)[probe]["httpGet"]["port"] = port
    return documents


def test_the_shipped_manifests_pass() -> None:
    assert cross_check(render(KUSTOMIZATION)) == []


@pytest.mark.parametrize("probe", PROBES)
def test_a_probe_naming_no_container_port_fails(probe: str) -> None:
    assert cross_check(_with_probe_port(probe, "metrics")) == [
        f"the {probe} port 'metrics' names no port of the container flow-api (http: 8080)"
    ]


@pytest.mark.parametrize("probe", PROBES)
def test_a_probe_on_another_port_than_the_app_listens_on_fails(probe: str) -> None:
    # Kubernetes probes a number the container does not declare; nothing answers there.
    assert cross_check(_with_probe_port(probe, 9090)) == [
        f"the {probe} probes port 9090, but the app listens on PORT 8080"
    ]


@pytest.mark.parametrize("probe", PROBES)
def test_a_probe_may_name_the_port_by_number(probe: str) -> None:
    assert cross_check(_with_probe_port(probe, 8080)) == []


def test_a_config_map_port_the_probes_do_not_look_at_fails() -> None:
    documents = render(KUSTOMIZATION)
    _settings(documents)["PORT"] = "9090"
    assert cross_check(documents) == [
        "PORT 9090 is none of the container's ports [8080]",
        *(f"the {probe} probes port 8080, but the app listens on PORT 9090" for probe in PROBES),
        "the pods' prometheus.io/port annotation says 8080, but the app listens on PORT 9090",
    ]


def test_a_config_map_host_on_loopback_fails() -> None:
    # The kubelet probes, and the Service sends to, the pod's address, never its loopback.
    documents = render(KUSTOMIZATION)
    _settings(documents)["HOST"] = "127.0.0.1"
    assert cross_check(documents) == ["HOST 127.0.0.1 does not listen on the pod's address (0.0.0.0 or ::)"]


def test_a_port_moved_in_the_config_map_with_the_container_port_passes() -> None:
    documents = render(KUSTOMIZATION)
    _settings(documents)["PORT"] = "9090"
    _container(documents)["ports"][0]["containerPort"] = 9090
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] = "9090"
    assert cross_check(documents) == []

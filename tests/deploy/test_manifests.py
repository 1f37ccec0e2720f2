"""The manifest check (`make lint-manifests`) on the shipped manifests and on ones made wrong."""

import pytest

from deploy.manifests import KUSTOMIZATION, Manifest, cross_check, render

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _with_probe_port(probe: str, port: str | int) -> list[Manifest]:
    documents = render(KUSTOMIZATION)
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    container[probe]["httpGet"]["port"] = port
    return documents


def test_the_shipped_manifests_pass() -> None:
    assert cross_check(render(KUSTOMIZATION)) == []


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("port", ["metrics", 9090])
def test_a_probe_on_a_port_the_container_does_not_have_fails(probe: str, port: str | int) -> None:
    assert cross_check(_with_probe_port(probe, port)) == [
        f"the {probe} port {port!r} names no port of the container flow-api (http: 8080)"
    ]


@pytest.mark.parametrize("probe", PROBES)
def test_a_probe_may_name_the_port_by_number(probe: str) -> None:
    assert cross_check(_with_probe_port(probe, 8080)) == []

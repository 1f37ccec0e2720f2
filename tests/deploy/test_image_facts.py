"""The image's own configuration against the rendered Deployment (deploy/image_facts.py), as
`podman image inspect` reports it, for the environment the pod would really run with."""

from typing import Any

from deploy.container_spec import Manifest
from deploy.image_facts import facts
from deploy.manifests import KUSTOMIZATION, SETTINGS_CONFIG_MAP, render
from deploy.pod_run import pod_run

# The shipped Containerfile's final stage, as `podman image inspect` shows its Config.
IMAGE_CONFIG: dict[str, Any] = {
    "User": "10001:10001",
    "Env": ["PATH=/app/.venv/bin:/usr/bin", "APP_ENV=production", "HOST=0.0.0.0", "PORT=8080"],
    "StopSignal": "SIGTERM",
}


def _with_settings(**settings: str) -> list[Manifest]:
    documents = render(KUSTOMIZATION)
    (config,) = (
        doc for doc in documents if (doc["kind"], doc["metadata"]["name"]) == ("ConfigMap", SETTINGS_CONFIG_MAP)
    )
    config["data"].update(settings)
    return documents


def _failed(documents: list[Manifest]) -> list[str]:
    return [f"{name} ({detail})" for name, ok, detail in facts(IMAGE_CONFIG, pod_run(documents)) if not ok]


def test_the_shipped_image_and_manifests_agree() -> None:
    assert _failed(render(KUSTOMIZATION)) == []


def test_a_config_map_port_other_than_the_probes_fails() -> None:
    assert _failed(_with_settings(PORT="9090")) == [
        (
            "the app listens where the Deployment's ports and probes say "
            "(PORT 9090 is none of the container's ports [8080]; "
            "the startupProbe probes port 8080, but the app listens on PORT 9090; "
            "the livenessProbe probes port 8080, but the app listens on PORT 9090; "
            "the readinessProbe probes port 8080, but the app listens on PORT 9090)"
        )
    ]


def test_a_config_map_host_on_loopback_fails() -> None:
    assert _failed(_with_settings(HOST="127.0.0.1")) == [
        (
            "the app listens where the Deployment's ports and probes say "
            "(HOST 127.0.0.1 does not listen on the pod's address (0.0.0.0 or ::))"
        )
    ]

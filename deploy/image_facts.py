"""What the Deployment relies on from the image's own configuration, read with `podman image inspect`."""

import json
import subprocess
from typing import Any

from deploy.listening import listening_problems
from deploy.pod_run import PodRun

Result = tuple[str, bool, str]


def image_inspect(image: str) -> dict[str, Any]:
    inspected = subprocess.run(["podman", "image", "inspect", image], capture_output=True, text=True, check=True)
    image_config: dict[str, Any] = json.loads(inspected.stdout)[0]
    return image_config


def image_environment(config: dict[str, Any]) -> dict[str, str]:
    """The environment an image's Config sets."""
    return dict(item.split("=", 1) for item in config.get("Env", []))


def facts(config: dict[str, Any], pod: PodRun) -> list[Result]:
    """The checks on an image's Config for the pod `pod` describes."""
    # What the container really gets: the pod's variables over the image's.
    environment = {**image_environment(config), **pod.environment}
    problems = listening_problems(
        environment,
        container_ports=pod.container_ports,
        probe_ports={probe.kind: probe.container_port for probe in pod.probes},
    )
    user = config.get("User", "")
    return [
        # runAsNonRoot can check only a numeric user.
        ("image user is numeric and not root", user.split(":")[0].isdigit() and user.split(":")[0] != "0", user),
        (
            "the app listens where the Deployment's ports and probes say",
            not problems,
            "; ".join(problems) or f"HOST={environment.get('HOST')} PORT={environment.get('PORT')}",
        ),
        ("STOPSIGNAL SIGTERM", config.get("StopSignal") == "SIGTERM", str(config.get("StopSignal"))),
    ]

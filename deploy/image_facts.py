"""What the Deployment relies on from the image's own configuration, read with `podman image inspect`."""

import json
import subprocess
from typing import Any

from deploy.pod_run import PodRun

Result = tuple[str, bool, str]


def image_inspect(image: str) -> dict[str, Any]:
    inspected = subprocess.run(["podman", "image", "inspect", image], capture_output=True, text=True, check=True)
    image_config: dict[str, Any] = json.loads(inspected.stdout)[0]
    return image_config


def image_environment(image: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in image_inspect(image)["Config"].get("Env", []))


def image_facts(image: str, pod: PodRun) -> list[Result]:
    config = image_inspect(image)["Config"]
    env = image_environment(image)
    user = config.get("User", "")
    listens = env.get("HOST") == "0.0.0.0" and int(env.get("PORT", "0")) in pod.container_ports  # noqa: S104
    return [
        # runAsNonRoot can check only a numeric user.
        ("image user is numeric and not root", user.split(":")[0].isdigit() and user.split(":")[0] != "0", user),
        (
            f"image listens on the Deployment's container port {pod.container_ports}",
            listens,
            f"HOST={env.get('HOST')} PORT={env.get('PORT')}",
        ),
        ("STOPSIGNAL SIGTERM", config.get("StopSignal") == "SIGTERM", str(config.get("StopSignal"))),
    ]

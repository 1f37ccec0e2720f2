"""Whether the app listens where the Deployment sends to it: `HOST` and `PORT` as the container
really gets them (the image's environment, then the pod's over it) against the container ports,
the ports the probes resolve to, and the scrape annotation.

Kubernetes checks none of this: a probe on a port nothing listens on, or an app on loopback,
passes every schema and leaves the pod unready or restarting although the process is fine.
"""

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from deploy.container_spec import ManifestError

CONTAINERFILE = Path(__file__).parent.parent / "Containerfile"
# uvicorn's wildcard addresses: the pod's own address is among them.
WILDCARD_HOSTS = ("0.0.0.0", "::")  # noqa: S104 - the pod's address is what the kubelet probes


def listening_problems(
    environment: Mapping[str, str],
    *,
    container_ports: Sequence[int],
    probe_ports: Mapping[str, int],
    scrape_port: str | None = None,
) -> list[str]:
    """`probe_ports`: each probe's port, resolved to a number; each string is one problem."""
    problems: list[str] = []
    host = environment.get("HOST")
    if host not in WILDCARD_HOSTS:
        problems.append(f"HOST {host} does not listen on the pod's address ({' or '.join(WILDCARD_HOSTS)})")
    port = environment.get("PORT", "")
    if not port.isdigit():
        return [*problems, f"PORT {port!r} is not a port number"]
    if int(port) not in container_ports:
        problems.append(f"PORT {port} is none of the container's ports {list(container_ports)}")
    problems.extend(
        f"the {kind} probes port {probe_port}, but the app listens on PORT {port}"
        for kind, probe_port in probe_ports.items()
        if probe_port != int(port)
    )
    if scrape_port is not None and scrape_port != port:
        problems.append(
            f"the pods' prometheus.io/port annotation says {scrape_port}, but the app listens on PORT {port}"
        )
    return problems


def containerfile_environment(containerfile: Path = CONTAINERFILE) -> dict[str, str]:
    """The `ENV` of the Containerfile's final stage: the image's environment, read without
    building it (`make lint-manifests` runs offline). Only the `KEY=value` form is understood."""
    instructions = containerfile.read_text().replace("\\\n", " ").splitlines()
    environment: dict[str, str] = {}
    for line in instructions:
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            environment = {}  # a new stage starts from its base's environment, not the last stage's
        elif instruction.upper() == "ENV":
            for word in shlex.split(rest, comments=True):
                key, equals, value = word.partition("=")
                if not equals:
                    raise ManifestError(f"{containerfile}: ENV {rest.strip()!r} is not in the KEY=value form")
                environment[key] = value
    return environment

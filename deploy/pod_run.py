"""The rendered Deployment's container as `podman run` flags, so that `make image-check` runs the
image as deploy/kubernetes/ says rather than as a second, hand-kept copy of it says.

Read: the pod's and the container's securityContext, `resources.limits`, the environment from
the ConfigMaps (deploy/container_spec.py), `emptyDir` mounts (a tmpfs of the volume's
`sizeLimit`), the probes and the grace period. Every key of the pod spec, the container and the
sections read is checked against what this translation applies (or knows to change nothing of
the container's run, as scheduling does): anything else is refused, never dropped, so a
constraint added to the manifests cannot pass the image check unapplied.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deploy.container_spec import PROBES, Manifest, ManifestError, container_port, known, pod_environment

# Where the pod is scheduled changes nothing of how its container runs.
SCHEDULING_KEYS = {"topologySpreadConstraints", "affinity", "nodeSelector", "tolerations", "priorityClassName"}
POD_KEYS = {"containers", "securityContext", "terminationGracePeriodSeconds", "volumes", "automountServiceAccountToken"}
PROBE_KEYS = {
    "httpGet",
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
}

# `command`, `args` or `workingDir` would run something else than the image's entrypoint.
CONTAINER_KEYS = {"name", "image", "imagePullPolicy", "ports", "envFrom", "env", "resources", "securityContext"} | {
    "startupProbe",
    "livenessProbe",
    "readinessProbe",
    "lifecycle",
    "volumeMounts",
}
POD_SECURITY = {"runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile"}
CONTAINER_SECURITY = POD_SECURITY - {"seccompProfile"} | {
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "capabilities",
}
# Kubernetes' quantity suffixes. Hand-written: the kubernetes client, which has `parse_quantity`,
# is a large dependency for a table and a loop.
QUANTITY_SUFFIXES = {
    **{suffix: Decimal(2) ** (10 * power) for power, suffix in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1)},
    **{suffix: Decimal(10) ** (3 * power) for power, suffix in enumerate(("k", "M", "G", "T", "P", "E"), 1)},
    "m": Decimal("0.001"),
}


@dataclass(frozen=True)
class HttpProbe:
    kind: str
    path: str
    container_port: int
    timeout_seconds: int


@dataclass(frozen=True)
class PodRun:
    flags: list[str]
    environment: dict[str, str]
    run_as_user: int | None
    container_ports: list[int]
    probes: list[HttpProbe]
    start_seconds: int  # the startup probe's budget: how long the kubelet lets the pod start
    stop_seconds: int  # from SIGTERM to SIGKILL: the grace period less the preStop pause


def pod_run(documents: list[Manifest]) -> PodRun:
    (deployment,) = (doc for doc in documents if doc["kind"] == "Deployment")
    pod = known(deployment["spec"]["template"]["spec"], POD_KEYS | SCHEDULING_KEYS, "pod spec")
    # podman mounts no service account token; Kubernetes mounts one unless told not to.
    if pod.get("automountServiceAccountToken", True) is not False:
        raise ManifestError("the image check cannot apply a mounted service account token")
    (container,) = pod["containers"]
    known(container, CONTAINER_KEYS, "container")
    known(known(container.get("lifecycle", {}), {"preStop"}, "lifecycle").get("preStop", {}), {"sleep"}, "preStop")
    known(container.get("resources", {}), {"limits", "requests"}, "resources")  # requests only schedule
    security = {**known(pod.get("securityContext", {}), POD_SECURITY, "pod securityContext")}
    security |= known(container.get("securityContext", {}), CONTAINER_SECURITY, "securityContext")
    pause = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    stop_seconds = pod.get("terminationGracePeriodSeconds", 30) - pause
    return PodRun(
        flags=[
            *_security_flags(security),
            *_limit_flags(container.get("resources", {}).get("limits", {})),
            *_mount_flags(container.get("volumeMounts", []), pod.get("volumes", [])),
            f"--stop-timeout={stop_seconds}",
        ],
        environment=pod_environment(container, documents),
        run_as_user=security.get("runAsUser"),
        container_ports=[port["containerPort"] for port in container.get("ports", [])],
        probes=[_http_probe(container, kind) for kind in PROBES if kind in container],
        start_seconds=_budget(container.get("startupProbe") or container["livenessProbe"]),
        stop_seconds=stop_seconds,
    )


def _security_flags(security: dict[str, Any]) -> list[str]:
    if security.get("seccompProfile", {}).get("type", "RuntimeDefault") != "RuntimeDefault":
        raise ManifestError("the image check knows only the RuntimeDefault seccomp profile (podman's default)")
    flags: list[str] = []
    if "runAsUser" in security:
        group = f":{security['runAsGroup']}" if "runAsGroup" in security else ""
        flags.append(f"--user={security['runAsUser']}{group}")
    if security.get("readOnlyRootFilesystem"):
        # podman's --read-only mounts tmpfs on /tmp, /var/tmp and /run; Kubernetes mounts none.
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if security.get("allowPrivilegeEscalation") is False:
        flags.append("--security-opt=no-new-privileges")
    capabilities = security.get("capabilities", {})
    flags += [f"--cap-drop={name}" for name in capabilities.get("drop", [])]
    flags += [f"--cap-add={name}" for name in capabilities.get("add", [])]
    return flags


def _limit_flags(limits: dict[str, str]) -> list[str]:
    known(limits, {"memory", "cpu"}, "resources.limits")
    flags: list[str] = []
    if "memory" in limits:
        flags.append(f"--memory={int(quantity(limits['memory']))}")
    if "cpu" in limits:
        flags.append(f"--cpus={quantity(limits['cpu'])}")
    return flags


def quantity(value: str | int) -> Decimal:
    """A Kubernetes quantity (`384Mi`, `500m`, `1`) as a plain number."""
    text = str(value)
    for suffix, factor in QUANTITY_SUFFIXES.items():
        if text.endswith(suffix):
            return Decimal(text.removesuffix(suffix)) * factor
    return Decimal(text)


def _mount_flags(mounts: list[Manifest], volumes: list[Manifest]) -> list[str]:
    by_name = {volume["name"]: volume for volume in volumes}
    flags: list[str] = []
    for mount in mounts:
        known(mount, {"name", "mountPath", "readOnly"}, "volumeMount")
        volume = by_name[mount["name"]]
        if set(volume) != {"name", "emptyDir"}:
            raise ManifestError(f"the image check can mount only emptyDir volumes, not {volume['name']}")
        known(volume["emptyDir"], {"medium", "sizeLimit"}, "emptyDir")
        # Memory-backed or not, an emptyDir is a scratch directory that Kubernetes makes mode 0777.
        options = ["ro" if mount.get("readOnly") else "rw", "mode=0777"]
        if "sizeLimit" in volume["emptyDir"]:
            options.append(f"size={quantity(volume['emptyDir']['sizeLimit'])}")
        flags.append(f"--tmpfs={mount['mountPath']}:{','.join(options)}")
    return flags


def _http_probe(container: Manifest, kind: str) -> HttpProbe:
    action = known(container[kind], PROBE_KEYS, kind).get("httpGet")
    if action is None or action.get("scheme", "HTTP") != "HTTP":
        raise ManifestError(f"the image check can make only plain HTTP GET probes, not the {kind}")
    known(action, {"path", "port", "scheme"}, f"{kind} httpGet")  # a `host` or headers would probe elsewhere
    port = container_port(container, action["port"])
    if port is None:
        raise ManifestError(f"the {kind} port {action['port']!r} names no port of the container")
    return HttpProbe(
        kind=kind,
        path=action.get("path", "/"),
        container_port=port,
        timeout_seconds=container[kind].get("timeoutSeconds", 1),
    )


def _budget(probe: Manifest) -> int:
    """Kubernetes' defaults where the probe sets nothing."""
    return int(probe.get("initialDelaySeconds", 0) + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3))

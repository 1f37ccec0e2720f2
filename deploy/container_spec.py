"""What the manifest check and the image check both read from the Deployment's one container:
its ports, and its environment resolved as the kubelet would from `envFrom` and `env`.

The environment is resolved, never guessed: a reference this cannot resolve as Kubernetes would
(a field or resource reference, a Secret that is not optional, a `$(VAR)` to expand) is refused.
"""

from typing import Any

Manifest = dict[str, Any]
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")
ENV_KEYS = {"name", "value", "valueFrom"}
KEY_REFERENCE_KEYS = {"name", "key", "optional"}


class ManifestError(Exception):
    """The manifests are wrong, or hold what the checks cannot apply; the message says where."""


def known(section: dict[str, Any], keys: set[str], where: str) -> dict[str, Any]:
    """`section`, or ManifestError if it holds a key the image check does not apply."""
    if unknown := set(section) - keys:
        raise ManifestError(f"the image check cannot apply the {where}'s {sorted(unknown)}")
    return section


def container_port(container: Manifest, port: str | int) -> int | None:
    """The number a probe's `port` stands for: a number as it is, a name as the container port
    of that name (None if the container declares none)."""
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    return None


def pod_environment(container: Manifest, documents: list[Manifest]) -> dict[str, str]:
    """The container's environment from the rendered ConfigMaps: `envFrom` (with its `prefix`),
    then `env` over it, as Kubernetes does; an optional reference to what is missing sets nothing."""
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in documents if doc["kind"] == "ConfigMap"}
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        known(source, {"configMapRef", "prefix"}, "envFrom")
        reference = known(source.get("configMapRef", {}), {"name", "optional"}, "envFrom configMapRef")
        if reference.get("name") not in config_maps:
            if reference.get("optional", False):
                continue
            raise ManifestError(f"the image check has no ConfigMap {reference.get('name')!r} for envFrom {source}")
        prefix = source.get("prefix", "")
        environment |= {prefix + key: value for key, value in config_maps[reference["name"]].items()}
    for variable in container.get("env", []):
        name = known(variable, ENV_KEYS, "env")["name"]
        if "valueFrom" not in variable:
            value = variable.get("value", "")
            # Kubernetes expands $(VAR) from the variables before it; this check does not.
            if "$(" in value:
                raise ManifestError(f"the image check does not expand the $(VAR) in {name}")
            environment[name] = value
            continue
        reference = known(variable["valueFrom"], {"configMapKeyRef", "secretKeyRef"}, f"{name} valueFrom")
        if "configMapKeyRef" in reference:
            key = known(reference["configMapKeyRef"], KEY_REFERENCE_KEYS, f"{name} configMapKeyRef")
            value = config_maps.get(key["name"], {}).get(key["key"])
            if value is not None:
                environment[name] = value
                continue
            optional = key.get("optional", False)
        else:
            # No Secret exists here: an optional one sets nothing, as a missing one does in Kubernetes.
            key = known(reference["secretKeyRef"], KEY_REFERENCE_KEYS, f"{name} secretKeyRef")
            optional = key.get("optional", False)
        if not optional:
            raise ManifestError(f"the image check has no value for {name}")
    return environment

"""`make lint-manifests`: deploy/kubernetes/ rendered as kustomize would, then validated offline.

kubectl and kustomize are not installed here, so the kustomization is rendered by concatenating
its `resources` in order (a directory is rendered as the kustomization it holds), then the
ConfigMaps of its `configMapGenerator` (`files` only, names without a hash suffix); any other
kustomize feature in kustomization.yaml is refused rather than silently ignored. The result is
checked against Kubernetes' own schemas by `kubernetes-validate --strict` (unknown fields are
errors), then for the cross-references no schema sees: selectors, names, the ports the probes
name, whether the app listens where the probes, ports and scrape annotation say
(deploy/listening.py, with the Containerfile's environment under the pod's), the shutdown
timings, and the rules ConfigMap against deploy/prometheus/'s rule files.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from deploy.container_spec import PROBES, Manifest, ManifestError, container_port, pod_environment
from deploy.listening import containerfile_environment, listening_problems
from deploy.rules import RULE_FILES

KUSTOMIZATION = Path(__file__).parent / "kubernetes" / "kustomization.yaml"
# The oldest version whose schemas we check: the preStop sleep action needs 1.30+.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
RENDERED_KEYS = {"apiVersion", "kind", "resources", "configMapGenerator", "generatorOptions"}
GENERATOR_OPTIONS = {"disableNameSuffixHash", "labels"}
SETTINGS_CONFIG_MAP = "flow-api"
RULES_CONFIG_MAP = "flow-api-prometheus-rules"
PROBE_ACTIONS_WITH_PORT = ("httpGet", "tcpSocket", "grpc")


def render(kustomization: Path) -> list[Manifest]:
    spec = yaml.safe_load(kustomization.read_text())
    unknown = set(spec) - RENDERED_KEYS
    if unknown:
        raise ManifestError(f"{kustomization}: this renderer knows only {sorted(RENDERED_KEYS)}, not {sorted(unknown)}")
    documents: list[Manifest] = []
    for resource in spec.get("resources", []):
        path = kustomization.parent / resource
        if path.is_dir():
            documents.extend(render(path / "kustomization.yaml"))
        else:
            documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    documents.extend(_generated_config_maps(kustomization, spec))
    return documents


def _generated_config_maps(kustomization: Path, spec: Manifest) -> list[Manifest]:
    """Each `configMapGenerator` entry's ConfigMap, its files' contents keyed by their names."""
    options = spec.get("generatorOptions", {})
    generators = spec.get("configMapGenerator", [])
    # kustomize's hash suffix is not rendered here, so a generated name must be the plain one.
    if generators and (set(options) - GENERATOR_OPTIONS or options.get("disableNameSuffixHash") is not True):
        raise ManifestError(
            f"{kustomization}: generated ConfigMaps need generatorOptions.disableNameSuffixHash: true "
            f"and no options but {sorted(GENERATOR_OPTIONS)}"
        )
    config_maps: list[Manifest] = []
    for generator in generators:
        if set(generator) != {"name", "files"}:
            raise ManifestError(f"{kustomization}: this renderer generates ConfigMaps from a name and files only")
        metadata = {"name": generator["name"], **({"labels": options["labels"]} if "labels" in options else {})}
        data = {Path(file).name: (kustomization.parent / file).read_text() for file in generator["files"]}
        config_maps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
    return config_maps


def validate(documents: list[Manifest], version: str) -> None:
    tool = Path(sys.executable).parent / "kubernetes-validate"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as rendered:
        yaml.safe_dump_all(documents, rendered)
        rendered.flush()
        result = subprocess.run(
            [str(tool), "--strict", "--quiet", f"--kubernetes-version={version}", rendered.name],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise ManifestError(f"kubernetes-validate {version}:\n{result.stdout}{result.stderr}")


def _one(documents: list[Manifest], kind: str, *, name: str | None = None) -> Manifest:
    found = [doc for doc in documents if doc["kind"] == kind and name in (None, doc["metadata"]["name"])]
    if len(found) != 1:
        raise ManifestError(f"expected one {kind}{f' {name}' if name else ''}, found {len(found)}")
    return found[0]


def cross_check(documents: list[Manifest]) -> list[str]:
    """What the schemas cannot see; each string is one problem."""
    problems: list[str] = []
    deployment = _one(documents, "Deployment")
    config = _one(documents, "ConfigMap", name=SETTINGS_CONFIG_MAP)
    pod = deployment["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    for kind, selector in (
        ("Deployment", deployment["spec"]["selector"]["matchLabels"]),
        ("Service", _one(documents, "Service")["spec"]["selector"]),
        ("PodDisruptionBudget", _one(documents, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]),
    ):
        if not selector.items() <= pod_labels.items():
            problems.append(f"the {kind} selector {selector} does not select the pods {pod_labels}")
    target = _one(documents, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", deployment["metadata"]["name"]):
        problems.append(f"the HorizontalPodAutoscaler scales {target}, not the Deployment")
    (container,) = pod["spec"]["containers"]
    if {ref["configMapRef"]["name"] for ref in container.get("envFrom", [])} != {config["metadata"]["name"]}:
        problems.append("the container does not read the ConfigMap")
    # SIGKILL must come after the preStop pause and the whole graceful shutdown.
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = int(config["data"].get("GRACEFUL_SHUTDOWN_TIMEOUT", "30"))
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    if grace <= pause + graceful:
        problems.append(f"terminationGracePeriodSeconds {grace} <= preStop {pause} + graceful shutdown {graceful}")
    if config["data"].get("WEB_CONCURRENCY") != "1":
        problems.append("WEB_CONCURRENCY is not 1: Kubernetes scales by replicas")
    problems.extend(_probe_port_problems(container, documents, pod["metadata"].get("annotations", {})))
    problems.extend(_rules_problems(documents))
    return problems


def _rules_problems(documents: list[Manifest]) -> list[str]:
    """The rules ConfigMap carries exactly deploy/prometheus/'s rule files, the ones promtool tests."""
    carried = _one(documents, "ConfigMap", name=RULES_CONFIG_MAP)["data"]
    expected = {path.name: path.read_text() for path in RULE_FILES}
    if carried == expected:
        return []
    return [f"the ConfigMap {RULES_CONFIG_MAP} carries {sorted(carried)}, not the rule files {sorted(expected)}"]


def _probe_port_problems(container: Manifest, documents: list[Manifest], annotations: dict[str, str]) -> list[str]:
    # Kubernetes probes a numeric port whether the container declares it or not, but a named port
    # must name one of the container's. Either way what matters is that the app listens there.
    problems: list[str] = []
    declared = ", ".join(f"{port.get('name', '')}: {port['containerPort']}" for port in container.get("ports", []))
    resolved: dict[str, int] = {}
    for probe in PROBES:
        for action in PROBE_ACTIONS_WITH_PORT:
            port = container.get(probe, {}).get(action, {}).get("port")
            if port is None:
                continue
            if (number := container_port(container, port)) is None:
                problems.append(
                    f"the {probe} port {port!r} names no port of the container {container['name']} ({declared})"
                )
            else:
                resolved[probe] = number
    environment = {**containerfile_environment(), **pod_environment(container, documents)}
    return problems + listening_problems(
        environment,
        container_ports=[port["containerPort"] for port in container.get("ports", [])],
        probe_ports=resolved,
        scrape_port=annotations.get("prometheus.io/port"),
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.manifests", description=__doc__)
    parser.add_argument("--print", action="store_true", help="print the rendered manifests and stop")
    args = parser.parse_args()
    try:
        documents = render(KUSTOMIZATION)
        if args.print:
            print(yaml.safe_dump_all(documents, sort_keys=False), end="")
            return 0
        for version in KUBERNETES_VERSIONS:
            validate(documents, version)
        problems = cross_check(documents)
    except ManifestError as error:
        print(f"lint-manifests: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"lint-manifests: {problem}", file=sys.stderr)
    if not problems:
        kinds = ", ".join(doc["kind"] for doc in documents)
        print(f"lint-manifests: {kinds} valid for Kubernetes {' and '.join(KUBERNETES_VERSIONS)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

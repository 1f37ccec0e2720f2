"""`make lint-manifests`: deploy/kubernetes/ rendered as kustomize would, then validated offline.

kubectl and kustomize are not installed here, so the kustomization is rendered by concatenating
its `resources` in order; any other kustomize feature in kustomization.yaml is refused rather
than silently ignored. The result is checked against Kubernetes' own schemas by
`kubernetes-validate --strict` (unknown fields are errors), then for the cross-references no
schema sees: selectors, names, and the shutdown timings.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = Path(__file__).parent / "kubernetes" / "kustomization.yaml"
# The oldest version whose schemas we check: the preStop sleep action needs 1.30+.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
RENDERED_KEYS = {"apiVersion", "kind", "resources"}

Manifest = dict[str, Any]


class ManifestError(Exception):
    """The manifests are wrong; the message says where."""


def render(kustomization: Path) -> list[Manifest]:
    spec = yaml.safe_load(kustomization.read_text())
    unknown = set(spec) - RENDERED_KEYS
    if unknown:
        raise ManifestError(f"{kustomization}: this renderer knows only {sorted(RENDERED_KEYS)}, not {sorted(unknown)}")
    documents: list[Manifest] = []
    for resource in spec["resources"]:
        documents.extend(doc for doc in yaml.safe_load_all((kustomization.parent / resource).read_text()) if doc)
    return documents


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


def _one(documents: list[Manifest], kind: str) -> Manifest:
    found = [doc for doc in documents if doc["kind"] == kind]
    if len(found) != 1:
        raise ManifestError(f"expected one {kind}, found {len(found)}")
    return found[0]


def cross_check(documents: list[Manifest]) -> list[str]:
    """What the schemas cannot see; each string is one problem."""
    problems: list[str] = []
    deployment = _one(documents, "Deployment")
    config = _one(documents, "ConfigMap")
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
    return problems


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

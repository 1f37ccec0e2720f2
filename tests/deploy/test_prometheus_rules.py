"""The rules' rendering for fleet-check's Prometheus, and the manifest check of the rules ConfigMap."""

from pathlib import Path

import pytest
import yaml

from deploy.container_spec import ManifestError
from deploy.manifests import KUSTOMIZATION, RULES_CONFIG_MAP, cross_check, render
from deploy.rules import RULE_FILES, duration_milliseconds, scaled_rules

RULES = """\
groups:
  - name: g
    rules:
      - alert: A
        expr: max_over_time(x[1m]) > 0 and rate(y[1h30m]) > 0
        for: 2m
      - record: r
        expr: sum(rate(z[5m]))
"""


def test_scaling_divides_every_for_and_range_and_keeps_the_rest() -> None:
    scaled = yaml.safe_load(scaled_rules(RULES, 10))
    alert, record = scaled["groups"][0]["rules"]
    assert alert == {"alert": "A", "expr": "max_over_time(x[6s]) > 0 and rate(y[540s]) > 0", "for": "12s"}
    assert record == {"record": "r", "expr": "sum(rate(z[30s]))"}


@pytest.mark.parametrize(("duration", "milliseconds"), [("500ms", 500), ("1h30m", 5_400_000), ("2w", 1_209_600_000)])
def test_durations_read_as_prometheus_does(duration: str, milliseconds: int) -> None:
    assert duration_milliseconds(duration) == milliseconds


@pytest.mark.parametrize("duration", ["", "5", "5m ", "1.5h", "m5"])
def test_a_malformed_duration_is_refused(duration: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        duration_milliseconds(duration)


def test_the_rules_config_map_carries_exactly_the_rule_files() -> None:
    (rules,) = (doc for doc in render(KUSTOMIZATION) if doc["metadata"]["name"] == RULES_CONFIG_MAP)
    assert rules["data"] == {path.name: path.read_text() for path in RULE_FILES}


def test_a_rules_config_map_missing_a_file_fails() -> None:
    documents = render(KUSTOMIZATION)
    (rules,) = (doc for doc in documents if doc["metadata"]["name"] == RULES_CONFIG_MAP)
    del rules["data"][RULE_FILES[0].name]
    expected = sorted(path.name for path in RULE_FILES)
    assert cross_check(documents) == [
        f"the ConfigMap {RULES_CONFIG_MAP} carries {sorted(rules['data'])}, not the rule files {expected}"
    ]


def test_a_generated_config_map_with_kustomize_s_hash_suffix_is_refused(tmp_path: Path) -> None:
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("configMapGenerator:\n  - name: x\n    files: [a.yaml]\n")
    with pytest.raises(ManifestError, match="disableNameSuffixHash"):
        render(kustomization)

"""The committed GraphiQL build is what `scripts/vendor-graphiql.sh` wrote, licences included."""

import hashlib
import json

from app.graphql.ide.page import ASSETS_DIRECTORY
from tests.e2e.process import REPO_ROOT

VENDOR = ASSETS_DIRECTORY / "vendor"


def _manifest() -> dict[str, str]:
    lines = (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_every_vendored_file_matches_its_manifest_entry() -> None:
    manifest = _manifest()

    on_disk = {path.name for path in VENDOR.iterdir()} - {"SHA256SUMS"}

    assert set(manifest) == on_disk
    for name, digest in manifest.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_vendored_versions_are_the_locked_ones_with_their_licences() -> None:
    lock = json.loads((REPO_ROOT / "web/graphiql/package-lock.json").read_text(encoding="utf-8"))
    vendored = dict(line.split(" ") for line in (VENDOR / "VERSIONS").read_text(encoding="utf-8").splitlines())

    for package, version in vendored.items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version
        assert (VENDOR / f"LICENSE.{package}").read_text(encoding="utf-8").startswith("MIT License")


def test_the_build_stays_small() -> None:
    assert sum(path.stat().st_size for path in VENDOR.iterdir()) < 5 * 1024 * 1024

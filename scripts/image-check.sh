#!/usr/bin/env bash
# `make image-check`: build the image (scripts/image-build.sh), then run it as an orchestrator
# would (deploy/image_check.py) with podman set up for this machine. PY is the project's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman-env.sh
PY=${PY:-.venv/bin/python}

started=$(date +%s)
scripts/image-build.sh
# deploy/image_check.py removes its container itself; this catches a check that was killed.
name=flow-api-image-check-$$
trap 'podman rm --force --ignore "$name" "$name-starting" >/dev/null 2>&1 || true' EXIT
"$PY" -m deploy.image_check --name="$name" "$@"
echo "image-check: $(($(date +%s) - started))s in all"

#!/usr/bin/env bash
# `make image`: the Containerfile built here as flow-api:latest, on a base image built from
# Debian's packages (scripts/image-base.sh), since no container registry is reachable.
# Prints the build time and the image size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman-env.sh

IMAGE=${IMAGE:-flow-api:latest}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

started=$(date +%s)
base=$(scripts/image-base.sh)
secret=()
# The host's CA bundle reaches the build as a secret: PyPI may be behind a TLS-intercepting proxy.
[ -s "$CA_BUNDLE" ] && secret=(--secret "id=ca,src=$CA_BUNDLE")
version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
podman build --quiet --network=host --layers "${secret[@]}" "${PODMAN_ULIMITS[@]}" \
    --build-arg "BASE_IMAGE=$base" \
    --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || true)" \
    --build-arg "VERSION=$version" \
    --build-arg "SOURCE=$(git remote get-url origin 2>/dev/null || true)" \
    --tag "$IMAGE" --file Containerfile . >/dev/null
elapsed=$(($(date +%s) - started))
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image: $IMAGE built in ${elapsed}s (base $base), $((size / 1000000)) MB"

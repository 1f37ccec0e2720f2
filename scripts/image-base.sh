#!/usr/bin/env bash
# The base image, built here from Debian's packages because no container registry is reachable:
# a minimal Debian 12 root filesystem whose python3 is 3.11, imported as $BASE_IMAGE.
# Elsewhere the Containerfile's default base (the official python:3.11-slim-bookworm) does the same job.
#
#   scripts/image-base.sh            # prints the image name once it exists
#
# The root filesystem is cached in .cache/image/ (git-ignored): mmdebstrap runs once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman-env.sh

BASE_IMAGE=${BASE_IMAGE:-localhost/flow-api-base:bookworm-python3.11}
CACHE=.cache/image
ROOTFS=$CACHE/bookworm-python3.tar
PACKAGES=python3,python3-venv
# A change to what goes into the root filesystem builds a new one.
KEY="bookworm essential merged-usr $PACKAGES"
STAMP=$CACHE/bookworm-python3.key

ensure_packages mmdebstrap

if [ ! -s "$ROOTFS" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$KEY" ]; then
    mkdir -p "$CACHE"
    echo "image-base: mmdebstrap bookworm with $PACKAGES -> $ROOTFS" >&2
    # essential: dpkg and what Debian marks Essential, no apt; /usr merged by mmdebstrap's hook rather
    # than by the usrmerge package, which brings perl. Docs, man pages and locales left out.
    mmdebstrap --quiet --format=tar --variant=essential --include="$PACKAGES" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        bookworm "$ROOTFS.partial" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main" \
        >"$CACHE/mmdebstrap.log" 2>&1 || { tail -n 30 "$CACHE/mmdebstrap.log" >&2; exit 1; }
    mv "$ROOTFS.partial" "$ROOTFS"
    echo "$KEY" > "$STAMP"
    podman rmi --ignore "$BASE_IMAGE" >/dev/null
fi

if ! podman image exists "$BASE_IMAGE"; then
    podman import --quiet --change 'CMD ["python3"]' "$ROOTFS" "$BASE_IMAGE" >/dev/null
fi
echo "$BASE_IMAGE"

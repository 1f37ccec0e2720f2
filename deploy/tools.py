"""Debian's packages for the deployment checks, installed with apt-get when missing: CI starts from
a bare Debian machine as root, and a developer's machine keeps what it already has."""

import os
import shutil
import subprocess

APT_LOCK_SECONDS = 300
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # nginx lives here, often off a user's PATH


def _which(binary: str) -> str | None:
    return shutil.which(binary) or shutil.which(binary, path=os.pathsep.join(_SBIN))


def debian_tools(*binaries: str, package: str) -> list[str]:
    """The paths of `binaries`, in order, running `apt-get install package` first when any is missing."""
    if any(_which(binary) is None for binary in binaries):
        print(f"deploy: {', '.join(binaries)} missing; installing Debian's {package}", flush=True)
        # Another apt-get (a second check on this machine) holds dpkg's lock for a while: wait for it.
        apt = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_SECONDS}"]
        for command in ([*apt, "update"], [*apt, "install", "-y", "--no-install-recommends", package]):
            print(f"deploy: $ {' '.join(command)}", flush=True)
            subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    paths = [_which(binary) for binary in binaries]
    missing = [binary for binary, path in zip(binaries, paths, strict=True) if path is None]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} still missing after apt-get install {package}")
    return [path for path in paths if path is not None]


def ensure_nginx() -> str:
    (nginx,) = debian_tools("nginx", package="nginx")
    return nginx


def ensure_prometheus() -> tuple[str, str]:
    """Prometheus and promtool: Debian's `prometheus` package ships both."""
    prometheus, promtool = debian_tools("prometheus", "promtool", package="prometheus")
    return prometheus, promtool

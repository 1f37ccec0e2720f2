"""Debian's Chromium, installed when missing: the browser check never downloads a browser build."""

import os
import shutil
import subprocess

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    """The path of Debian's `chromium`, running `apt-get install chromium` first when it is missing."""
    if shutil.which(CHROMIUM) is None:
        print("browser-check: chromium missing; installing Debian's chromium", flush=True)
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        ):
            print(f"browser-check: $ {' '.join(command)}", flush=True)
            subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # noqa: S603
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"{CHROMIUM} is still missing after apt-get install chromium")
    return CHROMIUM

"""System (non-pip) programs the test suite needs, installed by ``python3 run.py test``.

There is one so far: a Chromium browser for ``tests/course/test_browser.py``, which drives JupyterLab
through pip's ``playwright``. Playwright cannot download its own browser on our machines, so the
test uses Debian's ``chromium`` package at ``/usr/bin/chromium`` instead.

A student or instructor does not need this to take the course. To run the browser test:

    python3 -m tools.system_deps            # find chromium, or install it (root + apt only)
    sudo apt-get install -y chromium         # the same by hand on Debian/Ubuntu
    ZOOM_IN_CHROMIUM=/path/to/chromium ...   # use another Chromium/Chrome build

Set ``ZOOM_IN_NO_APT=1`` to forbid the automatic ``apt-get install``. This module uses only the
standard library, so ``run.py`` can call it before the virtual environment exists.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["CHROMIUM_ENV", "INSTALL_HINT", "MissingSystemDependency", "chromium_version", "ensure_chromium",
           "find_chromium", "in_ci", "main"]

#: Environment variable naming a Chromium/Chrome executable to use instead of Debian's.
CHROMIUM_ENV = "ZOOM_IN_CHROMIUM"
#: Set to 1 to forbid ``ensure_chromium`` from running apt-get.
NO_APT_ENV = "ZOOM_IN_NO_APT"
#: Where Debian's ``chromium`` package puts the browser.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")

INSTALL_HINT = (
    "The browser test (tests/course/test_browser.py) needs Debian's Chromium. Install it with "
    "`sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu), or point "
    f"{CHROMIUM_ENV} at a Chromium or Chrome executable. As root, `python3 -m tools.system_deps` "
    "installs it for you. Do not run `playwright install`: its browser download is not reachable here."
)


class MissingSystemDependency(RuntimeError):
    """A program the tests need is missing and could not be installed; the message says how to get it."""


def in_ci() -> bool:
    """True on a CI runner (``CI`` set to anything but empty/0/false/no), where missing tools must fail."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _runs(path: str) -> bool:
    """The executable starts and reports a version (a snap stub or a broken install does not)."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    first_line = done.stdout.strip()
    return done.returncode == 0 and re.match(r"(Chromium|Google Chrome|Chrome)\S* \d+\.", first_line) is not None


def find_chromium() -> str | None:
    """Path of a working Chromium: ``$ZOOM_IN_CHROMIUM``, else Debian's ``chromium``; None if there is none.

    Raises MissingSystemDependency if ``$ZOOM_IN_CHROMIUM`` is set but does not run (a typo should
    not silently fall back to another browser).
    """
    chosen = os.environ.get(CHROMIUM_ENV, "").strip()
    if chosen:
        if not _runs(chosen):
            raise MissingSystemDependency(f"{CHROMIUM_ENV}={chosen!r} does not run `--version`. {INSTALL_HINT}")
        return chosen
    for candidate in (shutil.which("chromium"), str(DEBIAN_CHROMIUM)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK) and _runs(candidate):
            return candidate
    return None


def chromium_version(path: str) -> str:
    """The version line the browser prints, e.g. ``Chromium 156.0.8078.79 built on Debian ...``."""
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def _why_no_apt() -> str | None:
    """Why ``apt-get install`` cannot be used here, or None if it can."""
    if os.environ.get(NO_APT_ENV, "").strip() not in {"", "0"}:
        return f"{NO_APT_ENV} is set"
    if shutil.which("apt-get") is None:
        return "apt-get is not available (not a Debian/Ubuntu system)"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "installing system packages needs root (this is not run as root)"
    return None


def _apt(args: list[str], timeout_s: float) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "-q", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise MissingSystemDependency(f"`{' '.join(cmd)}` took longer than {timeout_s:.0f} s. {INSTALL_HINT}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise MissingSystemDependency(f"`{' '.join(cmd)}` failed (exit {done.returncode}):\n{tail}\n{INSTALL_HINT}")


def ensure_chromium(*, install: bool = True, timeout_s: float = 900) -> str:
    """Path of a working Chromium, installing Debian's ``chromium`` with apt-get if it is missing.

    Installing happens only when ``install`` is true, we run as root, apt-get exists and
    ``$ZOOM_IN_NO_APT`` is not set (CI runners: a fresh Debian machine, as root). Otherwise, or if
    apt-get fails, raises MissingSystemDependency with a message saying how to install it.
    """
    found = find_chromium()
    if found:
        return found
    why = "installing was not requested" if not install else _why_no_apt()
    if why:
        raise MissingSystemDependency(f"Chromium not found and not installed: {why}. {INSTALL_HINT}")
    print("[zoom-in] installing Debian's chromium for the browser test (apt-get; a minute or two)", flush=True)
    _apt(["update"], timeout_s)
    _apt(["install", "-y", "chromium"], timeout_s)
    found = find_chromium()
    if not found:
        raise MissingSystemDependency(f"apt-get installed chromium but no working browser was found. {INSTALL_HINT}")
    return found


def main(argv: list[str] | None = None) -> int:
    """``python3 -m tools.system_deps``: make sure Chromium is there; exit 1 (with a hint) if it is not."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv != ["chromium"]:
        print(f"usage: python3 -m tools.system_deps [chromium]\n{__doc__}")
        return 2
    try:
        path = ensure_chromium()
    except MissingSystemDependency as exc:
        print(f"[zoom-in] {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"[zoom-in] browser for the UI test: {path} ({chromium_version(path)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

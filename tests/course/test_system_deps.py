"""tools/system_deps.py: Chromium is found, installed with apt-get only when allowed, and a missing
browser gives a message that says how to install it."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tools import system_deps


def _fake_browser(path: Path, version: str = "Chromium 156.0.8078.79 built on Debian") -> str:
    path.write_text(f"#!/bin/sh\necho '{version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """No chromium anywhere; records apt-get calls instead of running them."""
    monkeypatch.delenv(system_deps.CHROMIUM_ENV, raising=False)
    monkeypatch.delenv(system_deps.NO_APT_ENV, raising=False)
    monkeypatch.setattr(system_deps, "DEBIAN_CHROMIUM", tmp_path / "absent")
    which = {"apt-get": "/usr/bin/apt-get"}
    monkeypatch.setattr(system_deps.shutil, "which", lambda name: which.get(name))
    calls: list[list[str]] = []
    real_run = subprocess.run

    def fake_run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if cmd[0] != "apt-get":
            return real_run(cmd, **kwargs)  # type: ignore[call-overload]
        calls.append(cmd)
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"  # type: ignore[index]
        if "install" in cmd:  # the install puts a working browser in place
            which["chromium"] = _fake_browser(tmp_path / "chromium")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(system_deps.subprocess, "run", fake_run)
    return calls


def test_env_override_is_used_and_a_broken_one_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    browser = _fake_browser(tmp_path / "my-chrome", "Google Chrome 150.0")
    monkeypatch.setenv(system_deps.CHROMIUM_ENV, browser)
    assert system_deps.find_chromium() == browser
    assert system_deps.chromium_version(browser) == "Google Chrome 150.0"
    monkeypatch.setenv(system_deps.CHROMIUM_ENV, str(tmp_path / "typo"))
    with pytest.raises(system_deps.MissingSystemDependency, match="does not run"):
        system_deps.find_chromium()


def test_a_stub_that_is_not_a_browser_does_not_count(no_browser: list[list[str]], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stub = _fake_browser(tmp_path / "chromium-stub", "Command 'chromium' requires the snap")
    monkeypatch.setattr(system_deps.shutil, "which", lambda name: stub if name == "chromium" else None)
    assert system_deps.find_chromium() is None


def test_root_with_apt_installs_chromium(no_browser: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    path = system_deps.ensure_chromium()
    assert Path(path).name == "chromium"
    assert [c[-2:] for c in no_browser] == [["-q", "update"], ["-y", "chromium"]]
    assert no_browser[1][:4] == ["apt-get", "-q", "install", "-y"]


@pytest.mark.parametrize("situation", ["not root", "no apt", "opted out", "not asked"])
def test_without_apt_the_message_says_how_to_install(no_browser: list[list[str]], monkeypatch: pytest.MonkeyPatch,
                                                     situation: str) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000 if situation == "not root" else 0)
    if situation == "no apt":
        monkeypatch.setattr(system_deps.shutil, "which", lambda name: None)
    if situation == "opted out":
        monkeypatch.setenv(system_deps.NO_APT_ENV, "1")
    with pytest.raises(system_deps.MissingSystemDependency) as info:
        system_deps.ensure_chromium(install=situation != "not asked")
    assert "apt-get install -y chromium" in str(info.value)
    assert not no_browser, "apt-get must not run"
    assert system_deps.main([]) == (0 if situation == "not asked" else 1)  # the command line does install


def test_a_failing_apt_get_is_reported(no_browser: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(system_deps.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 100, "", "E: Unable to locate package chromium"))
    with pytest.raises(system_deps.MissingSystemDependency, match="Unable to locate package chromium"):
        system_deps.ensure_chromium()


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("", False), ("false", False), ("0", False)])
def test_ci_detection(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert system_deps.in_ci() is expected

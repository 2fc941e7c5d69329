"""The install recipe: pins are consistent, environment.yml agrees with requirements.txt, and the
installed packages are the pinned ones (torch and torchvision as a working pair)."""
from __future__ import annotations

import re
from importlib import metadata

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tools.course import ROOT


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = list(req.specifier)
            assert spec.operator == "==", f"{line}: pin exact versions"
            pins[req.name.lower()] = spec.version
    return pins


def test_environment_yml_matches_pip_pins() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = _pins()
    found = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                req = Requirement(line)
                found[req.name.lower()] = str(req.specifier).lstrip("=")
        elif not dep.startswith(("python", "pip")):
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)=([0-9][A-Za-z0-9.]*)", dep)
            assert m, f"conda spec {dep!r} must be name=version"
            found[m.group(1).lower()] = m.group(2)
    assert found == pins


def test_installed_versions_are_the_pins() -> None:
    for name, version in _pins().items():
        assert metadata.version(name) == version, name


def test_torch_and_torchvision_are_a_pair() -> None:
    """torchvision's wheel names the one torch it was built for; and its C++ ops load."""
    reqs = [Requirement(r) for r in metadata.requires("torchvision") or []]
    torch_req = next(r for r in reqs if r.name == "torch")
    assert metadata.version("torch") in SpecifierSet(str(torch_req.specifier))
    import torch
    import torchvision

    torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)  # fails on a mismatched pair


def test_package_does_not_pin_torch() -> None:
    """On Colab, installing the course must not replace the preinstalled torch."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        req = Requirement(dep)
        if req.name in {"torch", "torchvision"}:
            assert all(s.operator == ">=" for s in req.specifier), dep

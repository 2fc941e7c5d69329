"""Run the course the way Colab does: a built wheel, installed (not editable) beside an existing torch.

Colab installs the course with ``pip install "zoom-in-course @ git+..."``, i.e. the wheel that
``pyproject.toml`` builds, into an interpreter that already has torch and torchvision. An editable
install (what ``run.py`` makes) hides every packaging mistake, so the test suite also runs the
notebooks through this module:

1. :func:`build_wheel` builds the wheel (and :func:`build_sdist` the sdist) from the repository;
2. :func:`make_env` makes a fresh virtual environment that sees the already-installed third-party
   packages (a ``.pth`` line to their site-packages, like Colab's preinstalled torch) but not the
   course: nothing of the repository is on its ``sys.path``, and the editable install's finder is
   not loaded;
3. :func:`execute` runs a notebook in a kernel of that interpreter, from a folder outside the
   repository, with the set-up cell's pip target taken from ``ZOOM_IN_PIP_SPEC`` (the local wheel),
   and returns every error a cell raised.

``python -m tools.colab_like NOTEBOOK ...`` does all three and prints each notebook's errors.
"""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import ROOT

#: Errors an unanswered lab may raise: its exercises' stubs, and the checks that test them.
UNANSWERED_ERRORS = ("NotImplementedError", "ExerciseNotDone", "CheckFailed")


def source_tree(dest: Path, root: Path = ROOT) -> Path:
    """What a clone of the repository holds for the package (git's tracked and untracked-unignored
    files under ``shared_utils/``, plus ``pyproject.toml`` and ``README.md``), copied to ``dest``.

    Building from a copy keeps ``build/`` and ``*.egg-info`` out of the working tree and lets
    several test workers build at once.
    """
    import shutil

    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "shared_utils",
                             "pyproject.toml", "README.md"], cwd=root, capture_output=True, text=True)
    names = listed.stdout.split("\n") if listed.returncode == 0 else []
    if not names or names == [""]:  # not a git checkout: everything but caches
        names = [p.relative_to(root).as_posix() for p in (root / "shared_utils").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts] + ["pyproject.toml", "README.md"]
    for name in filter(None, names):
        if (root / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    return dest


def build_wheel(dest: Path, root: Path = ROOT) -> Path:
    """``pip wheel`` of the package's sources (no build isolation: offline, the installed setuptools)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = source_tree(Path(tmp) / "src", root)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "--disable-pip-version-check", "-w", str(dest), str(src)], check=True, cwd=tmp)
    wheels = sorted(dest.glob("zoom_in_course-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"pip wheel made no zoom_in_course wheel in {dest}")
    return wheels[-1]


def build_sdist(dest: Path, root: Path = ROOT) -> Path:
    """The sdist, through setuptools' PEP 517 hook (what ``python -m build --sdist`` calls)."""
    dest.mkdir(parents=True, exist_ok=True)
    code = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    with tempfile.TemporaryDirectory() as tmp:
        src = source_tree(Path(tmp) / "src", root)
        out = subprocess.run([sys.executable, "-c", code, str(dest)], cwd=src, check=True, capture_output=True,
                             text=True).stdout.strip().splitlines()[-1]
    return dest / out


def package_files(root: Path = ROOT) -> set[str]:
    """Every file of the package as a clone has it (paths like ``shared_utils/plot/weights.py``)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = source_tree(Path(tmp), root)
        return {p.relative_to(src).as_posix() for p in (src / "shared_utils").rglob("*") if p.is_file()}


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return {n for n in z.namelist() if not n.split("/")[0].endswith(".dist-info")}


def without(wheel: Path, prefix: str, dest: Path) -> Path:
    """A copy of ``wheel`` with every file under ``prefix`` dropped (to prove the harness notices)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename.startswith(prefix):
                continue
            data = src.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                data = b"\n".join(line for line in data.split(b"\n") if not line.startswith(prefix.encode()))
            dst.writestr(item, data)
    return out


def _third_party_site() -> list[str]:
    """The site-packages that hold this interpreter's torch, lucent, jupyter ... (not the course)."""
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    return sorted(p for p in paths if Path(p).is_dir())


@dataclass
class Env:
    """A fresh interpreter that has the third-party packages but not the course."""

    root: Path
    python: Path
    site_packages: Path

    def environ(self, workdir: Path, pip_spec: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
        env.update({"PATH": str(self.python.parent) + os.pathsep + env.get("PATH", ""),
                    "VIRTUAL_ENV": str(self.root), "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                    "PWD": str(workdir)})
        if pip_spec:
            env["ZOOM_IN_PIP_SPEC"] = pip_spec
        env.update(extra or {})
        return env


def make_env(dest: Path) -> Env:
    """A venv whose only extra ``sys.path`` entries are the current interpreter's site-packages.

    A plain ``.pth`` line adds a folder without processing the ``.pth`` files inside it, so the
    editable install's finder (``__editable__*.pth``) stays out: the course is not importable until
    the set-up cell installs the wheel, exactly as on a fresh Colab runtime.
    """
    venv.EnvBuilder(with_pip=False, clear=True, symlinks=os.name != "nt").create(dest)
    python = dest / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    site_packages = Path(purelib)
    (site_packages / "zz_preinstalled.pth").write_text("\n".join(_third_party_site()) + "\n")
    return Env(dest, python, site_packages)


def kernel_spec(env: Env, dest: Path) -> Path:
    """A Jupyter kernelspec folder for ``env``'s interpreter (returned: the folder holding ``kernels/``)."""
    spec = dest / "kernels" / "colab-like"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "colab-like", "language": "python"}))
    return dest


@dataclass
class Result:
    """What running one notebook produced."""

    path: str
    cells_run: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)  # {"cell": i, "ename": ..., "evalue": ...}
    package_file: str = ""  # where the kernel imported shared_utils from
    pictures: int = 0  # outputs showing an image or an HTML table
    seconds: float = 0.0  # wall time of the run, kernel start included
    not_done: int = 0  # check cells that said "Not done yet" (an unanswered exercise, in a student's run)

    def unexpected(self, allowed: tuple[str, ...] = ()) -> list[dict[str, object]]:
        """Errors not in ``allowed``, nor a ``NameError`` for a name that an allowed failure left undefined."""
        return [e for e in self.errors if e["ename"] not in allowed and not (allowed and e.get("cascade"))]


def assigned_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, imports, loop and with targets; not the
    local variables inside its functions)."""
    import ast

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


_WHERE = "import shared_utils as _s\nprint('ZOOM_IN_PACKAGE=' + _s.__file__)"


def execute(notebook: Path, env: Env, workdir: Path, *, pip_spec: str | None, timeout: int = 600,
            cell_timeout: int = 300, extra_env: dict[str, str] | None = None) -> Result:
    """Run every cell of ``notebook`` (errors do not stop the run) in ``env``, from ``workdir``."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    workdir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_WHERE))
    specs = kernel_spec(env, workdir / ".kernelspec")
    km = KernelManager(kernel_name="colab-like",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=cell_timeout, allow_errors=True, startup_timeout=120,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    try:
        client.execute(cwd=str(workdir), env=env.environ(workdir, pip_spec, extra_env))
    finally:  # nbclient leaves a kernel it did not start running: each one holds a model (1-2 GB)
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    result = Result(str(notebook), seconds=time.perf_counter() - start)
    left_undefined: set[str] = set()  # names that cells stopped by an unanswered exercise never bound
    for i, cell in enumerate(nb.cells[:-1]):
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        result.cells_run += 1
        errors = [o for o in cell.outputs if o.output_type == "error"]
        missing = [str(o.evalue).split("'")[1] for o in errors if o.ename == "NameError" and "'" in str(o.evalue)]
        cascade = bool(missing) and all(m in left_undefined for m in missing)
        if any(o.ename in UNANSWERED_ERRORS for o in errors) or cascade:
            left_undefined |= assigned_names(cell.source)
        result.not_done += any(o.output_type == "stream" and "Not done yet" in o.get("text", "") for o in cell.outputs)
        for out in cell.outputs:
            if out.output_type in ("display_data", "execute_result") and (
                    {"image/png", "text/html"} & set(out.get("data", {}))):
                result.pictures += 1
            if out.output_type == "error":
                result.errors.append({"cell": i, "ename": out.ename, "evalue": str(out.evalue)[:500],
                                      "cascade": out.ename == "NameError" and cascade})
    for out in nb.cells[-1].outputs:
        text = out.get("text", "")
        if "ZOOM_IN_PACKAGE=" in text:
            result.package_file = text.split("ZOOM_IN_PACKAGE=", 1)[1].strip()
        elif out.output_type == "error":
            result.errors.append({"cell": "package check", "ename": out.ename, "evalue": str(out.evalue)[:500]})
    return result


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        wheel = build_wheel(base / "dist")
        env = make_env(base / "venv")
        bad = 0
        for nb in args.notebooks:
            r = execute(nb.resolve(), env, base / "work" / nb.stem, pip_spec=str(wheel))
            print(f"{nb}: {r.cells_run} cells ran in {r.seconds:.0f} s; shared_utils from {r.package_file}")
            for e in r.errors:
                print(f"   cell {e['cell']}: {e['ename']}: {str(e['evalue']).splitlines()[0] if e['evalue'] else ''}")
            bad += bool(r.unexpected(UNANSWERED_ERRORS))
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

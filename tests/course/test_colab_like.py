"""The course as Colab runs it: the built wheel, installed (not editable) by each notebook's set-up
cell into an interpreter that already has torch, from a folder outside the repository.

Every released lab (``labs/``, unanswered, as a student first opens it) and every lecture runs top
to bottom in fast mode in that interpreter. A lecture must raise nothing; an unanswered lab may
raise only its exercises' ``NotImplementedError``s and failing checks. A wheel with a subpackage
dropped makes the harness fail (last test), so a green run means the wheel is complete.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from tools import colab_like
from tools.course import ROOT

LECTURES = sorted((ROOT / "course").glob("*.ipynb"))
LABS = sorted((ROOT / "labs").glob("*/*.ipynb"))


def _importable(env: colab_like.Env, workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(env.python), "-c", "import shared_utils; print(shared_utils.__file__)"],
                          cwd=workdir, env=env.environ(workdir, None), capture_output=True, text=True)


def _setup_only(path: Path, dest: Path) -> Path:
    """A notebook made of ``path``'s header and set-up cells only."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[:2]
    out = dest / "setup_only.ipynb"
    nbformat.write(nb, out)
    return out


@pytest.fixture(scope="session")
def colab(tmp_path_factory: pytest.TempPathFactory) -> tuple[colab_like.Env, Path]:
    """A fresh interpreter in which a notebook's own set-up cell has installed the built wheel."""
    base = tmp_path_factory.mktemp("colab-like")
    wheel = colab_like.build_wheel(base / "dist")
    env = colab_like.make_env(base / "venv")
    outside = base / "work"
    outside.mkdir()
    before = _importable(env, outside)
    assert before.returncode != 0 and "No module named 'shared_utils'" in before.stderr, (
        "the fresh interpreter must not see the repository's package before the set-up cell runs")
    result = colab_like.execute(_setup_only(LABS[0], outside), env, outside / "setup", pip_spec=str(wheel))
    assert result.errors == [], result.errors
    assert Path(result.package_file).is_relative_to(env.site_packages), result.package_file
    return env, wheel


def _needs_hed(text: str) -> bool:
    """Whether a notebook loads Lab 10's trained VGG16 (its test then asks for the ``hed_wheel`` fixture)."""
    return "load_hed_vgg16" in text


def _run(path: Path, colab: tuple[colab_like.Env, Path], tmp_path: Path,
         request: pytest.FixtureRequest) -> colab_like.Result:
    env, wheel = colab
    if _needs_hed(path.read_text()):
        request.getfixturevalue("hed_wheel")  # sets ZOOM_IN_HED_WHEEL: the Colab-like kernel has no package index
    workdir = tmp_path / path.stem  # outside the repository: a copy of the notebook's folder
    workdir.mkdir()
    result = colab_like.execute(path, env, workdir, pip_spec=str(wheel))
    assert Path(result.package_file).is_relative_to(env.site_packages), (
        f"shared_utils came from {result.package_file}, not the installed wheel")
    assert _kernels_left(env) == [], "the notebook's kernel is still running after its run (it holds a model)"
    return result


def _kernels_left(env: colab_like.Env) -> list[int]:
    """Kernels of the Colab-like interpreter that this test process started and that still run."""
    import psutil

    left = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = p.cmdline()
        except psutil.Error:
            continue
        if "ipykernel_launcher" in cmd and cmd[:1] == [str(env.python)] and p.status() != psutil.STATUS_ZOMBIE:
            left.append(p.pid)
    return left


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_runs_from_the_installed_wheel(path: Path, colab, tmp_path: Path,
                                               request: pytest.FixtureRequest) -> None:
    result = _run(path, colab, tmp_path, request)
    assert result.errors == [], f"{path.name}: {result.errors}"
    nb_cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert result.cells_run == len(nb_cells), "every code cell ran"
    assert result.pictures > 0, "a lecture should show pictures or tables"


@pytest.mark.slow
@pytest.mark.parametrize("path", LABS, ids=[p.parent.name for p in LABS])
def test_released_lab_runs_from_the_installed_wheel(path: Path, colab, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    result = _run(path, colab, tmp_path, request)
    unexpected = result.unexpected(colab_like.UNANSWERED_ERRORS)
    assert unexpected == [], f"{path.parent.name}: errors other than unanswered exercises: {unexpected}"
    assert result.not_done, "an unanswered lab's checks say that its exercises are not done yet"
    # Run All runs through an untouched lab: unfinished exercises and the cells that need them say
    # so instead of raising (shared_utils/_guard.py), so no cell stops the run.
    assert result.errors == [], f"{path.parent.name}: cells that would stop Run All: {result.errors}"
    code_cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert result.cells_run == len(code_cells), "every code cell ran"


@pytest.mark.slow
def test_harness_fails_when_a_subpackage_is_missing_from_the_wheel(colab, tmp_path: Path) -> None:
    env_ok, wheel = colab
    broken = colab_like.without(wheel, "shared_utils/plot/", tmp_path / "broken")
    env = colab_like.make_env(tmp_path / "venv")
    nb = nbformat.read(LABS[1], as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i > 1
                      and "shared_utils" in c.source)
    nb.cells = nb.cells[:first_code + 1]
    short = tmp_path / "lab_start.ipynb"
    nbformat.write(nb, short)
    result = colab_like.execute(short, env, tmp_path / "work", pip_spec=str(broken))
    names = {e["ename"] for e in result.unexpected(colab_like.UNANSWERED_ERRORS)}
    assert "ModuleNotFoundError" in names, result.errors


def _loaded_names(source: str) -> set[str]:
    """Global names a cell reads, at top level or from inside its functions and comprehensions."""
    import symtable

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    top = symtable.symtable(code, "<cell>", "exec")
    names = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    todo = list(top.get_children())
    while todo:
        table = todo.pop()
        names |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        todo += table.get_children()
    return names


def _test_cell_leaks(cells: list[dict]) -> list[str]:
    """Names that a locked test cell binds and a later cell reads (it would fail while the test fails)."""
    outside: set[str] = set()
    from_tests: dict[str, int] = {}
    leaks = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"])
        if meta.get("grade") and not meta.get("solution"):
            for name in colab_like.assigned_names(source) - outside:
                from_tests.setdefault(name, i)
            continue
        own = colab_like.assigned_names(source)  # a cell that binds a name itself does not need the test's
        leaks += [f"cell {i} reads {n!r}, bound only in test cell {from_tests[n]}"
                  for n in sorted((_loaded_names(source) - own) & set(from_tests))]
        outside |= colab_like.assigned_names(source)
        for name in outside:
            from_tests.pop(name, None)
    return leaks


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_no_cell_depends_on_a_variable_bound_in_a_test_cell(path: Path) -> None:
    import json

    assert _test_cell_leaks(json.loads(path.read_text())["cells"]) == []


def test_leak_detection_can_fail() -> None:
    code = lambda src, **nbg: {"cell_type": "code", "source": src, "metadata": {"nbgrader": nbg} if nbg else {}}  # noqa: E731
    cells = [code("x = 1"), code("probs = load()\ncheck(x)", grade=True), code("print(probs, x)")]
    assert _test_cell_leaks(cells) == ["cell 2 reads 'probs', bound only in test cell 1"]
    cells[2] = code("probs = load()\nprint(probs)")
    assert _test_cell_leaks(cells) == []

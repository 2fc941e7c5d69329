"""Read a submission's own cells for attempts to get points without doing the exercise.

The kernel-side guard (``shared_utils/_guard.py``) undoes and reports tampering it can see while a
check cell runs, and switches the exercise's library twins off. No defence inside one Python
process is complete, so the grading command also reads every cell the student could write (answer
cells and added cells; locked cells are restored by nbgrader anyway) before trusting a score:

* **tampering**: code that reaches for the machinery checks rely on (IPython's shell and its
  exception handling, ``sys.modules``, ``builtins``, ``importlib``, frames, closures, ``gc``,
  ``ctypes``, ``exec``/``eval``, attribute assignment on an imported module, redefining the check
  helpers). Every check cell after such a cell scores 0: what it changed may reach any later check.
* **the library's answer**: an exercise's own answer cell that names one of its twins
  (``shared_utils/_twins.py``): that exercise's check cells score 0.

Each finding names the cell and what was found; the grading command puts them in ``report.csv``
(column ``integrity``) and in the student's feedback.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass
from typing import Any, Iterable

from .course import ROOT

#: Names and attributes a lab answer never needs, that reach the machinery the checks rely on.
TAMPER_NAMES = frozenset({
    "get_ipython", "set_custom_exc", "excepthook", "custom_exceptions", "CustomTB", "showtraceback",
    "_showtraceback", "ast_transformers", "input_transformers_post", "input_transformers_cleanup",
    "builtins", "__builtins__", "importlib", "__import__", "__closure__", "__wrapped__", "__code__",
    "__globals__", "__defaults__", "__kwdefaults__", "_getframe", "currentframe", "f_back", "f_globals",
    "f_locals", "settrace", "setprofile", "ctypes", "gc", "environ", "__zoom_in_guard__", "_guard", "_twins",
    "__instancecheck__", "__array__", "__array_function__", "__torch_function__", "last_value",
    "last_traceback",
})
#: Called as a bare name.
TAMPER_CALLS = frozenset({"exec", "eval", "compile", "setattr", "delattr", "globals", "vars"})
#: The check helpers: an answer cell must not (re)define these.
CHECK_HELPERS = frozenset({"check", "check_equal", "check_close", "check_shape", "check_raises",
                           "check_choice", "check_option", "check_number", "check_statements", "passed",
                           "CheckFailed", "checks"})


@dataclass(frozen=True)
class Finding:
    cell: str  # the cell's grade_id, or "added cell N"
    kind: str  # "tampering" or "library answer"
    what: str
    zeroed: tuple[str, ...]  # check cells (grade_ids) that score 0 because of it

    def describe(self) -> str:
        zero = f" -> 0 for {', '.join(self.zeroed)}" if self.zeroed else ""
        return f"{self.cell}: {self.kind}: {self.what}{zero}"


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader") or {}


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _python(src: str) -> ast.AST | None:
    """The cell as IPython runs it (magics and ``!`` lines become ``get_ipython()`` calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        src = TransformerManager().transform_cell(src)
    except Exception:  # noqa: BLE001 - without IPython, read it as plain Python
        pass
    try:
        return ast.parse(src)
    except SyntaxError:
        return None


def _imported_names(trees: Iterable[ast.AST]) -> set[str]:
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names)
    return names


def _sys_names(tree: ast.AST) -> set[str]:
    names = {"sys"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.asname for a in node.names if a.name == "sys" and a.asname)
    return names


def _tampering(tree: ast.AST, imported: set[str]) -> list[str]:
    found: list[str] = []
    sys_names = _sys_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in TAMPER_NAMES:
            found.append(f"uses `{node.id}`")
        elif isinstance(node, ast.Attribute) and node.attr in TAMPER_NAMES:
            found.append(f"uses `.{node.attr}`")
        elif isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name) \
                and node.value.id in sys_names:
            found.append("uses `sys.modules`")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TAMPER_CALLS:
            found.append(f"calls `{node.func.id}()`")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in imported:
            found.append(f"calls `getattr({node.args[0].id}, ...)` with a computed name (hides which library "
                         "function it reaches)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] in TAMPER_NAMES or m.startswith("shared_utils._"):
                    found.append(f"imports `{m}`")
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.name in TAMPER_NAMES or a.name.startswith("_guard") or (node.module == "sys"
                                                                                and a.name == "modules"):
                        found.append(f"imports `{a.name}`")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in CHECK_HELPERS:
            found.append(f"redefines the check helper `{node.name}`")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name) and sub.id in CHECK_HELPERS and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        found.append(f"rebinds the check helper `{sub.id}`")
                    if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        base = sub.value
                        while isinstance(base, ast.Attribute):
                            base = base.value
                        if isinstance(base, ast.Name) and base.id in imported:
                            found.append(f"assigns to `{ast.unparse(sub)}` (an attribute of an imported module)")
    return list(dict.fromkeys(found))


def _twin_uses(tree: ast.AST, twins: tuple[str, ...], aliases: dict[str, str]) -> list[str]:
    found: list[str] = []
    leaves: dict[str, str] = {}
    for d in twins:
        leaf = d.rsplit(".", 1)[1]
        leaves[leaf] = f"{leaves[leaf]} or {d}" if leaf in leaves else d
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in leaves:
            found.append(f"calls the library's answer `{leaves[node.attr]}` (as `{ast.unparse(node)}`)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value in leaves:
            found.append(f"calls the library's answer `{leaves[node.args[1].value]}` (through getattr)")
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                dotted = f"{node.module}.{a.name}"
                if dotted in twins or (a.name in leaves and (node.module or "").split(".")[0] in
                                       {x.split(".")[0] for x in leaves[a.name].split(" or ")}):
                    found.append(f"imports the library's answer `{dotted}`")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases \
                and aliases[node.id] in twins:
            found.append(f"calls the library's answer `{aliases[node.id]}` (imported as `{node.id}`)")
    return list(dict.fromkeys(found))


def _aliases(trees: Iterable[ast.AST]) -> dict[str, str]:
    """``from m import f as g`` anywhere in the notebook: g -> m.f."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


@functools.lru_cache(maxsize=1)
def course_twins() -> dict[str, tuple[str, ...]]:
    """``shared_utils._twins.TWINS``, read from its file: importing it through the package would import
    torch and lucent (the package's eager ``__init__``) in every grading child, seconds per student."""
    path = ROOT / "shared_utils" / "_twins.py"
    spec = importlib.util.spec_from_file_location("_zoom_in_twins", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TWINS


def scan(nb: dict[str, Any], release: dict[str, Any] | None = None,
         twins: dict[str, tuple[str, ...]] | None = None) -> list[Finding]:
    """Findings for a submitted notebook (nbformat 4 as a dict), in cell order.

    With ``release`` (the notebook students were given), cells whose source is exactly a release
    cell's are the course's own text and are not read as the student's.
    """
    course_text = {_source(c) for c in (release or {}).get("cells", []) if c.get("cell_type") == "code"}
    if twins is None:
        twins = course_twins()
    cells = nb.get("cells", [])
    trees: list[ast.AST | None] = [(_python(_source(c)) if c.get("cell_type") == "code" else None) for c in cells]
    imported = _imported_names(t for t in trees if t is not None)
    aliases = _aliases(t for t in trees if t is not None)
    grade_cells = [(i, _meta(c).get("grade_id")) for i, c in enumerate(cells)
                   if _meta(c).get("grade") and c.get("cell_type") == "code"]
    findings: list[Finding] = []
    for i, cell in enumerate(cells):
        meta, tree = _meta(cell), trees[i]
        if tree is None or meta.get("locked") and not meta.get("solution"):
            continue  # locked cells are put back from the release before grading
        if _source(cell) in course_text:
            continue  # the course's own cell, untouched
        name = meta.get("grade_id") or f"added cell {i}"
        tamper = _tampering(tree, imported)
        if tamper:
            later = tuple(g for j, g in grade_cells if j > i)
            findings.append(Finding(name, "tampering", "; ".join(tamper), later))
        exercise = meta.get("grade_id") if meta.get("solution") else None
        if exercise and twins.get(exercise):
            uses = _twin_uses(tree, twins[exercise], aliases)
            if uses:
                own = tuple(g for _, g in grade_cells if g in (f"{exercise}_test",))
                findings.append(Finding(name, "library answer", "; ".join(uses), own))
    return findings


def zeroed_cells(findings: Iterable[Finding]) -> list[str]:
    return sorted({g for f in findings for g in f.zeroed})

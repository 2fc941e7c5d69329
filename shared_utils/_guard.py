"""The course's check cells, inside the notebook's kernel (an IPython extension).

A check cell is the locked cell whose first line is ``# Checks for `<exercise>` ...``. While one
runs, this module

* undoes, and reports, what earlier cells changed in the checks, the helpers they rely on, or the
  way IPython shows errors (a replaced ``shared_utils.checks`` function, a patched ``torch.allclose``,
  ``set_custom_exc``, a replaced ``sys.excepthook`` or ``sys.modules`` entry): the check cell then
  fails with :class:`~shared_utils.checks.ChecksTampered`, so tampering never earns a point;
* switches off the library functions that answer the exercise in one call (declared once, in
  :mod:`shared_utils._twins`): called from the student's code they raise
  :class:`~shared_utils.checks.LibraryAnswerBlocked`; the check cell itself, and library code it
  calls, may still use them;
* runs every check of the cell and shows all failures together, and turns the stub's bare
  ``NotImplementedError`` into a one-line "not done yet". In a student's own kernel an unfinished
  exercise's check prints that line and lets *Run All* go on; under nbgrader (validate, autograde)
  it stays an error, so the cell scores 0.

No defence inside one Python process is complete: the grading command also reads every answer
cell (``tools/integrity.py``) and zeroes the checks after one that reaches for these internals.
The mode (grading or not) is read once, when the kernel loads this extension, before any student
code runs.
"""
from __future__ import annotations

import ast
import builtins
import math
import os
import re
import sys
import sysconfig
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks
from ._twins import TWINS

#: The first line of every check cell (tools/notebooks.py writes it).
MARKER = re.compile(r"\A\s*# Checks for `(\w+)`")
#: The name the transformed check cell uses to reach the guard (re-bound before every check cell).
_NAME = "__zoom_in_guard__"
#: Where a waiting cell keeps its last expression's value, so that IPython still displays it.
_LAST = "__zoom_in_last__"
#: Check functions whose failures are collected rather than stopping the cell.
CHECK_FUNCTIONS = frozenset({"check", "check_equal", "check_close", "check_shape", "check_raises",
                             "check_choice", "check_number", "check_option", "check_statements"})
#: Attributes of these modules must stay what they were when the kernel started.
_WATCHED_MODULES = ("shared_utils.checks", "shared_utils._guard", "shared_utils._twins", "math", "importlib")
_WATCHED_ATTRS = {"torch": ("allclose", "as_tensor", "isclose", "equal", "tensor", "is_tensor", "all", "any"),
                  "numpy": ("asarray", "array", "all", "any", "allclose", "isclose", "array_equal", "abs",
                            "argwhere", "where", "nanmax", "isnan")}
_SHELL_METHODS = ("showtraceback", "_showtraceback", "run_cell", "run_code", "run_ast_nodes", "transform_ast")

_state: "_Guard | None" = None


def _library_dirs() -> tuple[str, ...]:
    dirs = {str(Path(checks.__file__).resolve().parent)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            dirs.add(str(Path(sysconfig.get_paths()[key]).resolve()))
        except (KeyError, OSError):
            pass
    for p in sys.path:
        if "site-packages" in p or "dist-packages" in p:
            dirs.add(str(Path(p).resolve()))
    return tuple(sorted(dirs))


@dataclass
class _Plain:
    binds: set[str]
    stub_defs: set[str]
    clean_defs: set[str]
    answer_stub: bool  # the cell itself is an unanswered answer cell (a top-level `raise NotImplementedError()`)
    waited: str | None = None  # why it stopped, when it was waiting for an exercise


@dataclass
class _Running:
    exercise: str
    findings: list[str]
    cell_file: str | None = None
    failures: list[str] = field(default_factory=list)


class _Blocked:
    """Stands in for a library twin while its exercise's check runs."""

    def __init__(self, original: Any, dotted: str, exercise: str, guard: "_Guard") -> None:
        object.__setattr__(self, "_z_original", original)
        object.__setattr__(self, "_z_dotted", dotted)
        object.__setattr__(self, "_z_exercise", exercise)
        object.__setattr__(self, "_z_guard", guard)

    def _z_refuse(self) -> None:
        g: _Guard = object.__getattribute__(self, "_z_guard")
        if g.allowed(sys._getframe(2)):
            return
        dotted, exercise = object.__getattribute__(self, "_z_dotted"), object.__getattribute__(self, "_z_exercise")
        raise checks.LibraryAnswerBlocked(
            f"`{dotted}` computes the answer to `{exercise}` in one call, so it is switched off while this "
            f"check runs: this exercise asks you to write it yourself.\n"
            f"    Use it freely in other cells (and in later labs) once you have written your own.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        object.__getattribute__(self, "_z_refuse")()
        return object.__getattribute__(self, "_z_original")(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        object.__getattribute__(self, "_z_refuse")()
        return getattr(object.__getattribute__(self, "_z_original"), name)

    def __get__(self, instance: Any, owner: Any = None) -> Any:  # a blocked method, looked up on an object
        if instance is None:
            return self
        blocked = self

        def method(*args: Any, **kwargs: Any) -> Any:
            object.__getattribute__(blocked, "_z_refuse")()
            return object.__getattribute__(blocked, "_z_original")(instance, *args, **kwargs)

        return method

    def __instancecheck__(self, obj: Any) -> bool:  # library code may test isinstance against a blocked class
        return isinstance(obj, object.__getattribute__(self, "_z_original"))

    def __subclasscheck__(self, cls: Any) -> bool:
        return issubclass(cls, object.__getattribute__(self, "_z_original"))

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_z_dotted')}: switched off during this check>"


def _resolve(dotted: str) -> tuple[Any, str, Any] | None:
    """``"pkg.mod.Class.attr"`` -> (owner, attr, object), from modules already imported.

    A twin whose module nobody imported yet cannot have been called by earlier cells; importing it
    here would only cost time (the static reading of answer cells covers an import inside the answer).
    """
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        owner: Any = sys.modules.get(".".join(parts[:i]))
        if owner is None:
            continue
        try:
            for name in parts[i:-1]:
                owner = getattr(owner, name)
            return owner, parts[-1], getattr(owner, parts[-1])
        except AttributeError:
            return None
    return None


class _Guard:
    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.grading = bool(os.environ.get("NBGRADER_EXECUTION"))
        self.library = _library_dirs()
        self.running: _Running | None = None
        self.plain: _Plain | None = None  # the non-check cell now running (a student's own run only)
        self.stubs: set[str] = set()  # functions whose latest definition is still the stub
        self.pending: set[str] = set()  # names that cells waiting for an exercise could not bind
        self.restore: list[tuple[Any, str, Any, bool]] = []
        self.modules: dict[str, dict[str, Any]] = {}
        self.attrs: dict[tuple[str, str], Any] = {}
        self.sys_modules: dict[str, Any] = {}
        self.snapshot()

    # -- what must not change -------------------------------------------------------------------

    def snapshot(self) -> None:
        for name in _WATCHED_MODULES:
            mod = sys.modules.get(name)
            if mod is not None and name not in self.modules:  # its functions and classes, not its data
                self.modules[name] = {k: v for k, v in vars(mod).items() if callable(v)}
                self.sys_modules[name] = mod
        for mod_name, names in _WATCHED_ATTRS.items():
            mod = sys.modules.get(mod_name)
            if mod is None:
                continue
            self.sys_modules.setdefault(mod_name, mod)
            for n in names:
                if (mod_name, n) not in self.attrs and hasattr(mod, n):
                    self.attrs[(mod_name, n)] = getattr(mod, n)
        torch = sys.modules.get("torch")
        if torch is not None and "torch.Tensor" not in self.modules:
            self.modules["torch.Tensor"] = dict(vars(torch.Tensor))
        if not hasattr(self, "builtins"):
            self.builtins = {k: v for k, v in vars(builtins).items()  # ipykernel swaps input() per request
                             if isinstance(v, (types.BuiltinFunctionType, type)) and k not in ("input", "raw_input")}
            self.excepthook = sys.excepthook
            self.shell_methods = {m: getattr(type(self.shell), m, None) for m in _SHELL_METHODS}
            self.shell_overrides = {m: vars(self.shell).get(m, _MISSING) for m in _SHELL_METHODS}
            self.custom_tb = self.shell.CustomTB
            self.transformers = {a: list(getattr(self.shell, a, None) or [])
                                 for a in ("ast_transformers", "input_transformers_post", "input_transformers_cleanup")}

    def integrity(self) -> list[str]:
        """What changed since the kernel started; each change is undone."""
        found: list[str] = []
        for name, saved in self.modules.items():
            if name == "torch.Tensor":
                cls = sys.modules["torch"].Tensor
                for key in set(vars(cls)) - set(saved):
                    found.append(f"torch.Tensor.{key} was added")
                    delattr(cls, key)
                for key, value in saved.items():
                    if vars(cls).get(key, _MISSING) is not value:
                        found.append(f"torch.Tensor.{key} was replaced")
                        setattr(cls, key, value)
                continue
            mod = self.sys_modules[name]
            if sys.modules.get(name) is not mod:
                found.append(f"sys.modules[{name!r}] was replaced")
                sys.modules[name] = mod
            d = vars(mod)
            for key, value in saved.items():
                if d.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key} was replaced")
                    d[key] = value
        for (mod_name, attr), value in self.attrs.items():
            mod = self.sys_modules[mod_name]
            if sys.modules.get(mod_name) is not mod:
                found.append(f"sys.modules[{mod_name!r}] was replaced")
                sys.modules[mod_name] = mod
            if getattr(mod, attr, _MISSING) is not value:
                found.append(f"{mod_name}.{attr} was replaced")
                setattr(mod, attr, value)
        bd = vars(builtins)
        for key, value in self.builtins.items():
            if bd.get(key, _MISSING) is not value:
                found.append(f"builtins.{key} was replaced")
                bd[key] = value
        if self._from_cell(sys.excepthook):  # IPython and ipykernel swap it themselves: only notebook code counts
            found.append("sys.excepthook was replaced")
            sys.excepthook = self.excepthook if not self._from_cell(self.excepthook) else sys.__excepthook__
        shell = self.shell
        if shell.custom_exceptions:
            found.append("IPython's set_custom_exc was used (it can hide a failing check)")
            shell.custom_exceptions = ()
        if shell.CustomTB != self.custom_tb:
            shell.CustomTB = self.custom_tb
        for m, original in self.shell_methods.items():
            mine = vars(shell).get(m, _MISSING)
            if mine is not _MISSING and mine != self.shell_overrides[m]:
                found.append(f"the shell's {m} was replaced")
                if self.shell_overrides[m] is _MISSING:
                    delattr(shell, m)
                else:
                    setattr(shell, m, self.shell_overrides[m])
            if getattr(type(shell), m, None) is not original:
                found.append(f"IPython's {m} was replaced")
                setattr(type(shell), m, original)
        for attr in ("ast_transformers", "input_transformers_post", "input_transformers_cleanup"):
            now = getattr(shell, attr, None)
            if now is None:
                continue
            extra = [t for t in now if not any(t is k for k in self.transformers[attr])]
            if extra:
                found.append(f"IPython's {attr} were changed (code added to every cell)")
            now[:] = [t for t in self.transformers[attr]]
        if self.transformer not in shell.ast_transformers:
            found.append("the course's check transformer was removed")
            shell.ast_transformers.append(self.transformer)
        for n in CHECK_FUNCTIONS | {"CheckFailed"}:
            value = shell.user_ns.get(n, _MISSING)
            if value is not _MISSING and value is not self.modules["shared_utils.checks"].get(n, _MISSING):
                found.append(f"`{n}` was redefined in the notebook")
                if n in self.modules["shared_utils.checks"]:
                    shell.user_ns[n] = self.modules["shared_utils.checks"][n]
                else:
                    del shell.user_ns[n]
        return found

    def _from_cell(self, fn: Any) -> bool:
        code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__func__", None), "__code__", None)
        return code is not None and not code.co_filename.startswith(self.library)

    # -- the library's one-call answers -----------------------------------------------------------

    def allowed(self, frame: types.FrameType | None) -> bool:
        """May this call reach a blocked twin? Yes from library code called by the check cell itself."""
        running = self.running
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith(self.library) or filename.startswith("<frozen")):
                return running is not None and filename == running.cell_file
            frame = frame.f_back
        return False

    def block(self, exercise: str) -> None:
        """Switch off ``exercise``'s twins: every reference in modules, the notebook's namespace (and the
        lists, dicts, default arguments and closures it holds), and methods on their classes. A module
        the answer imports while the check runs is searched as soon as the import returns."""
        self.blocked_ids: set[int] = set()
        self._block_found(exercise)
        if not TWINS.get(exercise):
            return
        original_import = builtins.__import__
        guard = self

        def importing(*args: Any, **kwargs: Any) -> Any:
            before = len(sys.modules)
            module = original_import(*args, **kwargs)
            if len(sys.modules) != before:
                guard._block_found(exercise)
            return module

        builtins.__import__ = importing
        self.restore.append((vars(builtins), "__import__", original_import, True))

    def _block_found(self, exercise: str) -> None:
        originals = []
        for dotted in TWINS.get(exercise, ()):
            hit = _resolve(dotted)
            if hit is not None and id(hit[2]) not in self.blocked_ids and not isinstance(hit[2], _Blocked):
                originals.append((dotted, hit[2]))
        if not originals:
            return
        self.blocked_ids |= {id(obj) for _, obj in originals}
        by_id = {id(obj): (dotted, obj) for dotted, obj in originals}

        def stand_in(value: Any) -> "_Blocked | None":
            hit = by_id.get(id(value))
            return _Blocked(hit[1], hit[0], exercise, self) if hit is not None and value is hit[1] else None

        spaces: list[Any] = [self.shell.user_ns]
        spaces += [vars(m) for m in list(sys.modules.values()) if isinstance(m, types.ModuleType)]
        for space in spaces:
            try:
                items = [(k, v) for k, v in space.items() if id(v) in by_id]
            except Exception:  # noqa: BLE001 - an odd module namespace: leave it
                continue
            for key, value in items:
                blocked = stand_in(value)
                if blocked is not None:
                    space[key] = blocked
                    self.restore.append((space, key, value, True))
        for value in list(self.shell.user_ns.values()):  # references the notebook keeps one level down
            self._block_inside(value, stand_in)
        for dotted, obj in originals:  # methods: set on the class (a Python class, or torch.Tensor over C)
            owner, attr, _ = _resolve(dotted) or (None, "", None)
            if not isinstance(owner, type):
                continue
            saved = vars(owner).get(attr, _MISSING)  # the class's own entry (a function, staticmethod, ...)
            if isinstance(saved, (staticmethod, classmethod, property)):
                continue  # called without an instance: the module-level replacement above is enough
            try:
                setattr(owner, attr, _Blocked(obj, dotted, exercise, self))
            except (TypeError, AttributeError):  # a C type (numpy's Generator): the static reading covers it
                continue
            self.restore.append((owner, attr, saved, False))

    def _block_inside(self, value: Any, stand_in: Any) -> None:
        if isinstance(value, list):
            for i, x in enumerate(value):
                if (b := stand_in(x)) is not None:
                    value[i] = b
                    self.restore.append((value, i, x, True))
        elif isinstance(value, dict):
            for k, x in list(value.items()):
                if (b := stand_in(x)) is not None:
                    value[k] = b
                    self.restore.append((value, k, x, True))
        elif isinstance(value, types.FunctionType) and not value.__code__.co_filename.startswith(self.library):
            defaults = value.__defaults__ or ()
            swapped = tuple(stand_in(x) or x for x in defaults)
            if any(a is not b for a, b in zip(swapped, defaults)):
                value.__defaults__ = swapped
                self.restore.append((value, "__defaults__", defaults, False))
            if value.__kwdefaults__:
                self._block_inside(value.__kwdefaults__, stand_in)
            for cell in value.__closure__ or ():
                try:
                    content = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if (b := stand_in(content)) is not None:
                    cell.cell_contents = b
                    self.restore.append((cell, "cell_contents", content, False))
                elif isinstance(content, (list, dict)):
                    self._block_inside(content, stand_in)

    def unblock(self) -> None:
        for owner, key, obj, is_dict in reversed(self.restore):
            if is_dict:
                owner[key] = obj
            elif obj is _MISSING:
                delattr(owner, key)
            else:
                setattr(owner, key, obj)
        self.restore.clear()

    # -- IPython events ---------------------------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        self.unblock()
        self.snapshot()  # modules imported since the last cell (before any of their attributes were used)
        self.plain = None
        match = MARKER.match(getattr(info, "raw_cell", "") or "")
        if match is None:
            self.running = None
            if not self.grading:
                self.shell.user_ns[_NAME] = _CellApi(self)
            return
        exercise = match.group(1)
        findings = self.integrity()
        self.running = _Running(exercise, findings)
        self.shell.user_ns[_NAME] = _CellApi(self)
        self.block(exercise)

    def post_run_cell(self, result: Any) -> None:
        self.unblock()
        self.running = None
        self.shell.user_ns.pop(_NAME, None)
        plain, self.plain = self.plain, None
        if plain is not None:
            self.stubs = (self.stubs - plain.clean_defs) | plain.stub_defs
            if plain.waited is not None or plain.answer_stub:
                self.pending |= plain.binds - plain.stub_defs - plain.clean_defs
            elif getattr(result, "success", True):
                self.pending -= plain.binds


_MISSING = object()


class _CellApi:
    """What a transformed check cell calls (bound to the name ``__zoom_in_guard__``)."""

    CheckFailed = checks.CheckFailed

    def __init__(self, guard: _Guard) -> None:
        self._guard = guard

    def enter(self) -> None:
        running = self._guard.running
        if running is None:
            return
        running.cell_file = sys._getframe(1).f_code.co_filename
        if running.findings:
            raise checks.ChecksTampered(
                "an earlier cell changed what the checks rely on, so this check cannot count:\n    "
                + "\n    ".join(dict.fromkeys(running.findings))
                + "\n    (restored now: run the exercise's answer cell again without that code)")

    def failed(self) -> None:
        err = sys.exc_info()[1]
        if self._guard.running is not None and err is not None:
            self._guard.running.failures.append(str(err))

    def leave(self) -> None:
        running = self._guard.running
        if running is not None and running.failures:
            raise _combined(running.failures)

    def abort(self) -> bool:
        """The cell stopped on an error: say it clearly; True means "shown, do not re-raise"."""
        err = sys.exc_info()[1]
        running = self._guard.running
        if running is None or err is None:
            return False
        stub = type(err) is NotImplementedError and not err.args and _from_notebook(err, self._guard)
        if stub or isinstance(err, checks.ExerciseNotDone):
            done = err if isinstance(err, checks.ExerciseNotDone) else checks.ExerciseNotDone(
                f"`{_raising_function(err)}` still raises NotImplementedError: Exercise `{running.exercise}` is "
                f"not done yet.\n    Write your answer in its cell above (replace `raise NotImplementedError()`), "
                f"run that cell, then this one.")
            if running.failures:
                raise _combined(running.failures) from err
            if not self._guard.grading:
                print("\N{HOURGLASS} Not done yet: " + str(done).replace("\n    ", " "))
                return True
            if done is err:
                return False
            raise done from None
        if running.failures and not isinstance(err, checks.ChecksTampered):
            running.failures.append(f"then the cell stopped: {type(err).__name__}: {err}")
            raise _combined(running.failures) from err
        return False


    def waiting(self) -> bool:
        """A cell of a student's own run stopped: because it waits for an exercise? Then say so (True)."""
        err = sys.exc_info()[1]
        plain = self._guard.plain
        if plain is None or err is None or self._guard.grading:
            return False
        stub = type(err) is NotImplementedError and not err.args and _from_notebook(err, self._guard)
        if stub or isinstance(err, checks.ExerciseNotDone):
            name = _raising_function(err)
            if plain.answer_stub and name == "<module>":
                plain.waited = "answer"
                print("\N{HOURGLASS} Not answered yet: write your answer in this cell (replace "
                      "`raise NotImplementedError()`), then run it.")
            else:
                plain.waited = name
                print(f"\N{HOURGLASS} Waiting for an exercise: this cell uses `{name}`, which is not written yet; "
                      "run it again once it is.")
            return True
        if isinstance(err, NameError) and getattr(err, "name", None) in self._guard.pending:
            plain.waited = str(err.name)
            print(f"\N{HOURGLASS} Waiting for an exercise: this cell needs `{err.name}`, which a cell above "
                  "could not make yet (it waits for an unfinished exercise).")
            return True
        return False


def _combined(failures: list[str]) -> checks.CheckFailed:
    n = len(failures)
    head = "1 check failed:" if n == 1 else f"{n} checks failed:"
    return checks.CheckFailed(head + "\n" + "\n".join(failures))


def _frames(err: BaseException) -> list[types.FrameType]:
    tb, out = err.__traceback__, []
    while tb is not None:
        out.append(tb.tb_frame)
        tb = tb.tb_next
    return out


def _from_notebook(err: BaseException, guard: _Guard) -> bool:
    frames = _frames(err)
    return bool(frames) and not frames[-1].f_code.co_filename.startswith(guard.library)


def _raising_function(err: BaseException) -> str:
    frames = _frames(err)
    return frames[-1].f_code.co_name if frames else "the exercise"


# ----------------------------------------------------------------------------- the AST of a check cell


class _CheckCellTransformer(ast.NodeTransformer):
    """Rewrite a check cell so that every check runs and the guard sees how it ended."""

    def __init__(self, guard: _Guard) -> None:
        self.guard = guard

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if getattr(node, "_zoom_in_done", False):
            return node
        if self.guard.running is None:
            return self._plain_cell(node) if not self.guard.grading else node
        if self.guard.running.cell_file is not None:
            return node
        body = self._wrap_statements(node.body)
        g = lambda attr: ast.Attribute(ast.Name(_NAME, ast.Load()), attr, ast.Load())  # noqa: E731
        call = lambda attr: ast.Expr(ast.Call(g(attr), [], []))  # noqa: E731
        guarded = ast.Try(
            body=body or [ast.Pass()],
            handlers=[ast.ExceptHandler(ast.Name("BaseException", ast.Load()), None, [
                ast.If(ast.UnaryOp(ast.Not(), ast.Call(g("abort"), [], [])), [ast.Raise()], [])])],
            orelse=[call("leave")], finalbody=[])
        new = ast.Module(body=[call("enter"), guarded], type_ignores=node.type_ignores)
        new._zoom_in_done = True  # type: ignore[attr-defined]
        return ast.fix_missing_locations(ast.copy_location(new, node))

    def _plain_cell(self, node: ast.Module) -> ast.Module:
        """A student's own run: a cell that uses an unfinished exercise says it waits, and Run All goes on."""
        guard = self.guard
        top_raise = any(_is_nie_raise(s) for s in node.body)
        stub_defs = {d.name for d in node.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and any(_is_nie_raise(x) for x in ast.walk(d) if isinstance(x, ast.Raise))}
        clean_defs = {d.name for d in node.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                 ast.ClassDef))} - stub_defs
        loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        guard.plain = _Plain(_top_level_binds(node), stub_defs, clean_defs, top_raise)
        if not (top_raise or loads & (guard.stubs | guard.pending)):
            return node
        future = [s for s in node.body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
        body = [s for s in node.body if s not in future]
        tail: list[ast.stmt] = []
        if body and isinstance(body[-1], ast.Expr):  # keep IPython's display of the last expression
            last = body.pop()
            body.append(ast.Assign([ast.Name(_LAST, ast.Store())], last.value))
            tail = [ast.Expr(ast.Name(_LAST, ast.Load()))]
        g = ast.Attribute(ast.Name(_NAME, ast.Load()), "waiting", ast.Load())
        reset = [ast.Assign([ast.Name(_LAST, ast.Store())], ast.Constant(None))] if tail else []
        wrapped = ast.Try(body=body or [ast.Pass()], handlers=[ast.ExceptHandler(
            ast.Name("BaseException", ast.Load()), None,
            [*reset, ast.If(ast.UnaryOp(ast.Not(), ast.Call(g, [], [])), [ast.Raise()], [])])], orelse=[],
            finalbody=[])
        new = ast.Module(body=[*future, wrapped, *tail], type_ignores=node.type_ignores)
        new._zoom_in_done = True  # type: ignore[attr-defined]
        return ast.fix_missing_locations(ast.copy_location(new, node))

    def _wrap_statements(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and _is_check(s.value.func):
                handler = ast.ExceptHandler(
                    ast.Attribute(ast.Name(_NAME, ast.Load()), "CheckFailed", ast.Load()), None,
                    [ast.Expr(ast.Call(ast.Attribute(ast.Name(_NAME, ast.Load()), "failed", ast.Load()), [], []))])
                out.append(ast.copy_location(ast.Try([s], [handler], [], []), s))
            elif isinstance(s, (ast.For, ast.While, ast.If, ast.With)):
                s.body = self._wrap_statements(s.body)
                if getattr(s, "orelse", None):
                    s.orelse = self._wrap_statements(s.orelse)
                out.append(s)
            else:
                out.append(s)
        return out


def _is_nie_raise(stmt: ast.AST) -> bool:
    if not isinstance(stmt, ast.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _top_level_binds(node: ast.Module) -> set[str]:
    names: set[str] = set()
    for s in node.body:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(s.name)
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in s.names)
        else:
            names.update(sub.id for sub in ast.walk(s) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store))
    return names


def _is_check(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in CHECK_FUNCTIONS
    return isinstance(func, ast.Attribute) and func.attr in CHECK_FUNCTIONS


# ----------------------------------------------------------------------------- installing


def _fulltb(line: str = "") -> None:
    """%fulltb: the full traceback of the last error (check messages hide the course's frames)."""
    import traceback

    err = getattr(sys, "last_value", None)
    if err is None:
        print("no error yet")
        return
    traceback.print_exception(type(err), err, err.__traceback__)


def install(shell: Any = None) -> None:
    """Load the guard into the running IPython shell (idempotent; nothing outside IPython)."""
    global _state
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is None or _state is not None and _state.shell is shell:
        return
    guard = _Guard.__new__(_Guard)
    guard.transformer = _CheckCellTransformer(guard)  # type: ignore[attr-defined]
    shell.ast_transformers.append(guard.transformer)
    _Guard.__init__(guard, shell)
    shell.events.register("pre_run_cell", guard.pre_run_cell)
    shell.events.register("post_run_cell", guard.post_run_cell)
    try:
        shell.register_magic_function(_fulltb, "line", "fulltb")
    except Exception:  # noqa: BLE001 - a shell without magics
        pass
    _state = guard


def load_ipython_extension(shell: Any) -> None:
    """``--ext=shared_utils._guard`` (the grading kernels) or ``%load_ext shared_utils._guard``."""
    install(shell)


__all__: list[str] = []
_ = math  # watched module, imported so that it is snapshotted

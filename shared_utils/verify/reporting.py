"""Running the claims and printing the report (text or markdown); the command line."""
from __future__ import annotations

import argparse
import html
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from torch import nn

from ..device import model_device
from .registry import CLAIMS, Claim, Context


# ============================================================================ running and reporting


@dataclass
class Result:
    claim: Claim
    verdict: str
    measured: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """A non-exploratory check that failed or crashed on real weights (or on data)."""
        return self.verdict == "FAIL" or self.verdict.startswith("ERROR")


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first if len(first) <= 160 else first[:157] + "..."


def _wanted(only: Sequence[str] | None) -> set[str] | None:
    """Upper-case ids to run (``B6`` selects B6a and B6b); ValueError for an id no claim has."""
    if not only:
        return None
    wanted = {i.strip().upper() for i in only}
    known = {c.id.upper() for c in CLAIMS} | {c.id.rstrip("ab").upper() for c in CLAIMS}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown claim id(s) {', '.join(unknown)}; known: {', '.join(c.id for c in CLAIMS)}")
    return wanted


def run(ctx: Context, only: Sequence[str] | None = None, *, progress: Callable[[str], None] | None = None) -> list[Result]:
    """Run the registry's claims (``only`` some ids) in ``ctx``; never raises for a failing check."""
    from ..data import DataUnavailableError

    wanted = _wanted(only)
    results = []
    for c in CLAIMS:
        if wanted is not None and c.id.upper() not in wanted and c.id.rstrip("ab").upper() not in wanted:
            continue
        if c.skip:
            results.append(Result(c, f"SKIPPED: {c.skip}"))
            continue
        if c.needs_weights and ctx.model is None:
            results.append(Result(c, "SKIPPED: real weights unavailable"))
            continue
        if c.slow and ctx.quick:
            results.append(Result(c, "SKIPPED: slow; run without --quick"))
            continue
        if progress:
            progress(f"{c.id}: {c.claim}")
        t0 = time.perf_counter()
        assert c.measure is not None and c.judge is not None
        try:
            measured, ok = c.judge(c.measure(ctx))
            verdict = "PASS" if ok else "FAIL"
            if c.status == "exploratory":
                verdict = f"EXPLORATORY: {'meets' if ok else 'misses'} threshold"
        except DataUnavailableError as exc:
            measured, verdict = "", f"SKIPPED: data unavailable ({_short(exc)})"
        except Exception as exc:  # a crash is reported in its row, the run goes on
            measured, verdict = "", f"ERROR: {type(exc).__name__}: {_short(exc)}"
            if c.status == "exploratory":
                verdict = "EXPLORATORY: " + verdict
        if c.needs_weights and not ctx.trained:
            if not measured and verdict.startswith(("ERROR", "EXPLORATORY: ERROR")):
                measured = verdict.removeprefix("EXPLORATORY: ")
            verdict = "UNTRAINED: not a finding"
        results.append(Result(c, verdict, measured, time.perf_counter() - t0))
    return results


_COLUMNS = ("id", "claim", "article value", "measured", "verdict")
_WIDTHS = (5, 34, 32, 40, 26)


@dataclass
class VerifyReport:
    """A run's table. ``str()`` / :meth:`text` for a terminal, :meth:`markdown`, HTML in a notebook."""

    results: list[Result]
    header: list[str]
    seconds: float = 0.0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.failed]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        return [(r.claim.id, r.claim.claim, r.claim.article, r.measured or "-", r.verdict) for r in self.results]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            key = r.verdict.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"{len(self.results)} claims: {parts}; {self.seconds:.0f} s" + (
            f". FAILED: {', '.join(r.claim.id for r in self.failed)}" if self.failed else "")

    def text(self) -> str:
        lines = list(self.header) + [""]
        sep = "-+-".join("-" * w for w in _WIDTHS)
        lines.append(" | ".join(c.ljust(w) for c, w in zip(_COLUMNS, _WIDTHS)))
        lines.append(sep)
        for row in self._rows():
            cells = [textwrap.wrap(t, w, break_long_words=True) or [""] for t, w in zip(row, _WIDTHS)]
            for i in range(max(len(c) for c in cells)):
                lines.append(" | ".join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, _WIDTHS)).rstrip())
            lines.append(sep)
        lines.append(self.summary())
        return "\n".join(lines)

    def markdown(self) -> str:
        def cell(t: str) -> str:
            return t.replace("|", "\\|").replace("\n", " ")

        lines = [h if h.strip() else "" for h in self.header] + [""]
        lines.append("| " + " | ".join(_COLUMNS) + " |")
        lines.append("|" + "|".join("---" for _ in _COLUMNS) + "|")
        lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in self._rows()]
        lines += ["", self.summary()]
        return "\n".join(lines)

    def html(self) -> str:
        colour = {"PASS": "#1a7f37", "FAIL": "#cf222e", "ERROR": "#cf222e", "UNTRAINED": "#9a6700"}
        head = "".join(f"<p style='margin:0'>{html.escape(h)}</p>" for h in self.header if h.strip())
        rows = []
        for row in self._rows():
            key = row[4].split(":")[0]
            style = f" style='color:{colour[key]};font-weight:bold'" if key in colour else ""
            cells = "".join(f"<td style='text-align:left'>{html.escape(t)}</td>" for t in row[:4])
            rows.append(f"<tr>{cells}<td{style}>{html.escape(row[4])}</td></tr>")
        th = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
        return (f"<div>{head}<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                f"<p>{html.escape(self.summary())}</p></div>")

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.text()


def _roots(data: "str | Path | None") -> tuple[Path | None, Path | None]:
    """``--data DIR``: a folder holding ``circuits/`` and ``imagenet-sample/`` (like ``$ZOOM_IN_DATA``),
    or one of those two folders itself."""
    if data is None:
        return None, None
    d = Path(data).expanduser()
    if not d.is_dir():
        raise FileNotFoundError(f"--data {d} is not a folder; give the folder holding circuits/ and imagenet-sample/")
    if (d / "circuits").is_dir() or (d / "imagenet-sample").is_dir():
        return ((d / "circuits") if (d / "circuits").is_dir() else None,
                (d / "imagenet-sample") if (d / "imagenet-sample").is_dir() else None)
    if any(d.glob("*.JPEG")):
        return None, d
    return d, None


def _banner(lines: list[str]) -> list[str]:
    bar = "=" * 78
    return [bar, *lines, bar]


def _context(model: nn.Module | None, weights: str | None, data: "str | Path | None", quick: bool) -> Context:
    from ..inception.model import WeightsUnavailableError, is_trained, load_inceptionv1, weights_label

    circuits_root, sample_root = _roots(data)
    labels = Path(data).expanduser() / "labels" if data is not None else None
    ctx = Context(circuits_root=circuits_root, sample_root=sample_root,
                  labels_root=labels if labels is not None and labels.is_dir() else None, quick=quick)
    if model is None:
        choice = weights or "pretrained"
        try:
            model = load_inceptionv1(choice, progress=True)
        except (WeightsUnavailableError, FileNotFoundError) as exc:
            ctx.weights_problem = str(exc)
            return ctx
    ctx.model, ctx.trained = model, is_trained(model)
    if not ctx.trained:
        ctx.weights_problem = (f"{weights_label(model)}: checks that need weights ran only to test the machinery; "
                               "their rows say UNTRAINED and are not findings.")
    return ctx


def _header(ctx: Context) -> list[str]:
    from ..inception.model import weights_info

    mode = "quick" if ctx.quick else "full"
    if ctx.model is None:
        return _banner(["REAL WEIGHTS UNAVAILABLE: only the checks that need no weights ran; the others are SKIPPED.",
                        *(ctx.weights_problem or "").splitlines()]) + [f"Mode: {mode}."]
    if not ctx.trained:
        return _banner(["UNTRAINED STAND-IN: NOT THE REAL MODEL.", *(ctx.weights_problem or "").splitlines()]) + [
            f"Mode: {mode}."]
    return [f"Weights: {weights_info(ctx.model).label} from {weights_info(ctx.model).source}; "
            f"device {model_device(ctx.model)}; mode: {mode}."]


def report(model: nn.Module | None = None, *, weights: str | None = None, data: "str | Path | None" = None,
           quick: bool = False, only: Sequence[str] | None = None, verbose: bool = False) -> VerifyReport:
    """Check the course's claims and return the table (shown as HTML in a notebook, text with ``print``).

    Args:
        model: a loaded InceptionV1 (:func:`~shared_utils.inception.model.load_inceptionv1`); default: load the real
            weights (``weights``: ``"pretrained"``, a path to ``inception5h.pth``, or ``"untrained"`` to test
            the machinery). Without real weights only the weight-free checks run.
        data: a folder holding ``circuits/`` and ``imagenet-sample/``, and optionally ``labels/`` with the
            class list (default: the course data).
        quick: coarser sweeps, 100 images, and no slow checks (C11).
        only: claim ids to run, e.g. ``["B4", "C9"]``.
    """
    t0 = time.perf_counter()
    _wanted(only)  # a typo fails before any download
    ctx = _context(model, weights, data, quick)
    say = (lambda s: print(f"[verify] {s}", file=sys.stderr, flush=True)) if verbose else None
    results = run(ctx, only, progress=say)
    return VerifyReport(results, _header(ctx), time.perf_counter() - t0)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared_utils.verify",
                                description="Check the course's claims against the real InceptionV1 weights "
                                            "(docs/science.md §13).")
    p.add_argument("--weights", default="pretrained",
                   help="'pretrained' (default: cached, else downloaded), a path to inception5h.pth, or "
                        "'untrained' (tests the machinery only; rows say UNTRAINED)")
    p.add_argument("--data", default=None,
                   help="folder holding circuits/ and imagenet-sample/ (and labels/ for A0) (default: course data)")
    p.add_argument("--quick", action="store_true", help="coarser sweeps, 100 images, skip slow checks")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--only", default=None, help="comma-separated claim ids, e.g. B4,C9")
    args = p.parse_args(argv)
    try:
        rep = report(weights=args.weights, data=args.data, quick=args.quick,
                     only=args.only.split(",") if args.only else None, verbose=True)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(rep.markdown() if args.markdown else rep.text())
    return rep.exit_code


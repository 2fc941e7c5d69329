"""Put back the grading metadata of a submission that went through Colab (or a careless editor).

nbgrader finds answer and test cells by their ``metadata.nbgrader`` (grade_id, flags, points).
A notebook saved by Colab, or pasted into a fresh one, may have lost that metadata and its tags,
may say ``nbformat_minor: 0`` with no cell ids, may carry a kernelspec without ``language`` and an
extra "Open in Colab" badge cell (``view-in-github``). Without its metadata nbgrader cannot grade
a test cell, and a deleted answer cell next to a deleted test cell even makes nbgrader 0.9.6 stop
with a KeyError (its ``add_missing_cells`` looks for the missing answer cell).

:func:`repair` matches the cells of a submission to the released lab (``labs/<lab>/<lab>.ipynb``)
and restores the metadata of every answer, test and locked cell it finds; cells it cannot find are
put back from the release (a missing answer cell as its empty stub, which earns nothing).
The grading command (``python run.py grade``) applies it to every submission and reports what it did.
Nothing is taken from the student's own code: only metadata is restored, and test cells' code is
restored later by nbgrader itself from its gradebook.

Matching, strongest first: the nbgrader ``grade_id`` still in the cell; a cell whose source equals
the released cell's exactly; then the most similar cell of the same type in order (line-based
similarity, a global alignment so the order of cells is kept); last, the only unmatched cell of
the same type between two matched neighbours (a rewritten answer that shares nothing with its stub).
"""
from __future__ import annotations

import copy
import difflib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat.v4.rwbase import rejoin_lines

#: nbgrader metadata keys that change how a cell is graded (the checksum is recomputed by nbgrader).
GRADING_KEYS = ("grade", "solution", "locked", "task", "grade_id", "points", "schema_version")
#: cell metadata copied from the released cell when a cell is matched (only when absent or different).
_COPIED_KEYS = ("deletable", "editable", "tags")
_ID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
#: below this line-based similarity two cells are not taken for the same one (except by position).
MIN_SIMILARITY = 0.3
_EXACT, _BY_ID = 10.0, 1000.0


@dataclass
class RepairReport:
    """What :func:`repair` changed, for the grading report."""

    restored: dict[str, str] = field(default_factory=dict)  # grade_id -> how the cell was found
    reinserted: list[str] = field(default_factory=list)  # grade_ids put back from the release
    edited: list[str] = field(default_factory=list)  # locked cells whose code differs from the release
    notes: list[str] = field(default_factory=list)  # format fixes and other remarks

    @property
    def changed(self) -> bool:
        return bool(self.restored or self.reinserted or self.notes)

    def summary(self) -> str:
        parts = []
        if self.restored:
            parts.append("grading metadata restored for " + ", ".join(
                f"{gid} (matched by {how})" for gid, how in self.restored.items()))
        if self.reinserted:
            parts.append("cells missing from the submission, put back from the release: "
                         + ", ".join(self.reinserted))
        parts += self.notes
        return "; ".join(parts)

    def edited_summary(self) -> str:
        """Locked (test) cells the student changed; nbgrader puts the lab's version back."""
        if not self.edited:
            return ""
        return "locked cells differ from the lab (nbgrader restores them): " + ", ".join(self.edited)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())


def _nbg(cell: dict) -> dict:
    meta = cell.get("metadata") or {}
    value = meta.get("nbgrader")
    return value if isinstance(value, dict) else {}


def _similarity(a: str, b: str) -> float:
    la, lb = _norm(a).splitlines(), _norm(b).splitlines()
    if not la and not lb:
        return 1.0
    return difflib.SequenceMatcher(None, la, lb, autojunk=False).ratio()


def _pair_score(rel: dict, sub: dict) -> float:
    gid = _nbg(rel).get("grade_id")
    if gid is not None and _nbg(sub).get("grade_id") == gid:
        return _BY_ID
    if rel.get("cell_type") != sub.get("cell_type"):
        return 0.0
    if _norm(_source(rel)) == _norm(_source(sub)):
        return _EXACT
    sim = _similarity(_source(rel), _source(sub))
    return sim if sim >= MIN_SIMILARITY else 0.0


def _align(rel_cells: list[dict], sub_cells: list[dict]) -> dict[int, int]:
    """Order-keeping matching (release index -> submission index) of largest total score."""
    n, m = len(rel_cells), len(sub_cells)
    score = [[_pair_score(r, s) for s in sub_cells] for r in rel_cells]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = score[i][j] + best[i + 1][j + 1] if score[i][j] > 0 else 0.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs: dict[int, int] = {}
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _gap(pairs: dict[int, int], i: int, n_sub: int) -> tuple[int, int]:
    """Submission indices of the matched cells just before and after release cell ``i``."""
    lo = max((j for k, j in pairs.items() if k < i), default=-1)
    hi = min((j for k, j in pairs.items() if k > i), default=n_sub)
    return lo, hi


def _how(rel: dict, sub: dict) -> str:
    s = _pair_score(rel, sub)
    return "grade_id" if s == _BY_ID else "source" if s == _EXACT else "similarity"


def _fix_format(nb: dict, source_nb: dict, report: RepairReport) -> None:
    if nb.get("nbformat_minor", 0) < 5:
        report.notes.append(f"nbformat 4.{nb.get('nbformat_minor', 0)} upgraded to 4.5")
        nb["nbformat_minor"] = 5
    seen: set[str] = set()
    fixed = 0
    for cell in nb["cells"]:
        cid = cell.get("id")
        if not isinstance(cid, str) or not _ID_RE.match(cid) or cid in seen:
            colab_id = (cell.get("metadata") or {}).get("id")
            cid = colab_id if isinstance(colab_id, str) and _ID_RE.match(colab_id) and colab_id not in seen \
                else uuid.uuid4().hex[:12]
            cell["id"] = cid
            fixed += 1
        seen.add(cid)
    if fixed:
        report.notes.append(f"{fixed} cell id(s) added or made unique")
    want = (source_nb.get("metadata") or {}).get("kernelspec")
    have = (nb.setdefault("metadata", {})).get("kernelspec")
    if want and have != want:
        report.notes.append("kernelspec replaced by the lab's (Colab writes one without 'language')")
        nb["metadata"]["kernelspec"] = copy.deepcopy(want)
    badges = [c for c in nb["cells"] if (c.get("metadata") or {}).get("id") == "view-in-github"
              or ("colab-badge.svg" in _source(c) and not _nbg(c))]
    if badges:
        report.notes.append("Colab badge cell kept (not graded)")


def _released_copy(rel: dict) -> dict:
    """A released cell as it is put back into a submission that lacks it."""
    cell = copy.deepcopy(rel)
    cell["id"] = uuid.uuid4().hex[:12]
    if cell.get("cell_type") == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def repair(submitted_nb: Any, source_nb: Any) -> tuple[nbformat.NotebookNode, RepairReport]:
    """Match ``submitted_nb``'s cells to the released lab ``source_nb`` and restore grading metadata.

    Args:
        submitted_nb: the student's notebook (a dict or NotebookNode, nbformat 4; not modified).
        source_nb: the released lab notebook (``labs/<lab>/<lab>.ipynb``) with nbgrader metadata.

    Returns:
        The repaired notebook (nbformat 4.5) and a :class:`RepairReport` of what was changed.

    Raises:
        ValueError: ``submitted_nb`` is not an nbformat-4 notebook (no cell list).
    """
    if submitted_nb.get("nbformat") != 4 or not isinstance(submitted_nb.get("cells"), list):
        raise ValueError("not an nbformat-4 notebook: read it with nbformat.read(f, as_version=4) first")
    nb = rejoin_lines(nbformat.from_dict(copy.deepcopy(dict(submitted_nb))))  # sources as str, like nbformat.read
    source = rejoin_lines(nbformat.from_dict(copy.deepcopy(dict(source_nb))))
    cells: list[dict] = [dict(c) for c in nb["cells"] if isinstance(c, dict) and "cell_type" in c]
    nb["cells"] = cells
    for cell in cells:
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    report = RepairReport()
    rel_cells: list[dict] = source["cells"]
    tracked = [i for i, c in enumerate(rel_cells) if _nbg(c).get("grade_id")]

    pairs = _align(rel_cells, cells)
    # A cell that kept its grade_id but was moved out of order is still that cell.
    for i in tracked:
        gid = _nbg(rel_cells[i])["grade_id"]
        if i not in pairs:
            moved = [j for j, c in enumerate(cells) if j not in pairs.values() and _nbg(c).get("grade_id") == gid]
            if moved:
                pairs[i] = moved[0]
    # A rewritten answer may share no line with its stub: take the only candidate between neighbours.
    for i in tracked:
        if i in pairs:
            continue
        gap = _gap(pairs, i, len(cells))
        kind = rel_cells[i].get("cell_type")
        rivals = [k for k in tracked if k not in pairs and rel_cells[k].get("cell_type") == kind
                  and _gap(pairs, k, len(cells)) == gap]
        free = [j for j in range(gap[0] + 1, gap[1]) if j not in pairs.values()
                and cells[j].get("cell_type") == kind and not _nbg(cells[j])]
        if len(rivals) == 1 and len(free) == 1:
            pairs[i] = free[0]

    for i in tracked:
        rel = rel_cells[i]
        want = _nbg(rel)
        gid = want["grade_id"]
        if i not in pairs:
            continue
        cell = cells[pairs[i]]
        have = _nbg(cell)
        if want.get("locked") and _norm(_source(cell)) != _norm(_source(rel)):
            report.edited.append(gid)
        if any(have.get(k) != want.get(k) for k in GRADING_KEYS):
            how = _how(rel, cell) if _pair_score(rel, cell) > 0 else "position"
            report.notes += [f"{gid}: '{k}' was {have[k]!r}, reset to {want.get(k)!r}" for k in GRADING_KEYS
                             if k in have and have[k] != want.get(k)]
            cell["metadata"]["nbgrader"] = copy.deepcopy(want)
            report.restored[gid] = how
        for key in _COPIED_KEYS:
            if key in rel.get("metadata", {}) and key not in cell["metadata"]:
                cell["metadata"][key] = copy.deepcopy(rel["metadata"][key])

    # Cells that are still missing go back in the release's order, after their matched predecessor.
    out: list[dict] = []
    missing_before: dict[int, list[dict]] = {}
    for i in tracked:
        if i in pairs:
            continue
        nxt = min((pairs[k] for k in pairs if k > i), default=len(cells))
        missing_before.setdefault(nxt, []).append(_released_copy(rel_cells[i]))
        report.reinserted.append(_nbg(rel_cells[i])["grade_id"])
    # cells claiming a grade_id that another cell was matched to would be graded twice: drop the claim
    claimed = {_nbg(rel_cells[i])["grade_id"]: j for i, j in pairs.items() if i in tracked}
    for j, cell in enumerate(cells):
        out.extend(missing_before.get(j, []))
        gid = _nbg(cell).get("grade_id")
        if gid in claimed and claimed[gid] != j:
            del cell["metadata"]["nbgrader"]
            report.notes.append(f"a second cell marked {gid} is no longer graded")
        out.append(cell)
    out.extend(missing_before.get(len(cells), []))
    nb["cells"] = out
    _fix_format(nb, source, report)
    node = nbformat.from_dict(nb)
    return node, report

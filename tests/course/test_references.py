"""Every reference a reader can follow resolves: cited documents, cited sections, relative links.

Scanned: README.md, docs/*.md, the Python files of shared_utils/, tools/, benchmarks/, tests/ and
run.py, and the cell sources of every notebook in course/, solutions/ and labs/.

* ``docs/<name>.md`` must be a file of the repository.
* A section sign with a number (``\u00a7N`` or ``\u00a7N.M``) must name a heading of the cited document: a
  markdown heading whose first word is ``N.`` or ``N.M``. The cited document is the last one named
  (``docs/<name>.md`` or just ``<name>.md``) earlier in the same sentence, looking back at most one
  line; with none, it is docs/science.md.
* Relative markdown links ``[text](path)`` in README.md, docs/*.md and the markdown cells of every
  notebook (relative to the notebook's folder, as JupyterLab and GitHub resolve them) must point at files.
* The lectures' "Where next" sections link the labs and lectures they name, by relative paths.

The section sign is written as an escape in this file so that its synthetic examples are not scanned.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DOC = "docs/science.md"
SECTION_SIGN = "\u00a7"

#: ``docs/<name>.md`` anywhere.
DOC_PATH = re.compile(r"(?<![A-Za-z0-9_./-])docs/([A-Za-z0-9_./-]+?\.md)(?![A-Za-z0-9_])")
#: a document named with or without ``docs/``, to decide what a section sign after it cites.
DOC_NAME = re.compile(r"(?<![A-Za-z0-9_.-])(docs/)?([A-Za-z0-9_-]+)\.md(?![A-Za-z0-9_])")
#: a section id: 13, 13.15, 13.A1 or A.1 (a number first, or a capital letter and a dot).
SECTION_ID = r"(\d+(?:\.[0-9A-Za-z]+)*|[A-Z](?:\.[0-9A-Za-z]+)+)"
#: a section sign and its section id (an optional space after the sign).
SECTION = re.compile(SECTION_SIGN + r"\s?" + SECTION_ID)
#: the end of a sentence, or a blank line.
SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+" + SECTION_ID + r"\.?(?:\s|$)")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass(frozen=True)
class Ref:
    doc: str  # repository-relative path of the cited document
    section: str | None  # "13.15", or None for a bare document reference
    line: int  # 1-based line in the scanned text
    text: str  # what was written


def _doc_path(docs_prefix: str | None, name: str, root: Path) -> str:
    """Where ``name.md`` lives: docs/ unless it was written bare and only exists at the root (README).

    A bare name may be capitalised at the start of a sentence ("Science.md"): it means the file."""
    docs = root / "docs"
    if not docs_prefix and not (docs / f"{name}.md").exists() and (docs / f"{name.lower()}.md").exists():
        name = name.lower()
    if docs_prefix or (root / "docs" / f"{name}.md").exists() or not (root / f"{name}.md").exists():
        return f"docs/{name}.md"
    return f"{name}.md"


def find_references(text: str, root: Path = ROOT) -> list[Ref]:
    """The document and section references in ``text``."""
    refs: list[Ref] = []
    for m in DOC_PATH.finditer(text):
        refs.append(Ref("docs/" + m.group(1), None, text.count("\n", 0, m.start()) + 1, m.group(0)))
    for m in SECTION.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        window_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else 0
        before = text[window_start:m.start()]
        ends = list(SENTENCE_END.finditer(before))
        if ends:
            before = before[ends[-1].end():]
        names = list(DOC_NAME.finditer(before))
        doc = _doc_path(names[-1].group(1), names[-1].group(2), root) if names else DEFAULT_DOC
        refs.append(Ref(doc, m.group(1), text.count("\n", 0, m.start()) + 1, m.group(0)))
    return refs


def headings(markdown: str) -> set[str]:
    """Section ids of a markdown document's headings (``## 13.`` -> "13", ``### 13.15 x`` -> "13.15")."""
    ids: set[str] = set()
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and (m := HEADING.match(line)):
            ids.add(m.group(1))
    return ids


@functools.lru_cache(maxsize=None)
def _headings_of(path: Path) -> frozenset[str] | None:
    return frozenset(headings(path.read_text(encoding="utf-8"))) if path.is_file() else None


def reference_problems(text: str, where: str, root: Path = ROOT) -> list[str]:
    """One message per reference in ``text`` that does not resolve in the repository at ``root``."""
    out: list[str] = []
    for ref in find_references(text, root):
        sections = _headings_of(root / ref.doc)
        if sections is None:
            out.append(f"{where}:{ref.line}: {ref.text!r} cites {ref.doc}, which is not in the repository")
        elif ref.section is not None and ref.section not in sections:
            out.append(f"{where}:{ref.line}: {ref.text!r} cites section {ref.section} of {ref.doc}, "
                       f"which has no such heading")
    return out


def link_problems(markdown: str, where: str, base: Path) -> list[str]:
    """Relative links of a markdown text (file in folder ``base``) that point at no file or folder."""
    out: list[str] = []
    in_fence = False
    for number, line in enumerate(markdown.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                continue  # a URL, mailto: or an anchor in the same file
            path = target.split("#", 1)[0].split("?", 1)[0]
            if not (base / path).exists():
                out.append(f"{where}:{number}: link {target!r} points at nothing")
    return out


def _scanned() -> list[tuple[str, str]]:
    """(repository-relative path, text) of everything scanned; notebook cells are joined by blank lines."""
    paths = [ROOT / "README.md", ROOT / "run.py", *sorted((ROOT / "docs").glob("*.md"))]
    for folder in ("shared_utils", "tools", "benchmarks", "tests"):
        paths += sorted((ROOT / folder).rglob("*.py"))
    notebooks = [*sorted((ROOT / "course").glob("*.ipynb")), *sorted((ROOT / "solutions").glob("*/*.ipynb")),
                 *sorted((ROOT / "labs").glob("*/*.ipynb"))]
    out = [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in paths if p.is_file()]
    for nb_path in notebooks:
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
        rel = nb_path.relative_to(ROOT).as_posix()
        for i, cell in enumerate(cells):
            src = cell.get("source", "")
            out.append((f"{rel}[cell {i}]", "".join(src) if isinstance(src, list) else src))
    return out


# ----------------------------------------------------------------------------- the resolver itself


def test_resolver_reports_dangling_and_accepts_good_references(tmp_path: Path) -> None:
    s, d = SECTION_SIGN, "docs/"  # written apart so that the scan of this file finds no example
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "science.md").write_text(
        "# Title\n\n## 1. Model\n\n### 1.3 Layers\n\n```\n## 9. inside a code block\n```\n\n"
        "## 13. Checks\n\n### 13.15 NMF\n", encoding="utf-8")
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## 2. Release\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Readme\n", encoding="utf-8")
    assert headings((tmp_path / "docs" / "science.md").read_text()) == {"1", "1.3", "13", "13.15"}

    good = (f"See {d}science.md {s}1.3 and {s}13.15; the cycle is in {d}guide.md {s}2.\n"
            f"(science.md {s}13)\n{d}science.md\n{s}1.3 continues the sentence. Science.md {s}13.15 too.")
    assert reference_problems(good, "good", tmp_path) == []

    bad = {
        f"a dangling file: {d}gone.md": "gone.md",
        f"a dangling section {s}9 (only in a code block)": "section 9 of docs/science.md",
        f"{d}science.md {s}13.A1": "section 13.A1",
        f"{d}guide.md {s}1.3 is science's, not the guide's": f"section 1.3 of {d}guide.md",
        f"ideas.md {s}A.2 names a document that does not exist": f"{d}ideas.md",
    }
    for text, expected in bad.items():
        found = reference_problems(text, "bad", tmp_path)
        assert len(found) == 1 and expected in found[0], (text, found)

    # a sentence ends between the other document and the sign: the bare sign means science.md again
    assert [r.doc for r in find_references(f"Read {d}guide.md. The model: {s}1.3.", tmp_path)
            if r.section] == ["docs/science.md"]

    links = f"[ok]({d}guide.md) [ok]({d}science.md#1-model) [web](https://x.org/a.md) [bad]({d}none.md)"
    found = link_problems(links, "README.md", tmp_path)
    assert len(found) == 1 and "none.md" in found[0]


# ----------------------------------------------------------------------------- the repository


def test_cited_documents_and_sections_exist() -> None:
    problems = [p for where, text in _scanned() for p in reference_problems(text, where)]
    assert not problems, "dangling references (labs/ is generated: fix solutions/ and rebuild):\n" + "\n".join(problems)


def _markdown_cells() -> list[tuple[Path, int, str]]:
    """(notebook, cell index, source) of every markdown cell in course/, solutions/ and labs/."""
    out = []
    for nb_path in [*sorted((ROOT / "course").glob("*.ipynb")), *sorted((ROOT / "solutions").glob("*/*.ipynb")),
                    *sorted((ROOT / "labs").glob("*/*.ipynb"))]:
        for i, cell in enumerate(json.loads(nb_path.read_text(encoding="utf-8"))["cells"]):
            src = cell.get("source", "")
            if cell.get("cell_type") == "markdown":
                out.append((nb_path, i, "".join(src) if isinstance(src, list) else src))
    return out


def test_markdown_links_resolve() -> None:
    problems: list[str] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        problems += link_problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix(), path.parent)
    for nb_path, i, src in _markdown_cells():  # relative to the notebook's folder, as JupyterLab resolves them
        problems += link_problems(src, f"{nb_path.relative_to(ROOT).as_posix()}[cell {i}]", nb_path.parent)
    assert not problems, "\n".join(problems)


WHERE_NEXT = re.compile(r"^#{1,6}\s+where next", re.I | re.M)
#: "Lab 4" or "Lecture 10" as a reader sees it (emphasis and link brackets removed).
NAMED = re.compile(r"\b(Lab|Lecture) (\d+)\b")


def test_where_next_sections_link_what_they_name() -> None:
    """Every lab and lecture a "Where next" section names is a link to that notebook, by a relative
    path that works in JupyterLab (from the notebook's folder) and on GitHub (inside the repository)."""
    sections = [(p, i, src) for p, i, src in _markdown_cells() if WHERE_NEXT.search(src)]
    assert len(sections) >= 5, "the lectures' 'Where next' sections were not found"
    problems: list[str] = []
    for nb_path, i, src in sections:
        where = f"{nb_path.relative_to(ROOT).as_posix()}[cell {i}]"
        text = src[WHERE_NEXT.search(src).start():]
        linked: dict[tuple[str, int], str] = {}
        for m in re.finditer(r"\[([^\]]*)\]\(\s*<?([^)\s>]+)>?\s*\)", text):
            label, target = m.group(1), m.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:|^/", target, re.I):
                problems.append(f"{where}: link {target!r} is not a relative path (JupyterLab and GitHub differ)")
                continue
            resolved = (nb_path.parent / target.split("#", 1)[0]).resolve()
            if not resolved.is_file() or ROOT.resolve() not in resolved.parents:
                problems.append(f"{where}: link {target!r} is not a file of the repository")
            for kind, n in NAMED.findall(label):
                linked[(kind, int(n))] = resolved.name
            if label.startswith("labs/"):
                linked[("Lab", int(re.match(r"labs/lab(\d+)", label).group(1)))] = resolved.name
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        if re.search(r"(?<![\w/.])labs/lab\d+", re.sub(r"\[[^\]]*\]\([^)]*\)", "", text)):
            problems.append(f"{where}: a lab path written as plain text, not as a link")
        for kind, n in {(k, int(n)) for k, n in NAMED.findall(plain.replace("*", ""))}:
            target = linked.get((kind, n))
            prefix = f"lab{n:02d}_" if kind == "Lab" else f"{n:02d}_"
            if target is None:
                problems.append(f"{where}: {kind} {n} is named but not linked")
            elif not target.startswith(prefix):
                problems.append(f"{where}: the link for {kind} {n} goes to {target}")
    assert not problems, "\n".join(problems)


def test_science_doc_numbers_every_cited_check() -> None:
    """The checks of docs/science.md section 13 each have their own heading, 13.1 to 13.23."""
    ids = _headings_of(ROOT / DEFAULT_DOC)
    assert ids is not None
    assert {f"13.{i}" for i in range(1, 24)} <= ids
    assert {str(i) for i in range(15)} <= ids

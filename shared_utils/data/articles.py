"""The articles' own pictures of InceptionV1: what the real units look like, beside the student's.

On the untrained stand-in, or in a short CPU preview, a course render says little about what the
real unit does. The Distill Circuits articles published a picture of every unit of the first six
layers and the figures of *Zoom In*; this module fetches them::

    from shared_utils.data.articles import article_unit_image, article_figure, ATTRIBUTION
    article_unit_image("3b:379")          # PIL image: the article's feature visualisation of 3b:379
    article_unit_image("4c:447") is None  # True: no per-unit picture of mixed4c in the articles
    article_figure("dog-circuit.png")     # a figure of Zoom In

Show them with :mod:`shared_utils.plot.articles`, which captions each picture
"article (real InceptionV1)" and :data:`ATTRIBUTION`, and shows "article picture unavailable
offline" instead of failing when a picture cannot be had.

**The pictures** (both CC-BY 4.0; attribute Olah et al., Distill 2020), listed with their SHA-256 in
``manifests/articles.json``:

* ``early-vision-neurons/<layer>_<channel>.<jpg|png>``: the feature visualisation of EVERY unit of
  conv2d0, conv2d1, conv2d2, mixed3a, mixed3b and mixed4a (:data:`UNIT_LAYERS`; 1564 files), from *An
  Overview of Early Vision in InceptionV1* (distillpub/post--circuits-early-overview, pinned commit,
  ``public/images/neuron/``). Channel = the concatenated channel id, as in ``3b:379``. Sizes as
  published: 7 px (conv2d0), 14 px (conv2d1), 28 px (conv2d2), 60 px (3a, 3b), 100 px (4a);
* ``zoom-in/<name>``: the figures of *Zoom In* (distillpub/post--circuits-zoom-in, pinned commit,
  ``public/images/``): ``dog-circuit.png``, ``car-circuit.png``, ``curves.png``, ``curve-circuit.png``,
  ``high-low.png``, ``polysemantic.png``, ``superposition.png``, the seven ``arg-*.png`` lines of
  evidence for curve detectors, ``universality/...`` (:func:`article_figures` lists them).

**Where a file comes from**, in this order: ``root=`` (a folder holding ``early-vision-neurons/`` and
``zoom-in/``), ``$ZOOM_IN_DATA/articles/``, the course cache (``$ZOOM_IN_CACHE/articles/``), else one
download from the pinned URL (``_download.download``: atomic, hash-checked). Batches
(:func:`fetch_article_units`) show one progress bar. A copy in ``root`` or ``$ZOOM_IN_DATA`` whose
SHA-256 is not the pinned one stops with :class:`ArticleFileError` (which file, expected and found
hash, what to do); a cached copy that does not match is downloaded again. Offline with no copy,
:class:`ArticleUnavailableError` (a :class:`~shared_utils.data.DataUnavailableError`) says what to do,
and further downloads are not attempted for :data:`OFFLINE_RETRY_S` seconds (one wait, not one per
picture).
"""
from __future__ import annotations

import difflib
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from PIL import Image

from .. import _download
from .._progress import bar
from ..inception.names import POOLS, Unit, parse_unit, parse_units
from . import DataUnavailableError, IncompleteInstallError, _manifest_files, _reinstall_advice

__all__ = [
    "ATTRIBUTION",
    "ARTICLE_CAPTION",
    "UNAVAILABLE_TEXT",
    "UNIT_LAYERS",
    "FIGURE_UNITS",
    "UNIT_FOLDER",
    "FIGURE_FOLDER",
    "ArticleSource",
    "ArticlePicture",
    "ArticleUnavailableError",
    "ArticleFileError",
    "UnknownArticleFileError",
    "article_files",
    "article_figures",
    "article_unit_name",
    "figures_showing",
    "article_url",
    "article_path",
    "article_unit_path",
    "article_unit_image",
    "article_figure",
    "fetch_article_units",
    "unit_picture",
    "figure_picture",
]

#: Shown under every article picture.
ATTRIBUTION = "Olah et al., Distill 2020, CC-BY 4.0"
#: What an article picture is, in one caption line (the course's own pictures may be of the stand-in).
ARTICLE_CAPTION = "article (real InceptionV1)"
#: Shown instead of a picture that cannot be found locally or downloaded.
UNAVAILABLE_TEXT = "article picture unavailable offline"
#: The layers with a picture of every unit (Early Vision).
UNIT_LAYERS: tuple[str, ...] = ("conv2d0", "conv2d1", "conv2d2", "mixed3a", "mixed3b", "mixed4a")
#: Local folder of the per-unit pictures, and of Zoom In's figures.
UNIT_FOLDER = "early-vision-neurons"
FIGURE_FOLDER = "zoom-in"
#: Units of later layers that a Zoom In figure labels (the per-unit pictures stop at mixed4a).
FIGURE_UNITS: dict[str, tuple[str, ...]] = {
    "car-circuit.png": ("4b:237", "4b:491", "4b:373", "4c:447"),
    "polysemantic.png": ("4e:55",),
}
#: Host of the pinned URLs (tests point it at a local server).
RAW_BASE = "https://raw.githubusercontent.com"
#: Seconds one download may wait for the server (a display helper's wait when offline).
DEFAULT_TIMEOUT = 10.0
#: After the server could not be reached, downloads fail at once for this many seconds.
OFFLINE_RETRY_S = 120.0

_MANIFEST = "articles.json"


class ArticleUnavailableError(DataUnavailableError):
    """An article picture is neither local nor downloadable (offline). The message says what to do."""


class ArticleFileError(RuntimeError):
    """A local copy of an article picture is not the pinned file (wrong SHA-256). The message says what to do."""


class UnknownArticleFileError(KeyError):
    """A picture name the manifest does not list. The message suggests close names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence
        return str(self.args[0])


@dataclass(frozen=True)
class ArticleSource:
    """Where one local folder's files live upstream: ``https://raw.githubusercontent.com/<repo>/<commit>/<path>/<name>``."""

    folder: str
    repo: str
    commit: str
    path: str
    article: str
    license: str

    def url(self, name: str) -> str:
        return f"{RAW_BASE}/{self.repo}/{self.commit}/{self.path}/{name}"


@dataclass(frozen=True)
class ArticlePicture:
    """A picture ready to show, or why there is none (for display helpers: never raises for data problems).

    ``status`` is ``"ok"`` (``image`` is set), ``"none"`` (the articles have no picture of this layer),
    ``"unavailable"`` (not stored here and not downloadable: offline), ``"damaged"`` (a local copy with the
    wrong hash) or ``"unreadable"``. ``note`` is the short text to show instead of the image; ``error`` the
    full message of the problem, if any.
    """

    what: str
    image: "Image.Image | None"
    status: str = "ok"
    note: str = ""
    error: str = ""
    name: "str | None" = None
    url: "str | None" = None

    @property
    def ok(self) -> bool:
        return self.image is not None


# ----------------------------------------------------------------------------- the manifest


@lru_cache(maxsize=1)
def _manifest() -> tuple[dict[str, ArticleSource], dict[str, str]]:
    """(sources by folder, ``{relative path: sha256}``) from ``manifests/articles.json``."""
    table = _manifest_files(_MANIFEST)
    sources: dict[str, ArticleSource] = {}
    files: dict[str, str] = {}
    try:
        for folder, entry in table.items():
            sources[folder] = ArticleSource(folder, str(entry["repo"]), str(entry["commit"]), str(entry["path"]),
                                            str(entry.get("article", "")), str(entry.get("license", "")))
            for name, sha in dict(entry["sha256"]).items():
                files[f"{folder}/{name}"] = str(sha)
        if set(sources) != {UNIT_FOLDER, FIGURE_FOLDER}:
            raise KeyError(f"sources {sorted(sources)}, expected {UNIT_FOLDER!r} and {FIGURE_FOLDER!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IncompleteInstallError(
            f"The course package's data manifest manifests/{_MANIFEST} is damaged ({type(exc).__name__}: {exc}): "
            f"each source needs 'repo', 'commit', 'path' and a 'sha256' table. {_reinstall_advice()}"
        ) from exc
    return sources, files


@lru_cache(maxsize=1)
def _unit_index() -> dict[tuple[str, int], str]:
    """``{(layer, channel): relative path}`` of the per-unit pictures."""
    out: dict[tuple[str, int], str] = {}
    prefix = UNIT_FOLDER + "/"
    for rel in _manifest()[1]:
        if rel.startswith(prefix):
            stem = rel[len(prefix):].rsplit(".", 1)[0]
            layer, _, channel = stem.rpartition("_")
            out[(layer, int(channel))] = rel
    return out


def article_files() -> dict[str, str]:
    """Every picture the course knows: ``{relative path: sha256}`` (a copy)."""
    return dict(_manifest()[1])


def article_figures() -> list[str]:
    """The names of Zoom In's figures (``'dog-circuit.png'``, ``'universality/curves/VGG19/unit-0.png'``, ...)."""
    prefix = FIGURE_FOLDER + "/"
    return [rel[len(prefix):] for rel in _manifest()[1] if rel.startswith(prefix)]


def _resolve_name(name: str) -> str:
    """The manifest's relative path for ``name``: a relative path, or a bare Zoom In figure name."""
    files = _manifest()[1]
    key = str(name).strip().lstrip("/")
    for candidate in (key, f"{FIGURE_FOLDER}/{key}"):
        if candidate in files:
            return candidate
    close = difflib.get_close_matches(key, list(files) + article_figures(), n=3, cutoff=0.6)
    raise UnknownArticleFileError(
        f"No article picture called {name!r}." + (f" Did you mean {', '.join(repr(c) for c in close)}?" if close else "")
        + f" Zoom In's figures: {', '.join(n for n in article_figures() if '/' not in n)} (and universality/...); "
        "a unit's picture: article_unit_image('3b:379')."
    )


def _source_of(rel: str) -> tuple[ArticleSource, str]:
    folder, _, name = rel.partition("/")
    return _manifest()[0][folder], name


def article_url(name: str) -> str:
    """The pinned public URL of a picture (a relative path or a Zoom In figure name)."""
    source, file_name = _source_of(_resolve_name(name))
    return source.url(file_name)


# ----------------------------------------------------------------------------- units


def _as_unit(unit: "str | Unit | tuple[str, int]") -> Unit:
    """A course unit id as a :class:`~shared_utils.inception.names.Unit` (a pool's channel is the neuron it pools)."""
    u = parse_unit(unit)
    if u.layer in POOLS:
        u = Unit(POOLS[u.layer][0], u.channel)
    return u


def figures_showing(unit: "str | Unit | tuple[str, int]") -> list[str]:
    """The Zoom In figures that show ``unit`` (:data:`FIGURE_UNITS`), e.g. ``['car-circuit.png']`` for 4c:447."""
    u = _as_unit(unit)
    return [name for name, units in FIGURE_UNITS.items() if u in {parse_unit(x) for x in units}]


def article_unit_name(unit: "str | Unit | tuple[str, int]") -> "str | None":
    """The relative path of the article's picture of ``unit`` (``'early-vision-neurons/mixed3b_379.jpg'``),
    or None for a layer the articles have no per-unit pictures of (4b and later, bottlenecks).

    Accepts every course id form: ``'3b:379'``, ``'mixed3b:379'``, ``'mixed3b 379'``, ``'mixed3b_5x5:59'``,
    a :class:`~shared_utils.inception.names.Unit`, a ``(layer, channel)`` pair. A malformed id raises as
    :func:`~shared_utils.inception.names.parse_unit` does.
    """
    u = _as_unit(unit)
    return _unit_index().get((u.layer, u.channel))


# ----------------------------------------------------------------------------- finding a file

_offline_until = 0.0
_offline_lock = threading.Lock()
_verified: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime_ns) of a copy whose hash matched


def _mark_offline() -> None:
    global _offline_until
    with _offline_lock:
        _offline_until = time.monotonic() + OFFLINE_RETRY_S


def _seems_offline() -> bool:
    with _offline_lock:
        return time.monotonic() < _offline_until


def _reset_offline() -> None:
    """Forget an earlier failed connection (tests; or after reconnecting)."""
    global _offline_until
    with _offline_lock:
        _offline_until = 0.0
    _verified.clear()


def _matches(path: Path, sha256: str) -> bool:
    stat = path.stat()
    key = (stat.st_size, stat.st_mtime_ns)
    if _verified.get(path) == key:
        return True
    if _download.sha256_of(path) == sha256:
        _verified[path] = key
        return True
    return False


def _checked(path: Path, rel: str) -> Path:
    """``path`` if it is the pinned file, else :class:`ArticleFileError` naming it, both hashes and the fix."""
    want = _manifest()[1][rel]
    if _matches(path, want):
        return path
    got = _download.sha256_of(path)
    raise ArticleFileError(
        f"{path} is not the article's {rel}: its SHA-256 is {got} ({path.stat().st_size} bytes), expected {want}. "
        f"Delete it or replace it with the file from {article_url(rel)}; the course then uses the next copy it "
        "finds ($ZOOM_IN_DATA/articles/, its cache) or downloads it."
    )


def _env_folder() -> "Path | None":
    env = os.environ.get("ZOOM_IN_DATA")
    return Path(env).expanduser() / "articles" if env else None


def _local(rel: str, root: "str | Path | None") -> "Path | None":
    """The checked local copy (root, then $ZOOM_IN_DATA/articles, then the cache), or None."""
    if root is not None:
        path = Path(root).expanduser() / rel
        if not path.is_file():
            raise ArticleUnavailableError(
                f"{rel} is not in {Path(root).expanduser()} (root= must be a folder holding {UNIT_FOLDER}/ and "
                f"{FIGURE_FOLDER}/). Put the file from {article_url(rel)} there, or leave root= out to use "
                "$ZOOM_IN_DATA/articles/, the cache or a download.")
        return _checked(path, rel)
    env = _env_folder()
    if env is not None and (env / rel).is_file():
        return _checked(env / rel, rel)
    cached = _download.cache_dir("articles") / rel
    if cached.is_file() and _matches(cached, _manifest()[1][rel]):
        return cached  # a cached copy that does not match is fetched again (the cache is the course's own)
    return None


def _advice(rel: str) -> str:
    return (f"Connect to the internet and run again (it downloads once into {_download.cache_dir('articles')}), "
            f"or download {article_url(rel)} elsewhere into a folder <F>/{rel} and pass root='<F>' (or set "
            "ZOOM_IN_DATA to the folder above articles/).")


def _download_one(rel: str, *, progress: bool, timeout: float) -> Path:
    dest = _download.cache_dir("articles") / rel
    url = article_url(rel)
    if _seems_offline():
        raise ArticleUnavailableError(
            f"The article picture {rel} is not available here: the picture server could not be reached a moment "
            f"ago (not retried for {OFFLINE_RETRY_S:.0f} s). {_advice(rel)}")
    if not _download.reachable(url, timeout):
        _mark_offline()
        raise ArticleUnavailableError(
            f"The article picture {rel} is not available here: {url.split('/')[2]} cannot be reached within "
            f"{timeout:g} s (offline?). {_advice(rel)}")
    try:
        path = _download.download(url, dest, sha256=_manifest()[1][rel], desc=rel.rsplit("/", 1)[-1],
                                  progress=progress, timeout=timeout)
    except _download.DownloadError as exc:
        raise ArticleUnavailableError(f"Could not fetch the article picture {rel} ({exc}). {_advice(rel)}") from exc
    _verified[path] = (path.stat().st_size, path.stat().st_mtime_ns)
    return path


def article_path(name: str, root: "str | Path | None" = None, *, download: bool = True, progress: bool = True,
                 timeout: float = DEFAULT_TIMEOUT) -> Path:
    """The local, hash-checked copy of a picture: ``root``, else ``$ZOOM_IN_DATA/articles/``, else the cache,
    else downloaded once into the cache (``download=False``: never download).

    ``name``: a relative path (``'early-vision-neurons/mixed3b_379.jpg'``, ``'zoom-in/dog-circuit.png'``)
    or a Zoom In figure's name (``'dog-circuit.png'``). Raises :class:`UnknownArticleFileError` for a
    name the manifest does not list, :class:`ArticleFileError` for a copy with the wrong hash, and
    :class:`ArticleUnavailableError` when there is no copy and it cannot be downloaded.
    """
    rel = _resolve_name(name)
    local = _local(rel, root)
    if local is not None:
        return local
    if not download:
        raise ArticleUnavailableError(f"The article picture {rel} is not stored here (download=False). {_advice(rel)}")
    return _download_one(rel, progress=progress, timeout=timeout)


def article_unit_path(unit: "str | Unit | tuple[str, int]", root: "str | Path | None" = None, *,
                      download: bool = True, progress: bool = True, timeout: float = DEFAULT_TIMEOUT) -> "Path | None":
    """The local copy of the article's picture of ``unit`` (see :func:`article_path`), or None for a
    layer without per-unit pictures (:data:`UNIT_LAYERS` has them)."""
    rel = article_unit_name(unit)
    return None if rel is None else article_path(rel, root, download=download, progress=progress, timeout=timeout)


def _open(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")  # loads the pixels; the file is closed on return


def article_unit_image(unit: "str | Unit | tuple[str, int]", root: "str | Path | None" = None, *,
                       download: bool = True, progress: bool = True,
                       timeout: float = DEFAULT_TIMEOUT) -> "Image.Image | None":
    """The article's feature visualisation of ``unit`` as an RGB PIL image (``np.asarray(img)`` for an
    (H, W, 3) uint8 array), or None, with no error, for a layer the articles have no per-unit pictures
    of (e.g. ``'4c:447'``). Errors as :func:`article_path`.
    """
    path = article_unit_path(unit, root, download=download, progress=progress, timeout=timeout)
    return None if path is None else _open(path)


def article_figure(name: str, root: "str | Path | None" = None, *, download: bool = True, progress: bool = True,
                   timeout: float = DEFAULT_TIMEOUT) -> Image.Image:
    """A figure of Zoom In (``'dog-circuit.png'``, ``'curves.png'``, ``'arg-tune.png'``, ...) as an RGB PIL
    image. Errors as :func:`article_path`."""
    return _open(article_path(name, root, download=download, progress=progress, timeout=timeout))


def fetch_article_units(units: "str | Iterable[str | Unit]", root: "str | Path | None" = None, *,
                        progress: bool = True, timeout: float = DEFAULT_TIMEOUT) -> dict[Unit, "Path | None"]:
    """Make the article's pictures of several units local at once (one progress bar for the downloads).

    ``units``: ids (``'3b:379 3b:406'`` or a list); a whole layer is ``[f'3b:{c}' for c in range(480)]``.
    Returns ``{unit: path}``, with None for units of layers without pictures. Raises like
    :func:`article_path` if a picture is missing and cannot be downloaded (the others stay cached).
    """
    wanted = [_as_unit(u) for u in parse_units(units)] if isinstance(units, str) else [_as_unit(u) for u in units]
    out: dict[Unit, "Path | None"] = {}
    missing: dict[str, list[Unit]] = {}
    for u in wanted:
        rel = article_unit_name(u)
        local = None if rel is None else _local(rel, root)
        out[u] = local
        if rel is not None and local is None:
            missing.setdefault(rel, []).append(u)
    if not missing:
        return out
    names = list(missing)

    def one(rel: str) -> Path:
        return _download_one(rel, progress=False, timeout=timeout)

    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool, \
            bar(total=len(names), desc="article pictures", progress=progress) as shown:
        for rel, path in zip(names, pool.map(one, names)):
            shown.update(1)
            for u in missing[rel]:
                out[u] = path
    return out


# ----------------------------------------------------------------------------- for display helpers


def _picture(what: str, rel: "str | None", root: "str | Path | None", download: bool, timeout: float,
             warn: bool) -> ArticlePicture:
    if rel is None:
        shown_in = figures_showing(what)
        note = (f"no per-unit picture\nof {what}; Zoom In\nshows it in\n{shown_in[0]}" if shown_in else
                f"no article picture\nof {what}: the articles\nshow every unit of\n{UNIT_LAYERS[0]} … {UNIT_LAYERS[-1]} only")
        return ArticlePicture(what, None, "none", note)
    url = article_url(rel)
    try:
        path = article_path(rel, root, download=download, progress=False, timeout=timeout)
        return ArticlePicture(what, _open(path), "ok", "", "", rel, url)
    except ArticleUnavailableError as exc:
        return ArticlePicture(what, None, "unavailable", UNAVAILABLE_TEXT, str(exc), rel, url)
    except ArticleFileError as exc:
        if warn:
            warnings.warn(str(exc), stacklevel=3)
        return ArticlePicture(what, None, "damaged", f"article picture damaged:\n{rel.split('/')[-1]}\n(see the warning)",
                              str(exc), rel, url)
    except (OSError, Image.UnidentifiedImageError) as exc:
        return ArticlePicture(what, None, "unreadable", f"article picture unreadable:\n{type(exc).__name__}",
                              f"{rel}: {type(exc).__name__}: {exc}", rel, url)


def unit_picture(unit: "str | Unit | tuple[str, int]", root: "str | Path | None" = None, *, download: bool = True,
                 timeout: float = 5.0, warn: bool = True) -> ArticlePicture:
    """The article's picture of ``unit`` for display: never raises for missing or damaged data (its
    ``status`` and ``note`` say why there is no picture; a damaged copy also warns unless ``warn=False``).
    A malformed unit id still raises."""
    u = _as_unit(unit)
    return _picture(u.short, article_unit_name(u), root, download, timeout, warn)


def figure_picture(name: str, root: "str | Path | None" = None, *, download: bool = True,
                   timeout: float = 5.0, warn: bool = True) -> ArticlePicture:
    """A Zoom In figure for display, like :func:`unit_picture` (an unknown name still raises)."""
    rel = _resolve_name(name)
    return _picture(rel.split("/", 1)[1], rel, root, download, timeout, warn)


def _pictures(units: "Iterable[str | Unit]", root: "str | Path | None" = None, *,
              download: bool = True, progress: bool = False, timeout: float = 5.0) -> list[ArticlePicture]:
    """:func:`unit_picture` of several units, fetching the missing ones as one batch first."""
    wanted = [_as_unit(u) for u in units]
    if not wanted:
        return []
    if download and not _seems_offline():
        try:
            fetch_article_units(wanted, root, progress=progress, timeout=timeout)
        except (ArticleUnavailableError, ArticleFileError):
            pass  # each picture below says what it lacks
    return [unit_picture(u, root, download=False if _seems_offline() else download, timeout=timeout) for u in wanted]

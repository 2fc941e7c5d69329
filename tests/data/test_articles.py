"""The articles' own pictures (shared_utils.data.articles, shared_utils.plot.articles, the explorer's box):
the manifest against the offline copy, unit ids, where a file is looked for, the hash check, offline
behaviour, the plot helpers on Agg axes. Never touches the network: the shared copy comes through
ZOOM_IN_DATA or root=, downloads from a local HTTP server."""
from __future__ import annotations

import hashlib
import http.server
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from shared_utils import _download
from shared_utils.data import articles
from shared_utils.data.articles import (
    ARTICLE_CAPTION,
    ATTRIBUTION,
    UNAVAILABLE_TEXT,
    UNIT_LAYERS,
    ArticleFileError,
    ArticleUnavailableError,
    UnknownArticleFileError,
)
from shared_utils.data import DataUnavailableError, IncompleteInstallError
from shared_utils.inception.names import LAYERS, BadChannelError, Unit, UnknownLayerError

CURVE = "early-vision-neurons/mixed3b_379.jpg"
CURVE_FORMS = ["3b:379", "mixed3b:379", "mixed3b 379", "mixed3b_379", "mixed3b_5x5:59", Unit("mixed3b", 379),
               ("mixed3b", 379)]


@pytest.fixture(scope="module")
def offline_copy(shared_data: Path) -> Path:
    return shared_data / "articles"


@pytest.fixture(autouse=True)
def _fresh_offline_memo():
    articles._reset_offline()
    yield
    articles._reset_offline()


@pytest.fixture()
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ZOOM_IN_DATA copy, an empty cache, and any attempt to reach the internet fails the test."""
    monkeypatch.setenv("ZOOM_IN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path / "cache"))

    def no_network(url: str, timeout: float) -> bool:
        raise AssertionError(f"the test tried to reach {url}")

    monkeypatch.setattr(_download, "reachable", no_network)
    return tmp_path


def _offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The server cannot be reached; returns the list of URLs tried."""
    tried: list[str] = []

    def unreachable(url: str, timeout: float) -> bool:
        tried.append(url)
        return False

    monkeypatch.setattr(_download, "reachable", unreachable)
    return tried


# ----------------------------------------------------------------------------- the manifest


def test_manifest_lists_exactly_the_offline_copy_with_its_hashes(offline_copy: Path) -> None:
    on_disk = {p.relative_to(offline_copy).as_posix(): p for p in offline_copy.rglob("*") if p.is_file()}
    assert on_disk.pop("SOURCE.md"), "the copy's provenance note is not a picture"
    listed = articles.article_files()
    assert sorted(listed) == sorted(on_disk), (sorted(set(listed) ^ set(on_disk)))[:10]
    bad = [rel for rel, p in on_disk.items() if hashlib.sha256(p.read_bytes()).hexdigest() != listed[rel]]
    assert bad == [], f"{len(bad)} hashes differ, e.g. {bad[:3]}"  # every file, none skipped
    assert len(listed) == 1564 + 69


def test_manifest_pins_the_sources_of_source_md(offline_copy: Path) -> None:
    sources, _ = articles._manifest()
    note = (offline_copy / "SOURCE.md").read_text()
    early, zoom = sources[articles.UNIT_FOLDER], sources[articles.FIGURE_FOLDER]
    assert (early.repo, early.path) == ("distillpub/post--circuits-early-overview", "public/images/neuron")
    assert (zoom.repo, zoom.path) == ("distillpub/post--circuits-zoom-in", "public/images")
    for s in (early, zoom):
        assert re.fullmatch(r"[0-9a-f]{40}", s.commit) and f"{s.repo} @ {s.commit}" in note
    assert articles.article_url(CURVE) == (
        "https://raw.githubusercontent.com/distillpub/post--circuits-early-overview/"
        "a7836064327e0a9d8c1aa7423d5a644f6505c574/public/images/neuron/mixed3b_379.jpg")
    assert articles.article_url("dog-circuit.png") in note  # SOURCE.md's example URL, rebuilt from the pieces


def test_every_unit_of_the_six_layers_has_one_picture() -> None:
    index = articles._unit_index()
    assert sorted({layer for layer, _ in index}) == sorted(UNIT_LAYERS)
    for layer in UNIT_LAYERS:
        assert sorted(c for lay, c in index if lay == layer) == list(range(LAYERS[layer].channels)), layer
    assert len(index) == 1564


def test_manifest_is_compact_and_ships_with_the_package() -> None:
    package = Path(articles.__file__).parents[1]  # shared_utils/: every manifest ships in its manifests/
    path = package / "manifests" / "articles.json"
    assert path.stat().st_size < 200_000
    text = (package.parent / "pyproject.toml").read_text()
    assert '"manifests/*"' in text  # package data: the wheel holds it (tests/course/test_packaging.py checks the wheel)


def test_missing_or_damaged_manifest_says_the_install_is_incomplete(monkeypatch, tmp_path: Path) -> None:
    import importlib.resources

    articles._manifest.cache_clear()
    articles._unit_index.cache_clear()
    try:
        monkeypatch.setattr(importlib.resources, "files", lambda _package: tmp_path)
        with pytest.raises(IncompleteInstallError, match=r"manifests/articles\.json .*force-reinstall"):
            articles.article_unit_name("3b:379")
        (tmp_path / "manifests").mkdir()
        (tmp_path / "manifests" / "articles.json").write_text('{"files": {"zoom-in": {"repo": "x"}}}')
        with pytest.raises(IncompleteInstallError, match=r"articles\.json is damaged .*'sha256' table"):
            articles.article_figure("dog-circuit.png")
    finally:
        monkeypatch.undo()
        articles._manifest.cache_clear()
        articles._unit_index.cache_clear()


# ----------------------------------------------------------------------------- unit ids


@pytest.mark.parametrize("spec", CURVE_FORMS, ids=str)
def test_every_unit_id_form_finds_the_picture(spec) -> None:
    assert articles.article_unit_name(spec) == CURVE


def test_layers_without_pictures_give_none_without_an_error(isolated: Path) -> None:
    assert articles.article_unit_name("conv2d0:3") == "early-vision-neurons/conv2d0_3.png"  # png or jpg per file
    assert articles.article_unit_name("4a:507") == "early-vision-neurons/mixed4a_507.jpg"
    assert articles.article_unit_name("maxpool1:5") == "early-vision-neurons/conv2d2_5.png"  # the neuron it pools
    for spec in ("4c:447", "mixed4c:447", "4b:0", "5b:1023", "mixed3b_5x5_bottleneck:3"):
        assert articles.article_unit_name(spec) is None, spec
        assert articles.article_unit_path(spec) is None and articles.article_unit_image(spec) is None
    assert articles.fetch_article_units("4c:447 4e:55") == {Unit("mixed4c", 447): None, Unit("mixed4e", 55): None}
    assert articles.figures_showing("mixed4c 447") == ["car-circuit.png"] and articles.figures_showing("4d:1") == []
    assert "car-circuit.png" in articles.unit_picture("4c:447").note  # where to look instead
    assert set(articles.FIGURE_UNITS) <= set(articles.article_figures())


def test_a_malformed_id_still_raises() -> None:
    with pytest.raises(BadChannelError, match="0..479"):
        articles.article_unit_name("3b:480")
    with pytest.raises(UnknownLayerError):
        articles.article_unit_image("4z:1")
    with pytest.raises(UnknownArticleFileError, match="Did you mean 'dog-circuit.png'"):
        articles.article_figure("dog-circuits.png")


# ----------------------------------------------------------------------------- where a file comes from


def test_lookup_order_root_then_zoom_in_data_then_cache(monkeypatch, isolated: Path, offline_copy: Path) -> None:
    want = offline_copy / CURVE
    assert articles.article_unit_path("3b:379", root=offline_copy) == want
    with pytest.raises(ArticleUnavailableError, match="is not in"):
        articles.article_unit_path("3b:379", root=isolated)  # an explicit root is the only place looked in
    monkeypatch.setenv("ZOOM_IN_DATA", str(offline_copy.parent))
    assert articles.article_unit_path("3b:379") == want
    img = articles.article_unit_image("3b:379")
    assert img.mode == "RGB" and img.size == (60, 60)
    assert np.array_equal(np.asarray(img), np.asarray(Image.open(want).convert("RGB")))
    assert articles.article_figure("dog-circuit.png").size == (2528, 1374)
    assert articles.article_figure("zoom-in/universality/hilo/VGG19/unit-3.png").size == (224, 224)
    monkeypatch.setenv("ZOOM_IN_DATA", str(isolated / "data"))  # no articles/ there: the cache is next
    cached = isolated / "cache" / "articles" / CURVE
    cached.parent.mkdir(parents=True)
    shutil.copy(want, cached)
    assert articles.article_unit_path("mixed3b 379") == cached
    with pytest.raises(ArticleUnavailableError, match="download=False"):
        articles.article_unit_path("3b:406", download=False)


@pytest.mark.parametrize("where", ["root", "ZOOM_IN_DATA"])
def test_a_wrong_hash_stops_with_which_file_both_hashes_and_the_fix(monkeypatch, isolated: Path, offline_copy: Path,
                                                                    where: str) -> None:
    folder = isolated / ("mine" if where == "root" else "data/articles")
    bad = folder / CURVE
    bad.parent.mkdir(parents=True)
    data = bytearray((offline_copy / CURVE).read_bytes())
    data[-3] ^= 0xFF
    bad.write_bytes(bytes(data))
    got = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ArticleFileError) as info:
        articles.article_unit_image("3b:379", root=folder if where == "root" else None)
    msg = str(info.value)
    assert str(bad) in msg and got in msg and articles.article_files()[CURVE] in msg
    assert "Delete it" in msg and articles.article_url(CURVE) in msg
    assert not isinstance(info.value, DataUnavailableError), "a bad file stops; it is not 'offline'"
    assert bad.read_bytes() == bytes(data), "the user's file is left for them to look at"
    pic = articles.unit_picture("3b:379", root=folder if where == "root" else None, warn=False)
    assert pic.status == "damaged" and pic.image is None and got in pic.error  # display helpers: no exception
    with pytest.warns(UserWarning, match=got):
        articles.unit_picture("3b:379", root=folder if where == "root" else None)


def test_offline_and_absent_says_what_to_do_and_waits_once(monkeypatch, isolated: Path) -> None:
    tried = _offline(monkeypatch)
    with pytest.raises(ArticleUnavailableError) as info:
        articles.article_unit_image("3b:379", progress=False)
    msg = str(info.value)
    assert isinstance(info.value, DataUnavailableError)
    assert "cannot be reached" in msg and "root=" in msg and "ZOOM_IN_DATA" in msg and articles.article_url(CURVE) in msg
    with pytest.raises(ArticleUnavailableError, match="not retried"):
        articles.article_figure("dog-circuit.png")
    assert len(tried) == 1, "after one failed connection the next pictures do not wait again"
    pic = articles.unit_picture("3b:406")
    assert (pic.status, pic.image, pic.note) == ("unavailable", None, UNAVAILABLE_TEXT)
    assert not list((isolated / "cache").rglob("*.part"))


# ----------------------------------------------------------------------------- downloads (a local server)


@pytest.fixture()
def local_server(monkeypatch, tmp_path: Path, offline_copy: Path):
    """A server laid out like raw.githubusercontent.com for three pictures; returns its folder of files."""
    sources, _ = articles._manifest()
    early = sources[articles.UNIT_FOLDER]
    folder = tmp_path / "srv" / early.repo / early.commit / early.path
    folder.mkdir(parents=True)
    for name in ("mixed3b_379.jpg", "mixed3b_406.jpg", "conv2d0_3.png"):
        shutil.copy(offline_copy / articles.UNIT_FOLDER / name, folder / name)
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "srv"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setattr(articles, "RAW_BASE", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setattr(_download, "reachable", lambda url, timeout: True)
    yield folder
    server.shutdown()


def test_batch_download_with_one_progress_bar_into_the_cache(isolated: Path, local_server: Path, capsys,
                                                             monkeypatch) -> None:
    from shared_utils import _progress

    monkeypatch.setattr(_progress, "TEXT_DELAY", 0.0)  # a quick download shows no bar by default
    monkeypatch.delenv(_progress.ENV, raising=False)
    got = articles.fetch_article_units(["3b:379", "3b:406", "conv2d0:3", "4c:447"], progress=True)
    cache = isolated / "cache" / "articles" / articles.UNIT_FOLDER
    assert got == {Unit("mixed3b", 379): cache / "mixed3b_379.jpg", Unit("mixed3b", 406): cache / "mixed3b_406.jpg",
                   Unit("conv2d0", 3): cache / "conv2d0_3.png", Unit("mixed4c", 447): None}
    err = capsys.readouterr().err
    assert "article pictures" in err and "3/3" in err  # one bar for the batch
    for name in ("mixed3b_379.jpg", "conv2d0_3.png"):
        assert (cache / name).read_bytes() == (local_server / name).read_bytes()
    (local_server / "mixed3b_379.jpg").unlink()  # from now on only the cache has it
    assert articles.article_unit_image("3b:379").size == (60, 60)


def test_a_damaged_download_is_refused_and_a_damaged_cache_refetched(isolated: Path, local_server: Path) -> None:
    good = (local_server / "mixed3b_406.jpg").read_bytes()
    (local_server / "mixed3b_406.jpg").write_bytes(good[:-10])
    with pytest.raises(ArticleUnavailableError, match="SHA-256"):
        articles.article_unit_path("3b:406", progress=False)
    cached = isolated / "cache" / "articles" / articles.UNIT_FOLDER / "mixed3b_406.jpg"
    assert not cached.exists() and not list(cached.parent.glob("*.part"))
    cached.write_bytes(good[:-10])  # a damaged cache entry (the cache is the course's: fetched again)
    (local_server / "mixed3b_406.jpg").write_bytes(good)
    assert articles.article_unit_path("3b:406", progress=False) == cached and cached.read_bytes() == good


# ----------------------------------------------------------------------------- the plot helpers


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def _one_line(text: str) -> str:
    return text.replace("\n", " ")


def test_draw_on_agg_axes_without_pyplot(monkeypatch, isolated: Path, offline_copy: Path) -> None:
    import matplotlib.pyplot as plt

    from shared_utils.plot.articles import draw_article_figure, draw_article_unit

    monkeypatch.setenv("ZOOM_IN_DATA", str(offline_copy.parent))
    before = plt.get_fignums()
    fig = Figure()
    ax1, ax2, ax3 = fig.subplots(1, 3)
    results: dict[str, object] = {}
    worker = threading.Thread(target=lambda: results.update(
        unit=draw_article_unit(ax1, "3b:379"), none=draw_article_unit(ax2, "4c:447"),
        fig=draw_article_figure(ax3, "high-low.png")))
    worker.start()  # the explorer draws from its background thread
    worker.join(60)
    assert results["unit"].ok and results["fig"].ok and results["none"].status == "none"
    assert ax1.images[0].get_array().shape == (60, 60, 3) and ax1.get_title() == "3b:379"
    assert ARTICLE_CAPTION in ax1.get_xlabel() and ATTRIBUTION in _one_line(ax1.get_xlabel())
    assert ax3.images[0].get_array().shape[:2] == (438, 1952) and ATTRIBUTION in _one_line(ax3.get_xlabel())
    assert not ax2.images and "no per-unit picture" in _texts(ax2) and "4c:447" in _texts(ax2)
    assert "car-circuit.png" in _texts(ax2)  # where Zoom In shows it
    FigureCanvasAgg(fig).draw()  # and it renders
    assert plt.get_fignums() == before, "pyplot's figure list is untouched"


def test_offline_the_helpers_show_text_instead_of_failing(monkeypatch, isolated: Path) -> None:
    import matplotlib.pyplot as plt

    from shared_utils.featvis import Rendered
    from shared_utils.inception.model import WeightsInfo
    from shared_utils.plot.articles import draw_article_unit, show_article_figure, show_beside_article

    tried = _offline(monkeypatch)
    ax = Figure().subplots()
    assert draw_article_unit(ax, "3b:379").status == "unavailable"
    assert not ax.images and UNAVAILABLE_TEXT in _texts(ax).replace("\n", " ")
    units = ["3b:379", "3b:406", "4d:417"]
    rendered = Rendered(np.zeros((3, 8, 8, 3)), units, WeightsInfo(trained=False, source="test"), np.zeros((1, 3)))
    fig = show_beside_article(rendered)
    try:
        axes = fig.axes
        assert len(axes) == 6 and [a.get_title() for a in axes[:3]] == units
        assert "UNTRAINED" in fig._suptitle.get_text() and ARTICLE_CAPTION in fig._suptitle.get_text()
        bottom = [_texts(a).replace("\n", " ") for a in axes[3:]]
        assert UNAVAILABLE_TEXT in bottom[0] and UNAVAILABLE_TEXT in bottom[1] and "no article picture" in bottom[2]
        fig2 = show_article_figure("dog-circuit.png")
        assert UNAVAILABLE_TEXT in _texts(fig2.axes[0]).replace("\n", " ")
        plt.close(fig2)
    finally:
        plt.close(fig)
    assert len(tried) == 1


def test_beside_article_pairs_each_render_with_its_picture(monkeypatch, offline_copy: Path) -> None:
    import matplotlib.pyplot as plt

    from shared_utils.featvis import Rendered
    from shared_utils.inception.model import WeightsInfo
    from shared_utils.plot.articles import show_beside_article

    monkeypatch.setenv("ZOOM_IN_DATA", str(offline_copy.parent))
    units = ["3b:379", "3b:379", "conv2d0:3"]  # diverse renders of one unit: one column per unit
    images = np.stack([np.full((8, 8, 3), v) for v in (0.2, 0.4, 0.6)])
    rendered = Rendered(images, units, WeightsInfo(trained=True, source="test"), np.zeros((1, 3)), {"steps": 4})
    fig = show_beside_article(rendered)
    try:
        top, bottom = fig.axes[:2], fig.axes[2:]
        assert len(fig.axes) == 4 and "UNTRAINED" not in fig._suptitle.get_text()
        assert float(top[0].images[0].get_array()[0, 0, 0]) == pytest.approx(0.2)  # the first render of 3b:379
        assert bottom[0].images[0].get_array().shape == (60, 60, 3)
        assert bottom[1].images[0].get_array().shape == (7, 7, 3)  # conv2d0's pictures are 7 px
        assert all(ATTRIBUTION in _one_line(a.get_xlabel()) for a in bottom)
    finally:
        plt.close(fig)
    odd = Rendered(np.zeros((3, 8, 8, 3)), ["3b:379", "a direction", "4a:0"], WeightsInfo(trained=True, source="t"),
                   np.zeros((1, 3)))
    fig = show_beside_article(odd, ncols=2)  # two row pairs: 2 units, then 1 and an empty slot
    try:
        axes = np.array(fig.axes).reshape(4, 2)
        assert [a.get_title() for a in axes[[0, 0, 2], [0, 1, 0]]] == ["3b:379", "a direction", "4a:0"]
        assert axes[1, 0].images and axes[3, 0].images[0].get_array().shape == (100, 100, 3)  # 4a: 100 px
        assert not axes[1, 1].images and "not a single unit" in _texts(axes[1, 1])
        assert not axes[2, 1].axison and not axes[3, 1].axison
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- the explorer's box


def _fake_render(monkeypatch):
    from shared_utils.explorer import data as ex_mod
    from shared_utils.featvis import Rendered
    from shared_utils.inception.model import WeightsInfo

    def render_unit(model, unit, **kwargs):
        return Rendered(np.full((1, 8, 8, 3), 0.5), [str(unit)], WeightsInfo(trained=False, source="test"),
                        np.zeros((1, 1)), {"steps": kwargs.get("steps"), "size": kwargs.get("size")})

    monkeypatch.setattr(ex_mod, "render_unit", render_unit)


def test_explorer_shows_the_article_picture_beside_the_featvis(monkeypatch, model, offline_copy: Path) -> None:
    from shared_utils.explorer import ExplorerSettings, explore

    monkeypatch.setenv("ZOOM_IN_DATA", str(offline_copy.parent))
    _fake_render(monkeypatch)
    ex = explore(model, "3b:379", panels=("featvis",), sample=False, cache=False, settings=ExplorerSettings.tiny(),
                 background=False)
    box = ex.article_panel
    assert not ex.errors and box.layout.display != "none" and "3b:379" in box.title.value
    assert bytes(box.image.value).startswith(b"\x89PNG") and box.image.layout.display != "none"
    assert ATTRIBUTION in box.status.value and "UNTRAINED" not in box.title.value  # the real model's picture
    row = next(w for w in ex.children if ex.featvis_panel in getattr(w, "children", ()))
    assert list(row.children).index(box) == list(row.children).index(ex.featvis_panel) + 1  # right beside it
    ex.go("4c:447")
    assert box.layout.display == "none"  # the articles have no picture of mixed4c
    ex.go("conv2d0:3")
    assert box.layout.display != "none" and "conv2d0:3" in box.title.value
    assert set(ex.timings) == {"featvis"}, "not a panel of its own: the status line counts the same panels"
    bare = explore(model, "3b:379", panels=(), sample=False, cache=False, background=False)
    assert bare.article_panel.layout.display == "none"  # only beside a feature visualisation


def test_explorer_offline_says_unavailable_and_keeps_working(monkeypatch, model, isolated: Path) -> None:
    from shared_utils.explorer import ExplorerSettings, explore

    tried = _offline(monkeypatch)
    _fake_render(monkeypatch)
    ex = explore(model, "3b:379", panels=("featvis",), sample=False, cache=False, settings=ExplorerSettings.tiny())
    try:
        assert ex.wait(60)
        assert not ex.errors and "cannot be reached" in ex.article_panel.status.value
        assert bytes(ex.article_panel.image.value).startswith(b"\x89PNG")  # the "unavailable offline" picture
        assert bytes(ex.featvis_panel.image.value).startswith(b"\x89PNG")  # the rest of the explorer works
        ex.go("3b:406")
        assert ex.wait(60) and "not retried" in ex.article_panel.status.value and len(tried) == 1
    finally:
        ex.close()

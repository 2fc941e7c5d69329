"""Weight figures: red/blue with symmetric limits, titled with unit ids and the untrained warning."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from shared_utils.plot.style import EXCITE, INHIBIT, WEIGHT_CMAP  # noqa: E402
from shared_utils.plot.weights import plot_circuit, plot_connections, plot_kernel, plot_kernel_grid  # noqa: E402
from shared_utils.weights import expanded_weights, top_inputs  # noqa: E402

UNTRAINED = "UNTRAINED"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(fig_or_ax):
    fig = fig_or_ax if hasattr(fig_or_ax, "axes") and not hasattr(fig_or_ax, "imshow") else fig_or_ax.figure
    return [im for ax in fig.axes for im in ax.get_images()]


def test_kernel_heatmap_is_symmetric_red_blue_and_titled(model):
    k = expanded_weights(model, "3a:147", "3b:379")
    ax = plot_kernel(k, src="3a:147", dst="3b:379", model=model)
    (im,) = ax.get_images()
    lo, hi = im.get_clim()
    m = float(k.abs().max())
    assert lo == pytest.approx(-m) and hi == pytest.approx(m)
    assert im.get_cmap().name == WEIGHT_CMAP.name
    # the colour map really is blue -> white -> red
    assert to_hex(im.get_cmap()(0.0)) == INHIBIT.lower() and to_hex(im.get_cmap()(1.0)) == EXCITE.lower()
    title = ax.get_title()
    assert "3a:147" in title and "3b:379" in title and UNTRAINED in title
    with pytest.raises(ValueError, match="2-D"):
        plot_kernel(torch.zeros(2, 5, 5))


def test_kernel_of_a_trained_looking_model_has_no_warning():
    ax = plot_kernel(np.array([[1.0, -3.0], [0.5, 2.0]]), src="3a:1", dst="3b:2", model=None)
    assert UNTRAINED not in ax.get_title() and "3a:1 -> 3b:2" in ax.get_title()
    assert ax.get_images()[0].get_clim() == (-3.0, 3.0)


def test_kernel_grid_has_inputs_as_rows_outputs_as_columns_and_one_scale(model):
    ins, outs = ["3a:147", "3a:81", "3a:145"], ["3b:379", "3b:385"]
    w = expanded_weights(model, ins, outs)  # (2, 3, 5, 5)
    fig = plot_kernel_grid(w, ins, outs, model=model)
    ims = _images(fig)
    assert len(ims) == 6
    m = float(w.abs().max())
    assert all(im.get_clim() == pytest.approx((-m, m)) for im in ims)
    grid_axes = [ax for ax in fig.axes if ax.get_images()]
    # row 1, column 0 shows input 3a:81 -> output 3b:379
    assert np.allclose(grid_axes[1 * 2 + 0].get_images()[0].get_array(), w[0, 1].numpy())
    assert grid_axes[0].get_title() == "3b:379" and grid_axes[0].get_ylabel() == "3a:147"
    assert UNTRAINED in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="n_dst=2, n_src=3"):
        plot_kernel_grid(w[:, :2], ins, outs)


def test_connections_figure_labels_every_edge(model):
    conns = top_inputs(model, "3b:379", k=4)
    fig = plot_connections(conns, model=model, ncols=3)
    titled = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert len(titled) == 4
    assert all("-> 3b:379" in t and "L2" in t for t in titled)
    assert "3b:379" in fig._suptitle.get_text() and UNTRAINED in fig._suptitle.get_text()
    lims = {im.get_clim() for im in _images(fig)}
    assert len(lims) == 1 and next(iter(lims))[0] == -next(iter(lims))[1]


def test_circuit_diagram_colours_edges_by_sign_and_widths_by_strength(model):
    edges = [("3a:147", "3b:379", 0.6), ("3a:145", "3b:379", -0.3), ("3a:81", "3b:385", 0.15),
             ("conv2d2:100", "3a:147", 0.3)]
    thumb = np.linspace(0, 1, 16 * 16 * 3).reshape(16, 16, 3)
    ax = plot_circuit(edges, images={"3b:379": thumb, "3a:147": torch.rand(3, 8, 8)}, model=model)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert len(lines) == 4
    assert to_hex(lines["3a:147->3b:379"].get_color()) == EXCITE.lower()
    assert to_hex(lines["3a:145->3b:379"].get_color()) == INHIBIT.lower()
    widths = [lines[k].get_linewidth() for k in ("3a:147->3b:379", "3a:145->3b:379", "3a:81->3b:385")]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[1] == pytest.approx(2 * widths[2])
    assert len(ax.get_images()) == 2  # two thumbnails; the other units get placeholders
    texts = {t.get_text() for t in ax.texts}
    assert {"3a:147", "3a:145", "3a:81", "3b:379", "3b:385", "conv2d2:100"} <= texts
    # earlier layers on the left
    x = {t.get_text(): t.get_position()[0] for t in ax.texts}
    assert x["conv2d2:100"] < x["3a:147"] < x["3b:379"]
    assert "3b:379" in ax.get_title() and UNTRAINED in ax.get_title()
    with pytest.raises(ValueError, match="at least one edge"):
        plot_circuit([])

"""The explorer widget: panels, a background worker and navigation on top of state, data and figures."""
from __future__ import annotations

import copy
import html
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import ipywidgets as widgets
from torch import nn

from ..data.articles import ATTRIBUTION, ArticleUnavailableError, article_unit_name, article_unit_path, unit_picture
from ..inception.names import LAYERS, POOLS, Unit, branch_of
from ..weights import next_layer, previous_layer
from .data import ExplorerData
from .figures import _article_png, _connection_png, _examples_png, _featvis_png, _tuning_png
from .state import PANELS, ExplorerSettings, ExplorerState, panels_for
from .unit_labels import article_label

# ============================================================================ the widget


@dataclass
class _View:
    """What a panel shows: one picture, or pictures with a target unit each (the circuit buttons)."""

    pngs: list[bytes]
    caption: str = ""
    targets: "list[Unit | None] | None" = None
    labels: "list[str] | None" = None
    variant: str = ""


def _hide(w: widgets.DOMWidget, hidden: bool) -> None:
    w.layout.display = "none" if hidden else None


class _Panel(widgets.VBox):
    """A titled box with a status line, a progress bar and a picture."""

    def __init__(self, name: str, width: str = "auto"):
        self.name = name
        self.title = widgets.HTML()
        self.status = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="260px"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start"))
        self.extra = widgets.HBox()
        for w in (self.bar, self.image):
            _hide(w, True)
        super().__init__([self.title, self.status, self.bar, self.image, self.extra],
                         layout=widgets.Layout(border="1px solid #ddd", padding="4px", margin="2px", width=width))
        self.add_class(f"zi-explorer-{name}")

    def set_title(self, text: str) -> None:
        self.title.value = f"<b>{html.escape(text)}</b>"

    def busy(self, text: str = "computing…") -> None:
        self.status.value = f"<i style='color:#777'>{html.escape(text)}</i>"
        _hide(self.image, True)
        _hide(self.bar, True)

    def progress(self, done: int, total: int) -> None:
        self.bar.max, self.bar.value = max(1, total), min(done, total)
        self.bar.description = f"{done}/{total}"
        _hide(self.bar, False)

    def fail(self, text: str, error: bool = True) -> None:
        colour = "#b00020" if error else "#555"
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"
        _hide(self.image, True)
        _hide(self.bar, True)

    def show(self, view: _View) -> None:
        self.status.value = f"<span style='color:#555;font-size:0.9em'>{html.escape(view.caption)}</span>"
        _hide(self.bar, True)
        self.image.value = view.pngs[0] if view.pngs else b""
        _hide(self.image, not view.pngs)


class _ConnectionsPanel(_Panel):
    """Strongest inputs or outputs: a heatmap per connection with a button that goes to the other unit."""

    def __init__(self, name: str, k: int, on_pick: Callable[[Unit], None]):
        super().__init__(name)
        self._on_pick = on_pick
        self.targets: list["Unit | None"] = [None] * k
        self.thumbs = [widgets.Image(format="png", layout=widgets.Layout(width="116px")) for _ in range(k)]
        self.buttons = [widgets.Button(description="…", layout=widgets.Layout(width="116px")) for _ in range(k)]
        self.slots = [widgets.VBox([t, b]) for t, b in zip(self.thumbs, self.buttons)]
        for i, b in enumerate(self.buttons):
            b.add_class("zi-explorer-goto")
            b.on_click(lambda _b, i=i: self._pick(i))
        self.extra.children = self.slots
        _hide(self.extra, True)

    def _pick(self, i: int) -> None:
        target = self.targets[i]
        if target is not None:
            self._on_pick(target)

    def busy(self, text: str = "computing…") -> None:
        super().busy(text)
        _hide(self.extra, True)

    def fail(self, text: str, error: bool = True) -> None:
        super().fail(text, error)
        _hide(self.extra, True)

    def show(self, view: _View) -> None:
        self.status.value = f"<span style='color:#555;font-size:0.9em'>{html.escape(view.caption)}</span>"
        _hide(self.bar, True)
        _hide(self.image, True)
        targets, labels = view.targets or [], view.labels or []
        for i, slot in enumerate(self.slots):
            if i < len(view.pngs):
                self.thumbs[i].value = view.pngs[i]
                self.targets[i] = targets[i]
                self.buttons[i].description = labels[i]
                self.buttons[i].disabled = targets[i] is None
                self.buttons[i].tooltip = (f"go to {labels[i]}" if targets[i] is not None
                                           else "an input colour channel, not a neuron")
                _hide(slot, False)
            else:
                self.targets[i] = None
                _hide(slot, True)
        _hide(self.extra, False)


class _FeatvisPanel(_Panel):
    def __init__(self, on_full: Callable[[], None]):
        super().__init__("featvis")
        self.full_button = widgets.Button(description="Render full quality", icon="paint-brush",
                                          layout=widgets.Layout(width="190px"))
        self.full_button.on_click(lambda _b: on_full())
        self.extra.children = [self.full_button]
        _hide(self.extra, True)

    def show(self, view: _View, offer_full: bool = False) -> None:  # type: ignore[override]
        super().show(view)
        _hide(self.extra, not offer_full)

    def busy(self, text: str = "computing…") -> None:
        super().busy(text)
        _hide(self.extra, True)


class _Worker:
    """One background thread running jobs in order; it ends after ``idle_s`` without work.

    ``wait()`` blocks until every submitted job is done.
    """

    def __init__(self, idle_s: float = 30.0) -> None:
        self._queue: "queue.Queue[Callable[[], None]]" = queue.Queue()
        self._thread: "threading.Thread | None" = None
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._idle_s = idle_s
        self._stopped = False

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._stopped:
                return
            self._pending += 1
            self._idle.clear()
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="neuron-explorer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                if not self._stopped:
                    job()
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def wait(self, timeout: "float | None" = None) -> bool:
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Skip the jobs not started yet; the thread ends once idle."""
        self._stopped = True


class NeuronExplorer(widgets.VBox):
    """The explorer widget (make it with :func:`explore`). Display it; drive it by clicks or from code.

    Attributes a test or a curious student can read: :attr:`state` (unit and history),
    :attr:`data` (the cached results), :attr:`timings` (seconds from the last navigation until each
    panel showed), :attr:`errors` (messages of panels that failed).
    """

    def __init__(self, model: nn.Module, unit: "str | Unit" = "3b:379", *, sample: Any = None,
                 cache: "str | Path | None" = None, settings: "ExplorerSettings | None" = None,
                 panels: Sequence[str] = PANELS, background: bool = True):
        self.state = ExplorerState(unit)
        self.background = background
        work_model = copy.deepcopy(model) if background else model  # hooks never touch the student's model
        self.data = ExplorerData(work_model, sample, settings, cache)
        self.settings = self.data.settings
        self.enabled = tuple(panels)
        panels_for(self.state.unit, enabled=self.enabled)  # checks the names
        self.timings: dict[str, float] = {}
        self.errors: list[str] = []
        self._views: dict[tuple, _View] = {}
        self._gen = 0
        self._t0 = time.perf_counter()
        self._syncing = False
        self._worker = _Worker() if background else None
        self._render_seconds: dict[Unit, float] = {}
        self._article_views: dict[Unit, _View] = {}
        self._ui = threading.RLock()  # navigation vs. the worker's "is this still the unit on screen?"

        # ------------------------------------------------------------------ controls
        self.layer_box = widgets.Dropdown(
            options=[(f"{name} ({info.channels})", name) for name, info in LAYERS.items()],
            value=self.state.unit.layer, description="layer", style={"description_width": "40px"},
            layout=widgets.Layout(width="190px"))
        self.channel_box = widgets.BoundedIntText(
            value=self.state.unit.channel, min=0, max=LAYERS[self.state.unit.layer].channels - 1,
            description="unit", style={"description_width": "35px"}, layout=widgets.Layout(width="110px"))
        self.id_box = widgets.Text(value="", placeholder="type a unit id, e.g. 4c:447, then Enter",
                                   continuous_update=False, description="go to",
                                   style={"description_width": "45px"}, layout=widgets.Layout(width="320px"))
        self.id_box.add_class("zi-explorer-id")
        self.go_button = widgets.Button(description="Go", layout=widgets.Layout(width="60px"))
        self.back_button = widgets.Button(description="Back", icon="arrow-left", disabled=True,
                                          layout=widgets.Layout(width="90px"))
        self.back_button.add_class("zi-explorer-back")
        self.message = widgets.HTML()
        self.message.add_class("zi-explorer-message")
        self.header = widgets.HTML()
        self.header.add_class("zi-explorer-header")
        self.status = widgets.HTML()
        self.status.add_class("zi-explorer-status")

        self.layer_box.observe(self._on_layer, names="value")
        self.channel_box.observe(self._on_channel, names="value")
        self.id_box.observe(self._on_text, names="value")
        self.go_button.on_click(lambda _b: self._on_go())
        self.back_button.on_click(lambda _b: self.back())

        # ------------------------------------------------------------------ panels
        k = self.settings.k_weights
        self.featvis_panel = _FeatvisPanel(self._render_full)
        # beside the featvis (narrow, so that both fit in one row); not one of PANELS: nothing to compute
        self.article_panel = _Panel("article", width="250px")
        self.tuning_panel = _Panel("tuning")
        self.examples_panel = _Panel("examples")
        self.inputs_panel = _ConnectionsPanel("inputs", k, self.go)
        self.outputs_panel = _ConnectionsPanel("outputs", k, self.go)
        self.panels: dict[str, _Panel] = {"inputs": self.inputs_panel, "outputs": self.outputs_panel,
                                          "featvis": self.featvis_panel, "tuning": self.tuning_panel,
                                          "examples": self.examples_panel}
        controls = widgets.HBox([self.layer_box, self.channel_box, self.id_box, self.go_button, self.back_button],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([controls, self.message, self.header, self.status,
                          widgets.HBox([self.featvis_panel, self.article_panel, self.tuning_panel],
                                       layout=widgets.Layout(flex_flow="row wrap")),
                          self.inputs_panel, self.outputs_panel, self.examples_panel])
        self.add_class("zi-explorer")
        self._show_unit()

    # ------------------------------------------------------------------ public moves
    @property
    def unit(self) -> Unit:
        """The unit on screen."""
        return self.state.unit

    @property
    def history(self) -> list[Unit]:
        return list(self.state.history)

    def go(self, spec: "str | Unit | tuple[str, int]") -> bool:
        """Show another unit (any id form). Bad input shows a message in the widget and returns False.
        The unit already on screen is shown again (a panel that failed is retried), with a note saying so."""
        moved = self.state.go(spec)
        self._show_message()
        if moved or self.state.repeated:
            self._show_unit()
        return moved

    def back(self) -> bool:
        """Show the previous unit again (cached: instant)."""
        moved = self.state.back()
        self._show_message()
        if moved:
            self._show_unit()
        return moved

    def wait(self, timeout: "float | None" = 600) -> bool:
        """Block until every queued panel is done (True) or ``timeout`` seconds passed (False)."""
        return True if self._worker is None else self._worker.wait(timeout)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        super().close()

    # ------------------------------------------------------------------ control callbacks
    def _on_layer(self, change: dict) -> None:
        if self._syncing:
            return
        layer = change["new"]
        channel = min(self.channel_box.value, LAYERS[layer].channels - 1)
        self.go((layer, channel))

    def _on_channel(self, change: dict) -> None:
        if not self._syncing:
            self.go((self.layer_box.value, int(change["new"])))

    def _on_text(self, change: dict) -> None:
        if not self._syncing and change["new"].strip():
            self._go_text(change["new"])

    def _on_go(self) -> None:
        self._go_text(self.id_box.value)

    def _go_text(self, text: str) -> None:
        self.go(text)
        if not self.state.error:
            self._set_quietly(self.id_box, "value", "")

    def _set_quietly(self, widget: widgets.Widget, name: str, value: Any) -> None:
        self._syncing = True
        try:
            setattr(widget, name, value)
        finally:
            self._syncing = False

    def _show_message(self) -> None:
        err = self.state.error
        if err:
            self.message.value = f"<div style='color:#b00020'>⚠ {html.escape(err)}</div>"
        elif self.state.repeated:
            self.message.value = (f"<div style='color:#555'>{self.state.unit.short} is already shown "
                                  "(shown again below).</div>")
        else:
            self.message.value = ""

    # ------------------------------------------------------------------ showing a unit
    def _header_html(self, u: Unit) -> str:
        parts = [f"{u.layer} channel {u.channel}"]
        if LAYERS[u.layer].branches:
            b = branch_of(u)
            parts.append(f"{b.branch.split('_', 1)[1]} branch ({b.branch}:{b.local})")
        label = self.data.taxonomy_label(u)
        named = article_label(u)  # the later layers' units the articles describe (dog heads, cars, 4e:55 ...)
        if label:
            parts.append(f"taxonomy: <i>{html.escape(label)}</i>")
        if named is not None:
            parts.append(f"articles: <i>{html.escape(named.label)}</i> "
                         f"<span style='color:#777'>({html.escape(named.source)})</span>")
        if not label and named is None:
            parts.append("taxonomy: no label in the notes or the articles")
        note = self.data.note.strip()
        warn = f" <span style='color:#b00020;font-weight:bold'>{html.escape(note)}</span>" if note else ""
        return (f"<div><span style='font-size:1.5em;font-weight:bold'>{u.short}</span> &nbsp; "
                f"{' · '.join(parts)}{warn}</div>")

    def _panel_title(self, name: str, u: Unit) -> str:
        note = self.data.note
        if name == "inputs":
            src = previous_layer(u.layer)
            src = POOLS[src][0] + f" via {src}" if src in POOLS else src
            return f"Strongest inputs of {u.short} (from {src}){note} — click a unit to walk the circuit"
        if name == "outputs":
            return f"Strongest outputs of {u.short}{note} — click a unit to walk the circuit"
        if name == "featvis":
            return f"Feature visualisation of {u.short}{note}"
        if name == "tuning":
            return f"Tuning curve of {u.short}{note}"
        return f"Dataset examples of {u.short}{note}"

    def _show_unit(self) -> None:
        with self._ui:
            self._show_unit_locked()

    def _show_unit_locked(self) -> None:
        u = self.state.unit
        self._gen += 1
        gen = self._gen
        self._t0 = time.perf_counter()
        self.timings = {}
        self._syncing = True
        try:
            self.channel_box.max = max(self.channel_box.max, u.channel)  # never clamp the new value
            self.layer_box.value = u.layer
            self.channel_box.value = u.channel
            self.channel_box.max = LAYERS[u.layer].channels - 1
        finally:
            self._syncing = False
        self.header.value = self._header_html(u)
        self.back_button.disabled = not self.state.can_go_back
        plan = panels_for(u, enabled=self.enabled, has_sample=self.data.has_sample)
        for name, panel in self.panels.items():
            _hide(panel, name not in plan)
        for name in plan:
            panel = self.panels[name]
            panel.set_title(self._panel_title(name, u))
            view = self._cached_view(name, u)
            if view is not None:
                self._display(name, u, view)
            else:
                panel.busy(self._busy_text(name, u))
        self._show_article(gen, u, "featvis" in plan)
        for name in plan:
            if self._cached_view(name, u) is None:
                self._submit(gen, lambda name=name: self._compute(gen, name, u))
        self._update_status()

    def _show_article(self, gen: int, u: Unit, beside_featvis: bool) -> None:
        """The article's picture of ``u`` next to its feature visualisation, for the layers the articles show.

        A local copy is read first (a cheap job); a missing one is downloaded after the other panels.
        It never fails the explorer: offline, the box says "article picture unavailable offline".
        """
        panel = self.article_panel
        shown = beside_featvis and article_unit_name(u) is not None
        _hide(panel, not shown)
        if not shown:
            return
        panel.set_title(f"The article's picture of {u.short}")
        view = self._article_views.get(u)
        if view is not None:
            panel.show(view)
        else:
            panel.busy("loading the article's picture…")
            self._submit(gen, lambda: self._load_article(gen, u, download=False))

    def _load_article(self, gen: int, u: Unit, download: bool) -> None:
        if not self._current(gen, u):
            return
        try:
            self._load_article_now(gen, u, download)
        except Exception as exc:  # never a traceback (nor a dead worker thread) for a picture
            self.errors.append(f"article picture of {u.short}: {type(exc).__name__}: {exc}")
            with self._ui:
                if self._current(gen, u):
                    self.article_panel.fail(f"could not show the article's picture: {exc}")

    def _load_article_now(self, gen: int, u: Unit, download: bool) -> None:
        if not download:
            try:
                article_unit_path(u, download=False)
            except ArticleUnavailableError:  # not stored here: fetch it once the other panels are done
                with self._ui:
                    if self._current(gen, u):
                        self.article_panel.busy("downloading the article's picture…")
                self._submit(gen, lambda: self._load_article(gen, u, download=True))
                return
            except Exception:  # a damaged copy: unit_picture below reports it
                pass
        pic = unit_picture(u, download=download, warn=False)
        if pic.status == "damaged":
            self.errors.append(f"article picture of {u.short}: {pic.error}")
        caption = (f"the real InceptionV1, from An Overview of Early Vision ({ATTRIBUTION})" if pic.ok
                   else pic.error.split(". ")[0] if pic.error else pic.note.replace("\n", " "))
        view = _View([_article_png(pic)], caption)
        if pic.status in ("ok", "damaged"):  # offline: try again when the unit is shown next
            self._article_views[u] = view
        with self._ui:
            if self._current(gen, u):
                self.article_panel.show(view)

    def _cached_view(self, name: str, u: Unit) -> "_View | None":
        if name == "featvis":
            return self._views.get((name, u, "full")) or self._views.get((name, u, "preview"))
        return self._views.get((name, u, ""))

    def _busy_text(self, name: str, u: Unit) -> str:
        s = self.settings
        if name == "featvis":
            return f"rendering a preview ({s.preview_steps} steps, {s.preview_size} px)…"
        if name == "examples":
            if u.layer in self.data._stats:
                return "computing…"
            n = s.n_images or "all"
            return f"computing {u.layer} activations over {n} photos (once per layer, then cached)…"
        if name == "tuning":
            return f"measuring responses to {s.tuning_angles} orientations × {len(s.tuning_radii)} radii…"
        return "computing…"

    def _submit(self, gen: int, job: Callable[[], None]) -> None:
        if self._worker is None:
            job()
        else:
            self._worker.submit(job)

    def _current(self, gen: int, u: Unit) -> bool:
        return gen == self._gen and u == self.state.unit

    def _compute(self, gen: int, name: str, u: Unit, variant: str = "") -> None:
        """Compute one panel's view (skipped if the student has moved on) and show it if still current."""
        if not self._current(gen, u):
            return
        try:
            view = self._make_view(name, u, variant, gen)
        except Exception as exc:  # show the problem in the panel, never a traceback
            msg = f"{name} of {u.short}: {type(exc).__name__}: {exc}"
            expected = isinstance(exc, ValueError) and name == "outputs"  # e.g. mixed5b feeds the classifier
            if not expected:
                self.errors.append(msg)
            with self._ui:
                if self._current(gen, u):
                    self.panels[name].fail(str(exc) if expected else f"could not compute this panel: {exc}",
                                           error=not expected)
            return
        self._views[(name, u, view.variant)] = view
        with self._ui:
            if self._current(gen, u):
                self._display(name, u, view)

    def _display(self, name: str, u: Unit, view: _View) -> None:
        panel = self.panels[name]
        if isinstance(panel, _FeatvisPanel):
            panel.show(view, offer_full=self.settings.has_full_render and view.variant != "full")
        else:
            panel.show(view)
        self.timings.setdefault(name, time.perf_counter() - self._t0)
        self._update_status()

    def _update_status(self) -> None:
        plan = panels_for(self.state.unit, enabled=self.enabled, has_sample=self.data.has_sample)
        ready = [p for p in plan if p in self.timings]
        if not plan:
            self.status.value = ""
        elif len(ready) < len(plan):
            self.status.value = (f"<span style='color:#777'>{len(ready)} of {len(plan)} panels ready; "
                                 f"computing {', '.join(p for p in plan if p not in ready)}…</span>")
        else:
            slowest = max(self.timings[p] for p in plan)
            self.status.value = f"<span style='color:#777'>all {len(plan)} panels ready ({slowest:.1f} s)</span>"

    def _make_view(self, name: str, u: Unit, variant: str, gen: int) -> _View:
        d = self.data
        if name in ("inputs", "outputs"):
            conns = d.connections(u, name)
            if not conns:
                raise ValueError("no connections")
            vmax = max(float(c.kernel.abs().max()) for c in conns) or 1.0
            others = [c.src if name == "inputs" else c.dst for c in conns]
            targets = [o if o.layer in LAYERS else None for o in others]
            where = conns[0].via if name == "inputs" else next_layer(u.layer)[1]
            h, w = conns[0].kernel.shape[-2:]
            kind = f"direct weights (the conv's kernel, zero-padded to {h}×{w})" if conns[0].direct else \
                f"{h}×{w} expanded weights"
            caption = (f"{len(conns)} strongest by L2 of the {kind}, {'from' if name == 'inputs' else 'into'} "
                       f"{where}; red excites, blue inhibits, one colour scale (±{vmax:.3g})")
            return _View([_connection_png(c, vmax, d.trained) for c in conns], caption, targets,
                         [o.short for o in others])
        if name == "featvis":
            full = variant == "full"
            t = time.perf_counter()
            r = d.render(u, full=full)
            if not full:
                self._render_seconds[u] = time.perf_counter() - t
            return _View([_featvis_png(r, u, d.note, full)], r.weights.label, variant="full" if full else "preview")
        if name == "tuning":
            tc = d.tuning(u)
            article = d.article_curve(u)
            caption = tc.source + ("; article: " + article.source.replace("article: ", "") if article else
                                   "; not in the articles' radial data")
            return _View([_tuning_png(tc, article, u, d.note)], caption)
        if name == "examples":
            panel = self.panels["examples"]

            def report(done: int, total: int) -> None:
                with self._ui:
                    if self._current(gen, u):
                        panel.progress(done, total)

            ex = d.examples(u, progress=report)
            n = len(d.sample)
            caption = (f"top row: the receptive field ({ex.field.size} px) at the strongest position; "
                       f"bottom: the photo ({ex.image_size} px), label and the unit's max")
            return _View([_examples_png(ex, d.sample, d.note, n)], caption)
        raise ValueError(f"unknown panel {name!r}")

    def _render_full(self) -> None:
        with self._ui:
            u, gen = self.state.unit, self._gen
        if ("featvis", u, "full") in self._views:
            self._display("featvis", u, self._views[("featvis", u, "full")])
            return
        s = self.settings
        guess = self._render_seconds.get(u)
        eta = ""
        if guess and guess > 0.2:  # measured (not a read from the disk cache)
            factor = s.full_steps / s.preview_steps
            if s.render_input_size is None:
                factor *= (s.full_size / s.preview_size) ** 2
            eta = f", about {guess * factor:.0f} s"
        self.featvis_panel.busy(f"rendering full quality ({s.full_steps} steps, {s.full_size} px{eta})…")
        self._submit(gen, lambda: self._compute(gen, "featvis", u, "full"))


def explore(
    model: "nn.Module | None" = None,
    unit: "str | Unit" = "3b:379",
    *,
    sample: Any = None,
    cache: "str | Path | bool | None" = None,
    settings: "ExplorerSettings | None" = None,
    panels: Sequence[str] = PANELS,
    background: bool = True,
) -> NeuronExplorer:
    """A neuron explorer widget showing ``unit``; display it (make it the last line of a cell).

    Args:
        model: an InceptionV1 from :func:`~shared_utils.inception.model.load_inceptionv1` (default: load it,
            ``$ZOOM_IN_WEIGHTS`` decides which weights). Edited copies work too.
        unit: the first unit, any id form (``"4c:447"``, ``"mixed4c 447"``).
        sample: photos for dataset examples (an ImageSample; default the course sample, loaded on
            first use; ``False``: no examples). Only ``settings.n_images`` evenly spaced photos are used.
        cache: directory for cached results (default the course cache, ``$ZOOM_IN_CACHE``);
            ``False`` keeps them in memory only.
        settings: how much work each panel does (default :meth:`ExplorerSettings.from_budget`).
        panels: which of :data:`PANELS` to show.
        background: compute in a background thread (the notebook stays usable). ``False`` computes
            each panel before returning (scripts and tests).
    """
    if model is None:
        from ..inception.model import load_inceptionv1

        model = load_inceptionv1()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an InceptionV1 from load_inceptionv1(), got {type(model).__name__}")
    if cache is None or cache is True:
        from .._download import cache_dir

        cache_path: "Path | None" = cache_dir()
    elif cache is False:
        cache_path = None
    else:
        cache_path = Path(cache)
    return NeuronExplorer(model, unit, sample=sample, cache=cache_path, settings=settings, panels=panels,
                          background=background)

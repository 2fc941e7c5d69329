"""The course in a real browser: JupyterLab 4 from this environment, driven by headless Chromium.

Headless runners (nbclient, nbgrader) prove that the Python side of a notebook runs; they never
render anything. These tests open the notebooks the way a student does (JupyterLab in Chromium),
run them from the Run menu, and check what the student would see: every cell ran, no error
outputs, plots are shown as images, and ipywidgets render and react to clicks (no
"Error displaying widget"). Full-page screenshots go to artifacts/browser/ for CI to keep.

Needs pip's ``playwright`` (requirements.txt) and Debian's ``chromium`` (``python3 run.py test``
installs it as root; see tools/system_deps.py). Without them the tests fail on CI (``CI=true``)
and are skipped elsewhere.

HOOK for new widget notebooks (e.g. the neuron explorer, shared_utils/explorer/__init__.py): write a test
that takes the ``lab_page`` fixture, calls ``run_notebook_in_lab(lab_page, path)`` on a notebook
placed in ``lab_root`` (see ``test_neuron_explorer``), then ``assert_widgets_render(lab_page)``
and interacts with ``lab_page`` through Playwright locators scoped to ``.jp-Cell-outputArea``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, urlsplit

import nbformat
import pytest

from tools import system_deps
from tools.course import LABS as COURSE_LABS

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser_context fixture reports it (skip here, fail on CI)
    PlaywrightTimeout = TimeoutError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"

#: What the browser opens (paths relative to the repository). Add notebooks that show widgets here.
LECTURES = ["course/00_tour.ipynb"]
#: Every released lab is run as a student runs it (Run All on the untouched release, then one wrong answer);
#: lab 0's solution also runs, as a student's finished copy.
LABS = [lab.id for lab in COURSE_LABS]
SOLVED = ["lab00_tour"]

#: Flags for Debian's chromium: headless, as root in a container, and no calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
#: JupyterLab settings for the test server: no news toast or update check, every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_ERROR = "Error displaying widget"
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen

pytestmark = pytest.mark.slow


def _unavailable(what: str) -> None:
    """Fail on CI, skip elsewhere: CI must never pass without having run the browser."""
    if system_deps.in_ci():
        pytest.fail(f"{what} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(what)


# --------------------------------------------------------------------------------------------
# The JupyterLab server
# --------------------------------------------------------------------------------------------

@dataclass
class LabServer:
    """A running ``python -m jupyterlab`` serving ``root`` on 127.0.0.1."""

    url: str
    token: str
    root: Path
    runtime_dir: Path
    log: Path
    proc: subprocess.Popen[bytes]
    cleanups: list[threading.Thread] = field(default_factory=list)

    def login_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"

    def api(self, method: str, path: str) -> Any:
        req = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def shutdown_kernels(self) -> None:
        """End the kernels open now, in the background (a graceful shutdown takes seconds each).

        Between tests: an idle kernel holds a model in memory, and one left running by a failed
        test would compete for the two cores. ``_stop_server`` waits for these threads.
        """
        ids = [session["id"] for session in self.api("GET", "sessions")]

        def delete() -> None:
            for sid in ids:
                try:
                    self.api("DELETE", f"sessions/{sid}")
                except (OSError, urllib.error.URLError):
                    pass

        thread = threading.Thread(target=delete, daemon=True)
        thread.start()
        self.cleanups.append(thread)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids_using(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (our private runtime dir: kernels)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return [p for p in pids if p != os.getpid()]


def _stop_server(server: LabServer) -> None:
    """Ask the server to shut down (it ends its kernels), then make sure nothing we started lives on."""
    for thread in server.cleanups:
        thread.join(timeout=30)
    try:
        server.api("POST", "shutdown")
    except (OSError, urllib.error.URLError):
        pass
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while (stray := _pids_using(str(server.runtime_dir))) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in stray:  # kernels run in their own session, so killpg above does not reach them
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _smoke_notebook() -> nbformat.NotebookNode:
    """A slider, a button and an Output: clicking prints the square of the slider's value."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Widgets smoke test (made by tests/course/test_browser.py)"),
        nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"),
        nbformat.v4.new_code_cell(
            "import ipywidgets as widgets\n"
            "from IPython.display import display\n\n"
            "slider = widgets.IntSlider(value=3, min=0, max=10, description='n')\n"
            "button = widgets.Button(description='Square it')\n"
            "out = widgets.Output()\n\n\n"
            "def on_click(_):\n"
            "    with out:\n"
            "        print(f'squared: {slider.value ** 2}')\n\n\n"
            "button.on_click(on_click)\n"
            "display(widgets.VBox([slider, button, out]))"),
    ]
    return nb


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the server shows: copies of the lectures, the released labs, the solved labs, a smoke notebook."""
    root = tmp_path_factory.mktemp("lab-root")
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for rel in LECTURES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, root / rel)
    for lab in LABS:
        shutil.copytree(ROOT / "labs" / lab, root / "labs" / lab, ignore=ignore)
    for lab in SOLVED:
        # A student's finished copy: the release's folder with the solved notebook under the lab's name.
        shutil.copytree(ROOT / "labs" / lab, root / "solved" / lab, ignore=ignore)
        shutil.copy2(ROOT / "solutions" / lab / f"{lab}.ipynb", root / "solved" / lab / f"{lab}.ipynb")
    nbformat.write(_smoke_notebook(), root / "widgets_smoke.ipynb")
    return root


@pytest.fixture(scope="module")
def lab_server(lab_root: Path, tmp_path_factory: pytest.TempPathFactory, hed_wheel: Path) -> Iterator[LabServer]:
    """JupyterLab from this environment (so its widget extension and ipykernel) with private Jupyter dirs.

    Its kernels inherit ``ZOOM_IN_HED_WHEEL`` (the ``hed_wheel`` fixture): Lab 10 runs on that VGG16."""
    base = tmp_path_factory.mktemp("jupyter")
    dirs = {name: base / name for name in ("config", "runtime", "data", "ipython", "app-settings")}
    for d in dirs.values():
        d.mkdir()
    (dirs["app-settings"] / "overrides.json").write_text(json.dumps(LAB_SETTINGS))
    (dirs["config"] / "jupyter_lab_config.json").write_text(json.dumps({"LabApp": {
        "news_url": None, "extension_manager": "readonly",
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate"}}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTER_DATA_DIR=str(dirs["data"]), IPYTHONDIR=str(dirs["ipython"]))
    env.pop("MPLBACKEND", None)  # kernels must keep the inline backend, or plt.show() shows nothing
    env.pop("JUPYTER_PATH", None)  # only this environment's extensions and kernels (sys.prefix)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={lab_root}", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0",
           "--allow-root", f"--LabApp.app_settings_dir={dirs['app-settings']}"]
    log = base / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, lab_root, dirs["runtime"], log, proc)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}", pytrace=False)
            try:
                server.api("GET", "status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer /api/status in 90 s:\n{server.log_tail()}", pytrace=False)
                time.sleep(0.25)
        kernels = server.api("GET", "kernelspecs")
        assert "python3" in kernels["kernelspecs"], f"no python3 kernel (install ipykernel): {kernels}"
        yield server
    finally:
        _stop_server(server)


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian chromium with a fresh profile, driven by pip's playwright (no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in requirements.txt: run `python3 run.py test`)")
    try:
        chromium = system_deps.find_chromium()
    except system_deps.MissingSystemDependency as exc:
        _unavailable(str(exc))
    if chromium is None:
        _unavailable(f"no Chromium found. {system_deps.INSTALL_HINT}")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=chromium, headless=True,
            args=CHROMIUM_ARGS, viewport=VIEWPORT, timeout=60_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def lab_page(browser_context: Any, lab_server: LabServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A browser tab logged in to the test server (the token becomes a cookie), with console errors kept.

    If the test fails, the tab's last state is saved as artifacts/browser/FAILED-<test>.png.
    """
    page = browser_context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(f"page error: {exc}"))
    page.console_errors = console  # read by run_notebook_in_lab
    page.goto(lab_server.login_url("api/status"))  # sets the login cookie without loading the app
    failed_before = request.session.testsfailed
    try:
        yield page
        if request.session.testsfailed > failed_before:
            save_screenshot(page, "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    finally:
        page.close()
        lab_server.shutdown_kernels()


# --------------------------------------------------------------------------------------------
# Helpers a test calls (the hook for widget notebooks such as the neuron explorer)
# --------------------------------------------------------------------------------------------

@dataclass
class CellError:
    """An error output in the saved notebook. ``role``: nbgrader "answer" cell, "test" cell, or "other"."""

    index: int
    ename: str
    evalue: str
    role: str


@dataclass
class NotebookRun:
    """What ``run_notebook_in_lab`` saw: the page after the run, and the notebook JupyterLab saved."""

    path: str
    seconds: float
    prompts: list[str]  # the input prompt of every code cell on screen, e.g. "[3]:"
    images: int  # <img> elements in cell output areas (plots)
    widget_outputs: int  # widget views the kernel displayed in cell outputs (saved notebook)
    widget_errors: int  # elements reading "Error displaying widget"
    errors: list[CellError]  # error outputs in the saved notebook
    cells: list[dict[str, Any]] = field(repr=False)  # the saved notebook's cells
    console_errors: list[str] = field(default_factory=list, repr=False)
    screenshot: Path | None = None

    @property
    def unexecuted(self) -> list[int]:
        """Positions (among code cells) whose prompt shows no execution count."""
        return [i for i, p in enumerate(self.prompts) if not re.fullmatch(r"\[\d+\]:", p.strip())]

    def describe(self) -> str:
        errors = "; ".join(f"cell {e.index} ({e.role}): {e.ename}: {e.evalue[:120]}" for e in self.errors)
        return (f"{self.path}: {len(self.prompts)} code cells, prompts {self.prompts}, {self.images} images, "
                f"{self.widget_outputs} widget outputs, {self.widget_errors} widget errors, errors [{errors}], "
                f"screenshot {self.screenshot}, "
                f"console errors {self.console_errors[-5:]}")


def _origin(page: Any) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def _state(page: Any) -> dict[str, Any]:
    """Kernel status and code-cell prompts of the notebook on screen, in one round trip."""
    return page.evaluate(
        """(sel) => {
            const panel = document.querySelector(sel);
            if (!panel) return {status: null, prompts: []};
            const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            const prompts = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
                .map(e => e.textContent.trim());
            return {status: ind ? ind.dataset.status : null, prompts};
        }""", NOTEBOOK)


def _wait_for(page: Any, what: str, ready: Any, timeout_s: float, settle: int = 1,
              every_s: float = 0.5) -> dict[str, Any]:
    """Poll ``_state`` until ``ready(state)`` holds ``settle + 1`` times in a row, ``every_s`` apart."""
    deadline, streak, state = time.monotonic() + timeout_s, 0, {}
    while time.monotonic() < deadline:
        state = _state(page)
        streak = streak + 1 if ready(state) else 0
        if streak > settle:
            return state
        page.wait_for_timeout(every_s * 1000)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; last state {state}")


def _idle(state: dict[str, Any]) -> bool:
    return state["status"] == "idle" and not any("*" in p for p in state["prompts"])


def save_screenshot(page: Any, name: str) -> Path:
    """Full-page PNG of the whole notebook (the window grows to fit it) as artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    height = page.evaluate(
        """(sel) => { const s = document.querySelector(sel + ' .jp-WindowedPanel-viewport')
                       || document.querySelector(sel + ' .jp-Notebook');
                      return s ? s.getBoundingClientRect().height : 0; }""", NOTEBOOK)
    tall = int(min(max(VIEWPORT["height"], height + 150), 15000))  # Chromium's limit is ~16k px
    page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
    page.wait_for_timeout(300)
    page.evaluate("(sel) => document.querySelectorAll(sel + ' .jp-WindowedPanel-outer').forEach(e => e.scrollTop = 0)",
                  NOTEBOOK)
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    print(f"screenshot: {path}")
    return path


def open_notebook(page: Any, path: str, timeout_s: float = 120) -> None:
    """Open ``path`` (relative to the server root) in its own fresh workspace; wait for an idle kernel.

    Keystrokes sent before the kernel is connected are lost, so nothing runs before "idle".
    """
    workspace = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
    page.goto(f"{_origin(page)}/lab/workspaces/{workspace}/tree/{quote(path)}?reset")
    page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_s * 1000)
    _wait_for(page, f"the kernel of {path} to be idle", lambda s: s["status"] == "idle", timeout_s, settle=2)


def _focus_notebook(page: Any) -> None:
    """Select the first cell: the notebook becomes JupyterLab's current widget, in command mode."""
    page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Escape")


def _run_all_from_menu(page: Any) -> None:
    """Run > Run All Cells, and wait until the notebook visibly starts (a lost click is retried once)."""
    before = _state(page)["prompts"]
    for _ in range(2):
        _focus_notebook(page)
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator("#jp-mainmenu-run .lm-Menu-item:not(.lm-mod-disabled)",
                     has_text=re.compile(r"^Run All Cells")).click()
        try:
            _wait_for(page, "Run All Cells to start", lambda s: s["prompts"] != before, 15, settle=0)
            return
        except AssertionError:
            print("Run All Cells did not start the notebook; trying once more")
            page.keyboard.press("Escape")  # close the menu if it is still open
    raise AssertionError("Run > Run All Cells did not start the notebook (tried twice)")


def _run_cell_by_cell(page: Any, timeout_s: float) -> None:
    """Shift+Enter through the notebook, waiting for each code cell: an error does not stop later cells."""
    cells = page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell")
    is_code = cells.evaluate_all("els => els.map(e => e.classList.contains('jp-CodeCell'))")
    _focus_notebook(page)
    deadline, code_index = time.monotonic() + timeout_s, -1
    for i, code in enumerate(is_code):
        page.keyboard.press("Shift+Enter" if i < len(is_code) - 1 else "Control+Enter")  # no new cell at the end
        if code:
            code_index += 1
            _wait_for(page, f"code cell {code_index} (cell {i}) to finish",
                      lambda s, k=code_index: _idle(s) and bool(re.fullmatch(r"\[\d+\]:", s["prompts"][k])),
                      max(5.0, deadline - time.monotonic()), settle=0, every_s=0.2)


def _save_and_read(page: Any, path: str) -> dict[str, Any]:
    """Save with Ctrl+S and read the notebook back through the server's contents API."""
    page.locator(f"{NOTEBOOK} .jp-Notebook").first.focus()
    page.keyboard.press("Escape")
    dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
    for attempt in range(2):
        page.keyboard.press("Control+s")
        try:
            dirty.wait_for(state="detached", timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise AssertionError(f"{path} still shows unsaved changes after Ctrl+S twice") from None
            print("Ctrl+S did not save; trying once more")
    resp = page.request.get(f"{_origin(page)}/api/contents/{quote(path)}?content=1&type=notebook")
    assert resp.ok, f"could not read back {path}: {resp.status} {resp.text()[:300]}"
    return resp.json()["content"]


def _role(cell: dict[str, Any]) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return "answer" if meta.get("solution") else "test" if meta.get("grade") else "other"


def run_notebook_in_lab(page: Any, path: str, *, stop_on_error: bool = True, timeout_s: float = 240,
                        screenshot: str | None = None) -> NotebookRun:
    """Open ``path`` (relative to the server root) in JupyterLab, run it like a student, and report.

    ``stop_on_error=True`` runs Run > Run All Cells (JupyterLab stops at the first error);
    ``False`` presses Shift+Enter cell by cell so every cell runs (for a released lab whose
    exercises raise NotImplementedError). Waits for the kernel to be idle before and after,
    saves the notebook (Ctrl+S) to read its error outputs, and takes a full-page screenshot
    named ``screenshot`` if given. ``page`` comes from the ``lab_page`` fixture. Checks nothing
    itself: assert on the returned NotebookRun.
    """
    start = time.monotonic()
    open_notebook(page, path)
    if stop_on_error:
        _run_all_from_menu(page)
        _wait_for(page, f"{path} to finish running", _idle, timeout_s)
    else:
        _run_cell_by_cell(page, timeout_s)
    saved = _save_and_read(page, path)
    errors = [CellError(i, out.get("ename", ""), out.get("evalue", ""), _role(cell))
              for i, cell in enumerate(saved["cells"]) if cell["cell_type"] == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    area = page.locator(f"{NOTEBOOK} .jp-Cell-outputArea")
    run = NotebookRun(path=path, seconds=time.monotonic() - start, prompts=_state(page)["prompts"],
                      images=area.locator(".jp-OutputArea-output img").count(),
                      widget_outputs=sum(WIDGET_MIME in out.get("data", {}) for c in saved["cells"]
                                         for out in c.get("outputs", [])),
                      widget_errors=page.locator(NOTEBOOK).get_by_text(WIDGET_ERROR).count(), errors=errors,
                      cells=saved["cells"], console_errors=list(getattr(page, "console_errors", [])))
    if screenshot:
        run.screenshot = save_screenshot(page, screenshot)
    print(run.describe())
    return run


def assert_widgets_render(page: Any, *, expected: int | None = None, at_least: int = 1, timeout_s: float = 30) -> int:
    """The notebook on screen shows its widgets as live views; returns how many cell outputs do.

    Fails if an output says "Error displaying widget", if fewer than ``at_least`` widget views
    render, or, when ``expected`` is given, if not exactly that many render. Without the
    @jupyter-widgets/jupyterlab-manager extension JupyterLab shows only a text fallback, so no view.
    ``NotebookRun.widget_outputs`` counts the widget outputs the kernel sent; a widget closed since
    (a finished ``tqdm`` bar with ``leave=False``) leaves an empty output, so pass ``expected``
    only for notebooks whose widgets stay open.
    """
    views = page.locator(f"{NOTEBOOK} .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
                         " > .jupyter-widgets")  # top-level views (an error leaves no child)
    want = max(at_least, expected or 0)
    deadline = time.monotonic() + timeout_s
    while True:
        rendered, errors = views.count(), page.locator(NOTEBOOK).get_by_text(WIDGET_ERROR).count()
        if errors or rendered >= want or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    assert errors == 0, f"{errors} widget output(s) show '{WIDGET_ERROR}'"
    assert rendered >= at_least, (f"expected at least {at_least} rendered widget(s), found {rendered}: is "
                                  "@jupyter-widgets/jupyterlab-manager installed in this environment?")
    if expected is not None:
        assert rendered == expected, f"{rendered} widget views rendered for {expected} widget outputs"
    return rendered


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------

@pytest.mark.timeout(300)
def test_widgets_render_and_react(lab_page: Any) -> None:
    """ipywidgets work end to end: the kernel is this environment's, a slider and a button render,
    and clicking the button (after moving the slider) makes the kernel print into the Output."""
    run = run_notebook_in_lab(lab_page, "widgets_smoke.ipynb")
    assert not run.unexecuted and not run.errors, run.describe()
    printed = "".join(o.get("text", "") for o in run.cells[1]["outputs"] if o.get("output_type") == "stream")
    assert Path(printed.strip()).resolve() == Path(sys.prefix).resolve(), (
        f"the notebook kernel runs in {printed.strip()!r}, not in this environment ({sys.prefix})")
    assert run.widget_outputs == 1, run.describe()
    assert assert_widgets_render(lab_page, expected=run.widget_outputs) == 1
    area = lab_page.locator(f"{NOTEBOOK} .jp-Cell-outputArea").last
    slider, button = area.locator(".widget-slider"), area.get_by_role("button", name="Square it")
    assert slider.count() == 1 and button.count() == 1, run.describe()
    button.click()
    area.get_by_text("squared: 9").wait_for(timeout=20_000)
    slider.locator(".noUi-handle, [role=slider]").first.focus()
    lab_page.keyboard.press("ArrowRight")  # 3 -> 4, synced to the kernel
    area.locator(".widget-readout", has_text=re.compile(r"^\s*4\s*$")).wait_for(timeout=20_000)
    button.click()
    area.get_by_text("squared: 16").wait_for(timeout=20_000)
    save_screenshot(lab_page, "widgets_smoke")


@pytest.mark.timeout(420)
@pytest.mark.parametrize("path", LECTURES, ids=[Path(p).stem for p in LECTURES])
def test_lecture_runs_in_jupyterlab(lab_page: Any, path: str) -> None:
    run = run_notebook_in_lab(lab_page, path, screenshot=f"lecture-{Path(path).stem}")
    assert run.prompts and not run.unexecuted, f"cells that did not run: {run.unexecuted}\n{run.describe()}"
    assert not run.errors, run.describe()
    assert run.images >= 1, f"no plot rendered as an image\n{run.describe()}"
    assert run.widget_errors == 0, run.describe()


@pytest.mark.timeout(420)
@pytest.mark.parametrize("lab", SOLVED)
def test_solved_lab_runs_in_jupyterlab(lab_page: Any, lab: str) -> None:
    run = run_notebook_in_lab(lab_page, f"solved/{lab}/{lab}.ipynb", screenshot=f"{lab}-solved")
    assert run.prompts and not run.unexecuted, f"cells that did not run: {run.unexecuted}\n{run.describe()}"
    assert not run.errors, run.describe()
    assert run.images >= 1, f"no plot rendered as an image\n{run.describe()}"
    assert run.widget_errors == 0, run.describe()


#: What a raw Python/IPython traceback prints (frames, the separator line), unlike the course's one-line messages.
RAW_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Cell In\[\d+\], line \d+|-{40,}|File \\\"/")


def _saved_images(cells: list[dict[str, Any]]) -> int:
    return sum("image/png" in out.get("data", {}) for c in cells for out in c.get("outputs", []))


def _cell_text(page: Any, index: int) -> str:
    return page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").inner_text()


def _type_into_cell(page: Any, index: int, source: str) -> None:
    """Replace cell ``index``'s text as a student would (click in, select all, type), in command mode after."""
    editor = page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(source)  # one insertion: no auto-indent or bracket closing on the way
    page.keyboard.press("Escape")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab", LABS)
def test_a_student_runs_the_lab_and_gets_a_hint(lab_page: Any, lab: str) -> None:
    """The untouched release, Run All: the run reaches the last cell, no cell shows an error (an unanswered
    exercise's check says it is not done, cells that need it say they wait), every figure the kernel sent
    is on the page and no widget fails. Then the first exercise gets a likely wrong answer
    (tests/helpers/wrong_answers/): its check, run again, shows the hint that names the mistake."""
    from helpers.artifacts import record
    from helpers.wrong_answers import wrong_answers

    path = f"labs/{lab}/{lab}.ipynb"
    run = run_notebook_in_lab(lab_page, path, timeout_s=720, screenshot=f"{lab}-release")
    assert run.prompts and not run.unexecuted, f"cells that did not run: {run.unexecuted}\n{run.describe()}"
    assert not run.errors, f"errors in an untouched release run\n{run.describe()}"
    raw = [i for i, c in enumerate(run.cells) for o in c.get("outputs", []) if RAW_TRACEBACK.search(json.dumps(o))]
    assert not raw, f"cells {raw} show a raw traceback\n{run.describe()}"
    not_done = [i for i, c in enumerate(run.cells) if _role(c) == "test" and "Not done yet" in json.dumps(c.get("outputs"))]
    assert not_done, f"no check cell said its exercise is not done yet\n{run.describe()}"
    # every figure the kernel sent is on the page (a lab may draw none before its first exercise is done)
    assert run.images >= _saved_images(run.cells), f"figures not on the page\n{run.describe()}"
    assert run.widget_errors == 0, run.describe()

    solution = json.loads((ROOT / "solutions" / lab / f"{lab}.ipynb").read_text())
    cases = {g: [w for w in ws if not w.hidden] for g, ws in wrong_answers(lab, solution).items()}
    ids = [(c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") for c in run.cells]
    exercise = next(g for g in ids if cases.get(g))
    wrong = cases[exercise][0]
    answer, check = ids.index(exercise), ids.index(f"{exercise}_test")
    assert check == answer + 1, f"{exercise}: its check is not the next cell"
    start = time.monotonic()
    _type_into_cell(lab_page, answer, wrong.source)
    lab_page.keyboard.press("Shift+Enter")  # the answer, then the check
    lab_page.keyboard.press("Shift+Enter")
    _wait_for(lab_page, f"{exercise}'s check to run", _idle, 120)
    shown = " ".join(_cell_text(lab_page, check).split())
    save_screenshot(lab_page, f"{lab}-wrong-answer")
    assert " ".join(wrong.hint.split()) in shown, f"{exercise} ({wrong.why}): the check shows {shown[:800]!r}"
    assert not RAW_TRACEBACK.search(shown) and "checks.py" not in shown, f"internal frames on screen: {shown[:800]!r}"
    record("browser", f"run-{lab}", run_all_s=round(run.seconds, 1), code_cells=len(run.prompts),
            cells_ran=len(run.prompts) - len(run.unexecuted), figures=run.images,
            wrong_answer=f"{exercise}: {wrong.why}", wrong_answer_s=round(time.monotonic() - start, 1))


#: The neuron explorer (shared_utils/explorer/__init__.py) on the untrained stand-in. The server inherits
#: COURSE_FAST=1 from conftest, so ExplorerSettings.from_budget() picks the tiny settings; the second
#: cell waits for the first unit's panels so that the run ends with a complete view.
EXPLORER_CELLS: list[str] = [
    "from shared_utils.inception.model import load_inceptionv1\n"
    "from shared_utils.explorer import explore\n\n"
    "model = load_inceptionv1('untrained')\n"
    "ex = explore(model, '3b:379')\n"
    "ex",
    "assert ex.wait(200), 'the explorer did not finish its panels'\n"
    "print('panels:', ex.timings, 'errors:', ex.errors)",
]


def _explorer_header(area: Any, text: str, timeout_s: float = 60) -> None:
    """Wait until the explorer's header names ``text`` (the unit on screen)."""
    area.locator(".zi-explorer-header", has_text=text).wait_for(timeout=timeout_s * 1000)


@pytest.mark.timeout(420)
def test_neuron_explorer(lab_page: Any, lab_root: Path) -> None:
    """The explorer renders, a typed id + Enter moves it, a click on an input unit walks the circuit
    (the worker thread's updates reach the page), Back returns; no widget errors on the way."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in EXPLORER_CELLS]
    nbformat.write(nb, lab_root / "explorer.ipynb")
    run = run_notebook_in_lab(lab_page, "explorer.ipynb")
    assert not run.unexecuted and not run.errors, run.describe()
    printed = "".join(o.get("text", "") for o in run.cells[1]["outputs"] if o.get("output_type") == "stream")
    assert "errors: []" in printed, f"explorer panels failed: {printed}"
    assert_widgets_render(lab_page)
    area = lab_page.locator(f"{NOTEBOOK} .jp-Cell-outputArea").first
    _explorer_header(area, "3b:379")
    assert "UNTRAINED" in area.locator(".zi-explorer-header").inner_text()
    assert area.locator(".zi-explorer-featvis img").count() >= 1  # the preview render is on the page
    article = area.locator(".zi-explorer-article")  # beside it, the article's picture of the real unit
    article.locator("img").first.wait_for(state="visible", timeout=30_000)
    assert "3b:379" in article.inner_text()
    save_screenshot(lab_page, "explorer-article")

    box = area.locator(".zi-explorer-id input")
    box.fill("4c:447")
    box.press("Enter")
    _explorer_header(area, "4c:447")
    article.wait_for(state="hidden", timeout=30_000)  # the articles have no per-unit picture of mixed4c
    # 4c:447's inputs are 4b units; they are computed in the background thread after the move
    goto = area.locator(".zi-explorer-inputs .zi-explorer-goto", has_text=re.compile(r"^\s*4b:\d+\s*$")).first
    goto.wait_for(timeout=180_000)
    target = goto.inner_text().strip()
    goto.click()
    _explorer_header(area, target)
    area.locator(".zi-explorer-back").click()
    _explorer_header(area, "4c:447")

    box.fill("4z:12")  # a bad id: a message in the widget, the unit stays
    box.press("Enter")
    area.locator(".zi-explorer-message", has_text="Unknown layer").wait_for(timeout=30_000)
    _explorer_header(area, "4c:447")
    area.locator(".zi-explorer-outputs .zi-explorer-goto", has_text=re.compile(r"^\s*4d:\d+\s*$")).first.wait_for(
        timeout=180_000)  # mixed4c feeds mixed4d
    area.locator(".zi-explorer-status", has_text="all 4 panels ready").wait_for(timeout=240_000)  # no tuning for 4c
    assert area.locator(".zi-explorer-examples img").count() == 1
    assert lab_page.locator(NOTEBOOK).get_by_text(WIDGET_ERROR).count() == 0
    save_screenshot(lab_page, "explorer")

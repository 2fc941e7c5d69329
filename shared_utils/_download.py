"""Downloads with a progress bar, a cache and content checks (used by inception/model.py and the data package)."""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from ._progress import bar


__all__ = ["cache_dir", "download", "reachable", "sha256_of", "git_blob_sha1_of", "DownloadError"]


class DownloadError(RuntimeError):
    """A file could not be fetched (offline, moved, or its content did not match)."""


def cache_dir(*parts: str) -> Path:
    """``$ZOOM_IN_CACHE`` (default ``~/.cache/zoom-in``) joined with ``parts``; created on demand."""
    root = Path(os.environ.get("ZOOM_IN_CACHE") or Path.home() / ".cache" / "zoom-in")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1_of(path: Path, chunk: int = 1 << 20) -> str:
    """Git's object id for a file's content (what ``git hash-object`` prints)."""
    h = hashlib.sha1()
    h.update(b"blob %d\0" % Path(path).stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def reachable(url: str, timeout: float) -> bool:
    """Does the server of ``url`` (or a bare host name: port 443) accept a connection within ``timeout`` s?

    The name lookup counts too. It runs in a daemon thread, because a lookup ignores socket
    timeouts and can hang for a minute on a machine without a network. ``file:`` URLs are local: True.
    """
    parsed = urlparse(url if "://" in url else f"https://{url}")
    if parsed.scheme == "file":
        return True
    host = parsed.hostname or ""
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    ok: list[bool] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            ok.append(True)
        except OSError:
            pass

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(timeout + 1.0)
    return bool(ok)


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    git_blob_sha1: str | None = None,
    desc: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``url`` to ``dest`` atomically, showing a progress bar, and check its content.

    The file only appears at ``dest`` once it is complete and matches the expected hash, so an
    interrupted download never leaves a half-written file in the cache. Offline it fails within
    about ``timeout`` seconds (see :func:`reachable`), and a stalled transfer after ``timeout``
    seconds without data.
    """
    if not reachable(url, timeout):
        host = urlparse(url).hostname or url
        raise DownloadError(f"Could not download {url}: {host} cannot be reached within {timeout:g} s (offline?)")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with bar(total=total, unit="B", desc=desc or dest.name, progress=progress) as shown:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        shown.update(len(block))
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise DownloadError(f"Could not download {url}: {exc}") from exc
        if sha256 is not None and (got := sha256_of(tmp)) != sha256:
            raise DownloadError(f"{url} downloaded, but its SHA-256 is {got}, expected {sha256}.")
        if git_blob_sha1 is not None and (got := git_blob_sha1_of(tmp)) != git_blob_sha1:
            raise DownloadError(f"{url} downloaded, but its git blob id is {got}, expected {git_blob_sha1}.")
        shutil.move(str(tmp), dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()

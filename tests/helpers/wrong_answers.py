"""The likely wrong answers of every exercise, and what its check cell must say to each.

``WRONG[exercise]`` lists the two or three mistakes a student is most likely to make in that
exercise (the answer cell's nbgrader ``grade_id``), each as ``(answer cell source, expected text)``:
a whole answer cell that defines the same names as the solution but gets one thing wrong (an
off-by-one, a wrong sign or axis, degrees for radians, no interpolation, no normalisation, ...),
and a piece of the message that the exercise's check cell ``<exercise>_test`` must show for it: the
hint, or the check's own sentence, that names that mistake. A wrong answer that passes its check,
or fails it only with an unrelated message, is a hole in the check.

tests/test_grading_pipeline.py proves every entry: the first wrong answer of each exercise goes into
one nbgrader submission per lab (``wrong_bot``: the check cell scores 0, and its ``CheckFailed``
holds the text); all of them run in one kernel per lab against the solution notebook's check cells.
Multiple-choice questions (``q_*``, ``answer_*``) and cells that only set a dict or set of answers
are not here: they have no plausible "almost right" code.
"""
from __future__ import annotations

WRONG: dict[str, list[tuple[str, str]]] = {}

# ----------------------------------------------------------------------------- Lab 0: a tour of InceptionV1

WRONG["concat_channel"] = [
    ('''def concat_channel(sizes: tuple[int, int, int, int], branch: int, local: int) -> int:
    """Counts the branch's own width too (off by one branch)."""
    if not 0 <= local < sizes[branch]:
        raise IndexError(f"branch {branch} has {sizes[branch]} channels; got local channel {local}")
    return sum(sizes[:branch + 1]) + local
''', "add the widths of the 1x1 and 3x3 branches to 59"),
    ('''def concat_channel(sizes: tuple[int, int, int, int], branch: int, local: int) -> int:
    """No range check."""
    return sum(sizes[:branch]) + local
''', "the 5x5 branch of mixed3b has 96 channels: 0..95"),
    ('''def concat_channel(sizes: tuple[int, int, int, int], branch: int, local: int) -> int:
    """The last channel of the branch is sizes[branch] (off by one)."""
    if not 0 <= local <= sizes[branch]:
        raise IndexError(f"branch {branch} has {sizes[branch]} channels; got local channel {local}")
    return sum(sizes[:branch]) + local
''', "the 5x5 branch of mixed3b has 96 channels: 0..95"),
]

WRONG["which_branch"] = [
    ('''def which_branch(sizes: tuple[int, int, int, int], channel: int) -> tuple[int, int]:
    """Returns the concatenated channel instead of the channel inside the branch."""
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel < start + size:
            return k, channel
        start += size
    raise IndexError(f"the layer has {sum(sizes)} channels; got channel {channel}")
''', "subtract the widths of the branches before it"),
    ('''def which_branch(sizes: tuple[int, int, int, int], channel: int) -> tuple[int, int]:
    """A branch's end counted in (<= instead of <)."""
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel <= start + size:
            return k, channel - start
        start += size
    raise IndexError(f"the layer has {sum(sizes)} channels; got channel {channel}")
''', "mixed3b has 480 channels: 0..479"),
    ('''def which_branch(sizes: tuple[int, int, int, int], channel: int) -> tuple[int, int]:
    """Forgets the error for a channel past the end (returns None)."""
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel < start + size:
            return k, channel - start
        start += size
''', "mixed3b has 480 channels: 0..479"),
]

WRONG["top_k_images"] = [
    ('''def top_k_images(maxes: torch.Tensor, channel: int, k: int) -> list[int]:
    """Smallest first (argsort's default order)."""
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError(f"k must be between 0 and {maxes.shape[0]}")
    order = torch.argsort(maxes[:, channel], stable=True)
    return [int(i) for i in order[:k]]
''', "sort column 0, largest first"),
    ('''def top_k_images(maxes: torch.Tensor, channel: int, k: int) -> list[int]:
    """Sorted smallest first, then reversed: ties come out in reverse index order."""
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError(f"k must be between 0 and {maxes.shape[0]}")
    order = torch.argsort(maxes[:, channel], stable=True).flip(0)
    return [int(i) for i in order[:k]]
''', "use a sort that keeps equal values in index order"),
    ('''def top_k_images(maxes: torch.Tensor, channel: int, k: int) -> list[int]:
    """No check of k: asking for too many images silently returns them all."""
    order = torch.argsort(maxes[:, channel], descending=True, stable=True)
    return [int(i) for i in order[:k]]
''', "raise ValueError unless 0 <= k <= the number of images"),
]

WRONG["kernel_to_image"] = [
    ('''import numpy as np


def kernel_to_image(w: torch.Tensor) -> np.ndarray:
    """Forgets to move the colour channels last."""
    w = w.detach().cpu().float()
    biggest = w.abs().max()
    if float(biggest) == 0.0:
        return np.full((w.shape[0], w.shape[1], w.shape[2]), 0.5, dtype=np.float32)
    return (0.5 + w / (2 * biggest)).numpy()
''', "channels last: permute(1, 2, 0)"),
    ('''import numpy as np


def kernel_to_image(w: torch.Tensor) -> np.ndarray:
    """Min-max scaling: zero no longer maps to 0.5."""
    w = w.detach().cpu().float()
    span = w.max() - w.min()
    if float(span) == 0.0:
        return np.full((w.shape[1], w.shape[2], 3), 0.5, dtype=np.float32)
    return ((w - w.min()) / span).permute(1, 2, 0).numpy()
''', "scale by the largest |w|"),
    ('''import numpy as np


def kernel_to_image(w: torch.Tensor) -> np.ndarray:
    """No special case for an all-zero kernel: 0 / 0 is NaN."""
    w = w.detach().cpu().float()
    return (0.5 + w / (2 * w.abs().max())).permute(1, 2, 0).numpy()
''', "if max|w| is 0 there is nothing to divide by"),
]

# ----------------------------------------------------------------------------- Lab 1: features as directions

WRONG["unit_objective"] = [
    ('''def unit_objective(acts: torch.Tensor, channels: list[int], kind: str = "channel") -> torch.Tensor:
    """The centre one row and column too early on an even map: (H - 1) // 2."""
    if kind not in ("channel", "neuron"):
        raise ValueError(f"kind must be 'channel' or 'neuron', got {kind!r}")
    n = acts.shape[0]
    if len(channels) != n:
        raise ValueError(f"{n} batch slots but {len(channels)} channels")
    maps = acts[torch.arange(n), torch.as_tensor(list(channels))]
    if kind == "channel":
        return maps.mean(dim=(1, 2))
    return maps[:, (maps.shape[1] - 1) // 2, (maps.shape[2] - 1) // 2]
''', "maps[:, H // 2, W // 2]"),
    ('''def unit_objective(acts: torch.Tensor, channels: list[int], kind: str = "channel") -> torch.Tensor:
    """The channel objective sums the map instead of averaging it."""
    if kind not in ("channel", "neuron"):
        raise ValueError(f"kind must be 'channel' or 'neuron', got {kind!r}")
    n = acts.shape[0]
    if len(channels) != n:
        raise ValueError(f"{n} batch slots but {len(channels)} channels")
    maps = acts[torch.arange(n), torch.as_tensor(list(channels))]
    if kind == "channel":
        return maps.sum(dim=(1, 2))
    return maps[:, maps.shape[1] // 2, maps.shape[2] // 2]
''', "acts[i, channels[i]].mean() for every slot i"),
    ('''def unit_objective(acts: torch.Tensor, channels: list[int], kind: str = "channel") -> torch.Tensor:
    """acts[:, channels]: every listed channel of every image, not one channel per slot."""
    if kind not in ("channel", "neuron"):
        raise ValueError(f"kind must be 'channel' or 'neuron', got {kind!r}")
    n = acts.shape[0]
    if len(channels) != n:
        raise ValueError(f"{n} batch slots but {len(channels)} channels")
    maps = acts[:, list(channels)]
    if kind == "channel":
        return maps.mean(dim=(1, 2))
    return maps[:, maps.shape[1] // 2, maps.shape[2] // 2]
''', "acts[i, channels[i]].mean() for every slot i"),
]

WRONG["ascend"] = [
    ('''from typing import Callable


def ascend(f: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """Plain gradient ascent: never projected back on to the sphere."""
    norm = x0.norm()
    if float(norm) == 0.0:
        raise ValueError("x0 is all zeros")
    x = (x0 / norm).detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
    return x.detach()
''', "then x = x / x.norm()"),
    ('''from typing import Callable


def ascend(f: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """Starts from x0 itself, not from x0 / |x0|."""
    if float(x0.norm()) == 0.0:
        raise ValueError("x0 is all zeros")
    x = x0.detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
        x = x / x.norm()
    return x.detach()
''', "start from x0 / x0.norm()"),
    ('''from typing import Callable


def ascend(f: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """Gradient descent: the wrong sign."""
    norm = x0.norm()
    if float(norm) == 0.0:
        raise ValueError("x0 is all zeros")
    x = (x0 / norm).detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x - lr * grad
        x = x / x.norm()
    return x.detach()
''', "x = x + lr * grad"),
]

WRONG["diversity_penalty"] = [
    ('''def diversity_penalty(acts: torch.Tensor) -> torch.Tensor:
    """Each image's similarity with itself is counted too."""
    n = acts.shape[0]
    if n < 2:
        raise ValueError(f"diversity needs at least 2 images, got {n}")
    flat = acts.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    return (grams @ grams.T).sum() / n
''', "sum over n of sum over m != n"),
    ('''def diversity_penalty(acts: torch.Tensor) -> torch.Tensor:
    """Compares the activations themselves, not their Gram matrices."""
    n = acts.shape[0]
    if n < 2:
        raise ValueError(f"diversity needs at least 2 images, got {n}")
    flat = F.normalize(acts.flatten(1), dim=1)
    sim = flat @ flat.T
    return (sim.sum() - sim.diagonal().sum()) / n
''', "compare Gram matrices F F^T, not the activations themselves"),
    ('''def diversity_penalty(acts: torch.Tensor) -> torch.Tensor:
    """The mean over pairs: divided by N (N - 1) instead of N."""
    n = acts.shape[0]
    if n < 2:
        raise ValueError(f"diversity needs at least 2 images, got {n}")
    flat = acts.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    sim = grams @ grams.T
    return (sim.sum() - sim.diagonal().sum()) / (n * (n - 1))
''', "divided by N"),
]

WRONG["receptive_field"] = [
    ('''def receptive_field_of(ops: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """Multiplies the jump first, then grows the size with the NEW jump."""
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError(f"kernel and stride must be >= 1, got kernel {kernel}, stride {stride}")
        jump *= stride
        size += (kernel - 1) * jump
        start -= pad * jump
    return size, jump, start


def field_box(field: tuple[int, int, int], row: int, col: int, image_size: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) pixels seen by position (row, col), clipped to the image."""
    size, jump, start = field
    top, left = start + row * jump, start + col * jump

    def clip(v: int) -> int:
        return max(0, min(image_size, v))

    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "with the OLD jump"),
    ('''def receptive_field_of(ops: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """Each layer adds kernel - 1 pixels, whatever the jump."""
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError(f"kernel and stride must be >= 1, got kernel {kernel}, stride {stride}")
        size += kernel - 1
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field: tuple[int, int, int], row: int, col: int, image_size: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) pixels seen by position (row, col), clipped to the image."""
    size, jump, start = field
    top, left = start + row * jump, start + col * jump

    def clip(v: int) -> int:
        return max(0, min(image_size, v))

    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "size += (k - 1) * jump"),
    ('''def receptive_field_of(ops: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """(size, jump, start) after a stack of (kernel, stride, padding_before) layers."""
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError(f"kernel and stride must be >= 1, got kernel {kernel}, stride {stride}")
        size += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field: tuple[int, int, int], row: int, col: int, image_size: int) -> tuple[int, int, int, int]:
    """Not clipped to the image."""
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    return top, left, top + size, left + size
''', "clip every edge to [0, image_size]"),
]

WRONG["concepts"] = [
    ('''import math


def concept_counts(labels: list[str], concept_of: dict[str, str]) -> dict[str, int]:
    """How many labels fall in each concept; unknown labels count as 'other'."""
    counts: dict[str, int] = {}
    for label in labels:
        concept = concept_of.get(label, "other")
        counts[concept] = counts.get(concept, 0) + 1
    return counts


def concept_entropy(counts: dict[str, int]) -> float:
    """'other' is left in the shares."""
    named = [n for n in counts.values() if n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log2(n / total) for n in named))
''', "leave 'other' out before computing shares"),
    ('''import math


def concept_counts(labels: list[str], concept_of: dict[str, str]) -> dict[str, int]:
    """How many labels fall in each concept; unknown labels count as 'other'."""
    counts: dict[str, int] = {}
    for label in labels:
        concept = concept_of.get(label, "other")
        counts[concept] = counts.get(concept, 0) + 1
    return counts


def concept_entropy(counts: dict[str, int]) -> float:
    """In nats: math.log instead of math.log2."""
    named = [n for c, n in counts.items() if c != "other" and n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log(n / total) for n in named))
''', "use math.log2"),
    ('''import math


def concept_counts(labels: list[str], concept_of: dict[str, str]) -> dict[str, int]:
    """Unknown labels are dropped instead of counted as 'other'."""
    counts: dict[str, int] = {}
    for label in labels:
        if label in concept_of:
            counts[concept_of[label]] = counts.get(concept_of[label], 0) + 1
    return counts


def concept_entropy(counts: dict[str, int]) -> float:
    """Entropy in bits of the named concepts' shares ('other' left out); 0.0 if none."""
    named = [n for c, n in counts.items() if c != "other" and n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log2(n / total) for n in named))
''', "concept_of.get(label, 'other')"),
]

# ----------------------------------------------------------------------------- Lab 2: curve detectors

_CORNER = '''import math


def rounded_corner_distance(x: torch.Tensor, y: torch.Tensor, orientation_deg: float, radius: float,
                            angular_width: float = 90.0) -> torch.Tensor:
    """Distance from each point (x, y) (pixels, y up) to a rounded corner whose apex is at the origin."""
    theta = @THETA@
    c, s = math.cos(theta), math.sin(theta)
    cx, cy = -radius * c, -radius * s
    u = (x - cx) * c + (y - cy) * s
    v = (-(x - cx) * s + (y - cy) * c).abs()
    beta = math.radians(angular_width / 2)
    cb, sb = math.cos(beta), math.sin(beta)
    in_wedge = u * sb - v * cb >= 0
    d_arc = (torch.hypot(u, v) - radius).abs()
    qu, qv = u - radius * cb, v - radius * sb
    t = @T@
    d_arm = torch.hypot(qu + t * sb, qv - t * cb)
    return @RESULT@
'''


def _corner(theta: str = "math.radians(orientation_deg)", t: str = "(-qu * sb + qv * cb).clamp(min=0)",
            result: str = "torch.where(in_wedge, d_arc, d_arm)") -> str:
    return _CORNER.replace("@THETA@", theta).replace("@T@", t).replace("@RESULT@", result)


WRONG["rounded_corner_distance"] = [
    (_corner(theta="orientation_deg  # degrees used as radians"), "theta = math.radians(orientation_deg)"),
    (_corner(result="d_arc  # the whole circle, no arms"), "outside the wedge: distance to the ray e + t d, t >= 0"),
    (_CORNER.replace("cx, cy = -radius * c, -radius * s", "cx, cy = radius * c, radius * s  # the centre in front of the apex")
     .replace("@THETA@", "math.radians(orientation_deg)").replace("@T@", "(-qu * sb + qv * cb).clamp(min=0)")
     .replace("@RESULT@", "torch.where(in_wedge, d_arc, d_arm)"), "c = -r (cos theta, sin theta)"),
]

_FWHM = '''def fwhm(response) -> float:
    """Full width (degrees) at half maximum of the peak's lobe; samples at i * 360 / n, wrapping around."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
    i = int(torch.argmax(r))
    peak = float(r[i])
    if peak <= 0:
        raise ValueError(f"the peak response is {peak:g} <= 0: a silent unit has no width")
    level = peak / 2
    if bool((r >= level).all()):
        return 360.0
    def reach(direction: int) -> float:
        k = 0
        while float(r[(i + direction * (k + 1)) % n]) >= level:
            k += 1
        inside, outside = float(r[(i + direction * k) % n]), float(r[(i + direction * (k + 1)) % n])
        return @FRACTION@
    return min(360.0, (reach(+1) + reach(-1))@SCALE@
'''

WRONG["fwhm"] = [
    ('''def fwhm(response) -> float:
    """Counts the samples at or above half maximum (no interpolation)."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    peak = float(r.max())
    if peak <= 0:
        raise ValueError(f"the peak response is {peak:g} <= 0: a silent unit has no width")
    return float((r >= peak / 2).sum()) * 360.0 / len(r)
''', "interpolate each crossing linearly"),
    (_FWHM.replace("@FRACTION@", "k + (inside - level) / (inside - outside)").replace("@SCALE@", ")  # in samples"),
     "multiply by 360 / n"),
    (_FWHM.replace("@FRACTION@", "k + (level - outside) / (inside - outside)  # measured from the wrong sample")
     .replace("@SCALE@", " * 360.0 / n)"), "interpolate each crossing linearly"),
]

WRONG["orientation_order"] = [
    ('''def orientation_order(radial: dict[str, list[float]]) -> tuple[list[int], list[float]]:
    """Keeps the keys as strings."""
    peaks = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64)
        peaks[key] = float(torch.argmax(v)) * 360.0 / len(v)
    units = sorted(peaks, key=peaks.get)
    angles = [peaks[u] for u in units]
    gaps = [angles[i + 1] - angles[i] for i in range(len(angles) - 1)] + [angles[0] + 360.0 - angles[-1]]
    return units, gaps
''', "keys become ints"),
    ('''def orientation_order(radial: dict[str, list[float]]) -> tuple[list[int], list[float]]:
    """No gap from the last unit round to the first."""
    peaks = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64)
        peaks[int(key)] = float(torch.argmax(v)) * 360.0 / len(v)
    units = sorted(peaks, key=peaks.get)
    angles = [peaks[u] for u in units]
    gaps = [angles[i + 1] - angles[i] for i in range(len(angles) - 1)]
    return units, gaps
''', "the last gap goes from the last unit round to the first"),
    ('''def orientation_order(radial: dict[str, list[float]]) -> tuple[list[int], list[float]]:
    """Sorted by unit number instead of by peak angle."""
    peaks = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64)
        peaks[int(key)] = float(torch.argmax(v)) * 360.0 / len(v)
    units = sorted(peaks)
    angles = [peaks[u] for u in units]
    gaps = [angles[i + 1] - angles[i] for i in range(len(angles) - 1)] + [angles[0] + 360.0 - angles[-1]]
    return units, gaps
''', "sort by peak angle"),
]

_ECHO = '''def echo_ratio(response, window: float = 45.0) -> float:
    """Largest response within +-window degrees of (peak + 180 degrees), divided by the peak."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
    i = int(torch.argmax(r))
    if r[i] <= 0:
        raise ValueError("the peak response is <= 0: a silent unit has no echo")
    angles = torch.arange(n, dtype=torch.float64) * 360.0 / n
    opposite = angles[i] + 180.0
    dist = @DIST@
    near = @NEAR@
    return float(r[near].max() / r[i])
'''

WRONG["echo_ratio"] = [
    ('''def echo_ratio(response, window: float = 45.0) -> float:
    """Only the one sample exactly opposite the peak: no window."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
    i = int(torch.argmax(r))
    if r[i] <= 0:
        raise ValueError("the peak response is <= 0: a silent unit has no echo")
    return float(r[(i + n // 2) % n] / r[i])
''', "circular distance to peak + 180 <= window"),
    (_ECHO.replace("@DIST@", "torch.remainder(angles - opposite, 360.0)  # only the angles past the opposite one")
     .replace("@NEAR@", "dist.abs() <= window + 1e-9"), "the distance round the circle, either way"),
    (_ECHO.replace("@DIST@", "torch.remainder(angles - opposite + 180.0, 360.0) - 180.0")
     .replace("@NEAR@", "dist.abs() < window  # the window's edge left out"), "the window is inclusive"),
]

WRONG["ev_shares"] = [
    ('''def ev_shares(bins, heights) -> torch.Tensor:
    """Negative activations count too."""
    x = torch.as_tensor(bins, dtype=torch.float64)
    h = torch.as_tensor(heights, dtype=torch.float64)
    contrib = (h * x[None, :]).sum(dim=1)
    return contrib / contrib.sum()
''', "weight each bin by max(x, 0)"),
    ('''def ev_shares(bins, heights) -> torch.Tensor:
    """Not normalised: expected values, not shares."""
    x = torch.as_tensor(bins, dtype=torch.float64)
    h = torch.as_tensor(heights, dtype=torch.float64)
    return (h * x.clamp(min=0)[None, :]).sum(dim=1)
''', "then normalise"),
    ('''def ev_shares(bins, heights) -> torch.Tensor:
    """Counts the positive bins' heights, not weighted by the activation x."""
    x = torch.as_tensor(bins, dtype=torch.float64)
    h = torch.as_tensor(heights, dtype=torch.float64)
    contrib = (h * (x > 0).double()[None, :]).sum(dim=1)
    return contrib / contrib.sum()
''', "weight each bin by max(x, 0)"),
]

_JOINT = '''def joint_tuning(responses) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Mean family responses to turned images, each unit scaled to its own peak; winner per angle; handover order."""
    r = torch.as_tensor(responses, dtype=torch.float64)
    if r.ndim != 3:
        raise ValueError(f"responses must be (images, angles, units), got shape {tuple(r.shape)}")
    mean = r.mean(dim=0)
    peak = @PEAK@
    fires = peak > 0
    curves = torch.where(fires, mean / torch.where(fires, peak, torch.ones_like(peak)), torch.zeros_like(mean))
    best, index = curves.max(dim=1)
    winners = @WINNERS@
    order: list[int] = []
    for w in winners.tolist():
        if w >= 0 and (not order or order[-1] != w):
            order.append(w)
@CLOSE@    return curves, winners, order
'''
_CLOSE = '''    if len(order) > 1 and order[-1] == order[0]:
        order.pop()
'''


def _joint(peak: str = "mean.amax(dim=0)", winners: str = "torch.where(best > 0, index, torch.full_like(index, -1))",
           close: str = _CLOSE) -> str:
    return _JOINT.replace("@PEAK@", peak).replace("@WINNERS@", winners).replace("@CLOSE@", close)


WRONG["joint_tuning"] = [
    (_joint(peak="mean.max().expand(mean.shape[1])  # one peak for the whole family"),
     "mean over images, then / column max"),
    (_joint(close=""), "drop the last entry if the circle closes on the first unit"),
    (_joint(winners="index  # -1 forgotten where nobody fires"), "nobody fires: -1"),
]

# ----------------------------------------------------------------------------- Lab 3: high-low frequency detectors

_TWO_REGION = '''from shared_utils.stimuli import pixel_coords


def two_region(orientations, size: int = 64, high_period: float = 4.0, low_period: float = 24.0,
               contrast: float = 1.0) -> torch.Tensor:
    """(N, 3, size, size) grey images: a high-frequency plaid on the side the orientation points to, low on the other."""
    x, y = pixel_coords(size, dtype=torch.float64)
    y = @Y@
    theta = @THETA@
    u = x * torch.cos(theta) + y * torch.sin(theta)
    v = -x * torch.sin(theta) + y * torch.cos(theta)
    def plaid(period: float) -> torch.Tensor:
        k = 2 * torch.pi / period
        return torch.cos(k * u) + torch.cos(k * v)
    hi, lo = plaid(high_period), plaid(low_period)
    alpha = (0.5 + u).clamp(0.0, 1.0)
    grey = @GREY@
    return grey.unsqueeze(1).expand(-1, 3, -1, -1).float()
'''


def _two_region(y: str = "y", theta: str = "torch.deg2rad(torch.as_tensor(orientations, dtype=torch.float64).reshape(-1, 1, 1))",
                grey: str = "(0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))).clamp(0.0, 1.0)") -> str:
    return _TWO_REGION.replace("@Y@", y).replace("@THETA@", theta).replace("@GREY@", grey)


WRONG["two_region"] = [
    (_two_region(theta="torch.as_tensor(orientations, dtype=torch.float64).reshape(-1, 1, 1)  # degrees as radians"),
     "torch.deg2rad"),
    (_two_region(grey="0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))  # not clamped"),
     "clamp the grey level to [0, 1] at the end"),
    (_two_region(y="-y  # y pointing down, like the row index"), "at 90 degrees u = y, which grows upwards"),
]

_DIRECTION = '''def preferred_direction(angles_deg, response) -> float:
    """Direction (degrees in [0, 360)) of the response-weighted vector sum of the angles; negatives count as 0."""
    a = torch.deg2rad(torch.as_tensor(angles_deg, dtype=torch.float64).flatten())
    r = torch.as_tensor(response, dtype=torch.float64).flatten()@CLAMP@
    if not bool((r > 0).any()):
        raise ValueError("no positive response: a silent unit has no preferred direction")
    sy, sx = float((r * torch.sin(a)).sum()), float((r * torch.cos(a)).sum())
    return @RESULT@


def direction_selectivity(angles_deg, response) -> float:
    """|response-weighted vector sum of the angles| / summed response, in [0, 1]; negatives count as 0."""
    a = torch.deg2rad(torch.as_tensor(angles_deg, dtype=torch.float64).flatten())
    r = torch.as_tensor(response, dtype=torch.float64).flatten().clamp(min=0)
    if not bool((r > 0).any()):
        raise ValueError("no positive response: a silent unit has no preferred direction")
    return float(torch.hypot((r * torch.sin(a)).sum(), (r * torch.cos(a)).sum()) / r.sum())
'''


def _direction(clamp: str = ".clamp(min=0)", result: str = "math.degrees(math.atan2(sy, sx)) % 360.0") -> str:
    return "import math\n\n\n" + _DIRECTION.replace("@CLAMP@", clamp).replace("@RESULT@", result)


WRONG["preferred_direction"] = [
    (_direction(result="math.degrees(math.atan2(sy, sx))  # in (-180, 180]"), "wrap the result into [0, 360)"),
    (_direction(result="math.degrees(math.atan(sy / sx)) % 360.0  # atan: only half the circle"),
     "atan2, not atan"),
    (_direction(clamp="  # negatives not set to 0"), "clamp(min=0)"),
]

WRONG["factor_overlap"] = [
    ('''def factor_overlap(channel: torch.Tensor, reference: list[set[int]], k: int = 5) -> torch.Tensor:
    """The k smallest entries: argsort's default order."""
    top = torch.as_tensor(channel).argsort(dim=1)[:, :k]
    out = torch.zeros(top.shape[0], len(reference), dtype=torch.long)
    for f in range(top.shape[0]):
        chosen = set(top[f].tolist())
        for r, ref in enumerate(reference):
            out[f, r] = len(chosen & set(ref))
    return out
''', "the k largest entries of each row"),
    ('''def factor_overlap(channel: torch.Tensor, reference: list[set[int]], k: int = 5) -> torch.Tensor:
    """topk down the wrong axis: over the factors, for each channel."""
    top = torch.as_tensor(channel).topk(k, dim=0).indices.T
    out = torch.zeros(channel.shape[0], len(reference), dtype=torch.long)
    for f in range(channel.shape[0]):
        chosen = set(top[f].tolist())
        for r, ref in enumerate(reference):
            out[f, r] = len(chosen & set(ref))
    return out
''', "factor 0's top 2 are {0, 1}"),
    ('''def factor_overlap(channel: torch.Tensor, reference: list[set[int]], k: int = 5) -> torch.Tensor:
    """Counts in a float tensor."""
    top = torch.as_tensor(channel).topk(k, dim=1).indices
    out = torch.zeros(top.shape[0], len(reference))
    for f in range(top.shape[0]):
        chosen = set(top[f].tolist())
        for r, ref in enumerate(reference):
            out[f, r] = len(chosen & set(ref))
    return out
''', "a torch.long tensor"),
]

_SIDE = '''def side_kernel(size: int, direction_deg: float) -> torch.Tensor:
    """(size, size): clamp(x cos + y sin, -1, 1) inside the disc of radius size / 2, else 0 (y up)."""
    x, y = pixel_coords(size, dtype=torch.float64)
    y = @Y@
    theta = torch.deg2rad(torch.tensor(float(direction_deg), dtype=torch.float64))
    u = @U@
    return @RESULT@.float()
'''


def _side(y: str = "y", u: str = "(x * torch.cos(theta) + y * torch.sin(theta)).clamp(-1.0, 1.0)",
          result: str = "torch.where(torch.hypot(x, y) <= size / 2, u, torch.zeros_like(u))") -> str:
    return _SIDE.replace("@Y@", y).replace("@U@", u).replace("@RESULT@", result)


WRONG["side_kernel"] = [
    (_side(y="-y  # y pointing down, like the row index"), "y points up: row 0 is the top"),
    (_side(u="x * torch.cos(theta) + y * torch.sin(theta)  # not clamped"), "clamp x cos + y sin to [-1, 1]"),
    (_side(result="u"), "zero where hypot(x, y) > size / 2"),  # no disc
]

# ----------------------------------------------------------------------------- Lab 4: the curve circuit

_EXPAND_CHECKS = '''    if w_bottleneck.ndim != 4 or tuple(w_bottleneck.shape[-2:]) != (1, 1):
        raise ValueError(f"the bottleneck must be (mid, in, 1, 1), got {tuple(w_bottleneck.shape)}")
    if w_conv.ndim != 4 or w_conv.shape[1] != w_bottleneck.shape[0]:
        raise ValueError(f"w_conv reads {w_conv.shape[1]} channels but the bottleneck has {w_bottleneck.shape[0]}")
'''

WRONG["expand_through_bottleneck"] = [
    ('''def expand_through_bottleneck(w_bottleneck: torch.Tensor, w_conv: torch.Tensor) -> torch.Tensor:
    """In and out swapped: (in, out, k, k)."""
''' + _EXPAND_CHECKS + '''    return torch.einsum("omab,mi->ioab", w_conv, w_bottleneck[:, :, 0, 0])
''', "return (out, in, k, k)"),
    ('''def expand_through_bottleneck(w_bottleneck: torch.Tensor, w_conv: torch.Tensor) -> torch.Tensor:
    """No check of the bottleneck's shape: a 3x3 one is read at its top-left weight."""
    return torch.einsum("omab,mi->oiab", w_conv, w_bottleneck[:, :, 0, 0])
''', "the bottleneck must be (mid, in, 1, 1)"),
    ('''def expand_through_bottleneck(w_bottleneck: torch.Tensor, w_conv: torch.Tensor) -> torch.Tensor:
    """A matrix product, then reshape where a permute was needed."""
''' + _EXPAND_CHECKS + '''    out, mid, k, _ = w_conv.shape
    prod = w_conv.permute(0, 2, 3, 1) @ w_bottleneck[:, :, 0, 0]  # (out, k, k, in)
    return prod.reshape(out, -1, k, k)
''', "sum over the bottleneck channel m"),
]

_PEAK = '''def peak_angles(radial: dict[str, list[float]]) -> dict[int, float]:
    """Angle (degrees) of each unit's peak, refined by a parabola through the largest sample and its neighbours."""
    out = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64).flatten()
        n = len(v)
        i = int(torch.argmax(v))
        y_minus, y0, y_plus = float(v[(i - 1) % n]), float(v[i]), float(v[(i + 1) % n])
        curvature = y_minus - 2 * y0 + y_plus
        delta = @DELTA@
        out[int(key)] = @ANGLE@
    return out
'''


def _peak(delta: str = "0.5 * (y_minus - y_plus) / curvature if curvature < 0 else 0.0",
          angle: str = "float(((i + delta) * 360.0 / n) % 360.0)") -> str:
    return _PEAK.replace("@DELTA@", delta).replace("@ANGLE@", angle)


WRONG["peak_angles"] = [
    (_peak(delta="0.0  # the largest sample, not refined"), "the vertex is at x = -b / 2a"),
    (_peak(angle="float((i + delta) * 360.0 / n)  # not modulo 360"), "-7.5 degrees is 352.5 modulo 360"),
    (_peak(delta="0.5 * (y_plus - y_minus) / curvature if curvature < 0 else 0.0  # the wrong sign"),
     "the vertex is at x = -b / 2a"),
]

_OFFSET = '''def offset_profile(summed: torch.Tensor, src_deg, dst_deg, bin_width: float = 15.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean summed weight per orientation offset (dst - src) bin; nan where a bin is empty."""
    summed = torch.as_tensor(summed, dtype=torch.float64)
    src = torch.as_tensor(src_deg, dtype=torch.float64)
    dst = torch.as_tensor(dst_deg, dtype=torch.float64)
    n_bins = int(round(360.0 / bin_width))
    offset = @OFFSET@
    k = torch.remainder(@BIN@, n_bins).flatten()
    totals = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, k, summed.flatten())
    counts = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, k, torch.ones_like(summed.flatten()))
    means = @MEANS@
    return torch.arange(n_bins, dtype=torch.float64) * bin_width, means
'''


def _offset(offset: str = "torch.remainder(dst[:, None] - src[None, :], 360.0)",
            bin_: str = "torch.round(offset / bin_width).long()",
            means: str = 'torch.where(counts > 0, totals / counts.clamp(min=1), torch.full_like(totals, float("nan")))') -> str:
    return _OFFSET.replace("@OFFSET@", offset).replace("@BIN@", bin_).replace("@MEANS@", means)


WRONG["offset_profile"] = [
    (_offset(offset="torch.remainder(src[None, :] - dst[:, None], 360.0)  # src - dst"), "offset = dst - src"),
    (_offset(means="totals / counts.clamp(min=1)  # empty bins give 0"), "an empty bin has no mean: nan"),
    (_offset(bin_="(offset / bin_width).long()"), "round to the nearest bin"),  # truncated, not rounded
]

_ECHO180 = '''def echo_at_180(response) -> float:
    """Response 180 degrees from the (first) peak, divided by the peak; nan for a silent unit."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
@ODD@    i = int(torch.argmax(r))
@SILENT@    return @RESULT@
'''


def _echo180(odd: str = "    if n % 2:\n        raise ValueError(f\"need an even number of angles; got {n}\")\n",
             silent: str = "    if r[i] <= 0:\n        return float(\"nan\")\n",
             result: str = "float(r[(i + n // 2) % n] / r[i])") -> str:
    return _ECHO180.replace("@ODD@", odd).replace("@SILENT@", silent).replace("@RESULT@", result)


WRONG["echo_at_180"] = [
    (_echo180(result="float(r[(i + n // 2) % n])  # not divided by the peak"), "divide by the peak"),
    (_echo180(odd=""), "180 degrees is then not a sample"),
    (_echo180(silent="    if r[i] == 0:\n        return float(\"nan\")\n"), "a peak <= 0"),
]

_RESTRICT = '''def restrict_inputs(w: torch.Tensor, keep: list[int], positive_only: bool = False) -> torch.Tensor:
    """A copy of w (n_dst, n_src, k, k) keeping only source columns `keep` (and only positive weights)."""
@BODY@'''

WRONG["restrict_inputs"] = [
    (_RESTRICT.replace("@BODY@", '''    drop = [j for j in range(w.shape[1]) if j not in keep]  # changes w itself
    w[:, drop] = 0
    return w.clamp(min=0) if positive_only else w
'''), "build a new tensor"),
    (_RESTRICT.replace("@BODY@", '''    out = torch.zeros_like(w)
    cols = torch.as_tensor(list(keep), dtype=torch.long)
    kept = w[:, cols]
    out[:, cols] = kept.abs() if positive_only else kept  # |w| instead of dropping the negative weights
    return out
'''), "not their absolute value"),
    (_RESTRICT.replace("@BODY@", '''    out = w.clone()
    out[:, list(keep)] = 0  # the kept columns are the ones zeroed
    return out.clamp(min=0) if positive_only else out
'''), "every other column becomes 0"),
]

# ----------------------------------------------------------------------------- Lab 5: dogs and cars

_XOR = '''def xor_pattern(summed: torch.Tensor, src_sides: list[str], dst_sides: list[str]) -> tuple[float, float]:
    """(fraction of same-side pairs > 0, fraction of cross-side pairs < 0)."""
    summed = torch.as_tensor(summed, dtype=torch.float64)
@VALIDATE@    src = torch.tensor([s == "L" for s in src_sides])
    dst = torch.tensor([s == "L" for s in dst_sides])
    same = dst[:, None] == src[None, :]
    same_pos = @SAME@
    cross_neg = @CROSS@
    return same_pos, cross_neg
'''
_XOR_VALIDATE = '''    if summed.shape != (len(dst_sides), len(src_sides)):
        raise ValueError(f"summed is {tuple(summed.shape)} but there are {len(dst_sides)} destination "
                         f"and {len(src_sides)} source sides")
    if any(s not in ("L", "R") for s in list(src_sides) + list(dst_sides)):
        raise ValueError("every side must be 'L' or 'R'")
'''


def _xor(validate: str = _XOR_VALIDATE,
         same: str = 'float((summed[same] > 0).double().mean()) if same.any() else float("nan")',
         cross: str = 'float((summed[~same] < 0).double().mean()) if (~same).any() else float("nan")') -> str:
    return _XOR.replace("@VALIDATE@", validate).replace("@SAME@", same).replace("@CROSS@", cross)


WRONG["xor_pattern"] = [
    (_xor(same="float((summed[same] > 0).sum()) / summed.numel()", cross="float((summed[~same] < 0).sum()) / summed.numel()"),
     "each fraction is over its own group of pairs"),
    (_xor(cross='float((summed[~same] > 0).double().mean()) if (~same).any() else float("nan")'),
     "count summed > 0 there, summed < 0 elsewhere"),
    (_xor(validate=""), "wrong number of sides"),
]

_MIRROR = '''def mirror_similarity(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(cosine(flip_lr(a), b), cosine(a, b)) for two (k, k) kernels."""
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if not a.any() or not b.any():
        raise ValueError("a kernel is all zeros: its direction (and so the cosine) is undefined")
    def cos(x: torch.Tensor, y: torch.Tensor) -> float:
        return @COS@
    return @RESULT@
'''


def _mirror(cos: str = "float((x * y).sum() / (x.norm() * y.norm()))",
            result: str = "cos(torch.flip(a, dims=[-1]), b), cos(a, b)") -> str:
    return _MIRROR.replace("@COS@", cos).replace("@RESULT@", result)


WRONG["mirror_similarity"] = [
    (_mirror(result="cos(torch.flip(a, dims=[-2]), b), cos(a, b)"), "flip the columns (torch.flip(a, dims=[-1]))"),
    (_mirror(cos="float((x * y).sum())"), "cosine = <x, y> / (|x| |y|)"),
    (_mirror(result="cos(a, b), cos(torch.flip(a, dims=[-1]), b)"), "the mirrored cosine first"),
]

_VCENTRE = '''def vertical_centre(kernel: torch.Tensor, sign: int = 1) -> float:
    """Row centre of mass of the positive (sign=1) or negative (sign=-1) weight, minus the middle row."""
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1, got {sign!r}")
    k = torch.as_tensor(kernel, dtype=torch.float64)
    mass = @MASS@
    total = mass.sum()
    if total <= 0:
        raise ValueError(f"the kernel has no {'positive' if sign == 1 else 'negative'} weight")
    rows = torch.arange(len(mass), dtype=torch.float64)
    return @RESULT@
'''


def _vcentre(mass: str = "(sign * k).clamp(min=0).sum(dim=-1)",
             result: str = "float((rows * mass).sum() / total - (k.shape[-2] - 1) / 2)") -> str:
    return _VCENTRE.replace("@MASS@", mass).replace("@RESULT@", result)


WRONG["vertical_centre"] = [
    (_vcentre(result="float((rows * mass).sum() / total)  # the middle row not subtracted"),
     "subtract the middle row (k - 1) / 2"),
    (_vcentre(mass="k.clamp(min=0).sum(dim=-1)  # sign ignored"), "for sign=-1 use the negative weights"),
    (_vcentre(mass="(sign * k).clamp(min=0).sum(dim=-2)  # one mass per column"), "sum over the columns, dim=-1"),
]

_RANK = '''def rank_and_margin(values: torch.Tensor, index: int) -> tuple[int, float]:
    """(1-based rank of values[index] from the top, (values[index] - median) / MAD)."""
    v = torch.as_tensor(values, dtype=torch.float64).flatten()
    med = torch.median(v)
    mad = @MAD@
    if mad <= 0:
        raise ValueError("the median absolute deviation is 0: a margin in MADs is undefined")
    rank = @RANK@
    return rank, float((v[index] - med) / mad)
'''


def _rank(mad: str = "torch.median((v - med).abs())", rank: str = "int((v > v[index]).sum()) + 1") -> str:
    return _RANK.replace("@MAD@", mad).replace("@RANK@", rank)


WRONG["rank_and_margin"] = [
    (_rank(rank="int((v > v[index]).sum())  # 0-based"), "the largest has rank 1"),
    (_rank(mad="v.std()  # the standard deviation, not the MAD"), "not the standard deviation"),
    (_rank(rank="int((v < v[index]).sum()) + 1  # counted from the bottom"), "the largest has rank 1"),
]

_OVERLAP = '''def max_overlap(vectors: torch.Tensor) -> float:
    """Largest |cosine similarity| between two different rows of an (n, d) tensor."""
    v = torch.as_tensor(vectors, dtype=torch.float64)
    if v.ndim != 2 or v.shape[0] < 2:
        raise ValueError(f"need an (n, d) tensor with n >= 2, got shape {tuple(v.shape)}")
    norms = v.norm(dim=1)
    if bool((norms == 0).any()):
        raise ValueError("a row is all zeros: its direction is undefined")
    u = @UNIT@
    cos = @COS@
@DIAG@    return float(cos.max())
'''


def _overlap(unit: str = "v / norms[:, None]", cos: str = "(u @ u.T).abs()", diag: str = "    cos.fill_diagonal_(0.0)\n") -> str:
    return _OVERLAP.replace("@UNIT@", unit).replace("@COS@", cos).replace("@DIAG@", diag)


WRONG["max_overlap"] = [
    (_overlap(diag=""), "ignore each row's similarity with itself"),
    (_overlap(cos="u @ u.T  # signed"), "take |cosine|"),
    (_overlap(unit="v  # not normalised"), "cosine, not the dot product"),
]

_ABLATION = '''from shared_utils.activations import capture_units


def ablation_drop(model, images01: torch.Tensor, layer: str, channels, unit: str) -> float:
    """Relative drop of unit's mean response (spatial max) when channels of layer are zeroed by a forward hook."""
    def responses() -> torch.Tensor:
        with torch.no_grad():
            return capture_units(model, images01, [unit], reduce="@REDUCE@")[:, 0]
    intact = responses()
    if float(intact.mean()) <= 0:
        raise ValueError(f"{unit} does not fire on these images: a relative drop is undefined")
    index = torch.as_tensor(list(channels), dtype=torch.long)
    def zero_channels(_module, _inputs, output):
        out = output.clone()
        out[:, index.to(out.device)] = 0.0
        return out
    handle = dict(model.named_modules())[layer].register_forward_hook(zero_channels)
    try:
        ablated = responses()
    finally:
        handle.remove()
    return @RESULT@
'''


def _ablation(reduce: str = "max", result: str = "1.0 - float(ablated.mean()) / float(intact.mean())") -> str:
    return _ABLATION.replace("@REDUCE@", reduce).replace("@RESULT@", result)


WRONG["ablation_drop"] = [
    (_ablation(result="float(intact.mean()) - float(ablated.mean())  # absolute, not relative"),
     "1 - mean(ablated) / mean(intact)"),
    (_ablation(result="float((1.0 - ablated / intact).mean())  # the mean of each image's drop"),
     "1 - mean(ablated) / mean(intact)"),
    (_ablation(reduce="center"), "the unit's spatial max"),  # the centre position instead
]

# ----------------------------------------------------------------------------- Lab 6: branch specialization

_CROSSTAB = '''def branch_crosstab(families: dict[str, tuple[int, ...]], layer: str) -> torch.Tensor:
    """(families, 4) counts of each family's units in the branches 1x1, 3x3, 5x5, pool_reduce."""
    info = LAYERS[layer]
    table = torch.zeros(len(families), len(BRANCHES)@DTYPE@)
    for i, units in enumerate(families.values()):
        for u in units:
@RANGE@            for j, branch in enumerate(BRANCHES):
                start, stop = info.branches[branch]
                if @INSIDE@:
                    table[i, j] += 1
    return table
'''
_CROSSTAB_RANGE = '''            if not 0 <= u < info.channels:
                raise IndexError(f"{layer} has {info.channels} channels; got channel {u}")
'''


def _crosstab(dtype: str = ", dtype=torch.long", range_: str = _CROSSTAB_RANGE, inside: str = "start <= u < stop") -> str:
    return _CROSSTAB.replace("@DTYPE@", dtype).replace("@RANGE@", range_).replace("@INSIDE@", inside)


WRONG["branch_crosstab"] = [
    (_crosstab(inside="start <= u <= stop"), "the end of each range is not in the branch"),
    (_crosstab(range_=""), "mixed3a has 256 channels: 0..255"),
    (_crosstab(dtype=""), "dtype is torch.long"),
]

_P_ALL_CHECK = '''    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError(f"need 0 <= n <= N and 0 <= k <= N; got k={k}, n={n}, N={N}")
'''

WRONG["p_all_in_branch"] = [
    ('''def p_all_in_branch(k: int, n: int, N: int) -> float:
    """With replacement: (n / N) ** k."""
''' + _P_ALL_CHECK + '''    return (n / N) ** k
''', "without replacement"),
    ('''def p_all_in_branch(k: int, n: int, N: int) -> float:
    """Draw by draw, but the first draw already counts one unit gone (off by one)."""
''' + _P_ALL_CHECK + '''    p = 1.0
    for i in range(1, k + 1):
        p *= max(n - i, 0) / (N - i)
    return p
''', "a single unit lands in the branch with probability n / N"),
    ('''import math


def p_all_in_branch(k: int, n: int, N: int) -> float:
    """No check of the arguments."""
    return math.comb(n, k) / math.comb(N, k)
''', "need 0 <= n <= N"),
]

WRONG["p_at_least"] = [
    ('''def p_at_least(j: int, k: int, n: int, N: int) -> float:
    """Exactly j, not at least j."""
''' + _P_ALL_CHECK + '''    if not 0 <= j <= min(k, n):
        return 0.0 if j > 0 else 1.0
    return math.comb(n, j) * math.comb(N - n, k - j) / math.comb(N, k)
''', "for every i from j to min(k, n)"),
    ('''def p_at_least(j: int, k: int, n: int, N: int) -> float:
    """More than j: the sum starts one too late."""
''' + _P_ALL_CHECK + '''    top = sum(math.comb(n, i) * math.comb(N - n, k - i) for i in range(max(j, 0) + 1, min(k, n) + 1))
    return top / math.comb(N, k)
''', "for every i from j to min(k, n)"),
    ('''def p_at_least(j: int, k: int, n: int, N: int) -> float:
    """A binomial: draws with replacement."""
''' + _P_ALL_CHECK + '''    p = n / N
    return float(sum(math.comb(k, i) * p**i * (1 - p) ** (k - i) for i in range(max(j, 0), k + 1)))
''', "without replacement"),
]

_SIMULATE = '''def simulate_counts(k: int, n: int, N: int, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(trials,) counts of how many of k distinct random channels out of N are < n."""
    picks = @PICKS@
    return (@COUNT@).sum(dim=1).long()
'''


def _simulate(picks: str = "torch.rand(trials, N, generator=generator).argsort(dim=1)[:, :k]", count: str = "picks < n") -> str:
    return _SIMULATE.replace("@PICKS@", picks).replace("@COUNT@", count)


WRONG["simulate_counts"] = [
    (_simulate(picks="torch.randint(0, N, (trials, k), generator=generator)  # with replacement"),
     "sample without replacement"),
    (_simulate(count="picks <= n"), "counts those below n"),
    (_simulate(picks="torch.rand(trials, N).argsort(dim=1)[:, :k]  # the generator is not used"),
     "pass generator= to every random call"),
]

# ----------------------------------------------------------------------------- Lab 7: SVD of weights

_SVD = '''def svd_of_abs(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(singular values, input-unit singular vectors as columns) of |w|, columns signed to sum >= 0."""
    w = torch.as_tensor(w).detach().double()
    if w.ndim == 4:
        m = @M4@
    elif w.ndim == 2:
        m = @M2@
    else:
        raise ValueError(f"expected (n_out, n_in) or (n_out, n_in, k, k), got shape {tuple(w.shape)}")
    u, s, vh = torch.linalg.svd(m, full_matrices=False)
    v = @V@
    signs = torch.where(v.sum(dim=0) < 0, -1.0, 1.0).to(v.dtype)
    return s, v * signs
'''


def _svd(m4: str = "w.abs().sum(dim=(-2, -1))", m2: str = "w.abs()", v: str = "vh.T") -> str:
    return _SVD.replace("@M4@", m4).replace("@M2@", m2).replace("@V@", v)


WRONG["svd_of_abs"] = [
    (_svd(m4="w.sum(dim=(-2, -1))  # no absolute value", m2="w"), "take the absolute value first"),
    (_svd(v="vh  # rows of Vh used as columns"), "the columns of Vh.T"),
    (_svd(v="u  # the output-unit vectors"), "V has one row per input unit"),
]

_AUC = '''def auc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """P(score of a random positive > score of a random negative), ties counting 1/2."""
    scores, positive = torch.as_tensor(scores).double(), torch.as_tensor(positive).bool()
    pos, neg = @GROUPS@
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError(f"need both groups: got {len(pos)} positives and {len(neg)} negatives")
    diff = pos[:, None] - neg[None, :]
    return @RESULT@
'''


def _auc(groups: str = "scores[positive], scores[~positive]",
         result: str = "float((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean())") -> str:
    return _AUC.replace("@GROUPS@", groups).replace("@RESULT@", result)


WRONG["auc"] = [
    (_auc(result="float((diff > 0).double().mean())  # ties count 0"), "(diff > 0) + 0.5 * (diff == 0)"),
    (_auc(result="float(((diff > 0).double().sum() + 0.5 * (diff == 0).double().sum()) / len(scores))  # per score, not per pair"),
     "average over the n_pos x n_neg pairs"),
    (_auc(groups="scores[~positive], scores[positive]  # the groups swapped"), "a positive scores above a negative"),
]

WRONG["shuffled_copies"] = [
    ('''def shuffled_copies(m: torch.Tensor, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shuffles within each row only."""
    perms = torch.rand(trials, *m.shape, generator=generator).argsort(dim=-1)
    return torch.gather(m.expand(trials, *m.shape), -1, perms)
''', "shuffle all entries, not only within each row"),
    ('''def shuffled_copies(m: torch.Tensor, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One permutation, used for every copy."""
    flat = m.reshape(-1)
    perm = torch.rand(flat.numel(), generator=generator).argsort()
    return flat[perm].reshape(1, *m.shape).repeat(trials, *([1] * m.ndim))
''', "draw a new permutation for every copy"),
    ('''def shuffled_copies(m: torch.Tensor, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draws entries with replacement instead of permuting them."""
    flat = m.reshape(-1)
    picks = torch.randint(0, flat.numel(), (trials, flat.numel()), generator=generator)
    return flat[picks].reshape(trials, *m.shape)
''', "permute the entries, do not draw new values"),
]

_SPECTRUM = '''def spectrum_test(observed: torch.Tensor, null: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-component z-score and one-sided permutation p-value of observed against null spectra."""
    observed, null = torch.as_tensor(observed).double(), torch.as_tensor(null).double()
    z = (observed - null.mean(dim=0)) / @STD@
    p = @P@
    return z, p
'''


def _spectrum(std: str = "null.std(dim=0)",
              p: str = "(1 + (null >= observed).sum(dim=0)).double() / (1 + null.shape[0])") -> str:
    return _SPECTRUM.replace("@STD@", std).replace("@P@", p)


WRONG["spectrum_test"] = [
    (_spectrum(std="null.std(dim=0, unbiased=False)"), "the unbiased (N - 1) standard deviation"),
    (_spectrum(p="(null >= observed).double().mean(dim=0)  # no + 1"), "(1 + #null >= observed) / (1 + T)"),
    (_spectrum(p="(1 + (null > observed).sum(dim=0)).double() / (1 + null.shape[0])  # ties left out"),
     "ties count as >="),
]

# ----------------------------------------------------------------------------- Lab 8: reverse-engineering a curve detector

_LINE = '''def line_kernel(angle: float, size: int = 7, sigma: float = 1.0, length: float = 2.0) -> torch.Tensor:
    """An oriented line detector: bar along ``angle`` degrees, negative flanks, zero mean."""
    c = (size - 1) / 2
    ax = torch.arange(size, dtype=torch.float64) - c
    y, x = torch.meshgrid(@GRID@, ax, indexing="ij")
    a = np.deg2rad(angle)
    u = x * np.cos(a) + y * np.sin(a)
    v = -x * np.sin(a) + y * np.cos(a)
    @UV@
    k = (1 - v**2 / sigma**2) * torch.exp(-(v**2) / (2 * sigma**2)) * torch.exp(-(u**2) / (2 * length**2))
    return @RESULT@.float()
'''


def _line(grid: str = "-ax", uv: str = "", result: str = "(k - k.mean())") -> str:
    return _LINE.replace("@GRID@", grid).replace("@UV@", uv).replace("@RESULT@", result)


WRONG["line_kernel"] = [
    (_line(uv="u, v = v, u  # along and across swapped"), "v is the distance ACROSS the line"),
    (_line(result="k"), "subtract the mean of all entries"),  # the mean left in
    (_line(grid="ax"), "angles are counter-clockwise with y pointing up"),  # y pointing down
]

_ARC = '''def arc_points(orientation: float, radius: float, span: float = 120.0,
               n: int = 25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Points (x, y) of an arc with its apex at the origin, convex side towards ``orientation``; tangents in [0, 180)."""
    phi = torch.linspace(-span / 2, span / 2, n, dtype=torch.float64)
    theta = np.deg2rad(orientation)
    a = theta + torch.deg2rad(phi)
    x = @X@
    y = @Y@
    tangent = @TANGENT@
    return x, y, tangent
'''


def _arc(x: str = "radius * (torch.cos(a) - np.cos(theta))", y: str = "radius * (torch.sin(a) - np.sin(theta))",
         tangent: str = "torch.remainder(orientation + phi + 90.0, 180.0)") -> str:
    return _ARC.replace("@X@", x).replace("@Y@", y).replace("@TANGENT@", tangent)


WRONG["arc_points"] = [
    (_arc(x="radius * torch.cos(a)", y="radius * torch.sin(a)"), "the circle's centre is at -radius * (cos θ, sin θ)"),
    (_arc(tangent="orientation + phi + 90.0  # not modulo 180"), "a line's orientation is taken modulo 180"),
    (_arc(tangent="torch.remainder(orientation + phi, 180.0)  # the radius's direction, not the tangent's"),
     "perpendicular to the radius"),
]

_EARLY = '''def early_curve_kernel(orientation: float, line_angles, radius: float, size: int, span: float = 120.0, n: int = 25,
                       position_sigma: float = 0.8, kappa: float = 4.0) -> torch.Tensor:
    """Weights (L, size, size) from L line detectors to one early curve: lines along the arc's tangent."""
    c = (size - 1) / 2
    ax = torch.arange(size, dtype=torch.float64) - c
    gy, gx = torch.meshgrid(-ax, ax, indexing="ij")
    px, py, tau = arc_points(orientation, radius, span, n)
    la = torch.as_tensor(line_angles, dtype=torch.float64)
    where = torch.exp(-((gx[None] - px[:, None, None]) ** 2 + (gy[None] - py[:, None, None]) ** 2)
                      / (2 * position_sigma**2))
    match = torch.exp(kappa * (torch.cos(@ANGLE@) - 1))
    w = torch.einsum("ln,nij->lij", match, where)
    return @RESULT@.float()
'''


def _early(angle: str = "torch.deg2rad(2 * (la[:, None] - tau[None]))", result: str = "(w / w.sum())") -> str:
    return _EARLY.replace("@ANGLE@", angle).replace("@RESULT@", result)


WRONG["early_curve_kernel"] = [
    (_early(result="w"), "divide by the total at the end"),  # not normalised
    (_early(angle="torch.deg2rad(la[:, None] - tau[None])"), "lines have period 180"),  # period 360
    (_early(angle="torch.deg2rad(2 * (la[:, None] - tau[None] + 90.0))"), "the tangent at the apex is orientation + 90"),  # across the arc
]

_MIXING = '''def curve_mixing(out_orientations, early_orientations, kappa: float = 6.0, inhibition_power: float = 2.0,
                 beta: float = 1.5) -> torch.Tensor:
    """Weights (n_out, n_early): excitation from similar early curves minus beta x inhibition from opposite ones."""
    out = torch.as_tensor(out_orientations, dtype=torch.float64)
    early = torch.as_tensor(early_orientations, dtype=torch.float64)
    delta = torch.deg2rad(early[None, :] - out[:, None])
    exc = torch.exp(kappa * (torch.cos(delta) - 1))
    inh = @INH@
    return (@RESULT@).float()
'''


def _mixing(inh: str = "torch.relu(-torch.cos(delta)) ** inhibition_power",
            result: str = "exc / exc.sum(1, keepdim=True) - beta * inh / inh.sum(1, keepdim=True)") -> str:
    return _MIXING.replace("@INH@", inh).replace("@RESULT@", result)


WRONG["curve_mixing"] = [
    (_mixing(result="exc - beta * inh"), "normalise E and I over the early family, each row on its own"),
    (_mixing(inh="(-torch.cos(delta)).abs() ** inhibition_power"), "only early curves more than 90 degrees away inhibit"),
    (_mixing(result="exc / exc.sum() - beta * inh / inh.sum()"), "each row on its own"),  # over the whole matrix
]

_TOPK = '''import math


def topk_hits(logits: torch.Tensor, targets: torch.Tensor, k: int = 5) -> torch.Tensor:
    """(N,) bool: is row i's target among its k largest logits?"""
    if not 1 <= k <= logits.shape[1]:
        raise ValueError(f"k must be in 1..{logits.shape[1]}, got {k}")
    @HITS@


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 5) -> float:
    """Fraction of rows whose target is among the k largest logits."""
    return float(topk_hits(logits, targets, k).double().mean())


def paired_difference(logits_a: torch.Tensor, logits_b: torch.Tensor, targets: torch.Tensor,
                      k: int = 5) -> tuple[float, float]:
    """(top-k accuracy of a minus b, its standard error), from the per-photo differences on the same photos."""
    ha, hb_ = topk_hits(logits_a, targets, k).double(), topk_hits(logits_b, targets, k).double()
    d = ha - hb_
    if len(d) < 2:
        raise ValueError(f"need at least two photos for a standard error, got {len(d)}")
    return float(d.mean()), @SE@
'''


def _topk(hits: str = "top = logits.topk(k, dim=1).indices\n    return (top == torch.as_tensor(targets).view(-1, 1)).any(dim=1)",
          se: str = "float(d.std(unbiased=True)) / math.sqrt(len(d))") -> str:
    return _TOPK.replace("@HITS@", hits).replace("@SE@", se)


WRONG["topk_accuracy"] = [
    (_topk(hits="return logits.argmax(dim=1) == torch.as_tensor(targets)  # k ignored: top-1 only"),
     "among the k largest logits: logits.topk(k, dim=1)"),
    (_topk(se="float(d.std(unbiased=False)) / math.sqrt(len(d))"), "the sample standard deviation divides by N - 1"),
    (_topk(se="math.sqrt(float(ha.mean() * (1 - ha.mean()) + hb_.mean() * (1 - hb_.mean())) / len(d))  # unpaired"),
     "d_i = hit_a - hit_b per photo"),
]

# ----------------------------------------------------------------------------- Lab 9: equivariance

_QUARTER = '''def rotate_quarter(w: torch.Tensor, k: int) -> torch.Tensor:
    """``w`` (..., n, n) turned by ``k`` quarter turns counter-clockwise on the screen."""
    out = w
    for _ in range(@TURNS@):
        out = @TURN@
    return out
'''


def _quarter(turns: str = "k % 4", turn: str = "out.transpose(-1, -2).flip(-2)") -> str:
    return _QUARTER.replace("@TURNS@", turns).replace("@TURN@", turn)


WRONG["rotate_quarter"] = [
    (_quarter(turn="out.flip(-2).transpose(-1, -2)  # clockwise"), "counter-clockwise on the screen: right -> up -> left -> down"),
    (_quarter(turns="k"), "-1 is 3 quarter turns"),  # range(-1) is empty
    (_quarter(turns="min(k % 4, 1)"), "turn k % 4 times"),  # one turn whatever k is
]

_FAMILY = '''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    """Mean cosine between each unit's kernel and every other unit's kernel turned by the angle difference."""
@VALIDATE@    vals = []
    for r in range(W.shape[0]):
        for i in range(W.shape[0]):
            if r != i:
                turned = eq.rotate_kernel(W[r], @ANGLE@)
                vals.append(@SIM@)
    return float(sum(vals) / len(vals))
'''


def _family(validate: str = "    if len(angles) != W.shape[0]:\n        raise ValueError(f\"{len(angles)} angles for {W.shape[0]} units\")\n",
            angle: str = "float(angles[i] - angles[r])", sim: str = "eq.cosine(turned, W[i])") -> str:
    return _FAMILY.replace("@VALIDATE@", validate).replace("@ANGLE@", angle).replace("@SIM@", sim)


WRONG["family_score"] = [
    (_family(angle="float(angles[r] - angles[i])"), "the angle difference is angles[i] - angles[r]"),  # turned the wrong way
    (_family(sim="float((turned * W[i]).sum())"), "a cosine: divide by both kernels' norms"),  # dot products
    (_family(validate=""), "wrong number of angles raises ValueError"),
]

_SHIFT = '''def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    """src[j] = index of the input unit whose angle is closest to in_angles[j] - delta (mod period)."""
    phi = torch.as_tensor(in_angles, dtype=torch.float64)
    @BODY@
'''

WRONG["input_shift"] = [
    (_SHIFT.replace("@BODY@", "d = torch.remainder((phi + delta)[:, None] - phi[None, :], period)  # + delta\n"
                    "    return torch.minimum(d, period - d).argmin(dim=1)"), "from the unit 60° (two steps) before it"),
    (_SHIFT.replace("@BODY@", "d = ((phi - delta)[:, None] - phi[None, :]).abs()  # not round the circle\n"
                    "    return d.argmin(dim=1)"), "distances around the circle: min(d, period - d)"),
    (_SHIFT.replace("@BODY@", "d = torch.remainder((phi - delta)[:, None] - phi[None, :], 360.0)  # period ignored\n"
                    "    return torch.minimum(d, 360.0 - d).argmin(dim=1)"), "modulo period"),
]

_MSCORE = '''def mirror_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: list[int] | None = None) -> float:
    """Cosine between w_b and the left-right mirror image of w_a (input channels moved by in_perm)."""
    mirrored = torch.flip(w_a, dims=(@DIM@,))
    if in_perm is not None:
        @PERM@
    return eq.cosine(mirrored, w_b)
'''


def _mscore(dim: str = "-1", perm: str = "mirrored = mirrored[torch.as_tensor(in_perm)]") -> str:
    return _MSCORE.replace("@DIM@", dim).replace("@PERM@", perm)


WRONG["mirror_score"] = [
    (_mscore(dim="-2"), "left-right: flip the last axis"),  # upside down
    (_mscore(perm="moved = torch.empty_like(mirrored)\n        moved[torch.as_tensor(in_perm)] = mirrored\n"
                  "        mirrored = moved"), "channel j of the mirror image is input in_perm[j]"),  # the inverse permutation
    (_mscore(perm="pass"), "move the input channels by in_perm"),  # in_perm ignored
]

_POOLED = '''def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    """Pool a family's responses (A, n) over its members; return (pooled (A,), min/max of pooled)."""
    if how == "max":
        pooled = responses.amax(dim=@DIM@)
    @SUM@
    return pooled, @RATIO@
'''


def _pooled(dim: str = "1", sum_: str = "elif how == \"sum\":\n        pooled = responses.sum(dim=@DIM@)\n"
            "    else:\n        raise ValueError(f\"how must be 'max' or 'sum', got {how!r}\")",
            ratio: str = "float(pooled.min() / pooled.max())") -> str:
    return _POOLED.replace("@SUM@", sum_).replace("@DIM@", dim).replace("@RATIO@", ratio)


WRONG["pooled_invariance"] = [
    (_pooled(dim="0"), "pool over the members (dim=1)"),  # over the angles
    (_pooled(ratio="float(pooled.max() / pooled.min())"), "ratio = min / max of the pooled responses"),
    (_pooled(sum_="else:\n        pooled = responses.sum(dim=1)  # any other name sums"), "an unknown pooling raises ValueError"),
]

# ----------------------------------------------------------------------------- Lab 10: universality

_SMOOTH = """def kernel_smoothness(weight: torch.Tensor) -> float:
    '''Correlation between neighbouring entries of mean-removed kernels (out, in, k, k), pooled over all kernels.'''
    w = torch.as_tensor(weight).detach().double().cpu()
    if w.ndim != 4 or w.shape[-1] < 2 or w.shape[-2] < 2:
        raise ValueError(f"expected conv weights (out, in, k, k) with k >= 2, got {tuple(w.shape)}")
    @CENTRE@
    first = @FIRST@
    second = @SECOND@
    return float(torch.corrcoef(torch.stack([first, second]))[0, 1])
"""


def _smooth(centre: str = "w = w - w.mean(dim=(-1, -2), keepdim=True)",
            first: str = "torch.cat([w[..., :, :-1].flatten(), w[..., :-1, :].flatten()])",
            second: str = "torch.cat([w[..., :, 1:].flatten(), w[..., 1:, :].flatten()])") -> str:
    return _SMOOTH.replace("@CENTRE@", centre).replace("@FIRST@", first).replace("@SECOND@", second)


WRONG["kernel_smoothness"] = [
    (_smooth(first="w[..., :, :-1].flatten()", second="w[..., :, 1:].flatten()"),
     "pool horizontal AND vertical neighbour pairs"),  # horizontal pairs only
    (_smooth(centre="pass"), "remove each kernel's own mean before pairing neighbours"),  # no mean removed
    (_smooth(centre="w = w - w.mean(dim=(0, 1), keepdim=True)"),
     "remove each kernel's own mean before pairing neighbours"),  # the mean over kernels, per position
]

_MASK = """from shared_utils.tuning import TuningCurve, echo, n_peaks, tuning_width


def curve_mask(responses: torch.Tensor, angles: torch.Tensor, floor: float, max_echo: float = 0.2,
               max_width: float = 150.0) -> torch.Tensor:
    '''(C,) bool: strong enough, one peak, small echo, not too wide.'''
    r = torch.as_tensor(responses, dtype=torch.float64)
    peak = r.max(dim=0).values
    out = torch.zeros(r.shape[1], dtype=torch.bool)
    strong = torch.nonzero(@STRONG@).flatten()
    if len(strong) == 0:
        return out
    curves = [TuningCurve(angles, r[:, c], f"channel {int(c)}", "scan") for c in strong.tolist()]
    ok = @OK@
    out[strong] = ok
    return out
"""


def _mask(strong: str = "(peak > 0) & (peak >= floor)",
          ok: str = "(n_peaks(curves) == 1) & (echo(curves) < max_echo) & (tuning_width(curves, method=\"total\") < max_width)") -> str:
    return _MASK.replace("@STRONG@", strong).replace("@OK@", ok)


WRONG["curve_mask"] = [
    (_mask(strong="peak > 0"), "peak >= floor"),  # the floor forgotten
    (_mask(ok="(n_peaks(curves) == 1) & (tuning_width(curves, method=\"total\") < max_width)"), "echo < 0.2"),
    (_mask(ok="(n_peaks(curves) == 1) & (echo(curves) < 0.2) & (tuning_width(curves, method=\"total\") < 150.0)"),
     "thresholds are parameters"),  # the defaults written in
]

_DEPTH = """def depth_profile(scan: uv.ModelScan, kind: str, null: "uv.ModelScan | None" = None) -> tuple[torch.Tensor, torch.Tensor]:
    '''(depths, fractions of detectors) per layer; minus the null scan's fractions if given.'''
    if kind not in ("curve", "high_low"):
        raise ValueError(f"kind must be 'curve' or 'high_low', got {kind!r}")
    def fractions(s: uv.ModelScan) -> torch.Tensor:
        return torch.tensor([@FRACTION@ for x in s.layers], dtype=torch.float64)
    depths = torch.tensor([@DEPTH@ for x in scan.layers], dtype=torch.float64)
    out = fractions(scan)
    if null is not None:
        if [x.name for x in null.layers] != [x.name for x in scan.layers]:
            raise ValueError("the null scan must cover the same layers in the same order")
        out = @MINUS@
    return depths, out
"""


def _depth(fraction: str = "len(getattr(x, kind)) / x.channels", depth: str = "x.depth",
           minus: str = "out - fractions(null)") -> str:
    return _DEPTH.replace("@FRACTION@", fraction).replace("@DEPTH@", depth).replace("@MINUS@", minus)


WRONG["depth_profile"] = [
    (_depth(fraction="len(getattr(x, kind))"), "divide by the layer's channels"),  # counts, not fractions
    (_depth(minus="fractions(null) - out"), "the scan's fractions minus the null's"),  # the wrong way round
    (_depth(depth="x.index / x.n_layers"), "depths are (index + 1) / n"),  # from 0
]

_SHUFFLE = """import copy

from torch import nn


def shuffle_layers(model: nn.Module, seed: int = 0) -> nn.Module:
    '''A copy of model with each conv layer's weights (and biases) randomly permuted.'''
    out = @COPY@
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in out.@MODULES@():
            if isinstance(m, nn.Conv2d):
                w = m.weight
                @SHUFFLE@
                if m.bias is not None:
                    m.bias.copy_(m.bias[torch.randperm(m.bias.numel(), generator=gen)])
    return out
"""


def _shuffle(copy_: str = "copy.deepcopy(model)", modules: str = "modules",
             shuffle: str = "m.weight.copy_(w.flatten()[torch.randperm(w.numel(), generator=gen)].view_as(w))") -> str:
    return _SHUFFLE.replace("@COPY@", copy_).replace("@MODULES@", modules).replace("@SHUFFLE@", shuffle)


WRONG["shuffle_layers"] = [
    (_shuffle(copy_="model"), "copy.deepcopy(model) first"),  # shuffles the original
    (_shuffle(modules="children"), "go through model.modules(), not only the top level"),  # nested convs missed
    (_shuffle(shuffle="m.weight.copy_(torch.stack([k.flatten()[torch.randperm(k.numel(), generator=gen)].view_as(k) "
                      "for k in w]))"), "entries move between kernels"),  # within each kernel only
]

_OFFCORR = """def offset_correlation(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor) -> float:
    '''Correlation of the weights with cos(orientation offset, dst - src).'''
    w = torch.as_tensor(W, dtype=torch.float64)
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    d = torch.as_tensor(dst_deg, dtype=torch.float64).flatten()
@CHECK@    c = @COS@
    return float(torch.corrcoef(torch.stack([w.flatten(), c.flatten()]))[0, 1])
"""
_OFFCORR_CHECK = """    if w.shape != (len(d), len(s)):
        raise ValueError(f"W is {tuple(w.shape)}, expected ({len(d)}, {len(s)})")
"""


def _offcorr(check: str = _OFFCORR_CHECK, cos: str = "torch.cos(torch.deg2rad(d[:, None] - s[None, :]))") -> str:
    return _OFFCORR.replace("@CHECK@", check).replace("@COS@", cos)


WRONG["offset_correlation"] = [
    (_offcorr(check="", cos="torch.cos(torch.deg2rad(d[None, :] - s[:, None]))"),
     "pair W[i, j] with cos(dst[i] - src[j])"),  # W's rows taken as sources
    (_offcorr(cos="torch.cos(d[:, None] - s[None, :])"), "torch.deg2rad before the cosine"),  # degrees as radians
    (_offcorr(check=""), "a wrong shape"),  # no shape check
]

_PVALUE = """def shuffle_p_value(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor, n: int, seed: int = 0) -> float:
    '''One-sided p-value of offset_correlation against n permutations of the source orientations.'''
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    observed = offset_correlation(W, s, dst_deg)
    gen = torch.Generator().manual_seed(seed)
    null = torch.tensor([@NULL@ for _ in range(n)])
    return @P@
"""


def _pvalue(null: str = "offset_correlation(W, s[torch.randperm(len(s), generator=gen)], dst_deg)",
            p: str = "(1 + int((null >= observed - 1e-12).sum())) / (1 + n)") -> str:
    return _PVALUE.replace("@NULL@", null).replace("@P@", p)


WRONG["shuffle_p_value"] = [
    (_pvalue(p="int((null >= observed - 1e-12).sum()) / n"), "add 1 to both"),  # no + 1
    (_pvalue(null="offset_correlation(W, s[torch.randperm(len(s))], dst_deg)"), "gen seeded once"),  # gen not used
    (_pvalue(null="offset_correlation(W[:, torch.randperm(W.shape[1], generator=gen)], s, dst_deg)"),
     "shuffle the source orientations"),  # W's columns shuffled instead
]

"""Lab 9 (naturally occurring equivariance): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

WRONG: dict[str, list[Wrong]] = {
    "rotate_quarter": [
        Wrong('''def rotate_quarter(w: torch.Tensor, k: int) -> torch.Tensor:
    out = w
    for _ in range(k % 4):
        out = out.transpose(-1, -2).flip(-1)
    return out
''', "counter-clockwise on the screen: right -> up -> left -> down", "flips the columns: turns clockwise"),
        Wrong('''def rotate_quarter(w: torch.Tensor, k: int) -> torch.Tensor:
    out = w
    for _ in range(k):
        out = out.transpose(-1, -2).flip(-2)
    return out
''', "turn k % 4 times", "range(k): a negative k does not turn"),
        Wrong('''def rotate_quarter(w: torch.Tensor, k: int) -> torch.Tensor:
    out = w
    for _ in range(k % 4):
        out = out.transpose(0, 1).flip(0)
    return out
''', "the last two axes", "turns the first two axes, not the last two"),
    ],
    "family_score": [
        Wrong('''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    if len(angles) != W.shape[0]:
        raise ValueError("one angle per unit")
    vals = []
    for r in range(W.shape[0]):
        for i in range(W.shape[0]):
            if r != i:
                vals.append(eq.cosine(eq.rotate_kernel(W[r], float(angles[r] - angles[i])), W[i]))
    return float(sum(vals) / len(vals))
''', "the angle difference is angles[i] - angles[r]", "turns by angles[r] - angles[i]"),
        Wrong('''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    if len(angles) != W.shape[0]:
        raise ValueError("one angle per unit")
    vals = []
    for r in range(W.shape[0]):
        for i in range(W.shape[0]):
            vals.append(eq.cosine(eq.rotate_kernel(W[r], float(angles[i] - angles[r])), W[i]))
    return float(sum(vals) / len(vals))
''', "leave out r == i", "keeps the pairs r == i"),
        Wrong('''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    vals = []
    for r in range(len(angles)):
        for i in range(len(angles)):
            if r != i:
                vals.append(eq.cosine(eq.rotate_kernel(W[r], float(angles[i] - angles[r])), W[i]))
    return float(sum(vals) / len(vals))
''', "compare len(angles) with the number of units", "no ValueError for a wrong number of angles"),
        Wrong('''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    if len(angles) != W.shape[0]:
        raise ValueError("one angle per unit")
    vals = []
    for r in range(W.shape[0]):
        for i in range(W.shape[0]):
            if r != i:
                vals.append(float((eq.rotate_kernel(W[r], float(angles[i] - angles[r])) * W[i]).sum()))
    return float(sum(vals) / len(vals))
''', "a cosine: divide by both kernels' norms", "a dot product, not a cosine"),
        Wrong('''def family_score(W: torch.Tensor, angles: list[float]) -> float:
    if len(angles) != W.shape[0]:
        raise ValueError("one angle per unit")
    total = 0.0
    for r in range(W.shape[0]):
        for i in range(W.shape[0]):
            if r != i:
                total += float(eq.cosine(eq.rotate_kernel(W[r], float(angles[i] - angles[r])), W[i]))
    return total
''', "average over the n(n - 1) other pairs", "sums the cosines instead of averaging"),
    ],
    "input_shift": [
        Wrong('''def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    phi = torch.as_tensor(in_angles, dtype=torch.float64)
    d = torch.remainder((phi + delta)[:, None] - phi[None, :], period)
    return torch.minimum(d, period - d).argmin(dim=1)
''', "unit j takes over from the unit 60° (two steps) before it", "in_angles[j] + delta"),
        Wrong('''def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    phi = torch.as_tensor(in_angles, dtype=torch.float64)
    d = ((phi - delta)[:, None] - phi[None, :]).abs()
    return d.argmin(dim=1)
''', "the angles lie on a circle", "plain distance, no wrap-around"),
        Wrong('''def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    phi = torch.as_tensor(in_angles, dtype=torch.float64)
    d = torch.remainder((phi - delta)[:, None] - phi[None, :], 360.0)
    return torch.minimum(d, 360.0 - d).argmin(dim=1)
''', "work modulo period", "always 360, ignores period"),
        Wrong('''def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    phi = torch.as_tensor(in_angles, dtype=torch.float64)
    d = torch.remainder((phi - delta)[:, None] - phi[None, :], period)
    return d.argmin(dim=1)
''', "min(d, period - d)", "one-sided distance: the unit just below the target"),
    ],
    "mirror_score": [
        Wrong('''def mirror_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: list[int] | None = None) -> float:
    mirrored = torch.flip(w_a, dims=(-2,))
    if in_perm is not None:
        mirrored = mirrored[torch.as_tensor(in_perm)]
    return eq.cosine(mirrored, w_b)
''', "left-right: flip the last axis (the columns)", "flips the rows (up-down)"),
        Wrong('''def mirror_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: list[int] | None = None) -> float:
    return eq.cosine(torch.flip(w_a, dims=(-1,)), w_b)
''', "move the input channels by in_perm", "ignores in_perm"),
        Wrong('''def mirror_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: list[int] | None = None) -> float:
    mirrored = torch.flip(w_a, dims=(-1,))
    if in_perm is not None:
        moved = torch.empty_like(mirrored)
        moved[torch.as_tensor(in_perm)] = mirrored
        mirrored = moved
    return eq.cosine(mirrored, w_b)
''', "do not scatter to in_perm", "scatters to in_perm instead of taking from it"),
    ],
    "pooled_invariance": [
        Wrong('''def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    if how == "max":
        pooled = responses.amax(dim=0)
    elif how == "sum":
        pooled = responses.sum(dim=0)
    else:
        raise ValueError(how)
    return pooled, float(pooled.min() / pooled.max())
''', "pool over the members (dim=1)", "pools over the rotations (dim=0)"),
        Wrong('''def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    if how == "max":
        pooled = responses.amax(dim=1)
    elif how == "sum":
        pooled = responses.sum(dim=1)
    else:
        raise ValueError(how)
    return pooled, float(pooled.max() / pooled.min())
''', "min divided by max", "max / min instead of min / max"),
        Wrong('''def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    if how == "max":
        pooled = responses.amax(dim=1)
    elif how == "sum":
        pooled = responses.sum(dim=1)
    else:
        raise ValueError(how)
    return pooled, float(responses.min() / responses.max())
''', "of the pooled responses, not of the raw ones", "ratio of the raw responses"),
        Wrong('''def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    if how == "max":
        pooled = responses.amax(dim=1)
    else:
        pooled = responses.sum(dim=1)
    return pooled, float(pooled.min() / pooled.max())
''', "raise a ValueError for any other", "no ValueError for an unknown pooling"),
    ],
}

"""Lab 7 (SVD of the weights): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong


def _svd(prepare: str, back: str = "    v = vh.T\n", flip: str = "v.sum(dim=0)", ret: str = "s, v * signs") -> str:
    return f'''import torch


def svd_of_abs(w):
    w = torch.as_tensor(w).detach().double()
{prepare}    u, s, vh = torch.linalg.svd(m, full_matrices=False)
{back}    signs = torch.where({flip} < 0, -1.0, 1.0).to(v.dtype)
    return {ret}
'''


_PREPARE = '''    if w.ndim == 4:
        m = w.abs().sum(dim=(-2, -1))
    elif w.ndim == 2:
        m = w.abs()
    else:
        raise ValueError(w.shape)
'''


def _auc(body: str, check: str = "    if len(pos) == 0 or len(neg) == 0:\n        raise ValueError('empty group')\n") -> str:
    return f'''import torch


def auc(scores, positive):
    scores, positive = torch.as_tensor(scores).double(), torch.as_tensor(positive).bool()
    pos, neg = scores[positive], scores[~positive]
{check}{body}'''


def _spectrum(z: str, p: str) -> str:
    return f'''import torch


def spectrum_test(observed, null):
    observed, null = torch.as_tensor(observed).double(), torch.as_tensor(null).double()
    z = {z}
    p = {p}
    return z, p
'''


WRONG: dict[str, list[Wrong]] = {
    "svd_of_abs": [
        Wrong(_svd('''    if w.ndim == 4:
        m = w.sum(dim=(-2, -1))
    elif w.ndim == 2:
        m = w
    else:
        raise ValueError(w.shape)
'''), "take the absolute value first", "no absolute value"),
        Wrong(_svd(_PREPARE, back="    v = u\n"), "V has one row per input unit", "returns U (the output units)"),
        Wrong(_svd(_PREPARE, back="    v = vh\n", flip="v.sum(dim=1)", ret="s, v * signs[:, None]"),
              "one column per singular vector: V is Vh transposed", "returns Vh without transposing it"),
        Wrong(_svd('''    if w.ndim == 4:
        m = w.sum(dim=(-2, -1)).abs()
    elif w.ndim == 2:
        m = w.abs()
    else:
        raise ValueError(w.shape)
'''), "sum |w| over the last two axes", "sums the kernel over space before taking |.|"),
        Wrong(_svd(_PREPARE, flip="v.sum(dim=1, keepdim=True)"), "flip each column of V",
              "flips the rows of V by their sums"),
        Wrong(_svd('''    if w.ndim == 4:
        m = w.abs().sum(dim=(-2, -1))
    else:
        m = w.abs()
'''), "raise ValueError for any other ndim", "no ValueError for a 3-D tensor"),
    ],
    "auc": [
        Wrong(_auc('''    diff = neg[:, None] - pos[None, :]
    return float((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean())
'''), "1 when every positive is higher", "counts negatives above positives"),
        Wrong(_auc('''    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).double().mean())
'''), "(diff > 0) + 0.5 * (diff == 0)", "a tie counts 0, not one half"),
        Wrong(_auc('''    diff = pos[:, None] - neg[None, :]
    wins = (diff > 0).double().sum() + 0.5 * (diff == 0).double().sum()
    return float(wins / len(scores))
'''), "average over the n_pos x n_neg pairs", "divides by the number of scores"),
        Wrong(_auc('''    n = min(len(pos), len(neg))
    diff = pos[:n] - neg[:n]
    return float((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean())
'''), "0.35 < 0.4 is the one pair out of order", "pairs the i-th positive with the i-th negative only"),
        Wrong(_auc('''    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean())
''', check=""), "there is no pair to compare: raise ValueError", "no ValueError for an empty group"),
    ],
    "shuffled_copies": [
        Wrong('''import torch


def shuffled_copies(m, trials, generator=None):
    flat = m.reshape(-1)
    picks = torch.randint(0, flat.numel(), (trials, flat.numel()), generator=generator)
    return flat[picks].reshape(trials, *m.shape)
''', "permute the entries, do not draw new values", "draws entries with replacement"),
        Wrong('''import torch


def shuffled_copies(m, trials, generator=None):
    flat = m.reshape(-1)
    perm = torch.randperm(flat.numel(), generator=generator)
    return flat[perm].reshape(1, *m.shape).repeat(trials, *([1] * m.ndim))
''', "draw a new permutation for every copy", "one permutation for all copies"),
        Wrong('''import torch


def shuffled_copies(m, trials, generator=None):
    perms = torch.rand(trials, *m.shape, generator=generator).argsort(dim=-1)
    return torch.gather(m.expand(trials, *m.shape), -1, perms)
''', "not only within each row", "shuffles within each row"),
        Wrong('''import torch


def shuffled_copies(m, trials, generator=None):
    perms = torch.rand(trials, *m.shape, generator=generator).argsort(dim=1)
    return torch.gather(m.expand(trials, *m.shape), 1, perms)
''', "not only within each column", "shuffles within each column"),
        Wrong('''import torch


def shuffled_copies(m, trials, generator=None):
    flat = m.reshape(-1)
    perms = torch.rand(trials, flat.numel()).argsort(dim=1)
    return flat[perms].reshape(trials, *m.shape)
''', "pass generator= on to the random call", "ignores the generator"),
    ],
    "spectrum_test": [
        Wrong(_spectrum("(observed - null.mean(dim=0)) / null.std(dim=0, unbiased=False)",
                        "(1 + (null >= observed).sum(dim=0)).double() / (1 + null.shape[0])"),
              "the unbiased (N - 1) standard deviation", "the biased (N) standard deviation"),
        Wrong(_spectrum("(observed - null.mean(dim=0)) / null.std(dim=0)",
                        "(1 + (null > observed).sum(dim=0)).double() / (1 + null.shape[0])"),
              "ties count as >=", "counts only null values strictly above"),
        Wrong(_spectrum("(observed - null.mean(dim=0)) / null.std(dim=0)",
                        "(null >= observed).double().mean(dim=0)"),
              "(1 + #null >= observed) / (1 + T)", "no + 1 in the p-value"),
    ],
    "conclusions": [
        Wrong('''statements = {
    "The article's SVD figure was made with the same InceptionV1 weights this course loads": False,
    "Between conv2d0 and conv2d1, W is effectively a 64x64 matrix because conv2d1 is a 1x1 convolution": True,
    "Taking |W| makes a strong inhibitory connection count as much as a strong excitatory one": True,
    "For a matrix with no negative entries, the signs of singular vector 0's loadings split the units into two groups": True,
    "If |W|'s singular values look like those of its shuffled copies, orderings by its singular vectors are not evidence of clusters": True,
    "Finding no structure on the canonical Lucid weights would show that the article's figure is wrong": False,
}
''', "vector 0 of a non-negative matrix has loadings of one sign", "vector 0 taken to split the units",
              hidden=True),
    ],
}

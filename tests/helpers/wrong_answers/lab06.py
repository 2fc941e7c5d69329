"""Lab 6 (branch specialization): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

WRONG: dict[str, list[Wrong]] = {
    "branch_crosstab": [
        Wrong('''import torch

from shared_utils.inception.names import BRANCHES, LAYERS


def branch_crosstab(families, layer):
    info = LAYERS[layer]
    table = torch.zeros(len(families), len(BRANCHES), dtype=torch.long)
    for i, units in enumerate(families.values()):
        for u in units:
            if not 0 <= u < info.channels:
                raise IndexError(u)
            for j, branch in enumerate(BRANCHES):
                start, stop = info.branches[branch]
                if start <= u <= stop:
                    table[i, j] += 1
    return table
''', "the end of each range is not in the branch", "counts the stop channel in the branch too"),
        Wrong('''import torch

from shared_utils.inception.names import BRANCHES, LAYERS


def branch_crosstab(families, layer):
    info = LAYERS[layer]
    table = torch.zeros(len(families), len(BRANCHES), dtype=torch.long)
    for i, units in enumerate(families.values()):
        for u in units:
            for j, branch in enumerate(BRANCHES):
                start, stop = info.branches[branch]
                if start <= u < stop:
                    table[i, j] += 1
    return table
''', "mixed3a has 256 channels: 0..255", "no IndexError for a channel outside the layer"),
        Wrong('''import torch

from shared_utils.inception.names import BRANCHES, LAYERS


def branch_crosstab(families, layer):
    info = LAYERS[layer]
    table = torch.zeros(len(families), len(BRANCHES))
    for i, units in enumerate(families.values()):
        for u in units:
            if not 0 <= u < info.channels:
                raise IndexError(u)
            for j, branch in enumerate(BRANCHES):
                start, stop = info.branches[branch]
                if start <= u < stop:
                    table[i, j] += 1
    return table
''', "counts are whole numbers", "a float table (torch.zeros' default dtype)"),
    ],
    "p_all_in_branch": [
        Wrong('''import math


def p_all_in_branch(k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    return (n / N) ** k
''', "the units are drawn without replacement", "draws with replacement: (n / N) ** k"),
        Wrong('''import math


def p_all_in_branch(k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    return math.comb(n, k) / math.comb(N, n)
''', "a single unit lands in the branch with probability n / N", "divides by C(N, n) instead of C(N, k)"),
        Wrong('''import math


def p_all_in_branch(k, n, N):
    return math.comb(n, k) / math.comb(N, k)
''', "need 0 <= n <= N and 0 <= k <= N", "no ValueError"),
    ],
    "p_at_least": [
        Wrong('''import math


def p_at_least(j, k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    top = sum(math.comb(n, i) * math.comb(N - n, k - i) for i in range(max(j, 0), min(k, n)))
    return top / math.comb(N, k)
''', "for every i from j to min(k, n)", "the sum stops one short of min(k, n)"),
        Wrong('''import math


def p_at_least(j, k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    p = n / N
    return float(sum(math.comb(k, i) * p ** i * (1 - p) ** (k - i) for i in range(max(j, 0), k + 1)))
''', "the draws are without replacement", "binomial: draws with replacement"),
        Wrong('''import math


def p_at_least(j, k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    top = sum(math.comb(n, i) * math.comb(N - n, k - i) for i in range(j, min(k, n) + 1))
    return top / math.comb(N, k)
''', "j <= 0 is certain", "a negative j reaches math.comb"),
        Wrong('''import math


def p_at_least(j, k, n, N):
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("bad sizes")
    return math.comb(n, j) * math.comb(N - n, k - j) / math.comb(N, k)
''', "P(>= 1) = 1 - P(0 in the branch)", "P(count == j), not P(count >= j)"),
    ],
    "simulate_counts": [
        Wrong('''import torch


def simulate_counts(k, n, N, trials, generator=None):
    picks = torch.randint(0, N, (trials, k), generator=generator)
    return (picks < n).sum(dim=1).long()
''', "sample without replacement", "draws with replacement (randint)"),
        Wrong('''import torch


def simulate_counts(k, n, N, trials, generator=None):
    picks = torch.rand(trials, N).argsort(dim=1)[:, :k]
    return (picks < n).sum(dim=1).long()
''', "pass generator= to every random call", "ignores the generator"),
        Wrong('''import torch


def simulate_counts(k, n, N, trials, generator=None):
    picks = torch.rand(trials, N, generator=generator).argsort(dim=1)[:, :k]
    return (picks <= n).sum(dim=1).long()
''', "counts those below n", "counts channels <= n (n + 1 channels)"),
    ],
    "interpretation": [
        Wrong('''statements = {
    "The p-values in this lab change if you load the untrained stand-in instead of the real weights": False,
    "C(32,9)/C(256,9) is the chance that 9 randomly chosen mixed3a channels all fall in mixed3a_5x5": True,
    "A p-value of 2.5e-9 shows that the 5x5 kernel size caused the BW vs Color units to gather there": False,
    "Testing every family against every branch, some p < 0.05 are expected by chance alone": True,
    "'All 9 in the same branch, whichever it is' is less likely than 'all 9 in mixed3a_5x5'": True,
    "Colour in mixed3a_5x5 but curves in mixed3b_5x5 argues that branch size and kernel size alone do not decide which family a branch gets": True,
}
''', "'any branch' includes 'mixed3a_5x5'", "'any branch' taken as less likely than one branch", hidden=True),
    ],
}

"""Lab 0 (a tour of InceptionV1): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

WRONG: dict[str, list[Wrong]] = {
    "concat_channel": [
        Wrong('''def concat_channel(sizes, branch, local):
    return sum(sizes[:branch + 1]) + local
''', "add the widths of the 1x1 and 3x3 branches to 59", "counts the branch's own width too"),
        Wrong('''def concat_channel(sizes, branch, local):
    return sum(sizes[:branch]) + local
''', "the 5x5 branch of mixed3b has 96 channels: 0..95", "no range check"),
        Wrong('''def concat_channel(sizes, branch, local):
    if not 0 <= local <= sizes[branch]:
        raise IndexError("local channel outside the branch")
    return sum(sizes[:branch]) + local
''', "the 5x5 branch of mixed3b has 96 channels: 0..95", "off-by-one range check (<= the width)"),
    ],
    "which_branch": [
        Wrong('''def which_branch(sizes, channel):
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel < start + size:
            return k, channel
        start += size
    raise IndexError("channel outside the layer")
''', "subtract the widths of the branches before it", "returns the concatenated channel, not the local one"),
        Wrong('''def which_branch(sizes, channel):
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel < start + size:
            return k, channel - start
        start += size
''', "mixed3b has 480 channels: 0..479", "no raise: returns None past the last branch"),
        Wrong('''def which_branch(sizes, channel):
    start = 0
    for k, size in enumerate(sizes):
        if start <= channel <= start + size:
            return k, channel - start
        start += size
    raise IndexError("channel outside the layer")
''', "mixed3b has 480 channels: 0..479", "off-by-one: <= the branch's end"),
    ],
    "top_k_images": [
        Wrong('''import torch


def top_k_images(maxes, channel, k):
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError("k")
    return [int(i) for i in torch.argsort(maxes[:, channel])[:k]]
''', "sort column 0, largest first", "smallest first"),
        Wrong('''import torch


def top_k_images(maxes, channel, k):
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError("k")
    return [int(i) for i in torch.argsort(maxes[channel], descending=True)[:k]]
''', "sort column 0, largest first", "reads a row (an image) instead of the channel's column"),
        Wrong('''import torch


def top_k_images(maxes, channel, k):
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError("k")
    order = torch.argsort(maxes[:, channel], stable=True).flip(0)  # ascending, then reversed
    return [int(i) for i in order[:k]]
''', "use a sort that keeps equal values in index order", "reverses an ascending sort: ties come out larger index first"),
        Wrong('''import torch


def top_k_images(maxes, channel, k):
    if k > maxes.shape[0]:
        raise ValueError("k is larger than the number of images")
    order = torch.argsort(maxes[:, channel], descending=True, stable=True)
    return [int(i) for i in order[:k]]
''', "raise ValueError unless 0 <= k <= the number of images", "forgets that k can be negative"),
    ],
    "kernel_to_image": [
        Wrong('''import numpy as np
import torch


def kernel_to_image(w):
    w = w.detach().float()
    lo, hi = w.min(), w.max()
    if float(hi - lo) == 0.0:
        return np.full((w.shape[1], w.shape[2], 3), 0.5, dtype=np.float32)
    return ((w - lo) / (hi - lo)).permute(1, 2, 0).numpy()
''', "scale by the largest |w|, not by the range min..max", "min-max scaling: zero no longer maps to 0.5"),
        Wrong('''import numpy as np
import torch


def kernel_to_image(w):
    w = w.detach().float()
    return (0.5 + w / (2 * w.abs().max())).permute(1, 2, 0).numpy()
''', "if max|w| is 0 there is nothing to divide by", "no guard for an all-zero kernel (NaNs)"),
        Wrong('''import numpy as np
import torch


def kernel_to_image(w):
    w = w.detach().float()
    biggest = w.max()
    if float(biggest) == 0.0:
        return np.full((w.shape[1], w.shape[2], 3), 0.5, dtype=np.float32)
    return (0.5 + w / (2 * biggest)).permute(1, 2, 0).numpy()
''', "divide by the largest absolute value |w|, not the largest w", "divides by max w instead of max |w|"),
        Wrong('''import numpy as np
import torch


def kernel_to_image(w):
    w = w.detach().float()
    biggest = w.abs().max()
    if float(biggest) == 0.0:
        return np.full(tuple(w.shape), 0.5, dtype=np.float32)
    return (0.5 + w / (2 * biggest)).numpy()
''', "channels last: permute(1, 2, 0)", "keeps channels first"),
    ],
    "stand_in": [
        Wrong('''stand_in_can_check = {
    "mixed4a has 508 channels": True,
    "3b:379's top photos contain curves": True,
    "capture() returns mixed3b maps of shape (N, 480, 28, 28) for 224 px photos": True,
    "conv2d0 contains Gabor filters": False,
    "top_k_images returns the photos with the largest spatial max": True,
}
''', "what a unit detects needs trained weights", "believes a random network's top photos show curves", hidden=True),
        Wrong('''stand_in_can_check = {
    "mixed4a has 508 channels": True,
    "3b:379's top photos contain curves": False,
    "capture() returns mixed3b maps of shape (N, 480, 28, 28) for 224 px photos": True,
    "conv2d0 contains Gabor filters": False,
    "top_k_images returns the photos with the largest spatial max": "True",
}
''', "write True or False, without quotes", "a quoted 'True' instead of True"),
    ],
}

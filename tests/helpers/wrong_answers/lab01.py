"""Lab 1 (feature visualisation and dataset examples): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

WRONG: dict[str, list[Wrong]] = {
    "unit_objective": [
        Wrong('''import torch


def unit_objective(acts, channels, kind="channel"):
    if kind not in ("channel", "neuron"):
        raise ValueError(kind)
    if len(channels) != acts.shape[0]:
        raise ValueError("one channel per slot")
    maps = acts[:, channels]  # every slot's map for every listed channel
    if kind == "channel":
        return maps.mean(dim=(2, 3))
    return maps[:, :, maps.shape[2] // 2, maps.shape[3] // 2]
''', "acts[i, channels[i]].mean() for every slot i", "acts[:, channels]: every channel for every slot"),
        Wrong('''import torch


def unit_objective(acts, channels, kind="channel"):
    if kind not in ("channel", "neuron"):
        raise ValueError(kind)
    n = acts.shape[0]
    if len(channels) != n:
        raise ValueError("one channel per slot")
    maps = acts[torch.arange(n), torch.as_tensor(channels)]
    if kind == "channel":
        return maps.mean(dim=(1, 2))
    return maps[:, (maps.shape[1] - 1) // 2, (maps.shape[2] - 1) // 2]
''', "(2, 2) in a 4x4 map, not (1, 1)", "centre at (H - 1) // 2: the upper-left of the middle 2x2"),
        Wrong('''import torch


def unit_objective(acts, channels, kind="channel"):
    n = acts.shape[0]
    if len(channels) != n:
        raise ValueError("one channel per slot")
    maps = acts[torch.arange(n), torch.as_tensor(channels)]
    if kind == "channel":
        return maps.mean(dim=(1, 2))
    return maps[:, maps.shape[1] // 2, maps.shape[2] // 2]
''', "raise ValueError for anything else", "any kind but 'channel' silently gives the neuron objective"),
        Wrong('''import torch


def unit_objective(acts, channels, kind="channel"):
    if kind not in ("channel", "neuron"):
        raise ValueError(kind)
    n = acts.shape[0]
    maps = acts[torch.arange(n), torch.as_tensor(channels)]
    if kind == "channel":
        return maps.mean(dim=(1, 2))
    return maps[:, maps.shape[1] // 2, maps.shape[2] // 2]
''', "compare len(channels) with N and raise ValueError yourself", "no length check (torch raises IndexError)"),
    ],
    "ascend": [
        Wrong('''import torch


def ascend(f, x0, steps, lr):
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
''', "plus, to maximise f", "gradient descent: x - lr * grad"),
        Wrong('''import torch


def ascend(f, x0, steps, lr):
    if float(x0.norm()) == 0.0:
        raise ValueError("x0 is all zeros")
    x = x0.detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
        x = x / x.norm()
    return x.detach()
''', "start from x0 / x0.norm(), not from x0", "starts from x0 without normalising it"),
        Wrong('''import torch


def ascend(f, x0, steps, lr):
    norm = x0.norm()
    if float(norm) == 0.0:
        raise ValueError("x0 is all zeros")
    x = (x0 / norm).detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
    return (x / x.norm()).detach()
''', "then rescale to norm 1, after every one of the `steps` steps", "rescales only once, at the end"),
        Wrong('''import torch


def ascend(f, x0, steps, lr):
    x = x0 / x0.norm()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
        x = x / x.norm()
    return x
''', "return x.detach()", "returns x still attached to the graph"),
        Wrong('''import torch


def ascend(f, x0, steps, lr):
    x = (x0 / x0.norm()).detach()
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x)
        x = x + lr * grad
        x = x / x.norm()
    return x.detach()
''', "raise ValueError before dividing by its norm", "no check for an all-zero x0"),
    ],
    "diversity_penalty": [
        Wrong('''import torch
import torch.nn.functional as F


def diversity_penalty(acts):
    n = acts.shape[0]
    if n < 2:
        raise ValueError("need two images")
    flat = acts.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    sim = grams @ grams.T
    return (sim.sum() - sim.diagonal().sum()) / (n * (n - 1))
''', "sum over n of sum over m != n, divided by N", "divides by the number of pairs N(N - 1), not by N"),
        Wrong('''import torch
import torch.nn.functional as F


def diversity_penalty(acts):
    n = acts.shape[0]
    if n < 2:
        raise ValueError("need two images")
    flat = acts.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    sim = grams @ grams.T
    return sim.sum() / n
''', "each image has cosine 1 with the other: (1 + 1) / 2", "keeps the diagonal m = n"),
        Wrong('''import torch
import torch.nn.functional as F


def diversity_penalty(acts):
    n = acts.shape[0]
    if n < 2:
        raise ValueError("need two images")
    flat = F.normalize(acts.flatten(1), dim=1)  # the activations themselves, not their Gram matrices
    sim = flat @ flat.T
    return (sim.sum() - sim.diagonal().sum()) / n
''', "compare Gram matrices F F^T, not the activations themselves", "cosine of the activations, not of the Gram matrices"),
        Wrong('''import torch
import torch.nn.functional as F


def diversity_penalty(acts):
    n = acts.shape[0]
    flat = acts.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    sim = grams @ grams.T
    return (sim.sum() - sim.diagonal().sum()) / n
''', "raise ValueError when N < 2", "no check for a single image"),
    ],
    "receptive_field": [
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        jump *= stride
        size += (kernel - 1) * jump
        start -= pad * jump
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    clip = lambda v: max(0, min(image_size, v))
    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "with the OLD jump, then jump *= stride", "updates jump before using it"),
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        size += kernel - 1
        start -= pad
        jump *= stride
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    clip = lambda v: max(0, min(image_size, v))
    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "size grows by (k - 1) * jump and start moves back by pad * jump", "forgets to multiply by jump"),
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        size += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    return top, left, top + size, left + size
''', "clip every edge to [0, image_size]", "no clipping to the photo"),
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        size += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    clip = lambda v: max(0, min(image_size, v))
    return clip(top), clip(left), clip(top + size - 1), clip(left + size - 1)
''', "bottom and right are top + size and left + size", "inclusive bottom/right (size - 1)"),
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        size += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + col * jump, start + row * jump
    clip = lambda v: max(0, min(image_size, v))
    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "row moves top and bottom, col moves left and right", "rows and columns swapped"),
        Wrong('''def receptive_field_of(ops):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        size += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
    return size, jump, start


def field_box(field, row, col, image_size):
    size, jump, start = field
    top, left = start + row * jump, start + col * jump
    clip = lambda v: max(0, min(image_size, v))
    return clip(top), clip(left), clip(top + size), clip(left + size)
''', "a kernel or stride below 1 raises ValueError", "no check of kernel and stride"),
    ],
    "concepts": [
        Wrong('''import math


def concept_counts(labels, concept_of):
    counts = {}
    for label in labels:
        if label in concept_of:
            counts[concept_of[label]] = counts.get(concept_of[label], 0) + 1
    return counts


def concept_entropy(counts):
    named = [n for c, n in counts.items() if c != "other" and n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log2(n / total) for n in named))
''', "concept_of.get(label, 'other')", "drops unknown labels instead of counting them as 'other'"),
        Wrong('''import math


def concept_counts(labels, concept_of):
    counts = {}
    for label in labels:
        concept = concept_of.get(label, "other")
        counts[concept] = counts.get(concept, 0) + 1
    return counts


def concept_entropy(counts):
    named = [n for c, n in counts.items() if n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log2(n / total) for n in named))
''', "leave 'other' out before computing shares", "counts 'other' as a concept"),
        Wrong('''import math


def concept_counts(labels, concept_of):
    counts = {}
    for label in labels:
        concept = concept_of.get(label, "other")
        counts[concept] = counts.get(concept, 0) + 1
    return counts


def concept_entropy(counts):
    named = [n for c, n in counts.items() if c != "other" and n > 0]
    total = sum(named)
    if total == 0:
        return 0.0
    return float(-sum(n / total * math.log(n / total) for n in named))
''', "use math.log2, not math.log", "natural log (nats, not bits)"),
    ],
}

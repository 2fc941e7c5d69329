"""Benchmark: one activation pass over the ImageNet sample for the early layers, course vs per-image loop.

* course: :func:`shared_utils.activations.channel_stats` for conv2d0, conv2d1, conv2d2, mixed3a and
  mixed3b together, as a notebook calls it: batches of the device's default size (4 on a CPU, 64
  on a GPU), the forward pass stops after mixed3b, lucent's model runs with the course's faster
  kernels (channels-last tensors, a local response norm summed as shifted slices;
  ``shared_utils.inception._lucent``).
* loop: the obvious alternative, one photo at a time through the full network, forward hooks
  collecting the same five layers, the same statistics (per channel: spatial max, its position, mean).

Equal work: the same photos at the same size (224 px), float32, same device and threads, no cache,
no gradients. Photo decoding (JPEG -> tensor) is done ONCE up front and is not timed, so the
comparison is about the model work only. The script checks that both ways give the same numbers.

    .venv/bin/python benchmarks/bench_activations.py                 # all 1000 photos
    .venv/bin/python benchmarks/bench_activations.py --n 200
    .venv/bin/python benchmarks/bench_activations.py --quick         # smoke test, a few seconds
    .venv/bin/python benchmarks/bench_activations.py --device cuda --amp

Two further figures come from the same run. The FLOP bound: the multiply-adds of conv2d0 ... mixed3b
per photo (counted from the model's own convolutions), timed at the rate this machine multiplies
large float32 matrices (measured here, with the same threads): the course's time over that bound.
With ``--amp``, the course pass runs a second time under ``torch.autocast`` (bfloat16 on a CPU,
float16 on CUDA) and the script prints its time and how far its statistics are from float32's.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from shared_utils.activations import channel_stats
from shared_utils.data import imagenet_sample
from shared_utils.device import budget
from shared_utils.inception.model import load_inceptionv1, preprocess

LAYERS = ["conv2d0", "conv2d1", "conv2d2", "mixed3a", "mixed3b"]
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "imagenet-sample"


def per_image_loop(model: nn.Module, images: torch.Tensor, layers: list[str]) -> dict[str, dict[str, torch.Tensor]]:
    """Full forward per photo; hooks keep the layers; per-channel max, argmax (row, col) and mean."""
    modules = dict(model.named_modules())
    seen: dict[str, torch.Tensor] = {}
    handles = [modules[name].register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out))
               for name in layers]
    parts: dict[str, dict[str, list[torch.Tensor]]] = {k: {"max": [], "argmax": [], "mean": []} for k in layers}
    try:
        with torch.no_grad():
            for i in range(images.shape[0]):
                model(preprocess(images[i: i + 1]))
                for name in layers:
                    a = seen[name]
                    w = a.shape[-1]
                    flat = a.flatten(2)
                    mx, pos = flat.max(dim=2)
                    parts[name]["max"].append(mx.cpu())
                    parts[name]["argmax"].append(torch.stack([pos // w, pos % w], dim=-1).cpu())
                    parts[name]["mean"].append(flat.mean(dim=2).cpu())
    finally:
        for h in handles:
            h.remove()
    return {k: {s: torch.cat(v) for s, v in d.items()} for k, d in parts.items()}


def multiply_adds(model: nn.Module, size: int, last: str = LAYERS[-1]) -> int:
    """Multiply-adds of every convolution up to and including ``last``, for one photo at ``size`` px."""
    from shared_utils.activations import capture

    total = 0

    def count(mod: nn.Conv2d, _inputs: tuple, out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = mod.kernel_size
        total += out[0].numel() * (mod.in_channels // mod.groups) * kh * kw

    device = next(model.parameters()).device
    handles = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        capture(model, torch.rand(1, 3, size, size, device=device), [last])
    finally:
        for h in handles:
            h.remove()
    return total


def matmul_flops(device: torch.device, sync, n: int = 1536, repeats: int = 5) -> float:
    """FLOP/s this machine reaches on a large float32 matrix product (the best of ``repeats``)."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="imagenet-sample folder "
                   "(default ../shared/data/imagenet-sample beside the project)")
    p.add_argument("--n", type=int, default=1000, help="how many photos (default all 1000)")
    p.add_argument("--size", type=int, default=224, help="input side in pixels, >= 224 (the full network needs it)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="the course pass's batch size (default: the course's default for the device)")
    p.add_argument("--repeats", type=int, default=1, help="interleaved runs of each way; the best time is kept")
    p.add_argument("--weights", default="untrained", help="'untrained' (default), 'pretrained' or a path")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--target", type=float, default=1 / 3, help="course time must be <= target x loop time")
    p.add_argument("--amp", action="store_true", help="also time the course pass in mixed precision "
                   "(bfloat16 on a CPU, float16 on CUDA) and print its statistics' difference")
    p.add_argument("--quick", action="store_true", help="smoke test: 8 photos at 224 px, 1 thread")
    args = p.parse_args(argv)
    if args.quick:
        args.n = 8
        args.threads = args.threads or 1  # a smoke test: one thread is least hurt by a busy machine

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.size < 224:
        raise SystemExit("--size must be >= 224: the per-image loop runs the whole network, whose 7x7 average "
                         "pool needs a 224 px input")
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    model = load_inceptionv1(args.weights, device=device, progress=False)
    sample = imagenet_sample(args.data, progress=False)
    if not 0 < args.n <= len(sample):
        raise SystemExit(f"--n must be in 1..{len(sample)}")
    sample = sample.subset(range(args.n))
    t0 = time.perf_counter()
    images = sample.batch(range(args.n), args.size).to(device)  # decoded once, for both ways
    t_decode = time.perf_counter() - t0

    def course() -> dict:
        return channel_stats(model, images, LAYERS, batch_size=args.batch_size, progress=False)

    def loop() -> dict:
        return per_image_loop(model, images, LAYERS)

    ways = {"loop": loop, "course": course}
    best = {k: float("inf") for k in ways}
    cpu = {k: float("inf") for k in ways}
    results: dict[str, dict] = {}
    for _ in range(args.repeats):
        for name, fn in ways.items():
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            results[name] = fn()
            sync()
            took, used = time.perf_counter() - t0, time.process_time() - c0
            best[name], cpu[name] = min(best[name], took), min(cpu[name], used)
            print(f"  (run: {name} {took:.2f} s wall, {used:.2f} s CPU)", flush=True)

    # both ways computed the same statistics
    worst, agree = 0.0, []
    ref = results["loop"]
    for name in ways:
        if name == "loop":
            continue
        for layer in LAYERS:
            st = results[name][layer]
            for got, want in ((st.max, ref[layer]["max"]), (st.mean, ref[layer]["mean"])):
                worst = max(worst, float((got - want).abs().max() / want.abs().max().clamp_min(1e-12)))
            agree.append(float((st.argmax == ref[layer]["argmax"]).all(-1).float().mean()))
    amp: dict[str, float] = {}
    if args.amp:
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        with torch.autocast(device.type, dtype=dtype):
            course()  # warm-up: the half-precision kernels are picked on first use
            sync()
            t0 = time.perf_counter()
            half = course()
            sync()
            amp["s"] = time.perf_counter() - t0
        for layer in LAYERS:
            want = results["course"][layer]
            for got, ref_t in ((half[layer].max, want.max), (half[layer].mean, want.mean)):
                diff = float((got.float() - ref_t).abs().max() / ref_t.abs().max().clamp_min(1e-12))
                amp["max_rel_diff"] = max(amp.get("max_rel_diff", 0.0), diff)
            amp.setdefault("argmax_agree", 1.0)
            amp["argmax_agree"] = min(amp["argmax_agree"],
                                      float((half[layer].argmax == want.argmax).all(-1).float().mean()))
        amp["dtype"] = str(dtype).replace("torch.", "")

    macs = multiply_adds(model, args.size)
    flops = matmul_flops(device, sync)
    bound = 2 * macs * args.n / flops
    ratio = best["course"] / best["loop"]
    met = ratio <= args.target
    print(f"activation statistics (spatial max, argmax, mean per channel) of {', '.join(LAYERS)}")
    print(f"  {args.n} photos at {args.size} px, float32, {device}, torch threads {torch.get_num_threads()}; "
          f"model: {model.weights_info.label}")
    print(f"  photos decoded once up front for both ways ({t_decode:.1f} s, not timed); no cache")
    print(f"  same results: max relative difference {worst:.1e}; argmax positions agree for at least "
          f"{100 * min(agree):.2f}% of (photo, channel) pairs in every layer (ties, e.g. zeros after ReLU, may differ)")
    print(f"  best of {args.repeats} interleaved run(s) each")
    print(f"  per-image loop, full forward:            {best['loop']:8.2f} s  "
          f"({1e3 * best['loop'] / args.n:.1f} ms/photo)")
    batch = budget(device).batch_size if args.batch_size is None else args.batch_size
    print(f"  course channel_stats (batch {batch:>3}, early stop):  {best['course']:8.2f} s  "
          f"({1e3 * best['course'] / args.n:.1f} ms/photo)")
    print(f"  ratio course/loop = {ratio:.2f};  target <= {args.target:.2f}: {'met' if met else 'NOT met'}")
    cpu_ratio = cpu["course"] / cpu["loop"]
    print(f"  CPU time of this process (best run): loop {cpu['loop']:.2f} s, course {cpu['course']:.2f} s, "
          f"ratio {cpu_ratio:.2f}; target {'met' if cpu_ratio <= args.target else 'NOT met'}")
    print(f"  FLOP bound: {macs / 1e9:.2f} G multiply-adds per photo up to {LAYERS[-1]}; this machine multiplies "
          f"float32 matrices at {flops / 1e9:.0f} GFLOP/s -> {1e3 * bound / args.n:.1f} ms/photo; "
          f"course / bound = {best['course'] / bound:.1f} (target <= 1.5: "
          f"{'met' if best['course'] <= 1.5 * bound else 'NOT met'})")
    if amp:
        print(f"  mixed precision ({amp['dtype']} autocast), course pass: {amp['s']:8.2f} s "
              f"({1e3 * amp['s'] / args.n:.1f} ms/photo), {amp['s'] / best['course']:.2f}x the float32 time; "
              f"statistics vs float32: max relative difference {amp['max_rel_diff']:.1e}, argmax agrees for "
              f"{100 * amp['argmax_agree']:.1f}% of (photo, channel) pairs in the worst layer")
    out = {"course_s": best["course"], "loop_s": best["loop"], "ratio": ratio, "max_rel_diff": worst,
           "cpu_ratio": cpu_ratio, "macs_per_photo": float(macs), "matmul_gflops": flops / 1e9,
           "bound_s": bound, "bound_ratio": best["course"] / bound,
           **{f"amp_{k}": v for k, v in amp.items() if k != "dtype"}}
    print("  (wall times on a busy shared machine are noisy: there, run with --threads 1 and read the CPU ratios)")
    return out


if __name__ == "__main__":
    main()

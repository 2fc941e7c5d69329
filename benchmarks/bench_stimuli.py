"""Benchmark: a whole curve sweep drawn as batched tensor expressions vs a Python loop, one image per call.

Both ways draw the same images (360 orientations x 5 radii at 224 px by default, float32, same
device) with the same function, :func:`shared_utils.stimuli.curve`; the script checks that they agree
to 1e-5 and prints both times, their ratio and whether the target (vectorised at least
``--target`` times faster) is met.

    .venv/bin/python benchmarks/bench_stimuli.py            # the full sweep
    .venv/bin/python benchmarks/bench_stimuli.py --quick    # smoke test, a few seconds
"""
from __future__ import annotations

import argparse
import time

import torch

from shared_utils.stimuli import curve, curve_sweep


def _time_both(fa, fb, repeats: int, sync) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Best time of each of two functions over ``repeats`` interleaved runs, and their outputs' max difference.

    Interleaving (a, b, a, b, ...) and keeping the best run makes both ways see the same machine load.
    """
    best_a = best_b = float("inf")
    diff = 0.0
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        a = fa()
        sync()
        best_a = min(best_a, time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = fb()
        sync()
        best_b = min(best_b, time.perf_counter() - t0)
        assert a.shape == b.shape, (a.shape, b.shape)
        diff = max(diff, float((a - b).abs().max()))
        del a, b
    return best_a, best_b, diff


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=224, help="image side in pixels (default 224)")
    p.add_argument("--orientations", type=int, default=360, help="orientations over 360 degrees (default 360)")
    p.add_argument("--radii", type=int, default=5, help="radii from 0 to 100 px (default 5)")
    p.add_argument("--chunk", type=int, default=None, help="images per batched expression (default: curve_sweep's)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs of each way; the best time is kept")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--target", type=float, default=2.0, help="required speed-up of the vectorised way")
    p.add_argument("--quick", action="store_true", help="tiny sweep for a smoke test (64 px, 36 x 2)")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.orientations, args.radii = 64, 36, 2

    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    orientations = torch.arange(args.orientations, dtype=torch.float64) * (360.0 / args.orientations)
    radii = torch.linspace(0.0, 100.0, args.radii, dtype=torch.float64) if args.radii > 1 else torch.tensor([40.0])
    kwargs = {"size": args.size, "thickness": 3.0, "device": device}
    sweep_kwargs = dict(kwargs)
    if args.chunk is not None:
        sweep_kwargs["chunk"] = args.chunk

    def vectorised() -> torch.Tensor:
        return curve_sweep(orientations, radii, **sweep_kwargs)

    def loop() -> torch.Tensor:
        imgs = [curve(float(o), float(r), **kwargs)[0] for r in radii for o in orientations]
        return torch.stack(imgs).view(len(radii), len(orientations), 3, args.size, args.size)

    curve(0.0, 10.0, size=16, device=device)  # warm-up (first-call overhead)
    t_vec, t_loop, diff = _time_both(vectorised, loop, args.repeats, sync)
    assert diff < 1e-5, f"vectorised and looped images differ by {diff}"
    n = len(radii) * len(orientations)
    ratio = t_loop / t_vec
    print(f"curve sweep: {len(orientations)} orientations x {len(radii)} radii = {n} images of {args.size}px, "
          f"float32, {device}, torch threads {torch.get_num_threads()}")
    print(f"  best of {args.repeats} interleaved runs each")
    print(f"  vectorised (curve_sweep): {t_vec:8.3f} s  ({1e3 * t_vec / n:.2f} ms/image)")
    print(f"  Python loop (curve x{n}): {t_loop:8.3f} s  ({1e3 * t_loop / n:.2f} ms/image)")
    print(f"  max |difference| = {diff:.2e};  speed-up = {ratio:.2f}x;  "
          f"target >= {args.target:g}x: {'met' if ratio >= args.target else 'NOT met'}")
    return {"vectorised_s": t_vec, "loop_s": t_loop, "ratio": ratio, "max_diff": diff, "images": float(n)}


if __name__ == "__main__":
    main()

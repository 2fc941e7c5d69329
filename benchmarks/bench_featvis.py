"""Benchmark: render the ten mixed3b curve units (docs/science.md §2.1), course vs lucent.

* course: :func:`shared_utils.featvis.render_units`, all ten units in ONE batched optimisation
  whose forward pass stops at the target (only the mixed3b 5x5 branch is computed).
* lucent: ``lucent.optvis.render.render_vis`` called once per unit (the full network runs).

Equal work: the same steps, image size (128 px, resized to 224 before the model, lucent's rule),
parameterisation (``param.image``: FFT + colour decorrelation), transforms
(``transform.standard_transforms``), optimiser (Adam, lr 0.05), objective (the pre-ReLU channel
mean of each unit: lucent's ``channel("mixed3b_5x5_pre_relu_conv", unit - 320)``), float32, same
device and threads (``--amp`` adds a mixed-precision run of the course's render and its image
difference from the float32 render). Before timing, the script checks that the course loop, with its fast kernels
switched off, reproduces lucent's image exactly for the same seed.

lucent's ``render_vis`` leaks ~138 forward hooks per call (it hooks every sub-module, never removes
the hooks), which would slow
every later call: each lucent call runs inside ``_lucent.no_leaked_hooks``, and the hook count
before/after is printed.

    .venv/bin/python benchmarks/bench_featvis.py              # 32 steps at 128 px
    .venv/bin/python benchmarks/bench_featvis.py --steps 64
    .venv/bin/python benchmarks/bench_featvis.py --quick      # smoke test, a few seconds
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from shared_utils import featvis
from shared_utils.inception import _lucent
from shared_utils.inception._lucent import hook_count, no_leaked_hooks, objectives, param, render
from shared_utils.inception.model import load_inceptionv1
from shared_utils.inception.names import branch_of, parse_units

CURVES = "379 406 385 343 342 388 324 340 330 349"  # mixed3b curve family, docs/science.md §2.1


def _lucent_render(model: torch.nn.Module, unit: str, steps: int, size: int, seed: int) -> np.ndarray:
    b = branch_of(unit)
    torch.manual_seed(seed)
    np.random.seed(seed)
    with no_leaked_hooks(model):
        return render.render_vis(model, objectives.channel(f"{b.branch}_pre_relu_conv", b.local),
                                 param_f=lambda: param.image(size), thresholds=(steps,), progress=False,
                                 show_image=False)[0]


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=32, help="optimisation steps, both ways (default 32)")
    p.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
    p.add_argument("--units", default=CURVES, help="mixed3b channels (default: the ten curve units)")
    p.add_argument("--repeats", type=int, default=2, help="interleaved runs of each way; the best time is kept")
    p.add_argument("--weights", default="untrained", help="'untrained' (default), 'pretrained' or a path")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=0.5, help="course time must be <= target x lucent time")
    p.add_argument("--amp", action="store_true", help="also time the course render in mixed precision "
                   "(bfloat16 on a CPU, float16 on CUDA) and print its image difference from float32's")
    p.add_argument("--quick", action="store_true", help="smoke test: 2 units, 2 steps, 32 px, one run, 1 thread")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.size, args.repeats = 2, 32, 1
        args.units = " ".join(args.units.split()[:2])
        args.threads = args.threads or 1  # a smoke test: one thread is least hurt by a busy machine

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    model = load_inceptionv1(args.weights, device=device, progress=False)
    units = [u.short for u in parse_units([int(c) for c in args.units.split()], "mixed3b")]

    # equal-work check: with its fast kernels off, the course loop IS lucent's loop (unit 0, a few steps)
    check_steps = 1 if args.quick else 2
    _lucent.FAST_KERNELS = False
    try:
        ours = featvis.render_units(model, units[:1], steps=check_steps, size=args.size, seed=args.seed,
                                    input_size=224, progress=False)
    finally:
        _lucent.FAST_KERNELS = True
    theirs = _lucent_render(model, units[0], check_steps, args.size, args.seed)
    check = float(np.abs(ours.images[0] - theirs[0]).max())

    def course() -> np.ndarray:
        return featvis.render_units(model, units, steps=args.steps, size=args.size, seed=args.seed,
                                    input_size=224, progress=False).images

    def lucent() -> np.ndarray:
        return np.concatenate([_lucent_render(model, u, args.steps, args.size, args.seed) for u in units])

    hooks_before = hook_count(model)
    best = {"course": float("inf"), "lucent": float("inf")}
    cpu = {"course": float("inf"), "lucent": float("inf")}
    for _ in range(args.repeats):
        for name, fn in (("lucent", lucent), ("course", course)):
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            sync()
            took, used = time.perf_counter() - t0, time.process_time() - c0
            best[name], cpu[name] = min(best[name], took), min(cpu[name], used)
            print(f"  (run: {name} {took:.2f} s wall, {used:.2f} s CPU)", flush=True)
            assert out.shape == (len(units), args.size, args.size, 3)
    amp: dict[str, float] = {}
    if args.amp:
        full = course()
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        with torch.autocast(device.type, dtype=dtype):
            sync()
            t0 = time.perf_counter()
            half = course()
            sync()
            amp["s"] = time.perf_counter() - t0
        amp["image_diff"] = float(np.abs(half - full).max())
        amp["image_diff_mean"] = float(np.abs(half - full).mean())
    hooks_after = hook_count(model)
    ratio = best["course"] / best["lucent"]
    met = ratio <= args.target
    print(f"feature visualisation of {len(units)} mixed3b units ({', '.join(units)})")
    print(f"  {args.steps} steps, {args.size} px (resized to 224 for the model), param.image (fft, decorrelated), "
          f"standard transforms, Adam lr 0.05, float32, {device}, torch threads {torch.get_num_threads()}")
    print(f"  model: {model.weights_info.label}")
    print(f"  equal-work check: course loop without its fast kernels vs lucent, {check_steps} step(s), same seed: "
          f"max |image difference| = {check:.1e}")
    print(f"  lucent hooks: every render_vis call wrapped in no_leaked_hooks; model hooks before/after all runs: "
          f"{hooks_before}/{hooks_after}")
    print(f"  best of {args.repeats} interleaved run(s) each")
    print(f"  lucent render_vis x{len(units)} (one unit per call): {best['lucent']:8.2f} s  "
          f"({1e3 * best['lucent'] / (args.steps * len(units)):.1f} ms per unit-step)")
    print(f"  course render_units (one batch, early stop):     {best['course']:8.2f} s  "
          f"({1e3 * best['course'] / (args.steps * len(units)):.1f} ms per unit-step)")
    print(f"  ratio course/lucent = {ratio:.2f};  target <= {args.target:g}: {'met' if met else 'NOT met'}")
    cpu_ratio = cpu["course"] / cpu["lucent"]
    print(f"  CPU time of this process (best run): lucent {cpu['lucent']:.2f} s, course {cpu['course']:.2f} s, "
          f"ratio {cpu_ratio:.2f}; target {'met' if cpu_ratio <= args.target else 'NOT met'}")
    if amp:
        print(f"  mixed precision ({'float16' if device.type == 'cuda' else 'bfloat16'} autocast), course render: "
              f"{amp['s']:8.2f} s, {amp['s'] / best['course']:.2f}x the float32 time; images vs float32's "
              f"(pixels in [0, 1]): max |difference| {amp['image_diff']:.3f}, mean {amp['image_diff_mean']:.4f}")
    print("  (wall times on a busy shared machine are noisy: there, run with --threads 1 and read the CPU ratio)")
    return {"course_s": best["course"], "lucent_s": best["lucent"], "ratio": ratio, "check": check,
            "cpu_ratio": cpu_ratio, **{f"amp_{k}": v for k, v in amp.items()}}


if __name__ == "__main__":
    main()

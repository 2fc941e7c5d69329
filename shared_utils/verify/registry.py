"""The claims: for each, its article, what it measures, how it is judged and what it needs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from torch import nn

from .values import ARTICLE_ECHO_MEDIANS, BW_P, CURVES_3B, CURVES_P, DOG_3B_4A, DOG_4A_4B, DOG_UNION
from .measures import (
    Judgement, judge_aann, judge_activation_distribution, judge_best_input, judge_branch_membership,
    judge_branch_ranges, judge_car, judge_channel_counts, judge_curve_order, judge_curve_pairs, judge_curve_tuning,
    judge_echo_depth, judge_echo_edit, judge_hflf_anticorrelation, judge_hflf_branches, judge_hflf_factors,
    judge_hflf_tuning, judge_mirror, judge_sample_accuracy, judge_sigmas, judge_signs, judge_superposition,
    judge_svd_auc, judge_taxonomy_coverage, measure_aann, measure_article_echoes, measure_article_peaks,
    measure_branch_membership, measure_branch_ranges, measure_car_kernels, measure_channel_counts,
    measure_curve_distribution, measure_curve_tuning, measure_curve_weights, measure_echo_edit,
    measure_hflf_branches, measure_hflf_nmf, measure_hflf_tuning, measure_mirror, measure_model_echoes,
    measure_pair_sums, measure_sample_accuracy, measure_superposition, measure_svd_auc, measure_taxonomy_coverage,
    preferred_angles
)


# ============================================================================ the registry


Needs = Literal["data", "architecture", "weights", "weights+data", "weights+sample"]


@dataclass(frozen=True)
class Claim:
    """One falsifiable claim of the course (science.md §13 numbering).

    ``measure(ctx)`` returns plain measurements; ``judge(measurements)`` returns ``(measured text, passed)``.
    ``needs`` says what it must have: only the articles' data, the architecture (any weights), or the real
    weights (plus data or the ImageNet sample). ``status`` is ``"check"``, ``"inferred"`` (the course's
    reading of a figure; still counts) or ``"exploratory"`` (reported, never fails the run).
    ``skip`` marks a claim this tool cannot check, and why.
    """

    id: str
    claim: str
    article: str
    needs: Needs
    measure: Callable[["Context"], Any] | None = None
    judge: Callable[[Any], Judgement] | None = None
    status: Literal["check", "inferred", "exploratory"] = "check"
    slow: bool = False
    skip: str | None = None

    @property
    def needs_weights(self) -> bool:
        return self.needs.startswith("weights")


@dataclass
class Context:
    """What a run has: the model (``None`` without real weights), data folders, speed settings, a cache."""

    model: nn.Module | None = None
    trained: bool = False
    weights_problem: str | None = None
    circuits_root: Path | None = None
    sample_root: Path | None = None
    labels_root: Path | None = None
    quick: bool = False
    cache: dict[str, Any] = field(default_factory=dict)
    _arch: nn.Module | None = None

    @property
    def angles(self) -> tuple[float, ...]:
        return tuple(float(a) for a in range(0, 360, 6 if self.quick else 2))

    @property
    def radii(self) -> tuple[float, ...]:
        return (40.0, 60.0, 80.0) if self.quick else (20.0, 40.0, 60.0, 80.0, 100.0)

    @property
    def n_images(self) -> int:
        return 100 if self.quick else 1000

    def arch_model(self) -> nn.Module:
        """The model for architecture checks: the loaded one, else the untrained stand-in (same architecture)."""
        if self.model is not None:
            return self.model
        if self._arch is None:
            from ..inception.model import load_inceptionv1

            self._arch = load_inceptionv1("untrained", device="cpu")
        return self._arch

    def memo(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def weights(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError("this check needs a model")
        return self.model

    def curves_3b(self) -> list:
        return self.memo("curves_3b", lambda: measure_curve_tuning(self.weights(), CURVES_3B, angles=self.angles,
                                                                   radii=self.radii))

    def sample(self) -> Any:
        from ..data import imagenet_sample

        return self.memo("sample", lambda: imagenet_sample(self.sample_root, n=self.n_images, progress=False))


def _b7(ctx: Context) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    peaks = {int(c.unit.split(":")[-1]): c.peak for c in ctx.curves_3b()}
    dist = ctx.memo("dist_3b", lambda: measure_curve_distribution(ctx.weights(), ctx.sample()))
    return peaks, {u: (float(v.mean()), float(v.std())) for u, v in dist.items()}


def _c9_sums(ctx: Context) -> dict[tuple[int, int], float]:
    return ctx.memo("curve_sums", lambda: measure_curve_weights(ctx.weights()))


def _nmf(ctx: Context) -> dict[str, Any]:
    return ctx.memo("hflf_nmf", lambda: measure_hflf_nmf(ctx.weights()))


def claims() -> list[Claim]:
    """The registry, in science.md §13 order."""
    root = lambda ctx: ctx.circuits_root  # noqa: E731
    return [
        Claim("A0", "[inferred] Output 0 is background, 1-1000 lucent's class list in order: the sample's photos "
                    "are classified as their own class",
              "top-5 88.6 % intact on 2,000 validation images (§3.2); chance 0.5 %; asserted top-5 ≥ 50 %",
              "weights+sample",
              lambda ctx: measure_sample_accuracy(ctx.weights(), ctx.sample(), ctx.labels_root),
              judge_sample_accuracy, status="inferred"),
        Claim("A1", "Channel counts of the 12 main layers; number of logits",
              "64,64,192,256,480,508,512,512,528,832,832,1024; 1008 logits (§1.3)", "architecture",
              lambda ctx: measure_channel_counts(ctx.arch_model()), judge_channel_counts),
        Claim("A2", "Branch channel ranges in each mixed layer's concatenation (model and course catalogue)",
              "§1.3 table; 3a_5x5 192-223, 3b_5x5 320-415, 4a_5x5 396-443 (Fig. 5)", "architecture",
              lambda ctx: measure_branch_ranges(ctx.arch_model(), root(ctx)), judge_branch_ranges),
        Claim("A3", "Early Vision taxonomy lists every channel of conv2d0-mixed3b exactly once",
              "64, 64, 192, 256, 480 channels, each once (§7.1)", "data",
              lambda ctx: measure_taxonomy_coverage(root(ctx)), judge_taxonomy_coverage),
        Claim("B4", "Each 3b curve unit has one orientation peak, no response at ±90° or 180°",
              "±90° ≤4 %, 180° ≤1 %, width 28.5-68.5° (§2.3); asserted <10 %, <5 %, 20-80° (§13.4)", "weights",
              lambda ctx: ctx.curves_3b(), judge_curve_tuning),
        Claim("B5", "Circular order of the 10 curve peaks (global offset and reflection fitted)",
              "342 388 324 340 330 349 379 406 385 343 (§2.1); residual ≤15° (§13.5)", "weights",
              lambda ctx: preferred_angles(ctx.curves_3b()), judge_curve_order),
        Claim("B6a", "Echoes shrink with depth in the articles' radial data",
              "median echo 0.36 > 0.22 > 0.01 (§2.3)", "data",
              lambda ctx: measure_article_echoes(root(ctx)),
              lambda m: judge_echo_depth(m, ARTICLE_ECHO_MEDIANS)),
        Claim("B6b", "Echoes shrink with depth on the model (conv2d2, 3a, 3b curve families)",
              "0.36 > 0.22 > ≤0.03 (§2.3); asserted order and 3b < 0.1", "weights",
              lambda ctx: measure_model_echoes(ctx.weights(), angles=ctx.angles, curves_3b=ctx.curves_3b(),
                                               quick=ctx.quick),
              lambda m: judge_echo_depth(m, last_max=0.1)),
        Claim("B7", "Best synthetic curve, in σ above the ImageNet activation mean (pre-ReLU, all positions)",
              "up to 24σ (§2.2); >10σ proposed (§13.7), σ basis undocumented", "weights+sample",
              _b7, lambda m: judge_sigmas(*m), status="exploratory"),
        Claim("B8", "3b:379 pre-ReLU over ImageNet: negative mean, rarely positive, exponential tail",
              "mean ≈ −200, 11 % positive (§2.2); asserted <0, 5-20 %, R² ≥ 0.9 (§13.8)", "weights+sample",
              lambda ctx: ctx.memo("dist_3b", lambda: measure_curve_distribution(ctx.weights(), ctx.sample()))[379],
              judge_activation_distribution),
        Claim("C9", "Summed 3a→3b expanded weights: similar curves excite, opposite ones inhibit",
              "+ 147→379, 81→385, 71→340, 145→388; − 145→379, 71→385, 81→340, 147→388 (§3.1)", "weights",
              _c9_sums, judge_curve_pairs),
        Claim("C10", "Each 3b curve's most positive early-curve input is tuned within 45° of it",
              "radial peaks §2.1 (article data); ~45° (§13.10)", "weights+data",
              lambda ctx: (_c9_sums(ctx), measure_article_peaks("mixed3a", root(ctx)),
                           measure_article_peaks("mixed3b", root(ctx))),
              lambda m: judge_best_input(*m)),
        Claim("C11", "Dropping negative early-curve weights makes 3b curves echo",
              "after edit 385 0.62, 324 0.59, 330 0.40, 343 0.23 (§3.1); ≥3 units > 0.2", "weights",
              lambda ctx: measure_echo_edit(ctx.weights(), angles=ctx.angles, radii=ctx.radii), judge_echo_edit,
              slow=True),
        Claim("C12", "Ablating the 10 curve units lowers top-5 accuracy slightly",
              "88.6 % → 86.3 % on 2,000 validation images (§3.2)", "weights",
              skip="not checked: needs labelled ImageNet validation images (≥2,000); the course's sample has "
                   "one photo per class, too few to resolve a 2-point drop (the class map is checked by A0)"),
        Claim("C13", "AANN 3a→3b kernel sums depend only on the orientation offset",
              "0° +5.8, ±90° ≈ 0, 180° minimum −7.9 (§3.2)", "data",
              lambda ctx: measure_aann(root(ctx)), judge_aann),
        Claim("D14", "The 15 mixed3a HF/LF units are in the 3x3 branch", "64-191 (§4.1)", "data",
              lambda ctx: measure_hflf_branches(root(ctx)), judge_hflf_branches),
        Claim("D15a", "2-factor one-sided NMF of maxpool1→3a HF/LF weights finds the HF and LF conv2d2 units",
              "HF 119,102,123,90,173; LF 89,163,98,188,158 (§4.2); overlap ≥3 each", "weights",
              _nmf, judge_hflf_factors),
        # Exploratory: 2-factor one-sided NMF of random Gaussian weights of the same shape also gives
        # r of about -0.87 (measured in lab 3), so anti-correlation alone cannot confirm the claim.
        Claim("D15b", "Per HF/LF unit the two factors' spatial maps are anti-correlated",
              "r < −0.5 per unit (§13.15; random weights give ≈ −0.87 too)", "weights", _nmf,
              judge_hflf_anticorrelation, status="exploratory"),
        Claim("D16", "HF/LF units prefer one direction of a high-low boundary and together span 360°",
              "one side each, +180° drops >50 %, all quadrants (§4.2, §13.16)", "weights",
              lambda ctx: measure_hflf_tuning(ctx.weights(), angles=tuple(range(0, 360, 10 if ctx.quick else 5))),
              judge_hflf_tuning),
        Claim("E17a", "All 9 BW-vs-Color units are in mixed3a_5x5", "192-223; p 2.5e-9 (<1e-8 in text) (§6.1)",
              "data", lambda ctx: measure_branch_membership(root(ctx))["bw"],
              lambda m: judge_branch_membership(m, BW_P, n=9)),
        Claim("E17b", "All 30 curve-related units are in mixed3b_5x5", "320-415; p 1.7e-23 (<1e-20) (§6.1)",
              "data", lambda ctx: measure_branch_membership(root(ctx))["curves"],
              lambda m: judge_branch_membership(m, CURVES_P, n=30)),
        Claim("E18", "Top singular vector of |conv2d1 weights| separates conv2d0 colour from Gabor units",
              "AUC > 0.8; shown for tf-slim / Places365 InceptionV1, not Lucid's (§6.2)", "weights+data",
              lambda ctx: measure_svd_auc(ctx.weights(), root(ctx)), judge_svd_auc, status="exploratory"),
        Claim("F19a", "Oriented fur → oriented dog heads: same side excites, other side inhibits (3b→4a)",
              "404→234,308 +, →325,222 −; 303 the reverse (§5)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_3B_4A, via="maxpool4"),
              lambda m: judge_signs(m, DOG_3B_4A)),
        Claim("F19b", "[inferred] Oriented heads → head+neck units: same side +, other side − (4a→4b)",
              "234,308→443,431 +, →429,384 − (§13.19, from the figure)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_4A_4B), lambda m: judge_signs(m, DOG_4A_4B),
              status="inferred"),
        Claim("F20a", "Union: 4a oriented heads all excite the invariant head 4b:418",
              "222, 234, 235, 308 → 418 all + (§5 DogMerge)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_UNION), lambda m: judge_signs(m, DOG_UNION)),
        Claim("F20b", "[inferred] A left/right pair's kernels into 4b:418 are mirror images",
              "4a:308 vs 4a:222: mirrored cosine > unflipped (§13.20)", "weights",
              lambda ctx: measure_mirror(ctx.weights()), judge_mirror, status="inferred"),
        Claim("F21", "Car 4c:447: windows above, wheels below, body positive",
              "237 top + / bottom −; 373 the reverse; 491 mostly + (§5 CarCircuit)", "weights",
              lambda ctx: measure_car_kernels(ctx.weights()), judge_car),
        Claim("F22", "[inferred] The car unit is a top-10 excitatory input of dog units 4d:417, 241, 277",
              "grey arrows, sign assumed + (§5, §13.22)", "weights",
              lambda ctx: measure_superposition(ctx.weights()), judge_superposition, status="inferred"),
    ]


CLAIMS: list[Claim] = claims()



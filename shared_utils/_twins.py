"""Which library functions answer each graded exercise in one call (its "twins").

While an exercise's check cell runs, ``shared_utils._guard`` switches these off for the student's
code: calling one raises :class:`~shared_utils.checks.LibraryAnswerBlocked`, which says that the
exercise asks the student to write it. The check cell itself never uses them (its references are
independent computations), and every other cell, lecture and later lab uses them freely. The grading
command's static reading of answer cells (``tools/integrity.py``) reports a twin named in its own
exercise's answer cell.

Keys are the exercises' ids (the answer cell's nbgrader ``grade_id``; its check cell is
``<id>_test``). Values are dotted paths: a function or class, a module attribute (``scipy.stats.hypergeom``),
a method of a Python class (``shared_utils.labs.universality.ModelScan.fractions``) or a tensor method
(``torch.Tensor.rot90``). Methods of other C types (``numpy.random.Generator.hypergeometric``) cannot be
switched off inside the kernel; the static reading still reports them. Edit a lab's section when its exercises change.
"""
from __future__ import annotations

TWINS: dict[str, tuple[str, ...]] = {
    # -- Lab 0: a tour of InceptionV1
    "concat_channel": ("shared_utils.inception.names.from_branch", "shared_utils.inception.names.branch_range"),
    "which_branch": ("shared_utils.inception.names.branch_of",),
    "top_k_images": ("torch.topk", "torch.Tensor.topk"),
    "kernel_to_image": ("shared_utils.plot.images.kernel_to_rgb", "shared_utils.plot.images.show_kernels"),
    # -- Lab 1: features as directions
    "unit_objective": ("lucent.optvis.objectives.channel", "lucent.optvis.objectives.neuron"),
    "receptive_field": ("shared_utils.dataset_examples.receptive_field", "shared_utils.labs.hed_vgg16.receptive_field",
                        "shared_utils.dataset_examples.ReceptiveField"),  # ReceptiveField(*field).box() is field_box
    "diversity_penalty": ("lucent.optvis.objectives.diversity", "shared_utils.featvis._diversity"),
    "concepts": ("scipy.stats.entropy",),
    # -- Lab 2: curve detectors
    "rounded_corner_distance": ("shared_utils.stimuli.curve_distance", "shared_utils.stimuli._curve_field"),
    "fwhm": ("shared_utils.tuning.tuning_width", "scipy.signal.peak_widths"),
    "orientation_order": ("shared_utils.tuning.preferred_orientation",),
    "echo_ratio": ("shared_utils.tuning.echo",),
    # -- Lab 3: high-low frequency detectors
    "two_region": ("shared_utils.stimuli.high_low",),
    # -- Lab 4: the curve circuit
    "expand_through_bottleneck": ("shared_utils.weights.expanded_weights",),
    "peak_angles": ("shared_utils.tuning.preferred_orientation", "shared_utils.verify.measures.preferred_angles"),
    "offset_profile": ("shared_utils.labs.equivariance.offset_profile",),
    "echo_at_180": ("shared_utils.tuning.echo", "shared_utils.tuning.response_at"),
    # -- Lab 5: dogs and cars
    "mirror_similarity": ("shared_utils.labs.equivariance.reflection_score", "shared_utils.labs.equivariance.cosine",
                          "torch.nn.functional.cosine_similarity", "sklearn.metrics.pairwise.cosine_similarity"),
    "vertical_centre": ("scipy.ndimage.center_of_mass",),
    "rank_and_margin": ("scipy.stats.rankdata", "scipy.stats.median_abs_deviation"),
    "ablation_drop": ("shared_utils.labs.handbuilt.ablate_units", "shared_utils.labs.handbuilt.swap_units"),
    # -- Lab 6: branch specialization
    "p_all_in_branch": ("scipy.stats.hypergeom",),
    "p_at_least": ("scipy.stats.hypergeom",),
    "simulate_counts": ("scipy.stats.hypergeom", "numpy.random.hypergeometric", "numpy.random.Generator.hypergeometric"),
    # -- Lab 7: SVD of weights
    "svd_of_abs": ("shared_utils.decompose.svd_abs",),
    "auc": ("sklearn.metrics.roc_auc_score", "sklearn.metrics.auc", "sklearn.metrics.roc_curve",
            "scipy.stats.mannwhitneyu", "shared_utils.verify.measures._auc"),
    # -- Lab 8: reverse-engineering a curve detector
    "line_kernel": ("shared_utils.labs.handbuilt.line_kernel",),
    "arc_points": ("shared_utils.labs.handbuilt.arc_points",),
    "early_curve_kernel": ("shared_utils.labs.handbuilt.place_along_arc", "shared_utils.labs.handbuilt.rotated_copies",
                           "shared_utils.labs.handbuilt.CurveNet"),
    "curve_mixing": ("shared_utils.labs.handbuilt.curve_mixing", "shared_utils.labs.handbuilt.CurveNet"),
    "topk_accuracy": ("shared_utils.labs.handbuilt.topk_accuracy", "shared_utils.labs.handbuilt.topk_agreement"),
    # -- Lab 9: equivariance
    "rotate_quarter": ("shared_utils.labs.equivariance.rotate_kernel", "torch.rot90", "torch.Tensor.rot90",
                       "numpy.rot90", "torchvision.transforms.functional.rotate",
                       "torchvision.transforms.v2.functional.rotate", "scipy.ndimage.rotate"),
    "family_score": ("shared_utils.labs.equivariance.equivariance_score", "shared_utils.labs.equivariance.equivariance_matrix"),
    "input_shift": ("shared_utils.labs.equivariance.channel_permutation",),
    "mirror_score": ("shared_utils.labs.equivariance.reflection_score", "shared_utils.labs.equivariance.mirror_matrix"),
    "pooled_invariance": ("shared_utils.labs.equivariance.pool_family", "shared_utils.labs.equivariance.invariance_ratio"),
    # -- Lab 10: universality
    "kernel_smoothness": ("shared_utils.labs.universality.kernel_smoothness",),
    "curve_mask": ("shared_utils.labs.universality._classify",),
    "depth_profile": ("shared_utils.labs.universality.ModelScan.fractions",),  # a method: blocked on the class
    "shuffle_layers": ("shared_utils.labs.universality.shuffled_copy",),
    "offset_correlation": ("shared_utils.labs.universality.offset_statistic",),
    "shuffle_p_value": ("shared_utils.labs.universality.label_shuffle_test", "shared_utils.labs.universality.circuit_test"),
}

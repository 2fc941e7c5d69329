"""``python -m helpers.wrong_answers <lab_id> [exercise ...]`` (from tests/): try a lab's cases."""
import sys

from . import _main

sys.exit(_main(sys.argv[1:]))

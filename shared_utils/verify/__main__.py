"""``python -m shared_utils.verify`` (what ``python3 run.py verify`` runs)."""
import sys

from .reporting import main

if __name__ == "__main__":
    sys.exit(main())

"""`gallon compare` as a script: `python jobs/compare_chemprop.py ...`, as `ray job submit` runs it.

The job is gallon.commands.compare; its docstring lists the flags and examples.
"""

import sys

from gallon.commands.compare import main

if __name__ == "__main__":
    sys.exit(main())

"""`gallon explain` as a script: `python jobs/explain.py ...`, as `ray job submit` runs it.

The job is gallon.commands.explain; its docstring lists the flags and examples.
"""

import sys

from gallon.commands.explain import main

if __name__ == "__main__":
    sys.exit(main())

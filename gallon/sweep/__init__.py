"""Ray Tune sweeps of the distilled student (teachers are trained once, outside the sweep)."""

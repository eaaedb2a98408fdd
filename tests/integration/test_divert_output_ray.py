"""`divert_output` with a local Ray: a worker's late lines never reach the terminal.

Ray relays the workers' output to the driver asynchronously; a line still in flight when the
job gives the terminal back (a vLLM worker's exit traceback did this) stays off it: the job
stops its local Ray before restoring the terminal."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.integration

CHILD = textwrap.dedent(
    """
    import sys, time
    import ray
    from gallon.cli import divert_output
    restore = divert_output(sys.argv[1])
    ray.init(num_cpus=1, log_to_driver=True, include_dashboard=False)

    @ray.remote
    def speak():  # as a worker's exit traceback: printed after its task returned
        import threading
        threading.Timer(0.5, lambda: print("late worker line", flush=True)).start()
        return 1

    ray.get(speak.remote())
    restore()           # while the relayed line may still be on its way
    time.sleep(3)       # long enough for Ray to relay it
    print("after restore", file=sys.stderr)
    """
)


def test_a_workers_late_line_never_reaches_the_terminal(tmp_path):
    path = tmp_path / "ray.log"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "after restore" in proc.stderr
    assert "late worker line" not in proc.stdout + proc.stderr

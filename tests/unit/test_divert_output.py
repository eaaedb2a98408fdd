"""`divert_output`: the process's own stdout/stderr to a file, gallon's terminal lines kept.

Run in a child process: pytest captures this one's stdout and stderr, where diverting is a
no-op by design."""

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import logging, os, sys
    from gallon.cli import divert_output, setup_logging, terminal
    setup_logging()
    log = logging.getLogger("gallon.test")
    restore = divert_output(sys.argv[1])
    os.write(2, b"native stderr\\n")   # as Ray core's C++ lines
    os.write(1, b"native stdout\\n")
    print("relayed worker line")       # as Ray relays a worker's output: sys.stdout
    print("warning module line", file=sys.stderr)
    log.warning("gallon warning")      # gallon's terminal handler
    print("progress line", file=terminal())
    restore()
    print("after restore", file=sys.stderr)
    restore()                          # idempotent
    """
)


def test_native_output_goes_to_the_file_and_gallon_lines_to_the_terminal(tmp_path):
    path = tmp_path / "ray.log"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    diverted = path.read_text()
    for line in ("native stderr", "native stdout", "relayed worker line", "warning module line"):
        assert line in diverted and line not in proc.stdout + proc.stderr
    assert "gallon warning" in proc.stderr and "progress line" in proc.stderr
    assert "after restore" in proc.stderr
    assert "gallon warning" not in diverted and "after restore" not in diverted


def test_under_a_captured_stderr_nothing_is_diverted(tmp_path, capsys):
    from gallon.cli import divert_output, terminal

    restore = divert_output(tmp_path / "ray.log")
    assert terminal() is sys.stderr and not (tmp_path / "ray.log").exists()
    restore()

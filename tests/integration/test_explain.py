"""The explanation stage with real components: vLLM engines in Ray Data, a real vLLM server."""

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import EAGER, explain_args, load_json, run_job, run_ok

pytestmark = pytest.mark.integration
N_VALID = 11


def read_rows(out: Path) -> list[dict]:
    return pq.read_table(out / "explanations.parquet").to_pylist()


def test_vllm_engine_path_then_noop(tiny_llm, tiny_dataset, tmp_path):
    args = explain_args(
        tiny_dataset,
        tmp_path / "a",
        tmp_path / "cache",
        "--set",
        f"explain.model={tiny_llm}",
        "--set",
        EAGER,
    )
    proc = run_ok("explain.py", *args)
    shown = proc.stdout + proc.stderr  # without -v: vLLM's and Ray's own lines go to ray.log
    assert "No cloud storage mirror" not in shown and "pid=" not in shown
    assert "No cloud storage mirror" in (tmp_path / "a" / "ray.log").read_text()  # vLLM's
    assert '"succeeded": 11' in proc.stdout and "run folder:" in proc.stdout
    stats = load_json(tmp_path / "a" / "explain_stats.json")
    assert (stats["molecules"], stats["requested"], stats["succeeded"]) == (
        N_VALID,
        N_VALID,
        N_VALID,
    )
    rows = read_rows(tmp_path / "a")
    assert len({r["key"] for r in rows}) == N_VALID and all(r["output_tokens"] == 8 for r in rows)
    assert all(r["error"] is None and r["model"] == str(tiny_llm) for r in rows)
    errors = pq.read_table(tmp_path / "a" / "errors.parquet").to_pylist()
    assert [(e["row"], e["stage"]) for e in errors] == [(4, "load")]  # never reached the LLM
    assert "## Explanations" in (tmp_path / "a" / "report.md").read_text()

    args[args.index(str(tmp_path / "a"))] = str(tmp_path / "b")
    run_ok("explain.py", *args)
    again = load_json(tmp_path / "b" / "explain_stats.json")
    assert (again["requested"], again["cached"]) == (0, N_VALID)
    assert read_rows(tmp_path / "b") == rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


@pytest.fixture(scope="module")
def vllm_server(tiny_llm):
    """A real OpenAI-compatible vLLM server on 127.0.0.1 serving the tiny model."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            str(tiny_llm),
            "--served-model-name",
            "tiny",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--enforce-eager",
            "--max-model-len",
            "2048",
            "--gpu-memory-utilization",
            "0.2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 240
    while time.time() < deadline:
        try:
            _get(url + "/models")
            break
        except OSError:
            assert proc.poll() is None, "the vLLM server exited"
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("the vLLM server did not come up in 240 s")
    yield url
    proc.terminate()
    proc.wait(30)


def _metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )


def _served(url: str, timeout: float = 60.0) -> float:
    """Successful requests the server has counted (its Prometheus metrics), once it is idle.

    A killed client can leave requests in flight that the server still finishes and counts;
    reading the counter before they drain would credit them to the next run.
    """
    deadline = time.time() + timeout
    last = None
    while True:
        text = _get(url.removesuffix("/v1") + "/metrics")
        busy = _metric(text, "vllm:num_requests_running") + _metric(
            text, "vllm:num_requests_waiting"
        )
        done = _metric(text, "vllm:request_success_total")
        if (busy == 0 and done == last) or time.time() > deadline:
            return done
        last = done if busy == 0 else None
        time.sleep(1.0)


def test_openai_path_resumes_asking_only_missing_rows(vllm_server, tiny_dataset, tmp_path):
    cache = tmp_path / "cache"
    common = [
        "--set",
        "explain.backend=openai",
        "--set",
        f"explain.url={vllm_server}",
        "--set",
        "explain.model=tiny",
    ]
    before = _served(vllm_server)
    killed = run_job(
        "explain.py",
        *explain_args(tiny_dataset, tmp_path / "a", cache, *common),
        env={"GALLON_INJECT_CRASH": "explain:2"},
    )
    assert killed.returncode != 0  # the run died after two written batches
    shards = list(cache.glob("part-*.parquet"))
    cached = sum(pq.read_metadata(p).num_rows for p in shards)
    assert len(shards) == 2 and 0 < cached < N_VALID
    assert not list(cache.glob(".*tmp"))  # no half-written shard left behind

    mid = _served(vllm_server)
    run_ok("explain.py", *explain_args(tiny_dataset, tmp_path / "b", cache, *common))
    stats = load_json(tmp_path / "b" / "explain_stats.json")
    assert stats["requested"] == N_VALID - cached and stats["cached"] == cached
    assert _served(vllm_server) - mid == N_VALID - cached  # the server saw only the missing rows
    assert mid - before >= cached
    rows = read_rows(tmp_path / "b")
    assert len(rows) == N_VALID and len({r["key"] for r in rows}) == N_VALID
    assert all(r["error"] is None and r["explanation"] is not None for r in rows)


class _Recorder(BaseHTTPRequestHandler):
    """A real HTTP endpoint that records requests; it fails every request for 'CCN'."""

    requests: list = []

    def log_message(self, *args):
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"object": "list", "data": [{"id": "vlm"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Recorder.requests.append({"headers": dict(self.headers), "body": body})
        text = body["messages"][0]["content"][0]["text"]
        if "SMILES: CCN\n" in text:
            self._send(500, {"object": "error", "message": "model overloaded", "code": 500})
            return
        self._send(
            200,
            {
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "It is polar."},
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 3},
            },
        )


@pytest.fixture
def recorder():
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", _Recorder.requests
    server.shutdown()


def test_multimodal_request_failures_and_api_key(recorder, tiny_dataset, tmp_path):
    url, requests = recorder
    secret = "sk-test-" + os.urandom(8).hex()
    out = tmp_path / "run"
    run_ok(
        "explain.py",
        *explain_args(
            tiny_dataset,
            out,
            tmp_path / "cache",
            "--set",
            "explain.backend=openai",
            "--set",
            f"explain.url={url}",
            "--set",
            "explain.model=vlm",
            "--set",
            "explain.image=true",
            "--set",
            "explain.image_size=320",
            "--set",
            "explain.bonds=true",
            "--set",
            "explain.api_key_env=GALLON_TEST_KEY",
            "--set",
            "explain.max_retries=0",
        ),
        env={"GALLON_TEST_KEY": secret},
    )
    assert len(requests) == N_VALID
    for req in requests:
        assert req["headers"]["Authorization"] == f"Bearer {secret}"
        parts = req["body"]["messages"][0]["content"]
        assert [p["type"] for p in parts] == ["text", "image_url"]
        png = base64.b64decode(parts[1]["image_url"]["url"].removeprefix("data:image/png;base64,"))
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (320, 320)
        assert "Bonds:\nAtom 0" in parts[0]["text"]
    stats = load_json(out / "explain_stats.json")
    assert (stats["succeeded"], stats["failed"]) == (N_VALID - 1, 1)
    errors = pq.read_table(out / "errors.parquet").to_pylist()
    failed = [e for e in errors if e["stage"] == "explain"]
    assert (
        len(failed) == 1
        and failed[0]["smiles"] == "CCN"
        and "model overloaded" in failed[0]["reason"]
    )
    for path in out.rglob("*"):  # the key is never written anywhere in the run folder
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_unreachable_endpoint_is_one_sentence(tiny_dataset, tmp_path):
    proc = run_job(
        "explain.py",
        *explain_args(
            tiny_dataset,
            tmp_path / "run",
            tmp_path / "cache",
            "--set",
            "explain.backend=openai",
            "--set",
            f"explain.url=http://127.0.0.1:{_free_port()}/v1",
        ),
        timeout=180,
    )
    assert proc.returncode == 2
    assert "cannot be reached" in proc.stderr and "Traceback" not in proc.stderr

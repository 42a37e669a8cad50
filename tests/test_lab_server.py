"""`python -m emohelpers.lab` started for real on a loopback port, as `make lab` starts it:
the access token never appears in any process's command line (`ps` shows it to every local
user) and still guards the server; saving a notebook through the server's contents API
strips its outputs, so that autosave never writes outputs into the tracked notebooks."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, *, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}


def all_command_lines() -> list[str]:
    """Every process's command line that this user can read, as `ps` shows them."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue  # gone, or another user's
    return lines


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`python -m emohelpers.lab ROOT --port P`, the token read from what it prints."""
    root = tmp_path_factory.mktemp("lab-root")
    state = tmp_path_factory.mktemp("lab-state")
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("JUPYTER_TOKEN", None)
    log_path = state / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    cmd = [sys.executable, "-m", "emohelpers.lab", str(root), "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        token = None
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"the lab exited: {log_path.read_text()[-2000:]}")
            # The URL Jupyter prints last: it moves to the next port when this one was taken.
            found = re.findall(
                r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)", log_path.read_text()
            )
            if found:
                base, token = f"http://127.0.0.1:{found[-1][0]}", found[-1][1]
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                    break
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            pytest.fail(f"the lab did not start in 120 s: {log_path.read_text()[-2000:]}")
        yield {"base": base, "token": token, "root": root, "pid": proc.pid}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_the_token_is_in_no_command_line_and_still_guards_the_server(lab):
    base, token = lab["base"], lab["token"]
    assert len(token) >= 32
    # A kernel too: its command line is part of the lab's process tree.
    status, kernel = request(f"{base}/api/kernels?token={token}", method="POST", body={})
    assert status == 201, status
    try:
        lines = all_command_lines()
        assert any("jupyterlab" in line or "emohelpers.lab" in line for line in lines)
        assert not [line for line in lines if token in line]
        assert request(f"{base}/api/contents?token={token}")[0] == 200
        assert request(f"{base}/api/contents")[0] == 403
        wrong = ("1" if token[0] == "0" else "0") + token[1:]
        assert request(f"{base}/api/contents?token={wrong}")[0] == 403
    finally:
        request(f"{base}/api/kernels/{kernel['id']}?token={token}", method="DELETE")


def test_saving_a_notebook_strips_its_outputs_and_counts(lab):
    base, token, root = lab["base"], lab["token"], lab["root"]
    (root / "sub").mkdir()
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('hi')", execution_count=3)
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n" * 1000)]
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), code]
    model = {"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(nb))}
    status, _ = request(f"{base}/api/contents/sub/x.ipynb?token={token}", method="PUT", body=model)
    assert status in (200, 201), status
    saved = nbformat.read(root / "sub" / "x.ipynb", as_version=4)
    assert [c.cell_type for c in saved.cells] == ["markdown", "code"]
    assert saved.cells[1].source == "print('hi')"
    assert saved.cells[1].outputs == [] and saved.cells[1].execution_count is None
    assert saved.cells[0].source == "# title"
    # A file that is not a notebook is saved as it is.
    text = {"type": "file", "format": "text", "content": '{"outputs": [1]}'}
    assert request(f"{base}/api/contents/y.json?token={token}", method="PUT", body=text)[0] in (
        200,
        201,
    )
    assert (root / "y.json").read_text() == '{"outputs": [1]}'

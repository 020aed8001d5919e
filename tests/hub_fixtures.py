"""Pytest fixtures and helpers to test Hub code against the local hub server (`tests/hub_server/`).

Make the fixtures available to every test module with one line in `tests/conftest.py` (after the environment
variables are set; this module imports nothing from the Hugging Face libraries at import time)::

    pytest_plugins = ["hub_fixtures"]

and import the helpers where they are used: ``from hub_fixtures import last_json, run_with_hub``.

Why client code runs in a subprocess: `huggingface_hub`, `datasets` and `transformers` read `HF_ENDPOINT`,
`HF_HUB_OFFLINE`, `HF_HUB_DISABLE_XET` and `HF_HOME` once, at import time, and `conftest.py` sets
`HF_HUB_OFFLINE=1` for the whole suite. `run_with_hub` starts a fresh Python with the right environment and an
empty cache, which is also what "load it back by repo id in a fresh process" means::

    def test_push(hub_server):
        result = run_with_hub(hub_server, '''
            from huggingface_hub import HfApi
            print(HfApi().whoami()["name"])
        ''')
        assert result.stdout.strip() == "alice"

`hub_env` points the current process at the server instead (patched constants); it is enough for `HfApi` calls,
`hf_hub_download` and ``model.push_to_hub``; see its docstring for what it does not cover.

The server is shared by the session: give every test its own repo names, and use ``hub_server.log_mark()`` /
``hub_server.request_log(since=mark)`` to look only at the requests a test caused.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest


SERVER_SCRIPT = Path(__file__).resolve().parent / "hub_server" / "server.py"
REPO_ROOT = Path(__file__).resolve().parents[1]
_DEFAULT = object()  # "use the server's token for alice"

# Environment variables that would change where or whether a client talks to the Hub: dropped from the child's
# environment before the ones pointing it at the local server are set.
_CLIENT_ENV_DROP = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_TOKEN_PATH",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HUGGINGFACE_CO_STAGING",
    "HF_XET_CACHE",
)


class LoggedRequest(NamedTuple):
    """One request the server answered (the user name, never the token)."""

    method: str
    path: str
    status: int | None
    user: str | None
    query: dict


@dataclass
class HubServerHandle:
    """A running local hub server.

    Attributes:
        endpoint: its URL (``http://127.0.0.1:<port>``), for ``HF_ENDPOINT``.
        token: a valid token for user "alice".
        other_token: a valid token for user "bob".
        data_dir: where the server keeps repos, commits and blobs (inspectable while it runs).
        log_file: the request log, one JSON object a line.
        pid: the server process id.
        scratch_dir: a folder for per-call client homes (``HF_HOME``).
    """

    endpoint: str
    token: str
    other_token: str
    data_dir: Path
    log_file: Path
    pid: int
    scratch_dir: Path
    users: dict[str, str] = field(repr=False)
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _homes: itertools.count = field(default_factory=itertools.count, repr=False)

    def request_log(self, since: int = 0) -> list[LoggedRequest]:
        """Requests seen so far, oldest first; ``since`` skips the first ones (see `log_mark`)."""
        if not self.log_file.exists():
            return []
        # The server appends whole lines; a last line without its newline is still being written.
        lines = self.log_file.read_text().split("\n")[:-1]
        records = [json.loads(line) for line in lines if line.strip()]
        return [
            LoggedRequest(r["method"], r["path"], r["status"], r["user"], r.get("query", {})) for r in records[since:]
        ]

    def log_mark(self) -> int:
        """The number of requests logged so far: pass it to `request_log(since=...)` to see only later ones.

        The server is shared by the whole session, so a test should look only at the requests it caused.
        """
        return len(self.request_log())

    def exit_status(self, timeout: float = 10.0) -> int | None:
        """The server process's exit status once it has exited (waiting up to `timeout` s), `None` if it still runs."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def new_hf_home(self) -> Path:
        """A fresh, empty ``HF_HOME`` (so a client process starts with no cache and no stored token)."""
        home = self.scratch_dir / f"hf-home-{next(self._homes)}"
        home.mkdir(parents=True)
        return home

    def client_env(
        self, token=_DEFAULT, hf_home: str | Path | None = None, env: dict | None = None, xet: bool = False
    ) -> dict:
        """The environment for a client process that talks to this server.

        Args:
            token: the token to send (``HF_TOKEN``); default: alice's; ``None``: anonymous.
            hf_home: the client's ``HF_HOME``; default: a fresh empty folder.
            env: extra variables, applied last.
            xet: leave Xet as huggingface_hub's default has it (on, ``HF_HUB_DISABLE_XET`` unset) instead of
                setting ``HF_HUB_DISABLE_XET=1``: the server does not speak Xet, so uploads of LFS files then fail
                (what a user of the default client configuration meets on a Hub without Xet storage).
        """
        child = {k: v for k, v in os.environ.items() if k not in _CLIENT_ENV_DROP and k != "HF_HUB_DISABLE_XET"}
        child.update(
            HF_ENDPOINT=self.endpoint,
            HF_HOME=str(hf_home if hf_home is not None else self.new_hf_home()),
            HF_HUB_OFFLINE="0",
            HF_DATASETS_OFFLINE="0",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_UPDATE_CHECK="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_DATASETS_DISABLE_PROGRESS_BARS="1",
            HF_HUB_DISABLE_IMPLICIT_TOKEN="0",
            TOKENIZERS_PARALLELISM="false",
            NO_PROXY=_with_loopback(os.environ.get("NO_PROXY")),
            no_proxy=_with_loopback(os.environ.get("no_proxy")),
            PYTHONUNBUFFERED="1",
        )
        if not xet:
            child["HF_HUB_DISABLE_XET"] = "1"  # this server speaks git-LFS "basic", not Xet
        token = self.token if token is _DEFAULT else token
        if token is not None:
            child["HF_TOKEN"] = token
        child.update(env or {})
        return child


def _with_loopback(value: str | None) -> str:
    hosts = [h for h in (value or "").split(",") if h]
    return ",".join(hosts + [h for h in ("127.0.0.1", "localhost") if h not in hosts])


def start_hub_server(
    base_dir: str | Path,
    startup_timeout: float = 20.0,
    *,
    port: int = 0,
    data_dir: str | Path | None = None,
    users: dict[str, str] | None = None,
    server_args: tuple[str, ...] = (),
) -> HubServerHandle:
    """Start the server as a subprocess on a free loopback port and wait until it answers.

    ``base_dir`` receives the data dir, the request log, the users file and the server's own output.
    Stop it with `stop_hub_server`.

    Args:
        base_dir: the folder for the server's files.
        startup_timeout: seconds to wait for it to answer.
        port: the loopback port; default (0): a free one. The port of a server that stopped brings it back at the
            endpoint its clients know.
        data_dir: the repos, commits and blobs (default ``base_dir / "data"``); pass the data dir of a server that
            stopped (with its ``users``) to serve what it had stored, as a restarted server would.
        users: ``{user: token}``; default: alice and bob with fresh random tokens.
        server_args: more command-line options, e.g. ``("--crash-on", "PUT /lfs-upload/", "--crash-after", "2")``.
    """
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    users = users or {"alice": f"hf_alice_{secrets.token_hex(12)}", "bob": f"hf_bob_{secrets.token_hex(12)}"}
    users_file = base_dir / "users.json"
    users_file.write_text(json.dumps(users))
    ready_file, log_file = base_dir / "ready.json", base_dir / "requests.jsonl"
    data_dir = Path(data_dir) if data_dir is not None else base_dir / "data"
    ready_file.unlink(missing_ok=True)  # left by an earlier server in this folder: it would name a dead endpoint
    output = open(base_dir / "server-output.txt", "wb")  # noqa: SIM115 - the child writes to it for its lifetime
    cmd = [sys.executable, str(SERVER_SCRIPT), "--port", str(port), "--data-dir", str(data_dir)]
    cmd += ["--log-file", str(log_file), "--users-file", str(users_file), "--ready-file", str(ready_file)]
    cmd += list(server_args)
    process = subprocess.Popen(cmd, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    output.close()
    deadline = time.monotonic() + startup_timeout
    while not ready_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_hub_server(process)
            raise RuntimeError(f"local hub server did not start: {(base_dir / 'server-output.txt').read_text()}")
        time.sleep(0.05)
    endpoint = json.loads(ready_file.read_text())["endpoint"]
    handle = HubServerHandle(
        endpoint=endpoint,
        token=users["alice"],
        other_token=users["bob"],
        data_dir=data_dir,
        log_file=log_file,
        pid=process.pid,
        scratch_dir=base_dir / "clients",
        users=users,
        _process=process,
    )
    _wait_until_answers(endpoint, deadline, process)
    return handle


def _wait_until_answers(endpoint: str, deadline: float, process: subprocess.Popen) -> None:
    import urllib.request

    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_hub_server(process)
                raise RuntimeError(f"local hub server at {endpoint} does not answer") from None
            time.sleep(0.05)


def stop_hub_server(process_or_handle) -> None:
    """Stop the server by its PID: SIGTERM, then SIGKILL after 10 s."""
    process = getattr(process_or_handle, "_process", process_or_handle)
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def run_with_hub(
    hub_server: HubServerHandle,
    code_or_script: str | Path,
    *args: str,
    token=_DEFAULT,
    env: dict | None = None,
    hf_home: str | Path | None = None,
    cwd: str | Path | None = None,
    timeout: float = 180,
    check: bool = True,
    xet: bool = False,
) -> subprocess.CompletedProcess:
    """Run Python code (or a script file) in a fresh process pointed at the local hub server.

    Args:
        hub_server: the `hub_server` fixture.
        code_or_script: source code (dedented), or the path of a ``.py`` file.
        *args: command-line arguments for the script (``sys.argv[1:]``).
        token: the token the client sends (``HF_TOKEN``): default alice's, ``hub_server.other_token`` for bob,
            ``None`` for an anonymous client.
        env: extra environment variables (applied last, so they can override the defaults).
        hf_home: the client's ``HF_HOME``; default: a fresh empty folder, so nothing is cached from earlier calls.
        cwd: working directory; default: the repository root.
        timeout: seconds before the child is killed (`subprocess.TimeoutExpired`).
        check: raise an `AssertionError` showing the child's output if it exits with a non-zero status.
        xet: keep huggingface_hub's default Xet setting (see `HubServerHandle.client_env`).

    Returns:
        `subprocess.CompletedProcess` with text ``stdout`` and ``stderr``.
    """
    if isinstance(code_or_script, Path) or (code_or_script.endswith(".py") and "\n" not in code_or_script):
        cmd = [sys.executable, str(code_or_script), *args]
    else:
        cmd = [sys.executable, "-c", textwrap.dedent(code_or_script), *args]
    result = subprocess.run(
        cmd,
        env=hub_server.client_env(token=token, hf_home=hf_home, env=env, xet=xet),
        cwd=str(cwd or REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"client process exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n"
            f"--- stderr ---\n{result.stderr}"
        )
    return result


def last_json(result: subprocess.CompletedProcess):
    """The JSON value a client script printed on its last stdout line."""
    return json.loads(result.stdout.strip().splitlines()[-1])


# One server per session even when the fixture is defined in two places (conftest and a test module):
# the first `hub_server` fixture to run starts it, the last to finish stops it.
_SHARED: dict = {"handle": None, "users": 0}


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory) -> HubServerHandle:
    """A local Hub-compatible server, for the whole session, on a free loopback port.

    Yields a `HubServerHandle`: ``.endpoint``, ``.token`` (alice), ``.other_token`` (bob), ``.request_log()``,
    ``.log_mark()``, ``.data_dir``. Repos persist for the session: give each test its own repo names.
    """
    if _SHARED["handle"] is None:
        _SHARED["handle"] = start_hub_server(tmp_path_factory.mktemp("hub-server"))
    _SHARED["users"] += 1
    try:
        yield _SHARED["handle"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            stop_hub_server(_SHARED["handle"])
            _SHARED["handle"] = None


@pytest.fixture
def hub_env(hub_server, monkeypatch, tmp_path) -> HubServerHandle:
    """Point `huggingface_hub` (and `datasets`, if imported) *in this process* at the local server.

    Sets the environment variables and patches what was read at import time: ``constants.ENDPOINT``, the
    download URL template, offline mode (forced off), Xet (forced off), the cache folders, the endpoint of the
    module-level ``HfApi`` behind ``huggingface_hub.create_repo``/``upload_folder``/..., transformers' cached
    ``HfApi`` and, if `datasets` is imported, ``datasets.config``. The token comes from ``HF_TOKEN`` (alice's).
    Enough for `HfApi`, `hf_hub_download`, `snapshot_download` and ``model.push_to_hub``. Anything else that copied
    a value at import (``from huggingface_hub.constants import ENDPOINT``, a client object built earlier) still
    sees the old one: for push/load round trips prefer `run_with_hub`, which starts a clean process.
    """
    from huggingface_hub import constants

    hf_api_module = importlib.import_module("huggingface_hub.hf_api")
    from huggingface_hub.utils import _http

    home = tmp_path / "hf-home"
    for key, value in hub_server.client_env(hf_home=home).items():
        if key.startswith(("HF_", "NO_PROXY", "no_proxy")):
            monkeypatch.setenv(key, value)
    monkeypatch.setattr(constants, "ENDPOINT", hub_server.endpoint)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub_server.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(
        _http, "_HUB_ORIGINS", _http._HUB_ORIGINS | {_http._url_origin(hub_server.endpoint)}, raising=False
    )
    # `huggingface_hub.create_repo`, `upload_folder`, `whoami`... are bound methods of one `HfApi` built at import.
    monkeypatch.setattr(hf_api_module.api, "endpoint", hub_server.endpoint)
    if "transformers" in sys.modules:
        import transformers.utils.hub

        # transformers caches its own `HfApi` (with the endpoint of the moment) on first use: drop it.
        monkeypatch.setattr(transformers.utils.hub, "_hf_api", None, raising=False)
    if "datasets" in sys.modules:
        import datasets.config

        monkeypatch.setattr(datasets.config, "HF_ENDPOINT", hub_server.endpoint)
        monkeypatch.setattr(
            datasets.config, "HUB_DATASETS_URL", hub_server.endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}"
        )
        monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", False)
        monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")
    yield hub_server


def closed_port_endpoint() -> str:
    """A loopback URL on which nothing listens (the port was free a moment ago), for server-down tests."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


__all__ = [
    "HubServerHandle",
    "LoggedRequest",
    "closed_port_endpoint",
    "hub_env",
    "hub_server",
    "last_json",
    "run_with_hub",
    "start_hub_server",
    "stop_hub_server",
]

"""A local Hugging Face Hub-compatible HTTP server, for tests.

It speaks the subset of the Hub's HTTP API that ``huggingface_hub`` 2.x uses to create repos, commit files (regular
files inline, large or binary files through the git-LFS "basic" batch protocol), read repo metadata and download files,
so that push/load code can be tested end to end with real HTTP traffic and no access to huggingface.co.

Only the standard library is used. The server listens on a loopback address only. State lives in a data directory
that can be inspected while the server runs:

```
<data-dir>/blobs/<sha256>                                   file contents, content-addressed
<data-dir>/repos/<type>/<namespace>/<name>/repo.json        owner, visibility, refs (branches, tags, PRs)
<data-dir>/repos/<type>/<namespace>/<name>/commits/<oid>.json   commit snapshots: metadata + {path: file entry}
<data-dir>/tmp/                                             uploads in progress
```

Clients must run with ``HF_HUB_DISABLE_XET=1``: this server does not speak the Xet protocol (it answers 404 to the
Xet token requests, as a Hub without Xet storage would).

``--crash-on "PUT /lfs-upload/" --crash-after 2`` makes the server die (exit status 70, no answer sent) on the third
request whose method and path start with that prefix, once the two before it have been answered: a server that goes
away in the middle of a push, at a point a test chooses. Restarted on the same ``--data-dir``, it serves what was
stored before the crash.

Run it with ``python tests/hub_server/server.py --port 0 --data-dir D --log-file L --ready-file R`` (or
``python -m tests.hub_server ...`` from the repository root). ``--port 0`` picks a free port; the URL is written to
the ready file and printed on stdout once the socket listens. The request log (``--log-file``) has one JSON object a
line: method, path, query, status and user name (never a token).
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import http.server
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit


try:  # Only used to validate README.md metadata; the project depends on pyyaml anyway.
    import yaml
except ImportError:  # pragma: no cover
    yaml = None


DEFAULT_USERS = {"alice": "hf_local_alice_token", "bob": "hf_local_bob_token"}
DEFAULT_BRANCH = "main"
# The Hub sends files of 10 MB or more through LFS, whatever their name.
DEFAULT_LFS_THRESHOLD = 10 * 1024 * 1024
REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
LFS_POINTER_TEMPLATE = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"
LFS_CONTENT_TYPE = "application/vnd.git-lfs+json"
CHUNK_SIZE = 1024 * 1024
MAX_UPLOAD_TICKETS = 10_000
UPLOAD_TICKET_TTL_S = 3600
CRASH_EXIT_CODE = 70  # EX_SOFTWARE: the exit status of a server stopped by --crash-on

# A subset of the `.gitattributes` the Hub writes in every new repo: these names go through LFS whatever their size.
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in (
        "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
        "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
        "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar",
        "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
    )
)  # fmt: skip

REPO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
BRANCH_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
COMMIT_OID_RE = re.compile(r"^[0-9a-f]{40}$")
SHORT_OID_RE = re.compile(r"^[0-9a-f]{7,39}$")
PR_REF_RE = re.compile(r"^refs/pr/(\d+)$")


class HubError(Exception):
    """An error answered to the client: status code, message and the Hub's ``X-Error-Code`` when it has one."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def repo_not_found(repo_id: str) -> HubError:
    return HubError(404, f"Repository not found: {repo_id}", "RepoNotFound")


def now_iso() -> str:
    """The Hub's timestamp format, which `huggingface_hub.utils.parse_datetime` expects."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def git_blob_oid(data: bytes) -> str:
    """The git object id of a blob, as the Hub reports for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return LFS_POINTER_TEMPLATE.format(oid=sha256, size=size).encode()


def is_valid_repo_id(repo_id: str) -> bool:
    """``namespace/name``, each part a safe folder name (the Hub also forbids "--" and "..")."""
    parts = repo_id.split("/")
    return len(parts) == 2 and all(
        REPO_NAME_RE.match(p) and "--" not in p and ".." not in p and not p.endswith(".git") for p in parts
    )


def validate_path_in_repo(path: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0] == ".git":
        raise HubError(400, f"Invalid path in repo: {path!r}")
    return path


def lfs_patterns(gitattributes: str) -> list[str]:
    """Patterns that a `.gitattributes` file sends through LFS (``filter=lfs``)."""
    patterns = []
    for line in gitattributes.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and "filter=lfs" in fields[1:]:
            patterns.append(fields[0])
    return patterns


def matches_any(path: str, patterns: list[str]) -> bool:
    """gitattributes-style match: a pattern without a slash matches the base name, one with a slash the whole path."""
    basename = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        pattern = pattern.lstrip("/")
        if fnmatch.fnmatchcase(path if "/" in pattern else basename, pattern):
            return True
    return False


class HubStore:
    """Repos, commits and blobs on disk. Every method that touches state runs under one lock.

    A commit is a JSON snapshot of the whole tree: ``{path: {"sha256", "size", "lfs", "oid"}}``, where ``oid`` is
    the git blob id the Hub reports (of the content for a regular file, of the LFS pointer for an LFS file).
    """

    def __init__(self, data_dir: Path, lfs_threshold: int = DEFAULT_LFS_THRESHOLD):
        self.data_dir = Path(data_dir)
        self.blobs_dir = self.data_dir / "blobs"
        self.repos_dir = self.data_dir / "repos"
        self.tmp_dir = self.data_dir / "tmp"
        for directory in (self.blobs_dir, self.repos_dir, self.tmp_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.lfs_threshold = lfs_threshold
        self.lock = threading.RLock()

    # -- low-level storage ------------------------------------------------------------------------------------------

    @staticmethod
    def _write_json(path: Path, obj) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def blob_path(self, sha256: str) -> Path:
        return self.blobs_dir / sha256

    def has_blob(self, sha256: str, size: int | None = None) -> bool:
        path = self.blob_path(sha256)
        return path.is_file() and (size is None or path.stat().st_size == size)

    def put_blob_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_blob(sha256):
            tmp = self.tmp_dir / f"{sha256}.{secrets.token_hex(4)}"
            tmp.write_bytes(data)
            os.replace(tmp, self.blob_path(sha256))
        return sha256

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        namespace, name = repo_id.split("/")
        return self.repos_dir / repo_type / namespace / name

    def load_repo(self, repo_type: str, repo_id: str) -> dict | None:
        path = self.repo_dir(repo_type, repo_id) / "repo.json"
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def save_repo(self, repo: dict) -> None:
        self._write_json(self.repo_dir(repo["type"], repo["id"]) / "repo.json", repo)

    def load_commit(self, repo: dict, oid: str) -> dict:
        return json.loads((self.repo_dir(repo["type"], repo["id"]) / "commits" / f"{oid}.json").read_text())

    def has_commit(self, repo: dict, oid: str) -> bool:
        return (self.repo_dir(repo["type"], repo["id"]) / "commits" / f"{oid}.json").is_file()

    def all_commit_oids(self, repo: dict) -> list[str]:
        return [p.stem for p in (self.repo_dir(repo["type"], repo["id"]) / "commits").glob("*.json")]

    # -- refs --------------------------------------------------------------------------------------------------------

    def resolve_revision(self, repo: dict, revision: str) -> str:
        """Commit oid of a branch, tag, PR ref, full or abbreviated commit id; `RevisionNotFound` otherwise."""
        refs = repo["refs"]
        for prefix, kind in (("refs/heads/", "heads"), ("refs/tags/", "tags"), ("", "heads"), ("", "tags")):
            if revision.startswith(prefix) and revision[len(prefix) :] in refs[kind]:
                return refs[kind][revision[len(prefix) :]]
        if (match := PR_REF_RE.match(revision)) and match.group(1) in refs["prs"]:
            return refs["prs"][match.group(1)]
        if COMMIT_OID_RE.match(revision) and self.has_commit(repo, revision):
            return revision
        if SHORT_OID_RE.match(revision):
            candidates = [oid for oid in self.all_commit_oids(repo) if oid.startswith(revision)]
            if len(candidates) == 1:
                return candidates[0]
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def writable_ref(self, repo: dict, revision: str) -> tuple[str, str]:
        """(kind, name) of the branch or PR ref a commit to `revision` moves."""
        name = revision[len("refs/heads/") :] if revision.startswith("refs/heads/") else revision
        if name in repo["refs"]["heads"]:
            return "heads", name
        if (match := PR_REF_RE.match(revision)) and match.group(1) in repo["refs"]["prs"]:
            return "prs", match.group(1)
        raise HubError(404, f"Invalid rev id: {revision} is not a branch", "RevisionNotFound")

    # -- commits -----------------------------------------------------------------------------------------------------

    def new_commit(self, repo: dict, parent: str | None, files: dict, title: str, message: str, author: str) -> str:
        commit = {
            "parents": [parent] if parent else [],
            "title": title,
            "message": message,
            "author": author,
            "date": now_iso(),
            "files": files,
        }
        # Unique even for two identical commits in the same millisecond.
        seed = json.dumps(commit, sort_keys=True) + secrets.token_hex(8)
        oid = hashlib.sha1(seed.encode()).hexdigest()
        commit["id"] = oid
        self._write_json(self.repo_dir(repo["type"], repo["id"]) / "commits" / f"{oid}.json", commit)
        return oid

    def file_entry(self, sha256: str, size: int, lfs: bool) -> dict:
        oid = git_blob_oid(lfs_pointer(sha256, size) if lfs else self.read_blob(sha256))
        return {"sha256": sha256, "size": size, "lfs": lfs, "oid": oid}

    def create_repo(self, repo_type: str, repo_id: str, owner: str, private: bool) -> dict:
        created = now_iso()
        repo = {
            "id": repo_id,
            "type": repo_type,
            "owner": owner,
            "private": private,
            "createdAt": created,
            "refs": {"heads": {}, "tags": {}, "prs": {}},
        }
        sha = self.put_blob_bytes(DEFAULT_GITATTRIBUTES.encode())
        files = {".gitattributes": self.file_entry(sha, len(DEFAULT_GITATTRIBUTES), lfs=False)}
        repo["refs"]["heads"][DEFAULT_BRANCH] = self.new_commit(repo, None, files, "initial commit", "", owner)
        self.save_repo(repo)
        return repo

    def delete_repo(self, repo: dict) -> None:
        shutil.rmtree(self.repo_dir(repo["type"], repo["id"]))

    def upload_mode(self, files: dict, path: str, size: int, sample: bytes) -> str:
        if size == 0:
            return "regular"
        if size >= self.lfs_threshold or b"\0" in sample:
            return "lfs"
        gitattributes = files.get(".gitattributes")
        patterns = (
            lfs_patterns(self.read_blob(gitattributes["sha256"]).decode(errors="replace")) if gitattributes else []
        )
        return "lfs" if matches_any(path, patterns) else "regular"


class UploadTickets:
    """One-use, expiring upload URLs for LFS objects (the PUT carries no Authorization header)."""

    def __init__(self):
        self._tickets: OrderedDict[str, tuple[str, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, oid: str, size: int) -> str:
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._tickets[ticket] = (oid, size, time.monotonic() + UPLOAD_TICKET_TTL_S)
            while len(self._tickets) > MAX_UPLOAD_TICKETS:
                self._tickets.popitem(last=False)
        return ticket

    def take(self, ticket: str, oid: str) -> int:
        with self._lock:
            entry = self._tickets.get(ticket)
            if entry is None or entry[0] != oid or entry[2] < time.monotonic():
                raise HubError(403, "Invalid or expired upload URL")
            del self._tickets[ticket]
        return entry[1]


class CrashPoint:
    """Where the server dies on purpose: the request after the first `after` ones whose ``"METHOD /path"`` starts
    with `prefix`.

    The fatal request waits until the ones before it have been answered, so exactly `after` of them took effect
    whatever the order in which concurrent client threads send them.
    """

    def __init__(self, prefix: str, after: int = 0):
        if not re.fullmatch(r"[A-Z]+ /\S*", prefix) or after < 0:
            raise ValueError(
                f"--crash-on expects 'METHOD /path-prefix' and --crash-after >= 0, got {prefix!r} {after}"
            )
        self.prefix, self.after = prefix, after
        self._seen = self._answered = 0
        self._condition = threading.Condition()

    def matches(self, method: str, path: str) -> bool:
        return f"{method} {path}".startswith(self.prefix)

    def is_fatal(self) -> bool:
        """Counts a matching request; for the fatal one, waits (up to 60 s) until the earlier ones were answered."""
        with self._condition:
            index = self._seen
            self._seen += 1
            if index < self.after:
                return False
            self._condition.wait_for(lambda: self._answered >= self.after, timeout=60)
            return True

    def answered(self) -> None:
        with self._condition:
            self._answered += 1
            self._condition.notify_all()


class HubServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address,
        store: HubStore,
        users: dict[str, str],
        log_file: Path | None,
        crash_point: CrashPoint | None = None,
    ):
        self.store = store
        self.tokens = {token: user for user, token in users.items()}
        self.users = set(users)
        self.tickets = UploadTickets()
        self.log_path = Path(log_file) if log_file else None
        self._log_lock = threading.Lock()
        self.crash_point = crash_point
        super().__init__(address, HubRequestHandler)

    def log_request_record(self, record: dict) -> None:
        if self.log_path is None:
            return
        line = json.dumps(record) + "\n"
        with self._log_lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(line)


class HubRequestHandler(http.server.BaseHTTPRequestHandler):
    """Routes a request to the Hub endpoint that `huggingface_hub` 2.x expects, and logs it."""

    protocol_version = "HTTP/1.1"  # keep-alive: every response carries a Content-Length
    disable_nagle_algorithm = True  # about 40x faster on loopback
    server_version = "LocalHub/1.0"
    server: HubServer
    _logged = True  # requests the base class rejects before `_handle` (malformed request lines) are not logged

    # -- plumbing ----------------------------------------------------------------------------------------------------

    def log_message(self, format, *args):  # the base class names it `format`
        pass  # the JSON request log replaces the default stderr log (which would show upload tickets)

    def do_GET(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _handle(self) -> None:
        self._logged = False
        self._user = None
        self._body_consumed = False
        split = urlsplit(self.path)
        self._raw_path = split.path
        self._query = parse_qs(split.query, keep_blank_values=True)
        crash_point = self.server.crash_point
        counted = crash_point is not None and crash_point.matches(self.command, unquote(self._raw_path))
        if counted and crash_point.is_fatal():
            self._log(None)
            os._exit(CRASH_EXIT_CODE)  # no answer, no cleanup: the process is gone, as after a crash
        try:
            self._user = self._authenticate()
            self._route()
        except HubError as err:
            self._send_error(err)
        except Exception as err:  # a bug in this server: say so, loudly
            traceback.print_exc(file=sys.stderr)
            self._send_error(HubError(500, f"Internal error in the local hub server: {err!r}"))
        finally:
            if not self._body_consumed and self.command in ("POST", "PUT", "DELETE"):
                self.close_connection = True  # an unread body would corrupt the next request on this connection
            self._log(None)  # no response could be sent
            if counted:
                crash_point.answered()

    def _log(self, status: int | None) -> None:
        """Log the request once, before its response goes out: a client that got an answer finds it in the log."""
        if self._logged:
            return
        self._logged = True
        self.server.log_request_record(
            {
                "time": time.time(),
                "method": self.command,
                "path": unquote(self._raw_path),
                "query": {k: v for k, v in self._query.items() if k != "ticket"},
                "status": status,
                "user": self._user,
            }
        )

    def send_response(self, code, message=None):
        self._log(code)
        super().send_response(code, message)

    def _authenticate(self) -> str | None:
        header = self.headers.get("Authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        user = self.server.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            # The exact message makes huggingface_hub report a bad token rather than a missing repo.
            raise HubError(401, "Invalid credentials in Authorization header")
        return user

    def _require_user(self) -> str:
        if self._user is None:
            raise HubError(401, "You must be authenticated to do this (no token sent)")
        return self._user

    def _body_chunks(self):
        """The request body, chunk by chunk, with Content-Length or chunked transfer encoding."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self._body_consumed = True
                    return
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, CHUNK_SIZE))
                    if not chunk:
                        raise HubError(400, "Truncated request body")
                    remaining -= len(chunk)
                    yield chunk
                self.rfile.readline(1024)
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                chunk = self.rfile.read(min(remaining, CHUNK_SIZE))
                if not chunk:
                    raise HubError(400, "Truncated request body")
                remaining -= len(chunk)
                yield chunk
            self._body_consumed = True

    def _body(self) -> bytes:
        return b"".join(self._body_chunks())

    def _json_body(self):
        body = self._body()
        try:
            return json.loads(body or b"{}")
        except ValueError as err:
            raise HubError(400, f"Invalid JSON body: {err}") from None

    @property
    def _base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{self.headers.get('Host') or f'{host}:{port}'}"

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json", headers=None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_json(self, obj, status: int = 200, content_type: str = "application/json", headers=None) -> None:
        self._send(status, json.dumps(obj).encode(), content_type, headers)

    def _send_error(self, err: HubError) -> None:
        if not self._body_consumed and self.command in ("POST", "PUT", "DELETE"):
            self.close_connection = True
        headers = {"X-Error-Message": err.message.replace("\n", " ")[:1000], **err.headers}
        if err.code:
            headers["X-Error-Code"] = err.code
        try:
            self._send_json({"error": err.message}, err.status, headers=headers)
        except OSError:
            pass  # the client went away

    # -- routing -----------------------------------------------------------------------------------------------------

    def _route(self) -> None:
        segments = [unquote(s) for s in self._raw_path.split("/")[1:]]
        method = self.command
        if segments and segments[-1] == "" and len(segments) > 1:
            segments = segments[:-1]

        if segments[:1] == ["api"]:
            return self._route_api(method, segments[1:])
        if segments[:1] == ["lfs-upload"] and len(segments) == 2 and method == "PUT":
            return self._lfs_upload(segments[1])

        # /[datasets/|spaces/]{ns}/{name}.git/info/lfs/objects/(batch|verify) and /...{ns}/{name}/resolve/{rev}/{path}
        repo_type = "model"
        if segments[:1] in (["datasets"], ["spaces"]) and len(segments) > 3:
            repo_type = REPO_TYPES[segments[0]]
            segments = segments[1:]
        if len(segments) == 6 and segments[1].endswith(".git") and segments[2:5] == ["info", "lfs", "objects"]:
            repo_id = f"{segments[0]}/{segments[1][: -len('.git')]}"
            if segments[5] == "batch" and method == "POST":
                return self._lfs_batch(repo_type, repo_id)
            if segments[5] == "verify" and method == "POST":
                return self._lfs_verify(repo_type, repo_id)
        if len(segments) >= 5 and segments[2] == "resolve" and method in ("GET", "HEAD"):
            repo_id = f"{segments[0]}/{segments[1]}"
            return self._resolve(repo_type, repo_id, segments[3], "/".join(segments[4:]))
        if len(segments) >= 4 and segments[1] == "resolve":
            raise repo_not_found(segments[0])  # a canonical id without namespace ("gpt2"): none exists here
        raise HubError(404, f"No such endpoint on the local hub server: {method} {self._raw_path}")

    def _route_api(self, method: str, segments: list[str]) -> None:
        if segments == ["whoami-v2"] and method == "GET":
            return self._whoami()
        if segments == ["health"] and method == "GET":
            return self._send_json({"ok": True})
        if segments == ["repos", "create"] and method == "POST":
            return self._create_repo()
        if segments == ["repos", "delete"] and method == "DELETE":
            return self._delete_repo()
        if segments == ["validate-yaml"] and method == "POST":
            return self._validate_yaml()
        if len(segments) == 2 and segments[0] in REPO_TYPES:
            raise repo_not_found(segments[1])  # a canonical id without namespace ("gpt2"): none exists here
        if len(segments) >= 3 and segments[0] in REPO_TYPES:
            repo_type = REPO_TYPES[segments[0]]
            repo_id = f"{segments[1]}/{segments[2]}"
            rest = segments[3:]
            if not rest and method == "GET":
                return self._repo_info(repo_type, repo_id, DEFAULT_BRANCH)
            if len(rest) == 2 and rest[0] == "revision" and method == "GET":
                return self._repo_info(repo_type, repo_id, rest[1])
            if len(rest) >= 2 and rest[0] == "tree" and method == "GET":
                return self._tree(repo_type, repo_id, rest[1], "/".join(rest[2:]))
            if len(rest) == 2 and rest[0] == "paths-info" and method == "POST":
                return self._paths_info(repo_type, repo_id, rest[1])
            if rest == ["refs"] and method == "GET":
                return self._refs(repo_type, repo_id)
            if len(rest) == 2 and rest[0] == "commits" and method == "GET":
                return self._commits(repo_type, repo_id, rest[1])
            if len(rest) >= 1 and rest[0] in ("xet-read-token", "xet-write-token"):
                # What a Hub without Xet storage answers; huggingface_hub then reports only the status and the URL.
                raise HubError(404, "This server does not offer Xet storage: set HF_HUB_DISABLE_XET=1 to use git-LFS")
            if len(rest) == 2 and rest[0] == "preupload" and method == "POST":
                return self._preupload(repo_type, repo_id, rest[1])
            if len(rest) == 2 and rest[0] == "commit" and method == "POST":
                return self._commit(repo_type, repo_id, rest[1])
            if len(rest) >= 2 and rest[0] == "branch" and method in ("POST", "DELETE"):
                return self._branch(repo_type, repo_id, "/".join(rest[1:]))
            if len(rest) >= 2 and rest[0] == "tag" and method in ("POST", "DELETE"):
                return self._tag(repo_type, repo_id, "/".join(rest[1:]))
        raise HubError(404, f"No such endpoint on the local hub server: {method} /api/{'/'.join(segments)}")

    # -- access control ----------------------------------------------------------------------------------------------

    def _readable_repo(self, repo_type: str, repo_id: str) -> dict:
        """The repo if this client may see it: private repos are invisible (404) to everyone but their owner."""
        repo = self.server.store.load_repo(repo_type, repo_id) if is_valid_repo_id(repo_id) else None
        if repo is None or (repo["private"] and repo["owner"] != self._user):
            raise repo_not_found(repo_id)
        return repo

    def _writable_repo(self, repo_type: str, repo_id: str) -> dict:
        repo = self._readable_repo(repo_type, repo_id)
        user = self._require_user()
        if repo["owner"] != user:
            raise HubError(403, f"You don't have the rights to write to {repo_type} {repo_id} (owned by another user)")
        return repo

    def _repo_url(self, repo: dict) -> str:
        return f"{self._base_url}/{URL_PREFIXES[repo['type']]}{repo['id']}"

    # -- account and repos -------------------------------------------------------------------------------------------

    def _whoami(self) -> None:
        user = self._user
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        self._send_json(
            {
                "type": "user",
                "id": hashlib.sha1(user.encode()).hexdigest()[:24],
                "name": user,
                "fullname": user.capitalize(),
                "email": f"{user}@localhost",
                "emailVerified": True,
                "isPro": False,
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "local-test", "role": "write"}},
            }
        )

    def _repo_request(self) -> tuple[str, str, dict]:
        payload = self._json_body()
        user = self._require_user()
        repo_type = payload.get("type") or "model"
        if repo_type not in URL_PREFIXES:
            raise HubError(400, f"Invalid repo type: {repo_type}")
        repo_id = f"{payload.get('organization') or user}/{payload.get('name') or ''}"
        if not is_valid_repo_id(repo_id):
            raise HubError(400, f"Invalid repo id: {repo_id!r}")
        return repo_type, repo_id, payload

    def _create_repo(self) -> None:
        repo_type, repo_id, payload = self._repo_request()
        user = self._user
        namespace = repo_id.split("/")[0]
        if namespace != user:
            raise HubError(
                403, f'You don\'t have the rights to create a {repo_type} under the namespace "{namespace}"'
            )
        private = payload.get("visibility") == "private" or payload.get("private") is True
        store = self.server.store
        with store.lock:
            existing = store.load_repo(repo_type, repo_id)
            if existing is not None:
                self._send_json(
                    {"error": f"You already created this {repo_type} repo", "url": self._repo_url(existing)},
                    409,
                    headers={"X-Error-Message": f"You already created this {repo_type} repo"},
                )
                return
            repo = store.create_repo(repo_type, repo_id, user, private)
        self._send_json({"url": self._repo_url(repo), "name": repo_id, "id": repo_id})

    def _delete_repo(self) -> None:
        repo_type, repo_id, _ = self._repo_request()
        store = self.server.store
        with store.lock:
            repo = self._writable_repo(repo_type, repo_id)
            store.delete_repo(repo)
        self._send(200)

    def _validate_yaml(self) -> None:
        payload = self._json_body()
        content = payload.get("content") or ""
        errors = []
        if content.startswith("---") and yaml is not None:
            match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.DOTALL)
            if match is None:
                errors.append("Unterminated YAML metadata block (a closing '---' is missing)")
            else:
                try:
                    metadata = yaml.safe_load(match.group(1))
                    if metadata is not None and not isinstance(metadata, dict):
                        errors.append("YAML metadata must be a mapping")
                except yaml.YAMLError as err:
                    errors.append(f"Invalid YAML metadata: {err}")
        if errors:
            self._send_json({"errors": [{"message": m} for m in errors], "warnings": []}, 400)
        else:
            self._send_json({"errors": [], "warnings": []})

    # -- reading -----------------------------------------------------------------------------------------------------

    def _snapshot(self, repo_type: str, repo_id: str, revision: str) -> tuple[dict, dict]:
        """(repo, commit) for a revision the client may read."""
        store = self.server.store
        with store.lock:
            repo = self._readable_repo(repo_type, repo_id)
            oid = store.resolve_revision(repo, revision)
            return repo, store.load_commit(repo, oid)

    def _repo_info(self, repo_type: str, repo_id: str, revision: str) -> None:
        repo, commit = self._snapshot(repo_type, repo_id, revision)
        with_blobs = self._query.get("blobs", ["false"])[0].lower() in ("1", "true")
        siblings = []
        for path, entry in sorted(commit["files"].items()):
            sibling = {"rfilename": path}
            if with_blobs:
                sibling.update(size=entry["size"], blobId=entry["oid"])
                if entry["lfs"]:
                    pointer_size = len(lfs_pointer(entry["sha256"], entry["size"]))
                    sibling["lfs"] = {"size": entry["size"], "sha256": entry["sha256"], "pointerSize": pointer_size}
            siblings.append(sibling)
        info = {
            "_id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24],
            "id": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit["id"],
            "lastModified": commit["date"],
            "createdAt": repo["createdAt"],
            "private": repo["private"],
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "usedStorage": sum(entry["size"] for entry in commit["files"].values()),
        }
        expand = self._query.get("expand") or self._query.get("expand[]")
        if expand:
            info = {key: value for key, value in info.items() if key in {"_id", "id", *expand}}
        self._send_json(info)

    def _tree_entries(self, repo: dict, commit: dict) -> dict[str, dict]:
        """Every file and folder of a commit, in the Hub's tree format, by path."""
        entries: dict[str, dict] = {}
        children: dict[str, list[str]] = {}
        for path, entry in commit["files"].items():
            item = {"type": "file", "oid": entry["oid"], "size": entry["size"], "path": path}
            if entry["lfs"]:
                pointer_size = len(lfs_pointer(entry["sha256"], entry["size"]))
                item["lfs"] = {"oid": entry["sha256"], "size": entry["size"], "pointerSize": pointer_size}
            entries[path] = item
            parts = path.split("/")
            for depth in range(1, len(parts)):
                children.setdefault("/".join(parts[:depth]), []).append(path)
        for folder, files in children.items():
            digest = hashlib.sha1("\n".join(sorted(commit["files"][f]["oid"] + f for f in files)).encode()).hexdigest()
            entries[folder] = {"type": "directory", "oid": digest, "size": 0, "path": folder}
        return entries

    def _last_commits(self, repo: dict, commit: dict, paths: list[str]) -> dict[str, dict]:
        """For each file path, the oldest commit on the first-parent chain since which it has not changed."""
        store = self.server.store
        found: dict[str, dict] = {}
        pending = {p for p in paths if p in commit["files"]}
        current = commit
        # Bounded by the history length; test repos have a handful of commits.
        while pending:
            parent = store.load_commit(repo, current["parents"][0]) if current["parents"] else None
            for path in list(pending):
                if parent is None or parent["files"].get(path) != current["files"].get(path):
                    found[path] = {"id": current["id"], "title": current["title"], "date": current["date"]}
                    pending.discard(path)
            current = parent
        return found

    def _expanded(self, repo: dict, commit: dict, items: list[dict]) -> list[dict]:
        if self._query.get("expand", ["false"])[0].lower() not in ("1", "true"):
            return items
        last = self._last_commits(repo, commit, [i["path"] for i in items if i["type"] == "file"])
        return [{**item, "lastCommit": last[item["path"]]} if item["path"] in last else item for item in items]

    def _tree(self, repo_type: str, repo_id: str, revision: str, path: str) -> None:
        repo, commit = self._snapshot(repo_type, repo_id, revision)
        entries = self._tree_entries(repo, commit)
        path = path.strip("/")
        if path and (path not in entries or entries[path]["type"] != "directory"):
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": commit["id"]})
        recursive = self._query.get("recursive", ["false"])[0].lower() in ("1", "true")
        prefix = f"{path}/" if path else ""
        items = []
        for entry_path in sorted(entries):
            if not entry_path.startswith(prefix):
                continue
            if not recursive and "/" in entry_path[len(prefix) :]:
                continue
            items.append(entries[entry_path])
        self._send_json(self._expanded(repo, commit, items))

    def _paths_info(self, repo_type: str, repo_id: str, revision: str) -> None:
        body = self._body()
        if "json" in self.headers.get("Content-Type", ""):
            payload = json.loads(body or b"{}")
            paths, expand = payload.get("paths", []), str(payload.get("expand", False))
        else:
            form = parse_qs(body.decode(), keep_blank_values=True)
            paths, expand = form.get("paths", []), form.get("expand", ["False"])[0]
        self._query["expand"] = [expand]
        repo, commit = self._snapshot(repo_type, repo_id, revision)
        entries = self._tree_entries(repo, commit)
        items = [entries[p.strip("/")] for p in paths if p.strip("/") in entries]
        self._send_json(self._expanded(repo, commit, items))

    def _refs(self, repo_type: str, repo_id: str) -> None:
        store = self.server.store
        with store.lock:
            repo = self._readable_repo(repo_type, repo_id)
        refs = repo["refs"]

        def as_list(kind: str, ref_prefix: str) -> list[dict]:
            return [
                {"name": n, "ref": f"{ref_prefix}{n}", "targetCommit": oid} for n, oid in sorted(refs[kind].items())
            ]

        answer = {"branches": as_list("heads", "refs/heads/"), "converts": [], "tags": as_list("tags", "refs/tags/")}
        if self._query.get("include_prs"):
            answer["pullRequests"] = as_list("prs", "refs/pr/")
        self._send_json(answer)

    def _commits(self, repo_type: str, repo_id: str, revision: str) -> None:
        repo, commit = self._snapshot(repo_type, repo_id, revision)
        history = []
        current = commit
        while current is not None:
            history.append(
                {
                    "id": current["id"],
                    "title": current["title"],
                    "message": current["message"],
                    "authors": [{"user": current["author"]}],
                    "date": current["date"],
                }
            )
            current = self.server.store.load_commit(repo, current["parents"][0]) if current["parents"] else None
        self._send_json(history)

    def _resolve(self, repo_type: str, repo_id: str, revision: str, path: str) -> None:
        repo, commit = self._snapshot(repo_type, repo_id, revision)
        entry = commit["files"].get(path)
        if entry is None:
            # X-Repo-Commit lets the client cache the file's absence for this commit.
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": commit["id"]})
        size = entry["size"]
        etag = entry["sha256"] if entry["lfs"] else entry["oid"]
        headers = {
            "X-Repo-Commit": commit["id"],
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}; filename=\"{path}\";",
        }
        if entry["lfs"]:
            headers["X-Linked-Etag"] = f'"{entry["sha256"]}"'
            headers["X-Linked-Size"] = str(size)
        start, end, status = 0, size - 1, 200
        range_header = self.headers.get("Range")
        if range_header and self.command == "GET":
            match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", range_header)
            if match is None or not (match.group(1) or match.group(2)):
                raise HubError(400, f"Unsupported Range header: {range_header}")
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:
                start, end = max(size - int(match.group(2)), 0), size - 1
            if start >= size or start > end:
                raise HubError(416, "Range not satisfiable", headers={**headers, "Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(end - start + 1, 0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(self.server.store.blob_path(entry["sha256"]), "rb") as f:
            f.seek(start)
            remaining = length
            while remaining:
                chunk = f.read(min(remaining, CHUNK_SIZE))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    # -- writing -----------------------------------------------------------------------------------------------------

    def _preupload(self, repo_type: str, repo_id: str, revision: str) -> None:
        payload = self._json_body()
        store = self.server.store
        create_pr = bool(self._query.get("create_pr"))
        with store.lock:
            # Opening a PR needs read access only; pushing to a branch needs write access.
            repo = self._readable_repo(repo_type, repo_id) if create_pr else self._writable_repo(repo_type, repo_id)
            if create_pr:
                self._require_user()
            commit = store.load_commit(repo, store.resolve_revision(repo, revision))
        files = dict(commit["files"])
        gitignore = payload.get("gitIgnore")
        ignore_patterns = [p.strip() for p in (gitignore or "").splitlines() if p.strip() and p[0] != "#"]
        answer = []
        for item in payload.get("files", []):
            path = validate_path_in_repo(item["path"])
            sample = base64.b64decode(item.get("sample") or "")
            mode = store.upload_mode(files, path, int(item["size"]), sample)
            existing = files.get(path)
            oid = None
            if existing is not None:
                oid = existing["sha256"] if mode == "lfs" else existing["oid"]
            answer.append(
                {"path": path, "uploadMode": mode, "shouldIgnore": matches_any(path, ignore_patterns), "oid": oid}
            )
        self._send_json({"files": answer, "commitOid": commit["id"]})

    def _lfs_batch(self, repo_type: str, repo_id: str) -> None:
        payload = self._json_body()
        store = self.server.store
        with store.lock:
            self._writable_repo(repo_type, repo_id)
        if payload.get("operation") != "upload":
            raise HubError(400, "Only the 'upload' LFS batch operation is supported by the local hub server")
        if "basic" not in payload.get("transfers", ["basic"]):
            raise HubError(400, "Only the 'basic' LFS transfer is supported by the local hub server")
        objects = []
        base = self._base_url
        verify_href = f"{base}/{URL_PREFIXES[repo_type]}{repo_id}.git/info/lfs/objects/verify"
        for obj in payload.get("objects", []):
            oid, size = obj.get("oid"), obj.get("size")
            if not isinstance(oid, str) or not SHA256_RE.match(oid) or not isinstance(size, int) or size < 0:
                objects.append(
                    {
                        "oid": str(oid),
                        "size": size if isinstance(size, int) else 0,
                        "error": {"code": 422, "message": "Invalid oid or size"},
                    }
                )
                continue
            if store.has_blob(oid, size):
                objects.append({"oid": oid, "size": size})  # already stored: no actions, the client skips the upload
                continue
            ticket = self.server.tickets.issue(oid, size)
            objects.append(
                {
                    "oid": oid,
                    "size": size,
                    "authenticated": True,
                    "actions": {
                        "upload": {"href": f"{base}/lfs-upload/{oid}?ticket={ticket}"},
                        "verify": {"href": verify_href},
                    },
                }
            )
        self._send_json(
            {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, content_type=LFS_CONTENT_TYPE
        )

    def _lfs_upload(self, oid: str) -> None:
        ticket = (self._query.get("ticket") or [""])[0]
        if not SHA256_RE.match(oid):
            raise HubError(400, "Invalid oid")
        expected_size = self.server.tickets.take(ticket, oid)
        store = self.server.store
        tmp = store.tmp_dir / f"{oid}.{secrets.token_hex(6)}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as f:
                for chunk in self._body_chunks():
                    digest.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
            if digest.hexdigest() != oid or size != expected_size:
                raise HubError(400, f"Uploaded content does not match oid {oid} and size {expected_size}")
            os.replace(tmp, store.blob_path(oid))
        finally:
            tmp.unlink(missing_ok=True)
        self._send(200, content_type="text/plain", headers={"ETag": f'"{oid}"'})

    def _lfs_verify(self, repo_type: str, repo_id: str) -> None:
        payload = self._json_body()
        with self.server.store.lock:
            self._writable_repo(repo_type, repo_id)
        oid, size = payload.get("oid"), payload.get("size")
        if not isinstance(oid, str) or not self.server.store.has_blob(oid, size):
            raise HubError(404, f"LFS object {oid} (size {size}) was not uploaded")
        self._send_json({"oid": oid, "size": size}, content_type=LFS_CONTENT_TYPE)

    def _commit(self, repo_type: str, repo_id: str, revision: str) -> None:
        body = self._body()
        try:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError as err:
            raise HubError(400, f"Invalid commit payload (application/x-ndjson expected): {err}") from None
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "A commit payload starts with a 'header' line (application/x-ndjson)")
        header = lines[0]["value"]
        create_pr = bool(self._query.get("create_pr"))
        store = self.server.store
        with store.lock:
            if create_pr:
                repo = self._readable_repo(repo_type, repo_id)
                user = self._require_user()
            else:
                repo = self._writable_repo(repo_type, repo_id)
                user = self._user
            base_oid = store.resolve_revision(repo, revision)
            if create_pr:
                kind, ref = "prs", str(max((int(n) for n in repo["refs"]["prs"]), default=0) + 1)
            else:
                kind, ref = store.writable_ref(repo, revision)
            parent_commit = header.get("parentCommit")
            if parent_commit and parent_commit != base_oid:
                raise HubError(412, f"A commit has happened since {parent_commit}. Please refresh and try again.")
            files = dict(store.load_commit(repo, base_oid)["files"])
            for line in lines[1:]:
                self._apply_operation(files, line.get("key"), line.get("value") or {})
            oid = store.new_commit(
                repo, base_oid, files, header.get("summary") or "", header.get("description") or "", user
            )
            repo["refs"][kind][ref] = oid
            store.save_repo(repo)
        url = self._repo_url(repo)
        self._send_json(
            {
                "success": True,
                "commitOid": oid,
                "commitUrl": f"{url}/commit/{oid}",
                "commitMessage": header.get("summary") or "",
                "pullRequestUrl": f"{url}/discussions/{ref}" if create_pr else None,
            }
        )

    def _apply_operation(self, files: dict, key: str, value: dict) -> None:
        store = self.server.store
        if key == "file":
            path = validate_path_in_repo(value["path"])
            if value.get("encoding", "base64") != "base64":
                raise HubError(400, f"Unsupported encoding {value.get('encoding')!r} for {path}")
            data = base64.b64decode(value.get("content") or "")
            files[path] = store.file_entry(store.put_blob_bytes(data), len(data), lfs=False)
        elif key == "lfsFile":
            path = validate_path_in_repo(value["path"])
            oid, size = value.get("oid"), value.get("size")
            if value.get("algo", "sha256") != "sha256" or not isinstance(oid, str) or not store.has_blob(oid, size):
                raise HubError(400, f"Your push was rejected: the LFS object {oid} for {path} was never uploaded")
            files[path] = store.file_entry(oid, store.blob_path(oid).stat().st_size, lfs=True)
        elif key == "deletedFile":
            path = value.get("path", "")
            if files.pop(path, None) is None:
                raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        elif key == "deletedFolder":
            prefix = value.get("path", "").strip("/") + "/"
            doomed = [p for p in files if p.startswith(prefix)]
            if not doomed:
                raise HubError(404, f"A folder with this name doesn't exist: {prefix}", "EntryNotFound")
            for path in doomed:
                del files[path]
        else:
            raise HubError(400, f"Unknown commit operation: {key!r}")

    def _branch(self, repo_type: str, repo_id: str, branch: str) -> None:
        payload = self._json_body()
        store = self.server.store
        with store.lock:
            repo = self._writable_repo(repo_type, repo_id)
            heads = repo["refs"]["heads"]
            if self.command == "DELETE":
                if branch not in heads:
                    raise HubError(404, f"Branch not found: {branch}", "RevisionNotFound")
                if branch == DEFAULT_BRANCH:
                    raise HubError(403, "The default branch cannot be deleted")
                del heads[branch]
            else:
                if branch.startswith("refs/") or not BRANCH_NAME_RE.match(branch) or COMMIT_OID_RE.match(branch):
                    raise HubError(400, f"Invalid branch name: {branch!r}")
                if branch in heads:
                    raise HubError(409, f"Reference already exists: refs/heads/{branch}")
                heads[branch] = store.resolve_revision(repo, payload.get("startingPoint") or DEFAULT_BRANCH)
            store.save_repo(repo)
        self._send_json({})

    def _tag(self, repo_type: str, repo_id: str, name: str) -> None:
        payload = self._json_body()
        store = self.server.store
        with store.lock:
            repo = self._writable_repo(repo_type, repo_id)
            tags = repo["refs"]["tags"]
            if self.command == "DELETE":
                if tags.pop(name, None) is None:
                    raise HubError(404, f"Tag not found: {name}", "RevisionNotFound")
            else:
                tag = payload.get("tag") or ""
                if not BRANCH_NAME_RE.match(tag):
                    raise HubError(400, f"Invalid tag name: {tag!r}")
                if tag in tags:
                    raise HubError(409, f"Reference already exists: refs/tags/{tag}")
                tags[tag] = store.resolve_revision(repo, name)
            store.save_repo(repo)
        self._send_json({})


def _check_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"the local hub server only listens on a loopback address, not {host!r}")


def load_users(path: str | None) -> dict[str, str]:
    """Users and their tokens: a JSON file ``{"user": "token", ...}``, or alice and bob with fixed tokens."""
    if path is None:
        return dict(DEFAULT_USERS)
    users = json.loads(Path(path).read_text())
    if not isinstance(users, dict) or not all(isinstance(t, str) and t for t in users.values()):
        raise SystemExit(f"{path}: expected a JSON object {{user: token}}")
    return users


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    data_dir: str | Path = "hub-data",
    log_file: str | Path | None = None,
    users: dict[str, str] | None = None,
    lfs_threshold: int = DEFAULT_LFS_THRESHOLD,
    crash_point: CrashPoint | None = None,
) -> HubServer:
    """A bound, not yet serving, server (``server.serve_forever()`` to run it, e.g. in a thread)."""
    _check_loopback(host)
    store = HubStore(Path(data_dir), lfs_threshold=lfs_threshold)
    return HubServer(
        (host, port), store, users or dict(DEFAULT_USERS), Path(log_file) if log_file else None, crash_point
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one, reported in --ready-file)")
    parser.add_argument("--data-dir", required=True, help="where repos, commits and blobs are stored")
    parser.add_argument("--log-file", default=None, help="request log, one JSON object a line")
    parser.add_argument("--users-file", default=None, help='JSON {"user": "token"}; default: alice and bob')
    parser.add_argument("--ready-file", default=None, help="written with {endpoint, pid} once the server listens")
    parser.add_argument(
        "--lfs-threshold", type=int, default=DEFAULT_LFS_THRESHOLD, help="files this large go through LFS"
    )
    parser.add_argument(
        "--crash-on", default=None, help='die on a request starting with "METHOD /path-prefix" (see --crash-after)'
    )
    parser.add_argument(
        "--crash-after", type=int, default=0, help="matching requests answered before the one --crash-on dies on"
    )
    args = parser.parse_args(argv)

    try:
        crash_point = CrashPoint(args.crash_on, args.crash_after) if args.crash_on else None
    except ValueError as err:
        parser.error(str(err))
    server = make_server(
        args.host,
        args.port,
        args.data_dir,
        args.log_file,
        load_users(args.users_file),
        args.lfs_threshold,
        crash_point,
    )
    host, port = server.server_address[:2]
    endpoint = f"http://{host}:{port}"

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.ready_file:
        ready = Path(args.ready_file)
        tmp = ready.with_name(ready.name + ".tmp")
        tmp.write_text(json.dumps({"endpoint": endpoint, "pid": os.getpid()}))
        os.replace(tmp, ready)
    print(f"local hub server listening on {endpoint} (data dir: {args.data_dir})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

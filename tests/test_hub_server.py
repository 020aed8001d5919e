"""Acceptance tests of the local hub server: real HTTP traffic between real clients and the server, nothing mocked.

Client code runs in fresh processes (`run_with_hub`) pointed at the server, except where a test says it checks the
in-process route (`hub_env`).
"""

import hashlib
import json
import os

import hub_fixtures
import pytest
import torch
from hub_fixtures import closed_port_endpoint, last_json, run_with_hub


# The fixtures, for this module (harmless once tests/conftest.py registers them too: both share one server).
hub_server = hub_fixtures.hub_server
hub_env = hub_fixtures.hub_env


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _index_of(log, method: str, path_part: str, start: int = 0) -> int:
    """Position of the first logged request at or after `start` with this method and a path containing `path_part`."""
    for i, request in enumerate(log[start:], start):
        if request.method == method and path_part in request.path:
            return i
    raise AssertionError(f"no {method} *{path_part}* in {[(r.method, r.path) for r in log]}")


# Prints, for each named call, the names of the classes of the exception it raised ("ok" when it did not raise).
ERROR_PROBE = """
import json

def probe(fn):
    try:
        fn()
    except Exception as err:
        status = getattr(getattr(err, "response", None), "status_code", "")
        return [cls.__name__ for cls in type(err).__mro__] + [str(status)]
    return "ok"
"""


def test_upload_folder_regular_and_lfs_then_download_in_fresh_process(hub_server, tmp_path):
    folder = tmp_path / "upload"
    (folder / "sub").mkdir(parents=True)
    text = "hello from the local hub\n"
    binary = bytes(range(256)) * 40  # has NUL bytes and a *.bin name: sent through LFS
    (folder / "notes.txt").write_text(text)
    (folder / "sub" / "weights.bin").write_bytes(binary)
    mark = hub_server.log_mark()

    upload = run_with_hub(
        hub_server,
        """
        import sys, json
        from huggingface_hub import HfApi
        api = HfApi()
        url = api.create_repo("upload-model", private=True)
        info = api.upload_folder(folder_path=sys.argv[1], repo_id="alice/upload-model", commit_message="first upload")
        print(json.dumps({"url": str(url), "repo_id": url.repo_id, "oid": info.oid}))
        """,
        str(folder),
    )
    pushed = last_json(upload)
    assert pushed["repo_id"] == "alice/upload-model"
    assert pushed["url"] == f"{hub_server.endpoint}/alice/upload-model"

    log = hub_server.request_log(since=mark)
    preupload = _index_of(log, "POST", "/api/models/alice/upload-model/preupload/main")
    batch = _index_of(log, "POST", "/alice/upload-model.git/info/lfs/objects/batch", preupload)
    put = _index_of(log, "PUT", f"/lfs-upload/{_sha256(binary)}", batch)
    verify = _index_of(log, "POST", "/alice/upload-model.git/info/lfs/objects/verify", put)
    _index_of(log, "POST", "/api/models/alice/upload-model/commit/main", verify)
    assert all(r.status < 400 for r in log), [(r.method, r.path, r.status) for r in log]
    assert {r.user for r in log if r.method != "PUT"} == {"alice"}

    # The store on disk: one commit snapshot per commit, blobs by sha256, LFS flagged.
    commit = json.loads(
        (
            hub_server.data_dir / "repos" / "model" / "alice" / "upload-model" / "commits" / f"{pushed['oid']}.json"
        ).read_text()
    )
    assert commit["title"] == "first upload"
    assert commit["files"]["sub/weights.bin"]["lfs"] is True
    assert commit["files"]["notes.txt"]["lfs"] is False
    assert (hub_server.data_dir / "blobs" / _sha256(binary)).read_bytes() == binary

    download = run_with_hub(
        hub_server,
        ERROR_PROBE
        + """
from huggingface_hub import HfApi, get_session, hf_hub_download, hf_hub_url, snapshot_download, HfFileSystem
from huggingface_hub.utils import build_hf_headers

api = HfApi()
repo = "alice/upload-model"
info = api.repo_info(repo, files_metadata=True)
ranged = get_session().get(hf_hub_url(repo, "sub/weights.bin"), headers={**build_hf_headers(), "Range": "bytes=10-19"})
with HfFileSystem().open(f"{repo}/sub/weights.bin", "rb", block_size=64) as f:
    f.seek(300)
    fs_bytes = f.read(20)
print(json.dumps({
    "notes": hf_hub_download(repo, "notes.txt"),
    "weights": hf_hub_download(repo, "sub/weights.bin"),
    "snapshot": snapshot_download(repo),
    "files": api.list_repo_files(repo),
    "sha": info.sha,
    "private": info.private,
    "lfs": {s.rfilename: s.lfs["sha256"] if s.lfs else None for s in info.siblings},
    "exists": [api.file_exists(repo, "notes.txt"), api.file_exists(repo, "missing.txt")],
    "repo_exists": [api.repo_exists(repo), api.repo_exists("alice/no-such-repo")],
    "range": [ranged.status_code, ranged.headers.get("Content-Range"), ranged.content.hex()],
    "fs_bytes": fs_bytes.hex(),
    "missing_file": probe(lambda: hf_hub_download(repo, "missing.txt")),
    "missing_repo": probe(lambda: hf_hub_download("alice/no-such-repo", "notes.txt")),
    "missing_repo_info": probe(lambda: api.repo_info("alice/no-such-repo")),
    "missing_revision": probe(lambda: hf_hub_download(repo, "notes.txt", revision="no-such-branch")),
}))
""",
    )
    got = last_json(download)
    assert open(got["notes"]).read() == text
    assert open(got["weights"], "rb").read() == binary
    assert open(os.path.join(got["snapshot"], "sub", "weights.bin"), "rb").read() == binary
    assert open(os.path.join(got["snapshot"], "notes.txt")).read() == text
    assert sorted(got["files"]) == [".gitattributes", "notes.txt", "sub/weights.bin"]
    assert got["sha"] == pushed["oid"]
    assert got["private"] is True
    assert got["lfs"]["sub/weights.bin"] == _sha256(binary) and got["lfs"]["notes.txt"] is None
    assert got["exists"] == [True, False]
    assert got["repo_exists"] == [True, False]
    assert got["range"] == [206, f"bytes 10-19/{len(binary)}", binary[10:20].hex()]
    assert got["fs_bytes"] == binary[300:320].hex()
    assert "EntryNotFoundError" in got["missing_file"] and "404" in got["missing_file"]
    assert "RepositoryNotFoundError" in got["missing_repo"]
    assert "RepositoryNotFoundError" in got["missing_repo_info"]
    assert "RevisionNotFoundError" in got["missing_revision"]


def test_tokens_and_permissions(hub_server):
    result = run_with_hub(
        hub_server,
        ERROR_PROBE
        + """
import io, os
from huggingface_hub import HfApi, hf_hub_download

alice, bob, anonymous = HfApi(), HfApi(token=os.environ["OTHER_TOKEN"]), HfApi(token=False)
alice.create_repo("perm-private", private=True)
alice.create_repo("perm-public", repo_type="dataset")
for repo_id, repo_type in (("alice/perm-private", "model"), ("alice/perm-public", "dataset")):
    alice.upload_file(path_or_fileobj=b"secret", path_in_repo="f.txt", repo_id=repo_id, repo_type=repo_type)

def upload(api, repo_id, repo_type="model"):
    return lambda: api.upload_file(path_or_fileobj=b"x", path_in_repo="g.txt", repo_id=repo_id, repo_type=repo_type)

print(json.dumps({
    "whoami": [alice.whoami()["name"], bob.whoami()["name"]],
    "bad_token_whoami": probe(lambda: HfApi(token="hf_not_a_token").whoami()),
    "bad_token_info": probe(lambda: HfApi(token="hf_not_a_token").repo_info("alice/perm-public", repo_type="dataset")),
    "bob_info_private": probe(lambda: bob.repo_info("alice/perm-private")),
    "bob_download_private": probe(lambda: hf_hub_download("alice/perm-private", "f.txt", token=bob.token)),
    "anonymous_info_private": probe(lambda: anonymous.repo_info("alice/perm-private")),
    "anonymous_info_public": anonymous.repo_info("alice/perm-public", repo_type="dataset").id,
    "bob_reads_public": open(
        hf_hub_download("alice/perm-public", "f.txt", repo_type="dataset", token=bob.token)
    ).read(),
    "bob_writes_public": probe(upload(bob, "alice/perm-public", "dataset")),
    "bob_writes_private": probe(upload(bob, "alice/perm-private")),
    "anonymous_writes_public": probe(upload(anonymous, "alice/perm-public", "dataset")),
    "bob_creates_in_alice_namespace": probe(lambda: bob.create_repo("alice/by-bob")),
    "bob_deletes_public": probe(lambda: bob.delete_repo("alice/perm-public", repo_type="dataset")),
    "alice_files": alice.list_repo_files("alice/perm-public", repo_type="dataset"),
}))
""",
        env={"OTHER_TOKEN": hub_server.other_token},
    )
    got = last_json(result)
    assert got["whoami"] == ["alice", "bob"]
    assert "HfHubHTTPError" in got["bad_token_whoami"] and "401" in got["bad_token_whoami"]
    assert "401" in got["bad_token_info"] and "RepositoryNotFoundError" not in got["bad_token_info"]
    for key in ("bob_info_private", "bob_download_private", "anonymous_info_private", "bob_writes_private"):
        assert "RepositoryNotFoundError" in got[key], key
    assert got["anonymous_info_public"] == "alice/perm-public"
    assert got["bob_reads_public"] == "secret"
    for key in ("bob_writes_public", "bob_creates_in_alice_namespace", "bob_deletes_public"):
        assert "HfHubHTTPError" in got[key] and "403" in got[key], (key, got[key])
    assert "401" in got["anonymous_writes_public"]
    assert got["alice_files"] == [".gitattributes", "f.txt"]
    # Token values never reach the request log.
    log_text = hub_server.log_file.read_text()
    assert (
        hub_server.token not in log_text
        and hub_server.other_token not in log_text
        and "hf_not_a_token" not in log_text
    )


def test_create_twice_exist_ok_and_delete(hub_server):
    result = run_with_hub(
        hub_server,
        ERROR_PROBE
        + """
from huggingface_hub import HfApi

api = HfApi()
first = api.create_repo("twice", repo_type="dataset", private=True)
again = probe(lambda: api.create_repo("twice", repo_type="dataset"))
same = api.create_repo("twice", repo_type="dataset", exist_ok=True)
info = api.repo_info("alice/twice", repo_type="dataset")
api.delete_repo("alice/twice", repo_type="dataset")
print(json.dumps({
    "first": str(first), "same": str(same), "again": again, "private": info.private,
    "exists_after_delete": api.repo_exists("alice/twice", repo_type="dataset"),
    "delete_again": probe(lambda: api.delete_repo("alice/twice", repo_type="dataset")),
    "delete_missing_ok": probe(lambda: api.delete_repo("alice/twice", repo_type="dataset", missing_ok=True)),
    "model_of_same_name": probe(lambda: api.repo_info("alice/twice")),
}))
""",
    )
    got = last_json(result)
    assert got["first"] == got["same"] == f"{hub_server.endpoint}/datasets/alice/twice"
    assert "HfHubHTTPError" in got["again"] and "409" in got["again"]
    assert got["private"] is True
    assert got["exists_after_delete"] is False
    assert "RepositoryNotFoundError" in got["delete_again"]
    assert got["delete_missing_ok"] == "ok"
    assert "RepositoryNotFoundError" in got["model_of_same_name"]
    assert not (hub_server.data_dir / "repos" / "dataset" / "alice" / "twice").exists()


def test_branch_upload_and_download_at_revision(hub_server):
    result = run_with_hub(
        hub_server,
        ERROR_PROBE
        + """
from huggingface_hub import HfApi, hf_hub_download

api = HfApi()
api.create_repo("branchy")
main = api.upload_file(path_or_fileobj=b"on main", path_in_repo="a.txt", repo_id="alice/branchy").oid
api.create_branch("alice/branchy", branch="dev")
exists_again = probe(lambda: api.create_branch("alice/branchy", branch="dev"))
api.create_branch("alice/branchy", branch="dev", exist_ok=True)
dev = api.upload_file(path_or_fileobj=b"on dev", path_in_repo="a.txt", repo_id="alice/branchy", revision="dev").oid
api.upload_file(path_or_fileobj=b"only dev", path_in_repo="b.txt", repo_id="alice/branchy", revision="dev")
refs = api.list_repo_refs("alice/branchy")
print(json.dumps({
    "branches": sorted(b.name for b in refs.branches),
    "main_head": api.repo_info("alice/branchy").sha, "main": main, "dev": dev,
    "a_main": open(hf_hub_download("alice/branchy", "a.txt")).read(),
    "a_dev": open(hf_hub_download("alice/branchy", "a.txt", revision="dev")).read(),
    "a_at_dev_commit": open(hf_hub_download("alice/branchy", "a.txt", revision=dev)).read(),
    "b_dev": open(hf_hub_download("alice/branchy", "b.txt", revision="dev")).read(),
    "b_main": probe(lambda: hf_hub_download("alice/branchy", "b.txt")),
    "files_dev": api.list_repo_files("alice/branchy", revision="dev"),
    "exists_again": exists_again,
    "upload_to_missing_branch": probe(
        lambda: api.upload_file(path_or_fileobj=b"x", path_in_repo="c.txt", repo_id="alice/branchy", revision="nope")
    ),
    "commits_dev": [c.title for c in api.list_repo_commits("alice/branchy", revision="dev")],
}))
""",
    )
    got = last_json(result)
    assert got["branches"] == ["dev", "main"]
    assert got["main_head"] == got["main"] != got["dev"]
    assert (got["a_main"], got["a_dev"], got["a_at_dev_commit"], got["b_dev"]) == (
        "on main",
        "on dev",
        "on dev",
        "only dev",
    )
    assert "EntryNotFoundError" in got["b_main"]
    assert got["files_dev"] == [".gitattributes", "a.txt", "b.txt"]
    assert "409" in got["exists_again"]
    assert "RevisionNotFoundError" in got["upload_to_missing_branch"]
    # dev's history: its own two commits, then main's, from which it branched.
    upload_a, upload_b = "Upload a.txt with huggingface_hub", "Upload b.txt with huggingface_hub"
    assert got["commits_dev"] == [upload_b, upload_a, upload_a, "initial commit"]


def test_readme_upload_validates_yaml(hub_server):
    mark = hub_server.log_mark()
    result = run_with_hub(
        hub_server,
        ERROR_PROBE
        + """
from huggingface_hub import HfApi

api = HfApi()
api.create_repo("with-card")
good = "---\\nlicense: apache-2.0\\ntags:\\n- test\\n---\\n# A card\\n"
api.upload_file(path_or_fileobj=good.encode(), path_in_repo="README.md", repo_id="alice/with-card")
bad = "---\\nlicense: [unclosed\\n---\\n# A card\\n"
print(json.dumps({
    "bad": probe(
        lambda: api.upload_file(path_or_fileobj=bad.encode(), path_in_repo="README.md", repo_id="alice/with-card")
    ),
    "files": api.list_repo_files("alice/with-card"),
}))
""",
    )
    got = last_json(result)
    assert "ValueError" in got["bad"]
    assert "README.md" in got["files"]
    validations = [r for r in hub_server.request_log(since=mark) if r.path == "/api/validate-yaml"]
    assert [r.status for r in validations] == [200, 400]


def test_dataset_push_to_hub_and_load_dataset_by_repo_id(hub_server):
    mark = hub_server.log_mark()
    run_with_hub(
        hub_server,
        """
        import datasets
        ds = datasets.Dataset.from_dict({"text": ["kia ora", "talofa", "bula"], "label": [0, 1, 2]})
        ds.push_to_hub("alice/tiny-dataset", private=True)
        """,
    )
    log = hub_server.request_log(since=mark)
    batch = _index_of(log, "POST", "/datasets/alice/tiny-dataset.git/info/lfs/objects/batch")
    _index_of(log, "PUT", "/lfs-upload/", batch)
    _index_of(log, "POST", "/api/datasets/alice/tiny-dataset/commit/main", batch)

    loaded = run_with_hub(
        hub_server,
        """
        import json, datasets
        ds = datasets.load_dataset("alice/tiny-dataset")
        print(json.dumps({split: ds[split].to_dict() for split in ds}))
        """,
    )
    assert last_json(loaded) == {"train": {"text": ["kia ora", "talofa", "bula"], "label": [0, 1, 2]}}
    anonymous = run_with_hub(
        hub_server,
        """
        import datasets
        try:
            datasets.load_dataset("alice/tiny-dataset")
        except Exception as err:
            print(type(err).__name__)
        """,
        token=None,
    )
    assert anonymous.stdout.strip() == "DatasetNotFoundError"


# huggingface_hub's own LFS PUT passes a file as `data=`, which httpx2 deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
def test_model_push_in_process_and_from_pretrained_in_fresh_process(hub_env, tmp_path):
    """`push_to_hub` runs here, through `hub_env`; the load runs by repo id in a fresh process with an empty cache."""
    import transformers

    from hf_lowres.testing_utils import tiny_backbone_config

    model = transformers.AutoModel.from_config(tiny_backbone_config("bert"))
    model.push_to_hub("alice/tiny-bert", private=True)
    expected = tmp_path / "expected.pt"
    torch.save(model.state_dict(), expected)
    mark = hub_env.log_mark()

    loaded = run_with_hub(
        hub_env,
        """
        import sys, json, torch, transformers
        model = transformers.AutoModel.from_pretrained("alice/tiny-bert")
        expected = torch.load(sys.argv[1])
        state = model.state_dict()
        print(json.dumps({
            "same_keys": sorted(state) == sorted(expected),
            "equal": all(torch.equal(state[k], expected[k]) for k in expected),
            "class": type(model).__name__,
        }))
        """,
        str(expected),
    )
    assert last_json(loaded) == {"same_keys": True, "equal": True, "class": "BertModel"}
    downloads = [r.path for r in hub_env.request_log(since=mark) if r.method == "GET" and "/resolve/" in r.path]
    assert any(p.endswith("/model.safetensors") for p in downloads) and any(
        p.endswith("/config.json") for p in downloads
    )


@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
def test_in_process_hfapi_through_hub_env(hub_env, tmp_path):
    from huggingface_hub import HfApi, create_repo, hf_hub_download, snapshot_download

    create_repo("in-process", repo_type="dataset")
    HfApi().upload_file(
        path_or_fileobj=b"\x00binary\x00", path_in_repo="x.bin", repo_id="alice/in-process", repo_type="dataset"
    )
    path = hf_hub_download("alice/in-process", "x.bin", repo_type="dataset")
    assert open(path, "rb").read() == b"\x00binary\x00"
    assert os.path.isfile(os.path.join(snapshot_download("alice/in-process", repo_type="dataset"), "x.bin"))
    assert path.startswith(str(tmp_path))  # the cache went to the test's HF_HOME


def test_client_pointed_at_closed_port_raises_connection_error(hub_server):
    # hf_hub_download retries a failed HEAD 5 times with a 1-2-4-8-8 s backoff before giving up (23 s): the
    # child records the waits instead of sleeping them, the connection attempts are real.
    result = run_with_hub(
        hub_server,
        """
        import json, time
        waits = []
        time.sleep = waits.append
        from huggingface_hub import HfApi, hf_hub_download

        errors = {}
        for name, call in (("repo_info", lambda: HfApi().repo_info("alice/anything")),
                           ("hf_hub_download", lambda: hf_hub_download("alice/anything", "config.json"))):
            try:
                call()
            except Exception as err:
                chain = []
                while err is not None:
                    chain.append(type(err).__name__)
                    err = err.__cause__ or err.__context__
                errors[name] = chain
        print(json.dumps({"errors": errors, "waits": waits}))
        """,
        env={"HF_ENDPOINT": closed_port_endpoint()},
        timeout=60,
    )
    got = last_json(result)
    assert got["errors"]["repo_info"][0] == "ConnectError"
    # hf_hub_download reports "not reachable and not in the cache", caused by the connection error.
    assert got["errors"]["hf_hub_download"][0] == "LocalEntryNotFoundError"
    assert "ConnectError" in got["errors"]["hf_hub_download"]
    assert got["waits"] == [1, 2, 4, 8, 8]


@pytest.mark.parametrize(
    "path",
    [
        "/api/models/alice/nobody-here",
        "/api/datasets/alice/nobody-here/revision/main",
        "/nobody/x/resolve/main/config.json",
        "/datasets/nobody/x/resolve/main/data.parquet",
        "/api/models/gpt2",
        "/gpt2/resolve/main/config.json",
    ],
)
def test_missing_repo_answers_404_with_error_code(hub_server, path):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(hub_server.endpoint + path, timeout=10)
    assert info.value.code == 404
    assert info.value.headers["X-Error-Code"] == "RepoNotFound"


def _post_json(hub_server, path: str, payload: dict, token: str) -> dict:
    import urllib.request

    request = urllib.request.Request(
        hub_server.endpoint + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_preupload_sends_large_binary_and_lfs_named_files_through_lfs(hub_server):
    import base64

    _post_json(hub_server, "/api/repos/create", {"name": "modes", "type": "model"}, hub_server.token)
    sample = base64.b64encode(b"plain text").decode()
    files = [
        {"path": "small.txt", "sample": sample, "size": 10},
        {"path": "big.txt", "sample": sample, "size": 10 * 1024 * 1024},  # the Hub's 10 MB threshold
        {"path": "model.safetensors", "sample": sample, "size": 10},  # named in the default .gitattributes
        {"path": "blob.dat", "sample": base64.b64encode(b"\x00\x01binary").decode(), "size": 8},
        {"path": "empty.bin", "sample": "", "size": 0},
    ]
    answer = _post_json(hub_server, "/api/models/alice/modes/preupload/main", {"files": files}, hub_server.token)
    modes = {f["path"]: f["uploadMode"] for f in answer["files"]}
    assert modes == {
        "small.txt": "regular",
        "big.txt": "lfs",
        "model.safetensors": "lfs",
        "blob.dat": "lfs",
        "empty.bin": "regular",
    }
    assert not any(f["shouldIgnore"] for f in answer["files"])


def test_crash_point_dies_on_the_chosen_request_and_a_restart_serves_what_was_stored(tmp_path):
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from hub_fixtures import SERVER_SCRIPT, start_hub_server, stop_hub_server

    dying = start_hub_server(
        tmp_path / "dying", server_args=("--crash-on", "POST /api/repos/create", "--crash-after", "1")
    )
    try:
        _post_json(dying, "/api/repos/create", {"name": "before-crash", "type": "model"}, dying.token)
        with pytest.raises(OSError):  # no answer: the connection is dropped
            _post_json(dying, "/api/repos/create", {"name": "at-crash", "type": "model"}, dying.token)
        assert dying.exit_status() == 70
    finally:
        stop_hub_server(dying)
    creates = [(r.path, r.status) for r in dying.request_log() if r.method == "POST"]
    assert creates == [("/api/repos/create", 200), ("/api/repos/create", None)]  # the fatal one is logged, unanswered

    back = start_hub_server(tmp_path / "back", port=dying.port, data_dir=dying.data_dir, users=dying.users)
    try:
        assert back.endpoint == dying.endpoint
        request = urllib.request.Request(
            f"{back.endpoint}/api/models/alice/before-crash", headers={"Authorization": f"Bearer {back.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["id"] == "alice/before-crash"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{back.endpoint}/api/models/alice/at-crash", headers={"Authorization": f"Bearer {back.token}"}
                ),
                timeout=10,
            )
        assert info.value.code == 404
    finally:
        stop_hub_server(back)

    bad = subprocess.run(
        [sys.executable, str(SERVER_SCRIPT), "--data-dir", str(tmp_path / "d"), "--crash-on", "lfs-upload"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--crash-on expects 'METHOD /path-prefix'" in bad.stderr


def test_xet_token_requests_answer_404_saying_the_server_has_no_xet(hub_server):
    import urllib.error
    import urllib.request

    _post_json(hub_server, "/api/repos/create", {"name": "no-xet", "type": "model"}, hub_server.token)
    request = urllib.request.Request(
        f"{hub_server.endpoint}/api/models/alice/no-xet/xet-write-token/main",
        headers={"Authorization": f"Bearer {hub_server.token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 404 and "HF_HUB_DISABLE_XET=1" in info.value.headers["X-Error-Message"]

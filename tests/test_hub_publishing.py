"""Hub publishing through the local hub server: real HTTP traffic, nothing mocked.

Pushing and loading run in fresh processes (`run_with_hub`), as a user would: the adapters and the merged model are
pushed by one process and loaded back by repo id by another, with an empty cache.
"""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from hub_fixtures import (
    REPO_ROOT,
    closed_port_endpoint,
    last_json,
    run_with_hub,
    start_hub_server,
    stop_hub_server,
)
from huggingface_hub import ModelCardData
from huggingface_hub.repocard import metadata_load

from hf_lowres import LowResConfig, LowResForSequenceClassification
from hf_lowres.adapters import AdapterManager
from hf_lowres.evaluation.per_language_report import PerLanguageReport
from hf_lowres.hub import DatasetSummary, TrainingSummary, write_model_card
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config


LANGUAGES = ["eng", "jav", "sun"]
ADAPTERS_REPO = "alice/nusax-jav-sentiment-adapters"
MERGED_REPO = "alice/nusax-jav-sentiment-merged"
REPORT = PerLanguageReport(
    rows=[
        {"language": "jav", "n": 40, "accuracy": 0.75, "macro_f1": 0.7},
        {"language": "sun", "n": 40, "accuracy": 0.625, "macro_f1": 0.6},
        {"language": "eng", "n": 40, "accuracy": 0.875, "macro_f1": 0.85},
    ],
    metric_names=["accuracy", "macro_f1"],
    macro_average={"accuracy": 0.75, "macro_f1": 0.7167},
)
TRAINING_ARGS = {
    "adversarial_weight": 0.1,
    "grl_schedule": "dann",
    "grl_lambda_max": 1.0,
    "grl_gamma": 10.0,
    "language_sampling_temperature": 0.3,
    "learning_rate": 1e-3,
}

# argv: the fixture's folder, the adapters repo, the merged model repo.
PUSH_SCRIPT = """
import dataclasses, json, logging, sys
from pathlib import Path

logging.basicConfig(level=logging.DEBUG)  # everything the libraries log goes to stderr, which the test greps
root, adapters_repo, merged_repo = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

from hf_lowres import LowResForSequenceClassification
from hf_lowres.adapters import AdapterManager
from hf_lowres.hub import TrainingSummary, push_adapters_to_hub, push_model_to_hub

summary = TrainingSummary.load(root / "adapters")
main = push_adapters_to_hub(root / "adapters", adapters_repo, private=True, commit_message="jav sentiment adapters")
# The manager itself, to a branch that does not exist yet, of the repo that now exists.
base = LowResForSequenceClassification.from_pretrained(root / "base")
manager = AdapterManager.from_pretrained(root / "adapters", model=base)
dev = push_adapters_to_hub(manager, adapters_repo, revision="dev", summary=summary)
merged = LowResForSequenceClassification.from_pretrained(root / "merged")
model = push_model_to_hub(merged, merged_repo, summary=summary)
# A pull request with a changed card (a push that changes nothing opens no pull request).
relicensed = dataclasses.replace(summary, license="cc-by-4.0")
pr = push_adapters_to_hub(root / "adapters", adapters_repo, create_pr=True, summary=relicensed)
print(json.dumps({"main": main.oid, "dev": dev.oid, "model": model.oid, "pr_url": pr.pr_url}))
"""

LOAD_SCRIPT = """
import json, sys
from pathlib import Path

import torch
import transformers

root, adapters_repo, merged_repo = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
batch = torch.load(root / "batch.pt")
outputs = {}
with torch.no_grad():
    # Remote code first, while hf_lowres is not imported.
    remote = transformers.AutoModelForSequenceClassification.from_pretrained(merged_repo, trust_remote_code=True)
    outputs["remote"] = remote(**batch).logits
report = {"remote_module": type(remote).__module__, "hf_lowres_imported": "hf_lowres" in sys.modules}

from huggingface_hub import snapshot_download
from peft import PeftModel

from hf_lowres import LowResForSequenceClassification
from hf_lowres.hub import load_adapters_from_hub


def base():
    return LowResForSequenceClassification.from_pretrained(root / "base")


manager = load_adapters_from_hub(adapters_repo, model=base())
report["active"] = manager.active_adapters
only_jav = load_adapters_from_hub(adapters_repo, adapters=["lang_jav"], model=base())
report["only_jav"] = sorted(only_jav.adapters)
with torch.no_grad():
    outputs["adapters"] = manager.peft_model(**batch).logits
    outputs["dev"] = load_adapters_from_hub(adapters_repo, revision="dev", model=base()).peft_model(**batch).logits
    plain = PeftModel.from_pretrained(base(), adapters_repo, subfolder="lang_jav").eval()
    outputs["plain_peft"] = plain(**batch).logits
torch.save(outputs, root / "loaded.pt")
report["snapshots"] = [snapshot_download(repo) for repo in (adapters_repo, merged_repo)]
print(json.dumps(report))
"""


def _randomize(module, generator):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "lora_B" in name or name.startswith(("classifier", "discriminator")):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1)


def _tree_digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def published(hub_server, tmp_path_factory):
    """Tiny adapters (two languages, one task), their merge, pushed by one process and loaded by another."""
    root = tmp_path_factory.mktemp("hub_publishing")
    config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES, num_labels=3)
    base = LowResForSequenceClassification(config).eval()
    base.save_pretrained(root / "base")
    manager = AdapterManager(base)
    manager.add_language_adapter("eng")
    manager.add_language_adapter("jav")
    manager.add_task_adapter("sentiment")
    # Trained-looking weights: LoRA B (zero at init), the task head and the discriminator all differ from the base.
    _randomize(manager.model, torch.Generator().manual_seed(1))
    manager.activate(language="jav", task="sentiment")
    batch = seeded_random_batch()
    torch.save(batch, root / "batch.pt")
    expected = {}
    with torch.no_grad():
        expected["adapters"] = manager.peft_model(**batch).logits
        merged = manager.merge().eval()
        expected["merged"] = merged(**batch).logits
    merged.save_pretrained(root / "merged")
    manager.save(root / "adapters")
    summary = TrainingSummary.from_manager(
        manager,
        TRAINING_ARGS,
        datasets=[DatasetSummary("indonlp/NusaX-senti", {"real": 500}, repo_id="indonlp/NusaX-senti", role="task")],
        results=REPORT,
        base_model="alice/tiny-bert",
        license="apache-2.0",
        results_dataset="indonlp/NusaX-senti",
    )
    write_model_card(root / "adapters", summary)
    digest_before = _tree_digest(root / "adapters")

    mark = hub_server.log_mark()
    pushed = run_with_hub(hub_server, PUSH_SCRIPT, str(root), ADAPTERS_REPO, MERGED_REPO)
    push_log = hub_server.request_log(since=mark)
    hf_home = hub_server.new_hf_home()
    loaded = run_with_hub(hub_server, LOAD_SCRIPT, str(root), ADAPTERS_REPO, MERGED_REPO, hf_home=hf_home, cwd=root)
    return {
        "root": root,
        "expected": expected,
        "pushed": pushed,
        "commits": last_json(pushed),
        "push_log": push_log,
        "loaded": loaded,
        "report": last_json(loaded),
        "outputs": torch.load(root / "loaded.pt"),
        "hf_home": hf_home,
        "digest_before": digest_before,
    }


def test_adapters_load_back_by_repo_id_in_a_fresh_process_with_identical_outputs(published):
    outputs, expected, report = published["outputs"], published["expected"], published["report"]
    assert report["active"] == ["lang_jav", "task_sentiment"]
    assert torch.equal(outputs["adapters"], expected["adapters"])
    assert torch.equal(outputs["dev"], expected["adapters"])  # the manager pushed to a new branch
    assert report["only_jav"] == ["lang_jav"]
    # The task head and the discriminator came back too: the base model alone gives other logits.
    base = LowResForSequenceClassification.from_pretrained(published["root"] / "base").eval()
    with torch.no_grad():
        assert not torch.allclose(base(**torch.load(published["root"] / "batch.pt")).logits, expected["adapters"])


def test_single_adapter_loads_with_plain_peft_from_a_subfolder(published):
    from peft import PeftModel

    root = published["root"]
    local = PeftModel.from_pretrained(
        LowResForSequenceClassification.from_pretrained(root / "base"), root / "adapters" / "lang_jav"
    ).eval()
    with torch.no_grad():
        reference = local(**torch.load(root / "batch.pt")).logits
    assert torch.equal(published["outputs"]["plain_peft"], reference)


def test_merged_model_loads_with_auto_class_and_remote_code(published):
    assert published["report"]["remote_module"].startswith("transformers_modules")
    assert published["report"]["hf_lowres_imported"] is False
    assert torch.equal(published["outputs"]["remote"], published["expected"]["merged"])
    merged_snapshot = Path(published["report"]["snapshots"][1])
    files = {p.name for p in merged_snapshot.iterdir()}
    assert {"config.json", "model.safetensors", "configuration_lowres.py", "modeling_lowres.py", "README.md"} <= files
    metadata = metadata_load(merged_snapshot / "README.md")
    assert metadata["library_name"] == "transformers" and "merged-adapters" in metadata["tags"]


def test_pushed_files_card_and_request_log(published, hub_server):
    snapshot = Path(published["report"]["snapshots"][0])
    files = sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file())
    for name in ("lang_eng", "lang_jav", "task_sentiment"):
        assert f"{name}/adapter_config.json" in files and f"{name}/adapter_model.safetensors" in files
    assert "task_sentiment/task_head.safetensors" in files
    for name in ("discriminator.safetensors", "hf_lowres_composition.json", "hf_lowres_training_summary.json"):
        assert name in files
    metadata = metadata_load(snapshot / "README.md")
    ModelCardData(**metadata)  # validates
    assert metadata["library_name"] == "peft" and "adversarial" in metadata["tags"]
    assert metadata["language"] == LANGUAGES
    # The card was re-rendered at push with the repo id.
    assert f'load_adapters_from_hub("{ADAPTERS_REPO}", model=model' not in (snapshot / "README.md").read_text()
    assert f'load_adapters_from_hub("{ADAPTERS_REPO}")' in (snapshot / "README.md").read_text()
    results = metadata["model-index"][0]["results"]
    assert {r["dataset"]["config"]: {m["type"]: m["value"] for m in r["metrics"]} for r in results} == {
        "jav": {"accuracy": 0.75, "macro_f1": 0.7},
        "sun": {"accuracy": 0.625, "macro_f1": 0.6},
        "eng": {"accuracy": 0.875, "macro_f1": 0.85},
    }
    # Protocol: preupload, then the LFS batch for the safetensors files, then the commit; README validated.
    log = [(r.method, r.path, r.status) for r in published["push_log"]]
    api = f"/api/models/{ADAPTERS_REPO}"
    calls = [(m, p) for m, p, _ in log]
    preupload = calls.index(("POST", f"{api}/preupload/main"))
    batch = calls.index(("POST", f"/{ADAPTERS_REPO}.git/info/lfs/objects/batch"), preupload)
    commit = calls.index(("POST", f"{api}/commit/main"), batch)
    assert ("POST", "/api/validate-yaml") in calls[:commit]
    assert ("POST", f"{api}/branch/dev") in calls
    assert ("POST", f"{api}/commit/dev") in calls
    # The only refusals: create_repo (exist_ok=True) of the pushes after the first, on the repo that exists.
    assert [entry for entry in log if entry[2] >= 400] == [("POST", "/api/repos/create", 409)] * 2, log
    assert published["commits"]["pr_url"].startswith(f"{hub_server.endpoint}/{ADAPTERS_REPO}/discussions/")
    # The repo is private (as pushed) and its history has the message given.
    commits = run_with_hub(
        hub_server,
        f"""
        import json
        from huggingface_hub import HfApi
        api = HfApi()
        print(json.dumps({{"private": api.repo_info("{ADAPTERS_REPO}").private,
                           "titles": [c.title for c in api.list_repo_commits("{ADAPTERS_REPO}")]}}))
        """,
    )
    got = last_json(commits)
    assert got["private"] is True and "jav sentiment adapters" in got["titles"]


def test_local_directory_untouched_by_push(published):
    assert _tree_digest(published["root"] / "adapters") == published["digest_before"]


def test_token_appears_in_no_pushed_file_no_log_and_no_output(published, hub_server):
    token = hub_server.token
    for result in (published["pushed"], published["loaded"]):
        assert token not in result.stdout and token not in result.stderr
    assert "DEBUG" in published["pushed"].stderr  # the logs were on
    assert token not in hub_server.log_file.read_text()
    # Every file pushed (as stored by the server) and every file downloaded (the child's whole cache).
    checked = 0
    for folder in (hub_server.data_dir, published["hf_home"]):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
                checked += 1
    assert checked > 20


def _probe_script(body: str) -> str:
    return (
        """
import json, os, sys, time
from pathlib import Path

waits = []
time.sleep = waits.append  # count retries instead of sleeping them

def probe(fn):
    start = time.monotonic()
    try:
        fn()
    except Exception as err:
        return {"error": [c.__name__ for c in type(err).__mro__], "message": str(err),
                "seconds": time.monotonic() - start}
    return {"error": None, "seconds": time.monotonic() - start}

root = Path(sys.argv[1])
from hf_lowres.hub import load_adapters_from_hub, push_adapters_to_hub
"""
        + body
    )


def test_server_down_fails_fast_and_clearly_and_writes_nothing(published, hub_server, tmp_path):
    endpoint = closed_port_endpoint()
    staging_tmp = tmp_path / "tmp"
    staging_tmp.mkdir()
    result = run_with_hub(
        hub_server,
        _probe_script(
            """
got = {
    "push": probe(lambda: push_adapters_to_hub(root / "adapters", "alice/never-pushed")),
    "load": probe(lambda: load_adapters_from_hub("alice/never-pushed")),
}
print(json.dumps({**got, "waits": waits}))
"""
        ),
        str(published["root"]),
        env={"HF_ENDPOINT": endpoint, "TMPDIR": str(staging_tmp)},
        timeout=120,
    )
    got = last_json(result)
    for key in ("push", "load"):
        assert "HubUnreachableError" in got[key]["error"] and "ConnectionError" in got[key]["error"], got[key]
        assert endpoint in got[key]["message"] and "alice/never-pushed" in got[key]["message"]
    assert "Nothing was uploaded" in got["push"]["message"]
    assert got["push"]["seconds"] < 10 and got["waits"] == []  # no retry loop on the push path
    assert _tree_digest(published["root"] / "adapters") == published["digest_before"]
    assert list(staging_tmp.iterdir()) == []  # the staging folder is gone


def test_existing_repo_missing_token_and_no_permission(published, hub_server):
    result = run_with_hub(
        hub_server,
        _probe_script(
            """
from huggingface_hub import HfApi, login

got = {"no_token": probe(lambda: push_adapters_to_hub(root / "adapters", "alice/no-token"))}
login(token=os.environ["ALICE"], add_to_git_credential=False)  # the stored token, from here on
got["exists"] = probe(lambda: push_adapters_to_hub(root / "adapters", "{adapters}", exist_ok=False))
HfApi().create_repo("alice/private-target", private=True)
got["bob"] = probe(
    lambda: push_adapters_to_hub(root / "adapters", "alice/private-target", token=os.environ["BOB"])
)
got["bob_load"] = probe(lambda: load_adapters_from_hub("alice/private-target", token=os.environ["BOB"]))
got["alice_files"] = HfApi().list_repo_files("alice/private-target")
print(json.dumps(got))
""".replace("{adapters}", ADAPTERS_REPO)
        ),
        str(published["root"]),
        token=None,
        env={"ALICE": hub_server.token, "BOB": hub_server.other_token},
    )
    got = last_json(result)
    assert "HubPermissionError" in got["no_token"]["error"] and "needs a write token" in got["no_token"]["message"]
    assert "HubRepoExistsError" in got["exists"]["error"]
    assert ADAPTERS_REPO in got["exists"]["message"] and "exist_ok=True" in got["exists"]["message"]
    assert "HubPermissionError" in got["bob"]["error"] and "PermissionError" in got["bob"]["error"]
    assert "alice/private-target" in got["bob"]["message"] and "'bob'" in got["bob"]["message"]
    assert "HubPermissionError" in got["bob_load"]["error"]
    assert got["alice_files"] == [".gitattributes"]  # bob's push left nothing
    for secret in (hub_server.token, hub_server.other_token):
        assert secret not in result.stdout + result.stderr


def test_card_yaml_lists_every_language_and_metric(published):
    text = (published["root"] / "adapters" / "README.md").read_text()
    metadata = yaml.safe_load(text.split("---\n")[1])
    assert metadata == metadata_load(published["root"] / "adapters" / "README.md")
    indexed = {r["dataset"]["config"] for r in metadata["model-index"][0]["results"]}
    assert indexed == set(LANGUAGES) and set(metadata["language"]) == set(LANGUAGES)
    assert json.loads((published["root"] / "adapters" / "hf_lowres_training_summary.json").read_text())["license"] == (
        "apache-2.0"
    )
    assert os.path.isfile(published["root"] / "adapters" / "hf_lowres_composition.json")


def test_push_model_refuses_a_peft_model_before_any_network_call():
    from hf_lowres.hub import push_model_to_hub

    config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES, num_labels=3)
    manager = AdapterManager(LowResForSequenceClassification(config))
    manager.add_language_adapter("jav")
    with pytest.raises(TypeError, match=r"AdapterManager.merge\(\)"):
        push_model_to_hub(manager.peft_model, "alice/never")


def _stored_head(data_dir: Path, repo_id: str, branch: str = "main") -> dict:
    """The files (path -> sha256) of a branch head, read from a (stopped or running) server's data dir."""
    repo_dir = data_dir / "repos" / "model" / repo_id
    head = json.loads((repo_dir / "repo.json").read_text())["refs"]["heads"][branch]
    return {
        path: entry["sha256"]
        for path, entry in json.loads((repo_dir / "commits" / f"{head}.json").read_text())["files"].items()
    }


def _local_files(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in directory.rglob("*")
        if p.is_file()
    }


# argv: the adapters folder, the repo, a file to create once the first push failed. The first push meets a server
# that dies; the child then waits until the server is back (restarted on the same port and data dir) and runs the
# same push twice more.
RESUME_SCRIPT = """
import json, sys, time
from pathlib import Path

from huggingface_hub import HfApi, constants, get_session
from hf_lowres.hub import push_adapters_to_hub

adapters, repo, failed = sys.argv[1], sys.argv[2], Path(sys.argv[3])
sleep, waits = time.sleep, []
time.sleep = waits.append  # huggingface_hub's retry waits are counted, not slept
try:
    push_adapters_to_hub(adapters, repo)
    failure = None
except Exception as err:
    failure = {"error": [c.__name__ for c in type(err).__mro__], "message": str(err)}
time.sleep = sleep
failed.touch()
deadline = time.monotonic() + 120
while True:
    try:
        get_session().get(constants.ENDPOINT + "/api/health", timeout=2)
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        sleep(0.1)
files_left = HfApi().list_repo_files(repo)
resumed, again = push_adapters_to_hub(adapters, repo), push_adapters_to_hub(adapters, repo)
print(json.dumps({"push": failure, "waits": waits, "files_left": files_left, "resumed": resumed.oid,
                  "again": again.oid}))
"""


@pytest.mark.parametrize(
    "crash_on, crash_after, told, retried",
    [
        # The third large file: two are stored, the commit never comes. huggingface_hub retries each upload 5 times
        # with 1-2-4-8-8 s waits (counted by the child instead of slept).
        ("PUT /lfs-upload/", 2, "No commit was made: none of the {n} files of this push is in 'alice/{repo}'", True),
        # The commit itself, after every large file was stored: its fate is unknown to the client (never retried).
        (
            "POST /api/models/alice/",
            0,
            "the commit of the {n} files was requested, but its answer did not arrive",
            False,
        ),
    ],
    ids=["during-large-files", "during-commit"],
)
def test_server_dying_mid_push_says_what_reached_the_hub_and_the_same_push_resumes(
    published, tmp_path, crash_on, crash_after, told, retried
):
    adapters = published["root"] / "adapters"
    local = _local_files(adapters)
    large = {sha for path, sha in local.items() if path.endswith(".safetensors")}
    repo = f"interrupted-{crash_after}"
    crash_on += f"{repo}/commit/" if crash_on.startswith("POST") else ""
    dying = start_hub_server(
        tmp_path / "dying", server_args=("--crash-on", crash_on, "--crash-after", str(crash_after))
    )
    child = subprocess.Popen(
        [sys.executable, "-c", RESUME_SCRIPT, str(adapters), f"alice/{repo}", str(tmp_path / "failed")],
        env=dying.client_env(),
        cwd=str(REPO_ROOT),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert dying.exit_status(timeout=120) == 70  # it died where the test told it to
        sent_before = {r.path.rsplit("/", 1)[1] for r in dying.request_log() if r.method == "PUT" and r.status == 200}
        deadline = time.monotonic() + 120
        while not (tmp_path / "failed").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the first push reports its failure before the server comes back
        # Back, at the same endpoint, with what it had stored.
        restarted = start_hub_server(tmp_path / "back", port=dying.port, data_dir=dying.data_dir, users=dying.users)
        try:
            stdout, stderr = child.communicate(timeout=180)
            log = restarted.request_log()
        finally:
            stop_hub_server(restarted)
    finally:
        if child.poll() is None:
            child.kill()
        stop_hub_server(dying)
    assert child.returncode == 0, stderr
    got = json.loads(stdout.strip().splitlines()[-1])
    error, message = got["push"]["error"], got["push"]["message"]
    assert "HubUnreachableError" in error and "ConnectionError" in error, got["push"]
    assert f"The repo 'alice/{repo}' was created by this push." in message
    assert told.format(n=len(local), repo=repo) in message
    assert "To resume, run the same push again" in message and "The local files are unchanged." in message
    assert bool(got["waits"]) is retried
    # What the message says is what the server held: an empty repo, and the large files sent before it died.
    assert got["files_left"] == [".gitattributes"]
    assert len(sent_before & large) == (crash_after if crash_on.startswith("PUT") else len(large))
    # The same push resumed: only the large files the server did not hold were sent, in one commit; the third push
    # found everything in place and made no commit.
    puts = [r for r in log if r.method == "PUT" and r.path.startswith("/lfs-upload/")]
    commits = [r for r in log if r.method == "POST" and r.path == f"/api/models/alice/{repo}/commit/main"]
    assert len(puts) == len(large - sent_before)
    assert [r.status for r in commits] == [200] and got["again"] == got["resumed"]
    head = _stored_head(restarted.data_dir, f"alice/{repo}")
    assert set(head) == set(local) | {".gitattributes"}
    # Every file arrived intact (the card is re-rendered for the repo id, so it differs from the local one).
    assert {p: head[p] for p in local if p != "README.md"} == {p: sha for p, sha in local.items() if p != "README.md"}


CARD_SCRIPT = """
import dataclasses, json, logging, sys
from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download
from hf_lowres.hub import TrainingSummary, push_adapters_to_hub

warnings = []
handler = logging.Handler()
handler.emit = lambda record: warnings.append(record.getMessage()) if record.levelno >= logging.WARNING else None
logging.getLogger("hf_lowres").addHandler(handler)

adapters, repo = Path(sys.argv[1]), sys.argv[2]
summary = TrainingSummary.load(adapters)
api = HfApi()


def remote(name):
    return Path(hf_hub_download(repo, name, force_download=True)).read_text()


def push(**kwargs):
    warnings.clear()
    push_adapters_to_hub(adapters, repo, **kwargs)
    return {"card": remote("README.md"), "license": json.loads(remote("hf_lowres_training_summary.json"))["license"],
            "warnings": list(warnings)}


steps = {"first": push()}
edited = steps["first"]["card"].replace("## ", "## My notes\\n\\nHand-written.\\n\\n## ", 1)
api.upload_file(path_or_fileobj=edited.encode(), path_in_repo="README.md", repo_id=repo)
steps["edited"] = edited
steps["kept"] = push(summary=dataclasses.replace(summary, license="cc-by-4.0"))
steps["overwritten"] = push(summary=dataclasses.replace(summary, license="cc-by-4.0"), overwrite_card=True)
steps["updated"] = push(summary=dataclasses.replace(summary, license="mit"))  # an unedited card is replaced
# A repo whose card hf_lowres never wrote.
api.create_repo(repo + "-foreign")
api.upload_file(path_or_fileobj=b"# Our own card\\n", path_in_repo="README.md", repo_id=repo + "-foreign")
repo += "-foreign"
steps["foreign"] = push()
print(json.dumps(steps))
"""


def test_a_card_edited_on_the_hub_is_kept_unless_overwrite_card(published, hub_server):
    from hf_lowres.hub.model_card import CARD_UNEDITED, card_status

    steps = last_json(run_with_hub(hub_server, CARD_SCRIPT, str(published["root"] / "adapters"), "alice/card-kept"))
    assert card_status(steps["first"]["card"]) == CARD_UNEDITED and steps["first"]["warnings"] == []
    # The hand-edited card stays; the other files were pushed (the summary has the new license).
    kept = steps["kept"]
    assert kept["card"] == steps["edited"] and kept["license"] == "cc-by-4.0"
    assert len(kept["warnings"]) == 1
    assert (
        "Kept the README.md of alice/card-kept" in kept["warnings"][0] and "overwrite_card=True" in kept["warnings"][0]
    )
    assert "it was edited after hf_lowres generated it" in kept["warnings"][0]
    # overwrite_card=True replaces it with the generated card, which a later push then updates silently.
    overwritten, updated = steps["overwritten"], steps["updated"]
    assert "My notes" not in overwritten["card"] and card_status(overwritten["card"]) == CARD_UNEDITED
    assert "license: cc-by-4.0" in overwritten["card"] and overwritten["warnings"] == []
    assert "license: mit" in updated["card"] and updated["license"] == "mit" and updated["warnings"] == []
    foreign = steps["foreign"]
    assert foreign["card"] == "# Our own card\n" and "not a card hf_lowres generated" in foreign["warnings"][0]


def test_card_signature_detects_any_edit():
    from hf_lowres.hub.model_card import CARD_EDITED, CARD_NOT_GENERATED, CARD_UNEDITED, card_status, sign_card

    card = sign_card("---\nlicense: mit\n---\n# Card\n\nBody.\n")
    assert card.endswith(" -->\n") and card_status(card) == CARD_UNEDITED
    assert sign_card(card) == card  # signing twice changes nothing
    assert card_status(card.rstrip("\n")) == CARD_UNEDITED  # an editor dropping the last newline is no edit
    assert card_status(card.replace("license: mit", "license: apache-2.0")) == CARD_EDITED  # metadata
    assert card_status(card.replace("Body.", "Body!")) == CARD_EDITED  # body
    assert card_status(card.replace("\n", "\r\n")) == CARD_EDITED  # line endings
    assert card_status(card + "\n## Notes added below\n") == CARD_EDITED  # text after the signature
    assert sign_card(card + "More.\n").count("hf_lowres card sha256:") == 2  # the old one is now part of the text
    assert card_status("# A card someone wrote\n") == CARD_NOT_GENERATED


XET_SCRIPT = """
import json, sys
from pathlib import Path

from huggingface_hub import HfApi, constants
from huggingface_hub.utils._runtime import is_xet_available

from hf_lowres import LowResForSequenceClassification
from hf_lowres.hub import load_adapters_from_hub, push_adapters_to_hub

root, adapters_repo = Path(sys.argv[1]), sys.argv[2]
got = {"xet": [constants.HF_HUB_DISABLE_XET, is_xet_available()]}
try:
    push_adapters_to_hub(root / "adapters", "alice/xet-default")
except Exception as err:
    got["push"] = {"error": [c.__name__ for c in type(err).__mro__], "message": str(err)}
api = HfApi()
got["files"] = api.list_repo_files("alice/xet-default")
# Downloads work with Xet on: the server sends no Xet headers, so files come over plain HTTP.
base = LowResForSequenceClassification.from_pretrained(root / "base")
got["loaded"] = load_adapters_from_hub(adapters_repo, model=base).active_adapters
print(json.dumps(got))
"""


def test_default_client_configuration_with_xet_says_the_endpoint_has_no_xet(published, hub_server):
    mark = hub_server.log_mark()
    got = last_json(run_with_hub(hub_server, XET_SCRIPT, str(published["root"]), ADAPTERS_REPO, xet=True))
    assert got["xet"] == [False, True]  # the child really ran huggingface_hub's default: Xet on
    assert got["loaded"] == ["lang_jav", "task_sentiment"]
    error, message = got["push"]["error"], got["push"]["message"]
    assert "HubPublishingError" in error and "ConnectionError" not in error and "HubUnreachableError" not in error
    assert "answered HTTP 404 to the Xet write token request" in message and "HF_HUB_DISABLE_XET=1" in message
    assert "does not answer" not in message and "Nothing was uploaded" not in message
    assert "The repo 'alice/xet-default' was created by this push. No commit was made" in message
    assert got["files"] == [".gitattributes"]  # as the message says
    token_requests = [r for r in hub_server.request_log(since=mark) if "/xet-write-token/" in r.path]
    assert [r.status for r in token_requests] == [404]

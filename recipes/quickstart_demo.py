"""A short end-to-end run on a tiny model, offline: build, train a few steps, save, reload, predict.

It stands in for the full `make demo` pipeline (language adapters on a real model, NusaX, Hub round trip)
until that recipe lands; every step here is real, only the model is tiny and the data is a toy set.

    python recipes/quickstart_demo.py [--output_dir outputs/quickstart] [--steps 30]
"""

import argparse
import os
import pathlib
import tempfile


os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from hf_lowres import LowResConfig, LowResForSequenceClassification  # noqa: E402
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer  # noqa: E402


TOY_DATA = [  # (text, sentiment label, language)
    ("i like this food", 2, "eng"),
    ("this movie is very good", 2, "eng"),
    ("this film was bad", 0, "eng"),
    ("i do not like that movie", 0, "eng"),
    ("saya suka makanan ini", 2, "ind"),
    ("film ini sangat bagus", 2, "ind"),
    ("makanan itu buruk", 0, "ind"),
    ("saya tidak suka film itu", 0, "ind"),
    ("aku seneng panganan iki", 2, "jav"),
    ("film iki apik banget", 2, "jav"),
    ("panganan kuwi ala", 0, "jav"),
    ("aku ora seneng film kuwi", 0, "jav"),
]
LANGUAGES = ["eng", "ind", "jav"]


def main(output_dir: str | None, steps: int) -> None:
    torch.manual_seed(0)
    output_dir = pathlib.Path(output_dir or tempfile.mkdtemp(prefix="hf_lowres_quickstart_"))
    tokenizer = tiny_tokenizer()
    config = LowResConfig(
        text_config=tiny_backbone_config("bert"),
        languages=LANGUAGES,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        grl_lambda=0.1,
    )
    model = LowResForSequenceClassification(config)
    print(f"built {type(model).__name__} on a tiny {config.text_config.model_type} backbone, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, languages {LANGUAGES}")  # fmt: skip

    texts, labels, langs = zip(*TOY_DATA, strict=True)
    batch = tokenizer(list(texts), padding=True, return_tensors="pt")
    labels = torch.tensor(labels)
    lang_labels = torch.tensor([config.lang2id[code] for code in langs])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        out = model(**batch, labels=labels, lang_labels=lang_labels)
        out.loss.backward()
        optimizer.step()
        if step == 1 or step % 10 == 0:
            print(
                f"step {step:3d}  task loss {out.task_loss.item():.4f}  discriminator loss {out.lang_loss.item():.4f}"
            )

    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    print(f"saved to {output_dir}: {sorted(p.name for p in output_dir.iterdir())}")

    reloaded = LowResForSequenceClassification.from_pretrained(output_dir).eval()
    model.eval()
    with torch.no_grad():
        before, after = model(**batch).logits, reloaded(**batch).logits
    if not torch.equal(before, after):
        raise SystemExit("reloaded model gives different logits")
    predictions = after.argmax(-1)
    accuracy = (predictions == labels).float().mean().item()
    for text, lang, pred in zip(texts, langs, predictions.tolist(), strict=True):
        print(f"  [{lang}] {text!r:34} -> {config.id2label[pred]}")
    print(f"reloaded model reproduces the logits exactly; training accuracy {accuracy:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", default=None, help="where to save the model (default: a temporary directory)")
    parser.add_argument("--steps", type=int, default=30, help="training steps")
    parser.add_argument("--data_dir", default=None, help="unused by this tiny demo; the full demo reads NusaX here")
    args = parser.parse_args()
    main(args.output_dir, args.steps)

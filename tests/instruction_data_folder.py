"""A tiny data folder in the layout of NusaX-Senti, NusaTranslation and NusaParagraph, and a chat template for
`tiny_tokenizer`, shared by the tests of the instruction data and of the `train_instructions` recipe."""

from protocol_v2_data import NUSAX_NAMES, write_csv

from hf_lowres.data import NUSA_PARAGRAPH_TOPICS


SENTIMENTS = ["negative", "neutral", "positive"]
STEMS = {"train": "train", "validation": "valid", "test": "test"}
ROWS = {"train": 12, "validation": 3, "test": 4}
# Roles and a generation prompt in the BERT-style specials of `tiny_tokenizer` (`<s>`, `</s>`).
CHAT_TEMPLATE = (
    "{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<s> assistant : {% endif %}"
)


def write_instruction_data(root):
    """NusaX-Senti (ind, jav, sun), NusaTranslation (jav, sun) and NusaParagraph (jav, sun) under `root`, each text
    naming its language, split and row; NusaTranslation jav train repeats a pair (rows 0 and 12) and has an empty one
    (13). Returns `root`."""
    for split, stem in STEMS.items():
        n = ROWS[split]
        for lang in ("ind", "jav", "sun"):
            rows = [(f"s{k}", f"{lang} {stem} review {k}", SENTIMENTS[k % 3]) for k in range(n)]
            write_csv(root / "nusax" / "sentiment" / NUSAX_NAMES[lang] / f"{stem}.csv", ["id", "text", "label"], rows)
        for lang in ("jav", "sun"):
            rows = [(f"mt-{stem}-{k}", f"ind {stem} tweet {k}", f"{lang} {stem} tweet {k}") for k in range(n)]
            if lang == "jav" and split == "train":
                rows += [("mt-train-dup", *rows[0][1:]), ("mt-train-empty", "", "")]
            write_csv(root / "nusawrites" / f"nusa_kalimat-mt-{lang}-{stem}.csv", ["id", "ind_text", "tgt_text"], rows)
            topics = [(f"p{k}", f"{lang} {stem} paragraph {k}", NUSA_PARAGRAPH_TOPICS[k % 8]) for k in range(n)]
            write_csv(root / "nusawrites" / f"nusa_alinea-topic-{lang}-{stem}.csv", ["id", "text", "label"], topics)
    return root

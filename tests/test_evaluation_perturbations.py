"""Seeded perturbations: deterministic, of the kind asked for, and label-preserving for token classification."""

import pytest

from hf_lowres.evaluation import PERTURBATION_KINDS, load_bilingual_lexicon, perturb, perturb_tokens


TEXT = "Saya tidak suka makanan ini, sangat buruk! Kafé itu déjà vu."
LEXICON = {"tidak": ["ora"], "suka": ["seneng"], "sangat": ["banget", "sanget"], "makanan": ["panganan enak"]}


@pytest.mark.parametrize("kind", PERTURBATION_KINDS)
def test_same_seed_same_output(kind):
    assert perturb(TEXT, kind, rate=0.5, seed=3, lexicon=LEXICON) == perturb(
        TEXT, kind, rate=0.5, seed=3, lexicon=LEXICON
    )
    tokens = TEXT.split()
    assert perturb_tokens(tokens, None, kind, 0.5, 3, LEXICON) == perturb_tokens(tokens, None, kind, 0.5, 3, LEXICON)


def test_different_seeds_give_different_typos():
    outputs = {perturb(TEXT, "char_swap", rate=0.5, seed=seed) for seed in range(6)}
    assert len(outputs) > 1


def test_rate_zero_is_identity_and_rate_one_touches_every_word():
    for kind in PERTURBATION_KINDS:
        assert perturb(TEXT, kind, rate=0.0, lexicon=LEXICON) == TEXT
    swapped = perturb("makanan sangat enak", "char_swap", rate=1.0)
    assert all(a != b for a, b in zip(swapped.split(), "makanan sangat enak".split()))


def test_character_edits_change_length_as_expected():
    words = "makanan sangat enak sekali".split()
    deleted = perturb(" ".join(words), "char_delete", rate=1.0).split()
    inserted = perturb(" ".join(words), "char_insert", rate=1.0).split()
    swapped = perturb(" ".join(words), "char_swap", rate=1.0).split()
    assert [len(w) for w in deleted] == [len(w) - 1 for w in words]
    assert [len(w) for w in inserted] == [len(w) + 1 for w in words]
    assert [sorted(w) for w in swapped] == [sorted(w) for w in words]
    # Insertions stay in the text's own alphabet.
    assert set("".join(inserted)) <= set("".join(words))


def test_convention_perturbations():
    assert perturb(TEXT, "strip_diacritics") == "Saya tidak suka makanan ini, sangat buruk! Kafe itu deja vu."
    assert perturb(TEXT, "lowercase") == TEXT.lower()
    assert perturb(TEXT, "uppercase") == TEXT.upper()
    assert perturb(TEXT, "random_case", rate=1.0).lower() == TEXT.lower()
    assert perturb(TEXT, "remove_punctuation") == "Saya tidak suka makanan ini sangat buruk Kafé itu déjà vu"
    assert perturb("a ! b", "remove_punctuation") == "a b"


def test_code_switching_uses_the_lexicon_and_keeps_case_and_punctuation():
    switched = perturb("Tidak, saya sangat suka.", "code_switch", rate=1.0, lexicon=LEXICON)
    first, _, third, fourth = switched.split()
    assert first == "Ora,"
    assert third in ("banget", "sanget")
    assert fourth == "seneng."
    with pytest.raises(ValueError, match="lexicon"):
        perturb(TEXT, "code_switch", rate=1.0)


@pytest.mark.parametrize("kind", PERTURBATION_KINDS)
def test_token_perturbations_keep_labels_aligned(kind):
    tokens = ["Budi", "tidak", "makan", "di", "Jakarta", "!", "a", "makanan"]
    labels = ["B-PER", "O", "O", "O", "B-LOC", "O", "O", "O"]
    new_tokens, new_labels = perturb_tokens(tokens, labels, kind, rate=1.0, seed=0, lexicon=LEXICON)
    assert len(new_tokens) == len(tokens)
    assert new_labels == labels and new_labels is not labels
    assert all(new_tokens)  # never emptied: "!" survives punctuation removal, "a" survives deletion
    if kind == "code_switch":
        # A multi-word translation would shift the labels: "makanan" keeps its only (two-word) translation out.
        assert new_tokens[1] == "ora" and new_tokens[-1] == "makanan"


def test_token_perturbation_refuses_misaligned_labels():
    with pytest.raises(ValueError, match="labels for"):
        perturb_tokens(["a", "b"], ["O"], "char_swap")
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb("a", "shout")


def test_load_bilingual_lexicon(tmp_path):
    path = tmp_path / "javanese.csv"
    path.write_text(",indonesian,javanese\n0,tidak,ora\n1,tidak,mboten \n2,Tidak,ora\n3,sangat,banget\n4,,x\n")
    assert load_bilingual_lexicon(path) == {"tidak": ["ora", "mboten"], "sangat": ["banget"]}
    reverse = load_bilingual_lexicon(path, source_column="javanese", target_column="indonesian")
    assert reverse["ora"] == ["tidak"]
    with pytest.raises(ValueError, match="no column"):
        load_bilingual_lexicon(path, source_column="sundanese")


def test_nusax_lexicon_code_switches_indonesian(shared_data_dir):
    path = shared_data_dir / "nusax" / "lexicon" / "javanese.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    lexicon = load_bilingual_lexicon(path)
    assert len(lexicon) > 100
    assert "ora" in lexicon["tidak"]
    switched = perturb("saya tidak suka", "code_switch", rate=1.0, lexicon=lexicon)
    assert switched.split()[1] in lexicon["tidak"]

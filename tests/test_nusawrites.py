"""NusaWrites loaders: NusaParagraph (paragraphs and sentences, topic labels) and NusaTranslation pairs."""

import pytest

from hf_lowres.data import (
    NUSA_PARAGRAPH_TOPICS,
    CorpusFormatError,
    load_nusa_paragraph,
    load_nusa_translation,
    split_sentences,
)


PARAGRAPHS = (
    'id,text,label\n'
    '7,"Aku seneng. Kowe piye? Jam 7.30 lan dll. lan ""Kok iso?"" Jarene.",sports\n'
    '9,Sega pecel enak banget.,food & beverages\n'
)  # fmt: skip


@pytest.fixture
def nusawrites_dir(tmp_path):
    folder = tmp_path / "nusawrites"
    folder.mkdir()
    for split in ("train", "valid", "test"):
        (folder / f"nusa_alinea-topic-jav-{split}.csv").write_text(PARAGRAPHS, encoding="utf-8")
        (folder / f"nusa_kalimat-mt-jav-{split}.csv").write_text(
            "id,ind_text,tgt_text\na-1,saya makan,aku mangan\na-2,dia tidur,dheweke turu\n", encoding="utf-8"
        )
    return tmp_path


@pytest.mark.parametrize(
    "paragraph, expected",
    [
        ("Aku seneng. Kowe piye? Apik!", ["Aku seneng.", "Kowe piye?", "Apik!"]),
        ('Jam 7.30 lan dll. lan "Kok iso?" Jarene.', ['Jam 7.30 lan dll. lan "Kok iso?"', "Jarene."]),
        ("Siji.  (Loro.)\nTelu 3. 4 papat.", ["Siji.", "(Loro.)", "Telu 3.", "4 papat."]),
        ("tanpa titik", ["tanpa titik"]),
    ],
)
def test_split_sentences(paragraph, expected):
    assert split_sentences(paragraph) == expected


def test_paragraphs_and_sentences_keep_ids_labels_and_language(nusawrites_dir):
    splits = load_nusa_paragraph(nusawrites_dir, "javanese")
    assert set(splits) == {"train", "validation", "test"}
    paragraphs = splits["train"]
    assert paragraphs["id"] == ["7", "9"] and paragraphs["lang"] == ["jav", "jav"]
    assert paragraphs.features["label"].names == NUSA_PARAGRAPH_TOPICS
    assert paragraphs["label"] == [
        NUSA_PARAGRAPH_TOPICS.index("sports"),
        NUSA_PARAGRAPH_TOPICS.index("food & beverages"),
    ]
    sentences = load_nusa_paragraph(nusawrites_dir / "nusawrites", "jav", "test", sentences=True)
    assert sentences["id"] == ["7-0", "7-1", "7-2", "7-3", "9-0"]
    assert sentences["text"][2] == 'Jam 7.30 lan dll. lan "Kok iso?"'
    assert sentences["label"] == [paragraphs["label"][0]] * 4 + [paragraphs["label"][1]]


def test_translation_pairs_in_the_corpus_schema_both_ways(nusawrites_dir):
    pairs = load_nusa_translation(nusawrites_dir, "jav", "train")
    assert pairs[0] == {
        "source_text": "saya makan", "target_text": "aku mangan", "source_lang": "ind", "target_lang": "jav",
        "origin": "real", "provenance": None, "quality": None,
    }  # fmt: skip
    reverse = load_nusa_translation(nusawrites_dir, "jav", "validation", reverse=True)
    assert (reverse[1]["source_text"], reverse[1]["source_lang"], reverse[1]["target_lang"]) == (
        "dheweke turu",
        "jav",
        "ind",
    )


def test_bad_input_is_named(nusawrites_dir):
    with pytest.raises(ValueError, match=r"NusaParagraph has no 'ace'; expected one of \['bew'"):
        load_nusa_paragraph(nusawrites_dir, "ace")
    with pytest.raises(ValueError, match="unknown NusaWrites split 'dev'"):
        load_nusa_translation(nusawrites_dir, "jav", "dev")
    with pytest.raises(FileNotFoundError, match="no NusaWrites file nusa_alinea-topic-sun-train.csv"):
        load_nusa_paragraph(nusawrites_dir, "sun")
    (nusawrites_dir / "nusawrites" / "nusa_alinea-topic-jav-valid.csv").write_text("id,text,label\n1,Apik.,weather\n")
    with pytest.raises(CorpusFormatError, match=r"nusa_alinea-topic-jav-valid.csv.*line 2.*unknown label 'weather'"):
        load_nusa_paragraph(nusawrites_dir, "jav", "validation")


def test_the_shared_nusawrites_files(shared_data_dir):
    paragraphs = load_nusa_paragraph(shared_data_dir, "sun", "train")
    assert len(paragraphs) == 2800 and set(paragraphs["lang"]) == {"sun"}
    sentences = load_nusa_paragraph(shared_data_dir, "sun", "train", sentences=True)
    assert len(sentences) > 5 * len(paragraphs)
    assert set(sentences["id"]) >= {f"{paragraphs['id'][0]}-0"}
    pairs = load_nusa_translation(shared_data_dir, "jav", "test")
    assert len(pairs) == 2000 and set(pairs["target_lang"]) == {"jav"}

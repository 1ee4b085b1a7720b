"""The offline translator folder that `make setup` converts from the Gemma 270M GGUF: its tokenizer
loads through the fast path (Rust, no Python rebuild) and gives exactly the GGUF tokenizer's ids.

The outside truth is the GGUF itself: transformers reads its tokenizer from the GGUF metadata
(``gguf_file=``), the way the offline profile loaded it before the conversion.
"""

from __future__ import annotations

import json
import time

import pytest
from conftest import SHARED

from altyazi.models import fast_tokenizer_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tokenizers(offline_models):
    from transformers import AutoTokenizer

    gguf = offline_models["translator-gguf"]
    folder = offline_models["translator"]
    reference = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    t0 = time.perf_counter()
    converted = AutoTokenizer.from_pretrained(folder)
    return reference, converted, time.perf_counter() - t0, folder


def test_the_folder_tokenizer_loads_straight_into_rust(tokenizers):
    _, converted, seconds, folder = tokenizers
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert type(converted).__name__ == "TokenizersBackend" == config["tokenizer_class"]
    assert len(config["added_tokens_decoder"]) == len(converted.added_tokens_decoder) > 6000
    print(f"folder tokenizer loaded in {seconds:.1f} s")


def test_the_folder_tokenizer_gives_the_gguf_ids(tokenizers):
    reference, converted, _, _ = tokenizers
    texts = ["<bos>Türkçe: Bu devlet nasıl ayakta duracak?\nFrançais: Comment cet État tiendra-t-il ?<eos>",
             "  İki  boşluk,\n\nsatır sonu\tve sekme — «guillemets» … 1990'da", "<start_of_turn>user\nSelam<end_of_turn>",
             "Emanet, Yaman Kırımlı'nın konağında geçiyor.", "Je n'en peux plus, Seher ! Où étais-tu ?"]
    tatoeba = SHARED / "data" / "tatoeba-tr-fr.dev.tsv"
    if tatoeba.is_file():  # the 600 real sentences when the shared data is there (CI has it)
        rows = tatoeba.read_text(encoding="utf-8").splitlines()
        texts += [cell for row in rows for cell in row.split("\t") if cell.strip()]
        assert len(texts) > 500
    differ = [t for t in texts if reference(t)["input_ids"] != converted(t)["input_ids"]]
    assert not differ, differ[:3]
    ids = reference(texts[:100])["input_ids"]
    assert [converted.decode(i) for i in ids] == [reference.decode(i) for i in ids]
    assert converted.added_tokens_decoder == reference.added_tokens_decoder
    assert (converted.bos_token, converted.eos_token, converted.pad_token) == \
        (reference.bos_token, reference.eos_token, reference.pad_token)


def test_fast_tokenizer_config_turns_a_plain_gemma_save_into_the_fast_one(tokenizers, tmp_path):
    """fast_tokenizer_config alone, on the GGUF tokenizer's plain save_pretrained folder (the step
    convert_gguf adds after that save)."""
    reference, _, _, _ = tokenizers
    reference.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["tokenizer_class"] != "TokenizersBackend"
    fast_tokenizer_config(reference, tmp_path)
    from transformers import AutoTokenizer

    again = AutoTokenizer.from_pretrained(tmp_path)
    assert type(again).__name__ == "TokenizersBackend"
    assert again("Bu devlet nasıl ayakta duracak?")["input_ids"] == reference("Bu devlet nasıl ayakta duracak?")["input_ids"]

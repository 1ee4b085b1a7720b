"""Tiny random models saved with ``save_pretrained`` so tests load them through the same
``from_pretrained`` code as the production weights (the real layouts and their sources: tests/fixtures/replicas/):

- a Voxtral (``VoxtralForConditionalGeneration``) with a tekken.json tokenizer and a
  ``VoxtralProcessor`` (WhisperFeatureExtractor + MistralCommonBackend);
- a wav2vec2 CTC model (``Wav2Vec2ForCTC``) with a Turkish character vocabulary.

Their outputs are random: tests check the code paths and the records, never the words.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

TURKISH_CHARS = list("abcçdefgğhıijklmnoöprsştuüvyz'")
SPECIALS = {0: "<unk>", 1: "<s>", 2: "</s>", 3: "[INST]", 4: "[/INST]", 5: "[AVAILABLE_TOOLS]",
            6: "[/AVAILABLE_TOOLS]", 7: "[TOOL_RESULTS]", 8: "[/TOOL_RESULTS]", 9: "[TOOL_CALLS]", 10: "[IMG]",
            11: "<pad>", 12: "[IMG_BREAK]", 13: "[IMG_END]", 14: "[PREFIX]", 15: "[MIDDLE]", 16: "[SUFFIX]",
            17: "[SYSTEM_PROMPT]", 18: "[/SYSTEM_PROMPT]", 19: "[TOOL_CONTENT]", 24: "[AUDIO]",
            25: "[BEGIN_AUDIO]", 32: "[ARGS]", 33: "[CALL_ID]", 34: "[TRANSCRIBE]"}


def write_tekken(folder: Path, n_vocab: int = 1500, audio: bool = True, image: bool = False) -> int:
    """Write a small tekken.json (byte-level BPE: the first ``n_vocab`` ranks of mistral-common's
    bundled tekken file, 1000 specials with [AUDIO]=24 and [TRANSCRIBE]=34) with Voxtral's ``audio``
    section and/or the bundled (Pixtral) file's ``image`` section. Returns the vocab size."""
    import mistral_common

    bundled = Path(mistral_common.__file__).parent / "data" / "tekken_240911.json"
    src = json.loads(bundled.read_text(encoding="utf-8"))
    vocab = []
    for entry in src["vocab"][:n_vocab]:
        raw = base64.b64decode(entry["token_bytes"])
        vocab.append({"rank": entry["rank"], "token_bytes": entry["token_bytes"],
                      "token_str": raw.decode("utf-8", errors="replace")})
    specials = [{"rank": i, "token_str": SPECIALS.get(i, f"<SPECIAL_{i}>"), "is_control": True} for i in range(1000)]
    vocab_size = 1000 + n_vocab
    tekken = {"config": {"pattern": src["config"]["pattern"], "num_vocab_tokens": n_vocab,
                         "default_vocab_size": vocab_size, "default_num_special_tokens": 1000, "version": "v7"},
              "vocab": vocab, "special_tokens": specials}
    if audio:
        tekken["audio"] = {"sampling_rate": 16000, "frame_rate": 12.5, "chunk_length_s": 30.0,
                           "audio_encoding_config": {"num_mel_bins": 128, "hop_length": 160, "window_size": 400}}
    if image:
        tekken["image"] = src["image"]
    (folder / "tekken.json").write_text(json.dumps(tekken), encoding="utf-8")
    return vocab_size


def build_tiny_voxtral(folder: str | Path, seed: int = 0) -> Path:
    """A ~1M-parameter random Voxtral + processor in ``folder`` (loads in well under a second)."""
    import torch
    from transformers import AutoProcessor, VoxtralConfig, VoxtralForConditionalGeneration, WhisperFeatureExtractor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab_size = write_tekken(folder)
    hidden = 32
    config = VoxtralConfig(
        audio_config={"hidden_size": hidden, "intermediate_size": 4 * hidden, "num_hidden_layers": 1,
                      "num_attention_heads": 2, "num_mel_bins": 128, "max_source_positions": 1500},
        text_config={"model_type": "llama", "vocab_size": vocab_size, "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
                     "head_dim": 16, "max_position_embeddings": 2048, "bos_token_id": 1, "eos_token_id": 2,
                     "pad_token_id": 11},
        audio_token_id=24)
    torch.manual_seed(seed)
    model = VoxtralForConditionalGeneration(config)
    model.save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=128, hop_length=160, n_fft=400, chunk_length=30,
                            sampling_rate=16000).save_pretrained(folder)
    processor = AutoProcessor.from_pretrained(folder)  # MistralCommonBackend over tekken.json
    processor.save_pretrained(folder)
    return folder


def build_tiny_wav2vec2(folder: str | Path, seed: int = 0) -> Path:
    """A tiny random wav2vec2 CTC model with a Turkish letter vocabulary ("|" = word separator)."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate(TURKISH_CHARS)}}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                         do_normalize=True, return_attention_mask=True)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(16, 16, 16, 16, 16, 16, 16),
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            pad_token_id=0, ctc_loss_reduction="mean")
    torch.manual_seed(seed)
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return folder


# ---------------------------------------------------------------- replicas of the production repos
# Each builder writes a tiny model in the layout of one real repo (file names, config keys and
# classes from tests/fixtures/replicas/<repo>.json, which cites its sources), so the production
# loaders meet the same files they will meet after `make setup-models`.

def replica_manifest(repo: str) -> dict:
    path = Path(__file__).parent / "fixtures" / "replicas" / (repo.replace("/", "__") + ".json")
    return json.loads(path.read_text(encoding="utf-8"))


def build_replica_aligner(folder: str | Path, seed: int = 0) -> Path:
    """mpoyraz/wav2vec2-xls-r-300m-cv7-turkish in miniature: a 2022-era save (pytorch_model.bin,
    preprocessor_config.json naming ``Wav2Vec2ProcessorWithLM``, tokenizer_config.json,
    special_tokens_map.json, vocab.json, alphabet.json) plus the kenlm ``language_model/`` folder,
    which transformers' ``AutoProcessor`` turns into a pyctcdecode requirement."""
    import torch
    from transformers import Wav2Vec2ForCTC

    folder = Path(folder)
    tmp = build_tiny_wav2vec2(folder / ".build", seed=seed)
    model = Wav2Vec2ForCTC.from_pretrained(tmp)
    manifest = replica_manifest("mpoyraz/wav2vec2-xls-r-300m-cv7-turkish")
    vocab = {"[PAD]": 0, "[UNK]": 1, "|": 2, **{c: i + 3 for i, c in enumerate(TURKISH_CHARS)}}
    model.config.architectures = ["Wav2Vec2ForCTC"]
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    texts = manifest["texts"]
    (folder / "preprocessor_config.json").write_text(json.dumps(texts["preprocessor_config.json"], indent=2))
    (folder / "tokenizer_config.json").write_text(json.dumps(texts["tokenizer_config.json"]))
    (folder / "special_tokens_map.json").write_text(json.dumps(texts["special_tokens_map.json"]))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    labels = ["", "<s>", "</s>", "⁇", " ", *TURKISH_CHARS]
    (folder / "alphabet.json").write_text(json.dumps({"labels": labels, "is_bpe": False}, ensure_ascii=False))
    lm = folder / "language_model"
    lm.mkdir(exist_ok=True)
    (lm / "attrs.json").write_text(json.dumps({"alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0,
                                               "score_boundary": True}))
    (lm / "lm.bin").write_bytes(b"kenlm replica: not a real language model\n")
    (lm / "unigrams.txt").write_text("merhaba\ndünya\n", encoding="utf-8")
    import shutil

    shutil.rmtree(tmp)
    return folder

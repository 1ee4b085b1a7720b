"""faster-whisper backend: CTranslate2 Whisper with word timestamps, one result per VAD piece."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

from ..errors import ModelMissingError
from ..log import get_logger, progress
from ..models import is_local_ref
from ..segments import Word
from .base import Piece, Transcript

log = get_logger("asr.whisper")


@dataclass
class FasterWhisperBackend:
    model_ref: str
    language: str = "tr"
    device: str = "auto"
    compute_type: str = "auto"
    beam_size: int = 5
    batch_size: int = 8
    cpu_threads: int = 0
    name: str = "faster-whisper"
    gives_word_times: bool = True

    def __post_init__(self) -> None:
        self.model = None

    def load(self) -> None:
        from faster_whisper import WhisperModel

        ref = self.model_ref
        if is_local_ref(ref) and not os.path.isfile(os.path.join(ref, "model.bin")):
            raise ModelMissingError(f"faster-whisper model folder {ref} has no model.bin")
        device = self.device
        if device == "auto":
            from ..gpu import cuda_available

            device = "cuda" if cuda_available() else "cpu"
        compute_type = self.compute_type
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        threads = self.cpu_threads or (os.cpu_count() or 1)
        try:
            self.model = WhisperModel(ref, device=device, compute_type=compute_type, cpu_threads=threads,
                                      local_files_only=True)
        except (OSError, ValueError) as err:  # hub miss when offline, or a broken folder
            if "local" in str(err).lower() or "not found" in str(err).lower() or "snapshot" in str(err).lower():
                raise ModelMissingError(f"faster-whisper model {ref} is not available locally ({err})") from None
            raise
        log.info("faster-whisper %s loaded on %s (%s, %d threads)", ref, device, compute_type, threads)

    def transcribe(self, pieces: list[Piece], **looser: object) -> list[Transcript]:
        assert self.model is not None, "load() first"
        # Looser settings for a retry of a piece that came back empty: lower the no-speech bar
        # and let the decoder fall back through temperatures.
        no_speech = 0.9 if looser else 0.6
        out: list[Transcript] = []
        for piece in progress(pieces, description="asr pieces (faster-whisper)", logger=log):
            segments, info = self.model.transcribe(
                piece.audio, language=self.language, beam_size=self.beam_size, word_timestamps=True,
                condition_on_previous_text=False, vad_filter=False, without_timestamps=False,
                no_speech_threshold=no_speech, log_prob_threshold=-1.0, compression_ratio_threshold=2.4,
                hallucination_silence_threshold=None if looser else 2.0,
                temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
            words: list[Word] = []
            texts: list[str] = []
            for seg in segments:
                texts.append(seg.text.strip())
                for w in seg.words or []:
                    words.append(Word(piece.start + w.start, piece.start + w.end, w.word.strip(), w.probability))
            out.append(Transcript(" ".join(t for t in texts if t).strip(), [w for w in words if w.word],
                                  info.language, info.language_probability))
        return out

    def close(self) -> None:
        self.model = None
        gc.collect()

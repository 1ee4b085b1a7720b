"""faster-whisper backend: CTranslate2 Whisper with word timestamps, one result per VAD piece.

Three ways to run the same pieces, each giving one transcript per piece:
- ``packed`` (default): like ``batched``, but consecutive pieces share one clip up to ``pack_seconds``
  (the window faster-whisper's own VAD path fills); words go back to their piece by time, and a piece
  left without a word is retried alone by the chain, so a line Whisper skips in a window is not lost;
- ``sequential``: ``WhisperModel.transcribe`` per piece, with temperature fallback and the
  no-speech / log-prob / compression guards;
- ``batched``: ``BatchedInferencePipeline`` over the pieces given as ``clip_timestamps`` (faster-whisper
  then makes exactly one chunk per clip, no merging), ``batch_size`` pieces per encoder/decoder call.
  It has no temperature fallback, so the no-speech guard is applied here to its results.
A looser retry (for pieces the quality gate rejected): outside ``sequential`` it first decodes each
piece alone in its own clip, batched, with the normal guards (a piece left empty by a shared window is
usually heard alone); the pieces still rejected then run sequentially with a lower no-speech bar, no
hallucination-silence skip and the full temperature ladder.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ModelMissingError
from ..log import get_logger, progress
from ..models import is_local_ref
from ..records import Word
from .base import SAMPLE_RATE, Piece, Transcript
from .gate import judge
from .packing import THIN_SPAN, coverage, layout, pack_pieces, take_alone_answers, thin, unheard, words_to_pieces

log = get_logger("asr.whisper")
GUARDS = dict(no_speech_threshold=0.6, log_prob_threshold=-1.0, compression_ratio_threshold=2.4)
LOOSER_GUARDS = dict(GUARDS, no_speech_threshold=0.9)


@dataclass
class FasterWhisperBackend:
    model_ref: str
    language: str = "tr"
    device: str = "auto"
    compute_type: str = "auto"
    beam_size: int = 5
    batch_size: int = 8
    cpu_threads: int = 0
    mode: str = "packed"         # packed | batched | sequential
    pack_seconds: float = 28.0   # packed: consecutive pieces share one Whisper window up to this length
    timestamp_tokens: str = "on_failure"  # packed: first pass without them, a window that skipped speech again with
    quality_gate: bool = True    # asr.quality_gate: off, the looser retry's ladder takes only empty answers
    name: str = "faster-whisper"
    gives_word_times: bool = True

    def __post_init__(self) -> None:
        if self.timestamp_tokens not in ("on_failure", "always"):
            raise ConfigError("asr.faster_whisper.timestamp_tokens must be on_failure or always, "
                              f"not {self.timestamp_tokens!r}")
        if self.mode not in ("packed", "batched", "sequential"):
            raise ConfigError(f"asr.faster_whisper.mode must be packed, batched or sequential, not {self.mode!r}")
        self.model = None
        self.spoken: tuple[str, float] | None = None
        self.sizer = None  # gpu.BatchSizer: an OOM-halved batch size holds for the rest of the stage

    def load(self) -> None:
        """Load the CTranslate2 model (local folder or HF cache only). ModelMissingError if absent."""
        from faster_whisper import WhisperModel

        ref = self.model_ref
        if is_local_ref(ref) and not os.path.isfile(os.path.join(ref, "model.bin")):
            raise ModelMissingError(f"faster-whisper model folder {ref} has no model.bin")
        device = self.device
        if device == "auto":
            from ..gpu import cuda_available

            device = "cuda" if cuda_available() else "cpu"
        if device == "cuda":
            from ..gpu import ctranslate2_cuda_problem

            problem = ctranslate2_cuda_problem()
            if problem:  # found now, not at the first CUDA call in the middle of the episode
                log.warning("faster-whisper cannot run on the GPU: %s; running it on CPU (int8) instead", problem)
                device = "cpu"
        compute_type = self.compute_type
        if compute_type == "auto" or (device == "cpu" and compute_type == "float16"):
            compute_type = "float16" if device == "cuda" else "int8"
        threads = self.cpu_threads or (os.cpu_count() or 1)
        try:
            self.model = WhisperModel(ref, device=device, compute_type=compute_type, cpu_threads=threads,
                                      local_files_only=True)
        except (OSError, ValueError) as err:  # hub miss when offline, or a broken folder
            raise ModelMissingError(f"faster-whisper model {ref} could not be loaded ({err})") from None
        mels, expected = self.model.feature_extractor.mel_filters.shape[0], self.model.model.n_mels
        if mels != expected:  # large-v3 wants 128; without its preprocessor_config.json faster-whisper feeds 80
            self.model = None
            raise ModelMissingError(f"faster-whisper model {ref} expects {expected} mel bins but its feature extractor "
                                    f"gives {mels}: preprocessor_config.json is missing or wrong",
                                    hint="Re-run `make setup-models` (it fetches preprocessor_config.json).")
        log.info("faster-whisper %s loaded on %s (%s, %d threads, %s, batch %d)", ref, device, compute_type,
                 threads, self.mode, self.batch_size)

    def transcribe(self, pieces: list[Piece], looser: bool = False) -> list[Transcript]:
        """One Transcript per piece, in order; word times are absolute (episode) seconds."""
        assert self.model is not None, "load() first"
        if not pieces:
            return []
        if self.mode == "sequential" or self.batch_size <= 1:
            if self.spoken is None and not looser:
                self.check_spoken_language(pieces)
            return self._sequential(pieces, looser)
        if not looser:
            # the spoken-language check comes with the decoding: every window's encoder output is
            # also asked for Whisper's language scores (one decoder step, no encoder pass of its own)
            return self._batched(pieces, listen=self.spoken is None)
        # The looser retry: first each piece alone in its own clip, batched (most pieces the gate sent
        # back came out empty from a shared window: alone they are heard), then the sequential
        # temperature ladder for those the gate still rejects. The batch keeps the normal no-speech
        # bar: under the looser one Whisper base answers "İnanılmaz." to 2 s of silence.
        outs = self._batched(pieces, pack=False)
        again = [i for i, o in enumerate(outs) if judge(o.text, self.language, self.quality_gate)]
        if again:
            for i, out in zip(again, self._sequential([pieces[i] for i in again], True), strict=True):
                outs[i] = out
        log.info("looser retry of %d piece(s): %d answered alone in a batch, %d by the sequential temperature ladder",
                 len(pieces), len(pieces) - len(again), len(again))
        return outs

    def _sequential(self, pieces: list[Piece], looser: bool) -> list[Transcript]:
        return [self._one(p, looser) for p in progress(pieces, description="asr pieces (faster-whisper)", logger=log)]

    def _one(self, piece: Piece, looser: bool) -> Transcript:
        guards = LOOSER_GUARDS if looser else GUARDS
        segments, info = self.model.transcribe(
            piece.audio, language=self.language, beam_size=self.beam_size, word_timestamps=True,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=False,
            hallucination_silence_threshold=None if looser else 2.0,
            temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], **guards)
        return _collect(list(segments), piece, offset=0.0, language=info.language,
                        probability=info.language_probability)

    def _batched(self, pieces: list[Piece], pack: bool = True, listen: bool = False) -> list[Transcript]:
        from ..gpu import BatchSizer

        # `batched`: each piece is its own clip (one chunk per piece). `packed`: consecutive pieces
        # share a clip up to `pack_seconds` (altyazi/asr/packing.py, the policy Voxtral uses too):
        # ~3x fewer 30 s windows to encode and decode, and Whisper hears its neighbours as context.
        packed = self.mode == "packed" and pack
        windows = pack_pieces(pieces, self.pack_seconds if packed else 0.0)
        audio = layout(pieces)
        self.sizer = self.sizer or BatchSizer(self.batch_size, "faster-whisper")
        scores: list[list[tuple[str, float]]] = []
        fast = packed and self.timestamp_tokens == "on_failure"
        words: list[list[Word]] = [[] for _ in pieces]
        info = self._decode_windows(audio, windows, range(len(windows)), pieces, words, without_timestamps=fast,
                                    scores=scores if listen else None)
        if fast:
            self._redo_with_timestamps(audio, windows, pieces, words)
        if packed:
            self._retry_thin(pieces, words, windows)
        if listen:
            self._spoken_from_windows(scores, [sum(pieces[i].audio.size for i in w.members) / SAMPLE_RATE
                                               for w in windows])
        log.debug("%d piece(s) in %d clip(s) (%s)", len(pieces), len(windows), self.mode)
        return [Transcript(" ".join(w.word for w in ws).strip(), ws, info.language, info.language_probability)
                for ws in words]

    def _decode_windows(self, audio: np.ndarray, windows: list, which, pieces: list[Piece], words: list[list[Word]],
                        without_timestamps: bool, scores: list | None = None):
        """Decode ``windows[which]`` of the laid-out ``audio`` in one batched call; each window's
        words go back to its pieces (``words``, one list per piece, extended in place). With
        ``scores``, each window's language scores are appended to it. Returns faster-whisper's info."""
        from faster_whisper import BatchedInferencePipeline

        which = list(which)
        clips = [{"start": windows[k].start / SAMPLE_RATE, "end": (windows[k].start + windows[k].samples) / SAMPLE_RATE}
                 for k in which]
        pipeline = BatchedInferencePipeline(self.model)
        if scores is not None:
            _listen_for_language(pipeline, scores)

        def run(size: int) -> tuple[list, object]:
            if scores is not None:
                scores.clear()  # an OOM-halved rerun starts over
            segments, info = pipeline.transcribe(
                audio, language=self.language, beam_size=self.beam_size, word_timestamps=True,
                clip_timestamps=clips, batch_size=size, without_timestamps=without_timestamps, temperature=0.0,
                log_progress=False, **GUARDS)
            return list(progress(segments, total=None, description=f"asr segments (faster-whisper {self.mode})",
                                 logger=log)), info
        segments, info = self.sizer.call(run)
        # A segment's `seek` is its clip's offset in frames (100 per second): map it back to the clip.
        frames = self.model.frames_per_second
        by_seek = {int(c["start"] * frames): gi for gi, c in enumerate(clips)}
        dropped = 0
        for seg in segments:
            gi = by_seek.get(seg.seek)
            if gi is None:  # should not happen; fall back to the time
                gi = int(np.searchsorted([c["start"] for c in clips], seg.start, side="right") - 1)
            if _no_speech(seg):
                dropped += 1
                continue
            base = clips[gi]["start"]
            timed = [Word(w.start - base, w.end - base, w.word, w.probability) for w in seg.words or []]
            for i, ws in words_to_pieces(windows[which[gi]], pieces, timed).items():
                words[i].extend(ws)
        if dropped:
            log.debug("%d segment(s) dropped by the no-speech guard", dropped)
        return info

    def _redo_with_timestamps(self, audio: np.ndarray, windows: list, pieces: list[Piece],
                              words: list[list[Word]]) -> None:
        """The first pass decodes packed windows without timestamp tokens (~15 % fewer tokens, the
        word times come from the cross-attention alignment either way). Without them Whisper may end a
        window early and skip its last utterances (on the espeak timing episode, whole windows came
        back empty): a window where a piece of speech got no word, or only a sliver of one
        (:func:`.packing.unheard`), is decoded again with timestamp tokens, and its pieces take that answer."""
        failed = [k for k, w in enumerate(windows) if any(unheard(pieces[i], words[i]) for i in w.members)]
        if not failed:
            log.info("%d window(s) decoded without timestamp tokens, none skipped speech", len(windows))
            return
        for k in failed:
            for i in windows[k].members:
                words[i] = []
        self._decode_windows(audio, windows, failed, pieces, words, without_timestamps=False)
        log.info("%d of %d window(s) left a piece without words when decoded without timestamp tokens: decoded "
                 "again with them", len(failed), len(windows))
        if len(failed) * 2 > len(windows):
            log.warning("most windows (%d of %d) skipped speech without timestamp tokens, so this stage decoded them "
                        "twice: for this kind of audio set asr.faster_whisper.timestamp_tokens: always",
                        len(failed), len(windows))

    def _retry_thin(self, pieces: list[Piece], words: list[list[Word]], windows: list) -> None:
        """Decode alone, batched, the pieces their shared window left thin (:func:`.packing.thin`:
        Whisper skipped their speech, at most a neighbour's word landed on their edge); a piece takes
        its alone answer when that passes the gate and covers more of it, and the window's words it
        had go back to their neighbour (:func:`.packing.hand_over`). (Pieces left with no word at
        all go back to the chain, which retries them alone with the looser settings.)"""
        redo = [i for i, ws in enumerate(words) if thin(pieces[i], ws)]
        if not redo:
            return
        taken: dict[int, list[Word]] = {}
        for i, out in zip(redo, self._batched([pieces[i] for i in redo], pack=False), strict=True):
            if coverage(pieces[i], out.words) > coverage(pieces[i], words[i]) and \
                    not judge(out.text, self.language, self.quality_gate):
                taken[i] = words[i]
                words[i] = list(out.words)
        handed = take_alone_answers(taken, words, windows, pieces)
        log.info("%d of %d piece(s) got words over less than %.0f %% of them from their shared window (their "
                 "speech skipped there): decoded alone, %d took the answer heard alone (%d window word(s) handed "
                 "to a neighbour)", len(redo), len(pieces), 100 * THIN_SPAN, len(taken), handed)

    def _spoken_from_windows(self, scores: list[list[tuple[str, float]]], speech_s: list[float]) -> None:
        """The spoken-language verdict of the whole episode from every window's language scores
        (averaged, weighted by the window's speech): it warns when another language is likely, and
        names the windows that sound like another language in an otherwise Turkish episode."""
        if len(scores) != len(speech_s) or not scores:
            self.spoken = ("unknown", 0.0)
            log.warning("spoken language check skipped (%d language scores for %d windows); transcribing as %r",
                        len(scores), len(speech_s), self.language)
            return
        total = sum(speech_s) or 1.0
        mean: dict[str, float] = {}
        for pairs, weight in zip(scores, speech_s):
            for lang, prob in pairs:
                mean[lang] = mean.get(lang, 0.0) + prob * weight / total
        lang = max(mean, key=mean.get)
        others = [i for i, pairs in enumerate(scores) if pairs and pairs[0][0] != self.language]
        self._verdict(lang, mean[lang], f"{len(scores)} windows, {sum(speech_s):.0f} s of speech")
        if others and lang == self.language:
            log.info("%d of %d window(s) sound more like another language (first: window %d, %r)", len(others),
                     len(scores), others[0], scores[others[0]][0][0])

    def _verdict(self, lang: str, prob: float, over: str) -> tuple[str, float]:
        self.spoken = (lang, float(prob))
        if lang != self.language and prob >= 0.5:
            log.warning("the speech sounds like %r (p=%.2f, %s), not %r (asr.language): is this episode in "
                        "Turkish? Its transcript and subtitles will be poor", lang, prob, over, self.language)
        else:
            log.info("spoken language check: %s (p=%.2f, %s)", lang, prob, over)
        return self.spoken

    def check_spoken_language(self, pieces: list[Piece], seconds: float = 30.0) -> tuple[str, float]:
        """Whisper's language identification on the first ``seconds`` of speech (sequential mode; the
        batched modes read it off every window they decode, see :meth:`_spoken_from_windows`).

        Decoding is forced to ``language``, which turns foreign speech into Turkish-looking text that no
        text-level check can catch; the audio itself tells. Warns when another language is likely.
        """
        import numpy as np

        audio, total = [], 0.0
        for p in pieces:
            audio.append(p.audio)
            total += p.audio.size / SAMPLE_RATE
            if total >= seconds:
                break
        try:
            lang, prob, _ = self.model.detect_language(audio=np.concatenate(audio)[:int(seconds * SAMPLE_RATE)])
        except Exception as err:  # an optional check: say why it did not run, transcribe anyway
            log.warning("spoken language check skipped (%s: %s); transcribing as %r", type(err).__name__,
                        str(err).splitlines()[0][:160] if str(err) else "", self.language)
            self.spoken = ("unknown", 0.0)
            return self.spoken
        return self._verdict(lang, prob, f"first {seconds:.0f} s of speech")

    def close(self) -> None:
        self.model = None
        gc.collect()


def _listen_for_language(pipeline, scores: list) -> None:
    """Make ``pipeline`` (a ``BatchedInferencePipeline``) also append each window's language scores
    (CTranslate2's ``detect_language`` on the encoder output it has just computed) to ``scores``, as
    ``[(code, probability), ...]`` best first (``"<|tr|>"`` -> ``"tr"``)."""
    generate = pipeline.generate_segment_batched
    whisper = pipeline.model.model

    def generate_and_listen(features, tokenizer, options):
        encoder_output, outputs = generate(features, tokenizer, options)
        try:
            scores.extend([(token.strip("<|>"), prob) for token, prob in pairs]
                          for pairs in whisper.detect_language(encoder_output))
        except RuntimeError as err:  # an English-only model has no language scores
            log.debug("no language scores: %s", err)
        return encoder_output, outputs
    pipeline.generate_segment_batched = generate_and_listen


def _no_speech(seg) -> bool:
    """Whisper's own rule: probably silence when no_speech_prob is high and the text is unlikely."""
    return seg.no_speech_prob > GUARDS["no_speech_threshold"] and seg.avg_logprob < GUARDS["log_prob_threshold"]


def _collect(segments: list, piece: Piece, offset: float, language: str | None, probability: float | None) -> Transcript:
    """Join faster-whisper segments of one piece; word times moved from ``offset`` to the piece start."""
    words: list[Word] = []
    texts: list[str] = []
    shift = piece.start - offset
    for seg in segments:
        texts.append(seg.text.strip())
        for w in seg.words or []:
            if w.word.strip():
                start = float(min(max(shift + w.start, piece.start), piece.end))
                end = float(min(max(shift + w.end, start), piece.end))
                words.append(Word(start, end, w.word.strip(), w.probability))
    return Transcript(" ".join(t for t in texts if t).strip(), words, language, probability)

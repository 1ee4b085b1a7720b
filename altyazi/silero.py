"""Silero VAD without torch: the package's sequence ONNX model and its timestamp state machine.

``silero_vad.sequence_vad`` calls itself torch-free, but importing anything from the package runs
its ``__init__``, which imports ``utils_vad`` and with it torch: 1.2-2.4 s of a ~4-7 s vad stage on
a 2-core machine, for a stage that needs numpy and onnxruntime only. So this module

- finds the ONNX file inside the installed package without importing it (``find_spec`` of a
  top-level package does not run its ``__init__``);
- runs it block by block as ``SileroVADSequence.audio_forward`` does (:func:`frame_blocks` is
  silero's, line for line);
- turns probabilities into timestamps with :func:`speech_timestamps`, silero's
  ``get_speech_timestamps_from_probs`` (silero-vad 6.2.3, MIT licence, Silero Team) written out
  for the options the workflow uses: the default "longest pause" cut at the length limit
  (``use_max_poss_sil_at_max_speech=True``), samples out, no decimation.

Both ports are checked against silero's own functions, on real speech and on random probability
sequences (``tests/test_silero_port.py``); a new silero release that changes either shows there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

# (frame_samples, context_samples) per sample rate (silero_vad.sequence_vad.RATE_CONFIG)
RATE_CONFIG = {8000: (256, 32), 16000: (512, 64)}
MAX_FRAMES = 512  # frames per ONNX call (silero's DEFAULT_MAX_FRAMES, ~16.4 s at 16 kHz)
SEQUENCE_MODEL = "silero_vad_16k_sequence.onnx"


def model_path(name: str = SEQUENCE_MODEL) -> Path:
    """The ONNX file shipped in the silero-vad package (found, not imported)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("silero-vad is not installed (pip install -r requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed silero-vad: reinstall it (make setup)")
    return path


def load_session(path: Path | None = None):
    """An onnxruntime session of the sequence model, one thread (as ``SileroVADSequence``)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path or model_path()), sess_options=options, providers=["CPUExecutionProvider"])


def frame_blocks(audio: np.ndarray, frame_samples: int, context_samples: int, max_frames: int):
    """Blocks of shape (frames, context + frame samples): each frame prefixed with the previous
    frame's last ``context_samples`` (zeros first), the last frame zero-padded (silero's code)."""
    frame_count = (audio.size + frame_samples - 1) // frame_samples
    previous_context = np.zeros(context_samples, dtype=np.float32)
    for first_frame in range(0, frame_count, max_frames):
        block_frames = min(max_frames, frame_count - first_frame)
        first_sample = first_frame * frame_samples
        samples = audio[first_sample: min(audio.size, (first_frame + block_frames) * frame_samples)]
        frames = np.zeros((block_frames, frame_samples), dtype=np.float32)
        frames.reshape(-1)[: samples.size] = samples
        contexts = np.empty((block_frames, context_samples), dtype=np.float32)
        contexts[0] = previous_context
        if block_frames > 1:
            contexts[1:] = frames[:-1, -context_samples:]
        previous_context = frames[-1, -context_samples:].copy()
        yield np.concatenate((contexts, frames), axis=1)


def speech_timestamps(speech_probs: list[float], sampling_rate: int = 16000, threshold: float = 0.5,
                      min_speech_duration_ms: int = 250, max_speech_duration_s: float = float("inf"),
                      min_silence_duration_ms: int = 100, speech_pad_ms: int = 30,
                      neg_threshold: float | None = None, min_silence_at_max_speech: int = 98,
                      audio_length_samples: int | None = None) -> list[dict]:
    """[{"start", "end"}] in samples from per-frame probabilities: silero's
    ``get_speech_timestamps_from_probs`` with ``use_max_poss_sil_at_max_speech=True``,
    ``return_seconds=False``, ``step=1``. A piece that reaches ``max_speech_duration_s`` is cut
    at its longest pause over ``min_silence_at_max_speech`` ms, else where the limit falls."""
    window_size_samples = 512 if sampling_rate == 16000 else 256
    if audio_length_samples is None:
        audio_length_samples = len(speech_probs) * window_size_samples
    min_speech_samples = sampling_rate * min_speech_duration_ms / 1000
    speech_pad_samples = sampling_rate * speech_pad_ms / 1000
    max_speech_samples = sampling_rate * max_speech_duration_s - window_size_samples - 2 * speech_pad_samples
    min_silence_samples = sampling_rate * min_silence_duration_ms / 1000
    min_silence_samples_at_max_speech = sampling_rate * min_silence_at_max_speech / 1000
    if neg_threshold is None:
        neg_threshold = max(threshold - 0.15, 0.01)

    triggered = False
    speeches: list[dict] = []
    current: dict = {}
    temp_end = 0  # where a pause began (speech may resume before it is long enough)
    possible_ends: list[tuple[int, int]] = []  # (pause start, pause length) inside the current piece
    for i, prob in enumerate(speech_probs):
        cur = window_size_samples * i
        if prob >= threshold and temp_end:  # speech resumes after a pause: remember the pause
            if cur - temp_end > min_silence_samples_at_max_speech:
                possible_ends.append((temp_end, cur - temp_end))
            temp_end = 0
        if prob >= threshold and not triggered:  # speech starts
            triggered = True
            current = {"start": cur}
            continue
        if triggered and cur - current["start"] > max_speech_samples:  # too long: cut
            if possible_ends:  # at the longest pause so far; the rest goes on from its end
                end, dur = max(possible_ends, key=lambda x: x[1])
                speeches.append({"start": current["start"], "end": end})
                current = {"start": end + dur} if dur < cur else {}
                triggered = bool(current)
            else:  # no pause at all: cut here
                speeches.append({"start": current["start"], "end": cur})
                current, triggered = {}, False
            temp_end, possible_ends = 0, []
        if prob < neg_threshold and triggered:  # a pause inside speech
            if not temp_end:
                temp_end = cur
            if cur - temp_end < min_silence_samples:
                continue
            if temp_end - current["start"] > min_speech_samples:
                speeches.append({"start": current["start"], "end": temp_end})
            current, triggered, temp_end, possible_ends = {}, False, 0, []
            continue
    if current and audio_length_samples - current["start"] > min_speech_samples:
        current["end"] = audio_length_samples
        speeches.append(current)

    # padding: half the pause each side when two pieces are closer than two pads
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - speech_pad_samples))
        if i != len(speeches) - 1:
            silence_duration = speeches[i + 1]["start"] - speech["end"]
            if silence_duration < 2 * speech_pad_samples:
                speech["end"] += int(silence_duration // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence_duration // 2))
            else:
                speech["end"] = int(min(audio_length_samples, speech["end"] + speech_pad_samples))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - speech_pad_samples))
        else:
            speech["end"] = int(min(audio_length_samples, speech["end"] + speech_pad_samples))
    return speeches

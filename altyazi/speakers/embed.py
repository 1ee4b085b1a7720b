"""Voice embeddings over the VAD pieces with resemblyzer's pretrained GE2E voice encoder.

resemblyzer 0.1.4 ships its weights (``resemblyzer/pretrained.pt``, 17 MB, Apache-2.0) inside the
wheel: no hub, no licence click, CPU is enough. The encoder was trained on 1.6 s partial utterances
(``partials_n_frames`` = 160 mel frames of 10 ms), so a piece is cut into 1.6 s windows every
``hop_s``; a piece shorter than one window is embedded whole (a shorter input, a noisier vector).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AltyaziError
from ..log import get_logger

log = get_logger("speakers")

SAMPLE_RATE = 16000
WINDOW_S = 1.6          # resemblyzer's partial utterance (hparams.partials_n_frames * 10 ms)
TARGET_DBFS = -30.0     # resemblyzer's preprocess_wav volume target (raised only, like it does)


class SpeakerModelError(AltyaziError):
    hint = ("Install the speaker model: `.venv/bin/pip install --no-deps resemblyzer==0.1.4` and "
            "`.venv/bin/pip install -r requirements.txt` (webrtcvad-wheels, librosa), or run `make setup`.")


@dataclass
class Window:
    """One embedded stretch of a piece: ``segment`` id, times (s) and the unit-length embedding."""
    segment: int
    start: float
    end: float
    vector: np.ndarray


def resemblyzer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"resemblyzer {version('resemblyzer')}"
    except PackageNotFoundError:
        return "resemblyzer (version unknown)"


class VoiceEncoder:
    """resemblyzer's VoiceEncoder on CPU, fed mel spectrograms in batches of equal length."""

    def __init__(self, device: str = "cpu", batch_size: int = 64):
        try:
            from resemblyzer import VoiceEncoder as _Encoder
            from resemblyzer.audio import wav_to_mel_spectrogram
        except ImportError as err:
            raise SpeakerModelError(f"the speaker model (resemblyzer) cannot be imported: {err}") from None
        import torch

        self._torch = torch
        self._mel = wav_to_mel_spectrogram
        self.model = _Encoder(device=device, verbose=False).eval()
        self.batch_size = batch_size

    def embed(self, chunks: list[np.ndarray]) -> np.ndarray:
        """Unit-length 256-d embeddings, one per audio chunk (16 kHz float32)."""
        out = np.zeros((len(chunks), 256), np.float32)
        mels = [self._mel(c.astype(np.float32)) for c in chunks]
        by_len: dict[int, list[int]] = {}
        for i, m in enumerate(mels):
            by_len.setdefault(m.shape[0], []).append(i)
        with self._torch.inference_mode():
            for idx in by_len.values():
                for k in range(0, len(idx), self.batch_size):
                    part = idx[k:k + self.batch_size]
                    batch = self._torch.from_numpy(np.stack([mels[i] for i in part])).to(self.model.device)
                    out[part] = self.model(batch).cpu().numpy()
        return out


def _level(audio: np.ndarray) -> np.ndarray:
    """Raise a quiet piece to -30 dBFS RMS (the encoder's input is a linear-power mel: level matters)."""
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if audio.size else 0.0
    if rms <= 1e-8:
        return audio
    gain = 10 ** (TARGET_DBFS / 20) / rms
    return audio * gain if gain > 1 else audio


def piece_windows(start: float, end: float, hop_s: float) -> list[tuple[float, float]]:
    """1.6 s windows every ``hop_s`` covering [start, end]; the last one ends at ``end``."""
    if end - start <= WINDOW_S:
        return [(start, end)]
    n = int(np.floor((end - start - WINDOW_S) / hop_s + 1e-9)) + 1
    wins = [(start + k * hop_s, start + k * hop_s + WINDOW_S) for k in range(n)]
    if wins[-1][1] < end - 1e-6:
        wins.append((end - WINDOW_S, end))
    return wins


def embed_pieces(audio: np.ndarray, pieces: list[tuple[int, float, float]], encoder: VoiceEncoder,
                 hop_s: float = 0.4) -> list[Window]:
    """Windows (with embeddings) of every piece ``(segment id, start s, end s)``, in time order."""
    metas, chunks = [], []
    for seg_id, a, b in pieces:
        lo, hi = int(round(a * SAMPLE_RATE)), int(round(b * SAMPLE_RATE))
        piece = _level(audio[lo:hi])
        if piece.size < int(0.2 * SAMPLE_RATE):  # under 0.2 s the mel has too few frames to mean anything
            log.debug("segment %s: %.2f s of speech, too short to embed", seg_id, b - a)
            continue
        for ws, we in piece_windows(a, b, hop_s):
            i, j = int(round(ws * SAMPLE_RATE)) - lo, int(round(we * SAMPLE_RATE)) - lo
            metas.append((seg_id, ws, we))
            chunks.append(piece[max(0, i):j])
    vectors = encoder.embed(chunks) if chunks else np.zeros((0, 256), np.float32)
    return [Window(s, round(a, 3), round(b, 3), v) for (s, a, b), v in zip(metas, vectors)]

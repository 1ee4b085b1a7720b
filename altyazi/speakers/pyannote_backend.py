"""Optional backend: a pyannote.audio diarization pipeline, behind the same interface as the default.

Not installed by ``make setup`` and not needed offline. To use it:

1. ``.venv/bin/pip install pyannote.audio`` (4.x; 3.x works too);
2. accept the licence of the pipeline on its Hugging Face page (``pyannote/speaker-diarization-community-1``,
   or ``pyannote/speaker-diarization-3.1`` with ``pyannote/segmentation-3.0`` for 3.x) and create a token;
3. ``export HF_TOKEN=...`` once to download it (``HF_HUB_OFFLINE=0``), then offline runs read the cache;
4. ``speakers: {backend: pyannote}`` in config.yaml (``pyannote_pipeline`` names another pipeline).

The pipeline diarizes the whole audio; its turns are then cut to the VAD pieces, so that both
backends hand the same :class:`~altyazi.speakers.cluster.Part` list to the rest of the stage.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import AltyaziError
from ..log import get_logger
from .cluster import Part, merge_same
from .embed import SAMPLE_RATE

log = get_logger("speakers")


class PyannoteError(AltyaziError):
    hint = ("Install pyannote.audio (`.venv/bin/pip install pyannote.audio`), accept the pipeline's licence on "
            "huggingface.co, export HF_TOKEN and download it once with HF_HUB_OFFLINE=0; or use the default "
            "backend (`speakers: {backend: resemblyzer}`), which works offline.")


def load_pipeline(name: str, device: str = "auto"):
    """The pretrained pipeline ``name`` (pyannote.audio 4.x ``token=``, 3.x ``use_auth_token=``)."""
    try:
        import pyannote.audio
        from pyannote.audio import Pipeline
    except ImportError as err:
        raise PyannoteError(f"speakers.backend is pyannote but pyannote.audio cannot be imported: {err}") from None
    import torch

    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    major = int(pyannote.audio.__version__.split(".")[0])
    kwargs = {"token": token} if major >= 4 else {"use_auth_token": token}
    try:
        pipeline = Pipeline.from_pretrained(name, **kwargs)
    except Exception as err:  # the hub's gated-repo and offline errors come in many classes
        raise PyannoteError(f"pyannote pipeline {name!r} could not be loaded ({type(err).__name__}: {err})") from None
    if pipeline is None:  # 3.x returns None (and prints) when the licence was not accepted
        raise PyannoteError(f"pyannote pipeline {name!r}: access refused (licence not accepted or no HF_TOKEN)")
    if device == "cuda" or (device == "auto" and torch.cuda.is_available()):
        pipeline.to(torch.device("cuda"))
    return pipeline


def _tracks(output):
    """(start, end, label) from a 4.x DiarizeOutput or a 3.x Annotation."""
    annotation = getattr(output, "exclusive_speaker_diarization", None) or getattr(output, "speaker_diarization", None)
    annotation = annotation if annotation is not None else output
    for turn, _, label in annotation.itertracks(yield_label=True):
        yield float(turn.start), float(turn.end), str(label)


def pyannote_parts(audio: np.ndarray, pieces: list[tuple[int, float, float]], opts) -> list[Part]:
    """The pipeline's turns cut to the pieces: the parts of each piece, labelled by pyannote's speaker."""
    import torch

    pipeline = load_pipeline(opts.pyannote_pipeline, opts.device)
    output = pipeline({"waveform": torch.from_numpy(audio[None, :].astype(np.float32)), "sample_rate": SAMPLE_RATE})
    tracks = sorted(_tracks(output))
    names = {lab: i for i, lab in enumerate(dict.fromkeys(lab for _, _, lab in tracks))}
    parts: list[Part] = []
    for seg_id, a, b in pieces:
        inside = [(max(a, s), min(b, e), lab) for s, e, lab in tracks if min(b, e) > max(a, s)]
        if not inside:  # pyannote heard no speech here (the VAD did): the nearest turn's speaker
            near = min(tracks, key=lambda t: min(abs(t[0] - b), abs(a - t[1])), default=None)
            parts.append(Part(seg_id, a, b, names[near[2]] if near else 0, 0.0))
            continue
        edges = [a] + [(x[1] + y[0]) / 2 for x, y in zip(inside, inside[1:])] + [b]  # gaps shared by neighbours
        for (_, _, lab), s, e in zip(inside, edges, edges[1:]):
            if e > s:  # confidence: the share of the part that pyannote itself gave to that speaker
                own = sum(max(0.0, min(e, te) - max(s, ts)) for ts, te, tl in tracks if tl == lab)
                parts.append(Part(seg_id, round(s, 3), round(e, 3), names[lab], round(min(1.0, own / (e - s)), 3)))
    log.info("pyannote %s: %d turns, %d speakers", opts.pyannote_pipeline, len(tracks), len(names))
    return merge_same(parts)

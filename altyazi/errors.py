"""Project exceptions: each says what happened and what the user should do.

Scripts catch :class:`AltyaziError` at the top, log ``str(err)`` (message + hint) and
exit non-zero, so Snakemake fails that episode's job only (``--keep-going`` keeps the rest).
"""

from __future__ import annotations


class AltyaziError(RuntimeError):
    """Base class. ``hint`` tells the user what to do next."""

    hint = ""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{msg}\n  -> {self.hint}" if self.hint else msg


class ConfigError(AltyaziError):
    hint = "Fix config.yaml or episodes.tsv (see schemas/ for every allowed key)."


class DependencyError(AltyaziError):
    hint = "Run `make setup` to install the Python environment and system tools."


class FFmpegMissingError(DependencyError):
    hint = "Install ffmpeg: `sudo apt-get install -y ffmpeg` (Debian/Ubuntu) or `conda install ffmpeg`."


class DownloadError(AltyaziError):
    hint = "Check the URL in a browser, your network, and that yt-dlp is recent (`pip install -U yt-dlp`)."


class NoAudioError(AltyaziError):
    hint = "The source has no audio stream: check the file or pick another format/URL."


class MediaError(AltyaziError):
    hint = "The file is unreadable or truncated: download it again (`snakemake --forcerun download`)."


class ModelMissingError(AltyaziError):
    hint = ("Run `make setup-models` (production weights, needs internet) or `make setup` "
            "(offline models), or point config.yaml at a local model folder.")


class GPUMemoryError(AltyaziError):
    hint = ("Free VRAM (close other GPU jobs: `nvidia-smi`), lower the batch size in config.yaml, "
            "or pick a smaller model (e.g. ASR=voxtral-mini).")


class NoGPUError(AltyaziError):
    hint = "No CUDA GPU is visible: use PROFILE=offline, or a model that runs on CPU (faster-whisper)."


class TranslationError(AltyaziError):
    hint = "Check the translation model and prompts; rerun with `make debug` for the full log."

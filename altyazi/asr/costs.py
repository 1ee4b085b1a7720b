"""VRAM needs of the ASR backends (GiB), used to skip a model that cannot fit and to size batches.

Weights are parameter counts x bytes per parameter (bf16 = 2, CTranslate2 float16 = 2); the
per-piece figure is activations + KV cache of one <= 30 s piece (375 audio tokens + up to 256 new
tokens, with the audio encoder's 1500 frames), rounded up. Estimates, not measurements: a real
GPU run logs the peak (VramSampler) to refine them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCost:
    weights_gib: float      # resident weights
    per_piece_gib: float    # extra per piece of a batch
    margin_gib: float = 1.5  # CUDA context, allocator slack

    def need_gib(self, batch: int = 1) -> float:
        """VRAM (GiB) to load the model and run a batch of ``batch`` pieces."""
        return self.weights_gib + self.margin_gib + self.per_piece_gib * batch


COSTS = {
    "voxtral-small": ModelCost(weights_gib=45.3, per_piece_gib=0.5),   # 24.3 B params in bf16
    "voxtral-mini": ModelCost(weights_gib=8.8, per_piece_gib=0.25),    # 4.7 B params in bf16
    "faster-whisper": ModelCost(weights_gib=3.1, per_piece_gib=0.15),  # large-v3 (1.55 B) float16
    "aligner": ModelCost(weights_gib=0.6, per_piece_gib=0.1, margin_gib=0.5),  # wav2vec2 300M
}
GPU_ONLY = {"voxtral-small", "voxtral-mini"}  # 24 B / 4.7 B on CPU: hours per episode

# Whole-GiB needs at batch 1, for the scheduler resource `vram_gb` (altyazi.settings.asr_vram_gb).
VRAM_GB = {name: int(cost.need_gib(1) + 0.999) for name, cost in COSTS.items() if name != "aligner"}

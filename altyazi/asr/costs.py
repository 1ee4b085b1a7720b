"""VRAM needs (GiB), used to skip a model that cannot fit and to size batches.

The ASR backends declare theirs in :mod:`.registry`; the aligner's is here. Weights are parameter
counts x bytes per parameter; the per-piece figure is activations + KV cache of one piece. Estimates,
not measurements: a real GPU run logs the peak (VramSampler, `altyazi calibrate`) to refine them.
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


# wav2vec2 XLS-R 300M: pytorch_model.bin is 1.26 GB (float32, as align.py loads it)
ALIGNER_COST = ModelCost(weights_gib=1.2, per_piece_gib=0.1, margin_gib=0.5)

"""Measured/estimated VRAM needs (GiB, bf16 weights + activations at batch 1) per ASR backend."""

VRAM_GB = {
    "voxtral-small": 55,   # 24B params in bf16 = 48 GiB of weights + audio encoder activations
    "voxtral-mini": 10,    # 4.7B params in bf16 = 9.3 GiB
    "faster-whisper": 5,   # large-v3 float16
}

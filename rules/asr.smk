rule asr:
    input:
        wav=episode_dir("audio.wav"),
        segments=episode_dir("segments.json"),
    output:
        tr=episode_dir("tr.json"),
    params:
        settings=asr_settings(config, workflow.basedir),
    log:
        "logs/asr/{episode}.log",
    benchmark:
        "benchmarks/asr/{episode}.tsv"
    threads: workflow.cores
    resources:
        gpu=1,
        vram_gb=lambda wc: asr_vram_gb(config),
        mem_mb=16000,
    conda:
        "../envs/altyazi.yaml"
    script:
        "../scripts/asr.py"

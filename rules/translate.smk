# The translation cache (results/{episode}/.cache/translate/) and the series memory (translate.memory)
# are deliberately not declared: Snakemake deletes outputs before a rerun, and an input shared by all
# episodes would rerun every episode whenever one learns a tu/vous pair (see altyazi/translate/memory.py).
rule translate:
    input:
        tr=episode_dir("tr.json"),
        speakers=episode_dir("speakers.json"),
    output:
        fr=episode_dir("fr.json"),
    log:
        "logs/translate/{episode}.log",
    benchmark:
        "benchmarks/translate/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    threads: config.get("translate", {}).get("cpu_threads") or workflow.cores
    resources:
        gpu=1,
        vram_gb=lambda wc: translate_vram_gb(config),
        mem_mb=16000,
    params:
        settings=translate_settings(config, workflow.basedir),
    script:
        "../scripts/translate.py"

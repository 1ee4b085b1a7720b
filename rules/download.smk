rule download:
    input:
        local_source,
    output:
        media=episode_dir("source"),
    params:
        source=lambda wc: get_episode(wc).source,
        options=config["download"],
    log:
        "logs/download/{episode}.log",
    benchmark:
        "benchmarks/download/{episode}.tsv"
    resources:
        downloads=1,
    conda:
        "../envs/altyazi.yaml"
    script:
        "../scripts/download.py"

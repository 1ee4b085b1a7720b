from altyazi.episodes import report_row_problem


# An invalid row of episodes.tsv: a job that fails with the row's message (it writes only its log),
# so the error shows in Snakemake's summary and --keep-going still runs the valid episodes.
rule invalid_row:
    output:
        "logs/sheet/line{line}.invalid",
    log:
        "logs/sheet/line{line}.log",
    run:
        report_row_problem(ROW_PROBLEMS[wildcards.line], log[0])


rule download:
    input:
        local_source,
    output:
        media=episode_dir("source"),
    log:
        "logs/download/{episode}.log",
    benchmark:
        "benchmarks/download/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    resources:
        downloads=1,
    params:
        source=lambda wc: get_episode(wc).source,
        options=config["download"],
    script:
        "../scripts/download.py"

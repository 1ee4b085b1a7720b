# altyazi: Turkish TV-drama episodes -> French subtitles, one rule per stage.
# Run: snakemake --cores all --resources gpu=1   (see README.md and the Makefile)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/audio.smk"
include: "rules/vad.smk"
include: "rules/asr.smk"
include: "rules/translate.smk"
include: "rules/shots.smk"
include: "rules/subtitles.smk"


rule all:
    default_target: True
    input:
        get_final_output(),

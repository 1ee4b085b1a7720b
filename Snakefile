# altyazi: Turkish TV-drama episodes -> French subtitles, one rule per stage.
# Run: snakemake --cores all --resources gpu=1   (see README.md and the Makefile)
import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

# A YAML syntax error in config.yaml: name the file, line and column (Snakemake's own message names none).
if os.path.isfile("config.yaml"):
    from altyazi.config_check import load_yaml_file
    from altyazi.errors import ConfigError

    try:
        load_yaml_file("config.yaml")
    except ConfigError as err:
        raise WorkflowError(str(err))


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/audio.smk"
include: "rules/vad.smk"
include: "rules/speakers.smk"
include: "rules/asr.smk"
include: "rules/translate.smk"
include: "rules/shots.smk"
include: "rules/subtitles.smk"


rule all:
    default_target: True
    input:
        get_final_output(),


onstart:
    # Before the first sbatch: requests that no node can run stop here with a message,
    # instead of jobs refused by sbatch or pending forever (altyazi/cluster.py).
    if (
        workflow.executor_plugin is not None
        and workflow.executor_plugin.name == "slurm"
    ):
        fit_slurm_requests()

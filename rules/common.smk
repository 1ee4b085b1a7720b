# Validation of config.yaml and episodes.tsv, wildcard constraints, and input/param functions.
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from altyazi.episodes import read_sheet
from altyazi.errors import ConfigError
from altyazi.settings import (
    coerce_config,
    asr_settings,
    validate_config,
    asr_vram_gb,
    translate_settings,
    translate_vram_gb,
)

import yaml as _yaml

# Nested --config overrides arrive as strings; give them the schema's types, then validate.
config.update(
    coerce_config(
        config,
        _yaml.safe_load(
            open(os.path.join(workflow.basedir, "schemas", "config.schema.yaml"))
        ),
    )
)
validate(config, schema="../schemas/config.schema.yaml")
try:  # again with the chain enum from the backend registry (altyazi/asr/registry.py)
    validate_config(config)
except ConfigError as err:
    raise WorkflowError(str(err))
if config["profile"] not in config["profiles"]:
    raise WorkflowError(
        f"config: profile {config['profile']!r} is not one of {sorted(config['profiles'])}"
    )

try:
    SHEET = read_sheet(config["episodes"])
except ConfigError as err:
    raise WorkflowError(str(err))
EPISODES = {ep.episode: ep for ep in SHEET.episodes}
# An invalid row does not stop the valid ones: it becomes a job of rule `invalid_row`
# (rules/download.smk) that fails with the row's message (so --keep-going runs the rest and the run still ends in error).
ROW_PROBLEMS = {str(p.line): p for p in SHEET.problems}
if workflow.is_main_process:  # not again in each job's own process
    for _problem in SHEET.problems:
        print(f"altyazi: skipping {_problem.message}", file=sys.stderr)

RESULTS = config["results"]


wildcard_constraints:
    episode=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    line=r"\d+",


def episode_dir(name):
    """results/{episode}/<name>: every file of an episode lives in its own folder."""
    return os.path.join(RESULTS, "{episode}", name)


def get_episode(wildcards):
    try:
        return EPISODES[wildcards.episode]
    except KeyError:
        raise WorkflowError(
            f"episode {wildcards.episode!r} is not in {config['episodes']}"
        )


def local_source(wildcards):
    """A local source file is an input (so replacing it reruns the episode); URLs have none."""
    ep = get_episode(wildcards)
    return [] if ep.is_url else [ep.source]


SHOTS = config.get("shots", {})


def fetch_video(wildcards):
    """A URL's video stream is downloaded only when shots.enabled is true."""
    ep = get_episode(wildcards)
    wanted = ep.is_url and SHOTS.get("enabled", "auto") is True
    return [episode_dir("video").format(episode=wildcards.episode)] if wanted else []


def get_final_output():
    outputs = []
    for ep in EPISODES:
        outputs.append(os.path.join(RESULTS, ep, f"{ep}.fr.srt"))
        outputs.append(os.path.join(RESULTS, ep, "qc.json"))
    outputs.extend(invalid_row_targets())
    return outputs


def invalid_row_targets():
    """One never-written target per invalid sheet row; its job fails with the row's message."""
    return [f"logs/sheet/line{line}.invalid" for line in ROW_PROBLEMS]

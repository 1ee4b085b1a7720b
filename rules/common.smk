# Validation of config.yaml and episodes.tsv, wildcard constraints, and input/param functions.
import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from altyazi.episodes import load_episodes
from altyazi.errors import ConfigError
from altyazi.settings import asr_settings, asr_vram_gb, translate_settings, translate_vram_gb

validate(config, schema="../schemas/config.schema.yaml")
if config["profile"] not in config["profiles"]:
    raise WorkflowError(f"config: profile {config['profile']!r} is not one of {sorted(config['profiles'])}")

try:
    EPISODES = {ep.episode: ep for ep in load_episodes(config["episodes"])}
except ConfigError as err:
    raise WorkflowError(str(err))

RESULTS = config["results"]


wildcard_constraints:
    episode=r"[A-Za-z0-9][A-Za-z0-9_-]*",


def episode_dir(name):
    """results/{episode}/<name>: every file of an episode lives in its own folder."""
    return os.path.join(RESULTS, "{episode}", name)


def get_episode(wildcards):
    try:
        return EPISODES[wildcards.episode]
    except KeyError:
        raise WorkflowError(f"episode {wildcards.episode!r} is not in {config['episodes']}")


def local_source(wildcards):
    """A local source file is an input (so replacing it reruns the episode); URLs have none."""
    ep = get_episode(wildcards)
    return [] if ep.is_url else [ep.source]


def get_final_output():
    outputs = []
    for ep in EPISODES:
        outputs.append(os.path.join(RESULTS, ep, f"{ep}.fr.srt"))
        outputs.append(os.path.join(RESULTS, ep, "qc.json"))
    return outputs

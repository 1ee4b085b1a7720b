# Validation of config.yaml and episodes.tsv, wildcard constraints, and input/param functions.
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from altyazi.episodes import ID_WILDCARD, read_sheet
from altyazi.errors import ConfigError
from altyazi.settings import (
    coerce_config,
    config_schema,
    asr_settings,
    validate_config,
    asr_vram_gb,
    translate_settings,
    translate_vram_gb,
)

# Nested --config overrides arrive as strings; give them the schema's types, then validate once with
# readable messages (unknown key -> closest valid one, bad choice -> the allowed names; the chain names
# come from the backend registry, altyazi/asr/registry.py). Snakemake's own validate then fills defaults.
_CONFIG_SCHEMA = config_schema()
config.update(coerce_config(config, _CONFIG_SCHEMA))
try:
    validate_config(config, _CONFIG_SCHEMA)
except ConfigError as err:
    raise WorkflowError(str(err))
validate(config, schema="../schemas/config.schema.yaml")
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
    episode=ID_WILDCARD,
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


def audio_stream_choice(wildcards):
    """The audio stream to use: the sheet's audio_stream, else config audio.stream, else None (by speech)."""
    ep = get_episode(wildcards)
    if ep.audio_stream is not None:
        return {
            "stream": ep.audio_stream,
            "by": f"{config['episodes']} column audio_stream",
        }
    return {"stream": config["audio"].get("stream"), "by": "config audio.stream"}


def invalid_row_targets():
    """One never-written target per invalid sheet row; its job fails with the row's message."""
    return [f"logs/sheet/line{line}.invalid" for line in ROW_PROBLEMS]


def _resource_value(spec, name, default=None):
    res = spec.resources.get(name)
    value = getattr(res, "value", res)
    return value if isinstance(value, (int, str)) else default


def fit_slurm_requests():
    """Fit the rules' Slurm requests to the nodes sinfo reports (altyazi/cluster.py); lowers threads or fails."""
    from altyazi.cluster import Request, fit, query_nodes

    requests = []
    for spec in workflow.rules:
        if spec.norun or spec.name in workflow._localrules:
            continue
        threads = min(int(_resource_value(spec, "_cores", 1)), workflow.cores)
        requests.append(
            Request(
                spec.name,
                threads,
                int(_resource_value(spec, "mem_mb", 0)),
                int(_resource_value(spec, "gpu", 0)),
                int(_resource_value(spec, "runtime", 0)),
                str(_resource_value(spec, "slurm_partition", "") or ""),
            )
        )
    try:
        cap, warnings = fit(requests, query_nodes())
    except ConfigError as err:
        raise WorkflowError(str(err))
    for line in warnings:
        print(f"altyazi: {line}", file=sys.stderr)
    if cap is not None:
        # Propagated to every job's own snakemake (--max-threads), so the job runs as many threads as Slurm gives it.
        workflow.resource_settings.max_threads = cap
    for req in requests:
        print(
            f"altyazi: slurm request {req.rule}: {min(req.threads, cap or req.threads)} CPU, "
            f"{req.mem_mb} MB, {req.gpus} GPU, {req.runtime_min} min",
            file=sys.stderr,
        )

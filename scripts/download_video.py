"""Snakemake script: a small video-only stream of a URL episode (shot changes only; shots.enabled: true)."""
from altyazi.download import download_url
from altyazi.stage import run_stage


def main(smk, log):
    opts = smk.params.options
    media = download_url(smk.params.source, smk.output.video, retries=int(opts.get("retries", 3)),
                         fmt=smk.params.video_format, rate_limit=opts.get("rate_limit"), need_audio=False)
    return f"video stream of {smk.params.source} -> {media}"


run_stage("download_video", snakemake, main)  # noqa: F821

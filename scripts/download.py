"""Snakemake script: fetch the episode's media (yt-dlp for URLs, a link for local files)."""
from altyazi.download import fetch_source
from altyazi.stage import run_stage


def main(smk, log):
    opts = smk.params.options
    media = fetch_source(smk.params.source, smk.output.media, retries=int(opts.get("retries", 3)),
                         fmt=opts.get("format", "bestaudio/best"), rate_limit=opts.get("rate_limit"))
    kind = "linked local file" if media.is_symlink() else "downloaded"
    return f"{kind} {smk.params.source} -> {media}"


run_stage("download", snakemake, main)  # noqa: F821 (injected by Snakemake)

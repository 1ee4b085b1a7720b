# Shot changes: the source's video (a local file's own stream, or for a URL a small video-only download when
# shots.enabled is true) -> shots.json; the subtitles stage snaps cue times to them. Audio-only: no cut, said in the file.


rule download_video:
    output:
        video=episode_dir("video"),
    log:
        "logs/download_video/{episode}.log",
    conda:
        "../envs/altyazi.yaml"
    resources:
        downloads=1,
    params:
        source=lambda wc: get_episode(wc).source,
        options=config["download"],
        video_format=SHOTS.get("video_format", "worstvideo/worst"),
    script:
        "../scripts/download_video.py"


rule shots:
    input:
        media=episode_dir("source"),
        video=fetch_video,
    output:
        shots=episode_dir("shots.json"),
    log:
        "logs/shots/{episode}.log",
    benchmark:
        "benchmarks/shots/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    params:
        source=lambda wc: get_episode(wc).source,
        is_url=lambda wc: get_episode(wc).is_url,
        options=SHOTS,
    script:
        "../scripts/shots.py"

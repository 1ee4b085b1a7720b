"""`altyazi`: the console command for those who prefer it to make.

    altyazi run URL_OR_FILE [--asr voxtral-mini] [--profile offline] [--debug]
    altyazi batch list.txt
    altyazi check [--sheet episodes.tsv]
    altyazi doctor [--profile production]       (what this machine can run, and what to fix)
    altyazi calibrate [--clips DIR] [--limit N] (measure the ASR links -> calibration.json)
    altyazi run FILE -- -n          (arguments after -- go to Snakemake)

It only writes episode rows and calls Snakemake: the workflow is the single source of behaviour.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from .asr import registry
from .config_check import load_yaml_file
from .episodes import Request, add_episode, add_episodes, read_sheet
from .errors import AltyaziError
from .resources import workflow_root

ROOT = workflow_root()


def asr_links() -> list[str]:
    """The ASR backends in the registry's order (the default chain's order)."""
    return registry.names()


def config_overrides(profile: str | None = None, asr: str | None = None, extra: list[str] | None = None) -> list[str]:
    """Model options -> Snakemake ``--config`` items (no YAML editing for a one-off run).

    ``asr`` names the first link of the chain: the chain starts there and keeps the later links
    as fallbacks (``voxtral-mini`` -> [voxtral-mini, faster-whisper]).
    """
    items = []
    if profile:
        items.append(f"profile={profile}")
    if asr:
        links = asr_links()
        if asr not in links:
            raise AltyaziError(f"unknown ASR backend {asr!r}", hint=f"Choose one of {', '.join(links)}.")
        items.append("asr={chain: [%s]}" % ", ".join(links[links.index(asr):]))
    items.extend(extra or [])
    return ["--config", *items] if items else []


def snakemake_cmd(targets: list[str], overrides: list[str], cores: str = "all", keep_going: bool = False,
                  extra: list[str] | None = None) -> list[str]:
    # The workflow is found from any working directory; results/ and logs/ go to the current one.
    configfile = Path("config.yaml") if Path("config.yaml").is_file() else ROOT / "config.yaml"
    load_yaml_file(configfile)  # a syntax error: file, line and column now, not Snakemake's "not valid YAML"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(configfile),
           "--cores", cores, "--resources", "gpu=1", "--rerun-incomplete"]
    if keep_going:
        cmd.append("--keep-going")
    return cmd + list(extra or []) + targets + overrides  # --config takes every item after it


def _targets(episodes: list[str], results: str = "results") -> list[str]:
    return [f"{results}/{ep}/{ep}.fr.srt" for ep in episodes]


def _run(cmd: list[str], debug: bool) -> int:
    env = dict(os.environ)
    if debug:
        env["ALTYAZI_DEBUG"] = "1"
    print("+ " + " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd, env=env)


def cmd_run(args) -> int:
    ep = add_episode(args.sheet, args.source, episode=args.episode, title=args.title or "")
    print(f"episode {ep}: {args.source}", file=sys.stderr)
    over = config_overrides(args.profile, args.asr, [f"episodes={args.sheet}"])
    rc = _run(snakemake_cmd(_targets([ep]), over, extra=args.snakemake_args), args.debug)
    if rc == 0:
        print(f"French subtitles: results/{ep}/{ep}.fr.srt")
    return rc


def list_requests(path: str) -> list[Request]:
    """The URLs/paths of a batch list, one a line, as users write them: a BOM (Windows Notepad),
    CRLF, `#` comments, a path in quotes ("Copy as path"), a `file://` URL (a file manager's copy),
    `~/...` (no shell expands it here)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AltyaziError(f"list file {path} not found", hint="Give a text file with one URL or file path a line.") from None
    except UnicodeDecodeError as err:
        raise AltyaziError(f"list file {path} is not UTF-8 text ({err.reason} at byte {err.start})",
                           hint="Save it as UTF-8 text (one URL or path a line).") from None
    requests = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > 1 and line[0] == line[-1] and line[0] in "\"'":
            line = line[1:-1]
        if line.startswith("file://"):
            line = unquote(urlparse(line).path)
        if line.startswith("~"):
            line = os.path.expanduser(line)
        requests.append(Request(line, where=f"{path} line {lineno}"))
    return requests


def cmd_batch(args) -> int:
    """Validate every line first, add the valid ones to the sheet at once, run them; the bad lines are
    reported (again) at the end and make the exit status non-zero, but never stop the others."""
    requests = list_requests(args.file)
    if not requests:
        raise AltyaziError(f"{args.file} lists no URL or path", hint="Put one URL or file path per line.")
    added = add_episodes(args.sheet, requests)
    for _req, message in added.problems:
        print(f"error: {message}", file=sys.stderr)
    episodes = list(dict.fromkeys(ep for ep in added.ids if ep))
    rc = 0
    if episodes:
        over = config_overrides(args.profile, args.asr, [f"episodes={args.sheet}"])
        rc = _run(snakemake_cmd(_targets(episodes), over, keep_going=True, extra=args.snakemake_args), args.debug)
    for ep in episodes:
        srt_path = Path(f"results/{ep}/{ep}.fr.srt")
        print(f"{ep}: {'done ' + str(srt_path) if srt_path.is_file() else 'FAILED (see logs/*/' + ep + '.log)'}")
    for _req, message in added.problems:
        print(f"SKIPPED: {message}")
    if added.problems:
        print(f"{len(added.problems)} of {len(requests)} line(s) of {args.file} skipped: fix them and rerun "
              f"the same command (finished episodes are kept)", file=sys.stderr)
    return rc or (1 if added.problems else 0)


def cmd_check(args) -> int:
    """Validate every row (not just up to the first bad one) and list all problems."""
    sheet = read_sheet(args.sheet)
    for problem in sheet.problems:
        print(f"error: {problem.message}", file=sys.stderr)
    print(f"{args.sheet}: {len(sheet.episodes)} valid episode row(s), {len(sheet.problems)} invalid")
    return 1 if sheet.problems else 0


def load_config(profile: str | None = None) -> dict:
    """config.yaml of the current folder (else the workflow's), with ``--profile`` applied."""
    import yaml

    path = Path("config.yaml") if Path("config.yaml").is_file() else ROOT / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if profile:
        config["profile"] = profile
    from .settings import validate_config

    validate_config(config)
    return config


def cmd_doctor(args) -> int:
    from .doctor import doctor, format_table

    rows, ok = doctor(load_config(args.profile))
    print(format_table(rows))
    return 0 if ok else 1


def cmd_calibrate(args) -> int:
    from .calibrate import calibrate, table

    config = load_config(args.profile)
    clips = args.clips or ROOT / "data" / "demo" / "clips"
    result = calibrate(config, clips, args.out, links=args.links, limit=args.limit, pairs=args.pairs,
                       base_dir=str(ROOT))
    max_wer = float(config.get("asr", {}).get("calibration", {}).get("max_wer", 0.5))
    print(table(result, max_wer))
    print(f"written: {args.out} (set asr.chain: auto to order the chain by it)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="altyazi", description="Turkish TV-drama episodes -> French .srt subtitles, "
                                "fully local (a thin wrapper around the Snakemake workflow).")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--profile", choices=["production", "offline"], help="model profile (config.yaml `profiles`)")
        sp.add_argument("--asr", choices=asr_links(), help="first ASR backend of the fallback chain")
        sp.add_argument("--sheet", default="episodes.tsv", help="episode sheet to add rows to (default episodes.tsv)")
        sp.add_argument("--debug", action="store_true", help="debug-level logs")

    r = sub.add_parser("run", help="subtitle one episode: a URL (YouTube...) or a local media file")
    r.add_argument("source", help="URL or local file path")
    r.add_argument("--episode", help="episode id (default: the video id or file name)")
    r.add_argument("--title", help="title shown in the report")
    common(r)
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("batch", help="subtitle every URL/path listed in FILE (one a line); failures don't stop the rest")
    b.add_argument("file")
    common(b)
    b.set_defaults(func=cmd_batch)
    c = sub.add_parser("check", help="validate the episode sheet")
    c.add_argument("--sheet", default="episodes.tsv")
    c.set_defaults(func=cmd_check)
    d = sub.add_parser("doctor", help="check this machine for the configured profile: GPU, libraries, models, chain")
    d.add_argument("--profile", choices=["production", "offline"])
    d.set_defaults(func=cmd_doctor)
    k = sub.add_parser("calibrate", help="measure WER/CER/RTF of each ASR link on reference clips -> calibration.json")
    k.add_argument("--profile", choices=["production", "offline"])
    k.add_argument("--clips", help="folder of <clip>.wav + transcripts.tsv (default: the bundled demo clips)")
    k.add_argument("--links", nargs="+", choices=asr_links(), help="links to measure (default: the profile's chain)")
    k.add_argument("--limit", type=int, help="first N clips only")
    k.add_argument("--pairs", help="TSV of Turkish-French pairs (columns turkish, french) to score the translator")
    k.add_argument("--out", default="calibration.json")
    k.set_defaults(func=cmd_calibrate)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = build_parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.snakemake_args = extra  # everything after `--` goes to Snakemake as is
    try:
        return args.func(args)
    except AltyaziError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

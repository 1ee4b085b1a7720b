"""`asr.chain: auto`: the profile's ASR links ordered by the WER measured on this machine
(`altyazi calibrate` writes calibration.json), links above ``max_wer`` dropped, every decision
logged with its reason. Without a calibration file the profile's order stands, and that is said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..log import get_logger

log = get_logger("asr")
_said: set[str] = set()   # the workflow evaluates params per job: each note is logged once per process


@dataclass
class AutoChain:
    chain: list[str]
    note: str               # one line: where the order comes from
    dropped: dict[str, str]  # link -> why


def read_calibration(path: str | Path) -> dict | None:
    """The calibration file's content, None when absent; a clear error when it is not ours."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        links = data["asr"]
        for row in links.values():
            if row.get("wer") is not None:
                float(row["wer"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ConfigError(f"{path} is not a calibration file written by `altyazi calibrate` ({err})",
                          hint="Rerun `make calibrate`, or delete the file to use the profile's order.") from None
    return data


def auto_chain(profile_chain: list[str], path: str | Path, max_wer: float) -> AutoChain:
    """Order ``profile_chain`` by measured WER (lowest first); drop links above ``max_wer`` or that
    failed to run in calibration; keep unmeasured links after the measured ones, in profile order."""
    data = read_calibration(path)
    if data is None:
        result = AutoChain(list(profile_chain), f"asr.chain is auto but {path} does not exist: using the "
                                                f"profile's order {profile_chain} (run `make calibrate` to measure)", {})
        _say(result)
        return result
    rows = data["asr"]
    measured, unmeasured, dropped = [], [], {}
    for name in profile_chain:
        row = rows.get(name)
        if row is None:
            unmeasured.append(name)
        elif row.get("wer") is None:
            dropped[name] = f"did not run in calibration ({row.get('error') or 'no result'})"
        elif float(row["wer"]) > max_wer:
            dropped[name] = f"WER {float(row['wer']):.3f} > max_wer {max_wer} on {row.get('clips', '?')} calibration clip(s)"
        else:
            measured.append((float(row["wer"]), name))
    chain = [n for _, n in sorted(measured)] + unmeasured
    if not chain:  # dropping everything would leave no transcript at all: keep the best one, loudly
        best = min(((float(r["wer"]), n) for n, r in rows.items() if n in profile_chain and r.get("wer") is not None),
                   default=None)
        if best is None:
            raise ConfigError(f"asr.chain is auto but no link of {profile_chain} ran in {path}",
                              hint="Fix the models (`altyazi doctor`), rerun `make calibrate`, or set asr.chain.")
        chain = [best[1]]
        dropped.pop(best[1], None)
        log.warning("every link is above max_wer %s: keeping the best, %s (WER %.3f)", max_wer, best[1], best[0])
    order = ", ".join(f"{n} (WER {float(rows[n]['wer']):.3f})" if n in rows else f"{n} (not measured)" for n in chain)
    result = AutoChain(chain, f"asr.chain auto from {path} ({data.get('created', '?')}): {order}", dropped)
    _say(result)
    return result


def _say(result: AutoChain) -> None:
    key = result.note + repr(sorted(result.dropped.items()))
    if key in _said:
        return
    _said.add(key)
    log.info("%s", result.note)
    for name, why in result.dropped.items():
        log.warning("asr.chain auto drops %s: %s", name, why)

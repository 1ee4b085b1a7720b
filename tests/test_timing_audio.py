"""Cue timing against the audio (issue 14): unpadded VAD boundaries, speech runs sharpened on the
waveform, word times moved onto them, timing QC against the audio, shot changes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from altyazi.errors import MediaError
from altyazi.records import Cue, Segment, Word
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.onsets import SpeechRuns, align_to_audio, load_speech_runs
from altyazi.subtitles.rules import SubtitleRules
from altyazi.subtitles.shotsnap import near_crossings, snap_to_shots
from altyazi.subtitles.timingqc import offset_error, onset_error, timing_qc

RULES = SubtitleRules()
SR = 16000


def seg(i, start, end, words, speech=None, text=None):
    ws = [Word(a, b, w) for a, b, w in words]
    s = Segment(i, start, end, text or " ".join(w.word for w in ws), ws)
    s.translation = "Une phrase française assez longue pour être lue."
    if speech:
        s.speech_start, s.speech_end = speech
    return s


# --- VAD: pieces unchanged, unpadded boundaries, runs on known onsets -------------------------------

def test_pieces_are_silero_padded_ones_with_unpadded_boundaries_inside(shared_clips):
    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    from altyazi.audio import load_wav
    from altyazi.vad import VadOptions, detect

    audio = np.concatenate([np.zeros(SR * 2, np.float32), load_wav(shared_clips / "1-0500-3.wav"), np.zeros(SR, np.float32)])
    opts = VadOptions(max_segment_s=4.0)
    pieces, runs = detect(audio, opts)
    old = get_speech_timestamps(torch.from_numpy(audio), load_silero_vad(onnx=True), threshold=opts.threshold,
                                min_speech_duration_ms=opts.min_speech_ms, min_silence_duration_ms=opts.min_silence_ms,
                                speech_pad_ms=opts.speech_pad_ms, max_speech_duration_s=opts.max_segment_s)
    # the ASR hears exactly what it heard before speech_start/speech_end existed
    assert [(round(o["start"] / SR, 3), round(o["end"] / SR, 3)) for o in old] == [(p.start, p.end) for p in pieces]
    for p in pieces:
        assert p.start <= p.speech_start < p.speech_end <= p.end
    assert pieces[0].speech_start - pieces[0].start == pytest.approx(0.4, abs=0.001)  # the padding, kept apart
    assert len(runs) >= len(pieces)  # finer: pauses of 100 ms split runs
    assert all(a[1] <= b[0] for a, b in zip(runs, runs[1:]))


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng not installed")
def test_speech_runs_find_known_onsets_within_a_frame(shared_clips, tmp_path):
    """espeak-ng lines (onset = first sample above 1 % full scale) after a real clip, music and noise."""
    from altyazi.audio import load_wav
    from altyazi.onsets import sharpen_runs
    from altyazi.vad import VadOptions, detect
    from tools.samples import build_episode

    layout = [("silence", 1.0), ("clip", "1-0013"), ("silence", 0.4), ("tts", "Kapıyı kim açtı?"), ("silence", 0.8),
              ("music", 3.0), ("silence", 0.2), ("tts", "Annem seni çok merak ediyor."), ("silence", 0.6),
              ("noise", 2.0), ("tts", "Hayır, bunu yapamam."), ("silence", 1.0)]
    parts = build_episode(layout, shared_clips, tmp_path / "e.wav")
    audio = load_wav(tmp_path / "e.wav")
    _, runs = detect(audio, VadOptions())
    sharp = sharpen_runs(audio, runs)
    for p in (p for p in parts if p.kind == "tts"):
        mine = [r for r in sharp if r["end"] > p.start and r["start"] < p.end]
        assert mine, p
        assert -0.04 <= mine[0]["start"] - p.start <= 0.08, (p, mine[0])  # 1 frame early .. 2 late (25 fps)
        assert abs(mine[-1]["end"] - p.end) <= 0.08, (p, mine[-1])


def test_energy_onset_on_a_tone_after_noise():
    from altyazi.onsets import sharpen_runs

    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.003, SR * 3).astype(np.float32)
    on, off = int(1.237 * SR), int(2.111 * SR)
    audio[on:off] += 0.2 * np.sin(2 * np.pi * 220 * np.arange(off - on) / SR).astype(np.float32)
    (r,) = sharpen_runs(audio, [(1.28, 2.08)])  # silero-like boundaries, 43 ms late / 31 ms early
    assert r["refined"] == "both"
    assert abs(r["start"] - 1.237) <= 0.015 and abs(r["end"] - 2.111) <= 0.015  # 10 ms hop, 20 ms frames


# --- word times onto the audio ------------------------------------------------------------------------

def test_word_clamped_into_the_padding_moves_to_the_onset_and_end_to_the_offset():
    speech = SpeechRuns([(10.4, 11.0), (11.15, 12.3)], "test")
    s = seg(0, 10.0, 12.7, [(10.0, 10.6, "Kapıyı"), (10.62, 10.98, "kim"), (11.3, 12.7, "açtı?")])
    (out,), stats = align_to_audio([s], speech)
    a, b, c = out.words
    assert a.start == 10.4              # was in the padding (silence): the run's onset
    assert b.start == 10.62             # inside continuous speech: the ASR's time
    assert b.end == 11.0                # followed by a pause: the run's offset, 20 ms on
    assert c.start == 11.15             # after a pause, 0.15 s into its run: back to the run's onset
    assert c.end == 12.3                # ran into the end padding: the run's offset
    assert s.words[0].start == 10.0     # the input records are not changed
    assert stats["starts_moved"] == 2 and stats["ends_moved"] == 2


def test_word_wholly_in_the_padding_and_a_last_word_ended_early():
    """The demo's cases: Whisper put a short first word entirely in the 0.4 s padding (52.34-52.70,
    speech from 52.74), and ended a piece's last word 0.6 s before the speech stops."""
    speech = SpeechRuns([(52.736, 53.795), (15.52, 17.325)], "test")
    a = seg(0, 52.336, 54.2, [(52.336, 52.7, "Ne"), (52.75, 53.6, "oldu?")])
    b = seg(1, 15.12, 17.7, [(15.52, 16.0, "Bir"), (16.05, 16.712, "iki")])
    (ob, oa), _ = align_to_audio([b, a], speech)  # in time order, as segments are
    assert (oa.words[0].start, oa.words[0].end) == (52.736, 52.736)
    assert oa.timed_words()[1].start == 52.75 and oa.words[-1].end == 53.795
    assert ob.words[-1].end == 17.325


def test_continuous_speech_and_far_boundaries_keep_the_asr_times():
    speech = SpeechRuns([(5.0, 9.0)], "test")
    s = seg(0, 4.6, 9.4, [(5.0, 6.0, "bir"), (6.5, 7.0, "iki")])  # "iki" after a 0.5 s ASR gap, same run
    (out,), _ = align_to_audio([s], speech)
    assert out.words[1].start == 6.5  # the run's onset belongs to "bir": continuous speech
    far = seg(1, 20.0, 22.0, [(20.0, 20.5, "üç")])
    (out,), stats = align_to_audio([far], SpeechRuns([(21.0, 21.5)], "test"))  # 1 s away, after the word: not its onset
    assert out.words[0].start == 20.0 and stats["starts_kept"] == 1


def test_cue_starts_on_the_audio_onset_not_on_the_padded_word():
    segs = [seg(0, 1.6, 4.4, [(1.6, 2.4, "Bu"), (2.45, 4.4, "akşam")], speech=(2.0, 4.0))]
    asr = build_subtitles(segs, {"timing_reference": "asr"})
    audio = build_subtitles(segs, {}, SpeechRuns([(2.0, 4.0)], "test"))
    assert asr.cues[0].start == 1.6                      # the previous behaviour: 10 frames early
    assert audio.cues[0].start == 2.0 and audio.cues[0].speech_end == 4.0
    assert audio.qc["timing"]["onset_error_frames"]["p50"] == 0.0
    assert asr.qc["timing"]["reference"] == "none"


def test_speech_runs_fall_back_to_unpadded_segment_boundaries(caplog, tmp_path):
    s = [seg(0, 1.6, 4.4, [(1.6, 4.4, "Bu")], speech=(2.0, 4.0))]
    runs = load_speech_runs(None, s)
    assert runs.source == "segments" and runs.runs == [(2.0, 4.0)]
    assert not load_speech_runs(None, [seg(0, 1.6, 4.4, [(1.6, 4.4, "Bu")])])
    assert "rerun the vad stage" in caplog.text


# --- QC against the audio -----------------------------------------------------------------------------

def test_onset_and_offset_errors_are_signed_against_the_runs():
    speech = SpeechRuns([(10.0, 12.0), (20.0, 25.0)], "test")
    assert onset_error(9.6, speech) == ("measured", pytest.approx(-0.4))   # in silence before: early
    assert onset_error(10.08, speech) == ("measured", pytest.approx(0.08))  # inside, just after: late
    assert onset_error(22.0, speech)[0] == "inside_speech"                # a cue split in continuous speech
    assert onset_error(15.0, speech)[0] == "no_speech_near"
    assert offset_error(12.4, speech) == ("measured", pytest.approx(0.4))
    assert offset_error(11.9, speech) == ("measured", pytest.approx(-0.1))


def test_timing_qc_counts_early_and_late_cues():
    speech = SpeechRuns([(10.0, 12.0), (14.0, 16.0), (18.0, 19.5)], "test")
    cues = [Cue([Word(10, 12, "a")], ["a"], [0], start=9.6, end=12.2, text="a"),
            Cue([Word(14, 16, "b")], ["b"], [1], start=14.2, end=16.0, text="b"),
            Cue([Word(18, 19.5, "c")], ["c"], [2], start=18.04, end=20.4, text="c")]
    t = timing_qc(cues, speech, None, RULES)
    assert t["onset_errors"] == [-10.0, 5.0, 1.0]
    assert t["early_starts"]["count"] == 1 and t["late_starts"]["count"] == 1
    assert t["late_ends"]["count"] == 1 and t["onset_error_frames"]["p90_abs"] == 10.0


# --- shot changes -------------------------------------------------------------------------------------

def timed(start, end, speech, text="Une phrase de test."):
    c = Cue([Word(speech[0], speech[1], "x")], text.split(), [0], start=start, end=end, text=text)
    return c


@pytest.mark.parametrize("cut, expected", [(9.8, 9.8), (10.0, 10.0), (10.16, 10.16), (10.4, 9.92), (11.0, 10.0)])
def test_in_time_snaps_to_a_cut_near_the_onset(cut, expected):
    (c,) = snap_to_shots([timed(10.0, 12.5, (10.0, 12.0))], [cut], RULES)
    assert c.start == pytest.approx(expected)
    assert ("shot_change" in c.flags) == (expected != 10.0)


def test_out_time_goes_two_frames_before_a_cut_or_past_it_when_speech_crosses():
    (c,) = snap_to_shots([timed(10.0, 12.4, (10.0, 12.0))], [12.2], RULES)
    assert c.end == pytest.approx(12.12) and "shot_change" in c.flags and not near_crossings(c, [12.2], RULES)
    (c,) = snap_to_shots([timed(10.0, 12.2, (10.0, 12.1))], [11.92], RULES)  # speech runs over the cut
    assert c.end == pytest.approx(12.4) and not near_crossings(c, [11.92], RULES)
    a, b = snap_to_shots([timed(10.0, 12.4, (10.0, 12.0)), timed(12.48, 14.0, (12.5, 14.0))], [12.2], RULES)
    assert b.start == pytest.approx(12.2) and a.end <= b.start - RULES.min_gap_s + 1e-6  # gap kept


def test_cut_inside_the_reading_extension_ends_the_cue_before_it():
    (c,) = snap_to_shots([timed(10.0, 13.5, (10.0, 11.0), "Court.")], [11.6], RULES)
    assert c.end == pytest.approx(11.52)
    (c,) = snap_to_shots([timed(10.0, 13.5, (10.0, 11.0), "Une phrase bien trop longue pour être lue en une seconde et demie.")],
                         [11.6], RULES)
    assert c.end == 13.5  # it could not be read: it keeps its time (the crossing is far from both ends)


def make_video(path: Path, colours_s: list[tuple[str, float]], audio: bool = True) -> None:
    inputs, chains = [], []
    for k, (colour, dur) in enumerate(colours_s):
        inputs += ["-f", "lavfi", "-i", f"color={colour}:s=96x64:r=25:d={dur}"]
        chains.append(f"[{k}:v]")
    total = sum(d for _, d in colours_s)
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=300:duration={total}"]
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, "-filter_complex",
           "".join(chains) + f"concat=n={len(colours_s)}:v=1:a=0[v]", "-map", "[v]"]
    if audio:
        cmd += ["-map", f"{len(colours_s)}:a"]
    subprocess.run([*cmd, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)


def test_shot_changes_found_on_their_frames(tmp_path):
    from altyazi.shots import ShotOptions, shots_record

    make_video(tmp_path / "v.mp4", [("red", 2.0), ("blue", 1.48), ("green", 3.0), ("white", 0.6)])
    rec = shots_record(str(tmp_path / "v.mp4"), False, tmp_path / "v.mp4", ShotOptions())
    assert rec["enabled"] and rec["fps"] == 25.0
    assert [round(t * 25) for t in rec["cuts"]] == [50, 87, 162]  # 2.0 s, 3.48 s, 6.48 s


def test_no_video_means_no_cut_with_the_reason(tmp_path):
    from altyazi.audio import write_wav
    from altyazi.shots import ShotOptions, shots_record

    write_wav(tmp_path / "a.wav", np.zeros(SR, np.float32))
    rec = shots_record("a.wav", False, tmp_path / "a.wav", ShotOptions())
    assert rec["cuts"] == [] and not rec["enabled"] and "no video stream" in rec["reason"]
    with pytest.raises(MediaError, match="no video stream"):
        shots_record("a.wav", False, tmp_path / "a.wav", ShotOptions(enabled=True))
    url = shots_record("https://example.org/v", True, None, ShotOptions())
    assert not url["enabled"] and "enabled: true" in url["reason"]
    assert not shots_record("x", False, tmp_path / "a.wav", ShotOptions(enabled=False))["enabled"]


def test_cues_do_not_cross_a_cut_near_their_ends_on_a_synthetic_video():
    """Speech onsets and cuts at known frames: after snapping no cue crosses a cut within 12 frames of an end."""
    rng = np.random.default_rng(3)
    segs, runs, cuts, t = [], [], [], 1.0
    for i in range(30):
        dur = float(rng.uniform(1.0, 3.0))
        runs.append((round(t, 2), round(t + dur, 2)))
        segs.append(seg(i, max(0.0, t - 0.4), t + dur + 0.4, [(t - 0.4, t + dur / 2, "bir"), (t + dur / 2 + 0.05, t + dur + 0.3, "iki")],
                        speech=runs[-1]))
        segs[-1].translation = ("Je reviens ce soir.", "Qui a ouvert la porte ?", "Tout va s'arranger, tu verras.")[i % 3]
        for k in (round(t * 25) + int(rng.choice([-10, -5, 3, 6, 9, 14])), round((t + dur) * 25) + int(rng.choice([-8, -3, 4, 8]))):
            if not cuts or k / 25 - cuts[-1] >= 1.0:  # shots of at least a second
                cuts.append(k / 25)
        t += dur + float(rng.uniform(0.5, 1.5))
    result = build_subtitles(segs, {}, SpeechRuns(runs, "test"), cuts)
    shots = result.qc["timing"]["shots"]
    assert shots["cuts"] == len(cuts) > 40 and shots["cues_moved_to_shot_change"] > 10
    assert shots["cues_crossing_near_unflagged"] == 0
    crossing = [c for c in result.cues if near_crossings(c, cuts, result.rules)]
    assert all("crosses_shot" in c.flags for c in crossing)
    assert len(crossing) <= 1, [  # 83.0-85.0: on the cut 6 frames in, too little time left to read it
        (c.start, c.end, c.speech_start, c.speech_end, [x for x in cuts if c.start < x < c.end]) for c in crossing]
    assert all(b.start - a.end >= result.rules.min_gap_s - 1e-6 for a, b in zip(result.cues, result.cues[1:]))
    bad = {k: v for k, v in result.qc["checks"].items() if v["unflagged"]}
    assert result.qc["unflagged_violations"] == 0, bad


def test_onset_histogram_is_drawn(tmp_path):
    from altyazi.subtitles.plots import plot_onsets

    timing = {"reference": "speech.json", "onset_errors": [-1.0, 0.0, 0.5, 2.0, None], "offset_errors": [3.0, 12.0],
              "onset_error_frames": {"p50": 0.25, "p90_abs": 2.0}, "offset_error_frames": {"p50": 7.5, "p90_abs": 12.0}}
    plot_onsets(timing, RULES, str(tmp_path / "o.png"))
    assert (tmp_path / "o.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("enabled, downloads_video", [("auto", False), ("true", True), ("false", False)])
def test_url_episode_downloads_a_video_stream_only_when_shots_are_on(tmp_path, enabled, downloads_video):
    from conftest import run_workflow, write_sheet

    write_sheet(tmp_path / "episodes.tsv", [("ep1", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")])
    proc = run_workflow(tmp_path, "-n", config=[f"shots={{enabled: {enabled}}}"], timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert re.search(r"^shots\s+1$", proc.stdout, re.M)
    assert bool(re.search(r"^download_video\s+1$", proc.stdout, re.M)) == downloads_video

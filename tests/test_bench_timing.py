"""The timing benchmark's helpers (no models, no timing assertions): layout, cuts, scoring, video."""

from __future__ import annotations

import pytest

from tools import bench_timing as bt


def truth():
    parts = [{"kind": "silence", "start": 0.0, "end": 1.0}, {"kind": "clip", "start": 1.0, "end": 4.0},
             {"kind": "silence", "start": 4.0, "end": 4.3}, {"kind": "tts", "start": 4.3, "end": 6.0},
             {"kind": "music", "start": 6.0, "end": 10.0}, {"kind": "tts", "start": 10.0, "end": 11.5}]
    return {"parts": parts, "duration": 12.0}


def test_layout_has_each_line_after_a_clip_music_and_noise():
    layout = bt.timing_layout(["b", "a"], ["x", "y"])
    assert layout == bt.timing_layout(["a", "b"], ["x", "y"])  # deterministic
    kinds = [k for k, *_ in layout]
    assert sum(k == "tts" for k in kinds) == 6
    follows = {kinds[i - 2] if kinds[i - 1] == "silence" else kinds[i - 1] for i, k in enumerate(kinds) if k == "tts"}
    assert follows == {"clip", "music", "noise"}


def test_score_signs_and_counts():
    cues = [{"start": 1.1, "end": 3.9, "text": "clip", "flags": []},
            {"start": 4.0, "end": 6.1, "text": "early by 0.3 s", "flags": []},       # -7.5 frames
            {"start": 10.04, "end": 12.2, "text": "late 1 frame", "flags": []},      # end 0.7 s after speech
            {"start": 7.0, "end": 8.0, "text": "in the music", "flags": []}]
    s = bt.score(cues, truth(), cut_s=[5.0, 11.8])
    assert s["onset_frames"]["min"] == pytest.approx(-7.5) and s["onset_frames"]["max"] == pytest.approx(1.0)
    assert s["early_over_3f"] == 1 and s["late_over_3f"] == 0
    assert s["end_over_0_5s_unflagged"] == 1 and s["stray_cues"] == 1 and s["lines_lost"] == 0
    assert s["cues_crossing_cut"] == 2 and s["cues_crossing_cut_near_ends"] == 1  # 5.0 is 1 s from both ends of 4.0-6.1
    cues[2]["flags"] = ["extended"]
    assert bt.score(cues, truth())["end_over_0_5s_unflagged"] == 0
    assert bt.score(cues[:1], truth())["lines_lost"] == 2


def test_cuts_sit_near_the_known_lines():
    frames = bt.cut_frames(truth()["parts"], 12.0)
    assert frames == sorted(set(frames))
    assert round(4.3 * 25) - 10 in frames  # first line: 10 frames before its onset (ONSET_CUTS[0])
    assert round(8.0 * 25) in frames       # middle of the music


def test_video_cuts_are_on_their_frames(tmp_path):
    import numpy as np

    from altyazi.audio import write_wav
    from altyazi.shots import detect_cuts

    write_wav(tmp_path / "a.wav", np.zeros(16000 * 4, np.float32))
    bt.make_video(tmp_path / "a.wav", [13, 40, 52, 77], 4.0, tmp_path / "v.mp4")
    assert [round(t * 25) for t in detect_cuts(tmp_path / "v.mp4")] == [13, 40, 52, 77]


def test_lost_means_not_on_screen_and_a_speechless_clip_is_no_line():
    parts = [{"kind": "clip", "start": 0.0, "end": 4.0, "text": "önce"},
             {"kind": "tts", "start": 4.3, "end": 6.0, "text": "Bu akşam eve geç geleceğim."},
             {"kind": "clip", "start": 7.0, "end": 20.0, "text": ""},   # a scenery shot under music
             {"kind": "tts", "start": 21.0, "end": 22.3, "text": "Kapıyı kim açtı?"}]
    truth_ = {"parts": parts, "duration": 24.0}
    merged = {"start": 0.5, "end": 6.0, "text": "önce\nBu akşam...", "flags": []}   # mostly the clip's
    over_music = {"start": 10.0, "end": 11.0, "text": "Altyazı", "flags": []}
    after = {"start": 22.4, "end": 23.0, "text": "Bu", "flags": []}                # after the line ended
    s = bt.score([merged, over_music, after], truth_)
    assert s["lines_lost"] == 1 and s["clips_lost"] == 0 and s["stray_cues"] == 2  # music; after the line
    s = bt.score([merged, {**after, "start": 21.4}], truth_)                        # on for 0.9 of 1.3 s
    assert s["lines_lost"] == 0
    s = bt.score([{**merged, "end": 4.5}], truth_)                                  # the line shown 0.2 s
    assert s["lines_lost"] == 2

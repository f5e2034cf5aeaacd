"""Qt-free rules: liveness from frame counters, nearest cameras, online rates, camera records."""
from __future__ import annotations

import math

import pytest

from layers.camera_health import online_rates
from video.camera import Camera, camera_for_source, distance_m, nearest_cameras
from video.liveness import LivenessMeter


def feed(meter: LivenessMeter, start: float, seconds: float, fps: float, step: float = 0.25, first: int = 0):
    """Sample a counter rising at `fps` every `step` s; returns (end time, last count)."""
    t, count = start, first
    while t < start + seconds - 1e-9:
        t += step
        count = first + int(round((t - start) * fps))
        meter.sample(t, count)
    return t, count


def test_live_only_while_the_counter_rises():
    meter = LivenessMeter()
    meter.restart(0.0)
    assert not meter.is_live(0.0) and meter.last_frame_age(0.0) is None and meter.fps(0.0) == 0.0
    t, count = feed(meter, 0.0, 4.0, fps=25)
    assert meter.is_live(t)
    assert meter.fps(t) == pytest.approx(25, abs=0.5)
    assert meter.last_frame_age(t) == 0.0
    # Frozen: the player may still say "playing", the counter does not move.
    for step in range(1, 9):
        meter.sample(t + step * 0.25, count)
    assert meter.last_frame_age(t + 2.0) == pytest.approx(2.0)
    assert meter.is_live(t + 2.0)
    assert not meter.is_live(t + 2.01) and meter.fps(t + 2.01) == 0.0


def test_a_reconnection_is_not_live_until_it_shows_a_frame():
    meter = LivenessMeter()
    meter.restart(0.0)
    t, _ = feed(meter, 0.0, 2.0, fps=25)
    meter.restart(t)  # reconnecting: the counter starts again at 0
    meter.sample(t + 0.25, 0)
    assert not meter.is_live(t + 0.25)
    assert meter.last_frame_age(t + 0.25) == pytest.approx(0.25), "the age of the camera's last frame goes on"
    meter.sample(t + 0.5, 3)
    assert meter.is_live(t + 0.5)


def test_frame_rate_counts_from_the_first_frame_not_from_the_connection_attempt():
    meter = LivenessMeter()
    meter.restart(0.0)
    meter.sample(0.5, 0)
    meter.sample(1.0, 0)
    meter.sample(1.25, 6)
    assert meter.is_live(1.25) and meter.fps(1.25) is None, "one sample of frames gives no rate yet"
    t, _ = feed(meter, 1.25, 1.0, fps=25, first=6)
    assert meter.fps(t) == pytest.approx(25, abs=1)


def test_distance_and_nearest_cameras():
    assert distance_m(116.0, 40.0, 116.0, 40.0) == 0.0
    assert distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195, rel=1e-3)
    cameras = [Camera("far", "Far", "u", 116.50, 39.90), Camera("near", "Near", "u", 116.401, 39.90),
               Camera("b-tie", "Tie B", "u", 116.40, 39.91), Camera("a-tie", "Tie A", "u", 116.40, 39.89),
               Camera("nowhere", "No position", "u")]
    ranked = nearest_cameras(cameras, 116.40, 39.90, 3)
    assert [c.camera_id for c in ranked] == ["near", "a-tie", "b-tie"]
    assert nearest_cameras(cameras, 116.40, 39.90, 0) == []
    assert len(nearest_cameras(cameras, 116.40, 39.90, 99)) == 4


def test_online_rates_overall_and_per_cell():
    rates = online_rates([("G1", "online"), ("G1", "offline"), ("G2", "online"), (None, "offline")])
    assert (rates.online, rates.observed, rates.total) == (2, 4, 4)
    assert rates.overall == 0.5
    assert rates.by_cell == {"G1": 0.5, "G2": 1.0}
    empty = online_rates([])
    assert empty.overall is None and empty.by_cell == {}


def test_camera_records_round_trip_and_sources():
    camera = Camera("c1", "Gate", "http://h/c1", 116.4, 39.9, "G7", online=False)
    assert Camera.from_dict(camera.to_dict()) == camera
    assert Camera.from_dict({"camera_id": 7, "stream_url": "rtsp://h/7", "lon": math.nan}) == Camera(
        "7", "7", "rtsp://h/7")
    url = "rtsp://10.0.0.5:554/main"
    assert camera_for_source(url, 0) == Camera("source-1", "main", url)
    local = camera_for_source("clips/gate.ts", 2)
    assert local.camera_id == "source-3" and local.stream_url.startswith("file:///") and local.name == "gate.ts"

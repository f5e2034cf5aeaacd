"""An arrow key's pan glides: the whole step over GLIDE_S in small frames; a held key keeps a steady speed."""
from __future__ import annotations

import pytest

from map.glide import GLIDE_S, Glide

FRAME_S = 1 / 60
STEP = 0.2


def run(glide: Glide, start: float, until: float) -> list[tuple[float, float]]:
    moves, now = [], start
    while now < until:
        now += FRAME_S
        moves.append(glide.step(now))
    return moves


def test_a_key_step_glides_in_even_frames_and_ends_on_time():
    glide = Glide()
    glide.push(STEP, 0.0, now=10.0)
    moves = run(glide, 10.0, 10.0 + GLIDE_S)
    assert not glide.active
    assert sum(fx for fx, _ in moves) == pytest.approx(STEP) and all(fy == 0 for _, fy in moves)
    per_frame = STEP * FRAME_S / GLIDE_S
    assert len(moves) >= 8 and all(fx <= per_frame * 1.01 for fx, _ in moves)


def test_a_held_key_pans_at_one_step_per_glide_and_stops_soon_after_release():
    glide, now, moved = Glide(), 0.0, 0.0
    for _ in range(30):  # a key's repeats, 30 a second, for a second
        glide.push(STEP, 0.0, now)
        for fx, _ in run(glide, now, now + 1 / 30):
            moved += fx
        now += 1 / 30
        assert glide.fx <= STEP
    assert moved == pytest.approx(STEP / GLIDE_S, rel=0.15)  # a step per GLIDE_S, not a step per repeat
    tail = sum(fx for fx, _ in run(glide, now, now + GLIDE_S))
    assert not glide.active and tail <= STEP


def test_keys_on_both_axes_glide_diagonally():
    glide = Glide()
    glide.push(STEP, 0.0, now=0.0)
    first = glide.step(0.05)
    glide.push(0.0, -STEP, now=0.05)
    moves = run(glide, 0.05, 0.05 + GLIDE_S)
    assert first[0] + sum(fx for fx, _ in moves) == pytest.approx(STEP)
    assert sum(fy for _, fy in moves) == pytest.approx(-STEP)
    assert all(fx > 0 and fy < 0 for fx, fy in moves)


def test_stop_drops_what_is_left():
    glide = Glide()
    glide.push(STEP, STEP, now=0.0)
    glide.stop()
    assert not glide.active and glide.step(0.1) == (0.0, 0.0)

"""The replay clock's loop and quiet-skip settings, as the transport controls rely on them."""
from __future__ import annotations

import pytest

from console.clock import ReplayClock


@pytest.fixture
def clock(qapp):
    return ReplayClock(1000.0, 5000.0)


def test_a_loop_set_while_the_time_is_outside_it_takes_the_time_to_its_start(clock):
    clock.seek(4500.0)
    clock.set_loop((2000.0, 3000.0))
    assert clock.loop == (2000.0, 3000.0) and clock.now() == 2000.0


def test_a_loop_set_around_the_time_leaves_the_time_where_it_is(clock):
    clock.seek(2500.0)
    clock.set_loop((3000.0, 2000.0))  # either order
    assert clock.loop == (2000.0, 3000.0) and clock.now() == 2500.0


def test_a_loop_with_no_time_inside_the_replay_is_refused_and_the_old_loop_stays(clock):
    clock.set_loop((2000.0, 3000.0))
    with pytest.raises(ValueError, match="inside the replay"):
        clock.set_loop((6000.0, 7000.0))
    assert clock.loop == (2000.0, 3000.0)


def test_turning_quiet_skipping_on_and_off_is_announced(clock):
    heard = []
    clock.skipQuietChanged.connect(heard.append)
    clock.set_skip_quiet(True)
    clock.set_skip_quiet(False)
    assert heard == [True, False] and clock.skip_quiet is False

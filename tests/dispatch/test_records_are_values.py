"""Records are values (dispatch/reducer.py): folding a copy of a state never changes the state copied, so
states may share records (replay's keyframes do)."""
from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.reducer import apply, copy_state
from support.commands import initial, judged, steps


@settings(max_examples=200, deadline=None)
@given(steps_=steps, copied_at=st.integers(0, 120))
def test_folding_a_copy_never_changes_a_record_of_the_state_it_was_copied_from(steps_, copied_at):
    batches = [events for _, events in judged(steps_, initial())]
    original = initial()
    for events in batches[:copied_at]:
        for event in events:
            apply(original, event)
    before = copy.deepcopy(original)
    records = {(name, key): record for name, collection in original.items() for key, record in collection.items()}
    folded = copy_state(original)
    for events in batches[copied_at:]:
        for event in events:
            apply(folded, event)
    assert original == before
    for (name, key), record in records.items():
        assert original[name][key] is record and record == before[name][key], (name, key)
    # and the fold did change something whenever there was something left to fold
    if any(batches[copied_at:]):
        assert folded != before

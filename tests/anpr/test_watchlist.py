"""The watchlist matcher (anpr/watchlist.py): exact hits, every look-alike pair, one and two substitutions
within the setting's limit, wildcards for one character each, validity at the read's time, reads in any case
and spacing, a read matching nothing; and the index gives the same hits as a plain reference matcher."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from anpr.plates import normalise
from anpr.watchlist import EXACT, LOOKALIKE, WILDCARD_MATCH, Entry, Watchlist

# What readers confuse, written out here rather than read from the module, so the module's table is checked.
LOOKALIKE_PAIRS = [(a, b) for group in ("0ODQ", "1I", "2Z", "5S", "8B", "6G") for a in group for b in group if a != b]


def entry(entry_id, pattern, category="stolen", **validity):
    return Entry(entry_id, pattern, category, "reported stolen 2026-11-30", "sup.li", **validity)


def hits_of(watchlist, read, at=1_000.0):
    return [(hit.entry.entry_id, hit.kind, hit.positions, hit.substitutions) for hit in watchlist.match(read, at)]


def test_there_are_22_ordered_look_alike_pairs():
    assert len(LOOKALIKE_PAIRS) == 12 + 2 * 5


@pytest.mark.parametrize("listed, read", LOOKALIKE_PAIRS)
def test_each_look_alike_pair_matches_with_one_substitution_at_its_position(listed, read):
    watchlist = Watchlist([entry("E1", f"粤S12{listed}45")])
    assert hits_of(watchlist, f"粤S12{read}45") == [("E1", LOOKALIKE, (4,), 1)]


@pytest.mark.parametrize("listed, read", [("3", "8"), ("A", "4"), ("7", "1"), ("C", "G"), ("B", "6")])
def test_characters_that_are_not_look_alikes_do_not_match(listed, read):
    assert hits_of(Watchlist([entry("E1", f"粤S12{listed}45")]), f"粤S12{read}45") == []


TABLE = [  # entries, read, max substitutions, hits (id, kind, positions, substitutions)
    ([("E1", "粤S·12345")], "粤S12345", 1, [("E1", EXACT, (), 0)]),
    ([("E1", "粤S·12345")], "粤s 123 45", 1, [("E1", EXACT, (), 0)]),          # lower case and spaces
    ([("E1", "粤S·12345")], " 粤 s·1 2 3 4 5 ", 1, [("E1", EXACT, (), 0)]),
    ([("E1", "粤S·12345")], "粤SI2345", 1, [("E1", LOOKALIKE, (2,), 1)]),
    ([("E1", "粤S·12345")], "粤5I2345", 1, []),                                 # two: over the default limit
    ([("E1", "粤S·12345")], "粤5I2345", 2, [("E1", LOOKALIKE, (1, 2), 2)]),
    ([("E1", "粤S·12345")], "粤5IZ345", 2, []),                                 # three: over the most allowed
    ([("E1", "粤S·12345")], "粤SI2345", 0, []),                                 # exact only
    ([("E1", "粤S·12345")], "粤S12345", 0, [("E1", EXACT, (), 0)]),
    ([("E1", "粤S·12345")], "粤S12346", 2, []),                                  # a read matching nothing
    ([("E1", "粤S·12345")], "粤S123456", 2, []),                                 # longer
    ([("E1", "粤S·1234")], "粤S12345", 2, []),                                   # shorter entry
    ([("E1", "粤S·123*5")], "粤S12375", 1, [("E1", WILDCARD_MATCH, (), 0)]),
    ([("E1", "粤S·123*5")], "粤S12305", 1, [("E1", WILDCARD_MATCH, (), 0)]),
    ([("E1", "粤S·1*3*5")], "粤S19395", 1, [("E1", WILDCARD_MATCH, (), 0)]),
    ([("E1", "粤S·1*3*5")], "粤S193956", 1, []),                                 # one character per wildcard
    ([("E1", "粤S·1*3*5")], "粤S1935", 1, []),
    ([("E1", "粤S·1*3*5")], "粤S19396", 1, []),
    ([("E1", "粤S·1*3*5")], "粤SI9395", 1, [("E1", WILDCARD_MATCH, (2,), 1)]),   # a wildcard and a look-alike
    ([("E1", "粤S·1*3*5")], "粤5I9395", 1, []),
    ([("E1", "粤S·12345"), ("E2", "粤S·1234*"), ("E3", "粤S·I2345")], "粤S12345", 1,
     [("E1", EXACT, (), 0), ("E2", WILDCARD_MATCH, (), 0), ("E3", LOOKALIKE, (2,), 1)]),  # fewest first
    ([("E1", "粤B·D12345"), ("E2", "粤B·0I2345")], "粤BD12345", 2,
     [("E1", EXACT, (), 0), ("E2", LOOKALIKE, (2, 3), 2)]),                      # new energy; D looks like 0
    ([("E1", "b-mw 1234")], "B-MW1234", 1, [("E1", EXACT, (), 0)]),              # a foreign plate
    ([("E1", "AB*1Z")], "ab 912", 1, [("E1", WILDCARD_MATCH, (4,), 1)]),
]


@pytest.mark.parametrize("entries, read, most, hits", TABLE)
def test_matching_table(entries, read, most, hits):
    watchlist = Watchlist([entry(i, p) for i, p in entries], max_substitutions=most)
    assert hits_of(watchlist, read) == hits


def test_a_hit_names_its_entry_with_its_category_and_reason():
    listed = Entry("E9", "粤S·12345", "key_person", "wanted for questioning", "sup.wang")
    [hit] = Watchlist([listed]).match(normalise("粤S12345"), at=0)
    assert hit.entry is listed
    assert (hit.entry.pattern, hit.entry.category, hit.entry.reason, hit.entry.added_by) == (
        "粤S12345", "key_person", "wanted for questioning", "sup.wang")


@pytest.mark.parametrize("at, matches", [(99.9, False), (100.0, True), (150.0, True), (199.9, True), (200.0, False)])
def test_an_entry_matches_from_valid_from_until_just_before_valid_until(at, matches):
    watchlist = Watchlist([entry("E1", "粤S12345", valid_from=100.0, valid_until=200.0),
                           entry("E2", "粤S1234*", valid_from=100.0, valid_until=200.0)])
    assert [hit.entry.entry_id for hit in watchlist.match("粤S12345", at)] == (["E1", "E2"] if matches else [])


def test_open_ended_validity():
    watchlist = Watchlist([entry("FROM", "粤S12345", valid_from=100.0), entry("UNTIL", "粤S12345", valid_until=100.0)])
    assert [hit.entry.entry_id for hit in watchlist.match("粤S12345", 50.0)] == ["UNTIL"]
    assert [hit.entry.entry_id for hit in watchlist.match("粤S12345", 150.0)] == ["FROM"]


def test_an_entry_added_again_replaces_it_and_a_removed_entry_no_longer_matches():
    watchlist = Watchlist([entry("E1", "粤S12345"), entry("E2", "粤S1*345")])
    watchlist.add(entry("E1", "粤S99999", category="wanted"))
    assert hits_of(watchlist, "粤S12345") == [("E2", WILDCARD_MATCH, (), 0)]
    assert [(hit.entry.entry_id, hit.entry.category) for hit in watchlist.match("粤S99999", 0)] == [("E1", "wanted")]
    watchlist.remove("E2")
    watchlist.remove("E2")  # removing what is gone changes nothing
    assert hits_of(watchlist, "粤S12345") == []
    assert len(watchlist) == 1


@pytest.mark.parametrize("fields, complaint", [
    (dict(category="suspicious"), "category 'suspicious'"),
    (dict(reason=" "), "reason"),
    (dict(added_by=""), "added_by"),
    (dict(entry_id=""), "entry_id"),
    (dict(pattern="粤S*****"), ""),  # fine: not all wildcards
    (dict(pattern="*** **"), "all wildcards"),
    (dict(pattern=""), "empty"),
    (dict(valid_from=200.0, valid_until=100.0), "not after"),
    (dict(valid_from=100.0, valid_until=100.0), "not after"),
    (dict(valid_from="yesterday"), "valid_from"),
    (dict(valid_until=float("nan")), "valid_until"),
])
def test_a_bad_entry_is_refused_naming_what_is_wrong(fields, complaint):
    values = dict(entry_id="E1", pattern="粤S12345", category="stolen", reason="r", added_by="sup.li") | fields
    if not complaint:
        assert Entry(**values).pattern == "粤S*****"
        return
    with pytest.raises(ValueError, match=complaint):
        Entry(**values)


@pytest.mark.parametrize("most", [-1, 3, 1.5, True])
def test_the_substitution_setting_is_0_to_2(most):
    with pytest.raises(ValueError, match="max_substitutions"):
        Watchlist(max_substitutions=most)


# --- the index against a plain reference ---

def reference_hits(entries, read, at, most):
    """Every entry compared with the read, position by position, as the rules say."""
    same = {a: {a} | {b for x, b in LOOKALIKE_PAIRS if x == a} for a, _ in LOOKALIKE_PAIRS}
    key = normalise(read).key
    hits = set()
    for listed in entries:
        if len(listed.pattern) != len(key):
            continue
        if listed.valid_from is not None and at < listed.valid_from:
            continue
        if listed.valid_until is not None and at >= listed.valid_until:
            continue
        positions = []
        for i in range(len(key)):
            if listed.pattern[i] == "*" or listed.pattern[i] == key[i]:
                continue
            if key[i] in same.get(listed.pattern[i], ()):
                positions.append(i)
            else:
                break
        else:
            if len(positions) <= most:
                kind = WILDCARD_MATCH if "*" in listed.pattern else LOOKALIKE if positions else EXACT
                hits.add((listed.entry_id, kind, tuple(positions)))
    return hits


ALPHABET = "0ODQ1I2Z5S8B6GA3粤"
patterns = st.text(ALPHABET + "**", min_size=1, max_size=4).filter(lambda p: set(p) != {"*"})
times = st.none() | st.integers(0, 10).map(float)


@st.composite
def watchlists(draw):
    specs = draw(st.lists(st.tuples(patterns, times, times), max_size=40))
    entries = []
    for n, (pattern, start, end) in enumerate(specs):
        if start is not None and end is not None and end <= start:
            start, end = end - 1, start  # a valid window instead of a refused one
        entries.append(entry(f"E{n}", pattern, valid_from=start, valid_until=end))
    return entries


@settings(max_examples=300, deadline=None)
@given(watchlists(), st.lists(st.text(ALPHABET + "*", min_size=1, max_size=4), min_size=1, max_size=10),
       st.integers(0, 12).map(float), st.integers(0, 2), st.data())
def test_the_index_gives_the_hits_of_the_plain_reference(entries, reads, at, most, data):
    watchlist = Watchlist(entries, max_substitutions=most)
    removed = data.draw(st.sets(st.sampled_from([e.entry_id for e in entries])) if entries else st.just(set()))
    for entry_id in removed:
        watchlist.remove(entry_id)
    kept = [e for e in entries if e.entry_id not in removed]
    for read in reads:
        got = {(hit.entry.entry_id, hit.kind, hit.positions) for hit in watchlist.match(read, at)}
        assert got == reference_hits(kept, read, at, most), read

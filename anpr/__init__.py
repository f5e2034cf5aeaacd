"""ANPR (automatic number-plate reading): plates normalised and checked, watchlists (布控) and their matcher, and
the OpenALPR webhook shapes read into plate reads (docs/anpr.md).

Qt-free like dispatch/ and drills/: the server's plate.read and the ANPR gateway are to build on it.
"""

"""Drills: MSEL scenarios, drill time from the log, generated background calls and scoring (docs/drills.md).

Qt-free like dispatch/ and reports/: the runner, the server's commands and the trainer's panel build on it.
"""

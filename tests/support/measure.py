"""What benchmarks measure with, one way each: a process's CPU time and a percentile of samples."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads), from /proc: read it before the process
    ends, a finished process has no entry."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))

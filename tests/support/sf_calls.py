"""The San Francisco fire/EMS calls of ../shared/data read with pandas, independently of OneMap's importer:
what the import and statistics tests compare OneMap's figures with."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

SF_CSV = Path("/work/shared/data") / "san_francisco" / "sf_fire_ems_dispatch_2018_01.csv"
SF_ZONE = ZoneInfo("America/Los_Angeles")
SF_TIMES = ["received_timestamp", "dispatch_timestamp", "response_timestamp", "on_scene_timestamp",
            "available_timestamp"]


def sf_frame() -> pd.DataFrame:
    """The SF rows with their milestone times as epoch ms (local wall clock, despite the ' UTC' suffix), and
    whether a row's times are in order."""
    df = pd.read_csv(SF_CSV, dtype=str)
    for column in SF_TIMES:
        local = pd.to_datetime(df[column].str.removesuffix(" UTC"), format="%Y-%m-%d %H:%M:%S.%f")
        df[column + "_ms"] = (local.dt.tz_localize(SF_ZONE) - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(milliseconds=1)
    times = df[[c + "_ms" for c in SF_TIMES]]
    df["in_order"] = times.apply(lambda row: list(row.dropna()) == sorted(row.dropna()), axis=1)
    return df

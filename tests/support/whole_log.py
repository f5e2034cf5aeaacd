"""Every event of a namespace as a server serves it from seq 1: what a test checks a log against."""
from __future__ import annotations

import asyncio

from dispatch.client import DispatchClient


async def read_whole_log(url: str, token: str, namespace: str = "live") -> list[dict]:
    events: list[dict] = []
    reader = await DispatchClient.connect(url, token, namespace=namespace, resume_from=0, keep_state=False,
                                          on_event=events.append)
    await reader.wait_for_seq(reader.welcome["seq"])
    await reader.close()
    return events


def whole_log(url: str, token: str, namespace: str = "live") -> list[dict]:
    """The same, from code outside an event loop."""
    return asyncio.run(read_whole_log(url, token, namespace))

"""An example incident channel, so ``wikibot serve`` shows the whole Slack flow out of the box.

``#inc-140-checkout-latency`` holds a realistic conversation: an alert, a thread of
investigation, a pinned latency graph (a real PNG), reacted key moments and a customer report;
``#customer-support`` and ``#incidents`` are where wikibot asks for input and shares results.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from service_sandbox.slack import store as db
from service_sandbox.store import SandboxStore

EXAMPLE_CHANNEL = "inc-140-checkout-latency"
CUSTOMER_CHANNEL = "customer-support"
COMPANY_CHANNEL = "incidents"

ANA, BOB, CHIDI, DANA, EVE = (db.SLACK_PEOPLE[f"{n}@example.com"][0] for n in ("ana", "bob", "chidi", "dana", "eve"))


def bar_chart_png(values: list[int], width: int = 240, height: int = 120) -> bytes:
    """A tiny bar chart as a valid PNG (8-bit RGB), drawn without any imaging library."""
    top = max(values) or 1
    bar = width // len(values)
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            value = values[min(x // bar, len(values) - 1)]
            filled = height - y <= value * (height - 10) // top and x % bar < bar - 2
            row += bytes((222, 53, 11) if filled and value > top * 0.6 else (0, 82, 204) if filled else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def seed_examples(store: SandboxStore) -> None:
    if store.is_seeded("slack_examples"):
        return
    start = store.now() - timedelta(days=1, hours=3)

    def at(minutes: int) -> str:
        moment = start + timedelta(minutes=minutes)
        return f"{int(moment.timestamp())}.{minutes:06d}"

    with store.tx() as conn:
        inc = db.create_channel(store, conn, EXAMPLE_CHANNEL,
                                "Checkout p99 latency above 4 s after the payments deploy")
        db.create_channel(store, conn, CUSTOMER_CHANNEL, "Support and account managers")
        db.create_channel(store, conn, COMPANY_CHANNEL, "Company-wide incident reviews")
        alert = db.post(store, conn, inc, DANA, ":rotating_light: PagerDuty: *checkout-api p99 > 4s* for 5 minutes. "
                        "I'm on it, <@" + BOB + "> can you join?", ts=at(0), reactions=[
                            {"name": "pushpin", "users": [DANA], "count": 1}])
        db.post(store, conn, inc, BOB, "Joining. Deploy `payments-2024.11.3` went out 10 minutes before the alert.",
                ts=at(3), thread_ts=alert)
        db.post(store, conn, inc, DANA, "Error rate is flat, only latency. DB connection pool at 100% on payments-db.",
                ts=at(6), thread_ts=alert)
        db.post(store, conn, inc, BOB, "Latency by region, the spike starts at the deploy:", ts=at(9), pinned=True,
                files=[db.NewFile("checkout-p99.png", "image/png", bar_chart_png([3, 3, 4, 3, 9, 12, 11, 4, 3]),
                                  "Checkout p99 latency (s), 10-minute buckets")])
        db.post(store, conn, inc, EVE, "Customer report from support: \"card payments spin for 30 s then fail\" "
                "(3 tickets so far, all EU). Details in <https://support.example.com/t/4821|ticket 4821>.",
                ts=at(14))
        rollback = db.post(store, conn, inc, DANA, "Rolling back payments to `2024.11.2` now.", ts=at(18),
                           reactions=[{"name": "pushpin", "users": [BOB], "count": 1}])
        db.post(store, conn, inc, CHIDI, "Rollback done, pool usage dropping.", ts=at(24), thread_ts=rollback)
        db.post(store, conn, inc, BOB, "p99 back under 400 ms. *Mitigated.* Keeping the channel open for the review.",
                ts=at(31), pinned=True)
        db.post(store, conn, inc, ANA, "thanks all :pray:", ts=at(33))
        store.mark_seeded(conn, "slack_examples")

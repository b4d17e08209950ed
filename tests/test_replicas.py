"""Two `wikibot serve` replicas, one database, one sandbox: jobs run once, one page per incident."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import DATABASES, WEBHOOK_SECRET
from tests.test_serve import free_port, start, stop


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_two_replicas_run_each_job_slot_once_and_make_one_page_per_incident(tmp_path, sandbox, database_url):
    replicas = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.yaml").write_text(f"""
confluence: {{url: "{sandbox.wiki_url}", username: {sandbox.user}, token: {sandbox.token},
             space: INC, parent_page: Post-mortems}}
jira: {{url: "{sandbox.url}", username: {sandbox.user}, token: {sandbox.token}, project: OPS}}
webhook: {{secret: {WEBHOOK_SECRET}}}
database: {{url: "{database_url}"}}
server: {{port: {free_port()}}}
""")
        replicas.append(start(["serve"], folder))
    try:
        statuses: list[int] = []

        def call(base: str) -> None:
            response = requests.post(f"{base}/hooks/postmortem", headers={"X-Wikibot-Token": WEBHOOK_SECRET},
                                     json={"incident_id": "INC-500", "title": "Both replicas"}, timeout=60)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=call, args=(replicas[i % 2][1],)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200] * 19 + [201]
        from tests.test_create import postmortem_pages
        from tests.test_sync import labels_of

        confluence = sandbox.confluence()
        assert [p for p in postmortem_pages(sandbox) if "incident-inc-500" in labels_of(confluence, p["id"])] != []
        assert len(postmortem_pages(sandbox)) == 1

        engine = create_engine(database_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both replicas' start-up catch-ups have finished
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT job, slot, status FROM job_runs")).all()
            if {job for job, _, status in rows if status != "running"} == {"sync", "audit"}:
                break
            time.sleep(0.5)
        engine.dispose()
    finally:
        for proc, _ in replicas:
            stop(proc)
    per_slot: dict[tuple[str, object], int] = {}
    for job, slot, _status in rows:
        per_slot[(job, slot)] = per_slot.get((job, slot), 0) + 1
    assert {job for job, _ in per_slot} == {"sync", "audit"}
    assert set(per_slot.values()) == {1}

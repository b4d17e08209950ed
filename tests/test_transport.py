"""The circuit breaker: a service that is down is not hammered, and work resumes when it is back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from wikibot.scheduler import JobRunner, JobSpec, job_specs
from wikibot.services import Services
from wikibot.atlassian.transport import CircuitBreaker, CircuitOpen


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_consecutive_failures_and_fails_fast():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=clock)
    for _ in range(2):
        breaker.record(False)
    assert breaker.allow()
    breaker.record(False)
    assert breaker.is_open and not breaker.allow()


def test_a_success_resets_the_count():
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=Clock())
    breaker.record(False)
    breaker.record(True)
    breaker.record(False)
    assert not breaker.is_open


def test_after_the_cooldown_one_trial_call_decides():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=clock)
    breaker.record(False)
    clock.now = 10
    assert breaker.allow() and not breaker.allow()  # exactly one trial
    breaker.record(False)  # the trial failed: open again for a full cooldown
    clock.now = 15
    assert not breaker.allow()
    clock.now = 20
    assert breaker.allow()
    breaker.record(True)
    assert not breaker.is_open and breaker.allow()


@pytest.fixture
def guarded(make_config):
    services = Services(make_config(http={"timeout": 5, "circuit_failures": 3, "circuit_cooldown": 0.3}))
    yield services
    services.close()


def test_a_service_that_is_down_is_not_hammered(guarded, sandbox):
    sandbox.fault(status=503, count=None, path_prefix="/rest/api/2")
    jira = guarded.clients.jira
    for _ in range(3):
        with pytest.raises(requests.HTTPError):
            jira.myself()
    sandbox.reset_stats()
    for _ in range(20):
        with pytest.raises(CircuitOpen):
            jira.myself()
    assert sandbox.stats()["requests"] == 0
    assert guarded.breakers["jira"].is_open and not guarded.breakers["confluence"].is_open
    assert "wikibot_circuit_open{service=\"jira\"} 1.0" in guarded.metrics.render().decode()


def test_the_scheduler_keeps_running_and_the_next_run_succeeds_when_the_service_is_back(guarded, sandbox):
    import time

    sync = next(spec for spec in job_specs(guarded.config) if spec.name == "sync")
    runner = JobRunner(guarded)
    sandbox.fault(status=503, count=None)  # both products down
    assert runner.run_slot(sync, datetime(2026, 11, 27, 5, tzinfo=UTC))
    sandbox.clear_faults()
    time.sleep(0.4)  # the cooldown
    assert runner.run_slot(JobSpec("sync", sync.trigger, sync.target), datetime(2026, 11, 27, 6, tzinfo=UTC))
    first, second = guarded.db.job_runs.recent("sync")[::-1]
    assert second.status == "ok" and second.summary["errors"] == []
    assert first.status == "error" or first.summary["errors"]

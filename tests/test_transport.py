"""The circuit breaker: a service that is down is not hammered, and work resumes when it is back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from wikibot.atlassian.transport import CircuitBreaker, CircuitOpen
from wikibot.scheduler import JobRunner, job_specs
from wikibot.services import Services


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


def test_an_open_circuit_says_so_instead_of_cannot_connect(make_config, sandbox):
    # The service answered (503s); "cannot connect (is it running? check jira.url)" sent people to the URL.
    from wikibot.errors import ServiceError

    services = Services(make_config(http={"timeout": 5, "circuit_failures": 3, "circuit_cooldown": 60}))
    sandbox.fault(status=503, count=None, path_prefix="/rest/api/2")
    try:
        while not services.breakers["jira"].is_open:
            with pytest.raises(ServiceError):
                services.jira.myself()
        with pytest.raises(ServiceError) as info:
            services.jira.myself()
    finally:
        services.close()
    message = str(info.value)
    assert message.startswith(f"Jira: {sandbox.url} failed 3 times in a row; not calling it for another ")
    assert message.endswith(" s (http.circuit_failures, http.circuit_cooldown)") and "cannot connect" not in message

def test_the_scheduler_keeps_running_and_the_next_run_succeeds_when_the_service_is_back(make_config, sandbox):
    clock = Clock()
    services = Services(make_config(http={"timeout": 5, "circuit_failures": 3, "circuit_cooldown": 30}), clock=clock)
    try:
        sync = next(spec for spec in job_specs(services.config) if spec.name == "sync")
        runner = JobRunner(services)
        sandbox.fault(status=503, count=None)  # both products down
        assert runner.run_slot(sync, datetime(2026, 11, 27, 5, tzinfo=UTC))
        assert services.breakers["confluence"].is_open
        sandbox.clear_faults()
        sandbox.reset_stats()
        clock.now = 29  # back, but still within the cooldown: the run fails fast without a request
        assert runner.run_slot(sync, datetime(2026, 11, 27, 6, tzinfo=UTC))
        assert sandbox.stats()["requests"] == 0
        clock.now = 30  # the cooldown is over: one trial call, it succeeds, the run goes through
        assert runner.run_slot(sync, datetime(2026, 11, 27, 7, tzinfo=UTC))
        first, during, after = services.db.job_runs.recent("sync")[::-1]
    finally:
        services.close()
    assert first.status == "error" or first.summary["errors"]
    assert during.status == "error" or during.summary["errors"]
    assert after.status == "ok" and after.summary["errors"] == []
    assert not services.breakers["confluence"].is_open

"""The headline figures: pure functions of the audit snapshot, the shares sent and today's date."""

from __future__ import annotations

from datetime import date

from wikibot.dashboard_rows import ActionRow, Row
from wikibot.figures import DEFINITIONS, headline_figures, quarter_name, quarter_start

TODAY = date(2026, 11, 27)


def row(page_id: str, incident: str | None, held: str | None = None, actions: tuple[ActionRow, ...] = ()) -> Row:
    return Row(page_id=page_id, title=f"PM {page_id}", url="u", incident=None, severity=None, lead=None,
               status="Draft", created=incident, modified=incident, age_days=1, filled=0, required=9,
               debrief_due=None, debrief_overdue=False, actions_open=0, actions_done=0, actions_overdue=0,
               findings=0, incident_date=incident, debrief_held=held, actions=actions)


def figures(rows, shared=(), today=TODAY, within=7) -> dict:
    return {f.key: f for f in headline_figures(rows, set(shared), today, within)}


def test_quarters_are_calendar_quarters():
    assert quarter_start(date(2026, 11, 27)) == date(2026, 10, 1) and quarter_name(date(2026, 11, 27)) == "Q4 2026"
    assert quarter_start(date(2026, 1, 1)) == date(2026, 1, 1) and quarter_name(date(2026, 3, 31)) == "Q1 2026"


def test_debriefed_on_time_counts_this_quarters_post_mortems_that_are_due_or_debriefed():
    rows = [row("a", "2026-11-01", "2026-11-05"),  # on time
            row("b", "2026-10-02", "2026-10-20"),  # late
            row("c", "2026-11-10"),  # overdue: counts against
            row("d", "2026-11-25"),  # not due yet: not counted
            row("e", "2026-09-20", "2026-09-22")]  # last quarter
    f = figures(rows)["debriefed_within_target"]
    assert f.value == 1 / 3 and f.display == "33%"
    assert f.detail == "1 of 3 due in Q4 2026 · target 7 days"
    assert "within 7 days of the incident" in f.definition


def test_a_debrief_held_early_counts_even_before_it_is_due():
    f = figures([row("d", "2026-11-25", "2026-11-26")])["debriefed_within_target"]
    assert f.value == 1.0 and f.detail.startswith("1 of 1")


def test_median_days_from_incident_to_debrief():
    rows = [row("a", "2026-11-01", "2026-11-05"), row("b", "2026-10-02", "2026-10-20"), row("c", "2026-11-10")]
    f = figures(rows)["median_days_to_debrief"]
    assert f.value == 11.0 and f.display == "11 days" and f.detail == "median of 2 debriefs in Q4 2026"


def test_with_nothing_to_count_the_figures_say_so_instead_of_zero():
    f = figures([])
    assert f["debriefed_within_target"].value is None and f["debriefed_within_target"].display == "—"
    assert f["median_days_to_debrief"].display == "—" and f["median_open_action_age_days"].display == "—"
    assert f["actions_past_due"].display == "0"


def test_open_actions_past_due_and_their_median_age():
    actions = (ActionRow("1", "2026-11-20", False, "2026-11-01"),  # past due, 26 days old
               ActionRow("2", "2026-12-20", False, "2026-11-25"),  # not due, 2 days
               ActionRow("3", None, False, "2026-11-17"),  # no due date, 10 days
               ActionRow("4", "2026-11-01", True, "2026-10-01"))  # done: not counted
    f = figures([row("a", "2026-08-01", actions=actions)])
    assert f["actions_past_due"].value == 1 and f["actions_past_due"].detail == "of 3 open actions"
    assert f["median_open_action_age_days"].value == 10 and f["median_open_action_age_days"].display == "10 days"


def test_an_action_declined_as_not_doing_is_open_but_never_past_due():
    # As the audit, `wikibot actions` and the reminders have it: the dashboard must not count it late.
    actions = (ActionRow("1", "2026-11-20", False, "2026-11-01", declined=True),
               ActionRow("2", "2026-11-20", False, "2026-11-01"))
    f = figures([row("a", "2026-08-01", actions=actions)])
    assert f["actions_past_due"].value == 1 and f["actions_past_due"].detail == "of 2 open actions"


def test_shared_counts_this_quarters_post_mortems_whose_summary_was_posted():
    rows = [row("a", "2026-11-01"), row("b", "2026-10-02"), row("c", "2026-09-01")]
    f = figures(rows, shared={"a", "c"})["postmortems_shared"]
    assert f.value == 1 and f.detail == "of 2 post-mortems in Q4 2026"


def test_every_figure_has_a_label_and_a_definition():
    assert [f.key for f in headline_figures([], set(), TODAY, 7)] == list(DEFINITIONS)
    assert all(len(definition) > 60 for _, definition in DEFINITIONS.values())


def test_the_readme_lists_every_figure_with_its_definition_and_every_finding_label():
    from pathlib import Path

    from wikibot.audit.kinds import KIND_LABELS
    from wikibot.metrics import FIGURE_METRICS

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for key, (label, definition) in DEFINITIONS.items():
        assert f"| {label} | `{FIGURE_METRICS[key][0]}` | {definition} |" in readme
    for kind, (label, meaning) in KIND_LABELS.items():
        assert f"| `{kind}` | {label} | {meaning} |" in readme

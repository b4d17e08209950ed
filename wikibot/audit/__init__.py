"""The nightly post-mortem audit (issue #6): what each post-mortem still needs, told to the right people.

* ``facts``/``checks``/``item_checks``/``blame``: pure rules (page facts + metadata + clock + config → findings),
  given ``rules`` (the configuration and what a run learnt, as plain values);
* ``runner``: the I/O of one run (listing, incremental reuse, run records); ``lookups``: Jira in bulk
  (wire calls in ``wikibot.atlassian``);
* ``report``: table, JSON and HTML renderings; ``publish``: report page, labels, comments, chat;
* ``share``: a Published post-mortem's summary to the company channel, once.
"""

from wikibot.audit.report import AuditReport
from wikibot.audit.runner import run_audit, scheduled_audit

__all__ = ["AuditReport", "run_audit", "scheduled_audit"]

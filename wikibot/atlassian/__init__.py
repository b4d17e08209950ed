"""Every Confluence and Jira wire call wikibot makes, in one package.

* ``clients``    — the atlassian-python-api clients, built in one place from the configuration;
* ``transport``  — the adapter under every request: counted, and guarded by a circuit breaker;
* ``boundary``   — the one error boundary per service (library and ``requests`` errors → ``ServiceError``);
* ``content``    — Confluence's JSON turned into typed objects (``WikiPage``);
* ``confluence`` — the Confluence gateway: typed methods, one per operation wikibot needs;
* ``jira``       — the Jira gateway: searches, bulk create, links, transitions, edits, users.

Callers outside this package never see a client library object or a URL path.
"""

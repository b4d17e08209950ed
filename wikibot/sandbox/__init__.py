"""The sandbox: an emulator of the Confluence Cloud (REST v1) and Jira Cloud (REST v2/v3) APIs.

It is wikibot's embedded default backend (so it runs with no Atlassian account) and the backend of
every test: tests drive the real atlassian-python-api over real HTTP against it.
"""

from wikibot.sandbox.app import create_sandbox_app
from wikibot.sandbox.server import SandboxServer
from wikibot.sandbox.store import SandboxStore

__all__ = ["SandboxServer", "SandboxStore", "create_sandbox_app"]

"""The sandbox: an emulator of the Confluence Cloud (REST v2, plus the v1 search and label routes
Cloud still serves) and Jira Cloud (REST v2/v3) APIs, as strict as the real services.

It is wikibot's embedded default backend (so it runs with no Atlassian account) and the backend of
every test: tests drive the real atlassian-python-api over real HTTP against it.

It is a package of its own and never imports ``wikibot``, so its contract (what the real services
do, with the sources cited where they are emulated) can be read and changed on its own.
"""

from service_sandbox.app import create_sandbox_app
from service_sandbox.server import SandboxServer
from service_sandbox.store import SandboxStore

__all__ = ["SandboxServer", "SandboxStore", "create_sandbox_app"]

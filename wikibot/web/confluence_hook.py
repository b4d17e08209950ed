"""``POST /hooks/confluence``: Confluence page events that trigger a sync (being written)."""

from flask import Blueprint

bp = Blueprint("confluence_hook", __name__, url_prefix="/hooks")

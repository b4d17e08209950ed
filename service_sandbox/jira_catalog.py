"""Jira's fixed reference data in the sandbox: statuses, workflow, priorities, issue types, resolution.

These never change at runtime, so they are constants rather than tables; issues store their ids.
The ids and names match a fresh Jira Cloud "simplified workflow" site, so code that hard-codes
``statusCategory.key == "done"`` or priority names behaves as it would in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    transition_id: str  # the id of the global transition *into* this status


@dataclass(frozen=True)
class Named:
    """A priority, issue type or resolution: reference data with just an id, a name and a text."""

    id: str
    name: str
    description: str


NEW = StatusCategory(2, "new", "To Do", "blue-gray")
IN_PROGRESS = StatusCategory(4, "indeterminate", "In Progress", "yellow")
DONE = StatusCategory(3, "done", "Done", "green")
CATEGORIES = (NEW, IN_PROGRESS, DONE)

TO_DO_STATUS = Status("10000", "To Do", NEW, "11")
STATUSES = (TO_DO_STATUS, Status("10001", "In Progress", IN_PROGRESS, "21"), Status("10002", "Done", DONE, "31"))

PRIORITIES = tuple(Named(str(i), name, f"{name} priority") for i, name in
                   enumerate(("Highest", "High", "Medium", "Low", "Lowest"), start=1))
DEFAULT_PRIORITY = PRIORITIES[2]
ISSUE_TYPES = (Named("10001", "Task", "A small, distinct piece of work."),
               Named("10002", "Bug", "A problem or error."))
RESOLUTION_DONE = Named("10000", "Done", "Work has been completed on this issue.")

T = TypeVar("T", Status, Named)


def by_id(items: Iterable[T], item_id: str | None) -> T | None:
    return next((item for item in items if item.id == item_id), None)


def by_name(items: Iterable[T], name: str | None) -> T | None:
    return next((item for item in items if name is not None and item.name.lower() == name.lower()), None)


def by_reference(items: Iterable[T], ref: Any) -> T | None:
    """Resolve a REST reference such as ``{"id": "3"}`` or ``{"name": "High"}`` (id wins, as in Jira)."""
    if not isinstance(ref, dict):
        return None
    items = tuple(items)
    if ref.get("id") is not None:
        return by_id(items, str(ref["id"]))
    return by_name(items, ref.get("name")) if isinstance(ref.get("name"), str) else None


def vocabulary() -> dict[str, dict[str, str | None]]:
    """JQL aliases for the fixed fields: names and ids → canonical name (category: key)."""
    words: dict[str, dict[str, str | None]] = {
        "status": {}, "priority": {}, "issuetype": {}, "statuscategory": {},
        "resolution": {"unresolved": None, RESOLUTION_DONE.name.lower(): RESOLUTION_DONE.name,
                       RESOLUTION_DONE.id: RESOLUTION_DONE.name},
    }
    for field, items in (("status", STATUSES), ("priority", PRIORITIES), ("issuetype", ISSUE_TYPES)):
        for item in items:
            words[field].update({item.name.lower(): item.name, item.id: item.name})
    for category in CATEGORIES:
        words["statuscategory"].update({category.key: category.key, category.name.lower(): category.key,
                                        str(category.id): category.key})
    return words


def ranks() -> dict[str, dict[str, int]]:
    """ORDER BY positions: priorities by severity (ASC = least severe first), statuses by workflow."""
    return {
        "priority": {p.name: -i for i, p in enumerate(PRIORITIES)},
        "status": {s.name: i for i, s in enumerate(STATUSES)},
        "statuscategory": {c.key: i for i, c in enumerate(CATEGORIES)},
    }


# -- wire format ---------------------------------------------------------------------------------
def category_json(base: str, category: StatusCategory) -> dict[str, Any]:
    return {"self": f"{base}/rest/api/2/statuscategory/{category.id}", "id": category.id,
            "key": category.key, "colorName": category.color, "name": category.name}


def status_json(base: str, status: Status) -> dict[str, Any]:
    return {"self": f"{base}/rest/api/2/status/{status.id}", "description": "",
            "iconUrl": f"{base}/images/icons/statuses/generic.png", "name": status.name, "id": status.id,
            "statusCategory": category_json(base, status.category)}


def priority_json(base: str, priority: Named) -> dict[str, Any]:
    return {"self": f"{base}/rest/api/2/priority/{priority.id}",
            "iconUrl": f"{base}/images/icons/priorities/{priority.name.lower()}.svg",
            "name": priority.name, "id": priority.id}


def issuetype_json(base: str, issuetype: Named) -> dict[str, Any]:
    return {"self": f"{base}/rest/api/2/issuetype/{issuetype.id}", "id": issuetype.id,
            "description": issuetype.description,
            "iconUrl": f"{base}/images/icons/issuetypes/{issuetype.name.lower()}.svg",
            "name": issuetype.name, "subtask": False, "hierarchyLevel": 0}


def resolution_json(base: str, resolution: Named) -> dict[str, Any]:
    return {"self": f"{base}/rest/api/2/resolution/{resolution.id}", "id": resolution.id,
            "description": resolution.description, "name": resolution.name}


def transition_json(base: str, status: Status) -> dict[str, Any]:
    """A global transition into ``status`` (Jira Cloud's simplified workflow: any status to any)."""
    return {"id": status.transition_id, "name": status.name, "to": status_json(base, status),
            "hasScreen": False, "isGlobal": True, "isInitial": False, "isAvailable": True,
            "isConditional": False, "isLooped": False}

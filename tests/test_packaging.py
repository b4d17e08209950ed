"""The distribution declares what it imports, so ``pip install .`` on a fresh machine runs.

Every third-party module imported by the two shipped packages (``wikibot`` and the
``service_sandbox`` emulator) must come from a distribution named in ``pyproject.toml``: a
module-level import from ``[project.dependencies]``; an import inside a function (an optional
integration, loaded only when configured) may come from a non-test extra instead. The tests'
own imports must be covered by the ``test`` extra. Module → distribution is answered by the
installed environment (``importlib.metadata.packages_distributions``), so an import nothing
installed provides fails too.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The tests also import their helper modules by bare name (``from conftest import ...``).
FIRST_PARTY = {"wikibot", "service_sandbox", "tests", *(path.stem for path in (ROOT / "tests").glob("*.py"))}
SHIPPED = ("wikibot", "service_sandbox")


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unreadable requirement {requirement!r} in pyproject.toml"
    return canonical(match.group(1))


def declared(*groups: str) -> set[str]:
    """Distributions named by ``dependencies`` and/or the given extras, following ``wikibot[extra]``."""
    project = PYPROJECT["project"]
    extras = project.get("optional-dependencies", {})
    names: set[str] = set()
    pending = list(groups)
    seen: set[str] = set()
    while pending:
        group = pending.pop()
        if group in seen:
            continue
        seen.add(group)
        for requirement in project["dependencies"] if group == "dependencies" else extras[group]:
            name = requirement_name(requirement)
            if name == canonical(project["name"]):
                pending.extend(re.findall(r"[A-Za-z0-9_-]+", requirement.partition("[")[2]))
            else:
                names.add(name)
    return names


@dataclass(frozen=True)
class Import:
    module: str  # the top-level name, e.g. "alembic" for "from alembic.config import Config"
    where: str  # file:line
    lazy: bool  # inside a function: runs only when that code path is used


def imports(package: str) -> Iterator[Import]:
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lazy_nodes = {id(inner) for node in ast.walk(tree)
                      if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for inner in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                    yield Import(top, f"{path.relative_to(ROOT)}:{node.lineno}", id(node) in lazy_nodes)


@cache
def _module_distributions() -> dict[str, list[str]]:
    return packages_distributions()


def distributions(module: str) -> set[str]:
    return {canonical(name) for name in _module_distributions().get(module, [])}


def undeclared(found: Iterator[Import], eager: set[str], lazy: set[str]) -> list[str]:
    problems = []
    for imp in found:
        provided_by = distributions(imp.module)
        allowed = lazy if imp.lazy else eager
        if not provided_by:
            problems.append(f"{imp.where}: imports {imp.module!r}, which no installed distribution provides")
        elif not provided_by & allowed:
            problems.append(f"{imp.where}: imports {imp.module!r} from {sorted(provided_by)}, "
                            "not declared in pyproject.toml")
    return problems


def optional_extras() -> list[str]:
    return [name for name in PYPROJECT["project"].get("optional-dependencies", {}) if name != "test"]


@pytest.mark.parametrize("package", SHIPPED)
def test_every_module_a_shipped_package_imports_comes_from_a_declared_dependency(package):
    eager = declared("dependencies")
    lazy = declared("dependencies", *optional_extras())
    problems = undeclared(imports(package), eager, lazy)
    assert not problems, "\n".join(problems)


def test_every_module_the_tests_import_comes_from_the_test_extra():
    allowed = declared("dependencies", "test")
    problems = undeclared(imports("tests"), allowed, allowed)
    assert not problems, "\n".join(problems)


def test_the_check_fails_for_an_import_pyproject_does_not_declare():
    found = iter([Import("alembic", "wikibot/store/migrate.py:9", lazy=False)])
    assert undeclared(found, declared("dependencies") - {"alembic"}, set()) == [
        "wikibot/store/migrate.py:9: imports 'alembic' from ['alembic'], not declared in pyproject.toml"]


def test_an_optional_integration_may_only_be_imported_inside_a_function():
    postgres = declared("postgres")
    assert "psycopg" in postgres
    assert undeclared(iter([Import("psycopg", "x.py:1", lazy=True)]), set(), postgres) == []
    assert undeclared(iter([Import("psycopg", "x.py:1", lazy=False)]), set(), postgres) != []


def test_every_dependency_has_a_lower_bound():
    project = PYPROJECT["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    unbounded = [r for r in requirements
                 if requirement_name(r) != canonical(project["name"]) and not re.search(r">=|==|~=", r)]
    assert unbounded == []


def test_the_sandbox_never_imports_wikibot():
    offending = []
    for path in sorted((ROOT / "service_sandbox").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offending += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.partition(".")[0] == "wikibot"]
    assert offending == []


def test_postgres_without_its_extra_is_refused_in_one_line_naming_the_extra(monkeypatch):
    from wikibot.errors import ConfigError
    from wikibot.store import Database

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if `pip install .` without [postgres]
    with pytest.raises(ConfigError) as error:
        Database("postgresql+psycopg://wikibot:secret@127.0.0.1:5432/wikibot")
    assert str(error.value) == ("database.url: its driver psycopg is not installed "
                                "(pip install 'wikibot[postgres]')")


def test_a_wheel_carries_the_page_templates(tmp_path):
    # `pip install .` (not -e) left them out: `wikibot serve` then refused to start, for want of
    # page_templates/postmortem.xml, on every machine deployed from a wheel.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    [wheel] = tmp_path.glob("wikibot-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"wikibot/page_templates/{path.name}" for path in (ROOT / "page_templates").glob("*.xml")}
    assert templates and templates <= shipped

"""config.yaml: resolution order, env expansion, validation errors as one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikibot.config import load_config, parse_config_text
from wikibot.config_sections import SANDBOX_TOKEN, SANDBOX_USER
from wikibot.errors import ConfigError

MINIMAL = """
confluence: {space: INC, parent_page: Post-mortems}
jira: {project: OPS}
"""

REAL_SITE = """
confluence:
  url: https://acme.atlassian.net/wiki/
  username: bot@acme.com
  token: ${TOKEN}
  space: ENG
  parent_page: "12345"
jira:
  url: https://acme.atlassian.net
  username: bot@acme.com
  token: ${TOKEN}
  project: OPS
webhook: {secret: "${HOOK:-fallback-secret}"}
"""


def error_of(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config_text(text, environ=environ or {})
    return str(info.value)


def test_shipped_config_yaml_is_valid_and_targets_the_sandbox():
    config = load_config(str(Path(__file__).parent.parent / "config.yaml"), environ={})
    assert config.uses_sandbox
    assert config.confluence_endpoint() == ("http://127.0.0.1:8990/wiki", SANDBOX_USER, SANDBOX_TOKEN)
    assert config.jira_endpoint() == ("http://127.0.0.1:8990", SANDBOX_USER, SANDBOX_TOKEN)
    assert config.confluence.space == "INC" and config.jira.project == "OPS"


def test_missing_required_key_names_the_key():
    assert error_of("confluence: {space: INC, parent_page: P}\njira: {}") == "config.yaml: jira.project: field required"


def test_unknown_key_in_a_nested_section_is_reported_as_unknown_not_missing():
    assert error_of(MINIMAL + "server: {prot: 80}") == "config.yaml: server.prot: unknown key (did you mean port?)"


def test_a_misspelt_key_is_reported_as_unknown_with_the_key_it_probably_meant_not_as_missing():
    text = "confluence: {space: INC, parent_page: P}\njira: {projectt: OPS}"
    assert error_of(text) == "config.yaml: jira.projectt: unknown key (did you mean project?)"


def test_every_problem_of_the_file_is_reported_in_one_run_one_line_each():
    text = ("confluence: {space: INC, parent_page: P, urll: x}\njira: {project: OPS}\n"
            "postmortem: {debrief_within_days: 0}\nsync: {schedule: never}\nbogus: 1")
    lines = error_of(text).splitlines()
    assert lines[:3] == ["config.yaml: confluence.urll: unknown key (did you mean url?)",
                         "config.yaml: bogus: unknown key"] + lines[2:3]
    assert any(line.startswith("config.yaml: postmortem.debrief_within_days: ") for line in lines)
    assert any(line.startswith("config.yaml: sync.schedule: not a cron expression") for line in lines)
    assert len(lines) == 4


def test_wrong_type_names_the_key_and_the_problem():
    message = error_of(MINIMAL + "server: {port: lots}")
    assert message.startswith("config.yaml: server.port: ")
    assert "\n" not in message


def test_url_without_credentials_is_refused_naming_the_missing_key():
    text = ("confluence: {url: 'https://a.atlassian.net/wiki', username: u, space: X, parent_page: P}\n"
            "jira: {project: O}")
    assert error_of(text) == "config.yaml: confluence.token: required when url is set"


def test_non_http_url_is_refused():
    text = "confluence: {url: 'ftp://x', space: X, parent_page: P}\njira: {project: O}"
    assert error_of(text) == "config.yaml: confluence.url: must be an http(s) URL"


def test_env_references_are_expanded_and_secrets_stay_secret():
    config = parse_config_text(REAL_SITE, environ={"TOKEN": "s3cr3t"})
    assert config.confluence.url == "https://acme.atlassian.net/wiki"
    assert config.confluence_endpoint() == ("https://acme.atlassian.net/wiki", "bot@acme.com", "s3cr3t")
    assert config.webhook.secret is not None and config.webhook.secret.get_secret_value() == "fallback-secret"
    assert "s3cr3t" not in repr(config)
    assert sorted(config.secrets()) == ["fallback-secret", "s3cr3t", "s3cr3t"]


def test_unset_env_reference_without_default_names_key_and_variable():
    assert error_of(REAL_SITE) == "config.yaml: confluence.token: environment variable TOKEN is not set"


def test_double_dollar_is_a_literal_dollar():
    config = parse_config_text(MINIMAL + "webhook: {secret: 'a$$b'}", environ={})
    assert config.webhook.secret.get_secret_value() == "a$b"


def test_invalid_yaml_is_one_line_with_the_line_number():
    message = error_of("confluence: [\n  x: 1\n")
    assert message.startswith("config.yaml: line ")
    assert "\n" not in message


def test_top_level_must_be_a_mapping():
    assert error_of("- a\n- b") == "config.yaml: the top level must be a mapping of sections"


def test_explicit_path_wins_over_environment(tmp_path):
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(MINIMAL.replace("OPS", "CHOSEN"))
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL)
    assert load_config(str(chosen), environ={"WIKIBOT_CONFIG": str(other)}).jira.project == "CHOSEN"


def test_environment_variable_names_the_file(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text(MINIMAL.replace("OPS", "FROMENV"))
    assert load_config(None, environ={"WIKIBOT_CONFIG": str(path)}).jira.project == "FROMENV"


def test_named_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "missing.yaml"), environ={})


def test_no_file_at_all_means_the_embedded_sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.uses_sandbox
    assert (config.confluence.space, config.confluence.parent_page, config.jira.project) == (
        "INC", "Post-mortems", "OPS")


def _keys(model, prefix=""):
    for name, field in model.model_fields.items():
        if name == "source":
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            yield from _keys(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def test_every_config_key_is_documented_in_the_shipped_config_yaml():
    from wikibot.config import Config

    text = (Path(__file__).parent.parent / "config.yaml").read_text()
    sections: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            current = line.split(":")[0]
        sections[current] = sections.get(current, "") + line + "\n"
    missing = [key for key in _keys(Config)
               if f"{key.split('.')[-1]}:" not in sections.get(key.split(".")[0], "")]
    assert missing == []


def test_section_aliases_map_headings_to_section_names():
    config = parse_config_text(MINIMAL + "postmortem:\n  section_aliases:\n    Post-incident actions: Action items\n",
                               environ={})
    assert config.postmortem.section_aliases == {"Post-incident actions": "Action items"}
    assert parse_config_text(MINIMAL, environ={}).postmortem.section_aliases == {}


def test_a_section_alias_without_a_section_name_is_refused():
    message = error_of(MINIMAL + "postmortem:\n  section_aliases: {Kaizen: ' '}\n")
    assert message.startswith("config.yaml: postmortem.section_aliases: ") and "non-empty" in message


@pytest.mark.parametrize(("database", "sandbox_db", "expected"), [
    ("sqlite:///var/wikibot.db", None, "var/sandbox.db"),
    ("sqlite:////srv/wikibot/state.db", None, "/srv/wikibot/sandbox.db"),
    ("sqlite://", None, ":memory:"),
    ("sqlite:///:memory:", None, ":memory:"),
    ("postgresql+psycopg://u:p@db/wikibot", None, "var/sandbox.db"),
    ("sqlite:///var/wikibot.db", "/data/sb.db", "/data/sb.db"),
])
def test_the_embedded_sandbox_keeps_its_data_beside_wikibots_database(database, sandbox_db, expected):
    from wikibot.config import parse_config

    config = parse_config({"confluence": {"space": "INC", "parent_page": "P"}, "jira": {"project": "OPS"},
                           "database": {"url": database}, "sandbox": {"db": sandbox_db}}, source="t", environ={})
    assert config.sandbox_db() == expected


def test_a_real_confluence_with_an_empty_jira_url_is_refused_not_sent_to_the_sandbox():
    # One product on the real site and the other on the embedded sandbox would file a real wiki's
    # actions into an emulator (or a sandbox's example actions into the real Jira).
    text = ("confluence: {url: 'https://acme.atlassian.net/wiki', username: u, token: t, space: X, parent_page: P}\n"
            "jira: {project: O}")
    assert error_of(text) == ("config.yaml: jira.url: required when confluence.url is set "
                              "(leave both empty for the embedded sandbox)")


def test_a_real_jira_with_an_empty_confluence_url_is_refused():
    text = ("confluence: {space: X, parent_page: P}\n"
            "jira: {url: 'https://acme.atlassian.net', username: u, token: t, project: O}")
    assert error_of(text) == ("config.yaml: confluence.url: required when jira.url is set "
                              "(leave both empty for the embedded sandbox)")


def test_a_key_given_twice_is_refused_with_its_line_instead_of_the_last_one_silently_winning():
    message = error_of(MINIMAL + "jira: {project: OTHER}\n")
    assert message == "config.yaml: line 4: invalid YAML: jira is given twice (the second would replace the first)"


def test_a_key_given_twice_inside_a_section_is_refused_too():
    message = error_of("confluence:\n  space: INC\n  parent_page: P\n  space: ENG\njira: {project: O}\n")
    assert message.startswith("config.yaml: line 4: invalid YAML: space is given twice")


def test_yaml_merge_keys_may_still_override_what_they_merge():
    config = parse_config_text(MINIMAL + "sandbox: {<<: {host: 127.0.0.1, port: 8990}, port: 8991}\n", environ={})
    assert config.sandbox.port == 8991


def test_a_section_with_every_key_commented_out_means_its_defaults():
    config = parse_config_text(MINIMAL + "server:\n  # port: 9000\naudit:\n", environ={})
    assert config.server.port == 8080 and config.audit.timezone == "UTC"


def test_an_empty_required_section_names_its_required_keys():
    assert error_of("confluence:\njira: {project: O}\n").splitlines() == [
        "config.yaml: confluence.space: field required", "config.yaml: confluence.parent_page: field required"]


def test_a_section_that_is_not_a_mapping_says_so_without_naming_classes():
    assert error_of("confluence: 5\njira: {project: O}\n") == \
        "config.yaml: confluence: must be a section of keys (key: value lines below it), not 5"


def test_templates_are_keyed_by_severity_written_any_way_the_incident_can_be():
    config = parse_config_text(MINIMAL + "postmortem: {templates: {sev1: sre.xml, '2': sre.xml, P3: sre.xml}}",
                               environ={})
    assert config.postmortem.templates == {"SEV-1": "sre.xml", "SEV-2": "sre.xml", "SEV-3": "sre.xml"}


def test_a_template_key_that_is_no_severity_is_refused_instead_of_never_matching():
    assert error_of(MINIMAL + "postmortem: {templates: {Major: sre.xml}}") == (
        "config.yaml: postmortem.templates: 'Major' is not a severity (use SEV-0 … SEV-5)")


def test_required_sections_are_read_as_section_names_synonyms_and_aliases_included():
    # The audit compares section *names*: "RCA" asked for nothing at all, silently.
    config = parse_config_text(MINIMAL + "postmortem: {required_sections: [RCA, '2. Impact:', Post-incident actions],"
                               " section_aliases: {Post-incident actions: Action items}}", environ={})
    assert config.postmortem.required_names() == ("Root Cause", "Impact and Scope", "Action items")
    assert parse_config_text(MINIMAL, environ={}).postmortem.required_names() is None


def test_an_http_timeout_under_a_second_is_refused_as_the_client_library_would_make_it_zero():
    # atlassian-python-api keeps int(timeout): 0.5 became 0, which requests refuses: a traceback mid-sync.
    assert error_of(MINIMAL + "http: {timeout: 0.5}") == (
        "config.yaml: http.timeout: input should be greater than or equal to 1")


@pytest.mark.parametrize("label", ["post.mortem", "x" * 256])
def test_a_postmortem_label_confluence_would_refuse_is_refused(label):
    """Confluence refuses a label with a '.' in it (and one over 255 characters): every page's label
    write would fail after its page was created."""
    assert error_of(MINIMAL + f"postmortem: {{label: '{label}'}}").startswith("config.yaml: postmortem.label: ")

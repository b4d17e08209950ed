"""The /postmortems/new form: prefilled, CSRF-protected, validating, redirecting to the new page."""

from __future__ import annotations

import re


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_values(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "incident_id": "INC-5", "title": "Queue backlog", **fields}


def test_form_is_prefilled_from_query_parameters_and_escapes_them(client):
    html = client.get("/postmortems/new?incident_id=INC-5&title=%3Cscript%3Ex%3C/script%3E").text
    assert 'value="INC-5"' in html
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html


def test_post_without_csrf_token_is_refused_and_creates_nothing(client, sandbox):
    response = client.post("/postmortems/new", data={"incident_id": "INC-5", "title": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert sandbox.confluence().cql('label = "postmortem"', limit=10)["size"] == 0


def test_valid_post_redirects_303_to_the_new_page(client, sandbox):
    token = csrf_from(client.get("/postmortems/new").text)
    response = client.post("/postmortems/new", data=form_values(token))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(sandbox.wiki_url + "/spaces/INC/pages/")


def test_invalid_fields_re_render_the_form_with_messages_and_keep_values(client):
    token = csrf_from(client.get("/postmortems/new").text)
    response = client.post("/postmortems/new", data=form_values(token, title="", channel_url="javascript:x"))
    assert response.status_code == 400
    assert "required" in response.text and "must be an http(s) URL" in response.text
    assert 'value="INC-5"' in response.text


def test_submitting_twice_lands_on_the_same_page(client):
    token = csrf_from(client.get("/postmortems/new").text)
    first = client.post("/postmortems/new", data=form_values(token)).headers["Location"]
    second = client.post("/postmortems/new", data=form_values(token)).headers["Location"]
    assert first == second


def test_pages_errors_are_html_not_json(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_redirect_goes_only_to_the_configured_confluence(client, app, monkeypatch):
    from wikibot.create import CreateResult

    services = app.extensions["wikibot"]
    monkeypatch.setattr(services.creator, "create",
                        lambda incident: CreateResult("1", "https://evil.example.net/phish", "t", True))
    token = csrf_from(client.get("/postmortems/new").text)
    response = client.post("/postmortems/new", data=form_values(token))
    assert response.status_code == 502 and "Location" not in response.headers


def test_an_id_colliding_with_another_incident_is_409_beside_the_field(client, sandbox):
    token = csrf_from(client.get("/postmortems/new").text)
    assert client.post("/postmortems/new", data=form_values(token)).status_code == 303
    response = client.post("/postmortems/new", data=form_values(token, incident_id="inc_5"))
    assert response.status_code == 409 and "collides with incident" in response.text

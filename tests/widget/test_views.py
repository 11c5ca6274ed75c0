"""The patron's pages: the ask page, the embed script and the example campus page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_the_ask_page_shows_the_form_and_the_campus_hours(make_campus: Any) -> None:
    make_campus("north")
    page = Client().get("/ask/north/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="prechat"' in html
    assert "In case we get disconnected." in html
    assert "8am–10pm" in html


def test_an_unknown_campus_ask_page_is_404() -> None:
    assert Client().get("/ask/atlantis/").status_code == 404


def test_the_ask_page_may_be_framed_only_by_the_desk_and_embedding_sites(
    make_campus: Any,
) -> None:
    make_campus("north")
    with override_settings(EMBED_ORIGINS=["https://library.example.edu"]):
        from refdesk.core import middleware

        mw = middleware.ContentSecurityPolicyMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
        assert "frame-ancestors 'self' https://library.example.edu" in mw.frame_policy
    page = Client().get("/ask/north/?embed=1")
    assert "X-Frame-Options" not in page.headers
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]


def test_every_other_page_refuses_to_be_framed(make_campus: Any) -> None:
    make_campus("north")
    for url in ("/", "/accounts/login/", "/example/north/"):
        response = Client().get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert "script-src 'self';" in response.headers["Content-Security-Policy"], url


def test_the_page_address_given_to_the_ask_page_loses_its_query_string(
    make_campus: Any,
) -> None:
    make_campus("north")
    html = (
        Client()
        .get("/ask/north/?embed=1&from=https%3A%2F%2Flib.example.edu%2Fhours%3Fsid%3Dsecret")
        .content.decode()
    )
    assert 'data-page-url="https://lib.example.edu/hours"' in html
    assert "secret" not in html


def test_a_hostile_page_address_is_dropped(make_campus: Any) -> None:
    make_campus("north")
    html = Client().get("/ask/north/?from=javascript%3Aalert(1)%22%3E%3Cscript%3E").content.decode()
    assert 'data-page-url=""' in html
    assert "<script>alert" not in html


def test_the_widget_script_is_served_at_a_stable_address() -> None:
    response = Client().get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"attachShadow" in response.content


def test_the_example_campus_page_embeds_the_widget_with_one_tag(make_campus: Any) -> None:
    make_campus("north")
    html = Client().get("/example/north/").content.decode()
    assert '<script src="/widget.js" data-campus="north" async></script>' in html


def test_the_offline_panel_carries_a_labelled_ticket_form_and_no_inline_script(
    make_campus: Any,
) -> None:
    make_campus("north")
    html = Client().get("/ask/north/").content.decode()
    assert 'id="ticket"' in html
    for field in ("ticket-name", "ticket-email", "ticket-question"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}-error"' in html
    assert 'aria-describedby="ticket-name-error"' in html
    assert 'aria-describedby="ticket-email-hint ticket-email-error"' in html
    assert 'aria-describedby="ticket-question-error"' in html
    assert 'id="ticket-email" name="email" type="email"' in html
    assert 'role="status"' in html
    assert "<script>" not in html


def test_the_ask_page_of_its_own_refuses_to_be_framed_even_by_an_embedding_site(
    make_campus: Any, settings: Any
) -> None:
    make_campus("north")
    settings.EMBED_ORIGINS = ["https://library.example.edu"]
    page = Client().get("/ask/north/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    framed = Client().get("/ask/north/?embed=1")
    assert "X-Frame-Options" not in framed.headers
    assert "library.example.edu" in framed.headers["Content-Security-Policy"]


def test_the_ask_page_shows_nothing_of_a_librarians_session(
    make_campus: Any, make_librarian: Any
) -> None:
    make_campus("north")
    client = Client()
    client.force_login(make_librarian("ana").user)
    for url in ("/ask/north/", "/ask/north/?embed=1"):
        html = client.get(url).content.decode()
        assert "Log out" not in html, url
        assert "/console/" not in html, url
        assert "/accounts/logout/" not in html, url
    # The staff pages keep theirs.
    assert "Log out" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "path", ["/static/refdesk/favicon.svg", "/static/refdesk/js/console.js", "/widget.js"]
)
def test_static_files_carry_the_content_security_policy(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy

"""The public web pages over fakes: every page in every language, its headers, its language and its assets.

The helpers at the top (an HTML tree, form posts) serve the other page tests too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.api.pages import site_base
from chalicelib.api.static import CONTENT_SECURITY_POLICY, WEB, digest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fa", "tr", "en")
#: Each page's path under /<lang>/ and the catalog key of its heading.
PAGES = {"": "howto.title", "complain": "complain.title", "status": "status.title", "reply": "reply.title"}
PAGES["feedback"] = "feedback.title"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Text meant to break a page: markup, a bidi override, a word longer than any line, Turkish dotted
#: and dotless i, an emoji, Persian digits.
HOSTILE = "<script>alert(1)</script> \u202eevil\u202c " + "A" * 300 + " İstanbul ılık 🙂 ۱۲۳ <img src=x>"
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


# --- helpers shared by the page tests ------------------------------------------------------------


class Element:
    """An HTML element as the parser met it: enough to find things and read their text."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def words(self) -> str:
        return " ".join(self.text().split())

    def walk(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found += child.walk()
        return found

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.walk()
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        (found,) = [e for e in self.walk() if e.attrs.get("id") == element_id]
        return found

    def has_id(self, element_id: str) -> bool:
        return any(e.attrs.get("id") == element_id for e in self.walk())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        assert node.parent is not None, f"</{tag}> closes the document"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Element:
    builder = _Builder()
    builder.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    builder.close()
    assert builder.current is builder.root, "an element is left open"
    return builder.root


def submit(api: Client, path: str, fields: dict[str, str] | list[tuple[str, str]], **headers: str) -> Any:
    """A browser's form post."""
    return api.http.post(path, headers={**FORM, **headers}, body=urlencode(fields).encode())


def page_of(response: Any, status: int = 200) -> Element:
    assert response.status_code == status, (response.status_code, response.body[:600])
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    return parse(response.body)


def heading(language: str, key: str) -> str:
    return catalog_text(language, key)


def catalog_text(language: str, key: str, **values: Any) -> str:
    from chalicelib.api.render import Texts
    from chalicelib.domain.policy import Language

    return str(Texts(Language(language))(key, **values)).replace("&#39;", "'").replace("&amp;", "&")


# --- every page, every language ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", list(PAGES))
def test_every_page_renders_in_every_language_with_its_language_direction_and_title(
    api: Client, language: str, slug: str
) -> None:
    document = page_of(api.http.get(f"/{language}/{slug}"))
    (html,) = document.all("html")
    assert html.attrs == {"lang": language, "dir": "rtl" if language == "fa" else "ltr"}
    (h1,) = document.all("h1")
    assert h1.words() == heading(language, PAGES[slug])
    (title,) = document.all("title")
    assert title.words() == f"{h1.words()} – {heading(language, 'site.name')}"
    assert document.all("main", id="main")
    assert document.all("header")
    assert document.all("footer")
    first_link = document.all("a")[0]
    assert first_link.attrs["href"] == "#main", "the skip link comes first"
    current = [a for a in document.all("a", class_="primary__link") if a.attrs.get("aria-current") == "page"]
    assert [a.attrs["href"] for a in current] == [f"/{language}/{slug}"]


def test_a_language_home_answers_with_and_without_its_trailing_slash(api: Client) -> None:
    assert api.http.get("/tr").body == api.http.get("/tr/").body


@pytest.mark.parametrize("path", ["/en/", "/fa/complain", "/tr/status", "/de/", "/en/nowhere"])
def test_every_page_carries_the_exact_security_headers(api: Client, path: str) -> None:
    response = api.http.get(path)
    assert {name: response.headers.get(name) for name in PAGE_HEADERS} == PAGE_HEADERS
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [
        ("/assets/site.css", "text/css; charset=utf-8", "static/site.css"),
        ("/assets/site.js", "text/javascript; charset=utf-8", "static/site.js"),
    ],
)
def test_the_assets_are_the_bundled_files_under_the_same_policy_and_kept_for_long(
    api: Client, path: str, content_type: str, name: str
) -> None:
    response = api.http.get(f"{path}?v={digest(name)}")
    assert response.status_code == 200
    assert response.body.decode() == (WEB / name).read_text(encoding="utf-8")
    expected = {**PAGE_HEADERS, "Content-Type": content_type}
    expected["Cache-Control"] = "public, max-age=31536000, immutable"
    assert {n: response.headers.get(n) for n in expected} == expected


def test_pages_load_only_their_own_assets_by_digest_and_nothing_inline(api: Client) -> None:
    html = api.http.get("/en/complain").body.decode()
    assert f'href="/assets/site.css?v={digest("static/site.css")}"' in html
    assert f'src="/assets/site.js?v={digest("static/site.js")}"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    assert not re.search(r"https?://", html), "nothing from another origin"


def test_no_font_file_is_downloaded() -> None:
    css = (WEB / "static/site.css").read_text(encoding="utf-8")
    assert "@font-face" not in css
    assert "url(" not in css


# --- choosing the language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.8", "fa"),
        ("tr-TR,tr;q=0.9", "tr"),
        ("de-DE,de;q=0.9,tr;q=0.5,en;q=0.4", "tr"),
        ("en-GB", "en"),
        ("de, fr", "en"),
        ("", "en"),
        ("fa;q=0, tr;q=0.2", "tr"),
        ("FA", "fa"),
        ("fa;q=nonsense, tr", "tr"),
    ],
)
def test_the_root_sends_a_visitor_to_the_best_language_of_accept_language(
    api: Client, accept_language: str, expected: str
) -> None:
    response = api.http.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{expected}/"
    assert response.headers["Vary"] == "Accept-Language"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_root_without_accept_language_goes_to_english(api: Client) -> None:
    assert api.http.get("/").headers["Location"] == "/en/"


@pytest.mark.parametrize("path", ["/de/", "/de/complain", "/xx/status", "/staff"])
def test_an_unknown_language_is_a_404_page_in_the_visitors_language(api: Client, path: str) -> None:
    document = page_of(api.http.get(path, headers={"Accept-Language": "fa"}), 404)
    assert document.all("html")[0].attrs == {"lang": "fa", "dir": "rtl"}
    assert document.all("h1")[0].words() == heading("fa", "problem.not_found.title")
    homes = {a.attrs["href"] for a in document.by_id("main").all("a")}
    assert {"/fa/", "/tr/", "/en/"} <= homes


def test_an_unknown_page_in_a_known_language_is_a_404_page_in_that_language(api: Client) -> None:
    document = page_of(api.http.get("/tr/nowhere", headers={"Accept-Language": "en"}), 404)
    assert document.all("html")[0].attrs["lang"] == "tr"


def test_the_language_links_lead_to_the_same_page_in_each_language(api: Client) -> None:
    document = parse(api.http.get("/tr/status").body)
    links = document.all("a", class_="languages__link")
    assert [(a.attrs["href"], a.attrs["lang"], a.words()) for a in links] == [
        ("/fa/status", "fa", "فارسی"),
        ("/tr/status", "tr", "Türkçe"),
        ("/en/status", "en", "English"),
    ]
    assert [a.attrs.get("aria-current") for a in links] == [None, "true", None]


@pytest.mark.parametrize(
    ("path", "resource", "base"),
    [
        ("/fa/complain", "/{lang}/{page}", ""),
        ("/api/fa/complain", "/{lang}/{page}", "/api"),
        ("/api/fa/", "/{lang}", "/api"),
        ("/api/", "/", "/api"),
        ("/", "/", ""),
        ("/a b/fa", "/{lang}", ""),
    ],
)
def test_links_follow_the_stage_the_site_is_served_under(path: str, resource: str, base: str) -> None:
    request = SimpleNamespace(context={"path": path, "resourcePath": resource})
    assert site_base(request) == base  # type: ignore[arg-type]


# --- the ISO 10002 7.1 page ----------------------------------------------------------------------


def test_how_to_complain_lists_every_channel_cost_privacy_deadlines_and_recourse(api: Client) -> None:
    document = page_of(api.http.get("/en/"))
    text = document.by_id("main").words()
    for key in ("channel.web", "channel.phone", "channel.fax", "channel.post", "channel.email"):
        assert heading("en", key) in text
    assert heading("en", "channel.social_media") in text
    assert document.has_id("sample-contacts"), "the sample contact details say so"
    assert heading("en", "howto.free.text") in text
    assert heading("en", "howto.privacy.disclosed") in text
    for market in ("IR", "TR"):  # each body named in the page's language alone
        assert catalog_text("en", f"recourse.{market}") in text
    assert "بیمه مرکزی جمهوری" not in text
    rows = [[cell.words() for cell in row.walk() if cell.tag in ("th", "td")] for row in document.all("tr")]
    assert rows == [
        ["Your complaint", "Turkey", "Iran"],
        ["About your health or safety", "1 business day", "1 business day"],
        ["Urgent or important", "5 business days", "5 business days"],
        ["Most other complaints", "10 business days", "10 business days"],
        ["Less urgent complaints", "15 business days", "15 business days"],
    ]
    assert "Saturday to Wednesday: 08:00 to 16:00" in text
    assert "Thursday: 08:00 to 12:00" in text
    assert "Monday to Friday: 09:00 to 18:00" in text
    assert "By law, we answer within 15 business days at the most." in text


def test_how_to_complain_in_persian_writes_persian_digits(api: Client) -> None:
    text = page_of(api.http.get("/fa/")).by_id("main").words()
    assert "۱۵ روز کاری" in text
    assert "شنبه تا چهارشنبه: ساعت ۰۸:۰۰ تا ۱۶:۰۰" in text
    assert "15 روز" not in text


# --- cost at cold start --------------------------------------------------------------------------


def test_jinja2_is_imported_by_the_first_page_only_never_by_the_api_or_at_import() -> None:
    code = """
import json, sys
import app
assert "jinja2" not in sys.modules and "markupsafe" not in sys.modules, "imported with app"
from chalice.test import Client
from chalicelib.bootstrap import Container, install
from tests.conftest import fake_settings, TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock
c = Container(fake_settings()); c.repository = FakeRepository(); c.clock = FixedClock(); install(c)
with Client(app.app) as client:
    answer = client.http.post("/complaints", headers={"Content-Type": "application/json"},
                              body=json.dumps(TURKISH_COMPLAINT))
    code = json.loads(answer.body)["tracking_code"]
    client.http.post("/status", headers={"Content-Type": "application/json"},
                     body=json.dumps({"tracking_code": code}))
    client.http.get("/health")
    assert "jinja2" not in sys.modules, "the JSON API imported jinja2"
    assert client.http.get("/en/").status_code == 200
    assert "jinja2" in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- colours -------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_meet_wcag_aa_contrast_on_their_backgrounds() -> None:
    css = (WEB / "static/site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", css))
    white = "#ffffff"
    pairs = [
        (colours["text"], white),
        (colours["text"], colours["panel"]),
        (colours["muted"], white),
        (colours["muted"], colours["panel"]),
        (colours["link"], white),
        (colours["link"], colours["panel"]),
        (colours["error"], white),
        (white, colours["brand"]),
        (colours["brand"], white),
        (colours["focus-edge"], colours["focus"]),
    ]
    assert all(contrast(fg, bg) >= 4.5 for fg, bg in pairs), [(fg, bg, contrast(fg, bg)) for fg, bg in pairs]
    assert contrast(colours["line"], white) >= 3, "borders of fields and rows"

"""The public pages: what each weighs (HTML, CSS, JS, fonts) and how long the server takes to render it.

Every page in every language is requested in process through Chalice's test
client, over the in-memory fakes of the tests: no network, no store. A page's
weight counts its HTML and every asset it links (stylesheets, scripts and the
fonts the stylesheets name), raw and gzipped. Render time is the median of
`runs` requests; the first request of the process, which imports Jinja2 and
compiles the templates, is reported on its own. Goal: the form page under
100 KB in total, fonts included.

    python -m bench.pages
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from chalicelib.settings import ENVIRONMENT

GOAL_PAGE = "complain"
GOAL_BYTES = 100 * 1024
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LANGUAGES = ("fa", "tr", "en")
#: A complaint as the form sends it, in each language's market.
_FORMS = {
    "fa": {
        "market": "IR",
        "description": "خسارت بدنه من بعد از سه ماه هنوز پرداخت نشده است.",
        "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    },
    "tr": {
        "market": "TR",
        "description": "Kasko hasar talebim gerekçesiz reddedildi.",
        "mobile": "0532 123 45 67",
    },
    "en": {
        "market": "TR",
        "description": "My claim was refused without a reason.",
        "mobile": "+90 532 123 45 67",
    },
}


def _form(language: str, **changes: str) -> bytes:
    sample = _FORMS[language]
    fields = {
        "market": sample["market"],
        "description": sample["description"],
        "contact.mobile": sample["mobile"],
        "consent.contact": "yes",
        **changes,
    }
    return urlencode(fields).encode()


def _client() -> Any:
    """The app over the tests' in-memory fakes."""
    for name in ENVIRONMENT:  # app.py reads its event sources' names at import
        os.environ.setdefault(name, f"bench-{name.lower()}")
    from chalice.test import Client

    from app import app
    from chalicelib.bootstrap import Container, install

    # The tests' own fakes, not a copy; loaded by name, since the benchmarks' type check leaves tests out.
    fakes = importlib.import_module("tests.fakes")
    container = Container()  # its settings come from the environment set above
    container.repository = fakes.FakeRepository()
    container.clock = fakes.FixedClock()
    install(container)
    return Client(app)


def _requests(client: Any, language: str) -> dict[str, Callable[[], Any]]:
    """Each page of a language: a request that shows it (a form post for the answers)."""
    http = client.http
    created = http.post(
        f"/{language}/complain", headers=FORM, body=_form(language, idempotency_key=f"bench-{language}")
    )
    code = re.search(rb'id="tracking-code"><bdi dir="ltr">([^<]+)<', created.body)
    assert code is not None, created.body[:300]
    lookup = urlencode({"tracking_code": code.group(1).decode()}).encode()
    return {
        "how_to_complain": lambda: http.get(f"/{language}/"),
        "complain": lambda: http.get(f"/{language}/complain"),
        "complain_with_errors": lambda: http.post(
            f"/{language}/complain", headers=FORM, body=_form(language, description="short")
        ),
        "confirmation": lambda: http.post(
            f"/{language}/complain", headers=FORM, body=_form(language, idempotency_key=f"bench-{language}")
        ),
        "status": lambda: http.get(f"/{language}/status"),
        "status_result": lambda: http.post(f"/{language}/status", headers=FORM, body=lookup),
        "reply": lambda: http.get(f"/{language}/reply"),
        "feedback": lambda: http.get(f"/{language}/feedback"),
    }


def _sizes(data: bytes) -> dict[str, int]:
    return {"bytes": len(data), "gzip": len(gzip.compress(data, compresslevel=6, mtime=0))}


def _assets(client: Any, html: bytes) -> dict[str, dict[str, int]]:
    """What a page makes the browser fetch: its stylesheets and scripts, and the fonts they name."""
    found: dict[str, dict[str, int]] = {"css": {"bytes": 0, "gzip": 0}, "js": {"bytes": 0, "gzip": 0}}
    found["fonts"] = {"bytes": 0, "gzip": 0}
    for kind, pattern in (
        ("css", rb'<link rel="stylesheet" href="([^"]+)"'),
        ("js", rb'<script src="([^"]+)"'),
    ):
        for url in re.findall(pattern, html):
            body = client.http.get(url.decode()).body
            for key, value in _sizes(body).items():
                found[kind][key] += value
            if kind == "css":
                for font in re.findall(rb"url\(['\"]?([^'\")]+)", body):
                    for key, value in _sizes(client.http.get(font.decode()).body).items():
                        found["fonts"][key] += value
    return found


def _median_ms(request: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        request()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def run(runs: int = 50) -> dict[str, Any]:
    """Weight and render time of every page in every language, and whether the form page meets its goal."""
    client = _client()
    with client:
        start = time.perf_counter()
        first = client.http.get("/en/")
        first_ms = round((time.perf_counter() - start) * 1000, 1)
        assert first.status_code == 200
        pages: dict[str, dict[str, Any]] = {}
        for language in LANGUAGES:
            pages[language] = {}
            for name, request in _requests(client, language).items():
                answer = request()
                html = _sizes(answer.body)
                assets = _assets(client, answer.body)
                pages[language][name] = {
                    "status": answer.status_code,
                    "html": html,
                    **assets,
                    "total_bytes": html["bytes"] + sum(a["bytes"] for a in assets.values()),
                    "total_gzip": html["gzip"] + sum(a["gzip"] for a in assets.values()),
                    "render_ms_median": _median_ms(request, runs),
                }
    heaviest = max(pages[language][GOAL_PAGE]["total_bytes"] for language in LANGUAGES)
    return {
        "runs": runs,
        "first_page_ms": first_ms,
        "pages": pages,
        "goal": {
            "page": GOAL_PAGE,
            "heaviest_total_bytes": heaviest,
            "at_most_bytes": GOAL_BYTES,
            "met": heaviest < GOAL_BYTES,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))

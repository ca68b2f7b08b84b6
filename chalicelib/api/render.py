"""Pages rendered on the server: the message catalogs, and the Jinja2 templates that use them.

Rules:

- Every word a visitor reads comes from a catalog, one JSON file per language
  (chalicelib/web/catalogs/<language>.json) with the same keys and the same
  placeholders in each; an area of the site (the staff console) adds its own
  files beside them (catalogs/<area>/<language>.json). Templates hold markup
  and catalog keys, never words.
- A catalog text is plain text. It is escaped, and so is every value put into
  it, unless the value is markup the code built (a <bdi> around a person's text).
- Numbers put into a text are written in the reader's digits.
- Jinja2 loads on the first page a container renders: the API's routes and
  the event handlers never pay for importing it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.api.static import WEB, digest
from chalicelib.domain.display import digits, direction, local_moment
from chalicelib.domain.policy import Language, Market

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

CATALOGS = WEB / "catalogs"
TEMPLATES = WEB / "templates"


@functools.cache
def catalog(language: Language) -> dict[str, str]:
    """A language's messages, read once per container."""
    messages: dict[str, str] = json.loads((CATALOGS / f"{language.value}.json").read_text(encoding="utf-8"))
    return messages


@functools.cache
def area_catalog(area: str, language: Language) -> dict[str, str]:
    """The messages of one area of the site (catalogs/<area>/<language>.json) with the shared ones.

    An area adds keys of its own; of the shared ones it may reword only a field's
    problems (`error.*`), which read differently on a staff form (a test checks).
    """
    path = CATALOGS / area / f"{language.value}.json"
    own: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return {**catalog(language), **own}


class Texts:
    """One reader's messages: `t(key, **values)` in templates."""

    def __init__(self, language: Language, messages: Mapping[str, str] | None = None) -> None:
        self.language = language
        self.messages = catalog(language) if messages is None else messages

    def __call__(self, key: str, **values: Any) -> Markup:
        """The message `key`, its {placeholders} filled with the values, escaped."""
        from markupsafe import escape

        shown = {name: self._shown(value) for name, value in values.items()}
        return escape(self.messages[key]).format(**shown)

    def __contains__(self, key: str) -> bool:
        return key in self.messages

    def plural(self, key: str, count: int, **values: Any) -> Markup:
        """`key.one` for exactly one, `key.other` for any other count; {count} is filled in."""
        return self(f"{key}.{'one' if count == 1 else 'other'}", count=count, **values)

    def number(self, value: int) -> str:
        return digits(str(value), self.language)

    def time(self, value: dt.time) -> str:
        return digits(value.strftime("%H:%M"), self.language)

    def date(self, instant: dt.datetime, market: Market, *, with_time: bool = False) -> Markup:
        """A day (and time of day) in the market's zone and the reader's calendar and digits."""
        moment = local_moment(instant, market, self.language)
        parts: dict[str, Any] = {
            "day": moment.day,
            "month": self(f"month.{moment.month}"),
            "year": moment.year,
        }
        if not with_time:
            return self("date.day", **parts)
        clock = self.time(dt.time(moment.hour, moment.minute))
        return self("date.time", time=clock, zone=self(f"zone.{market.value}"), **parts)

    def _shown(self, value: Any) -> Any:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return self.number(value)
        return value


def bdi(value: Any, dir: str | None = None) -> Markup:
    """A person's or the policy's text, isolated from the text around it (bidirectional isolation)."""
    from markupsafe import Markup

    if dir is None:
        return Markup("<bdi>{}</bdi>").format(value)
    return Markup('<bdi dir="{}">{}</bdi>').format(dir, value)


@functools.cache
def environment() -> Environment:
    """The template environment: autoescaped, strict about undefined names, built once per container."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["bdi"] = bdi
    env.globals["digest"] = digest
    return env


def render(template: str, texts: Texts, **context: Any) -> str:
    """A page in the reader's language; `context` holds the page's data."""
    return (
        environment()
        .get_template(template)
        .render(t=texts, lang=texts.language.value, dir=direction(texts.language), **context)
    )


def template_names() -> list[str]:
    """Every page template (layouts and macros start with an underscore)."""
    return sorted(p.name for p in Path(TEMPLATES).glob("*.html") if not p.name.startswith("_"))

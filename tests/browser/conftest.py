"""The public pages in a real browser: Debian's Chromium driven by Playwright, against one local stack.

One stack and one browser serve the whole tier; every test gets fresh contexts (no shared
cookies or cache) at a phone's or a desktop's size. Every tab this file opens is watched
for the whole test, and the test fails at teardown when any of these happened:

- a request to anything but the stack's own origin (it is aborted, never sent; the
  browser's own requests, which no route sees, end at a dead loopback proxy);
- a Content-Security-Policy violation (the page's `securitypolicyviolation` event, or
  the console's report of one), a script error, a console error, a dialog (an alert
  would mean injected script ran);
- a tracking code the test saw in any URL or Location header.

Screenshots are kept under .local/screenshots/ (git-ignored), named
<test>-<lang>-<size>[-<step>].png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, Devstack

CHROMIUM = Path("/usr/bin/chromium")
#: Headless Chromium as a sandboxed CI runs it, and kept off every network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Everything but 127.0.0.1 goes to a proxy on a loopback port where nothing listens, so that even
#: a request of the browser's own, which no route sees, fails without leaving the machine.
DEAD_END_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"}
SIZES: dict[str, dict[str, Any]] = {
    "mobile": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
LANGUAGES = ("fa", "tr", "en")
#: axe-core runs at a phone's size only, where a policyholder most often is: its rules read the
#: same markup and colours at both sizes, and each run costs a few hundred milliseconds.
AXE_SIZES = frozenset({"mobile"})
SCREENSHOTS = REPO / ".local" / "screenshots"
#: axe-core rules: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
#: The console's own words for a response with an error status: expected after a refused form.
_STATUS_LINE = re.compile(r"^Failed to load resource: the server responded with a status of ([0-9]{3})\b")
#: The statuses a refused form answers with, expected in every tab (a test may expect more).
EXPECTED_STATUSES = frozenset({404, 409, 422})
_CSP_REPORT = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolation({directive: event.violatedDirective, blocked: event.blockedURI,
                         source: event.sourceFile, line: event.lineNumber, sample: event.sample});
});
"""


def ensure_chromium() -> None:
    """Debian's Chromium, installed with apt-get when missing (as root, as CI runs); else skip."""
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(
            f"{CHROMIUM} is missing and cannot be installed here: run `apt-get install -y chromium` "
            "as root (CI runs as root and installs it itself)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "chromium"]  # with its recommended fonts
    if subprocess.run(install, env=env, check=False).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    assert CHROMIUM.exists(), f"the chromium package did not install {CHROMIUM}"


@dataclass
class Site:
    """The running stack and the one browser of the session."""

    stack: Devstack
    browser: Any

    @property
    def url(self) -> str:
        return self.stack.api_url

    @property
    def staff_password(self) -> str:
        """The demo staff users' one password, as the stack wrote it into its stack.json."""
        stack = json.loads((self.stack.local_dir / "stack.json").read_text(encoding="utf-8"))
        return str(stack["demo_password"])

    def outbox(self) -> list[dict[str, Any]]:
        path = self.stack.local_dir / "outbox.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One local stack and one headless Chromium for the whole tier, started side by side."""
    stack = Devstack(tmp_path_factory.mktemp("browser") / "local")
    try:
        ensure_chromium()
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, proxy=DEAD_END_PROXY
            )
            try:
                stack.wait_until_healthy(timeout=90)
                yield Site(stack, browser)
            finally:
                browser.close()
    finally:
        stack.kill()


@dataclass
class Tab:
    """One browser context and its page, watched for everything the tier forbids."""

    site: Site
    context: Any
    page: Any
    name: str
    lang: str
    size: str
    javascript: bool
    codes: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    csp: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    #: The error statuses whose "Failed to load resource" console line is expected (a refusal shown).
    statuses: set[int] = field(default_factory=lambda: set(EXPECTED_STATUSES))

    def url(self, path: str = "") -> str:
        return f"{self.site.url}/{self.lang}/{path}"

    def goto(self, path: str = "") -> None:
        self.page.goto(self.url(path))

    def follow(self, selector: str) -> None:
        """Click a link or a send button and wait for the next page to load, its style sheet too."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def focused(self) -> str:
        """The id of the focused element ('' when it has none)."""
        return str(self.page.evaluate("document.activeElement ? document.activeElement.id : ''"))

    def shot(self, step: str = "") -> Path:
        """A screenshot under .local/screenshots/: the whole page on a phone, the window on a desktop.

        (A desktop page in full is a large image to encode, and its top shows the layout.)
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        suffix = f"-{step}" if step else ""
        path = SCREENSHOTS / f"{self.name}-{self.lang}-{self.size}{suffix}.png"
        self.page.screenshot(path=str(path), full_page=self.size == "mobile")
        return path

    def audit(self, step: str, axe: bool | None = None) -> None:
        """The page now: its language and direction, nothing wider than the screen, axe-core, a screenshot.

        axe-core runs at the sizes of AXE_SIZES unless told otherwise.
        """
        axe = self.size in AXE_SIZES if axe is None else axe
        page = self.page
        page.wait_for_load_state()
        lang, direction = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
        assert (lang, direction) == (self.lang, "rtl" if self.lang == "fa" else "ltr"), step
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{step}: the page is {widths[0]} px wide in a {widths[1]} px window"
        if axe:
            assert self.javascript, "axe-core runs as a script in the page: not in a tab without JavaScript"
            self.accessibility += [f"{step}: {line}" for line in run_axe(page)]
        self.shot(step)

    def close(self) -> None:
        self.context.close()

    def problems(self) -> list[str]:
        """Everything this tab saw that the tier forbids."""
        found = [f"a request off the stack's origin, aborted: {url}" for url in self.stray]
        found += [f"Content-Security-Policy violation: {v}" for v in self.csp]
        found += self.errors
        found += [f"axe-core: {line}" for line in self.accessibility]
        for code in self.codes:
            forms = {code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()}
            found += [f"the tracking code is in a URL: {u}" for u in self.urls if any(f in u for f in forms)]
        return found


_AXE: Any = None


def run_axe(page: Any) -> list[str]:
    """axe-core's violations on the page, one line each (none is the goal)."""
    global _AXE
    if _AXE is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE = Axe()
    response = _AXE.run(page, options=AXE_OPTIONS).response
    lines = []
    for violation in response["violations"]:
        for node in violation["nodes"]:
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"{violation['id']} ({violation['impact']}) at {node['target']}: {summary}")
    return lines


OpenTab = Callable[..., Tab]


@pytest.fixture
def open_tab(site: Site, request: pytest.FixtureRequest) -> Iterator[OpenTab]:
    """Open watched tabs: open_tab(lang, size, javascript=True); checked and closed after the test."""
    tabs: list[Tab] = []
    origin = site.url
    test_name = request.node.originalname.removeprefix("test_")

    def open_one(lang: str, size: str, *, javascript: bool = True) -> Tab:
        context = site.browser.new_context(
            **SIZES[size], java_script_enabled=javascript, locale=lang, service_workers="block"
        )
        if javascript:
            context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        tab = Tab(site, context, page, test_name, lang, size, javascript)

        def guard(route: Any) -> None:
            url = route.request.url
            if url == origin or url.startswith(origin + "/"):
                route.continue_()
            else:
                tab.stray.append(url)
                route.abort()

        context.route("**/*", guard)
        context.expose_binding("__cspViolation", lambda _source, detail: tab.csp.append(detail))
        context.add_init_script(_CSP_REPORT)

        def on_response(response: Any) -> None:
            location = response.headers.get("location")
            if location:
                tab.urls.append(location)

        def on_console(message: Any) -> None:
            text = message.text
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                tab.csp.append(text)
            elif message.type == "error":
                status = _STATUS_LINE.match(text)
                if status is None or int(status.group(1)) not in tab.statuses:
                    tab.errors.append(f"console error: {text}")

        def on_dialog(dialog: Any) -> None:
            tab.errors.append(f"a dialog opened ({dialog.type}): {dialog.message}")
            dialog.dismiss()

        context.on("request", lambda req: tab.urls.append(req.url))
        context.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: tab.errors.append(f"script error: {error}"))
        page.on("dialog", on_dialog)
        tabs.append(tab)
        return tab

    yield open_one
    problems: list[str] = []
    for tab in tabs:
        tab.urls.append(tab.page.url)
        problems += [f"{tab.lang}-{tab.size}: {p}" for p in tab.problems()]
        tab.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def wait_for_message(site: Site, code: str, timeout: float = 60.0) -> dict[str, Any]:
    """The acknowledgement the stack sent for a code, from its outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [m for m in site.outbox() if m.get("tracking_code") == code]
        if sent:
            return sent[0]
        time.sleep(0.25)
    pytest.fail(f"no message for {code} in the outbox within {timeout:.0f} s:\n{site.stack.output[-3000:]}")

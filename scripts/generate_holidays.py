"""Write chalicelib/domain/holidays.json from the `holidays` package.

The Lambda never imports `holidays` (it costs about 150 ms of cold start for
IR and TR); it reads the table this script writes. Run it through
`make holidays` when the package is upgraded or the covered years must move
on. The output is deterministic: running it twice gives identical bytes.

Only full-day public holidays are written. Turkey's half days (the afternoon
of October 28 and of each bayram eve, category HALF_DAY in the package) are
left out on purpose: a half day still counts as a business day.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import holidays
from holidays.constants import PUBLIC

MARKETS = ("IR", "TR")
FIRST_YEAR = 2024
LAST_YEAR = 2035
OUTPUT = Path(__file__).resolve().parent.parent / "chalicelib" / "domain" / "holidays.json"


def market_holidays(market: str, first_year: int, last_year: int) -> dict[str, str]:
    """Full-day public holidays of one market, ISO date to English name."""
    table = holidays.country_holidays(
        market,
        years=range(first_year, last_year + 1),
        categories=(PUBLIC,),
        language="en_US",
    )
    return {day.isoformat(): str(name) for day, name in sorted(table.items())}


def build_table(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> dict[str, Any]:
    """The whole JSON document, as a plain dict."""
    document: dict[str, Any] = {market: market_holidays(market, first_year, last_year) for market in MARKETS}
    document["generated_with"] = f"holidays {metadata.version('holidays')}"
    document["years"] = [first_year, last_year]
    return document


def render(document: dict[str, Any]) -> str:
    """Serialise the table the one way the repository keeps it."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the file on disk differs from what would be written",
    )
    args = parser.parse_args(argv)
    text = render(build_table())
    output: Path = args.output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is out of date; run `make holidays`", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""html_to_text stays linear on what made html.parser quadratic, and keeps its output."""

from __future__ import annotations

import time

import pytest

from abusebox.parsing.text import html_to_text

# Each of these took from seconds to minutes in html.parser.HTMLParser (Python 3.11).
PATHOLOGICAL = {
    "unclosed_start_tags": "<a " * 50_000,
    "unclosed_slash": "<a/" * 50_000,
    "unclosed_quotes": '<a b="' * 50_000,
    "unclosed_comments": "<!--" * 50_000,
    "conditional_comments": "<!--[if mso]>" * 30_000,
    "end_tags_with_attributes": '</a b="' * 50_000,
    "processing_instructions": "<?" * 50_000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_markup_is_fast(name: str) -> None:
    started = time.monotonic()
    html_to_text("<p>203.0.113.9</p>" + PATHOLOGICAL[name])
    assert time.monotonic() - started < 1.0


def test_text_tables_entities_and_skipped_elements() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body onload=x()>"
        "<p>a &amp; b<br>c</p><!-- hidden 198.51.100.1 --><script>var s = '<p>198.51.100.2</p>';</script>"
        "<table><tr><th>ip</th><th>port</th></tr><tr><td> 203.0.113.9 </td><td>22</td></tr></table>"
        "<p title='a>b'>x < y &lt;z&gt;</p><SCRIPT>unclosed"
    )
    assert html_to_text(html) == "a & b\nc\n\nip\tport\n203.0.113.9\t22\n\nb'>x < y <z>"


def test_unclosed_script_hides_the_rest() -> None:
    assert html_to_text("<p>seen</p><script>alert('198.51.100.1')") == "seen"

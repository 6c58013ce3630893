"""safe_text: any user text becomes Markdown that shows exactly that text (issue 14)."""

from __future__ import annotations

import re

import pytest

from geo.text import WORD_JOINER, safe_html, safe_text

PAYLOADS = [
    "![b](http://127.0.0.1:9/x.png)",
    '<img src="http://127.0.0.1:9/x.png">',
    "[click](javascript:alert(1))",
    ":red[alarm] :material/warning: $x^2$",
    "# heading\n- list\n1. item\n    code block",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "www.example.com and someone@example.org",
    "Park & Ride &amp; <b>bold</b> **bold** _it_ `code` ~~gone~~",
    "Caf\u00e9 \\ backslash",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_every_markdown_character_is_escaped_and_nothing_is_lost(text):
    shown = safe_text(text)
    # Every ASCII punctuation character is backslash-escaped (CommonMark: then always literal).
    assert not re.search(r"(?<!\\)(?:\\\\)*[!\"#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]", shown)
    # Unescaping gives the text back (less indentation, which would make a code block).
    back = re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "")
    assert back == re.sub(r"(?m)^[ \t]+", "", text)


def test_addresses_cannot_become_links():
    shown = safe_text("http://a.b/c www.d.e f@g.h")
    assert "http" + WORD_JOINER in shown
    assert "www" + WORD_JOINER in shown
    assert "@" + WORD_JOINER in shown


def test_control_characters_are_dropped_and_long_text_cut():
    assert safe_text("a\x00b\x1bc") == "abc"
    assert safe_text("abcdef", max_chars=4) == "abc…"
    assert safe_text(None) == ""


def test_html_is_escaped_for_popups():
    assert safe_html("<script>'\"&") == "&lt;script&gt;&#x27;&quot;&amp;"

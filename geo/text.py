"""User text shown as text: never as Markdown, never as HTML.

Streamlit renders Markdown (and a few directives: colours, icons, LaTeX) in ``st.markdown``,
``st.caption``, ``st.info``/``st.success``/``st.warning``/``st.error``, widget labels, radio
options, tab and expander labels. A site name, a reason or a category such as
``![b](http://host/x.png)`` would make the browser fetch that address. ``safe_text`` escapes
every character Markdown or Streamlit's directives give a meaning, so the text shows as typed.
Folium popups and tooltips are HTML: they use ``html.escape`` (``safe_html`` here).
"""

from __future__ import annotations

import html
import re

__all__ = ["WORD_JOINER", "safe_html", "safe_text"]

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is
# always literal. Escaping them all also stops Streamlit's ``:red[...]`` / ``:material/x:``
# directives and ``$...$`` LaTeX, GitHub autolinks and tables.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_START = re.compile(r"(?m)^[ \t]+")
# GitHub-flavoured Markdown turns ``http://...``, ``www.`` and e-mail addresses in plain text into
# links even when escaped; an invisible word joiner (U+2060) breaks the pattern, not the words.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www|xmpp)(?=\\?[:.])|(@)")
WORD_JOINER = "\u2060"


def safe_text(value: object, *, max_chars: int | None = None) -> str:
    r"""Return ``value`` as Markdown that displays exactly as plain text.

    Parameters
    ----------
    value
        Any user-supplied value (``None`` becomes an empty string).
    max_chars
        Cut the text (before escaping) to this many characters, ending with an ellipsis.

    Examples
    --------
    >>> safe_text("![b](ftp://host/x.png)").replace(WORD_JOINER, "")
    '\\!\\[b\\]\\(ftp\\:\\/\\/host\\/x\\.png\\)'
    >>> safe_text("Park & Ride")
    'Park \\& Ride'
    """
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max(0, max_chars - 1)] + "…"
    text = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    # Leading spaces would start a code block; keep the words, drop the indent.
    return _LINE_START.sub("", text)


def safe_html(value: object) -> str:
    """Return ``value`` escaped for HTML (quotes included), for popups and tooltips.

    Examples
    --------
    >>> safe_html('<img src="http://host/x.png">')
    '&lt;img src=&quot;http://host/x.png&quot;&gt;'
    """
    return html.escape("" if value is None else str(value), quote=True)

"""The HTML alternative of a plain-text message, for webmail.

Made from the plain text itself (the outbox stores one body), so both alternatives always say
the same. Kept to what webmail keeps: one layout table, inline styles only, no images, fonts
or other external resources, every character of the text escaped; web addresses become links.
"""

from __future__ import annotations

import html
import re

_URL = re.compile(r"https?://[^\s<>\"']+")
_NUMBERED = re.compile(r"^\d+\. ")

_BODY_STYLE = "margin:0;padding:0;background-color:#ffffff;"
_TABLE_STYLE = (
    "max-width:640px;font-family:Arial,Helvetica,sans-serif;font-size:15px;"
    "line-height:1.5;color:#0b0c0c;"
)
_LINE_STYLE = "margin:0;"
_INDENTED_STYLE = "margin:0;padding-left:24px;"
_HEADING_STYLE = "margin:12px 0 0 0;font-weight:bold;"
_GAP_STYLE = "margin:0;height:12px;line-height:12px;"
_LINK_STYLE = "color:#1d70b8;text-decoration:underline;"


def _inline(text: str) -> str:
    """One line, escaped, its web addresses made links (the address is the link's text)."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;)")
        end = match.start() + len(url)
        parts.append(html.escape(text[position : match.start()]))
        parts.append(f'<a href="{html.escape(url)}" style="{_LINK_STYLE}">{html.escape(url)}</a>')
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _line(text: str) -> str:
    if not text.strip():
        return f'<p style="{_GAP_STYLE}">&nbsp;</p>'
    if text.startswith(" "):
        return f'<p style="{_INDENTED_STYLE}">{_inline(text.strip())}</p>'
    if _NUMBERED.match(text):
        return f'<p style="{_HEADING_STYLE}">{_inline(text)}</p>'
    return f'<p style="{_LINE_STYLE}">{_inline(text)}</p>'


def html_of(*, subject: str, text: str) -> str:
    """The HTML document showing `text` line by line (indented lines indented, numbered
    items in bold), with `subject` as its title."""
    lines = "\n".join(_line(line) for line in text.strip("\n").split("\n"))
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(subject)}</title>\n</head>\n"
        f'<body style="{_BODY_STYLE}">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="{_TABLE_STYLE}">\n<tr><td style="padding:16px;">\n{lines}\n</td></tr>\n'
        "</table>\n</body>\n</html>\n"
    )

"""The report as Markdown: the `md` download, and the preview the web report page shows
(web/pages/reports.py turns it into HTML)."""

from __future__ import annotations

from reports.snapshot import ReportSnapshot


def _escape(text: str) -> str:
    """Keep "- …" and "1. …" lines of the office's text as plain text, not Markdown lists."""
    if text.startswith(("- ", "+ ", "* ")):
        return "\\" + text
    head, dot, _ = text.partition(". ")
    if dot and head.isdigit():
        return text.replace(". ", "\\. ", 1)
    return text


def render_markdown(snapshot: ReportSnapshot) -> str:
    """The report as Markdown (a snapshot read with `from_stored` holds no control character
    the text rule refuses: a lone surrogate could not even be encoded)."""
    header = snapshot.header
    # The left column's lines: the parent body above the issuing body, or the issuing body
    # alone at the top (a unit with no parent body, such as a province), as the DOCX has them.
    bodies = [f"**{header.issuing_body}**"]
    if header.parent_body:
        bodies.insert(0, header.parent_body)
    else:
        bodies.append("")
    lines = [
        "| | |",
        "|:---:|:---:|",
        f"| {bodies[0]} | **CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM** |",
        f"| {bodies[1]} | **Độc lập - Tự do - Hạnh phúc** |",
        f"| {header.number_line} | *{header.place_date}* |",
        "",
        f"## {header.document_type}",
        "",
        f"**{header.summary}**",
        "",
    ]
    if header.addressee:
        lines += [f"Kính gửi: {header.addressee}", ""]
    for block in snapshot.blocks:
        if block.kind == "heading":
            marks = "###" if block.level == 1 else "####"
            lines += [f"{marks} {block.text}", ""]
        elif block.kind == "chart":
            lines += [f"*{block.text}: xem bản DOCX và phụ lục XLSX.*", ""]
        else:
            lines += [_escape(block.text), ""]
    lines += ["**_Nơi nhận:_**", ""]
    recipients = snapshot.recipients
    for index, name in enumerate(recipients):
        lines.append(f"- {name}{'.' if index == len(recipients) - 1 else ';'}")
    lines.append("")
    signature = snapshot.signature
    for line in (signature.authority, signature.deputy, signature.title):
        if line:
            lines += [f"**{line.upper()}**  "]
    lines += ["", "*(Đã ký)*" if snapshot.issued else "", ""]
    if signature.name:
        lines += [f"**{signature.name}**", ""]
    return "\n".join(lines)

"""Lists of experts pasted or uploaded: one expert per line, columns split on tabs
(pasted from Excel), commas (also Chinese ，) or spaces, the e-mail address
recognised wherever it stands; files as .xlsx or CSV/text in UTF-8 or GBK
(``webapp/services/uploads.py``). Errors name the line; nothing is added unless
every line is good (``panel.add_experts``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from webapp.models import Study, StudyGroup
from webapp.services import groups, uploads
from webapp.services.inputs import clean_line
from webapp.services.panel import MAX_LIST_LINES, PanelError, check_contact


@dataclass
class ParsedExpert:
    line: int
    name: str
    email: str | None
    organisation: str
    group: StudyGroup | None = None


_HEADER_WORDS = {"name", "姓名", "名字", "专家", "expert", "email", "e-mail", "邮箱", "电子邮箱", "电子邮件"}
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff\u00b7·]+$")


def decode_list(raw: bytes, filename: str | None = None) -> str:
    """An uploaded list as text: .xlsx rows become tab-separated lines; CSV/text is
    decoded as UTF-8, else GBK/GB18030."""
    try:
        return uploads.table_text(filename, raw, delimiter="\t")
    except uploads.UploadError as exc:
        raise PanelError(str(exc)) from exc


def _is_email_like(cell: str) -> bool:
    return "@" in cell and not any(ch.isspace() for ch in cell)


def _space_cells(line: str, parse_group) -> list[str]:
    """A line without tabs or commas: ``王芳 wang@example.org 复旦大学`` → name, e-mail,
    organisation. Without an e-mail: runs of two or more spaces separate the columns,
    else a Chinese name (no spaces) is the first word; otherwise the line is a name."""
    tokens = line.split()
    at = next((i for i, token in enumerate(tokens) if _is_email_like(token.strip("<>;,()"))), None)
    if at is not None:
        rest = tokens[at + 1:]
        group = rest.pop() if len(rest) > 1 and parse_group(rest[-1]) is not None else ""
        return [" ".join(tokens[:at]), tokens[at].strip("<>;,()"), " ".join(rest), group]
    parts = [p for p in re.split(r"\s{2,}", line.strip()) if p]
    if len(parts) > 1:
        return [parts[0], ""] + parts[1:]
    if len(tokens) > 1 and _CJK_ONLY.match(tokens[0]):
        return [tokens[0], "", " ".join(tokens[1:])]
    return [line.strip()]


def _comma_cells(line: str) -> list[str] | None:
    """A comma-separated line with an e-mail inside a list split on tabs (lines pasted from
    different sources): its cells, or None if it is not one."""
    cells = [c.strip() for c in re.split(r"[,，]", line)]
    if len(cells) > 1 and any(_is_email_like(c) for c in cells):
        return cells
    return None


def _columns(cells: list[str]) -> list[str]:
    """Cells in any order with the e-mail anywhere → [name, e-mail, organisation, group …]."""
    at = next((i for i, cell in enumerate(cells) if _is_email_like(cell)), None)
    if at is None:
        if len(cells) > 1 and cells[1] == "":
            return cells  # positional: the e-mail column left empty
        return cells[:1] + [""] + cells[1:]
    email = cells[at]
    rest = cells[:at] + cells[at + 1:]
    return rest[:1] + [email] + rest[1:]


def parse_expert_list(text: str, study: Study) -> list[ParsedExpert]:
    """One expert per line: name, e-mail, organisation[, group]. Blank lines and a header
    line are ignored; CSV quoting is allowed. The group is one of ``study``'s groups, named
    by its code or either name."""
    known = groups.groups_of(study)

    def parse_group(text: str) -> StudyGroup | None:
        return groups.match(study, text, known)

    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        delimiter = "\t"
    elif "," not in text and "，" in text:
        delimiter = "，"  # a list typed with Chinese commas
    else:
        delimiter = ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    entries: list[ParsedExpert] = []
    seen: dict[str, int] = {}
    try:
        for cells in rows:
            line = rows.line_num
            cells = [clean_line(c).strip() for c in cells]
            if not any(cells):
                continue
            if not entries and (cells[0].lower() in _HEADER_WORDS
                                or (len(cells) > 1 and cells[1].lower() in _HEADER_WORDS)):
                continue
            where = _("Line %(line)s", line=line)
            if len(cells) == 1 and (split := _comma_cells(cells[0])) is not None:
                cells = _columns(split)
            elif len(cells) == 1:
                cells = _space_cells(cells[0], parse_group)
            else:
                cells = _columns(cells)
            while len(cells) > 4 and cells[-1] == "":
                cells.pop()
            if len(cells) > 4:
                raise PanelError(_("%(where)s has %(n)s columns; expected name, e-mail, organisation "
                                   "and optionally the group.", where=where, n=len(cells)))
            cells += [""] * (4 - len(cells))
            name, email, organisation, group_text = cells
            email = email or None
            check_contact(name, email, organisation, where)
            group = parse_group(group_text)
            if group_text and group is None:
                raise PanelError(_("%(where)s: unknown group “%(group)s”; use one of the study's groups: "
                                   "%(codes)s.", where=where, group=group_text[:40],
                                   codes=", ".join(g.code for g in known) or "–"))
            if email:
                key = email.lower()
                if key in seen:
                    raise PanelError(_("%(where)s: the e-mail %(email)s already appears on line %(other)s.",
                                       where=where, email=email, other=seen[key]))
                seen[key] = line
            entries.append(ParsedExpert(line, name, email, organisation, group))
            if len(entries) > MAX_LIST_LINES:
                raise PanelError(_("A list may add at most %(n)s experts at once.", n=MAX_LIST_LINES))
    except csv.Error as exc:
        raise PanelError(_("Line %(line)s cannot be read: %(reason)s", line=rows.line_num, reason=str(exc))) from exc
    if not entries:
        raise PanelError(_("The list is empty: write one expert per line."))
    return entries

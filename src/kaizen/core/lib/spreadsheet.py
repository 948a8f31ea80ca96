"""Tables exported as CSV (UTF-8 with BOM, for Excel) or XLSX, safe to open in a spreadsheet.

Pure helpers shared by the exports of the domains (SLA reports, the problem debt list): text a
spreadsheet would run as a formula is neutralised, numbers and times stay numbers and times.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


@dataclass
class Table:
    """One exported table: a sheet of the workbook, or a CSV file."""

    name: str
    title: str
    headers: list[str]
    formats: list[str]
    """Per column: ``text``, ``int``, ``percent``, ``minutes``, ``datetime`` or ``date``."""
    rows: list[list[Any]] = field(default_factory=list)


def neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula (``=cmd|...``) with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_CSV_FORMATS: dict[str, Callable[[Any], Any]] = {
    "percent": lambda v: f"{v:.2f}",
    "minutes": lambda v: f"{v:.1f}",
    "datetime": lambda v: f"{v:%Y-%m-%d %H:%M}",
    "date": lambda v: f"{v:%Y-%m-%d}",
}


def as_csv(table: Table) -> str:
    """Return one table as CSV text, UTF-8 with BOM for Excel; formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(
            [
                "" if v is None else neutralise(_CSV_FORMATS.get(kind, lambda x: x)(v))
                for v, kind in zip(row, table.formats, strict=True)
            ]
        )
    return "\ufeff" + buffer.getvalue()


_XLSX_FORMATS = {
    "percent": "0.00",
    "minutes": "0.0",
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "int": "0",
}


def as_xlsx(all_tables: Sequence[Table]) -> bytes:
    """Return a workbook with one sheet per table: bold header row, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in all_tables:
        sheet = book.create_sheet(title="".join(c for c in table.title if c not in "[]:*?/\\")[:31])
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            sheet.append(row)
            for cell, kind in zip(sheet[sheet.max_row], table.formats, strict=True):
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
                elif kind in _XLSX_FORMATS and cell.value is not None:
                    cell.number_format = _XLSX_FORMATS[kind]
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) * 2 + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

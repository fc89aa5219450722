"""Reading a bulk CSV file: encoding, header, rows and the limits that refuse a file whole.

Encodings: a UTF-8 byte-order mark → UTF-8 (BOM dropped); otherwise valid UTF-8 → UTF-8; otherwise
Shift_JIS as Windows writes it (CP932, which has ①, 髙 and the other NEC/IBM characters). A file that
is none of these is refused naming the first line that cannot be read. The first record is the
header: the Japanese column names of the layout or the API field names. Row numbers are the file's
record numbers with the header as row 1 (what Excel shows). Completely empty records (blank lines,
Excel's trailing `,,,`) are skipped and not counted.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from switchhub.hub.bulk.columns import Layout
from switchhub.kernel.errors import FieldIssue, InputError, PayloadTooLarge

MAX_BYTES = 5_000_000  # the file itself (docs/bulk.md)
MAX_ROWS = 10_000  # data rows, the header not counted
BOM = b"\xef\xbb\xbf"


class FileRefused(InputError):
    """The whole file is refused before any row is looked at (nothing is validated or stored)."""

    code = "bulk_file_refused"
    title_ja = "ファイルを受け付けられません"
    title_en = "The file cannot be accepted"


def refuse(reason: str, ja: str, en: str) -> FileRefused:
    return FileRefused(ja, en, errors=[FieldIssue("file", reason, ja, en)], code="bulk_file_refused",
                       extra={"reason": reason})


@dataclass(frozen=True)
class Row:
    number: int  # the file's record number (header = 1)
    values: dict[str, str]  # API field → cell text (stripped); empty cells left out


@dataclass(frozen=True)
class ParsedFile:
    encoding: str
    columns: list[str]  # API field names in file order
    rows: list[Row]


def decode(raw: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read in ("utf-8-sig", "utf-8" or "cp932")."""
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"ファイルが大きすぎます（上限 {MAX_BYTES:,} バイト、このファイルは {len(raw):,} バイト）",
                              f"The file is larger than {MAX_BYTES:,} bytes ({len(raw):,})",
                              code="bulk_file_too_large")
    if raw.startswith(BOM):  # decoded without the mark, so error positions count from after it
        raw, candidates = raw[len(BOM):], ("utf-8",)
    else:
        candidates = ("utf-8", "cp932")
    error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return raw.decode(encoding), "utf-8-sig" if len(candidates) == 1 else encoding
        except UnicodeDecodeError as exc:
            # the encoding that read further is the file's own: its error names the line to fix
            error = exc if error is None or exc.start > error.start else error
    assert error is not None
    line = raw[:error.start].count(b"\n") + 1
    names = "UTF-8（BOM付き）として" if len(candidates) == 1 else "UTF-8 でも Shift_JIS（CP932）でも"
    raise refuse("encoding", f"{line} 行目に、{names}読めない文字があります。"
                             "ファイルは Shift_JIS（CP932）または UTF-8 で保存してください",
                 f"Line {line} cannot be read as {'UTF-8' if len(candidates) == 1 else 'UTF-8 or CP932'};"
                 " save the file as Shift_JIS (CP932) or UTF-8")


def _header_name(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip().replace(" ", "")


def read(raw: bytes, layout: Layout) -> ParsedFile:
    """Decode and split the file; refused whole (FileRefused / 413) on any of the file's limits."""
    if not raw.strip(BOM + b" \r\n\t"):
        raise refuse("empty", "ファイルが空です", "The file is empty")
    text, encoding = decode(raw)
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise refuse("nul_character", f"{line} 行目に使用できない文字（NUL）があります",
                     f"Line {line} contains a NUL character")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        raise refuse("csv_format", f"{reader.line_num} 行目の形式が正しくありません（引用符 \" の対応など）",
                     f"Line {reader.line_num} is not valid CSV ({exc})") from None
    first = next((i for i, (_, r) in enumerate(records) if any(c.strip() for c in r)), None)
    if first is None:
        raise refuse("empty", "ファイルが空です", "The file is empty")
    columns = _columns(records[first][1], layout)
    rows: list[Row] = []
    for number, (_, record) in enumerate(records[first + 1:], start=first + 2):
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(columns):
            raise refuse("column_count", f"{number} 行目の列の数が {len(record)} です（見出し行は {len(columns)} 列）",
                         f"Row {number} has {len(record)} columns; the header has {len(columns)}")
        if len(rows) == MAX_ROWS:
            raise refuse("too_many_rows", f"データ行が {MAX_ROWS:,} 行を超えています（上限 {MAX_ROWS:,} 行）。"
                                          "ファイルを分けてください",
                         f"More than {MAX_ROWS:,} data rows; split the file")
        rows.append(Row(number, {f: c.strip() for f, c in zip(columns, record) if c.strip()}))
    if not rows:
        raise refuse("no_rows", "データ行がありません（見出し行だけのファイルです）", "The file has no data rows")
    return ParsedFile(encoding, columns, rows)


def _columns(cells: list[str], layout: Layout) -> list[str]:
    columns: list[str] = []
    by_name = layout.by_header()
    for i, cell in enumerate(cells, start=1):
        name = _header_name(cell)
        field = by_name.get(name) or by_name.get(name.lower())
        if field is None:
            raise refuse("unknown_column", f"見出し行の {i} 列目「{cell.strip()[:40]}」は{layout.title}の列ではありません"
                                           f"（列の一覧は {layout.doc} を参照）",
                         f"Column {i} '{cell.strip()[:40]}' is not a column of this file kind")
        if field in columns:
            raise refuse("duplicate_column", f"見出し行に「{layout.label(field)}」の列が2つあります",
                         f"The header names the column {field} twice")
        columns.append(field)
    missing = [f for f in layout.required if f not in columns]
    if missing:
        names = "、".join(layout.label(f) for f in missing)
        raise refuse("missing_column", f"見出し行に必須の列がありません: {names}", f"Required columns missing: {missing}")
    return columns

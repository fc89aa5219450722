"""Downloaded metering files (metering.md) and their parsing, without any server code.

A file comes as a ZIP holding one XML (30-minute and monthly files) or one CSV (the forms C01–C03),
or as its JSON rendering. The XML is read by the project's own streaming reader
(`switchhub.area.metering.reader`: standard library XML plus the contract's enums, no server imports;
tests/client/test_isolation.py proves it), which returns typed records with `Decimal` values.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from switchhub.client.errors import SwitchhubClientError


class MeteringParseError(SwitchhubClientError):
    """The bytes are not a metering file this client can read."""


@dataclass(frozen=True)
class DownloadedFile:
    file_id: str
    format: str  # "zip" | "json"
    name: str
    revision: int | None
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def parse(self) -> Any:
        return parse_metering(self.content, self.format)


@dataclass(frozen=True)
class CsvForm:
    """A CSV form (C01–C03): the inner file name, its header row and its rows as dicts."""
    name: str
    columns: list[str]
    rows: list[dict[str, str]]


def parse_metering(content: bytes, format: str = "zip") -> Any:
    """ZIP with XML → `Document` (header + points, `switchhub.area.metering.model`); ZIP with CSV →
    `CsvForm`; JSON → the decoded object."""
    if format == "json":
        data = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
        return json.loads(data)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            names = zf.namelist()
            if len(names) != 1:
                raise MeteringParseError(f"計量データの ZIP にはファイルが1つだけ入ります ({names})")
            inner = names[0]
            if inner.endswith(".csv"):
                text = zf.read(inner).decode("utf-8-sig")
                reader = csv.reader(io.StringIO(text, newline=""))
                columns = next(reader, [])
                return CsvForm(inner, columns, [dict(zip(columns, row)) for row in reader if row])
    except zipfile.BadZipFile as exc:
        raise MeteringParseError(f"ZIP ではありません: {exc}") from exc
    from switchhub.area.metering.reader import MeteringFormatError, read_zip

    try:
        return read_zip(content)[1]
    except (MeteringFormatError, ValueError) as exc:
        raise MeteringParseError(f"計量データの XML を読めません: {exc}") from exc

"""Identity documents of a usage password request: the type is judged by the content's first bytes.

A file named `.pdf` that is a PNG is stored as a PNG; a `.png` that is text is refused. Only PDF,
JPEG, PNG and GIF are accepted, each at most 1 MB decoded, at most 5 per request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from switchhub.contract.usage import MAX_DOCUMENT_BYTES, UsageDocument
from switchhub.kernel.errors import IssueCollector

#: magic bytes → content type (the formats' own signatures)
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class CheckedDocument:
    n: int
    filename: str
    content_type: str
    content: bytes


def content_type_of(data: bytes) -> str | None:
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def check(documents: list[UsageDocument], issues: IssueCollector) -> list[CheckedDocument]:
    """The decodable, accepted documents; every problem goes to `issues` (field documents[i])."""
    out: list[CheckedDocument] = []
    for i, doc in enumerate(documents):
        field = f"documents[{i}].content_base64"
        try:
            data = base64.b64decode(doc.content_base64, validate=True)
        except (binascii.Error, ValueError):
            issues.add(field, "document_encoding", f"本人確認書類 {i + 1}（{doc.filename[:40]}）の内容が base64 ではありません",
                       f"Document {i + 1} is not valid base64")
            continue
        if not data:
            issues.add(field, "document_empty", f"本人確認書類 {i + 1} が空です", f"Document {i + 1} is empty")
            continue
        if len(data) > MAX_DOCUMENT_BYTES:
            issues.add(field, "document_too_large",
                       f"本人確認書類 {i + 1}（{doc.filename[:40]}）は1MB以下にしてください（{len(data):,}バイト）",
                       f"Document {i + 1} is larger than 1 MB")
            continue
        kind = content_type_of(data)
        if kind is None:
            issues.add(field, "document_type",
                       f"本人確認書類 {i + 1}（{doc.filename[:40]}）は PDF・JPEG・PNG・GIF のいずれかにしてください"
                       "（ファイルの内容で判定します）", f"Document {i + 1} is not a PDF, JPEG, PNG or GIF")
            continue
        out.append(CheckedDocument(i + 1, doc.filename, kind, data))
    return out

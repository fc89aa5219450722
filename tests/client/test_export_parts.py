"""The client reads an export of several parts (one gzip member or zstd frame per area, api.md)
however the network cuts it into chunks: at a part's end, inside a part's header, byte by byte.
The answers come from a local httpx MockTransport whose body is sent in the chunks given."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
import zstandard

from switchhub.client import AsyncSwitchhubClient

#: two areas' rows, as NDJSON: the first area's part ends after its second row
AREAS = [[{"spid": "0300000000000000000001"}, {"spid": "0300000000000000000002"}],
         [{"spid": "0400000000000000000003"}]]


def _ndjson(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def _gzip_parts() -> list[bytes]:
    return [gzip.compress(_ndjson(rows)) for rows in AREAS]


def _zstd_parts() -> list[bytes]:
    return [zstandard.ZstdCompressor(level=1).compress(_ndjson(rows)) for rows in AREAS]


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk


def _cuts(parts: list[bytes]) -> dict[str, list[bytes]]:
    whole = b"".join(parts)
    return {"at the part's end": parts,
            "inside the second part's header": [whole[:len(parts[0]) + 2], whole[len(parts[0]) + 2:]],
            "byte by byte": [whole[i:i + 1] for i in range(len(whole))],
            "all at once": [whole]}


@pytest.mark.parametrize("media,parts", [("application/gzip", _gzip_parts()), ("application/zstd", _zstd_parts())],
                         ids=["gzip", "zstd"])
async def test_every_row_of_every_part_is_read_wherever_the_chunks_end(media, parts):
    expected = [r for rows in AREAS for r in rows]
    for cut, chunks in _cuts(parts).items():
        def answer(request: httpx.Request, chunks=chunks) -> httpx.Response:
            return httpx.Response(200, stream=Chunks(chunks), headers={"content-type": media, "x-row-count": "3"})

        async with AsyncSwitchhubClient("https://hub.test", token="t", verify=False,
                                        transport=httpx.MockTransport(answer)) as c:
            rows = [r async for r in c.iter_export(compression="zstd" if "zstd" in media else "fast")]
        assert rows == expected, cut

"""The servers' allocator thresholds (allocator.py): after `tune()` a multi-megabyte buffer comes from
glibc's heap, not a fresh mapping (which the kernel faults in page by page at every large answer); the
switch `SWITCHHUB_MALLOC_TUNING=0` leaves the defaults. Each case in its own interpreter, so that no
earlier allocation has moved glibc's dynamic threshold."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys

import pytest


def _mallinfo2() -> bool:
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # glibc ≥ 2.33
    except (OSError, AttributeError):
        return False
    return True


pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or not _mallinfo2(),
                                reason="glibc's mallopt and mallinfo2")

PROBE = """
import ctypes, sys
from switchhub import allocator

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
tuned = allocator.tune()
before = libc.mallinfo2().hblkhd
buffer = bytearray(8 * 1024 * 1024)  # an 8 MB answer
mapped = libc.mallinfo2().hblkhd - before
print(tuned, mapped >= 8 * 1024 * 1024)
"""


def probe(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_after_tuning_a_large_buffer_comes_from_the_heap_not_a_fresh_mapping():
    assert probe({"SWITCHHUB_MALLOC_TUNING": "1"}) == "True False"


def test_the_switch_off_leaves_glibcs_defaults_which_map_it():
    assert probe({"SWITCHHUB_MALLOC_TUNING": "0"}) == "False True"

"""The C allocator's thresholds for the servers' large answers.

glibc serves every allocation above its mmap threshold (128 kB at start, raised dynamically up to
32 MB as such blocks are freed) with a fresh mapping, and gives the heap's free top back to the system
above its trim threshold. Either way a multi-megabyte buffer — the 3.2 MB usage batch of 20 points,
an export chunk, a metering file — lands on memory the kernel must fault in and zero page by page,
at every copy. On the bench machine, building one 3.2 MB batch answer from its 20 parts (format,
join, decode, encode) took 11.3 ms with the defaults and 1.3 ms with the thresholds below
(docs/benchmarks.md P10): the copies cost nothing, the page faults were the cost.

So the servers (`tlsserver.serve`) keep blocks up to `MMAP_THRESHOLD` in the heap and keep up to
`TRIM_THRESHOLD` of free heap top for the next answer. The price is bounded: at most `TRIM_THRESHOLD`
of freed memory stays mapped per process. The worker is left as it is: its large buffers (metering
files) are not on a request's path, and in the 30-minute soak (bench/soak.py) a tuned worker kept
≈ 65 MB more after its first metering jobs. `SWITCHHUB_MALLOC_TUNING=0` leaves the allocator as it
is. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own upper limit for the dynamic threshold
TRIM_THRESHOLD = 64 * 1024 * 1024


def tune() -> bool:
    """Set the thresholds for this process; True if they were set."""
    if os.environ.get("SWITCHHUB_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

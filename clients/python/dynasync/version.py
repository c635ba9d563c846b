"""Hybrid-logical-clock versions and their fixed-width text (protocol section "Versions")."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .errors import DynasyncError, ErrorCodes

PHYSICAL_WIDTH = 15
LOGICAL_WIDTH = 6
SEQUENCE_WIDTH = 40
MAX_LOGICAL = 10**LOGICAL_WIDTH - 1

_ORIGIN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_ENCODED = re.compile(r"(\d{15})\.(\d{6})\.([a-z0-9][a-z0-9-]{0,62})(?:~(\d{40}))?", re.ASCII)


@dataclass(frozen=True)
class Version:
    """Physical milliseconds, a logical counter, the origin region (and a stream sequence when derived)."""

    physical_ms: int
    logical: int
    origin: str
    sequence: Optional[str] = None


def encode_version(version: Version) -> str:
    """``001732320000123.000002.eu-west-1``: byte order is version order."""
    if not (0 <= version.physical_ms < 10**PHYSICAL_WIDTH):
        raise DynasyncError(ErrorCodes.VERSION_INVALID, f"physical time {version.physical_ms} is not a millisecond timestamp")
    if not (0 <= version.logical <= MAX_LOGICAL):
        raise DynasyncError(ErrorCodes.VERSION_INVALID, f"logical counter {version.logical} is outside 0..{MAX_LOGICAL}")
    if _ORIGIN.fullmatch(version.origin) is None:
        raise DynasyncError(ErrorCodes.VERSION_INVALID, f'origin "{version.origin}" is not a region name')
    base = f"{version.physical_ms:0{PHYSICAL_WIDTH}d}.{version.logical:0{LOGICAL_WIDTH}d}.{version.origin}"
    if version.sequence is None:
        return base
    if re.fullmatch(r"\d{1,40}", version.sequence, re.ASCII) is None:
        raise DynasyncError(ErrorCodes.VERSION_INVALID, f'sequence "{version.sequence}" is not a stream sequence number')
    return f"{base}~{version.sequence.rjust(SEQUENCE_WIDTH, '0')}"


def try_decode_version(text: str) -> Optional[Version]:
    """The version of a text written by :func:`encode_version`; ``None`` when it is not one."""
    match = _ENCODED.fullmatch(text)
    if match is None:
        return None
    physical, logical, origin, sequence = match.groups()
    if sequence is not None:
        sequence = sequence.lstrip("0") or "0"
    return Version(int(physical), int(logical), origin, sequence)


def _tie_break(version: Version) -> str:
    if version.sequence is None:
        return version.origin
    return f"{version.origin}~{version.sequence.rjust(SEQUENCE_WIDTH, '0')}"


def compare_versions(a: Version, b: Version) -> int:
    """Negative when ``a`` is older, 0 when equal, positive when newer."""
    if a.physical_ms != b.physical_ms:
        return -1 if a.physical_ms < b.physical_ms else 1
    if a.logical != b.logical:
        return -1 if a.logical < b.logical else 1
    left, right = _tie_break(a), _tie_break(b)
    return 0 if left == right else (-1 if left < right else 1)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridLogicalClock:
    """A hybrid logical clock: versions follow the wall clock and still grow strictly when it stalls or
    lags a version seen from another region. Thread-safe; share one per process and region.

    ::

        wall   1000   1000   999    (received 1005.3)   1001
        now()  1000.0 1000.1 1000.2                     1005.4
    """

    def __init__(self, origin: str, wall_clock: Callable[[], int] = _wall_ms) -> None:
        self._origin = origin
        self._wall_clock = wall_clock
        self._physical_ms = 0
        self._logical = 0
        self._lock = threading.Lock()

    def now(self) -> Version:
        """A version strictly newer than every version this clock issued or received."""
        with self._lock:
            wall = int(self._wall_clock())
            if wall > self._physical_ms:
                self._physical_ms = wall
                self._logical = 0
            elif self._logical >= MAX_LOGICAL:
                self._physical_ms += 1
                self._logical = 0
            else:
                self._logical += 1
            return Version(self._physical_ms, self._logical, self._origin)

    def receive(self, seen: Version) -> None:
        """Moves the clock past a version seen elsewhere, so the next :meth:`now` is newer than it."""
        with self._lock:
            if seen.physical_ms > self._physical_ms or (
                seen.physical_ms == self._physical_ms and seen.logical > self._logical
            ):
                self._physical_ms = seen.physical_ms
                self._logical = seen.logical

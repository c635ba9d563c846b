"""The one error type of the helper, with the same stable dotted codes as the TypeScript helper."""

from __future__ import annotations

from typing import Any, Mapping, Optional


class ErrorCodes:
    """Stable error codes (the same strings as ``ErrorCodes`` in dynasync's core/errors.ts)."""

    VERSION_INVALID = "conflict.invalidVersion"
    MERGE_INVALID_WRITE = "conflict.invalidWrite"
    MERGE_CONTENDED = "conflict.mergeContended"
    CLIENT_CLOCK_BEHIND = "client.clockBehind"
    CODEC_INVALID_NUMBER = "codec.invalidNumber"


class DynasyncError(Exception):
    """An error with a stable ``code``; match on the code, never on the message text.

    The payload holds paths, regions and codes, never item values.
    """

    def __init__(self, code: str, message: str, payload: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.payload: Mapping[str, Any] = dict(payload or {})

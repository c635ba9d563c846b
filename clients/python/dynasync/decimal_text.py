"""Exact arithmetic on DynamoDB numbers given as text: never through ``float``.

The output spelling is part of the protocol (counter values and number-set element keys), so it follows
the TypeScript helper's ``addDecimals`` exactly: no exponent while the scale is within 40 digits,
trailing zeros dropped, ``0`` for zero.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional, Tuple

from .errors import DynasyncError, ErrorCodes

MAX_SIGNIFICANT_DIGITS = 38
_NUMBER_SHAPE = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", re.ASCII)


def parse_number(text: str) -> Optional[Tuple[bool, str, int]]:
    """``(negative, significant digits, exponent of the first digit)``; ``None`` when not a number."""
    match = _NUMBER_SHAPE.fullmatch(text)
    if match is None:
        return None
    sign, int_part, frac_part, exp_part = match.group(1), match.group(2), match.group(3) or "", match.group(4)
    if int_part == "" and frac_part == "":
        return None
    if exp_part is not None and len(exp_part.lstrip("+-")) > 6:
        return None
    everything = int_part + frac_part
    first = next((i for i, c in enumerate(everything) if c in "123456789"), -1)
    if first == -1:
        return (False, "", 0)
    digits = everything[first:].rstrip("0")
    exponent = len(int_part) + int(exp_part or "0") - first - 1
    return (sign == "-", digits, exponent)


def _to_decimal(text: str, path: str) -> Tuple[int, int]:
    parsed = parse_number(text)
    if parsed is None:
        raise DynasyncError(ErrorCodes.CODEC_INVALID_NUMBER, f'{path}: "{text}" is not a decimal number', {"path": path})
    negative, digits, exponent = parsed
    if digits == "":
        return (0, 0)
    mantissa = int(digits)
    return (-mantissa if negative else mantissa, exponent - len(digits) + 1)


def _from_decimal(mantissa: int, scale: int, path: str) -> str:
    if mantissa == 0:
        return "0"
    while mantissa % 10 == 0:
        mantissa //= 10
        scale += 1
    negative = mantissa < 0
    digits = str(-mantissa if negative else mantissa)
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        raise DynasyncError(
            ErrorCodes.CODEC_INVALID_NUMBER,
            f"{path}: the sum has {len(digits)} significant digits; DynamoDB keeps at most {MAX_SIGNIFICANT_DIGITS}",
            {"path": path},
        )
    sign = "-" if negative else ""
    if 0 <= scale <= 40:
        return f"{sign}{digits}{'0' * scale}"
    if scale < 0 and -scale <= 40:
        padded = digits.rjust(-scale + 1, "0")
        cut = len(padded) + scale
        return f"{sign}{padded[:cut]}.{padded[cut:]}"
    return f"{sign}{digits}E{scale}"


def add_decimals(texts: Iterable[str], path: str = "number") -> str:
    """The exact sum of numbers given as text, in the protocol's spelling."""
    parts = [_to_decimal(text, path) for text in texts]
    if not parts:
        return "0"
    scale = min(part[1] for part in parts)
    total = sum(m * 10 ** (s - scale) for m, s in parts)
    return _from_decimal(total, scale, path)


def subtract_decimals(a: str, b: str, path: str = "number") -> str:
    """The exact ``a - b``."""
    mantissa, scale = _to_decimal(b, path)
    return add_decimals([a, _from_decimal(-mantissa, scale, path)], path)

"""Test helpers: the vectors' DynamoDB JSON (binary as base64) to boto3's form (bytes) and back."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict, List

REPO_ROOT = Path(__file__).resolve().parents[3]
VECTORS = REPO_ROOT / "protocol" / "vectors"
ITEM_FIELDS = {"Item", "Key", "ExpressionAttributeValues", "set", "addToSet", "removeFromSet"}


def load(name: str) -> Dict[str, Any]:
    with open(VECTORS / name, encoding="utf-8") as handle:
        return json.load(handle)


def value_to_boto(value: Dict[str, Any]) -> Dict[str, Any]:
    if "B" in value:
        return {"B": base64.b64decode(value["B"])}
    if "BS" in value:
        return {"BS": [base64.b64decode(b) for b in value["BS"]]}
    if "M" in value:
        return {"M": item_to_boto(value["M"])}
    if "L" in value:
        return {"L": [value_to_boto(v) for v in value["L"]]}
    return dict(value)


def item_to_boto(item: Dict[str, Any]) -> Dict[str, Any]:
    return {name: value_to_boto(value) for name, value in item.items()}


def to_wire(value: Any) -> Any:
    """Request params or an item in JSON: bytes as base64."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {name: to_wire(member) for name, member in value.items() if member is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(member) for member in value]
    return value


def params_to_boto(params: Dict[str, Any]) -> Dict[str, Any]:
    return {name: item_to_boto(value) if name in ITEM_FIELDS else value for name, value in params.items()}


def sort_sets(value: Any) -> Any:
    """An item (wire form) with every set's members sorted, recursively: sets are unordered."""
    if isinstance(value, dict):
        out: Dict[str, Any] = {}
        for name, member in value.items():
            if name in ("SS", "NS", "BS") and isinstance(member, list):
                out[name] = sorted(member)
            else:
                out[name] = sort_sets(member)
        return out
    if isinstance(value, list):
        return [sort_sets(member) for member in value]
    return value


def cases(name: str) -> List[Dict[str, Any]]:
    return list(load(name)["cases"])

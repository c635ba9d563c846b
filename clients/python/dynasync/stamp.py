"""Pure stamping of last-writer-wins requests (protocol section "Writes under lww").

Each function takes boto3 ``put_item`` / ``update_item`` / ``delete_item`` keyword arguments and returns
the keyword arguments of the stamped request; nothing here talks to DynamoDB.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Mapping, Optional

from .names import MetadataNames
from .version import Version, encode_version

Params = Dict[str, Any]

_N = {"version": "#dsync_v", "replicated": "#dsync_rep", "deleted": "#dsync_del", "expires": "#dsync_ttl"}
_V = ":dsync_v"
GUARD = f"(attribute_not_exists({_N['version']}) OR {_N['version']} < {_V})"


def _with_guard(condition: Optional[str]) -> str:
    return GUARD if condition is None else f"({condition}) AND {GUARD}"


def _names(meta: MetadataNames, extra: Optional[Mapping[str, str]], keys: Iterable[str]) -> Dict[str, str]:
    out: Dict[str, str] = dict(extra or {})
    for key in keys:
        out[_N[key]] = getattr(meta, key)
    return out


def _values(extra: Optional[Mapping[str, Any]], version: Version) -> Dict[str, Any]:
    out: Dict[str, Any] = dict(extra or {})
    out[_V] = {"S": encode_version(version)}
    return out


def stamp_put(params: Mapping[str, Any], version: Version, meta: MetadataNames) -> Params:
    """The stamped PutItem: the version set, the replication and tombstone markers left out, the guard added."""
    item = dict(params["Item"])
    for name in (meta.replicated, meta.deleted, meta.expires):
        item.pop(name, None)
    item[meta.version] = {"S": encode_version(version)}
    out = dict(params)
    out.update(
        Item=item,
        ConditionExpression=_with_guard(params.get("ConditionExpression")),
        ExpressionAttributeNames=_names(meta, params.get("ExpressionAttributeNames"), ["version"]),
        ExpressionAttributeValues=_values(params.get("ExpressionAttributeValues"), version),
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return out


def _clause(keyword: str) -> "re.Pattern[str]":
    return re.compile(rf"(?<![#:\w]){keyword}\s+", re.IGNORECASE | re.ASCII)


def stamp_update(params: Mapping[str, Any], version: Version, meta: MetadataNames) -> Params:
    """The stamped UpdateItem: ``#dsync_v = :dsync_v`` first in the SET clause and the three markers first
    in the REMOVE clause (each appended when the expression has none), the guard added."""
    expression = (params.get("UpdateExpression") or "").strip()
    set_part = f"{_N['version']} = {_V}"
    remove_part = f"{_N['replicated']}, {_N['deleted']}, {_N['expires']}"
    set_clause = _clause("SET")
    if set_clause.search(expression):
        expression = set_clause.sub(lambda m: f"{m.group(0)}{set_part}, ", expression, count=1)
    else:
        expression = f"{expression} SET {set_part}".strip()
    remove_clause = _clause("REMOVE")
    if remove_clause.search(expression):
        expression = remove_clause.sub(lambda m: f"{m.group(0)}{remove_part}, ", expression, count=1)
    else:
        expression = f"{expression} REMOVE {remove_part}"
    out = dict(params)
    out.update(
        UpdateExpression=expression,
        ConditionExpression=_with_guard(params.get("ConditionExpression")),
        ExpressionAttributeNames=_names(
            meta, params.get("ExpressionAttributeNames"), ["version", "replicated", "deleted", "expires"]
        ),
        ExpressionAttributeValues=_values(params.get("ExpressionAttributeValues"), version),
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return out


def tombstone_put(
    params: Mapping[str, Any], version: Version, meta: MetadataNames, retention_seconds: int
) -> Params:
    """The PutItem of a tombstone that replaces a DeleteItem: key, version, ``<prefix>del`` true and
    ``<prefix>ttl`` = version seconds + retention."""
    item = dict(params["Key"])
    item[meta.version] = {"S": encode_version(version)}
    item[meta.deleted] = {"BOOL": True}
    item[meta.expires] = {"N": str(version.physical_ms // 1000 + retention_seconds)}
    out: Params = {
        "TableName": params["TableName"],
        "Item": item,
        "ConditionExpression": _with_guard(params.get("ConditionExpression")),
        "ExpressionAttributeNames": _names(meta, params.get("ExpressionAttributeNames"), ["version"]),
        "ExpressionAttributeValues": _values(params.get("ExpressionAttributeValues"), version),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if params.get("ReturnConsumedCapacity") is not None:
        out["ReturnConsumedCapacity"] = params["ReturnConsumedCapacity"]
    return out

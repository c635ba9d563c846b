"""Pure stamping of writes under ``conflict.strategy: "merge"`` (protocol section "Writes under merge").

A port of the TypeScript ``stampMergeWrite``: the stored item (or the keys) with the write applied, the
region's vector-clock entry incremented, and the per-attribute state concurrent writes are merged with.
Items are boto3 low-level AttributeValue maps (binary as ``bytes``, numbers as ``str``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .decimal_text import add_decimals, subtract_decimals
from .errors import DynasyncError, ErrorCodes
from .names import MetadataNames

Item = Dict[str, Any]

_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_COUNTER = re.compile(r"0|[1-9]\d{0,37}", re.ASCII)


def text_order(text: str) -> bytes:
    """Sort key that orders texts as JavaScript's default sort does (by UTF-16 code units)."""
    return text.encode("utf-16-be")


def _sorted(texts: Sequence[str]) -> List[str]:
    return sorted(texts, key=text_order)


@dataclass(frozen=True)
class MergeSpec:
    """The config's ``conflict.attributes`` (name → ``lww`` | ``counter`` | ``set``) and ``conflict.default``
    (``lww`` | ``item``)."""

    attributes: Mapping[str, str] = field(default_factory=dict)
    default: str = "lww"

    def strategy_of(self, name: str) -> str:
        return self.attributes.get(name, self.default)


# --- vector clocks -------------------------------------------------------------------------------------


def normalize_clock(clock: Mapping[str, str]) -> Dict[str, str]:
    """Regions sorted, zero counters dropped."""
    return {region: str(int(n)) for region, n in sorted(clock.items(), key=lambda e: text_order(e[0])) if int(n) > 0}


def encode_clock(clock: Mapping[str, str]) -> str:
    """``eu-west-1:3,us-east-1:12``: regions sorted, zeros dropped."""
    return ",".join(f"{region}:{n}" for region, n in normalize_clock(clock).items())


def try_decode_clock(text: str) -> Optional[Dict[str, str]]:
    """The clock of an encoded text; ``None`` when it is not one."""
    if text == "":
        return {}
    clock: Dict[str, str] = {}
    for part in text.split(","):
        pieces = part.split(":")
        if len(pieces) != 2:
            return None
        region, n = pieces
        if _REGION.fullmatch(region) is None or _COUNTER.fullmatch(n) is None or region in clock:
            return None
        clock[region] = n
    return normalize_clock(clock)


def increment_clock(clock: Mapping[str, str], region: str) -> Dict[str, str]:
    out = dict(clock)
    out[region] = str(int(clock.get(region, "0")) + 1)
    return normalize_clock(out)


# --- item state ----------------------------------------------------------------------------------------


def _invalid(path: str, what: str) -> DynasyncError:
    return DynasyncError(
        ErrorCodes.VERSION_INVALID,
        f"{path}: {what}; only the client helper and the replicator may write it",
        {"path": path},
    )


def _map_of(value: Any, path: str) -> Item:
    if value is None:
        return {}
    if "M" not in value:
        raise _invalid(path, "not a map")
    return value["M"]


@dataclass
class MergeMetadata:
    clock: Dict[str, str]
    version: Optional[str]
    attribute_versions: Dict[str, str]
    counters: Dict[str, Dict[str, str]]
    set_dots: Dict[str, Dict[str, List[str]]]


def read_merge_metadata(item: Item, names: MetadataNames) -> MergeMetadata:
    """An item's merge metadata; an item without any has an empty clock and no state."""
    clock: Dict[str, str] = {}
    clock_value = item.get(names.clock)
    if clock_value is not None:
        decoded = try_decode_clock(clock_value["S"]) if "S" in clock_value else None
        if decoded is None:
            raise _invalid(names.clock, "not a vector clock")
        clock = decoded
    version_value = item.get(names.version)
    version = version_value["S"] if version_value is not None and "S" in version_value else None
    attribute_versions: Dict[str, str] = {}
    for name, value in _map_of(item.get(names.attribute_versions), names.attribute_versions).items():
        if "S" not in value:
            raise _invalid(f"{names.attribute_versions}.{name}", "not a version")
        attribute_versions[name] = value["S"]
    counters: Dict[str, Dict[str, str]] = {}
    for name, value in _map_of(item.get(names.counters), names.counters).items():
        per_region: Dict[str, str] = {}
        for region, n in _map_of(value, f"{names.counters}.{name}").items():
            if "N" not in n:
                raise _invalid(f"{names.counters}.{name}.{region}", "not a number")
            per_region[region] = n["N"]
        counters[name] = per_region
    set_dots: Dict[str, Dict[str, List[str]]] = {}
    for name, value in _map_of(item.get(names.set_dots), names.set_dots).items():
        per_element: Dict[str, List[str]] = {}
        for element, dots in _map_of(value, f"{names.set_dots}.{name}").items():
            if "SS" not in dots:
                raise _invalid(f"{names.set_dots}.{name}", "not a string set of dots")
            per_element[element] = _sorted(dots["SS"])
        set_dots[name] = per_element
    return MergeMetadata(clock, version, attribute_versions, counters, set_dots)


def user_attributes(item: Item, names: MetadataNames) -> Item:
    meta = names.all()
    return {name: value for name, value in item.items() if name not in meta}


def with_merge_metadata(item: Item, metadata: MergeMetadata, names: MetadataNames) -> Item:
    """The item with its merge metadata written in (empty maps left out)."""
    out = dict(item)
    out[names.clock] = {"S": encode_clock(metadata.clock)}
    if metadata.version is not None:
        out[names.version] = {"S": metadata.version}

    def entries(record: Mapping[str, Any]) -> List[Any]:
        return sorted(record.items(), key=lambda e: text_order(e[0]))

    if metadata.attribute_versions:
        out[names.attribute_versions] = {"M": {n: {"S": v} for n, v in entries(metadata.attribute_versions)}}
    counters = [(n, per) for n, per in entries(metadata.counters) if per]
    if counters:
        out[names.counters] = {
            "M": {n: {"M": {region: {"N": c} for region, c in entries(per)}} for n, per in counters}
        }
    sets = [(n, per) for n, per in entries(metadata.set_dots) if per]
    if sets:
        out[names.set_dots] = {
            "M": {n: {"M": {element: {"SS": _sorted(dots)} for element, dots in entries(per)}} for n, per in sets}
        }
    return out


# --- sets and counters ---------------------------------------------------------------------------------


def element_keys(value: Item, path: str) -> List[str]:
    """Element keys of a set value: ``s:<text>``, ``n:<canonical number>``, ``b:<base64>``."""
    if "SS" in value:
        return [f"s:{s}" for s in value["SS"]]
    if "NS" in value:
        return [f"n:{add_decimals([n], path)}" for n in value["NS"]]
    if "BS" in value:
        return [f"b:{base64.b64encode(bytes(b)).decode('ascii')}" for b in value["BS"]]
    return []


def set_from_keys(keys: Sequence[str]) -> Optional[Item]:
    ordered = _sorted(keys)
    if not ordered:
        return None
    kind = ordered[0][:1]
    texts = [key[2:] for key in ordered if key.startswith(f"{kind}:")]
    if kind == "s":
        return {"SS": texts}
    if kind == "n":
        return {"NS": texts}
    return {"BS": [base64.b64decode(text) for text in texts]}


def counter_value(per_region: Mapping[str, str], path: str) -> Item:
    return {"N": add_decimals(list(per_region.values()), path)}


# --- the stamp -----------------------------------------------------------------------------------------


def _misuse(path: str, message: str) -> DynasyncError:
    return DynasyncError(ErrorCodes.MERGE_INVALID_WRITE, f"{path}: {message}", {"path": path})


@dataclass(frozen=True)
class MergeWrite:
    """An application write in attributes: ``type`` is ``put`` (with ``item``), ``update`` or ``delete``."""

    type: str
    item: Optional[Item] = None
    set: Optional[Mapping[str, Any]] = None
    remove: Optional[Sequence[str]] = None
    add: Optional[Mapping[str, str]] = None
    add_to_set: Optional[Mapping[str, Any]] = None
    remove_from_set: Optional[Mapping[str, Any]] = None


def stamp_merge_write(
    stored: Optional[Item],
    keys: Item,
    write: MergeWrite,
    *,
    region: str,
    version: str,
    expires_at: str,
    spec: MergeSpec,
    names: MetadataNames,
) -> Item:
    """The item a write leaves behind under merge (see the module docstring). Pure."""
    meta_names = names.all()
    meta = read_merge_metadata(stored or {}, names)
    clock = increment_clock(meta.clock, region)
    dot = f"{region}:{clock[region]}"
    out: Item = {**(user_attributes(stored, names) if stored is not None else {}), **keys}
    attribute_versions = dict(meta.attribute_versions)
    counters = {name: dict(per) for name, per in meta.counters.items()}
    set_dots = {name: dict(per) for name, per in meta.set_dots.items()}

    def is_key(name: str) -> bool:
        return name in keys

    def set_counter(name: str, target: str) -> None:
        per_region = counters.setdefault(name, {})
        total = counter_value(per_region, name)
        own = per_region.get(region, "0")
        per_region[region] = add_decimals([own, subtract_decimals(target, total["N"], name)], name)
        out[name] = counter_value(per_region, name)

    def set_set(name: str, elements: Sequence[str]) -> None:
        set_dots[name] = {key: [dot] for key in elements}
        value = set_from_keys(list(elements))
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value

    def set_attribute(name: str, value: Item) -> None:
        if name in meta_names:
            raise _misuse(name, "dynasync metadata cannot be written by the application")
        if is_key(name):
            return
        strategy = spec.strategy_of(name)
        if strategy == "counter":
            if "N" not in value:
                raise _misuse(name, "a counter attribute takes numbers (N) only")
            set_counter(name, value["N"])
        elif strategy == "set":
            elements = element_keys(value, name)
            if not elements:
                raise _misuse(name, "a set attribute takes SS, NS or BS values only")
            set_set(name, elements)
        else:
            out[name] = value
            if strategy == "lww":
                attribute_versions[name] = version

    def remove_attribute(name: str) -> None:
        if is_key(name) or name in meta_names:
            return
        strategy = spec.strategy_of(name)
        if strategy == "counter":
            set_counter(name, "0")
        elif strategy == "set":
            set_set(name, [])
        else:
            out.pop(name, None)
            if strategy == "lww":
                attribute_versions[name] = version

    def every_attribute() -> List[str]:
        seen: Dict[str, None] = {}
        for source in (out, attribute_versions, counters, set_dots):
            for name in list(source):
                seen.setdefault(name, None)
        return [name for name in seen if not is_key(name) and name not in meta_names]

    if write.type == "put":
        item = write.item or {}
        for name in every_attribute():
            if name not in item:
                remove_attribute(name)
        for name, value in item.items():
            set_attribute(name, value)
    elif write.type == "delete":
        for name in every_attribute():
            remove_attribute(name)
    else:
        for name, value in (write.set or {}).items():
            set_attribute(name, value)
        for name in write.remove or []:
            remove_attribute(name)
        for name, delta in (write.add or {}).items():
            if spec.strategy_of(name) != "counter":
                raise _misuse(name, "only counter attributes can be incremented")
            per_region = counters.setdefault(name, {})
            per_region[region] = add_decimals([per_region.get(region, "0"), delta], name)
            out[name] = counter_value(per_region, name)
        for name, value in (write.add_to_set or {}).items():
            if spec.strategy_of(name) != "set":
                raise _misuse(name, "only set attributes take addToSet")
            per_element = set_dots.setdefault(name, {})
            for key in element_keys(value, name):
                per_element[key] = [dot]
            added = set_from_keys(list(per_element))
            if added is not None:
                out[name] = added
        for name, value in (write.remove_from_set or {}).items():
            if spec.strategy_of(name) != "set":
                raise _misuse(name, "only set attributes take removeFromSet")
            per_element = set_dots.setdefault(name, {})
            for key in element_keys(value, name):
                per_element.pop(key, None)
            remaining = set_from_keys(list(per_element))
            if remaining is None:
                out.pop(name, None)
            else:
                out[name] = remaining

    attribute_versions[names.deleted] = version
    out.pop(names.deleted, None)
    out.pop(names.expires, None)
    if write.type == "delete":
        out[names.deleted] = {"BOOL": True}
        out[names.expires] = {"N": expires_at}
    for name in [name for name, per in set_dots.items() if not per]:
        del set_dots[name]
    return with_merge_metadata(
        out, MergeMetadata(clock, version, attribute_versions, counters, set_dots), names
    )


def build_merge_put_input(table: str, item: Item, stored: Optional[Item], names: MetadataNames) -> Dict[str, Any]:
    """The conditional put: written only if the stored item is still the one that was read."""
    base: Dict[str, Any] = {"TableName": table, "Item": item}
    absent = {
        **base,
        "ConditionExpression": "attribute_not_exists(#vc) AND attribute_not_exists(#v)",
        "ExpressionAttributeNames": {"#vc": names.clock, "#v": names.version},
    }
    if stored is None:
        return absent
    clock = stored.get(names.clock)
    version = stored.get(names.version)
    clock_text = clock["S"] if clock is not None and "S" in clock else None
    version_text = version["S"] if version is not None and "S" in version else None
    if clock_text is not None:
        return {
            **base,
            "ConditionExpression": "#vc = :vc",
            "ExpressionAttributeNames": {"#vc": names.clock},
            "ExpressionAttributeValues": {":vc": {"S": clock_text}},
        }
    if version_text is not None:
        return {
            **base,
            "ConditionExpression": "attribute_not_exists(#vc) AND #v = :v",
            "ExpressionAttributeNames": {"#vc": names.clock, "#v": names.version},
            "ExpressionAttributeValues": {":v": {"S": version_text}},
        }
    return absent

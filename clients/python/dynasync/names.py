"""Metadata attribute names for a prefix (protocol section "Metadata attributes")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, FrozenSet, Mapping


@dataclass(frozen=True)
class MetadataNames:
    """The names of dynasync's metadata attributes, ``<prefix>v`` and so on."""

    version: str
    replicated: str
    deleted: str
    expires: str
    clock: str
    attribute_versions: str
    counters: str
    set_dots: str

    def all(self) -> FrozenSet[str]:
        """Every metadata name."""
        return frozenset(
            (
                self.version,
                self.replicated,
                self.deleted,
                self.expires,
                self.clock,
                self.attribute_versions,
                self.counters,
                self.set_dots,
            )
        )


def metadata_names(prefix: str = "_ds_") -> MetadataNames:
    """The metadata names for a prefix (the config's ``metadata.prefix``, default ``_ds_``)."""
    return MetadataNames(
        version=f"{prefix}v",
        replicated=f"{prefix}rep",
        deleted=f"{prefix}del",
        expires=f"{prefix}ttl",
        clock=f"{prefix}vc",
        attribute_versions=f"{prefix}av",
        counters=f"{prefix}cn",
        set_dots=f"{prefix}sd",
    )


def is_tombstone(item: Mapping[str, Any], names: MetadataNames) -> bool:
    """True when an item is a delete marker: ``<prefix>del`` is ``{"BOOL": true}``."""
    marker = item.get(names.deleted)
    return isinstance(marker, dict) and marker.get("BOOL") is True

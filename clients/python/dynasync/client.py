"""The application side of dynasync for Python: stamping helpers on a boto3 DynamoDB client.

Both helpers take and return boto3's low-level (client) AttributeValue maps: numbers are ``str`` and stay
exact (never ``float``), binary is ``bytes``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional, Sequence, TypeVar, Union

from .errors import DynasyncError, ErrorCodes
from .merge import MergeSpec, MergeWrite, build_merge_put_input, stamp_merge_write
from .names import MetadataNames, is_tombstone, metadata_names
from .stamp import stamp_put, stamp_update, tombstone_put
from .version import HybridLogicalClock, Version, compare_versions, encode_version, try_decode_version

Item = Dict[str, Any]
T = TypeVar("T")

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"


def _error_code(error: BaseException) -> Optional[str]:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return code if isinstance(code, str) else None
    return None


def _stored_item(error: BaseException) -> Optional[Item]:
    response = getattr(error, "response", None)
    item = response.get("Item") if isinstance(response, dict) else None
    return item if isinstance(item, dict) else None


class DynasyncClient:
    """Stamps every put, update and delete for ``conflict.strategy: "lww"`` (protocol section "Writes
    under lww"): a hybrid-logical-clock version in ``<prefix>v``, deletes as tombstones, reads that hide
    tombstones. One conditional request per write; when a region whose clock runs ahead stored a newer
    version, the clock catches up past it and the write is stamped again.

    Example::

        ds = DynasyncClient(client=boto3.client("dynamodb", region_name="eu-west-1"), region="eu-west-1")
        ds.put_item(TableName="orders", Item={"pk": {"S": "o#1"}, "total": {"N": "12.50"}})
        ds.update_item(TableName="orders", Key={"pk": {"S": "o#1"}}, UpdateExpression="SET total = :t",
                       ExpressionAttributeValues={":t": {"N": "13"}})
        ds.delete_item(TableName="orders", Key={"pk": {"S": "o#1"}})
        ds.get_item(TableName="orders", Key={"pk": {"S": "o#1"}}).get("Item")  # None: deleted
    """

    def __init__(
        self,
        client: Any,
        region: str,
        prefix: str = "_ds_",
        tombstone_retention_days: int = 7,
        clock: Optional[HybridLogicalClock] = None,
        max_clock_retries: int = 5,
    ) -> None:
        self.client = client
        self.region = region
        self.prefix = prefix
        self.names: MetadataNames = metadata_names(prefix)
        self.clock = clock if clock is not None else HybridLogicalClock(region)
        self.retention_seconds = int(tombstone_retention_days) * 86_400
        self.max_clock_retries = max_clock_retries

    def put_item(self, **params: Any) -> Dict[str, Any]:
        """PutItem with a version stamp (boto3 ``put_item`` arguments)."""
        return self._stamped(lambda version: self.client.put_item(**stamp_put(params, version, self.names)))

    def update_item(self, **params: Any) -> Dict[str, Any]:
        """UpdateItem with a version stamp; an update of a deleted key revives it."""
        return self._stamped(lambda version: self.client.update_item(**stamp_update(params, version, self.names)))

    def delete_item(self, **params: Any) -> Dict[str, Any]:
        """Deletes by putting a tombstone that replicates and expires by TTL after the retention."""
        return self._stamped(
            lambda version: self.client.put_item(
                **tombstone_put(params, version, self.names, self.retention_seconds)
            )
        )

    def get_item(self, **params: Any) -> Dict[str, Any]:
        """GetItem whose answer has no ``Item`` for a tombstone."""
        response = dict(self.client.get_item(**params))
        item = response.get("Item")
        if item is not None and not self.is_live(item):
            del response["Item"]
        return response

    def is_live(self, item: Mapping[str, Any]) -> bool:
        """False for a tombstone; use it on Query and Scan results."""
        return not is_tombstone(item, self.names)

    def strip_metadata(self, item: Mapping[str, Any]) -> Item:
        """The item without dynasync's metadata attributes."""
        return {name: value for name, value in item.items() if not name.startswith(self.prefix)}

    def _stamped(self, send: Callable[[Version], T]) -> T:
        attempt = 0
        while True:
            version = self.clock.now()
            try:
                return send(version)
            except Exception as error:  # botocore's ClientError, or a stub's equivalent
                if _error_code(error) != CONDITIONAL_CHECK_FAILED:
                    raise
                stored = self._stored_version(error)
                # The application's own condition failed (the stored version is older): not ours to handle.
                if stored is None or compare_versions(stored, version) < 0:
                    raise
                self.clock.receive(stored)
                if attempt >= self.max_clock_retries:
                    raise DynasyncError(
                        ErrorCodes.CLIENT_CLOCK_BEHIND,
                        f"the stored item keeps a newer version than this client can stamp after "
                        f"{self.max_clock_retries + 1} tries; another region's clock may run far ahead",
                        {"region": self.region},
                    ) from error
            attempt += 1

    def _stored_version(self, error: BaseException) -> Optional[Version]:
        item = _stored_item(error)
        value = item.get(self.names.version) if item is not None else None
        text = value.get("S") if isinstance(value, dict) else None
        return try_decode_version(text) if isinstance(text, str) else None


class DynasyncMergeClient:
    """The application side of ``conflict.strategy: "merge"`` (protocol section "Writes under merge").
    Every write reads the item (consistently), stamps it with the region's next vector-clock entry, a new
    HLC version and the per-attribute state, and puts it back on condition that the clock is unchanged,
    reading again when another writer got in between. Writes are in attributes, not expressions.

    Example::

        ds = DynasyncMergeClient(client=dynamodb, region="eu-west-1",
                                 spec=MergeSpec(attributes={"views": "counter", "tags": "set"}))
        ds.update_item(TableName="pages", Key={"pk": {"S": "p#1"}}, add={"views": "1"},
                       set={"title": {"S": "Home"}}, add_to_set={"tags": {"SS": ["new"]}})
    """

    def __init__(
        self,
        client: Any,
        region: str,
        spec: Optional[Union[MergeSpec, Mapping[str, Any]]] = None,
        prefix: str = "_ds_",
        tombstone_retention_days: int = 7,
        clock: Optional[HybridLogicalClock] = None,
        max_attempts: int = 10,
    ) -> None:
        self.client = client
        self.region = region
        if spec is None:
            spec = MergeSpec()
        elif not isinstance(spec, MergeSpec):
            spec = MergeSpec(attributes=dict(spec.get("attributes", {})), default=spec.get("default", "lww"))
        self.spec: MergeSpec = spec
        self.names: MetadataNames = metadata_names(prefix)
        self.clock = clock if clock is not None else HybridLogicalClock(region)
        self.retention_seconds = int(tombstone_retention_days) * 86_400
        self.max_attempts = max_attempts

    def put_item(self, TableName: str, Item: Item, key_names: Sequence[str]) -> Dict[str, Any]:  # noqa: N803
        """Replaces the item (attributes not given are removed; counters reset to 0).
        ``key_names`` are the table's key attribute names, taken from ``Item``."""
        keys = {name: Item[name] for name in key_names}
        return self._write(TableName, keys, MergeWrite(type="put", item=dict(Item)))

    def update_item(
        self,
        TableName: str,  # noqa: N803
        Key: Item,  # noqa: N803
        set: Optional[Mapping[str, Any]] = None,  # noqa: A002
        remove: Optional[Sequence[str]] = None,
        add: Optional[Mapping[str, str]] = None,
        add_to_set: Optional[Mapping[str, Any]] = None,
        remove_from_set: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Sets and removes attributes, adds to counters (exact decimal strings), adds to and removes
        from sets."""
        for name, delta in (add or {}).items():
            if not isinstance(delta, str):
                raise DynasyncError(
                    ErrorCodes.MERGE_INVALID_WRITE,
                    f"{name}: a counter increment is an exact decimal string such as \"1\" or \"-0.5\"",
                    {"path": name},
                )
        write = MergeWrite(
            type="update", set=set, remove=remove, add=add, add_to_set=add_to_set, remove_from_set=remove_from_set
        )
        return self._write(TableName, dict(Key), write)

    def delete_item(self, TableName: str, Key: Item) -> Dict[str, Any]:  # noqa: N803
        """Deletes by writing a tombstone (concurrent writes that are newer keep what they wrote)."""
        return self._write(TableName, dict(Key), MergeWrite(type="delete"))

    def get_item(self, TableName: str, Key: Item) -> Optional[Item]:  # noqa: N803
        """The item (consistent read), or ``None`` for no item or a tombstone."""
        item = self._read(TableName, Key)
        return None if item is None or is_tombstone(item, self.names) else item

    def _read(self, table: str, key: Item) -> Optional[Item]:
        response = self.client.get_item(TableName=table, Key=key, ConsistentRead=True)
        return response.get("Item")

    def _write(self, table: str, keys: Item, write: MergeWrite) -> Dict[str, Any]:
        attempt = 1
        while True:
            stored = self._read(table, keys)
            stored_version = stored.get(self.names.version) if stored is not None else None
            if isinstance(stored_version, dict) and isinstance(stored_version.get("S"), str):
                seen = try_decode_version(stored_version["S"])
                if seen is not None:
                    self.clock.receive(seen)
            version = self.clock.now()
            item = stamp_merge_write(
                stored,
                keys,
                write,
                region=self.region,
                version=encode_version(version),
                expires_at=str(version.physical_ms // 1000 + self.retention_seconds),
                spec=self.spec,
                names=self.names,
            )
            try:
                return self.client.put_item(**build_merge_put_input(table, item, stored, self.names))
            except Exception as error:
                if _error_code(error) != CONDITIONAL_CHECK_FAILED:
                    raise
                if attempt >= self.max_attempts:
                    raise DynasyncError(
                        ErrorCodes.MERGE_CONTENDED,
                        f"the item kept changing during {self.max_attempts} read-stamp-write attempts; retry the write",
                        {"region": self.region},
                    ) from error
            attempt += 1

"""dynasync for Python: stamp application writes for active-active replication.

Implements protocol version 1 of docs/protocol.md; conformance is tested against protocol/vectors/*.json.
"""

from .client import DynasyncClient, DynasyncMergeClient
from .errors import DynasyncError, ErrorCodes
from .merge import MergeSpec, MergeWrite, build_merge_put_input, stamp_merge_write
from .names import MetadataNames, is_tombstone, metadata_names
from .stamp import stamp_put, stamp_update, tombstone_put
from .version import HybridLogicalClock, Version, compare_versions, encode_version, try_decode_version

PROTOCOL_VERSION = 1
"""The version of the stamping protocol this package implements (docs/protocol.md)."""

__all__ = [
    "PROTOCOL_VERSION",
    "DynasyncClient",
    "DynasyncError",
    "DynasyncMergeClient",
    "ErrorCodes",
    "HybridLogicalClock",
    "MergeSpec",
    "MergeWrite",
    "MetadataNames",
    "Version",
    "build_merge_put_input",
    "compare_versions",
    "encode_version",
    "is_tombstone",
    "metadata_names",
    "stamp_merge_write",
    "stamp_put",
    "stamp_update",
    "tombstone_put",
    "try_decode_version",
]

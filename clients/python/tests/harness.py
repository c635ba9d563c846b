"""Runs the Python helpers on a vector's write with a given boto3-shaped client."""

from __future__ import annotations

from typing import Any, Dict

from dynasync import DynasyncClient, DynasyncError, DynasyncMergeClient, HybridLogicalClock, MergeSpec, Version
from wire import params_to_boto


def vector_clock(vector: Dict[str, Any]) -> HybridLogicalClock:
    writer, state = vector["writer"], vector["clock"]
    clock = HybridLogicalClock(writer["region"], lambda: state["wallMs"])
    if "hlc" in state:
        clock.receive(Version(state["hlc"]["physicalMs"], state["hlc"]["logical"], writer["region"]))
    return clock


def run_write(client: Any, vector: Dict[str, Any]) -> Dict[str, Any]:
    """The helper call's result in the vectors' terms: ``{"type": "ok"}`` or ``{"type": "error", "code"}``."""
    writer, write = vector["writer"], vector["write"]
    params = params_to_boto(write["input"])
    clock = vector_clock(vector)
    try:
        if writer["strategy"] == "lww":
            ds = DynasyncClient(
                client,
                writer["region"],
                prefix=writer["prefix"],
                tombstone_retention_days=writer["tombstoneRetentionDays"],
                clock=clock,
            )
            {"put": ds.put_item, "update": ds.update_item, "delete": ds.delete_item}[write["op"]](**params)
        else:
            spec = writer.get("spec")
            merge = DynasyncMergeClient(
                client,
                writer["region"],
                spec=None if spec is None else MergeSpec(spec["attributes"], spec["default"]),
                prefix=writer["prefix"],
                tombstone_retention_days=writer["tombstoneRetentionDays"],
                clock=clock,
            )
            if write["op"] == "put":
                merge.put_item(params["TableName"], params["Item"], write.get("keyNames", ["pk"]))
            elif write["op"] == "delete":
                merge.delete_item(params["TableName"], params["Key"])
            else:
                merge.update_item(
                    params["TableName"],
                    params["Key"],
                    set=params.get("set"),
                    remove=params.get("remove"),
                    add=params.get("add"),
                    add_to_set=params.get("addToSet"),
                    remove_from_set=params.get("removeFromSet"),
                )
        return {"type": "ok"}
    except DynasyncError as error:
        return {"type": "error", "code": error.code}
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException":
            return {"type": "error", "code": code}
        raise

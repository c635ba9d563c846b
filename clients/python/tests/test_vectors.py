"""The Python helpers against every conformance vector: each request must equal the vector's, exactly."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

import dynasync
from dynasync import DynasyncClient, DynasyncMergeClient
from harness import run_write
from wire import cases, item_to_boto, load, to_wire

OPERATIONS = {"GetItem": "get_item", "PutItem": "put_item", "UpdateItem": "update_item"}


class ReplayClient:
    """A boto3-shaped client that checks each request against the vector and answers as recorded."""

    def __init__(self, requests: List[Dict[str, Any]]) -> None:
        self.requests = requests
        self.sent = 0

    def __getattr__(self, method: str) -> Any:
        def call(**params: Any) -> Dict[str, Any]:
            assert self.sent < len(self.requests), f"request #{self.sent + 1} is one more than the vector has"
            expected = self.requests[self.sent]
            self.sent += 1
            assert method == OPERATIONS[expected["operation"]]
            assert to_wire(params) == expected["params"]
            outcome = expected["outcome"]
            if outcome["type"] == "conditionalCheckFailed":
                response: Dict[str, Any] = {
                    "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
                }
                if "item" in outcome:
                    response["Item"] = item_to_boto(outcome["item"])
                raise ClientError(response, expected["operation"])  # type: ignore[arg-type]
            if outcome["type"] == "item":
                return {} if outcome["item"] is None else {"Item": item_to_boto(outcome["item"])}
            return {}

        return call


def test_vectors_are_of_the_implemented_protocol_version() -> None:
    for name in ("lww.json", "merge.json", "reads.json"):
        assert load(name)["protocolVersion"] == dynasync.PROTOCOL_VERSION


WRITE_VECTORS = cases("lww.json") + cases("merge.json")


@pytest.mark.parametrize("vector", WRITE_VECTORS, ids=[v["name"] for v in WRITE_VECTORS])
def test_sends_exactly_the_vector_requests(vector: Dict[str, Any]) -> None:
    # Prepare
    client = ReplayClient(vector["requests"])

    # Act
    result = run_write(client, vector)

    # Assess
    assert result == vector["result"]
    assert client.sent == len(vector["requests"])


READ_VECTORS = cases("reads.json")


@pytest.mark.parametrize("vector", READ_VECTORS, ids=[v["name"] for v in READ_VECTORS])
def test_readers_treat_tombstones_as_absent(vector: Dict[str, Any]) -> None:
    stored = None if vector["stored"] is None else item_to_boto(vector["stored"])

    class Stored:
        def get_item(self, **_: Any) -> Dict[str, Any]:
            return {} if stored is None else {"Item": stored}

    lww = DynasyncClient(Stored(), "eu-west-1", prefix=vector["prefix"])
    merge = DynasyncMergeClient(Stored(), "eu-west-1", prefix=vector["prefix"])
    key = {"pk": {"S": "a"}}
    assert ("Item" not in lww.get_item(TableName="t", Key=key)) is vector["absent"]
    assert (merge.get_item(TableName="t", Key=key) is None) is vector["absent"]
    if stored is not None:
        assert lww.is_live(stored) is (not vector["absent"])

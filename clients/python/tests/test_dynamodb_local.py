"""The Python helpers against DynamoDB Local: every vector's requests and stored item after, and a
write-read lifecycle on the real clock."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from botocore.exceptions import ClientError

from dynasync import DynasyncClient, DynasyncMergeClient, MergeSpec
from harness import run_write
from wire import cases, item_to_boto, sort_sets, to_wire

TABLE = "dynasync-vectors"
OPERATIONS = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem"}


@pytest.fixture(scope="module")
def table(dynamodb: Any) -> str:
    try:
        dynamodb.delete_table(TableName=TABLE)
    except ClientError:
        pass
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE


class Recorder:
    """Sends to DynamoDB Local, records each request and its answer, and stores the vector's
    interference right after the first read (a concurrent writer)."""

    def __init__(self, client: Any, interference: Optional[Dict[str, Any]]) -> None:
        self.client = client
        self.interference = interference
        self.requests: List[Dict[str, Any]] = []

    def __getattr__(self, method: str) -> Any:
        def call(**params: Any) -> Dict[str, Any]:
            entry: Dict[str, Any] = {"operation": OPERATIONS[method], "params": sort_sets(to_wire(params))}
            try:
                response = getattr(self.client, method)(**params)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    outcome: Dict[str, Any] = {"type": "conditionalCheckFailed"}
                    if "Item" in error.response:
                        outcome["item"] = sort_sets(to_wire(error.response["Item"]))  # type: ignore[typeddict-item]
                    self.requests.append({**entry, "outcome": outcome})
                raise
            if method == "get_item":
                item = response.get("Item")
                self.requests.append(
                    {**entry, "outcome": {"type": "item", "item": None if item is None else sort_sets(to_wire(item))}}
                )
                if self.interference is not None:
                    self.client.put_item(TableName=TABLE, Item=item_to_boto(self.interference))
                    self.interference = None
            else:
                self.requests.append({**entry, "outcome": {"type": "ok"}})
            return response

        return call


def _sorted_requests(requests: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [sort_sets(request) for request in requests]


WRITE_VECTORS = cases("lww.json") + cases("merge.json")


@pytest.mark.parametrize("vector", WRITE_VECTORS, ids=[v["name"] for v in WRITE_VECTORS])
def test_vector_on_dynamodb_local(dynamodb: Any, table: str, vector: Dict[str, Any]) -> None:
    # Prepare
    key = {"pk": {"S": vector["name"]}}
    dynamodb.delete_item(TableName=table, Key=key)
    if vector["stored"] is not None:
        dynamodb.put_item(TableName=table, Item=item_to_boto(vector["stored"]))
    recorder = Recorder(dynamodb, vector.get("interference"))

    # Act
    result = run_write(recorder, vector)

    # Assess
    assert result == vector["result"]
    assert recorder.requests == _sorted_requests(vector["requests"])
    stored = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    assert (None if stored is None else sort_sets(to_wire(stored))) == vector["after"]


def test_lww_lifecycle_on_the_real_clock(dynamodb: Any, table: str) -> None:
    ds = DynasyncClient(dynamodb, "eu-west-1")
    key = {"pk": {"S": "py/lifecycle"}}
    exact = "12345678901234567890123456789012345678"
    ds.put_item(TableName=table, Item={**key, "n": {"N": exact}, "blob": {"B": b"\x00\xff"}})
    ds.update_item(
        TableName=table, Key=key, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    item = ds.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": exact}
    assert item["hits"] == {"N": "1"}
    assert item["blob"] == {"B": b"\x00\xff"}
    first = item["_ds_v"]["S"]
    ds.delete_item(TableName=table, Key=key)
    assert "Item" not in ds.get_item(TableName=table, Key=key, ConsistentRead=True)
    raw = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert raw["_ds_del"] == {"BOOL": True}
    assert raw["_ds_v"]["S"] > first


def test_merge_counter_and_set_on_the_real_clock(dynamodb: Any, table: str) -> None:
    spec = MergeSpec(attributes={"views": "counter", "tags": "set"})
    eu = DynasyncMergeClient(dynamodb, "eu-west-1", spec=spec)
    us = DynasyncMergeClient(dynamodb, "us-east-1", spec=spec)
    key = {"pk": {"S": "py/merge"}}
    eu.update_item(TableName=table, Key=key, add={"views": "0.1"}, add_to_set={"tags": {"SS": ["a"]}})
    us.update_item(TableName=table, Key=key, add={"views": "0.2"}, add_to_set={"tags": {"SS": ["b"]}})
    item = eu.get_item(TableName=table, Key=key)
    assert item is not None
    assert item["views"] == {"N": "0.3"}
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    assert item["_ds_vc"] == {"S": "eu-west-1:1,us-east-1:1"}
    eu.delete_item(TableName=table, Key=key)
    assert eu.get_item(TableName=table, Key=key) is None

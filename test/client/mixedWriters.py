"""The Python writer of test/client/mixedWriters.integration.test.ts: runs a list of writes through the
dynasync Python helper (PYTHONPATH=clients/python) and prints how many it made.

stdin: {"endpoint", "table", "region", "strategy": "lww" | "merge", "spec", "ops": [...]}, DynamoDB JSON.
"""

import base64
import json
import sys
import time

import boto3

from dynasync import DynasyncClient, DynasyncMergeClient, MergeSpec


def to_boto(value):
    if isinstance(value, dict):
        if "B" in value:
            return {"B": base64.b64decode(value["B"])}
        if "BS" in value:
            return {"BS": [base64.b64decode(b) for b in value["BS"]]}
        return {name: to_boto(member) for name, member in value.items()}
    if isinstance(value, list):
        return [to_boto(member) for member in value]
    return value


def main() -> int:
    job = json.load(sys.stdin)
    client = boto3.client(
        "dynamodb",
        endpoint_url=job["endpoint"],
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    table, region = job["table"], job["region"]
    started = time.monotonic()
    done = 0
    if job["strategy"] == "lww":
        ds = DynasyncClient(client, region)
        for op in job["ops"]:
            params = {"TableName": table, **to_boto(op["params"])}
            {"put": ds.put_item, "update": ds.update_item, "delete": ds.delete_item}[op["op"]](**params)
            done += 1
    else:
        spec = MergeSpec(job["spec"]["attributes"], job["spec"]["default"])
        ds = DynasyncMergeClient(client, region, spec=spec)
        for op in job["ops"]:
            args = to_boto(op["args"])
            if op["op"] == "put":
                ds.put_item(table, args["Item"], ["pk"])
            elif op["op"] == "delete":
                ds.delete_item(table, args["Key"])
            else:
                ds.update_item(
                    table,
                    args["Key"],
                    set=args.get("set"),
                    remove=args.get("remove"),
                    add=args.get("add"),
                    add_to_set=args.get("addToSet"),
                    remove_from_set=args.get("removeFromSet"),
                )
            done += 1
    print(json.dumps({"ops": done, "ms": round((time.monotonic() - started) * 1000)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

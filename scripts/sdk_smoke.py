#!/usr/bin/env python3
"""Drive a running emulator with Databricks' own Python clients (databricks-sdk, legacy databricks-cli).

    python3 -m venv .venv && .venv/bin/pip install databricks-sdk databricks-cli
    cargo run --release -p dbx-mock-server -- --bind 127.0.0.1:8080 &
    DATABRICKS_HOST=http://127.0.0.1:8080 DATABRICKS_TOKEN=dapi1234567890abcdef1234567890abcdef .venv/bin/python scripts/sdk_smoke.py

Each check prints PASS or FAIL; the exit status is the number of failures. Not part of `cargo test`
(it needs the clients from PyPI); it is how we check fidelity against clients we did not write.
"""
import json
import os
import sys
import urllib.request

host = os.environ["DATABRICKS_HOST"]
token = os.environ["DATABRICKS_TOKEN"]
failures = 0


def check(name, fn):
    global failures
    try:
        fn()
        print(f"PASS {name}")
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        failures += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def admin(path, body):
    req = urllib.request.Request(host + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


# --- databricks-sdk (the official unified SDK) ---------------------------------------------
from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.errors import NotFound, PermissionDenied, ResourceDoesNotExist  # noqa: E402

w = WorkspaceClient(host=host, token=token)


def sdk_me():
    me = w.current_user.me()
    assert me.user_name == "admin@example.com", me


def sdk_tokens():
    created = w.tokens.create(comment="sdk smoke", lifetime_seconds=600)
    assert created.token_value.startswith("dapi")
    ids = [t.token_id for t in w.tokens.list()]
    assert created.token_info.token_id in ids, ids
    own = WorkspaceClient(host=host, token=created.token_value)
    assert own.current_user.me().user_name == "admin@example.com"
    w.tokens.delete(created.token_info.token_id)
    try:
        own.tokens.list()
        raise AssertionError("revoked token still works")
    except PermissionDenied:
        pass
    try:
        w.tokens.delete(created.token_info.token_id)
        raise AssertionError("second delete succeeded")
    except (ResourceDoesNotExist, NotFound):
        pass


def sdk_oauth_m2m():
    sp = admin("/__mock/service-principals", {"display_name": "sdk-smoke-sp"})
    m2m = WorkspaceClient(host=host, client_id=sp["application_id"], client_secret=sp["client_secret"],
                          auth_type="oauth-m2m")
    assert m2m.current_user.me().user_name == sp["application_id"]


def sdk_unknown_endpoint():
    try:
        w.api_client.do("GET", "/api/2.0/token/lis")
        raise AssertionError("unknown endpoint answered")
    except NotFound as e:
        assert e.error_code == "ENDPOINT_NOT_FOUND", e.error_code


check("sdk: current_user.me", sdk_me)
check("sdk: tokens create/list/delete, revoked token refused", sdk_tokens)
check("sdk: OAuth M2M (discovery + client credentials)", sdk_oauth_m2m)
check("sdk: unknown endpoint -> NotFound ENDPOINT_NOT_FOUND", sdk_unknown_endpoint)

# --- legacy databricks-cli 0.18 (GET parameters, its own ApiClient) ------------------------
from databricks_cli.sdk.api_client import ApiClient  # noqa: E402
from databricks_cli.sdk.service import TokenService  # noqa: E402

legacy = TokenService(ApiClient(host=host, token=token))


def legacy_tokens():
    created = legacy.create_token(lifetime_seconds=60, comment="legacy cli")
    infos = legacy.list_tokens().get("token_infos", [])
    assert any(t["token_id"] == created["token_info"]["token_id"] for t in infos)
    legacy.revoke_token(created["token_info"]["token_id"])


check("databricks-cli 0.18: create/list/revoke tokens", legacy_tokens)

sys.exit(failures)

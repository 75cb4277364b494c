#!/usr/bin/env python3
"""Drive a running emulator with Databricks' own Python clients (databricks-sdk, legacy databricks-cli).

    python3 -m venv .venv && .venv/bin/pip install databricks-sdk databricks-cli databricksapi
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
import datetime  # noqa: E402

from databricks.sdk.errors import NotFound, OperationFailed, PermissionDenied, ResourceDoesNotExist  # noqa: E402
from databricks.sdk.errors.base import DatabricksError  # noqa: E402

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



def sdk_secrets():
    from databricks.sdk.service.workspace import AclPermission
    scope = "sdk-smoke-scope"
    w.secrets.create_scope(scope=scope)
    try:
        w.secrets.put_secret(scope=scope, key="k1", string_value="s3cret")
        w.secrets.put_secret(scope=scope, key="k2", bytes_value="AAEC")
        keys = sorted(m.key for m in w.secrets.list_secrets(scope=scope))
        assert keys == ["k1", "k2"], keys
        assert any(sc.name == scope for sc in w.secrets.list_scopes())
        w.secrets.put_acl(scope=scope, principal="users", permission=AclPermission.READ)
        acl = w.secrets.get_acl(scope=scope, principal="users")
        assert acl.permission == AclPermission.READ, acl
        assert {a.principal for a in w.secrets.list_acls(scope=scope)} >= {"users"}
        got = w.secrets.get_secret(scope=scope, key="k1")
        import base64
        assert base64.b64decode(got.value) == b"s3cret", got
        w.secrets.delete_acl(scope=scope, principal="users")
        w.secrets.delete_secret(scope=scope, key="k2")
        try:
            w.secrets.delete_secret(scope=scope, key="k2")
            raise AssertionError("deleted twice")
        except (ResourceDoesNotExist, NotFound):
            pass
    finally:
        w.secrets.delete_scope(scope=scope)


def sdk_dbfs():
    import io
    data = bytes(range(256)) * 9000  # 2.3 MB: several add-block calls
    w.dbfs.mkdirs("/sdk-smoke")
    with w.dbfs.open("/sdk-smoke/blob.bin", write=True, overwrite=True) as f:
        f.write(data)
    assert w.dbfs.get_status("/sdk-smoke/blob.bin").file_size == len(data)
    with w.dbfs.download("/sdk-smoke/blob.bin") as f:
        back = f.read()
    assert back == data, (len(back), len(data))
    w.dbfs.upload("dbfs:/sdk-smoke/small.txt", io.BytesIO(b"hello"), overwrite=True)
    names = sorted(fi.path for fi in w.dbfs.list("/sdk-smoke"))
    assert names == ["/sdk-smoke/blob.bin", "/sdk-smoke/small.txt"], names
    w.dbfs.move_("/sdk-smoke/small.txt", "/sdk-smoke/moved.txt")
    w.dbfs.delete("/sdk-smoke", recursive=True)
    assert not w.dbfs.exists("/sdk-smoke")


def sdk_workspace():
    from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language, ObjectType
    home = "/Users/admin@example.com/sdk-smoke"
    w.workspace.mkdirs(home)
    src = b"# Databricks notebook source\nprint(1)\n\n# COMMAND ----------\n\nprint(2)\n"
    w.workspace.upload(f"{home}/nb", src, format=ImportFormat.SOURCE, language=Language.PYTHON, overwrite=True)
    st = w.workspace.get_status(f"{home}/nb")
    assert st.object_type == ObjectType.NOTEBOOK and st.language == Language.PYTHON, st
    with w.workspace.download(f"{home}/nb", format=ExportFormat.SOURCE) as f:
        assert b"print(2)" in f.read()
    exported = w.workspace.export(f"{home}/nb", format=ExportFormat.JUPYTER)
    import base64, json as j
    nb = j.loads(base64.b64decode(exported.content))
    assert nb["nbformat"] == 4 and len(nb["cells"]) == 2, nb
    w.workspace.upload(f"{home}/data.txt", b"plain file", format=ImportFormat.AUTO)
    kinds = sorted((o.path, o.object_type.value) for o in w.workspace.list(home))
    assert kinds == [(f"{home}/data.txt", "FILE"), (f"{home}/nb", "NOTEBOOK")], kinds
    w.workspace.delete(home, recursive=True)


def sdk_workspace_source_bytes():
    # The official SDK's own integration test: upload `print(1)`, download exactly the header line
    # and `print(1)`, with nothing appended; export(SOURCE) gives the same bytes, and uploading
    # what was downloaded downloads the same bytes again.
    import base64
    from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language
    nb = "/Users/admin@example.com/sdk-smoke-bytes"
    want = b"# Databricks notebook source\nprint(1)"
    w.workspace.upload(nb, b"print(1)", format=ImportFormat.SOURCE, language=Language.PYTHON, overwrite=True)
    with w.workspace.download(nb) as f:
        got = f.read()
    assert got == want, got
    exported = base64.b64decode(w.workspace.export(nb, format=ExportFormat.SOURCE).content)
    assert exported == want, exported
    w.workspace.upload(nb, got, format=ImportFormat.SOURCE, language=Language.PYTHON, overwrite=True)
    with w.workspace.download(nb, format=ExportFormat.SOURCE) as f:
        again = f.read()
    assert again == want, again
    w.workspace.delete(nb)


def sdk_dbfs_root():
    # A new workspace's DBFS root holds the standard folders; /databricks-datasets is read-only.
    standard = {"/FileStore", "/databricks-datasets", "/databricks-results", "/tmp", "/user"}
    raw = w.api_client.do("GET", "/api/2.0/dbfs/list", query={"path": "/"})["files"]
    root = {f["path"]: f for f in raw}
    assert standard <= set(root), sorted(root)
    assert all(root[p]["is_dir"] for p in standard), raw
    listed = {fi.path for fi in w.dbfs.list("/")}
    assert standard <= listed, sorted(listed)
    assert w.dbfs.get_status("/databricks-datasets").is_dir
    try:
        w.dbfs.put("/databricks-datasets/sdk-smoke.txt", contents="aGk=", overwrite=True)
        raise AssertionError("wrote into /databricks-datasets")
    except PermissionDenied as e:
        assert e.error_code == "PERMISSION_DENIED", e.error_code


def sdk_error_classes():
    from databricks.sdk import errors
    from databricks.sdk.service.workspace import ImportFormat, Language

    def expect(cls, fn, code):
        try:
            fn()
        except cls as e:
            assert e.error_code == code, (cls.__name__, e.error_code, code)
            return
        raise AssertionError(f"expected {cls.__name__} {code}")

    w.secrets.create_scope(scope="sdk-err")
    try:
        expect(errors.ResourceAlreadyExists, lambda: w.secrets.create_scope(scope="sdk-err"), "RESOURCE_ALREADY_EXISTS")
        expect(errors.ResourceDoesNotExist, lambda: w.secrets.list_secrets(scope="no-such-scope"), "RESOURCE_DOES_NOT_EXIST")
        expect(errors.InvalidParameterValue, lambda: w.secrets.put_secret(scope="sdk-err", key="bad key!", string_value="v"),
               "INVALID_PARAMETER_VALUE")
        alice = admin("/__mock/users", {"user_name": "sdk-alice@example.com"})
        tok = admin("/__mock/tokens", {"principal": alice["user_name"]})["token_value"]
        wa = WorkspaceClient(host=host, token=tok)
        expect(errors.PermissionDenied, lambda: wa.secrets.put_secret(scope="sdk-err", key="k", string_value="v"),
               "PERMISSION_DENIED")
    finally:
        w.secrets.delete_scope(scope="sdk-err")
    expect(errors.NotFound, lambda: w.dbfs.get_status("/no/such/file"), "RESOURCE_DOES_NOT_EXIST")
    w.dbfs.put("/sdk-err.txt", contents="aGk=", overwrite=True)
    expect(errors.ResourceAlreadyExists, lambda: w.dbfs.put("/sdk-err.txt", contents="aGk="), "RESOURCE_ALREADY_EXISTS")
    expect(errors.BadRequest, lambda: w.dbfs.read("/sdk-err.txt", length=2 * 1024 * 1024), "MAX_READ_SIZE_EXCEEDED")
    w.dbfs.delete("/sdk-err.txt")
    expect(errors.NotFound, lambda: w.workspace.get_status("/Users/nobody/x"), "RESOURCE_DOES_NOT_EXIST")
    w.workspace.mkdirs("/Shared/sdk-err/sub")
    expect(errors.BadRequest, lambda: w.workspace.delete("/Shared/sdk-err"), "DIRECTORY_NOT_EMPTY")
    w.workspace.upload("/Shared/sdk-err/nb", b"print(1)", format=ImportFormat.SOURCE, language=Language.PYTHON)
    expect(errors.ResourceAlreadyExists,
           lambda: w.workspace.upload("/Shared/sdk-err/nb", b"print(2)", format=ImportFormat.SOURCE, language=Language.PYTHON),
           "RESOURCE_ALREADY_EXISTS")
    w.workspace.delete("/Shared/sdk-err", recursive=True)


check("sdk: secrets scopes, put/list/get, ACLs", sdk_secrets)
check("sdk: error codes map to the SDK's exception classes", sdk_error_classes)
check("sdk: dbfs open/write (add-block), download, upload, list, move, delete", sdk_dbfs)
check("sdk: workspace upload (multipart), export SOURCE/JUPYTER, list, delete", sdk_workspace)
check("sdk: workspace upload/download round trip, exact SOURCE bytes", sdk_workspace_source_bytes)
check("sdk: dbfs root lists the standard folders, /databricks-datasets read-only", sdk_dbfs_root)


# --- Clusters (catalogue §5): selectors, waiters, events, list, errors -----------------------
import time  # noqa: E402

from databricks.sdk.service import compute  # noqa: E402


def sdk_cluster_selectors():
    sel = w.clusters.select_spark_version
    assert sel(latest=True, long_term_support=True) == "16.4.x-scala2.12"
    assert sel(latest=True) == "16.4.x-scala2.12"
    assert sel(latest=True, ml=True) == "16.4.x-cpu-ml-scala2.12"
    assert sel(latest=True, ml=True, gpu=True) == "16.4.x-gpu-ml-scala2.12"
    assert sel(latest=True, photon=True) == "16.4.x-photon-scala2.12"
    assert sel(latest=True, graviton=True) == "15.4.x-aarch64-scala2.12"
    assert sel(latest=True, long_term_support=True, spark_version="3.4.1") == "13.3.x-scala2.12"
    assert sel(latest=True, scala="2.13") == "16.4.x-scala2.13"
    assert sel(latest=True, scala="2.13", beta=True) == "17.0.x-scala2.13"
    try:
        sel(latest=True, genomics=True, gpu=True)
        raise AssertionError("selected a version that does not exist")
    except ValueError:
        pass
    node = w.clusters.select_node_type
    assert node(local_disk=True) == "m5d.large"
    assert node(min_gpus=1) == "g4dn.xlarge"
    assert node(graviton=True) == "c6gd.xlarge"
    assert node(category="Memory Optimized") == "r5d.large"
    assert node(photon_worker_capable=True, photon_driver_capable=True) == "m5d.xlarge"
    assert node(min_memory_gb=200) == "p3.8xlarge"
    assert node(min_cores=16, local_disk_min_size=1000) == "i3.4xlarge"
    try:
        node(min_memory_gb=1024)
        raise AssertionError("selected a node type that does not exist")
    except ValueError:
        pass
    zones = w.clusters.list_zones()
    assert zones.default_zone in zones.zones, zones


def sdk_cluster_lifecycle():
    sv = w.clusters.select_spark_version(latest=True, long_term_support=True)
    nt = w.clusters.select_node_type(local_disk=True)
    started = time.time()
    c = w.clusters.create_and_wait(cluster_name="sdk-smoke", spark_version=sv, node_type_id=nt,
                                   num_workers=1, autotermination_minutes=60)
    print(f"  create_and_wait took {time.time() - started:.1f} s")
    assert c.state == compute.State.RUNNING and len(c.executors) == 1, c.state
    assert c.spec.num_workers == 1 and c.default_tags["ClusterId"] == c.cluster_id
    cid = c.cluster_id
    c = w.clusters.resize_and_wait(cid, num_workers=3)
    assert c.state == compute.State.RUNNING and len(c.executors) == 3
    ctx = c.spark_context_id
    c = w.clusters.restart_and_wait(cid)
    assert c.spark_context_id != ctx
    c = w.clusters.edit_and_wait(cid, spark_version=sv, node_type_id=nt, num_workers=2,
                                 cluster_name="sdk-smoke-edited")
    assert c.cluster_name == "sdk-smoke-edited" and c.num_workers == 2
    try:
        w.clusters.start(cid)
        raise AssertionError("started a running cluster")
    except DatabricksError as e:
        assert e.error_code == "INVALID_STATE" and "unexpected state Running" in str(e), e
    c = w.clusters.delete_and_wait(cid)
    assert c.state == compute.State.TERMINATED
    assert c.termination_reason.code == compute.TerminationReasonCode.USER_REQUEST, c.termination_reason
    w.clusters.ensure_cluster_is_running(cid)
    assert w.clusters.get(cid).state == compute.State.RUNNING
    w.clusters.ensure_cluster_is_running(cid)  # already running: returns at once
    # Waiting for RUNNING fails fast on TERMINATED.
    w.clusters.delete(cid)
    try:
        w.clusters.wait_get_cluster_running(cid, timeout=datetime.timedelta(seconds=30))
        raise AssertionError("waited for RUNNING on a terminated cluster")
    except OperationFailed as e:
        assert "TERMINATED" in str(e), e
    c = w.clusters.start_and_wait(cid)
    assert c.state == compute.State.RUNNING
    # Events, paged by the SDK through next_page.
    events = list(w.clusters.events(cid, limit=3))
    raw = w.api_client.do("POST", "/api/2.1/clusters/events", body={"cluster_id": cid})
    assert len(events) == raw["total_count"] > 3, (len(events), raw.get("total_count"))
    kinds = [e.type for e in events]
    for k in ("CREATING", "RUNNING", "RESIZING", "UPSIZE_COMPLETED", "RESTARTING", "EDITED", "TERMINATING",
              "STARTING", "DRIVER_HEALTHY"):
        assert compute.EventType(k) in kinds, (k, kinds)
    ts = [e.timestamp for e in events]
    assert ts == sorted(ts, reverse=True), ts
    # List with a filter; pin, unpin, permanent delete.
    running = [x.cluster_id for x in w.clusters.list(
        filter_by=compute.ListClustersFilterBy(cluster_states=[compute.State.RUNNING]))]
    assert cid in running, running
    w.clusters.pin(cid)
    assert [x.cluster_id for x in w.clusters.list(filter_by=compute.ListClustersFilterBy(is_pinned=True))] == [cid]
    w.clusters.unpin(cid)
    w.clusters.permanent_delete(cid)
    try:
        w.clusters.get(cid)
        raise AssertionError("permanently deleted cluster still there")
    except ResourceDoesNotExist:
        pass
    assert cid not in [x.cluster_id for x in w.clusters.list()]


def sdk_cluster_permissions():
    user = admin("/__mock/users", {"user_name": f"sdk-cluster-user-{time.time_ns()}@example.com"})
    tok = admin("/__mock/tokens", {"principal": user["user_name"]})["token_value"]
    wu = WorkspaceClient(host=host, token=tok)
    try:
        wu.clusters.create(spark_version="16.4.x-scala2.12", node_type_id="m5d.large", num_workers=0)
        raise AssertionError("created a cluster without allow-cluster-create")
    except PermissionDenied as e:
        assert e.error_code == "PERMISSION_DENIED"
    cid = w.clusters.create(spark_version="16.4.x-scala2.12", node_type_id="m5d.large", num_workers=0).cluster_id
    assert wu.clusters.get(cid).cluster_id == cid
    for fn in (lambda: wu.clusters.delete(cid), lambda: wu.clusters.pin(cid)):
        try:
            fn()
            raise AssertionError("a non-admin without permissions changed a cluster")
        except PermissionDenied:
            pass
    w.clusters.permanent_delete(cid)


check("sdk: clusters select_spark_version / select_node_type / list_zones", sdk_cluster_selectors)
check("sdk: clusters create/resize/restart/edit/delete/start waiters, ensure_cluster_is_running, events, list, pin",
      sdk_cluster_lifecycle)
check("sdk: clusters permissions (entitlement, creator, admin-only pin)", sdk_cluster_permissions)

# --- legacy databricks-cli 0.18 (GET parameters, its own ApiClient) ------------------------
from databricks_cli.sdk.api_client import ApiClient  # noqa: E402
from databricks_cli.sdk.service import TokenService  # noqa: E402

legacy = TokenService(ApiClient(host=host, token=token))


def legacy_tokens():
    created = legacy.create_token(lifetime_seconds=60, comment="legacy cli")
    infos = legacy.list_tokens().get("token_infos", [])
    assert any(t["token_id"] == created["token_info"]["token_id"] for t in infos)
    legacy.revoke_token(created["token_info"]["token_id"])


def legacy_secrets_dbfs_workspace():
    import base64
    from databricks_cli.sdk.service import DbfsService, SecretService, WorkspaceService
    client = ApiClient(host=host, token=token)
    sec = SecretService(client)
    sec.create_scope("legacy-scope", initial_manage_principal="users")
    sec.put_secret("legacy-scope", "k", string_value="v")
    assert [s["key"] for s in sec.list_secrets("legacy-scope")["secrets"]] == ["k"]
    sec.delete_scope("legacy-scope")
    dbfs = DbfsService(client)
    h = dbfs.create("/legacy/x.bin", overwrite=True)["handle"]
    dbfs.add_block(h, base64.b64encode(b"abc").decode())
    dbfs.close(h)
    assert dbfs.get_status("/legacy/x.bin")["file_size"] == 3
    assert base64.b64decode(dbfs.read("/legacy/x.bin", 0, 10)["data"]) == b"abc"
    top = {f["path"] for f in dbfs.list("/")["files"]}
    assert {"/FileStore", "/databricks-datasets", "/legacy", "/tmp", "/user"} <= top, sorted(top)
    dbfs.delete("/legacy", recursive=True)
    ws = WorkspaceService(client)
    ws.mkdirs("/Shared/legacy")
    ws.import_workspace("/Shared/legacy/nb", format="SOURCE", language="SCALA",
                        content=base64.b64encode(b"println(1)").decode(), overwrite=True)
    assert ws.get_status("/Shared/legacy/nb")["language"] == "SCALA"
    ws.delete("/Shared/legacy", recursive=True)




def wait_state(get, want, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = get()["state"]
        if state == want:
            return
        time.sleep(0.5)
    raise AssertionError(f"still {state}, wanted {want}")


def legacy_clusters():
    from databricks_cli.sdk.service import ClusterService
    cs = ClusterService(ApiClient(host=host, token=token))
    sv = cs.list_spark_versions()["versions"][0]["key"]
    nt = cs.list_node_types()["node_types"][0]["node_type_id"]
    assert cs.list_available_zones()["default_zone"]
    cid = cs.create_cluster(num_workers=1, cluster_name="legacy", spark_version=sv, node_type_id=nt)["cluster_id"]
    wait_state(lambda: cs.get_cluster(cid), "RUNNING")
    assert any(c["cluster_id"] == cid for c in cs.list_clusters()["clusters"])
    cs.resize_cluster(cid, num_workers=2)
    wait_state(lambda: cs.get_cluster(cid), "RUNNING")
    cs.restart_cluster(cid)
    wait_state(lambda: cs.get_cluster(cid), "RUNNING")
    cs.delete_cluster(cid)
    wait_state(lambda: cs.get_cluster(cid), "TERMINATED")
    cs.start_cluster(cid)
    cs.pin_cluster(cid)
    cs.unpin_cluster(cid)
    ev = cs.get_events(cid, order="ASC", limit=2)
    assert [e["type"] for e in ev["events"]] == ["CREATING", "RUNNING"] and ev["next_page"]["offset"] == 2, ev
    cs.permanent_delete_cluster(cid)


from urllib.parse import urlparse  # noqa: E402

if urlparse(host).port not in (None, 80, 443):
    # databricks-cli 0.18 rebuilds the URL as scheme://hostname/api/ and drops the port.
    print("SKIP databricks-cli 0.18 (it drops the port from DATABRICKS_HOST; run the emulator on port 80)")
else:
    check("databricks-cli 0.18: create/list/revoke tokens", legacy_tokens)
    check("databricks-cli 0.18: secrets, dbfs blocks and root listing, workspace import", legacy_secrets_dbfs_workspace)
    check("databricks-cli 0.18: ClusterService create/list/resize/restart/delete/start/pin/events", legacy_clusters)

# --- databricksapi 1.1.8 (the package dbx-rs grew from: GET parameters in JSON bodies, no ----
# --- JSON content type, errors returned as dicts) -------------------------------------------
def original_package():
    import base64
    from databricksapi import DBFS, Secrets, Token, Workspace
    t = Token.Token(host, token)
    created = t.createToken(600, "databricksapi")
    assert "token_value" in created, created
    assert any(i["token_id"] == created["token_info"]["token_id"] for i in t.listTokens()["token_infos"])
    assert t.revokeToken(created["token_info"]["token_id"]) == {}
    s = Secrets.Secrets(host, token)
    assert s.createSecretScope("orig-scope", "users") == {}
    assert s.putSeceret("v", "string", "orig-scope", "k") == {}
    assert [x["key"] for x in s.listSecrets("orig-scope")["secrets"]] == ["k"]  # GET with a JSON body
    assert s.getSecretACL("orig-scope", "users")["permission"] == "MANAGE"
    assert s.listSecretACL("orig-scope")["items"][0]["principal"] == "users"
    assert s.deleteSecretScope("orig-scope") == {}
    d = DBFS.DBFS(host, token)
    h = d.createFile("/orig/a.txt", True)["handle"]
    d.addBlock(base64.b64encode(b"hi").decode(), h)
    d.closeStream(h)
    assert d.getStatus("/orig/a.txt")["file_size"] == 2
    assert base64.b64decode(d.readFiles("/orig/a.txt", 0, 10)["data"]) == b"hi"
    # Its moveFiles sends `target_path` instead of `destination_path`: the emulator says so.
    err = d.moveFiles("/orig/a.txt", "/orig/b.txt")
    assert err.get("error_code") == "INVALID_PARAMETER_VALUE", err
    # Its deleteFile sends `recurisve` (sic): a non-empty directory is not deleted.
    err = d.deleteFile("/orig", True)
    assert err.get("error_code") == "IO_ERROR", err
    ws = Workspace.Workspace(host, token)
    assert ws.mkdirsWorkspace("/Shared/orig") == {}
    src = base64.b64encode(b"print(1)").decode()
    assert ws.importWorkspace("/Shared/orig/nb", "SOURCE", "PYTHON", src, True) == {}
    assert ws.getWorkspaceStatus("/Shared/orig/nb")["object_type"] == "NOTEBOOK"
    assert b"print(1)" in ws.exportWorkspace("/Shared/orig/nb", "SOURCE", True)
    assert ws.deleteWorkspace("/Shared/orig", True) == {}


def original_clusters():
    from databricksapi import Clusters
    c = Clusters.Clusters(host, token)
    versions = [v["key"] for v in c.getSparkVersions()["versions"]]
    nodes = [n["node_type_id"] for n in c.listNodeTypes()["node_types"]]
    assert "13.3.x-scala2.12" in versions and "i3.xlarge" in nodes
    assert c.listZones()["default_zone"] == "us-west-2a"
    # It always sends cluster_log_conf, null when not given.
    cid = c.createCluster(1, "workers", "orig", "13.3.x-scala2.12", None, "i3.xlarge")["cluster_id"]
    assert c.getCluster(cid)["cluster_name"] == "orig"  # GET with a JSON body
    wait_state(lambda: c.getCluster(cid), "RUNNING")
    assert any(x["cluster_id"] == cid for x in c.listClusters()["clusters"])
    # Its resizeCluster(id, n, 'workers') sends {"cluster_id": n}: rejected, saying what is missing.
    err = c.resizeCluster(cid, 3, "workers")
    assert err.get("error_code") == "INVALID_PARAMETER_VALUE", err
    assert "num_workers or autoscale" in err["message"] and "cluster_id is the number 3" in err["message"], err
    assert c.getCluster(cid)["num_workers"] == 1 and c.getCluster(cid)["state"] == "RUNNING"
    assert c.resizeCluster(cid, {"min_workers": 1, "max_workers": 4}, "autoscale") == {}
    wait_state(lambda: c.getCluster(cid), "RUNNING")
    assert c.editCluster(2, "Workers", cid, "orig-edited", "13.3.x-scala2.12", None, "i3.xlarge") == {}
    wait_state(lambda: c.getCluster(cid), "RUNNING")
    assert c.restartCluster(cid) == {}
    wait_state(lambda: c.getCluster(cid), "RUNNING")
    assert c.terminateCluster(cid) == {}
    wait_state(lambda: c.getCluster(cid), "TERMINATED")
    assert c.startCluster(cid) == {}
    assert c.pinCluster(cid) == {}
    assert c.deleteCluster(cid)["error_code"] == "INVALID_STATE"  # pinned: unpin first
    assert c.unpinCluster(cid) == {}
    ev = c.getClusterEvents(cid, order="ASC", limit=3)
    assert [e["type"] for e in ev["events"]] == ["CREATING", "RUNNING", "DRIVER_HEALTHY"], ev
    assert c.deleteCluster(cid) == {}
    assert c.getCluster(cid)["error_code"] == "INVALID_PARAMETER_VALUE"


try:
    import databricksapi  # noqa: F401
except ImportError:
    print("SKIP databricksapi 1.1.8 (not installed)")
else:
    check("databricksapi 1.1.8: Token, Secrets, DBFS, Workspace (incl. its known bugs)", original_package)
    check("databricksapi 1.1.8: Clusters (incl. its resizeCluster bug)", original_clusters)

sys.exit(failures)

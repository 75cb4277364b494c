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

# --- Libraries (official SDK): per-cluster libraries on the emulator clock -----------------
import time  # noqa: E402


def smoke_cluster(name):
    """A small cluster of the emulator's catalogue, created through the raw API; its id."""
    body = {"cluster_name": name, "spark_version": "16.4.x-scala2.12", "node_type_id": "m5d.large",
            "num_workers": 1}
    return w.api_client.do("POST", "/api/2.1/clusters/create", body=body)["cluster_id"]


def wait_for(what, fn, timeout=30):
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def sdk_libraries():
    from databricks.sdk import errors
    from databricks.sdk.service.compute import Library, LibraryInstallStatus, MavenLibrary, PythonPyPiLibrary
    cid = smoke_cluster("sdk-smoke-libraries")
    try:
        pypi = Library(pypi=PythonPyPiLibrary(package="simplejson==3.8.0"))
        maven = Library(maven=MavenLibrary(coordinates="org.jsoup:jsoup:1.7.2", exclusions=["slf4j:slf4j"]))
        w.libraries.install(cluster_id=cid, libraries=[pypi, maven])
        first = list(w.libraries.cluster_status(cluster_id=cid))
        assert [s.library for s in first] == [pypi, maven], first
        # The cluster starts by itself; then the libraries install.
        done = wait_for("libraries INSTALLED", lambda: all(
            s.status == LibraryInstallStatus.INSTALLED for s in w.libraries.cluster_status(cluster_id=cid)))
        assert done
        statuses = {c.cluster_id: c for c in w.libraries.all_cluster_statuses()}
        assert len(statuses[cid].library_statuses) == 2, statuses
        w.libraries.uninstall(cluster_id=cid, libraries=[pypi])
        now = [(s.library, s.status) for s in w.libraries.cluster_status(cluster_id=cid)]
        assert now == [(maven, LibraryInstallStatus.INSTALLED), (pypi, LibraryInstallStatus.UNINSTALL_ON_RESTART)], now
        # A failure rule (admin route) makes an install fail, with messages.
        admin("/__mock/libraries/failures", {"pattern": "no-such-package*", "message": "No matching distribution"})
        bad = Library(pypi=PythonPyPiLibrary(package="no-such-package==1.0"))
        w.libraries.install(cluster_id=cid, libraries=[bad])
        failed = wait_for("FAILED", lambda: [s for s in w.libraries.cluster_status(cluster_id=cid)
                                             if s.library == bad and s.status == LibraryInstallStatus.FAILED])
        assert failed[0].messages == ["No matching distribution"], failed
        # Restart: the uninstalled library is gone.
        w.clusters.restart(cluster_id=cid)
        wait_for("restart", lambda: pypi not in [s.library for s in w.libraries.cluster_status(cluster_id=cid)])
        try:
            w.libraries.install(cluster_id="0101-000000-nosuchcl", libraries=[pypi])
            raise AssertionError("unknown cluster accepted")
        except errors.InvalidParameterValue as e:
            assert "does not exist" in str(e), e
        try:
            w.libraries.install(cluster_id=cid, libraries=[Library(maven=MavenLibrary(coordinates="just-a-name"))])
            raise AssertionError("bad coordinates accepted")
        except errors.InvalidParameterValue as e:
            assert "groupId:artifactId:version" in str(e), e
    finally:
        req = urllib.request.Request(host + "/__mock/libraries/failures", method="DELETE")
        urllib.request.urlopen(req).close()
        w.clusters.permanent_delete(cluster_id=cid)
    # A permanently deleted cluster's libraries are gone.
    assert cid not in [c.cluster_id for c in w.libraries.all_cluster_statuses()]


check("sdk: libraries install/cluster_status/all_cluster_statuses/uninstall, failure rule, restart", sdk_libraries)

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


def legacy_libraries():
    from databricks_cli.sdk.service import ManagedLibraryService
    libs = ManagedLibraryService(ApiClient(host=host, token=token))
    cid = smoke_cluster("legacy-libraries")
    try:
        lib = {"pypi": {"package": "simplejson"}}
        assert libs.install_libraries(cid, [lib]) == {}
        wait_for("INSTALLED", lambda: libs.cluster_status(cid).get("library_statuses", [{}])[0].get("status") == "INSTALLED")
        assert any(c["cluster_id"] == cid for c in libs.all_cluster_statuses()["statuses"])
        assert libs.uninstall_libraries(cid, [lib]) == {}
        assert libs.cluster_status(cid)["library_statuses"][0]["status"] == "UNINSTALL_ON_RESTART"
    finally:
        w.clusters.permanent_delete(cluster_id=cid)


from urllib.parse import urlparse  # noqa: E402

if urlparse(host).port not in (None, 80, 443):
    # databricks-cli 0.18 rebuilds the URL as scheme://hostname/api/ and drops the port.
    print("SKIP databricks-cli 0.18 (it drops the port from DATABRICKS_HOST; run the emulator on port 80)")
else:
    check("databricks-cli 0.18: create/list/revoke tokens", legacy_tokens)
    check("databricks-cli 0.18: secrets, dbfs blocks and root listing, workspace import", legacy_secrets_dbfs_workspace)
    check("databricks-cli 0.18: ManagedLibraryService install/status/uninstall", legacy_libraries)

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


def original_libraries():
    from databricksapi import Libraries
    libs = Libraries.Libraries(host, token)
    cid = smoke_cluster("orig-libraries")
    try:
        lib = {"maven": {"coordinates": "org.jsoup:jsoup:1.7.2"}}
        assert libs.installLibrary(cid, [lib]) == {}
        # clusterStatus sends cluster_id in a GET body; allClusterStatuses ignores its argument.
        wait_for("INSTALLED", lambda: libs.clusterStatus(cid)["library_statuses"][0]["status"] == "INSTALLED")
        assert any(c["cluster_id"] == cid for c in libs.allClusterStatuses("unused")["statuses"])
        assert libs.uninstallLibrary(cid, [lib]) == {}
        assert libs.clusterStatus(cid)["library_statuses"][0]["status"] == "UNINSTALL_ON_RESTART"
        # Errors come back as dicts.
        err = libs.installLibrary(cid, [{"maven": {"coordinates": "bad"}}])
        assert err.get("error_code") == "INVALID_PARAMETER_VALUE", err
    finally:
        w.clusters.permanent_delete(cluster_id=cid)


try:
    import databricksapi  # noqa: F401
except ImportError:
    print("SKIP databricksapi 1.1.8 (not installed)")
else:
    check("databricksapi 1.1.8: Token, Secrets, DBFS, Workspace (incl. its known bugs)", original_package)
    check("databricksapi 1.1.8: Libraries (its 4 methods)", original_libraries)

sys.exit(failures)

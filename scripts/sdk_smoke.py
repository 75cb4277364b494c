#!/usr/bin/env python3
"""Drive a running emulator with Databricks' own Python clients (databricks-sdk, legacy databricks-cli).

    python3 -m venv .venv && .venv/bin/pip install databricks-sdk databricks-cli databricksapi
    cargo run --release -p dbx-mock-server -- --bind 127.0.0.1:8080 &
    DATABRICKS_HOST=http://127.0.0.1:8080 DATABRICKS_TOKEN=dapi1234567890abcdef1234567890abcdef .venv/bin/python scripts/sdk_smoke.py

Each check prints PASS or FAIL; the exit status is the number of failures. Run it against a fresh
emulator (some checks create fixed names). databricks-cli 0.18 drops the port from its host URL;
the script restores it by setting `ApiClient.url`. Not part of `cargo test`
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

# --- identity: SCIM Users / Groups / ServicePrincipals / Me (official SDK) ------------------
def sdk_users():
    from databricks.sdk.service import iam
    created = w.users.create(user_name="sdk-ann@example.com", display_name="Ann",
                             name=iam.Name(given_name="Ann", family_name="Lee"),
                             entitlements=[iam.ComplexValue(value="allow-cluster-create")])
    try:
        assert created.id and created.user_name == "sdk-ann@example.com", created
        got = w.users.get(created.id)
        assert got.name.family_name == "Lee" and got.entitlements[0].value == "allow-cluster-create", got
        found = list(w.users.list(filter='userName eq "SDK-ANN@example.com"'))  # the SDK's paginator
        assert [u.id for u in found] == [created.id], found
        everyone = [u.user_name for u in w.users.list(attributes="userName", sort_by="userName")]
        assert "admin@example.com" in everyone and "sdk-ann@example.com" in everyone, everyone
        w.users.patch(created.id, schemas=[iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP],
                      operations=[iam.Patch(op=iam.PatchOp.ADD, path="entitlements",
                                            value=[{"value": "databricks-sql-access"}]),
                                  iam.Patch(op=iam.PatchOp.REMOVE,
                                            path='entitlements[value eq "allow-cluster-create"]')])
        assert [e.value for e in w.users.get(created.id).entitlements] == ["databricks-sql-access"]
        w.users.update(created.id, user_name="sdk-ann@example.com", display_name="Ann Lee")
        after = w.users.get(created.id)
        assert after.display_name == "Ann Lee" and not after.entitlements, after
        from databricks.sdk import errors
        try:
            w.users.create(user_name="sdk-ann@example.com")
            raise AssertionError("duplicate userName accepted")
        except errors.ResourceConflict as e:
            assert e.error_code == "SCIM_409" and "uniqueness" in str(e), (e.error_code, str(e))
        try:
            list(w.users.list(filter="userName eq"))
            raise AssertionError("malformed filter accepted")
        except errors.BadRequest as e:
            assert "invalidFilter" in str(e), str(e)
    finally:
        w.users.delete(created.id)
    try:
        w.users.get(created.id)
        raise AssertionError("deleted user still there")
    except NotFound:
        pass


def sdk_groups():
    from databricks.sdk.service import iam
    user = w.users.create(user_name="sdk-bo@example.com")
    group = w.groups.create(display_name="sdk-team", members=[iam.ComplexValue(value=user.id)])
    outer = w.groups.create(display_name="sdk-outer")
    try:
        assert [m.value for m in w.groups.get(group.id).members] == [user.id]
        w.groups.patch(outer.id, schemas=[iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP],
                       operations=[iam.Patch(op=iam.PatchOp.ADD, value={"members": [{"value": group.id}]})])
        kinds = {(g.display, g.type) for g in w.users.get(user.id).groups}
        assert kinds == {("sdk-team", "direct"), ("sdk-outer", "indirect")}, kinds
        found = list(w.groups.list(filter='displayName eq "sdk-team"'))
        assert [g.id for g in found] == [group.id], found
        names = {g.display_name for g in w.groups.list(attributes="displayName")}
        assert {"admins", "users", "sdk-team", "sdk-outer"} <= names, names
        w.groups.update(group.id, display_name="sdk-team-2", members=[])
        renamed = w.groups.get(group.id)
        assert renamed.display_name == "sdk-team-2" and not renamed.members, renamed
        w.groups.patch(group.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="entitlements",
                                                       value=[{"value": "allow-cluster-create"}])])
        assert [e.value for e in w.groups.get(group.id).entitlements] == ["allow-cluster-create"]
    finally:
        w.groups.delete(outer.id)
        w.groups.delete(group.id)
        w.users.delete(user.id)
    from databricks.sdk import errors
    admins = next(iter(w.groups.list(filter='displayName eq "admins"')))
    try:
        w.groups.delete(admins.id)
        raise AssertionError("deleted admins")
    except errors.BadRequest:
        pass


def sdk_service_principals():
    from databricks.sdk.service import iam
    sp = w.service_principals.create(display_name="sdk-sp", entitlements=[iam.ComplexValue(value="workspace-access")])
    try:
        assert sp.application_id and w.service_principals.get(sp.id).display_name == "sdk-sp"
        found = list(w.service_principals.list(filter=f'applicationId eq "{sp.application_id}"'))
        assert [s.id for s in found] == [sp.id], found
        # Patch.as_dict drops a falsy `value` (`if self.value:`), so `path="active", value=False` reaches
        # the server without a value (400); the no-path form carries it.
        w.service_principals.patch(sp.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, value={"active": False})])
        assert w.service_principals.get(sp.id).active is False
        w.service_principals.update(sp.id, application_id=sp.application_id, display_name="sdk-sp-2", active=True)
        got = w.service_principals.get(sp.id)
        assert got.display_name == "sdk-sp-2" and got.active and not got.entitlements, got
    finally:
        w.service_principals.delete(sp.id)


def sdk_identity_effects():
    """Deactivation stops a user's tokens until reactivated; only admins change identities."""
    from databricks.sdk import errors
    from databricks.sdk.service import iam
    u = admin("/__mock/users", {"user_name": "sdk-cy@example.com"})
    tok = admin("/__mock/tokens", {"principal": u["user_name"]})["token_value"]
    wc = WorkspaceClient(host=host, token=tok)
    assert wc.current_user.me().user_name == "sdk-cy@example.com"
    try:
        wc.groups.create(display_name="not-allowed")
        raise AssertionError("non-admin created a group")
    except errors.PermissionDenied:
        pass
    w.users.patch(u["id"], operations=[iam.Patch(op=iam.PatchOp.REPLACE, value={"active": False})])
    try:
        wc.current_user.me()
        raise AssertionError("inactive user's token works")
    except PermissionDenied:
        pass
    w.users.patch(u["id"], operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=True)])
    assert wc.current_user.me().user_name == "sdk-cy@example.com"
    w.users.delete(u["id"])


check("sdk: users create/get/list(filter)/patch/update/delete, 409 and invalidFilter", sdk_users)
check("sdk: groups create/members/nesting/list(filter)/update/patch/delete", sdk_groups)
check("sdk: service_principals create/get/list(filter)/patch/update/delete", sdk_service_principals)
check("sdk: deactivation stops tokens; non-admin 403; current_user.me", sdk_identity_effects)


def sdk_instance_profiles():
    from databricks.sdk import errors
    from databricks.sdk.service.compute import AwsAttributes

    arn = "arn:aws:iam::123456789012:instance-profile/sdk-smoke"
    role = "arn:aws:iam::123456789012:role/sdk-smoke"
    w.instance_profiles.add(arn, skip_validation=True)
    try:
        listed = {p.instance_profile_arn: p for p in w.instance_profiles.list()}
        assert arn in listed and listed[arn].is_meta_instance_profile is False, listed
        w.instance_profiles.edit(arn, iam_role_arn=role)
        listed = {p.instance_profile_arn: p for p in w.instance_profiles.list()}
        assert listed[arn].iam_role_arn == role, listed[arn]
        try:
            w.instance_profiles.add(arn, skip_validation=True)
            raise AssertionError("duplicate add succeeded")
        except errors.ResourceAlreadyExists:
            pass
        try:
            w.instance_profiles.add("arn:aws:iam::123456789012:role/sdk-smoke")
            raise AssertionError("a role ARN was registered as an instance profile")
        except errors.InvalidParameterValue:
            pass
        # Only admins change profiles; every user lists them.
        bob = admin("/__mock/users", {"user_name": "sdk-ip-bob@example.com"})
        wb = WorkspaceClient(host=host, token=admin("/__mock/tokens", {"principal": bob["user_name"]})["token_value"])
        try:
            wb.instance_profiles.remove(arn)
            raise AssertionError("a non-admin removed a profile")
        except errors.PermissionDenied:
            pass
        assert arn in [p.instance_profile_arn for p in wb.instance_profiles.list()]
        # A cluster may only use a registered profile.
        try:
            w.clusters.create(spark_version="16.4.x-scala2.12", node_type_id="m5d.large", num_workers=0,
                              aws_attributes=AwsAttributes(
                                  instance_profile_arn="arn:aws:iam::123456789012:instance-profile/unregistered"))
            raise AssertionError("a cluster was created with an unregistered instance profile")
        except errors.InvalidParameterValue:
            pass
    finally:
        w.instance_profiles.remove(arn)
    assert arn not in [p.instance_profile_arn for p in w.instance_profiles.list()]
    try:
        w.instance_profiles.remove(arn)
        raise AssertionError("second remove succeeded")
    except (errors.ResourceDoesNotExist, errors.NotFound):
        pass


check("sdk: instance profiles add/edit/list/remove, errors, admin-only, clusters need a registered one",
      sdk_instance_profiles)

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

# --- Jobs (databricks-sdk speaks /api/2.2/jobs/*) -------------------------------------------
def _smoke_cluster():
    created = w.clusters.create(cluster_name="jobs-smoke", spark_version="15.4.x-scala2.12",
                                node_type_id="i3.xlarge", num_workers=1)
    return created.cluster_id


def _smoke_notebook(path, source):
    import base64
    from databricks.sdk.service.workspace import ImportFormat, Language
    w.workspace.mkdirs(path.rsplit("/", 1)[0])
    w.workspace.import_(path, format=ImportFormat.SOURCE, language=Language.PYTHON, overwrite=True,
                        content=base64.b64encode(source.encode()).decode())


def sdk_jobs_crud():
    from databricks.sdk.service import jobs
    cid = _smoke_cluster()
    created = w.jobs.create(name="sdk-jobs-crud", max_concurrent_runs=2, tasks=[
        jobs.Task(task_key="a", existing_cluster_id=cid,
                  notebook_task=jobs.NotebookTask(notebook_path="/Shared/smoke/ok")),
        jobs.Task(task_key="b", existing_cluster_id=cid, depends_on=[jobs.TaskDependency(task_key="a")],
                  spark_python_task=jobs.SparkPythonTask(python_file="dbfs:/smoke.py"))])
    job = w.jobs.get(created.job_id)
    assert [t.task_key for t in job.settings.tasks] == ["a", "b"], job.settings.tasks
    assert job.settings.queue.enabled is True, job.settings.queue  # 2.2 queues by default
    assert job.settings.format == jobs.Format.MULTI_TASK
    assert created.job_id in [j.job_id for j in w.jobs.list(name="SDK-JOBS-CRUD")]
    w.jobs.update(created.job_id, new_settings=jobs.JobSettings(tags={"team": "smoke"}),
                  fields_to_remove=["tasks/b"])
    job = w.jobs.get(created.job_id)
    assert [t.task_key for t in job.settings.tasks] == ["a"] and job.settings.tags == {"team": "smoke"}
    w.jobs.reset(created.job_id, new_settings=jobs.JobSettings(name="sdk-jobs-renamed", tasks=job.settings.tasks))
    assert w.jobs.get(created.job_id).settings.name == "sdk-jobs-renamed"
    w.jobs.delete(created.job_id)
    try:
        w.jobs.get(created.job_id)
        raise AssertionError("deleted job still readable")
    except Exception as e:  # noqa: BLE001
        assert "does not exist" in str(e), e
    many = [w.jobs.create(name=f"sdk-page-{i}").job_id for i in range(5)]
    listed = [j.job_id for j in w.jobs.list(limit=2)]  # follows next_page_token
    assert set(many) <= set(listed), (many, listed)
    for j in many:
        w.jobs.delete(j)


def sdk_jobs_runs():
    import time
    from databricks.sdk.service import jobs
    cid = _smoke_cluster()
    _smoke_notebook("/Shared/smoke/ok", "x = 1\n\n# COMMAND ----------\n\ndbutils.notebook.exit(\"smoke ok\")\n")
    _smoke_notebook("/Shared/smoke/bad", "raise ValueError(\"smoke failure\")\n")
    nb = lambda key, path, deps=(): jobs.Task(  # noqa: E731
        task_key=key, existing_cluster_id=cid, notebook_task=jobs.NotebookTask(notebook_path=path),
        depends_on=[jobs.TaskDependency(task_key=d) for d in deps])
    job_id = w.jobs.create(name="sdk-jobs-runs", tasks=[
        nb("one", "/Shared/smoke/ok"), nb("two", "/Shared/smoke/ok", ["one"]),
        nb("three", "/Shared/smoke/ok", ["two"])]).job_id
    started = time.monotonic()
    run = w.jobs.run_now(job_id, notebook_params={"p": "1"}).result()
    wall = time.monotonic() - started
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    assert [t.task_key for t in run.tasks] == ["one", "two", "three"]
    print(f"INFO run_now(...).result() of a 3-task job: {wall:.1f} s wall")
    out = w.jobs.get_run_output(run.tasks[0].run_id)
    assert out.notebook_output.result == "smoke ok", out
    runs = list(w.jobs.list_runs(job_id=job_id, expand_tasks=True))
    assert [r.run_id for r in runs] == [run.run_id], runs
    # submit: a failing notebook ends FAILED with the error in get-output.
    bad = w.jobs.submit(run_name="sdk-submit-bad", tasks=[jobs.SubmitTask(
        task_key="bad", existing_cluster_id=cid,
        notebook_task=jobs.NotebookTask(notebook_path="/Shared/smoke/bad"))]).result()
    assert bad.state.result_state == jobs.RunResultState.FAILED, bad.state
    out = w.jobs.get_run_output(bad.tasks[0].run_id)
    assert out.error == "ValueError: smoke failure", out.error
    # cancel_run: a long run (scripted) ends CANCELED.
    admin("/__mock/jobs/outcomes", {"task_key": "long", "duration_ms": 600000, "times": 1})
    slow = w.jobs.submit(run_name="sdk-submit-long", tasks=[jobs.SubmitTask(
        task_key="long", existing_cluster_id=cid,
        spark_python_task=jobs.SparkPythonTask(python_file="dbfs:/x.py"))])
    w.jobs.cancel_run(slow.run_id).result()
    assert w.jobs.get_run(slow.run_id).state.result_state == jobs.RunResultState.CANCELED
    w.jobs.delete(job_id)


check("sdk: jobs create/get/list/update/reset/delete (2.2)", sdk_jobs_crud)
check("sdk: jobs run_now(...).result(), submit(...).result(), get_run_output, list_runs, cancel_run", sdk_jobs_runs)

# --- legacy databricks-cli 0.18 (GET parameters, its own ApiClient) ------------------------
from databricks_cli.sdk.api_client import ApiClient  # noqa: E402
from databricks_cli.sdk.service import TokenService  # noqa: E402



def legacy_tokens():
    legacy = TokenService(legacy_client())
    created = legacy.create_token(lifetime_seconds=60, comment="legacy cli")
    infos = legacy.list_tokens().get("token_infos", [])
    assert any(t["token_id"] == created["token_info"]["token_id"] for t in infos)
    legacy.revoke_token(created["token_info"]["token_id"])


def legacy_secrets_dbfs_workspace():
    import base64
    from databricks_cli.sdk.service import DbfsService, SecretService, WorkspaceService
    client = legacy_client()
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


def legacy_client():
    client = ApiClient(host=host, token=token)
    # databricks-cli 0.18 rebuilds the URL as scheme://hostname/api/ and drops the port; put it back.
    client.url = host.rstrip("/") + "/api/"
    return client


def legacy_groups():
    from databricks_cli.sdk.service import GroupsService
    client = legacy_client()
    g = GroupsService(client)
    client.perform_query("POST", "/preview/scim/v2/Users", data={"userName": "legacy-dee@example.com"})
    assert g.create_group("legacy-team") == {"group_name": "legacy-team"}
    assert g.create_group("legacy-outer") == {"group_name": "legacy-outer"}
    assert g.add_to_group("legacy-team", user_name="legacy-dee@example.com") == {}
    assert g.add_to_group("legacy-outer", group_name="legacy-team") == {}
    assert "legacy-team" in g.get_groups()["group_names"]
    assert g.get_group_members("legacy-team") == {"members": [{"user_name": "legacy-dee@example.com"}]}
    assert g.get_groups_for_principal(user_name="legacy-dee@example.com") == {"group_names": ["legacy-team"]}
    assert g.get_groups_for_principal(group_name="legacy-team") == {"group_names": ["legacy-outer"]}
    assert g.remove_from_group("legacy-outer", group_name="legacy-team") == {}
    try:
        g.create_group("legacy-team")
        raise AssertionError("duplicate group accepted")
    except Exception as e:  # noqa: BLE001 - requests.HTTPError with the body in the message
        assert "RESOURCE_ALREADY_EXISTS" in str(e), e
    assert g.remove_group("legacy-outer") == {}
    assert g.remove_group("legacy-team") == {}


def legacy_scim():
    """databricks-cli 0.18 has no SCIM service; its ApiClient reaches SCIM by path."""
    import requests
    client = legacy_client()
    u = client.perform_query("POST", "/preview/scim/v2/Users", data={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "legacy-eli@example.com"})
    found = client.perform_query("GET", "/preview/scim/v2/Users", data={"filter": 'userName eq "legacy-eli@example.com"'})
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == u["id"], found
    grp = client.perform_query("POST", "/preview/scim/v2/Groups", data={"displayName": "legacy-scim"})
    patched = client.perform_query("PATCH", f"/preview/scim/v2/Groups/{grp['id']}", data={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "value": {"members": [{"value": u["id"]}]}}]})
    assert patched["members"][0]["value"] == u["id"], patched
    legacy_members = client.perform_query("GET", "/groups/list-members", data={"group_name": "legacy-scim"})
    assert legacy_members == {"members": [{"user_name": "legacy-eli@example.com"}]}, legacy_members
    for path in (f"/preview/scim/v2/Groups/{grp['id']}", f"/preview/scim/v2/Users/{u['id']}", "/preview/scim/v2/Users/legacy-dee"):
        if path.endswith("legacy-dee"):
            dee = client.perform_query("GET", "/preview/scim/v2/Users", data={"filter": 'userName eq "legacy-dee@example.com"'})
            path = f"/preview/scim/v2/Users/{dee['Resources'][0]['id']}"
        # DELETE answers 204 with no body, which perform_query cannot parse as JSON (as with the
        # real service); the delete has happened.
        try:
            client.perform_query("DELETE", path)
        except ValueError:
            pass
        try:
            client.perform_query("GET", path)
            raise AssertionError(f"{path} still exists")
        except requests.exceptions.HTTPError as e:
            assert e.response.status_code == 404, e


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
    cs = ClusterService(legacy_client())
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


def legacy_libraries():
    from databricks_cli.sdk.service import ManagedLibraryService
    libs = ManagedLibraryService(legacy_client())
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


def legacy_jobs(version):
    import time
    from databricks_cli.sdk.service import ClusterService, JobsService
    client = ApiClient(host=host, token=token, jobs_api_version=version)
    client.url = host.rstrip("/") + "/api/"  # databricks-cli 0.18 drops the port; put it back
    cid = ClusterService(client).create_cluster(num_workers=1, spark_version="15.4.x-scala2.12",
                                                node_type_id="i3.xlarge", cluster_name="legacy")["cluster_id"]
    js = JobsService(client)
    if version == "2.0":
        job_id = js.create_job(name="legacy-2.0", existing_cluster_id=cid,
                               spark_python_task={"python_file": "dbfs:/x.py"})["job_id"]
        assert js.get_job(job_id)["settings"]["spark_python_task"]["python_file"] == "dbfs:/x.py"
    else:
        job_id = js.create_job(name="legacy-2.1", tasks=[{"task_key": "t", "existing_cluster_id": cid,
                               "spark_python_task": {"python_file": "dbfs:/x.py"}}])["job_id"]
        assert js.get_job(job_id)["settings"]["tasks"][0]["task_key"] == "t"
    assert any(j["job_id"] == job_id for j in js.list_jobs()["jobs"])
    run_id = js.run_now(job_id, python_params=["a"])["run_id"]
    for _ in range(30):
        run = js.get_run(run_id)
        if run["state"]["life_cycle_state"] == "TERMINATED":
            break
        time.sleep(0.5)
    assert run["state"].get("result_state") == "SUCCESS", run["state"]
    assert js.list_runs(job_id=job_id)["runs"][0]["run_id"] == run_id
    js.delete_run(run_id)
    js.delete_job(job_id)


check("databricks-cli 0.18: create/list/revoke tokens", legacy_tokens)
check("databricks-cli 0.18: secrets, dbfs blocks and root listing, workspace import", legacy_secrets_dbfs_workspace)
check("databricks-cli 0.18: GroupsService (create, members, parents, remove, delete)", legacy_groups)
check("databricks-cli 0.18: SCIM through its ApiClient (filter, create, PATCH, delete)", legacy_scim)
check("databricks-cli 0.18: ClusterService create/list/resize/restart/delete/start/pin/events", legacy_clusters)
check("databricks-cli 0.18: ManagedLibraryService install/status/uninstall", legacy_libraries)
check("databricks-cli 0.18: JobsService on 2.0", lambda: legacy_jobs("2.0"))
check("databricks-cli 0.18: JobsService on 2.1 (jobs_api_version)", lambda: legacy_jobs("2.1"))

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


def original_groups():
    from databricksapi import Groups
    g = Groups.Groups(host, token)
    # Its createGroup posts to /api/2.0/groups/group (sic): the service has no such endpoint.
    err = g.createGroup("orig-team")
    assert err == {"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found for 'POST /groups/group'"}, err
    admin("/__mock/groups", {"name": "orig-team"})
    fin = admin("/__mock/users", {"user_name": "orig-fin@example.com"})
    assert g.addMember("orig-team", "orig-fin@example.com", "user") == {}
    assert "orig-team" in g.listGroups()["group_names"]
    assert g.listGroupMembers("orig-team", "list") == ["orig-fin@example.com"]  # GET with a JSON body
    assert g.listParents("orig-fin@example.com", "user") == {"group_names": ["orig-team"]}
    assert g.removeMember("orig-fin@example.com", "orig-team", "user") == {}
    assert g.listGroupMembers("orig-team") == {}
    assert g.deleteGroup("orig-team") == {}
    assert g.deleteGroup("orig-team")["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    w.users.delete(fin["id"])


def original_scim():
    """Every SCIM method of databricksapi 1.1.8 raises TypeError before sending (it passes `accept=`
    and `payload=` to requests); the URLs it builds are answered as the service answers them."""
    import requests
    from databricksapi import SCIM
    s = SCIM.SCIM(host, token)

    def journal_len():
        with urllib.request.urlopen(host + "/__mock/journal") as r:
            return len(json.loads(r.read())["entries"])

    before = journal_len()
    calls = [
        lambda: s.getUsers('filter=userName eq "admin@example.com"'),
        lambda: s.getUsersById("1000000000000003"),
        lambda: s.createUser(["urn:ietf:params:scim:schemas:core:2.0:User"], "orig-x@example.com", [], []),
        lambda: s.updateUserByIdPatch("1", [], []),
        lambda: s.updateUserByIdPut("1", [], "orig-x@example.com", [], [], []),
        lambda: s.deleteUserById("1"),
        lambda: s.getGroups(),
        lambda: s.getGroupById("1000000000000001"),
        lambda: s.createGroup("1", [], "orig-g", []),
        lambda: s.updateGroup("1", [], []),
        lambda: s.deleteGroup("1"),
    ]
    for call in calls:
        try:
            call()
            raise AssertionError("a databricksapi SCIM method returned")
        except TypeError:
            pass
    assert journal_len() == before, "a databricksapi SCIM call reached the server"
    auth = {"authorization": s._token, "content-type": "application/scim+json"}
    # getUsers appends the filter string unencoded; requests percent-encodes it on the way.
    url = "{}?{}".format(s._set_url(s._url, s._api_type, "Users"), 'filter=userName eq "admin@example.com"')
    r = requests.get(url, headers=auth)
    assert r.status_code == 200 and r.json()["totalResults"] == 1, r.text
    r = requests.get(s._set_url(s._url, s._api_type, "Groups/1000000000000001"), headers=auth)
    assert r.json()["displayName"] == "admins", r.text
    # Its createGroup posts to Groups/{id}: no such endpoint.
    r = requests.post(s._set_url(s._url, s._api_type, "Groups/1"), headers=auth, data=json.dumps({"displayName": "x"}))
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND", r.text
    r = requests.post(s._set_url(s._url, s._api_type, "Users"), headers=auth, data=json.dumps(
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "orig-x@example.com",
         "groups": [{"value": "1000000000000001"}], "entitlements": [{"value": "allow-cluster-create"}]}))
    assert r.status_code == 201 and r.json()["groups"][0]["display"] == "admins", r.text
    r = requests.delete(s._set_url(s._url, s._api_type, "Users/" + r.json()["id"]), headers=auth)
    assert r.status_code == 204 and r.content == b"", r.text


def original_instance_profile():
    from databricksapi import InstanceProfile
    ip = InstanceProfile.InstanceProfile(host, token)
    arn = "arn:aws:iam::123456789012:instance-profile/orig-profile"
    assert ip.addProfile(arn, True) == {}
    try:
        listed = ip.listProfiles()["instance_profiles"]
        assert {"instance_profile_arn": arn, "is_meta_instance_profile": False} in listed, listed
        # Its removeProfile takes no ARN and posts an empty body: refused, naming the field.
        err = ip.removeProfile()
        assert err.get("error_code") == "INVALID_PARAMETER_VALUE", err
        assert "instance_profile_arn" in err.get("message", ""), err
        assert arn in [p["instance_profile_arn"] for p in ip.listProfiles()["instance_profiles"]]
    finally:
        w.instance_profiles.remove(arn)


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


def original_jobs():
    import time
    from databricksapi import Jobs
    req = urllib.request.Request(host + "/api/2.0/clusters/create", method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=json.dumps({"cluster_name": "orig-jobs", "spark_version": "15.4.x-scala2.12",
                         "node_type_id": "i3.xlarge", "num_workers": 1}).encode())
    with urllib.request.urlopen(req) as r:
        cid = json.loads(r.read())["cluster_id"]
    j = Jobs.Jobs(host, token)
    # Its createJob sends `email_notications` (sic): an unknown field, kept and ignored.
    job_id = j.createJob(cid, "existing", {"python_file": "dbfs:/x.py"}, "python", "orig-job",
                         email_notications={"on_failure": ["a@example.com"]}, max_concurrent_runs=1)["job_id"]
    assert j.getJob(job_id)["settings"]["name"] == "orig-job"  # GET with a JSON body
    assert any(x["job_id"] == job_id for x in j.listJobs()["jobs"])
    assert j.resetJob(job_id, {"name": "orig-job-2", "existing_cluster_id": cid,
                               "spark_python_task": {"python_file": "dbfs:/y.py"}}) == {}
    run_id = j.runJob(job_id, "python", ["x"])["run_id"]
    for _ in range(30):
        run = j.runsGet(run_id)
        if run["state"]["life_cycle_state"] == "TERMINATED":
            break
        time.sleep(0.5)
    assert run["state"]["result_state"] == "SUCCESS", run
    assert j.runsList("completed", job_id=job_id)["runs"][0]["run_id"] == run_id
    out = j.runsGetOutput(run_id)
    assert out["metadata"]["run_id"] == run_id, out
    sub = j.runsSubmit("orig-submit", cid, {"notebook_path": "/Shared/none"}, "existing", "notebook")["run_id"]
    assert j.runsCancel(sub) == {}
    err = j.runsExport(run_id, "CODE")  # not a notebook run: the service's error comes back as a dict
    assert err.get("error_code") == "INVALID_PARAMETER_VALUE", err
    time.sleep(1)
    assert j.runsDelete(run_id) == {}
    assert j.deleteJob(job_id) == {}


try:
    import databricksapi  # noqa: F401
except ImportError:
    print("SKIP databricksapi 1.1.8 (not installed)")
else:
    check("databricksapi 1.1.8: Token, Secrets, DBFS, Workspace (incl. its known bugs)", original_package)
    check("databricksapi 1.1.8: Groups (its createGroup URL is ENDPOINT_NOT_FOUND)", original_groups)
    check("databricksapi 1.1.8: SCIM methods raise before sending; their URLs answered", original_scim)
    check("databricksapi 1.1.8: InstanceProfile add/list, and its ARN-less removeProfile refused", original_instance_profile)
    check("databricksapi 1.1.8: Clusters (incl. its resizeCluster bug)", original_clusters)
    check("databricksapi 1.1.8: Libraries (its 4 methods)", original_libraries)
    check("databricksapi 1.1.8: Jobs (create incl. its email_notications typo, runs, output, cancel, delete)", original_jobs)


def state_round_trip():
    """GET /__mock/state, a change through the SDK, PUT the document back: the change is gone and
    the SDK still authenticates (docs/emulator.md, "Keeping and seeding state")."""
    from databricks.sdk import WorkspaceClient
    with urllib.request.urlopen(host + "/__mock/state") as r:
        doc = r.read()
    assert json.loads(doc)["format_version"] == 1
    w = WorkspaceClient(host=host, token=token)
    w.secrets.create_scope(scope="sdk-state-round-trip")
    assert "sdk-state-round-trip" in [s.name for s in w.secrets.list_scopes()]
    req = urllib.request.Request(host + "/__mock/state", data=doc, method="PUT",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).close()
    assert "sdk-state-round-trip" not in [s.name for s in w.secrets.list_scopes()]
    assert w.current_user.me().user_name == "admin@example.com"


check("emulator: GET/PUT /__mock/state round trip under the SDK", state_round_trip)

sys.exit(failures)

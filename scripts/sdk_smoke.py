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


def legacy_jobs(version):
    import time
    from databricks_cli.sdk.service import ClusterService, JobsService
    client = ApiClient(host=host, token=token, jobs_api_version=version)
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


from urllib.parse import urlparse  # noqa: E402

if urlparse(host).port not in (None, 80, 443):
    # databricks-cli 0.18 rebuilds the URL as scheme://hostname/api/ and drops the port.
    print("SKIP databricks-cli 0.18 (it drops the port from DATABRICKS_HOST; run the emulator on port 80)")
else:
    check("databricks-cli 0.18: create/list/revoke tokens", legacy_tokens)
    check("databricks-cli 0.18: secrets, dbfs blocks and root listing, workspace import", legacy_secrets_dbfs_workspace)
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
    check("databricksapi 1.1.8: Jobs (create incl. its email_notications typo, runs, output, cancel, delete)", original_jobs)

sys.exit(failures)

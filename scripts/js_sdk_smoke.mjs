// Drive a running emulator with the official JavaScript SDK (@databricks/sdk-experimental).
//
//   mkdir -p /tmp/jssdk && cd /tmp/jssdk && npm init -y && npm install @databricks/sdk-experimental@0.17.0
//   cp <repo>/scripts/js_sdk_smoke.mjs . && DATABRICKS_HOST=http://127.0.0.1:8080 DATABRICKS_TOKEN=... node js_sdk_smoke.mjs
//
// Each check prints PASS or FAIL; the exit status is the number of failures.
import {WorkspaceClient} from "@databricks/sdk-experimental";
const host = process.env.DATABRICKS_HOST, token = process.env.DATABRICKS_TOKEN;
let failures = 0;
async function check(name, fn) {
  try { await fn(); console.log(`PASS ${name}`); }
  catch (e) { failures++; console.log(`FAIL ${name}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`); }
}
function assert(c, m) { if (!c) throw new Error(m || "assertion failed"); }
const w = new WorkspaceClient({host, token, authType: "pat"});
await check("js: currentUser.me", async () => {
  const me = await w.currentUser.me();
  assert(me.userName === "admin@example.com" || me.user_name === "admin@example.com", JSON.stringify(me));
});
await check("js: tokens create/list/delete", async () => {
  const c = await w.tokens.create({comment: "js smoke", lifetime_seconds: 600});
  const info = c.token_info || c.tokenInfo;
  const id = info.token_id || info.tokenId;
  const ids = [];
  for await (const t of w.tokens.list()) ids.push(t.token_id || t.tokenId);
  assert(ids.includes(id), JSON.stringify(ids));
  await w.tokens.delete({token_id: id});
});
await check("js: secrets scope/put/list/delete", async () => {
  await w.secrets.createScope({scope: "js-scope"});
  await w.secrets.putSecret({scope: "js-scope", key: "k", string_value: "v"});
  const keys = [];
  for await (const s of w.secrets.listSecrets({scope: "js-scope"})) keys.push(s.key);
  assert(keys.length === 1 && keys[0] === "k", JSON.stringify(keys));
  await w.secrets.deleteScope({scope: "js-scope"});
});
await check("js: dbfs put/get-status/read/delete", async () => {
  await w.dbfs.put({path: "/js.txt", contents: Buffer.from("hello").toString("base64"), overwrite: true});
  const st = await w.dbfs.getStatus({path: "/js.txt"});
  assert((st.file_size ?? st.fileSize) === 5, JSON.stringify(st));
  const r = await w.dbfs.read({path: "/js.txt"});
  assert(Buffer.from(r.data, "base64").toString() === "hello", JSON.stringify(r));
  await w.dbfs.delete({path: "/js.txt"});
});
await check("js: dbfs root lists the standard folders", async () => {
  const paths = [];
  for await (const f of w.dbfs.list({path: "/"})) paths.push(f.path);
  for (const p of ["/FileStore", "/databricks-datasets", "/databricks-results", "/tmp", "/user"])
    assert(paths.includes(p), JSON.stringify(paths));
});
await check("js: workspace mkdirs/import/list/export/delete", async () => {
  await w.workspace.mkdirs({path: "/Shared/js"});
  await w.workspace.import({path: "/Shared/js/nb", format: "SOURCE", language: "PYTHON",
    content: Buffer.from("print(1)").toString("base64"), overwrite: true});
  const kinds = [];
  for await (const o of w.workspace.list({path: "/Shared/js"})) kinds.push(o.object_type || o.objectType);
  assert(kinds.length === 1 && kinds[0] === "NOTEBOOK", JSON.stringify(kinds));
  const e = await w.workspace.export({path: "/Shared/js/nb", format: "SOURCE"});
  assert(Buffer.from(e.content, "base64").toString() === "# Databricks notebook source\nprint(1)", JSON.stringify(e));
  await w.workspace.delete({path: "/Shared/js", recursive: true});
});
await check("js: not-found error", async () => {
  try { await w.workspace.getStatus({path: "/nope"}); throw new Error("no error"); }
  catch (e) { assert(String(e.errorCode || e.error_code || e.message).includes("RESOURCE_DOES_NOT_EXIST") || e.statusCode === 404, `${e.constructor.name} ${e.message}`); }
});
// Identity (SCIM). Two quirks of this SDK version: its `list` generators re-send the same request
// without advancing `startIndex`, so against a server that pages they repeat the first page until
// it is empty (`firstPage` stops at the first repeated id); and its ApiClient sends a body only for
// POST and PUT, so every PATCH arrives without `Operations` and is refused (400 invalidSyntax):
// changes go through `update` (PUT) here.
async function firstPage(gen) {
  const seen = new Map();
  for await (const r of gen) { if (seen.has(r.id)) break; seen.set(r.id, r); }
  return [...seen.values()];
}
const PATCH_OP = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
await check("js: SCIM users create/get/list(filter)/update/delete (PATCH refused: no body)", async () => {
  const u = await w.usersV2.create({userName: "js-ann@example.com", displayName: "Ann",
    entitlements: [{value: "allow-cluster-create"}]});
  assert(u.id && u.userName === "js-ann@example.com", JSON.stringify(u));
  const got = await w.usersV2.get({id: u.id});
  assert(got.entitlements[0].value === "allow-cluster-create", JSON.stringify(got));
  const found = await firstPage(w.usersV2.list({filter: 'userName eq "JS-ANN@example.com"'}));
  assert(found.length === 1 && found[0].id === u.id, JSON.stringify(found));
  try {
    await w.usersV2.patch({id: u.id, schemas: PATCH_OP,
      Operations: [{op: "remove", path: 'entitlements[value eq "allow-cluster-create"]'}]});
    throw new Error("PATCH without a body accepted");
  } catch (e) { assert(String(e.message).includes("invalidSyntax"), `${e.constructor.name} ${e.message}`); }
  await w.usersV2.update({id: u.id, userName: "js-ann@example.com", displayName: "Ann Lee"});
  const put = await w.usersV2.get({id: u.id});
  assert(put.displayName === "Ann Lee" && !put.entitlements, JSON.stringify(put));
  await w.usersV2.delete({id: u.id});
  try { await w.usersV2.get({id: u.id}); throw new Error("deleted user still there"); }
  catch (e) { assert(e.statusCode === 404 || String(e.message).includes("not found"), `${e.constructor.name} ${e.message}`); }
});
await check("js: SCIM groups members and service principals", async () => {
  const u = await w.usersV2.create({userName: "js-bo@example.com"});
  const g = await w.groupsV2.create({displayName: "js-team", members: [{value: u.id}]});
  const user = await w.usersV2.get({id: u.id});
  assert(user.groups.length === 1 && user.groups[0].display === "js-team", JSON.stringify(user));
  const groups = await firstPage(w.groupsV2.list({filter: 'displayName eq "js-team"'}));
  assert(groups.length === 1 && groups[0].members[0].value === u.id, JSON.stringify(groups));
  await w.groupsV2.update({id: g.id, displayName: "js-team", members: []});
  assert(!(await w.groupsV2.get({id: g.id})).members, "members not removed");
  await w.groupsV2.delete({id: g.id});
  await w.usersV2.delete({id: u.id});
  const sp = await w.servicePrincipalsV2.create({displayName: "js-sp"});
  assert(sp.applicationId && sp.active === true, JSON.stringify(sp));
  const sps = await firstPage(w.servicePrincipalsV2.list({filter: `applicationId eq "${sp.applicationId}"`}));
  assert(sps.length === 1, JSON.stringify(sps));
  await w.servicePrincipalsV2.delete({id: sp.id});
});
await check("js: SCIM 409 and invalidFilter", async () => {
  try { await w.groupsV2.create({displayName: "admins"}); throw new Error("duplicate accepted"); }
  catch (e) { assert(e.statusCode === 409 || String(e.message).includes("uniqueness"), `${e.constructor.name} ${e.message}`); }
  try { await firstPage(w.usersV2.list({filter: "userName eq"})); throw new Error("bad filter accepted"); }
  catch (e) { assert(e.statusCode === 400 || String(e.message).includes("invalidFilter"), `${e.constructor.name} ${e.message}`); }
});
await check("js: instance profiles add/list/edit/remove", async () => {
  const arn = "arn:aws:iam::123456789012:instance-profile/js-smoke";
  await w.instanceProfiles.add({instance_profile_arn: arn, skip_validation: true});
  try {
    await w.instanceProfiles.edit({instance_profile_arn: arn, iam_role_arn: "arn:aws:iam::123456789012:role/js-smoke"});
    const seen = [];
    for await (const p of w.instanceProfiles.list()) seen.push(p);
    const mine = seen.find((p) => (p.instance_profile_arn || p.instanceProfileArn) === arn);
    assert(mine && (mine.iam_role_arn || mine.iamRoleArn) === "arn:aws:iam::123456789012:role/js-smoke", JSON.stringify(seen));
    try { await w.instanceProfiles.add({instance_profile_arn: arn, skip_validation: true}); throw new Error("duplicate add succeeded"); }
    catch (e) { assert(String(e.errorCode || e.error_code || e.message).includes("RESOURCE_ALREADY_EXISTS"), `${e.constructor.name} ${e.message}`); }
  } finally {
    await w.instanceProfiles.remove({instance_profile_arn: arn});
  }
});
await check("js: clusters selectSparkVersion / selectNodeType", async () => {
  const lts = await w.clusters.selectSparkVersion({latest: true, longTermSupport: true});
  assert(lts === "16.4.x-scala2.12", lts);
  const ml = await w.clusters.selectSparkVersion({latest: true, ml: true, gpu: true});
  assert(ml === "16.4.x-gpu-ml-scala2.12", ml);
  const node = await w.clusters.selectNodeType({localDisk: true});
  assert(node === "m5d.large", node);
  const gpu = await w.clusters.selectNodeType({minGpus: 1});
  assert(gpu === "g4dn.xlarge", gpu);
  const zones = await w.clusters.listZones();
  assert((zones.zones || []).includes(zones.default_zone ?? zones.defaultZone), JSON.stringify(zones));
});
await check("js: clusters create/resize/delete/start waiters, events, list, permanentDelete", async () => {
  const state = (c) => c.state;
  const created = await w.clusters.create({cluster_name: "js-smoke", spark_version: "16.4.x-scala2.12",
    node_type_id: "m5d.large", num_workers: 1});
  const id = created.cluster_id ?? created.clusterId;
  let c = await created.wait();
  assert(state(c) === "RUNNING", JSON.stringify(c));
  c = await (await w.clusters.resize({cluster_id: id, num_workers: 2})).wait();
  assert(state(c) === "RUNNING" && (c.executors || []).length === 2, JSON.stringify(c));
  c = await (await w.clusters.delete({cluster_id: id})).wait();
  assert(state(c) === "TERMINATED", JSON.stringify(c));
  const reason = c.termination_reason ?? c.terminationReason;
  assert(reason.code === "USER_REQUEST", JSON.stringify(reason));
  c = await (await w.clusters.start({cluster_id: id})).wait();
  assert(state(c) === "RUNNING", JSON.stringify(c));
  const types = [];
  for await (const e of w.clusters.events({cluster_id: id, limit: 2})) types.push(e.type);
  for (const t of ["CREATING", "RUNNING", "RESIZING", "TERMINATING", "STARTING"])
    assert(types.includes(t), JSON.stringify(types));
  const running = [];
  for await (const x of w.clusters.list({filter_by: {cluster_states: ["RUNNING"]}})) running.push(x.cluster_id ?? x.clusterId);
  assert(running.includes(id), JSON.stringify(running));
  try { await w.clusters.start({cluster_id: id}); throw new Error("started a running cluster"); }
  catch (e) { assert(String(e.errorCode || e.error_code || e.message).includes("INVALID_STATE"), `${e.constructor.name} ${e.message}`); }
  await w.clusters.permanentDelete({cluster_id: id});
  try { await w.clusters.get({cluster_id: id}); throw new Error("still there"); }
  catch (e) { assert(String(e.message).includes("does not exist"), `${e.constructor.name} ${e.message}`); }
});
await check("js: libraries install/clusterStatus/allClusterStatuses/uninstall", async () => {
  const c = await w.apiClient.request({path: "/api/2.1/clusters/create", method: "POST", headers: new Headers({"Content-Type": "application/json"}),
    payload: {cluster_name: "js-libraries", spark_version: "16.4.x-scala2.12", node_type_id: "m5d.large", num_workers: 1}, raw: false});
  const cid = c.cluster_id;
  try {
    const lib = {pypi: {package: "simplejson"}};
    await w.libraries.install({cluster_id: cid, libraries: [lib]});
    const statuses = async () => { const out = []; for await (const s of w.libraries.clusterStatus({cluster_id: cid})) out.push(s); return out; };
    let st = await statuses();
    assert(st.length === 1 && st[0].library.pypi.package === "simplejson", JSON.stringify(st));
    for (let i = 0; i < 120 && st[0].status !== "INSTALLED"; i++) { await new Promise(r => setTimeout(r, 250)); st = await statuses(); }
    assert(st[0].status === "INSTALLED", JSON.stringify(st));
    const all = [];
    for await (const x of w.libraries.allClusterStatuses()) all.push(x.cluster_id);
    assert(all.includes(cid), JSON.stringify(all));
    await w.libraries.uninstall({cluster_id: cid, libraries: [lib]});
    st = await statuses();
    assert(st[0].status === "UNINSTALL_ON_RESTART", JSON.stringify(st));
  } finally {
    await w.clusters.permanentDelete({cluster_id: cid});
  }
});
await check("js: jobs create/get/list, runNow(...).wait(), getRunOutput, listRuns, delete", async () => {
  const c = await w.clusters.create({cluster_name: "js-jobs", spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1});
  const cid = c.cluster_id ?? c.response?.cluster_id;
  await w.workspace.mkdirs({path: "/Shared/jsjobs"});
  await w.workspace.import({path: "/Shared/jsjobs/nb", format: "SOURCE", language: "PYTHON", overwrite: true,
    content: Buffer.from('dbutils.notebook.exit("js ok")').toString("base64")});
  const {job_id} = await w.jobs.create({name: "js-job", tasks: [
    {task_key: "a", existing_cluster_id: cid, notebook_task: {notebook_path: "/Shared/jsjobs/nb"}},
    {task_key: "b", existing_cluster_id: cid, depends_on: [{task_key: "a"}], notebook_task: {notebook_path: "/Shared/jsjobs/nb"}}]});
  const job = await w.jobs.get({job_id});
  assert(job.settings.tasks.length === 2 && job.settings.queue.enabled === true, JSON.stringify(job));
  const ids = [];
  for await (const j of w.jobs.list({name: "js-job"})) ids.push(j.job_id);
  assert(ids.includes(job_id), JSON.stringify(ids));
  const run = await (await w.jobs.runNow({job_id})).wait();
  assert(run.state.result_state === "SUCCESS", JSON.stringify(run.state));
  const out = await w.jobs.getRunOutput({run_id: run.tasks[0].run_id});
  assert(out.notebook_output.result === "js ok", JSON.stringify(out));
  const runs = [];
  for await (const r of w.jobs.listRuns({job_id})) runs.push(r.run_id);
  assert(runs.length === 1 && runs[0] === run.run_id, JSON.stringify(runs));
  await w.jobs.delete({job_id});
  await w.workspace.delete({path: "/Shared/jsjobs", recursive: true});
});
process.exit(failures);

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

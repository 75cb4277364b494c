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
process.exit(failures);

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
process.exit(failures);

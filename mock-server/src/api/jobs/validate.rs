//! Validation of job settings and submitted runs (catalogue §7.2, §7.5): the form the API
//! version allows, limits, tasks (unique keys, `depends_on` naming existing tasks with no cycle,
//! exactly one task kind, at most one compute and the one a cluster task needs), job clusters,
//! `new_cluster` checked as the Clusters API checks it, and the schedule.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::invalid;
use crate::api::Ctx;
use crate::error::ApiError;
use crate::state::clusters::value_i64;
use crate::state::jobs::{cron, multi_task_form, SINGLE_TASK_FIELDS};

/// Longest job name, in bytes (catalogue §7.2).
const MAX_NAME_BYTES: usize = 4096;
/// Most tags on a job.
const MAX_TAGS: usize = 25;
/// Largest `max_concurrent_runs`.
const MAX_CONCURRENT_RUNS: i64 = 1000;
/// Most tasks per job: 1000 on 2.2, 100 on earlier versions (catalogue §7.2).
const MAX_TASKS_22: usize = 1000;
const MAX_TASKS_OLD: usize = 100;
/// Longest task key.
const MAX_TASK_KEY: usize = 100;
/// Task kinds that run on a cluster (or serverless with `environment_key`).
const CLUSTER_KINDS: &[&str] = &[
    "notebook_task",
    "spark_jar_task",
    "spark_python_task",
    "spark_submit_task",
    "python_wheel_task",
];
/// `run_if` values.
const RUN_IF: &[&str] = &[
    "ALL_SUCCESS",
    "AT_LEAST_ONE_SUCCESS",
    "NONE_FAILED",
    "ALL_DONE",
    "AT_LEAST_ONE_FAILED",
    "ALL_FAILED",
];

/// Settings checked and cleaned: nulls dropped, `new_cluster` specs normalized, unknown fields
/// kept. Returns the settings (in the form they came in) and whether that form is 2.0's
/// single-task form.
pub(crate) fn settings(
    ctx: &Ctx<'_>,
    raw: &Map<String, Value>,
    submit: bool,
) -> Result<(Map<String, Value>, bool), ApiError> {
    let mut s: Map<String, Value> = raw
        .iter()
        .filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "job_id" | "format"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let single_field = SINGLE_TASK_FIELDS
        .iter()
        .find(|f| s.contains_key(**f) && !matches!(**f, "libraries"))
        .copied();
    let single = single_field.is_some();
    if let Some(f) = single_field {
        if ctx.version != "2.0" {
            return Err(invalid(format!(
                "The top-level field {f} is not supported in Jobs API {}: define the job's work in tasks.",
                ctx.version
            )));
        }
        if s.contains_key("tasks") {
            return Err(invalid(format!(
                "A job cannot have both tasks and the top-level task field {f}."
            )));
        }
    }
    if let Some(name) = s.get("name").or_else(|| s.get("run_name")) {
        let name = name
            .as_str()
            .ok_or_else(|| ApiError::wrong_type("name", "string"))?;
        if name.len() > MAX_NAME_BYTES {
            return Err(invalid(format!(
                "The job name must be at most {MAX_NAME_BYTES} bytes long."
            )));
        }
    }
    if let Some(tags) = s.get("tags") {
        let tags = tags
            .as_object()
            .ok_or_else(|| ApiError::wrong_type("tags", "object"))?;
        if tags.len() > MAX_TAGS {
            return Err(invalid(format!(
                "A job can have at most {MAX_TAGS} tags; got {}.",
                tags.len()
            )));
        }
    }
    if let Some(v) = s.get("max_concurrent_runs") {
        let n = value_i64(v).ok_or_else(|| ApiError::wrong_type("max_concurrent_runs", "int32"))?;
        if !(0..=MAX_CONCURRENT_RUNS).contains(&n) {
            return Err(invalid(format!(
                "max_concurrent_runs must be between 0 and {MAX_CONCURRENT_RUNS}; got {n}."
            )));
        }
        s.insert("max_concurrent_runs".into(), json!(n));
    }
    non_negative(&mut s, "timeout_seconds", "")?;
    if let Some(q) = s.get("queue") {
        q.get("enabled")
            .and_then(Value::as_bool)
            .ok_or_else(|| ApiError::missing_field("queue.enabled"))?;
    }
    if let Some(sch) = s.get("schedule") {
        schedule(sch)?;
    }
    // Job clusters.
    let mut cluster_keys = BTreeSet::new();
    if let Some(jcs) = s.get("job_clusters").cloned() {
        let jcs = jcs
            .as_array()
            .ok_or_else(|| ApiError::wrong_type("job_clusters", "array"))?;
        let mut out = Vec::new();
        for (i, jc) in jcs.iter().enumerate() {
            let key = jc
                .get("job_cluster_key")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::missing_field(&format!("job_clusters[{i}].job_cluster_key"))
                })?;
            if !cluster_keys.insert(key.to_owned()) {
                return Err(invalid(format!(
                    "Job cluster key {key} is used more than once in job_clusters."
                )));
            }
            let spec = jc
                .get("new_cluster")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    ApiError::missing_field(&format!("job_clusters[{i}].new_cluster"))
                })?;
            let spec = crate::api::clusters::spec_from(spec)?;
            let mut jc = jc.as_object().cloned().unwrap_or_default();
            jc.insert("new_cluster".into(), Value::Object(spec));
            out.push(Value::Object(jc));
        }
        s.insert("job_clusters".into(), Value::Array(out));
    }
    // Tasks, in the multi-task form.
    let (_, tasks) = multi_task_form(&s);
    if s.get("tasks").is_some_and(|t| !t.is_array()) {
        return Err(ApiError::wrong_type("tasks", "array"));
    }
    let max = if ctx.version == "2.2" {
        MAX_TASKS_22
    } else {
        MAX_TASKS_OLD
    };
    if tasks.len() > max {
        return Err(invalid(format!(
            "A job can have at most {max} tasks in Jobs API {}; got {}.",
            ctx.version,
            tasks.len()
        )));
    }
    if submit && tasks.is_empty() {
        return Err(invalid("A run must have at least one task."));
    }
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cleaned = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let (key, deps, t) = task(ctx, i, t, &cluster_keys, single)?;
        if keys.insert(key.clone(), deps).is_some() {
            return Err(invalid(format!("Task key {key} is used more than once.")));
        }
        cleaned.push(Value::Object(t));
    }
    for (key, deps) in &keys {
        for d in deps {
            if d == key {
                return Err(invalid(format!("Task {key} cannot depend on itself.")));
            }
            if !keys.contains_key(d) {
                return Err(invalid(format!(
                    "Task {key} depends on {d}, which is not a task of this job."
                )));
            }
        }
    }
    if let Some(cycle_at) = find_cycle(&keys) {
        return Err(invalid(format!(
            "The tasks' dependencies form a cycle through task {cycle_at}."
        )));
    }
    if single {
        // Keep the single-task form; store the cleaned cluster spec back.
        if let Some(Value::Object(t)) = cleaned.first() {
            if let Some(nc) = t.get("new_cluster") {
                s.insert("new_cluster".into(), nc.clone());
            }
        }
    } else if s.contains_key("tasks") {
        s.insert("tasks".into(), Value::Array(cleaned));
    }
    Ok((s, single))
}

fn non_negative(s: &mut Map<String, Value>, key: &str, at: &str) -> Result<(), ApiError> {
    if let Some(v) = s.get(key) {
        let n = value_i64(v).ok_or_else(|| ApiError::wrong_type(&format!("{at}{key}"), "int32"))?;
        if n < 0 {
            return Err(invalid(format!("{at}{key} must be non-negative; got {n}.")));
        }
        s.insert(key.into(), json!(n));
    }
    Ok(())
}

fn schedule(sch: &Value) -> Result<(), ApiError> {
    let expr = sch
        .get("quartz_cron_expression")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field("schedule.quartz_cron_expression"))?;
    let zone = sch
        .get("timezone_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field("schedule.timezone_id"))?;
    cron::Cron::parse(expr)
        .map_err(|why| invalid(format!("Invalid quartz_cron_expression {expr:?}: {why}")))?;
    if cron::zone_offset_minutes(zone).is_none() {
        return Err(invalid(format!("Invalid timezone_id {zone:?}.")));
    }
    if let Some(p) = sch.get("pause_status") {
        if !matches!(p.as_str(), Some("PAUSED" | "UNPAUSED")) {
            return Err(invalid(format!(
                "schedule.pause_status must be PAUSED or UNPAUSED; got {p}."
            )));
        }
    }
    Ok(())
}

/// One task checked: (key, depends_on keys, cleaned task).
type CheckedTask = (String, Vec<String>, Map<String, Value>);

fn task(
    ctx: &Ctx<'_>,
    i: usize,
    t: &Map<String, Value>,
    cluster_keys: &BTreeSet<String>,
    single: bool,
) -> Result<CheckedTask, ApiError> {
    let at = if single {
        String::new()
    } else {
        format!("tasks[{i}].")
    };
    let mut t: Map<String, Value> = t
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let key = t
        .get("task_key")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field(&format!("{at}task_key")))?
        .to_owned();
    if key.is_empty()
        || key.chars().count() > MAX_TASK_KEY
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(format!(
            "Invalid task_key {key:?}: it must be 1 to {MAX_TASK_KEY} characters among letters, digits, '_' and '-'."
        )));
    }
    let kinds: Vec<&str> = t
        .keys()
        .filter(|k| k.ends_with("_task"))
        .map(String::as_str)
        .collect();
    match kinds.len() {
        0 => {
            return Err(invalid(format!(
                "Task {key} must define exactly one task type (notebook_task, spark_python_task, ...); it defines none."
            )))
        }
        1 => {}
        _ => {
            return Err(invalid(format!(
                "Task {key} must define exactly one task type; it defines {}.",
                kinds.join(", ")
            )))
        }
    }
    let kind = kinds[0].to_owned();
    let computes: Vec<&str> = ["existing_cluster_id", "new_cluster", "job_cluster_key"]
        .into_iter()
        .filter(|k| t.contains_key(*k))
        .collect();
    if computes.len() > 1 {
        return Err(invalid(format!(
            "Task {key} can use only one of existing_cluster_id, new_cluster and job_cluster_key; it sets {}.",
            computes.join(" and ")
        )));
    }
    if computes.is_empty()
        && CLUSTER_KINDS.contains(&kind.as_str())
        && !t.contains_key("environment_key")
    {
        return Err(invalid(format!(
            "Task {key} needs a cluster: set one of existing_cluster_id, new_cluster or job_cluster_key."
        )));
    }
    if let Some(id) = t.get("existing_cluster_id") {
        let id = id
            .as_str()
            .ok_or_else(|| ApiError::wrong_type(&format!("{at}existing_cluster_id"), "string"))?;
        if ctx.state.clusters.get(id).is_none() {
            return Err(invalid(format!("Cluster {id} does not exist")));
        }
    }
    if let Some(k) = t.get("job_cluster_key") {
        let k = k
            .as_str()
            .ok_or_else(|| ApiError::wrong_type(&format!("{at}job_cluster_key"), "string"))?;
        if !cluster_keys.contains(k) {
            return Err(invalid(format!(
                "Task {key} uses job cluster {k}, which is not defined in job_clusters."
            )));
        }
    }
    if let Some(nc) = t.get("new_cluster") {
        let nc = nc
            .as_object()
            .ok_or_else(|| ApiError::wrong_type(&format!("{at}new_cluster"), "object"))?;
        let spec = crate::api::clusters::spec_from(nc)?;
        t.insert("new_cluster".into(), Value::Object(spec));
    }
    let body = t
        .get(&kind)
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::wrong_type(&format!("{at}{kind}"), "object"))?;
    let required: &[&str] = match kind.as_str() {
        "notebook_task" => &["notebook_path"],
        "spark_python_task" => &["python_file"],
        "python_wheel_task" => &["package_name", "entry_point"],
        "pipeline_task" => &["pipeline_id"],
        "run_job_task" => &["job_id"],
        "condition_task" => &["op", "left", "right"],
        "for_each_task" => &["inputs", "task"],
        _ => &[],
    };
    for f in required {
        if !body.contains_key(*f) {
            return Err(ApiError::missing_field(&format!("{at}{kind}.{f}")));
        }
    }
    if let Some(r) = t.get("run_if") {
        if !r.as_str().is_some_and(|r| RUN_IF.contains(&r)) {
            return Err(invalid(format!(
                "Invalid run_if {r} of task {key}: expected one of {}.",
                RUN_IF.join(", ")
            )));
        }
    }
    if let Some(v) = t.get("max_retries") {
        let n = value_i64(v)
            .ok_or_else(|| ApiError::wrong_type(&format!("{at}max_retries"), "int32"))?;
        if n < -1 {
            return Err(invalid(format!(
                "max_retries must be -1 (retry forever) or more; got {n}."
            )));
        }
        t.insert("max_retries".into(), json!(n));
    }
    non_negative(&mut t, "min_retry_interval_millis", &at)?;
    non_negative(&mut t, "timeout_seconds", &at)?;
    let mut deps = Vec::new();
    if let Some(d) = t.get("depends_on") {
        let d = d
            .as_array()
            .ok_or_else(|| ApiError::wrong_type(&format!("{at}depends_on"), "array"))?;
        for (j, dep) in d.iter().enumerate() {
            let k = dep
                .get("task_key")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing_field(&format!("{at}depends_on[{j}].task_key")))?;
            deps.push(k.to_owned());
        }
    }
    Ok((key, deps, t))
}

/// A task on a dependency cycle, if there is one.
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<String> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut mark: BTreeMap<&str, u8> = BTreeMap::new();
    for start in graph.keys() {
        if mark.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        mark.insert(start, 1);
        while let Some((node, next)) = stack.pop() {
            let deps = graph.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(d) = deps.get(next) {
                stack.push((node, next + 1));
                match mark.get(d.as_str()).copied().unwrap_or(0) {
                    1 => return Some(d.clone()),
                    0 => {
                        mark.insert(d, 1);
                        stack.push((d, 0));
                    }
                    _ => {}
                }
            } else {
                mark.insert(node, 2);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found() {
        let g = |edges: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            edges
                .iter()
                .map(|(k, d)| ((*k).to_owned(), d.iter().map(|s| (*s).to_owned()).collect()))
                .collect()
        };
        assert_eq!(
            find_cycle(&g(&[("a", &[]), ("b", &["a"]), ("c", &["a", "b"])])),
            None
        );
        assert!(find_cycle(&g(&[("a", &["c"]), ("b", &["a"]), ("c", &["b"])])).is_some());
    }
}

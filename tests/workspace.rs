//! Contract scenarios for the Workspace API: dbx-workspace against the emulator (or any
//! workspace, see `tests/README.md`).

use dbx_contract_tests::pseudo_random_bytes as noise;
use std::path::PathBuf;
use std::time::Duration;

use dbx_contract_tests::{portable, Harness};
use dbx_core::{Error, Request};
use dbx_workspace::{Format, Language, ObjectInfo, ObjectType, WorkspaceApi};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// `(status, error_code, message)` of an API error.
fn parts(e: &Error) -> (u16, String, String) {
    let api = e.api().unwrap_or_else(|| panic!("not an API error: {e:?}"));
    (status(e), api.error_code.clone(), api.message.clone())
}

fn api(h: &Harness) -> WorkspaceApi {
    WorkspaceApi::new(h.admin.clone())
}

/// The suite's redactions plus object ids (they depend on how many objects exist).
fn settings(h: &Harness) -> insta::Settings {
    let mut s = h.settings();
    s.add_redaction(".**.object_id", "[object_id]");
    s.add_redaction(".**.resource_id", "[resource_id]");
    s
}

macro_rules! snap {
    ($h:expr, $name:expr) => {
        dbx_contract_tests::snapshot!(settings = settings(&$h), $h, $name)
    };
}

const PYTHON: &str = "# Databricks notebook source\nimport os\nprint(os.getcwd())\n\n# COMMAND ----------\n\n# MAGIC %md\n# MAGIC # Heading\n# MAGIC\n# MAGIC Some *text*.\n\n# COMMAND ----------\n\n# MAGIC %sql\n# MAGIC SELECT 1";
const SCALA: &str = "// Databricks notebook source\nval x = 1\n\n// COMMAND ----------\n\n// MAGIC %md\n// MAGIC # Heading\n\n// COMMAND ----------\n\nprintln(x)";
const SQL: &str = "-- Databricks notebook source\nSELECT 1\n\n-- COMMAND ----------\n\n-- MAGIC %python\n-- MAGIC print(2)\n\n-- COMMAND ----------\n\n-- MAGIC %md\n-- MAGIC done";
const R: &str = "# Databricks notebook source\nx <- 1\n\n# COMMAND ----------\n\n# MAGIC %md\n# MAGIC ## R\n\n# COMMAND ----------\n\nprint(x)";

fn samples() -> [(Language, &'static str); 4] {
    [
        (Language::Python, PYTHON),
        (Language::Scala, SCALA),
        (Language::Sql, SQL),
        (Language::R, R),
    ]
}

/// Let `by` pass: on the emulator's clock in-process, in real time (a little) elsewhere, enough
/// for the next write to carry a later timestamp.
async fn later(h: &Harness, by: Duration) {
    match h.emulator() {
        Some(emu) => emu.clock().advance(by),
        None => tokio::time::sleep(Duration::from_millis(100)).await,
    }
}

async fn source_of(ws: &WorkspaceApi, path: &str) -> String {
    let e = ws
        .export(path)
        .format(Format::Source)
        .send()
        .await
        .unwrap_or_else(|e| panic!("export {path}: {e}"));
    String::from_utf8(e.content.to_vec()).expect("utf-8 source")
}

async fn notebook(ws: &WorkspaceApi, path: &str, lang: Language, text: &str) {
    ws.import(path, text.to_owned())
        .format(Format::Source)
        .language(lang)
        .send()
        .await
        .unwrap_or_else(|e| panic!("import {path}: {e}"));
}

#[tokio::test]
async fn the_tree_has_users_homes_and_shared() {
    let Some(h) = Harness::emulator_only("needs a fresh workspace and users made by the emulator")
    else {
        return;
    };
    let ws = api(&h);
    let root = ws.list("/").await.expect("list /");
    let paths: Vec<&str> = root.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["/Shared", "/Users"]);
    assert!(root.iter().all(ObjectInfo::is_directory));
    let users = ws.list("/Users").await.expect("list /Users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].path, "/Users/admin@example.com");
    snap!(h, "tree_root_and_users");

    // A user created later gets a home at once; the root is object 0.
    let _alice = h.user("alice@example.com");
    assert!(ws
        .get_status("/Users/alice@example.com")
        .await
        .expect("home")
        .is_directory());
    let sp = h.emu().create_service_principal("ci", false).expect("sp");
    assert!(ws
        .exists(&format!("/Users/{}", sp.application_id))
        .await
        .expect("sp home"));
    let root = ws.get_status("/").await.expect("root");
    assert_eq!(root.object_id.0, 0);
    assert!(ws.list("/Shared").await.expect("empty").is_empty());
    h.clear_exchanges();
    ws.list("/Shared").await.expect("empty");
    snap!(h, "list_empty_folder");
}

portable!(
    every_endpoint_once,
    legacy_get_with_json_body_is_understood,
    source_notebooks_round_trip_in_every_language,
    source_exports_add_the_header_and_nothing_at_the_end,
    every_format_round_trips_in_every_language,
    jupyter_exports_are_valid_and_foreign_ipynb_imports,
    html_exports_are_self_contained_pages,
    auto_raw_and_overwrite_rules,
    folders_export_as_dbc_and_zip_and_import_back,
    documented_errors,
    the_ten_megabyte_limit,
    malicious_archives_are_refused_and_change_nothing,
    walk_is_recursive_and_lazy_and_listing_filters_by_time,
    local_trees_import_and_export,
);

async fn every_endpoint_once(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    if let Some(emu) = h.emulator() {
        emu.clock().freeze();
        emu.clock().set_ms(1_700_000_000_000);
    }

    ws.mkdirs(&format!("{root}/demo/deep"))
        .await
        .expect("mkdirs");
    ws.mkdirs(&format!("{root}/demo/deep"))
        .await
        .expect("mkdirs again is fine");
    snap!(h, "mkdirs");

    ws.import(format!("{root}/demo/hello"), "print('hello')\n")
        .format(Format::Source)
        .language(Language::Python)
        .send()
        .await
        .expect("import");
    snap!(h, "import_json");

    ws.import(format!("{root}/demo/data.csv"), "a,b\n1,2\n")
        .format(Format::Auto)
        .multipart(true)
        .send()
        .await
        .expect("import multipart");
    snap!(h, "import_multipart");

    let nb = ws
        .get_status(&format!("{root}/demo/hello"))
        .await
        .expect("status");
    assert_eq!(nb.object_type, ObjectType::Notebook);
    assert_eq!(nb.language, Some(Language::Python));
    if h.emulator().is_some() {
        assert_eq!(nb.created_at, Some(1_700_000_000_000));
    } else {
        assert!(nb.created_at.is_some_and(|t| t > 0));
    }
    assert_eq!(nb.resource_id, Some(nb.object_id.to_string()));
    let file = ws
        .get_status(&format!("{root}/demo/data.csv"))
        .await
        .expect("status");
    assert_eq!((file.object_type, file.size), (ObjectType::File, Some(8)));
    snap!(h, "get_status");

    let objects = ws.list(&format!("{root}/demo")).await.expect("list");
    let names: Vec<&str> = objects.iter().map(ObjectInfo::name).collect();
    assert_eq!(names, ["data.csv", "deep", "hello"]);
    let single = ws
        .list(&format!("{root}/demo/hello"))
        .await
        .expect("list a notebook");
    assert_eq!(single, vec![nb.clone()]);
    snap!(h, "list");

    let exported = ws
        .export(format!("{root}/demo/hello"))
        .format(Format::Source)
        .send()
        .await
        .expect("export");
    // The header line is added; the import's final newline is not kept, nothing is appended.
    assert_eq!(
        &exported.content[..],
        b"# Databricks notebook source\nprint('hello')"
    );
    assert_eq!(exported.file_type.as_deref(), Some("py"));
    snap!(h, "export_source_json");

    let raw = ws
        .export(format!("{root}/demo/data.csv"))
        .format(Format::Auto)
        .download()
        .await
        .expect("download");
    assert_eq!(&raw[..], b"a,b\n1,2\n");
    let default = ws
        .export(format!("{root}/demo/hello"))
        .download()
        .await
        .expect("download");
    assert_eq!(
        &default[..],
        &exported.content[..],
        "SOURCE is the default format"
    );
    snap!(h, "export_direct_download");

    ws.delete(&format!("{root}/demo/hello"), false)
        .await
        .expect("delete notebook");
    ws.delete(&format!("{root}/demo/deep"), false)
        .await
        .expect("an empty folder needs no recursive");
    ws.delete(&format!("{root}/demo"), true)
        .await
        .expect("delete folder");
    snap!(h, "delete");
    assert!(!ws.exists(&format!("{root}/demo")).await.expect("gone"));
}

async fn legacy_get_with_json_body_is_understood(h: &Harness) {
    // databricksapi 1.1.8 sends GET parameters as a JSON body.
    let v: Value = h
        .admin
        .call(
            Request::get("/api/2.0/workspace/get-status")
                .json(&json!({"path": "/Shared"}))
                .expect("body"),
        )
        .await
        .expect("get-status");
    assert_eq!(v["object_type"], "DIRECTORY");
    let v: Value = h
        .admin
        .call(
            Request::get("/api/2.0/workspace/list")
                .json(&json!({"path": "/Workspace/Users/"}))
                .expect("body"),
        )
        .await
        .expect("list");
    let homes: Vec<&str> = v["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["path"].as_str())
        .collect();
    if h.emulator().is_some() {
        assert_eq!(homes, ["/Users/admin@example.com"]);
    } else {
        // A real workspace has more users; every path is still in the legacy form.
        assert!(
            !homes.is_empty() && homes.iter().all(|p| p.starts_with("/Users/")),
            "{homes:?}"
        );
    }
}

async fn source_notebooks_round_trip_in_every_language(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    ws.mkdirs(&format!("{root}/src")).await.expect("mkdirs");
    for (lang, text) in samples() {
        let path = format!("{root}/src/{lang}");
        notebook(&ws, &path, lang.clone(), text).await;
        assert_eq!(source_of(&ws, &path).await, text, "{lang}");
        let info = ws.get_status(&path).await.expect("status");
        assert_eq!(info.language, Some(lang.clone()));

        // Without the header line, the export adds it.
        let body = text.split_once('\n').map(|(_, b)| b).unwrap_or_default();
        let bare = format!("{path}-bare");
        notebook(&ws, &bare, lang.clone(), body).await;
        assert_eq!(source_of(&ws, &bare).await, text, "{lang} without header");
    }
    h.clear_exchanges();
    let e = ws
        .export(format!("{root}/src/SQL"))
        .send()
        .await
        .expect("export");
    assert_eq!(e.file_type.as_deref(), Some("sql"));
    snap!(h, "export_sql_source");
}

async fn source_exports_add_the_header_and_nothing_at_the_end(h: &Harness) {
    // The scenario, as the official SDKs' integration tests pin it: `print(1)` in,
    // `# Databricks notebook source\nprint(1)` out, by JSON export and by direct download.
    let root = h.workspace_root().await;
    let ws = api(h);
    let nb = format!("{root}/nb");
    ws.import(&nb, "print(1)")
        .format(Format::Source)
        .language(Language::Python)
        .multipart(true)
        .send()
        .await
        .expect("upload");
    h.clear_exchanges();
    let json = ws
        .export(&nb)
        .format(Format::Source)
        .send()
        .await
        .expect("export");
    let direct = ws.export(&nb).download().await.expect("download");
    snap!(h, "export_source_exact_bytes");
    assert_eq!(&json.content[..], b"# Databricks notebook source\nprint(1)");
    assert_eq!(direct, json.content);

    // Every language: the header written as the service writes it, separators with a blank
    // line on each side, no newline after the last cell, whether or not the import had one.
    for (lang, text) in samples() {
        for (tag, input) in [("exact", text.to_owned()), ("typed", format!("{text}\n"))] {
            let path = format!("{root}/{lang}-{tag}");
            notebook(&ws, &path, lang.clone(), &input).await;
            let out = source_of(&ws, &path).await;
            assert_eq!(out, text, "{lang} {tag}");
            assert!(!out.ends_with('\n'), "{lang} {tag}");
            // import -> export -> import -> export, byte for byte.
            let again = format!("{path}-again");
            notebook(&ws, &again, lang.clone(), &out).await;
            assert_eq!(source_of(&ws, &again).await, out, "{lang} {tag} again");
        }
    }

    // JUPYTER and HTML exports do not depend on how the source ended.
    let other = |path: String, format: Format| {
        let ws = ws.clone();
        async move {
            ws.export(path)
                .format(format)
                .download()
                .await
                .expect("export")
        }
    };
    let nb_nl = format!("{root}/nb-nl");
    ws.import(&nb_nl, "print(1)\n")
        .format(Format::Source)
        .language(Language::Python)
        .send()
        .await
        .expect("import");
    let ipynb: Value = serde_json::from_slice(&other(nb_nl, Format::Jupyter).await).expect("ipynb");
    assert_eq!(ipynb["cells"][0]["source"], json!(["print(1)"]));
    let html = other(nb, Format::Html).await;
    assert!(html.ends_with(b"</html>\n"));
}

async fn every_format_round_trips_in_every_language(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    ws.mkdirs(&format!("{root}/rt")).await.expect("mkdirs");
    for (lang, text) in samples() {
        let base = format!("{root}/rt/{lang}");
        notebook(&ws, &base, lang.clone(), text).await;
        let mut formats = vec![
            (
                Format::Source,
                lang.extension().unwrap_or_default().to_owned(),
            ),
            (Format::Html, "html".to_owned()),
            (Format::Jupyter, "ipynb".to_owned()),
            (Format::Dbc, "dbc".to_owned()),
        ];
        if lang == Language::R {
            formats.push((Format::RMarkdown, "Rmd".to_owned()));
        }
        for (format, file_type) in formats {
            let exported = ws
                .export(base.as_str())
                .format(format.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("export {lang} as {format}: {e}"));
            assert_eq!(exported.file_type.as_deref(), Some(file_type.as_str()));
            let direct = ws
                .export(base.as_str())
                .format(format.clone())
                .download()
                .await
                .expect("direct download");
            assert_eq!(
                direct, exported.content,
                "{lang} {format}: same bytes either way"
            );

            let copy = format!("{base}-{format}");
            let mut import = ws
                .import(copy.as_str(), exported.content)
                .format(format.clone());
            if format == Format::Source {
                import = import.language(lang.clone());
            }
            import
                .send()
                .await
                .unwrap_or_else(|e| panic!("re-import {lang} from {format}: {e}"));
            let info = ws.get_status(&copy).await.expect("status");
            assert_eq!(info.object_type, ObjectType::Notebook);
            assert_eq!(info.language, Some(lang.clone()), "{format}");
            assert_eq!(source_of(&ws, &copy).await, text, "{lang} via {format}");
        }
    }
}

async fn jupyter_exports_are_valid_and_foreign_ipynb_imports(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    notebook(&ws, &format!("{root}/nb"), Language::Python, PYTHON).await;
    let ipynb = ws
        .export(format!("{root}/nb"))
        .format(Format::Jupyter)
        .download()
        .await
        .expect("ipynb");
    let v: Value = serde_json::from_slice(&ipynb).expect("JSON");
    assert_eq!(v["nbformat"], 4);
    assert!(v["nbformat_minor"].is_i64());
    let cells = v["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 3);
    for cell in cells {
        assert!(cell["metadata"].is_object());
        assert!(cell["source"].is_array());
        if cell["cell_type"] == "code" {
            assert!(cell["outputs"].is_array());
            assert!(cell.get("execution_count").is_some());
        }
    }
    assert_eq!(cells[1]["cell_type"], "markdown");
    assert_eq!(
        cells[1]["source"],
        json!(["# Heading\n", "\n", "Some *text*."])
    );
    assert_eq!(cells[2]["source"], json!(["%sql\n", "SELECT 1"]));
    let meta = &v["metadata"]["application/vnd.databricks.v1+notebook"];
    assert_eq!(
        (meta["language"].as_str(), meta["notebookName"].as_str()),
        (Some("python"), Some("nb"))
    );

    // A notebook written by Jupyter itself: a Scala kernel, string sources, AUTO by extension.
    let foreign = json!({
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [], "source": ["val a = 1\n", "a + 1"]}
        ],
        "metadata": {"kernelspec": {"name": "scala", "language": "scala", "display_name": "Scala"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    ws.import(format!("{root}/foreign.ipynb"), foreign.to_string())
        .format(Format::Auto)
        .send()
        .await
        .expect("AUTO ipynb");
    let info = ws
        .get_status(&format!("{root}/foreign"))
        .await
        .expect("extension dropped");
    assert_eq!(
        (info.object_type, info.language),
        (ObjectType::Notebook, Some(Language::Scala))
    );
    assert_eq!(
        source_of(&ws, &format!("{root}/foreign")).await,
        "// Databricks notebook source\n// MAGIC %md\n// MAGIC # Title\n\n// COMMAND ----------\n\nval a = 1\na + 1"
    );
    let err = ws
        .import(
            format!("{root}/old"),
            json!({"nbformat": 3, "worksheets": []}).to_string(),
        )
        .format(Format::Jupyter)
        .send()
        .await
        .expect_err("nbformat 3");
    assert_eq!(
        (status(&err), err.error_code()),
        (400, Some("INVALID_PARAMETER_VALUE"))
    );
}

async fn html_exports_are_self_contained_pages(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    notebook(&ws, &format!("{root}/page"), Language::Scala, SCALA).await;
    let html = ws
        .export(format!("{root}/page"))
        .format(Format::Html)
        .download()
        .await
        .expect("html");
    let html = String::from_utf8(html.to_vec()).expect("utf-8");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>page - Databricks</title>"));
    assert!(html.contains("println(x)"));
    for external in ["src=\"http", "href=\"http", "src=\"//", "<link"] {
        assert!(!html.contains(external), "external resource {external}");
    }
    assert!(html.trim_end().ends_with("</html>"));
}

async fn auto_raw_and_overwrite_rules(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    let header = "# Databricks notebook source\nx = 1\n";
    ws.import(format!("{root}/job.py"), header)
        .format(Format::Auto)
        .send()
        .await
        .expect("AUTO nb");
    ws.import(format!("{root}/util.py"), "def f():\n    pass\n")
        .format(Format::Auto)
        .send()
        .await
        .expect("AUTO file");
    ws.import(format!("{root}/raw.py"), header)
        .format(Format::Raw)
        .send()
        .await
        .expect("RAW");
    ws.import(format!("{root}/q.sql"), header)
        .format(Format::Auto)
        .send()
        .await
        .expect("wrong header");
    let kinds: Vec<(String, ObjectType)> = ws
        .list(&root)
        .await
        .expect("list")
        .into_iter()
        .map(|o| (o.name().to_owned(), o.object_type))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("job".to_owned(), ObjectType::Notebook),
            ("q.sql".to_owned(), ObjectType::File),
            ("raw.py".to_owned(), ObjectType::File),
            ("util.py".to_owned(), ObjectType::File),
        ]
    );
    h.clear_exchanges();

    // Overwrite keeps the object id and moves modified_at.
    let before = ws
        .get_status(&format!("{root}/util.py"))
        .await
        .expect("status");
    later(h, Duration::from_secs(5)).await;
    let err = ws
        .import(format!("{root}/util.py"), "v2")
        .format(Format::Auto)
        .send()
        .await
        .expect_err("exists");
    assert_eq!(
        parts(&err),
        (
            400,
            "RESOURCE_ALREADY_EXISTS".into(),
            "Node named 'util.py' already exists".into()
        )
    );
    assert!(err.is_already_exists());
    snap!(h, "import_exists");
    ws.import(format!("{root}/util.py"), "v2")
        .format(Format::Auto)
        .overwrite(true)
        .send()
        .await
        .expect("overwrite");
    let after = ws
        .get_status(&format!("{root}/util.py"))
        .await
        .expect("status");
    assert_eq!(after.object_id, before.object_id);
    assert_eq!(after.created_at, before.created_at);
    assert!(after.modified_at > before.modified_at);
    assert_eq!(after.size, Some(2));
    // A notebook may replace a file (a new object), never a folder.
    ws.import(format!("{root}/util.py"), "print(1)")
        .language(Language::Python)
        .overwrite(true)
        .send()
        .await
        .expect("notebook over file");
    assert!(ws
        .get_status(&format!("{root}/util.py"))
        .await
        .expect("status")
        .is_notebook());
    ws.mkdirs(&format!("{root}/dir")).await.expect("mkdirs");
    let err = ws
        .import(format!("{root}/dir"), "x")
        .format(Format::Raw)
        .overwrite(true)
        .send()
        .await
        .expect_err("folder");
    assert_eq!(err.error_code(), Some("RESOURCE_ALREADY_EXISTS"));
}

async fn folders_export_as_dbc_and_zip_and_import_back(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    ws.mkdirs(&format!("{root}/proj/sub"))
        .await
        .expect("mkdirs");
    ws.mkdirs(&format!("{root}/proj/empty"))
        .await
        .expect("mkdirs");
    notebook(&ws, &format!("{root}/proj/a"), Language::Python, PYTHON).await;
    notebook(&ws, &format!("{root}/proj/sub/b"), Language::Sql, SQL).await;
    ws.import(format!("{root}/proj/data.csv"), "1,2\n")
        .format(Format::Auto)
        .send()
        .await
        .expect("file");

    let tree = |dir: String| {
        let ws = ws.clone();
        async move {
            ws.walk(dir.as_str())
                .map_ok(|o| {
                    let rel = o
                        .path
                        .strip_prefix(dir.as_str())
                        .unwrap_or(&o.path)
                        .to_owned();
                    (rel, o.object_type)
                })
                .try_collect::<Vec<_>>()
                .await
                .expect("walk")
        }
    };
    let notebooks_only = vec![
        ("/a".to_owned(), ObjectType::Notebook),
        ("/empty".to_owned(), ObjectType::Directory),
        ("/sub".to_owned(), ObjectType::Directory),
        ("/sub/b".to_owned(), ObjectType::Notebook),
    ];

    let dbc = ws
        .export(format!("{root}/proj"))
        .format(Format::Dbc)
        .send()
        .await
        .expect("dbc");
    assert_eq!(dbc.file_type.as_deref(), Some("dbc"));
    assert!(dbc.content.starts_with(b"PK\x03\x04"));
    ws.import(format!("{root}/from_dbc"), dbc.content.clone())
        .format(Format::Dbc)
        .send()
        .await
        .expect("import dbc");
    assert_eq!(tree(format!("{root}/from_dbc")).await, notebooks_only);
    assert_eq!(source_of(&ws, &format!("{root}/from_dbc/sub/b")).await, SQL);
    let err = ws
        .import(format!("{root}/from_dbc"), dbc.content.clone())
        .format(Format::Dbc)
        .send()
        .await
        .expect_err("exists");
    assert_eq!(parts(&err).1, "RESOURCE_ALREADY_EXISTS");
    let err = ws
        .import(format!("{root}/other"), dbc.content)
        .format(Format::Dbc)
        .overwrite(true)
        .send()
        .await
        .expect_err("overwrite with DBC");
    assert_eq!(parts(&err).1, "INVALID_PARAMETER_VALUE");

    let zip = ws
        .export(format!("{root}/proj"))
        .format(Format::Source)
        .send()
        .await
        .expect("zip");
    assert_eq!(zip.file_type.as_deref(), Some("zip"));
    ws.import(format!("{root}/from_zip"), zip.content)
        .send()
        .await
        .expect("SOURCE folder import");
    assert_eq!(tree(format!("{root}/from_zip")).await, notebooks_only);
    assert_eq!(source_of(&ws, &format!("{root}/from_zip/a")).await, PYTHON);

    let auto = ws
        .export(format!("{root}/proj"))
        .format(Format::Auto)
        .download()
        .await
        .expect("auto");
    ws.import(format!("{root}/from_auto"), auto)
        .format(Format::Source)
        .send()
        .await
        .expect("import");
    let mut with_files = notebooks_only.clone();
    with_files.insert(1, ("/data.csv".to_owned(), ObjectType::File));
    assert_eq!(tree(format!("{root}/from_auto")).await, with_files);

    // A single notebook's DBC becomes that notebook.
    let one = ws
        .export(format!("{root}/proj/a"))
        .format(Format::Dbc)
        .send()
        .await
        .expect("dbc");
    ws.import(format!("{root}/single"), one.content)
        .format(Format::Dbc)
        .send()
        .await
        .expect("import");
    assert_eq!(source_of(&ws, &format!("{root}/single")).await, PYTHON);

    let err = ws
        .export(format!("{root}/proj"))
        .format(Format::Html)
        .send()
        .await
        .expect_err("html dir");
    assert_eq!(parts(&err).1, "INVALID_PARAMETER_VALUE");
}

async fn documented_errors(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    notebook(&ws, &format!("{root}/nb"), Language::Python, "x = 1").await;
    ws.mkdirs(&format!("{root}/full/inner"))
        .await
        .expect("mkdirs");
    h.clear_exchanges();

    let missing = format!("Path ({root}/nope) doesn't exist.").to_owned();
    let nf = (404, "RESOURCE_DOES_NOT_EXIST".to_owned(), missing.clone());
    let e = ws
        .get_status(&format!("{root}/nope"))
        .await
        .expect_err("status");
    assert!(e.is_not_found());
    assert_eq!(parts(&e), nf);
    assert_eq!(
        parts(&ws.list(&format!("{root}/nope")).await.expect_err("list")),
        nf
    );
    assert_eq!(
        parts(
            &ws.export(format!("{root}/nope"))
                .send()
                .await
                .expect_err("export")
        ),
        nf
    );
    assert_eq!(
        parts(
            &ws.delete(&format!("{root}/nope"), true)
                .await
                .expect_err("delete")
        ),
        nf
    );
    snap!(h, "errors_not_found");

    let e = ws
        .import(format!("{root}/nope/nb"), "x")
        .language(Language::Python)
        .send()
        .await
        .expect_err("missing parent");
    assert_eq!(parts(&e), nf);
    snap!(h, "error_import_missing_parent");

    let e = ws
        .mkdirs(&format!("{root}/nb/sub"))
        .await
        .expect_err("mkdirs over a notebook");
    assert_eq!(
        parts(&e),
        (
            400,
            "RESOURCE_ALREADY_EXISTS".into(),
            "nb already exists and it is not a folder".into()
        )
    );
    assert!(!ws
        .exists(&format!("{root}/nb/sub"))
        .await
        .expect("nothing made"));
    h.clear_exchanges();
    ws.mkdirs(&format!("{root}/nb"))
        .await
        .expect_err("mkdirs on a notebook");
    snap!(h, "error_mkdirs_over_notebook");

    let e = ws
        .delete(&format!("{root}/full"), false)
        .await
        .expect_err("not empty");
    assert_eq!(
        parts(&e),
        (
            400,
            "DIRECTORY_NOT_EMPTY".into(),
            format!("Folder ({root}/full) is not empty")
        )
    );
    assert!(ws
        .exists(&format!("{root}/full/inner"))
        .await
        .expect("untouched"));
    h.clear_exchanges();
    ws.delete(&format!("{root}/full"), false)
        .await
        .expect_err("not empty");
    snap!(h, "error_directory_not_empty");

    let e = ws
        .import(format!("{root}/dir"), "print(1)")
        .send()
        .await
        .expect_err("SOURCE without language");
    assert_eq!(
        parts(&e),
        (
            400,
            "INVALID_PARAMETER_VALUE".into(),
            "The zip file may not be valid or may be an unsupported version.".into()
        )
    );
    snap!(h, "error_source_without_language");

    let e = ws
        .import(format!("{root}/x"), "x")
        .format(Format::Unknown("PDF".into()))
        .send()
        .await
        .expect_err("bad format");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    let e = ws
        .import(format!("{root}/x"), "x")
        .language(Language::Unknown("COBOL".into()))
        .send()
        .await
        .expect_err("bad language");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    let e = ws.get_status("Shared").await.expect_err("relative");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    snap!(h, "error_bad_parameters");

    let e = ws.delete("/Shared", true).await.expect_err("protected");
    assert_eq!(
        (status(&e), e.error_code()),
        (403, Some("PERMISSION_DENIED"))
    );
    let e = ws
        .export(format!("{root}/nb"))
        .format(Format::RMarkdown)
        .send()
        .await
        .expect_err("Rmd of python");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    let e = ws
        .export(format!("{root}/nb"))
        .format(Format::Raw)
        .send()
        .await
        .expect_err("RAW notebook");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    let e = ws
        .import(format!("{root}/page"), "<html></html>")
        .format(Format::Html)
        .send()
        .await
        .expect_err("not a notebook page");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
}

async fn the_ten_megabyte_limit(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    let limit = dbx_workspace::MAX_CONTENT_SIZE;
    ws.import(format!("{root}/max.bin"), vec![b'a'; limit])
        .format(Format::Raw)
        .multipart(true)
        .send()
        .await
        .expect("exactly 10 MB is fine");
    let e = ws
        .import(format!("{root}/big.bin"), vec![b'a'; limit + 1])
        .format(Format::Raw)
        .send()
        .await
        .expect_err("too big");
    assert_eq!(
        parts(&e),
        (
            400,
            "MAX_NOTEBOOK_SIZE_EXCEEDED".into(),
            "File size imported is (10485761 bytes), exceeded max size (10485760 bytes)".into()
        )
    );
    let e = ws
        .import(format!("{root}/big.py"), vec![b'#'; limit + 1])
        .language(Language::Python)
        .multipart(true)
        .send()
        .await
        .expect_err("too big");
    assert_eq!(parts(&e).1, "MAX_NOTEBOOK_SIZE_EXCEEDED");

    // Two incompressible 6 MB files: the folder's zip is over the limit.
    ws.mkdirs(&format!("{root}/heavy")).await.expect("mkdirs");
    for (i, name) in ["a.bin", "b.bin"].iter().enumerate() {
        ws.import(format!("{root}/heavy/{name}"), noise(6 << 20, i as u64 + 1))
            .format(Format::Raw)
            .multipart(true)
            .send()
            .await
            .expect("import");
    }
    let e = ws
        .export(format!("{root}/heavy"))
        .format(Format::Auto)
        .download()
        .await
        .expect_err("export too big");
    assert_eq!(parts(&e).1, "MAX_NOTEBOOK_SIZE_EXCEEDED");
}

/// A zip archive with stored (uncompressed) entries, built by hand so the test can write names
/// no honest zip library would.
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&name_len.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

async fn malicious_archives_are_refused_and_change_nothing(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    let model =
        json!({"language": "python", "commands": [{"command": "print(1)", "position": 1.0}]})
            .to_string();
    // A well-formed archive first: the hand-made zip is readable.
    let ok = stored_zip(&[("p/nb.python", model.as_bytes())]);
    ws.import(format!("{root}/ok"), ok)
        .format(Format::Dbc)
        .send()
        .await
        .expect("honest archive");
    assert!(ws
        .get_status(&format!("{root}/ok/nb"))
        .await
        .expect("notebook")
        .is_notebook());

    for evil in [
        "../../Users/admin@example.com/pwned.python",
        "/etc/passwd.python",
        "p/..\\x.python",
    ] {
        let zip = stored_zip(&[
            ("p/fine.python", model.as_bytes()),
            (evil, model.as_bytes()),
        ]);
        let e = ws
            .import(format!("{root}/evil"), zip.clone())
            .format(Format::Dbc)
            .send()
            .await
            .expect_err(evil);
        assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE", "{evil}");
        let e = ws
            .import(format!("{root}/evil"), zip)
            .send()
            .await
            .expect_err(evil);
        assert_eq!(
            parts(&e).1,
            "INVALID_PARAMETER_VALUE",
            "{evil} as SOURCE zip"
        );
    }
    assert!(!ws
        .exists(&format!("{root}/evil"))
        .await
        .expect("nothing created"));
    let me: Value = h
        .admin
        .call(Request::get("/api/2.0/preview/scim/v2/Me"))
        .await
        .expect("me");
    let user = me["userName"].as_str().expect("userName");
    let home = ws.list(&format!("/Users/{user}")).await.expect("home");
    if h.emulator().is_some() {
        assert!(home.is_empty(), "{home:?}");
    }
    assert!(
        !home.iter().any(|o| o.name().starts_with("pwned")),
        "{home:?}"
    );
    let e = ws
        .import(format!("{root}/junk"), "PK\x03\x04 not really")
        .format(Format::Dbc)
        .send()
        .await
        .expect_err("junk");
    assert_eq!(
        parts(&e).2,
        "The zip file may not be valid or may be an unsupported version."
    );
}

async fn walk_is_recursive_and_lazy_and_listing_filters_by_time(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    if let Some(emu) = h.emulator() {
        emu.clock().freeze();
        emu.clock().set_ms(1_700_000_000_000);
    }
    ws.mkdirs(&format!("{root}/w/x/y")).await.expect("mkdirs");
    notebook(&ws, &format!("{root}/w/old"), Language::Sql, "select 1").await;
    // The workspace's own time, not this machine's.
    let t = ws
        .get_status(&format!("{root}/w/old"))
        .await
        .expect("status")
        .modified_at
        .expect("modified_at");
    later(h, Duration::from_secs(60)).await;
    notebook(&ws, &format!("{root}/w/x/new"), Language::R, "1").await;
    ws.import(format!("{root}/w/x/y/f"), "f")
        .format(Format::Raw)
        .send()
        .await
        .expect("file");
    h.clear_exchanges();

    let mut s = ws.walk(&format!("{root}/w"));
    assert_eq!(
        h.take_exchanges().as_array().map(Vec::len),
        Some(0),
        "nothing before polling"
    );
    let first = s.next().await.expect("item").expect("ok");
    assert_eq!(first.path, format!("{root}/w/old"));
    assert_eq!(
        h.take_exchanges().as_array().map(Vec::len),
        Some(1),
        "one list so far"
    );
    let rest: Vec<String> = s.map_ok(|o| o.path).try_collect().await.expect("walk");
    assert_eq!(
        rest,
        [
            format!("{root}/w/x"),
            format!("{root}/w/x/new"),
            format!("{root}/w/x/y"),
            format!("{root}/w/x/y/f")
        ]
    );

    let recent = ws
        .list_modified_after(&format!("{root}/w/x"), t)
        .await
        .expect("list");
    let names: Vec<&str> = recent.iter().map(ObjectInfo::name).collect();
    assert_eq!(names, ["new", "y"]);
    let none = ws
        .list_modified_after(&format!("{root}/w"), t)
        .await
        .expect("list");
    assert_eq!(none.iter().map(ObjectInfo::name).collect::<Vec<_>>(), ["x"]);
    h.clear_exchanges();
    ws.list_modified_after(&format!("{root}/w"), t)
        .await
        .expect("list");
    snap!(h, "list_notebooks_modified_after");
}

#[tokio::test]
async fn libraries_are_listed_but_not_exported() {
    let Some(h) = Harness::emulator_only("needs a library object made by the emulator") else {
        return;
    };
    let ws = api(&h);
    h.emu()
        .create_workspace_library("/Shared/lib")
        .expect("library");
    let info = ws.get_status("/Shared/lib").await.expect("status");
    assert_eq!(info.object_type, ObjectType::Library);
    let e = ws
        .export("/Shared/lib")
        .send()
        .await
        .expect_err("library export");
    assert_eq!(parts(&e).1, "INVALID_PARAMETER_VALUE");
    ws.delete("/Shared/lib", false).await.expect("delete");
}

fn scratch_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!("dbx-ws-{tag}-{}-{nanos}", std::process::id()))
}

async fn local_trees_import_and_export(h: &Harness) {
    let root = h.workspace_root().await;
    let ws = api(h);
    let src = scratch_dir("src");
    std::fs::create_dir_all(src.join("lib/deep")).expect("mkdir");
    std::fs::write(src.join("etl.py"), PYTHON).expect("write");
    std::fs::write(src.join("report.sql"), SQL).expect("write");
    std::fs::write(src.join("lib/helpers.py"), "def f():\n    return 1\n").expect("write");
    std::fs::write(src.join("lib/deep/data.bin"), [0u8, 1, 2, 255]).expect("write");
    std::fs::write(
        src.join("lib/analysis.ipynb"),
        json!({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": "1 + 1"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).to_string(),
    )
    .expect("write");

    let summary = ws
        .import_dir(&src, &format!("{root}/tree"), false)
        .await
        .expect("import_dir");
    assert_eq!(
        (summary.directories, summary.notebooks, summary.files),
        (3, 3, 2)
    );
    let got: Vec<(String, ObjectType)> = ws
        .walk(&format!("{root}/tree"))
        .map_ok(|o| (o.path, o.object_type))
        .try_collect()
        .await
        .expect("walk");
    let want = [
        (&format!("{root}/tree/etl"), ObjectType::Notebook),
        (&format!("{root}/tree/lib"), ObjectType::Directory),
        (&format!("{root}/tree/lib/analysis"), ObjectType::Notebook),
        (&format!("{root}/tree/lib/deep"), ObjectType::Directory),
        (&format!("{root}/tree/lib/deep/data.bin"), ObjectType::File),
        (&format!("{root}/tree/lib/helpers.py"), ObjectType::File),
        (&format!("{root}/tree/report"), ObjectType::Notebook),
    ];
    let want: Vec<(String, ObjectType)> = want
        .iter()
        .map(|(p, t)| (p.to_string(), t.clone()))
        .collect();
    assert_eq!(got, want);
    let e = ws
        .import_dir(&src, &format!("{root}/tree"), false)
        .await
        .expect_err("exists");
    assert!(
        matches!(e, dbx_workspace::TransferError::Api(ref a) if a.is_already_exists()),
        "{e:?}"
    );
    ws.import_dir(&src, &format!("{root}/tree"), true)
        .await
        .expect("overwrite");

    let out = scratch_dir("out");
    let summary = ws
        .export_dir(&format!("{root}/tree"), &out, false)
        .await
        .expect("export_dir");
    assert_eq!((summary.notebooks, summary.files), (3, 2));
    assert_eq!(
        std::fs::read_to_string(out.join("etl.py")).expect("etl"),
        PYTHON
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.sql")).expect("report"),
        SQL
    );
    assert_eq!(
        std::fs::read(out.join("lib/deep/data.bin")).expect("bin"),
        [0u8, 1, 2, 255]
    );
    assert!(
        out.join("lib/analysis.py").exists(),
        "ipynb comes back as source"
    );
    assert!(matches!(
        ws.export_dir(&format!("{root}/tree"), &out, false).await,
        Err(dbx_workspace::TransferError::LocalExists(_))
    ));

    // The exported tree imports back to the same workspace tree.
    ws.import_dir(&out, &format!("{root}/again"), false)
        .await
        .expect("re-import");
    let again: Vec<String> = ws
        .walk(&format!("{root}/again"))
        .map_ok(|o| {
            o.path
                .replacen(&format!("{root}/again"), &format!("{root}/tree"), 1)
        })
        .try_collect()
        .await
        .expect("walk");
    assert_eq!(
        again,
        got.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>()
    );

    // One file, the language from its extension.
    ws.import_file(src.join("report.sql"), &format!("{root}/one"), false)
        .await
        .expect("import_file");
    let info = ws.get_status(&format!("{root}/one")).await.expect("status");
    assert_eq!(info.language, Some(Language::Sql));
    let _ = std::fs::remove_dir_all(&src);
    let _ = std::fs::remove_dir_all(&out);
}

//! Contract scenarios for the DBFS API: dbx-dbfs against the emulator.

use dbx_contract_tests::pseudo_random_bytes as data;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use dbx_contract_tests::Harness;
use dbx_core::{Error, Request};
use dbx_dbfs::{DbfsApi, Handle, TransferError, MAX_BLOCK_SIZE};
use dbx_mock_server::{Emulator, Fault};
use insta::assert_json_snapshot;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, ReadBuf};

const MIB: usize = 1 << 20;

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// Assert equal bytes without printing megabytes on failure.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {i}");
    }
}

fn api(h: &Harness) -> DbfsApi {
    DbfsApi::new(h.admin.clone())
}

/// Raw call to an endpoint, for requests the typed client never sends.
async fn raw(h: &Harness, req: Request) -> Result<Value, Error> {
    h.admin.call::<Value>(req).await
}

#[tokio::test]
async fn streaming_write_then_status_list_and_read() {
    let h = Harness::new();
    let dbfs = api(&h);

    dbfs.mkdirs("dbfs:/data//sub/").await.expect("mkdirs");
    dbfs.mkdirs("/data/sub")
        .await
        .expect("mkdirs twice is fine");
    h.settings()
        .bind(|| assert_json_snapshot!("mkdirs", h.take_exchanges()));

    let handle = dbfs
        .create("dbfs:/data/log.txt", false)
        .await
        .expect("create");
    // Reserved at once: visible and empty before close.
    let early = dbfs.get_status("/data/log.txt").await.expect("visible");
    assert_eq!((early.is_dir, early.file_size), (false, 0));
    dbfs.add_block(handle, b"hello ").await.expect("block 1");
    dbfs.add_block(handle, b"world").await.expect("block 2");
    dbfs.add_block(handle, b"").await.expect("empty block");
    dbfs.close(handle).await.expect("close");
    h.settings()
        .bind(|| assert_json_snapshot!("create_add_block_close", h.take_exchanges()));

    let file = dbfs.get_status("dbfs:/data/log.txt").await.expect("status");
    assert_eq!(file.path, "/data/log.txt");
    assert_eq!((file.is_dir, file.file_size), (false, 11));
    assert!(file.modification_time > 0);
    let dir = dbfs.get_status("/data").await.expect("dir status");
    assert_eq!((dir.is_dir, dir.file_size), (true, 0));
    let root = dbfs.get_status("/").await.expect("root");
    assert!(root.is_dir);
    h.settings()
        .bind(|| assert_json_snapshot!("get_status", h.take_exchanges()));

    let listed = dbfs.list("/data").await.expect("list dir");
    let names: Vec<_> = listed.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
    assert_eq!(names, [("/data/log.txt", false), ("/data/sub", true)]);
    let itself = dbfs.list("/data/log.txt").await.expect("list file");
    assert_eq!(itself, vec![file.clone()]);
    assert!(dbfs.list("/data/sub").await.expect("empty").is_empty());
    let top = dbfs.list("dbfs:/").await.expect("root list");
    let top: Vec<_> = top.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        top,
        [
            "/FileStore",
            "/data",
            "/databricks-datasets",
            "/databricks-results",
            "/tmp",
            "/user"
        ],
        "the user's folder among the standard ones"
    );
    h.settings()
        .bind(|| assert_json_snapshot!("list", h.take_exchanges()));

    let part = dbfs.read("/data/log.txt", 6, Some(5)).await.expect("read");
    assert_eq!(&part.data[..], b"world");
    let all = dbfs
        .read("/data/log.txt", 0, None)
        .await
        .expect("default length");
    assert_eq!(&all.data[..], b"hello world");
    let tail = dbfs
        .read("/data/log.txt", 9, Some(100))
        .await
        .expect("to eof");
    assert_eq!((tail.bytes_read, &tail.data[..]), (2, &b"ld"[..]));
    let past = dbfs
        .read("/data/log.txt", 50, Some(10))
        .await
        .expect("past end");
    assert_eq!(past.bytes_read, 0);
    let none = dbfs
        .read("/data/log.txt", 0, Some(0))
        .await
        .expect("zero length");
    assert_eq!(none.bytes_read, 0);
    h.settings()
        .bind(|| assert_json_snapshot!("read", h.take_exchanges()));
}

/// The standard folders of a new workspace's DBFS root, in the order `list` gives them.
const ROOT_FOLDERS: [&str; 5] = [
    "/FileStore",
    "/databricks-datasets",
    "/databricks-results",
    "/tmp",
    "/user",
];

#[tokio::test]
async fn the_root_holds_the_standard_folders_and_datasets_are_read_only() {
    let h = Harness::new();
    let dbfs = api(&h);

    let root = dbfs.list("/").await.expect("list /");
    let paths: Vec<&str> = root.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ROOT_FOLDERS);
    assert!(root
        .iter()
        .all(|f| f.is_dir && f.file_size == 0 && f.modification_time == 0));
    let user = dbfs.list("/user/hive").await.expect("list /user/hive");
    assert_eq!(
        user.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["/user/hive/warehouse"]
    );
    assert!(dbfs
        .list("/databricks-datasets")
        .await
        .expect("datasets")
        .is_empty());
    h.settings()
        .bind(|| assert_json_snapshot!("root_list", h.take_exchanges()));

    // Writable standard folders are ordinary folders.
    dbfs.put("/FileStore/tables/a.csv", Bytes::from_static(b"a,b\n"))
        .send()
        .await
        .expect("put under /FileStore");
    dbfs.mkdirs("/tmp/scratch")
        .await
        .expect("mkdirs under /tmp");
    dbfs.delete("/FileStore/tables", true)
        .await
        .expect("delete under /FileStore");
    dbfs.mkdirs("/databricks-datasets")
        .await
        .expect("mkdirs of the existing folder changes nothing");
    h.clear_exchanges();

    // Every write to or under /databricks-datasets is refused; nothing changes.
    let mut denied: Vec<Error> = Vec::new();
    denied.push(
        dbfs.put("/databricks-datasets/mine.txt", Bytes::from_static(b"x"))
            .overwrite(true)
            .send()
            .await
            .expect_err("put"),
    );
    denied.push(
        dbfs.create("dbfs:/databricks-datasets/mine.txt", true)
            .await
            .expect_err("create"),
    );
    denied.push(
        dbfs.mkdirs("/databricks-datasets/mine")
            .await
            .expect_err("mkdirs"),
    );
    denied.push(
        dbfs.move_path("/tmp/scratch", "/databricks-datasets/scratch")
            .await
            .expect_err("move in"),
    );
    denied.push(
        dbfs.move_path("/databricks-datasets", "/tmp/datasets")
            .await
            .expect_err("move out"),
    );
    denied.push(
        dbfs.delete("/databricks-datasets", true)
            .await
            .expect_err("delete"),
    );
    for e in &denied {
        assert_eq!(
            (status(e), e.error_code()),
            (403, Some("PERMISSION_DENIED")),
            "{e:?}"
        );
        assert!(e.is_permission_denied());
    }
    h.settings()
        .bind(|| assert_json_snapshot!("read_only_datasets", h.take_exchanges()));
    assert!(dbfs.exists("/tmp/scratch").await.expect("not moved"));
    assert!(!dbfs
        .exists("/databricks-datasets/mine")
        .await
        .expect("nothing made"));

    // The root itself cannot be deleted, recursively or not; nothing is deleted.
    h.clear_exchanges();
    for recursive in [true, false] {
        let e = dbfs.delete("/", recursive).await.expect_err("delete /");
        assert_eq!(
            (status(&e), e.error_code()),
            (403, Some("PERMISSION_DENIED"))
        );
    }
    h.settings()
        .bind(|| assert_json_snapshot!("delete_root", h.take_exchanges()));
    assert!(dbfs.exists("/tmp/scratch").await.expect("still there"));

    // A reset brings back a new workspace's root: the standard folders, nothing else.
    dbfs.delete("/user", true).await.expect("delete /user");
    h.emulator.reset();
    let paths: Vec<String> = dbfs
        .list("/")
        .await
        .expect("list / after reset")
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(paths, ROOT_FOLDERS);
    assert!(dbfs
        .exists("/user/hive/warehouse")
        .await
        .expect("warehouse"));
}

#[tokio::test]
async fn put_inline_and_multipart_with_overwrite_rules() {
    let h = Harness::new();
    let dbfs = api(&h);

    // Parents are created implicitly.
    dbfs.put("dbfs:/in/line.txt", Bytes::from_static(b"inline"))
        .send()
        .await
        .expect("inline");
    h.settings()
        .bind(|| assert_json_snapshot!("put_inline", h.take_exchanges()));
    let err = dbfs
        .put("/in/line.txt", Bytes::from_static(b"again"))
        .send()
        .await
        .expect_err("no overwrite");
    assert_eq!(
        (status(&err), err.error_code()),
        (400, Some("RESOURCE_ALREADY_EXISTS"))
    );
    dbfs.put("/in/line.txt", Bytes::from_static(b"replaced"))
        .overwrite(true)
        .send()
        .await
        .expect("overwrite");
    h.settings()
        .bind(|| assert_json_snapshot!("put_overwrite", h.take_exchanges()));
    let got = dbfs.read("/in/line.txt", 0, None).await.expect("read");
    assert_eq!(&got.data[..], b"replaced");
    h.clear_exchanges();

    dbfs.put("/in/form.bin", Bytes::from_static(b"\x00\x01 form \xff"))
        .multipart(true)
        .send()
        .await
        .expect("multipart");
    h.settings()
        .bind(|| assert_json_snapshot!("put_multipart", h.take_exchanges()));
    let got = dbfs.read("/in/form.bin", 0, None).await.expect("read");
    assert_eq!(&got.data[..], b"\x00\x01 form \xff");

    // Above 1 MiB the client switches to multipart on its own.
    let big = data(3 * MIB + 5, 1);
    dbfs.put("/in/big.bin", big.clone())
        .send()
        .await
        .expect("large multipart");
    let mut back = Vec::new();
    dbfs.download("/in/big.bin", &mut back)
        .send()
        .await
        .expect("download");
    assert_same(&back, &big, "multipart put");
    h.clear_exchanges();

    // The part name databricks-cli uses (`file`) works too.
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\ndbfs:/in/cli.bin\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\nfalse\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cli.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"from the cli");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    raw(
        &h,
        Request::post("/api/2.0/dbfs/put")
            .body(body, format!("multipart/form-data; boundary={boundary}")),
    )
    .await
    .expect("file part");
    let got = dbfs.read("/in/cli.bin", 0, None).await.expect("read");
    assert_eq!(&got.data[..], b"from the cli");

    // A directory is never replaced by a file.
    let err = dbfs
        .put("/in", Bytes::from_static(b"x"))
        .overwrite(true)
        .send()
        .await
        .expect_err("dir");
    assert_eq!(err.error_code(), Some("RESOURCE_ALREADY_EXISTS"));
}

#[tokio::test]
async fn move_and_delete_files_and_trees() {
    let h = Harness::new();
    let dbfs = api(&h);
    for p in ["/src/a.txt", "/src/deep/b.txt", "/src/deep/er/c.txt"] {
        dbfs.put(p, Bytes::copy_from_slice(p.as_bytes()))
            .send()
            .await
            .expect("seed");
    }
    dbfs.mkdirs("/src/empty").await.expect("seed dir");
    h.clear_exchanges();

    dbfs.move_path("dbfs:/src/a.txt", "/dst/renamed.txt")
        .await
        .expect("move file");
    dbfs.move_path("/src", "dbfs:/moved")
        .await
        .expect("move tree");
    h.settings()
        .bind(|| assert_json_snapshot!("move", h.take_exchanges()));
    assert!(!dbfs.exists("/src").await.expect("exists"));
    let c = dbfs
        .read("/moved/deep/er/c.txt", 0, None)
        .await
        .expect("moved");
    assert_eq!(&c.data[..], b"/src/deep/er/c.txt");
    assert!(
        dbfs.get_status("/moved/empty")
            .await
            .expect("empty dir moved")
            .is_dir
    );
    assert_eq!(
        &dbfs
            .read("/dst/renamed.txt", 0, None)
            .await
            .expect("renamed")
            .data[..],
        b"/src/a.txt"
    );
    h.clear_exchanges();

    dbfs.delete("/dst/renamed.txt", false)
        .await
        .expect("delete file");
    dbfs.delete("/moved/empty", false)
        .await
        .expect("delete empty dir");
    dbfs.delete("/moved", true).await.expect("delete tree");
    dbfs.delete("/never/was", false)
        .await
        .expect("deleting nothing is fine");
    h.settings()
        .bind(|| assert_json_snapshot!("delete", h.take_exchanges()));
    assert!(!dbfs.exists("/moved").await.expect("gone"));
    assert!(dbfs.exists("/dst").await.expect("parent stays"));
}

#[tokio::test]
async fn documented_errors_have_their_status_and_code() {
    let h = Harness::new();
    let dbfs = api(&h);
    dbfs.put("/f.txt", Bytes::from_static(b"file"))
        .send()
        .await
        .expect("seed");
    dbfs.mkdirs("/dir/child").await.expect("seed");
    h.clear_exchanges();

    let mut cases: Vec<(&str, Error)> = Vec::new();
    cases.push((
        "get_status_missing",
        dbfs.get_status("/nope").await.expect_err("missing"),
    ));
    cases.push((
        "list_missing",
        dbfs.list("dbfs:/nope").await.expect_err("missing"),
    ));
    cases.push((
        "read_missing",
        dbfs.read("/nope", 0, None).await.expect_err("missing"),
    ));
    cases.push((
        "read_directory",
        dbfs.read("/dir", 0, None).await.expect_err("dir"),
    ));
    cases.push((
        "read_negative_offset",
        dbfs.read("/f.txt", -1, None).await.expect_err("offset"),
    ));
    cases.push((
        "read_negative_length",
        dbfs.read("/f.txt", 0, Some(-1)).await.expect_err("length"),
    ));
    cases.push((
        "read_too_long",
        dbfs.read("/f.txt", 0, Some(MAX_BLOCK_SIZE as i64 + 1))
            .await
            .expect_err("too long"),
    ));
    cases.push((
        "create_existing_file",
        dbfs.create("/f.txt", false).await.expect_err("exists"),
    ));
    cases.push((
        "create_over_directory",
        dbfs.create("/dir", true).await.expect_err("dir"),
    ));
    cases.push((
        "create_below_a_file",
        dbfs.create("/f.txt/x", true)
            .await
            .expect_err("file parent"),
    ));
    cases.push((
        "add_block_unknown_handle",
        dbfs.add_block(Handle(424242), b"x")
            .await
            .expect_err("unknown"),
    ));
    let h1 = dbfs.create("/big-block", false).await.expect("create");
    cases.push((
        "add_block_too_large",
        dbfs.add_block(h1, &vec![0u8; MAX_BLOCK_SIZE + 1])
            .await
            .expect_err("too large"),
    ));
    dbfs.close(h1).await.expect("close");
    cases.push((
        "add_block_closed_handle",
        dbfs.add_block(h1, b"x").await.expect_err("closed"),
    ));
    cases.push((
        "close_closed_handle",
        dbfs.close(h1).await.expect_err("closed"),
    ));
    cases.push((
        "put_inline_too_large",
        dbfs.put("/inline", vec![1u8; MAX_BLOCK_SIZE + 1])
            .multipart(false)
            .send()
            .await
            .expect_err("too large"),
    ));
    cases.push((
        "put_existing",
        dbfs.put("/f.txt", Bytes::from_static(b"x"))
            .send()
            .await
            .expect_err("exists"),
    ));
    cases.push((
        "mkdirs_over_file",
        dbfs.mkdirs("/f.txt/sub").await.expect_err("file"),
    ));
    cases.push((
        "move_missing_source",
        dbfs.move_path("/nope", "/x").await.expect_err("missing"),
    ));
    cases.push((
        "move_onto_existing",
        dbfs.move_path("/f.txt", "/dir").await.expect_err("exists"),
    ));
    cases.push((
        "move_into_itself",
        dbfs.move_path("/dir", "/dir/child/dir")
            .await
            .expect_err("into itself"),
    ));
    cases.push((
        "delete_non_empty_directory",
        dbfs.delete("/dir", false).await.expect_err("not empty"),
    ));
    // What the original package sent: `recurisve` (typo) and `target_path` (wrong name).
    cases.push((
        "delete_with_the_recurisve_typo",
        raw(
            &h,
            Request::post("/api/2.0/dbfs/delete")
                .json(&json!({"path": "/dir", "recurisve": true}))
                .expect("json"),
        )
        .await
        .expect_err("typo"),
    ));
    cases.push((
        "move_with_target_path",
        raw(
            &h,
            Request::post("/api/2.0/dbfs/move")
                .json(&json!({"source_path": "/f.txt", "target_path": "/g.txt"}))
                .expect("json"),
        )
        .await
        .expect_err("missing destination_path"),
    ));
    cases.push((
        "relative_path",
        raw(
            &h,
            Request::get("/api/2.0/dbfs/get-status").query("path", "f.txt"),
        )
        .await
        .expect_err("relative"),
    ));

    let table: Vec<Value> = cases
        .iter()
        .map(|(name, e)| {
            json!({
                "case": name,
                "status": status(e),
                "error_code": e.error_code(),
                "message": e.api().map(|a| a.message.clone()),
            })
        })
        .collect();
    let expected = [
        ("get_status_missing", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("list_missing", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("read_missing", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("read_directory", 400, "INVALID_PARAMETER_VALUE"),
        ("read_negative_offset", 400, "INVALID_PARAMETER_VALUE"),
        ("read_negative_length", 400, "INVALID_PARAMETER_VALUE"),
        ("read_too_long", 400, "MAX_READ_SIZE_EXCEEDED"),
        ("create_existing_file", 400, "RESOURCE_ALREADY_EXISTS"),
        ("create_over_directory", 400, "RESOURCE_ALREADY_EXISTS"),
        ("create_below_a_file", 400, "RESOURCE_ALREADY_EXISTS"),
        ("add_block_unknown_handle", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("add_block_too_large", 400, "MAX_BLOCK_SIZE_EXCEEDED"),
        ("add_block_closed_handle", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("close_closed_handle", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("put_inline_too_large", 400, "MAX_BLOCK_SIZE_EXCEEDED"),
        ("put_existing", 400, "RESOURCE_ALREADY_EXISTS"),
        ("mkdirs_over_file", 400, "RESOURCE_ALREADY_EXISTS"),
        ("move_missing_source", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("move_onto_existing", 400, "RESOURCE_ALREADY_EXISTS"),
        ("move_into_itself", 400, "INVALID_PARAMETER_VALUE"),
        ("delete_non_empty_directory", 400, "IO_ERROR"),
        ("delete_with_the_recurisve_typo", 400, "IO_ERROR"),
        ("move_with_target_path", 400, "INVALID_PARAMETER_VALUE"),
        ("relative_path", 400, "INVALID_PARAMETER_VALUE"),
    ];
    assert_eq!(cases.len(), expected.len());
    for ((name, e), (want_name, want_status, want_code)) in cases.iter().zip(expected) {
        assert_eq!(*name, want_name);
        assert_eq!(
            (status(e), e.error_code()),
            (want_status, Some(want_code)),
            "{name}: {e}"
        );
    }
    assert!(cases[0].1.is_not_found());
    h.settings().bind(|| assert_json_snapshot!("errors", table));
    // The wire form of a few, exactly.
    h.clear_exchanges();
    let _ = dbfs.get_status("/nope").await;
    let _ = dbfs
        .read("/f.txt", 0, Some(2 * MAX_BLOCK_SIZE as i64))
        .await;
    let _ = dbfs.delete("/dir", false).await;
    h.settings()
        .bind(|| assert_json_snapshot!("error_exchanges", h.take_exchanges()));
    // Nothing changed.
    assert_eq!(
        &dbfs.read("/f.txt", 0, None).await.expect("read").data[..],
        b"file"
    );
    assert!(dbfs.exists("/dir/child").await.expect("exists"));
}

#[tokio::test]
async fn handles_expire_after_ten_idle_minutes() {
    let h = Harness::new();
    let dbfs = api(&h);
    h.emulator.clock().freeze();
    let handle = dbfs.create("/slow.bin", false).await.expect("create");
    h.emulator.clock().advance(Duration::from_secs(9 * 60));
    dbfs.add_block(handle, b"still alive")
        .await
        .expect("9 minutes");
    // Idle time counts from the last use.
    h.emulator.clock().advance(Duration::from_secs(9 * 60));
    dbfs.add_block(handle, b"!").await.expect("9 more minutes");
    h.emulator.clock().advance(Duration::from_secs(10 * 60));
    let err = dbfs.add_block(handle, b"late").await.expect_err("expired");
    assert_eq!(
        (status(&err), err.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    let err = dbfs.close(handle).await.expect_err("expired");
    assert!(err.is_not_found());
    // The reservation stays behind, empty.
    assert_eq!(
        dbfs.get_status("/slow.bin")
            .await
            .expect("status")
            .file_size,
        0
    );
}

#[tokio::test]
async fn get_parameters_may_come_as_a_json_body() {
    let h = Harness::new();
    api(&h)
        .put("/body.txt", Bytes::from_static(b"abc"))
        .send()
        .await
        .expect("seed");
    // databricksapi 1.1.8 sent GET parameters as a JSON body.
    let v = raw(
        &h,
        Request::get("/api/2.0/dbfs/get-status")
            .json(&json!({"path": "dbfs:/body.txt"}))
            .expect("json"),
    )
    .await
    .expect("status");
    assert_eq!(v["file_size"], 3);
    assert_eq!(v["path"], "/body.txt");
}

#[tokio::test]
async fn partial_deletes_are_followed_to_the_end() {
    let h = Harness::new();
    let dbfs = api(&h);
    for i in 0..1100 {
        dbfs.mkdirs(&format!("/huge/d{i:04}")).await.expect("seed");
    }
    h.clear_exchanges();
    let err = dbfs.delete("/huge", true).await.expect_err("partial");
    assert_eq!(
        (status(&err), err.error_code()),
        (503, Some("PARTIAL_DELETE"))
    );
    assert!(!err.is_retryable());
    h.settings()
        .bind(|| assert_json_snapshot!("partial_delete", h.take_exchanges()));
    let summary = dbfs.delete_recursive("dbfs:/huge").await.expect("deleted");
    assert_eq!(summary.calls, 1);
    assert!(!dbfs.exists("/huge").await.expect("gone"));

    for i in 0..2500 {
        dbfs.mkdirs(&format!("/huger/d{i:04}")).await.expect("seed");
    }
    let summary = dbfs.delete_recursive("/huger").await.expect("deleted");
    assert_eq!(summary.calls, 3);
    assert_eq!(summary.files_deleted_at_least, 2000);
    assert!(!dbfs.exists("/huger").await.expect("gone"));
}

async fn round_trip(h: &Harness, size: usize, seed: u64) {
    let dbfs = api(h);
    let src = data(size, seed);
    let path = format!("/rt/{size}.bin");
    let mut progress = Vec::new();
    let up = dbfs
        .upload(&path, &src[..])
        .on_progress(|p| progress.push(p.bytes))
        .send()
        .await
        .expect("upload");
    assert_eq!(up.bytes, size as u64);
    assert_eq!(up.blocks, size.div_ceil(MIB) as u64);
    assert_eq!(progress.last().copied().unwrap_or(0), size as u64);
    assert_eq!(
        dbfs.get_status(&path).await.expect("status").file_size,
        size as i64
    );
    for concurrency in [1, 4] {
        let mut back = Vec::new();
        let down = dbfs
            .download(&path, &mut back)
            .concurrency(concurrency)
            .send()
            .await
            .expect("download");
        assert_eq!(down.bytes, size as u64);
        assert_eq!(down.reads, size.div_ceil(MIB) as u64);
        assert_same(&back, &src, &format!("{size} bytes, {concurrency} reads"));
    }
    h.clear_exchanges();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_download_round_trips_are_exact() {
    let h = Harness::new();
    for (i, size) in [0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB, 3 * MIB + 12_345]
        .into_iter()
        .enumerate()
    {
        round_trip(&h, size, i as u64 + 1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tens_of_mib_round_trip_through_local_files() {
    let h = Harness::new();
    let dbfs = api(&h);
    let size = 24 * MIB + 7;
    let src = data(size, 99);
    let dir = std::env::temp_dir().join(format!("dbx-dbfs-test-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await.expect("tmp dir");
    let local_in = dir.join("in.bin");
    let local_out = dir.join("out.bin");
    tokio::fs::write(&local_in, &src).await.expect("write");
    let totals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = totals.clone();
    let up = dbfs
        .upload_file("dbfs:/big/file.bin", &local_in)
        .on_progress(move |p| {
            if let Ok(mut v) = seen.lock() {
                v.push(p.total);
            }
        })
        .send()
        .await
        .expect("upload");
    assert_eq!(up.bytes, size as u64);
    assert!(totals
        .lock()
        .map(|v| v.iter().all(|t| *t == Some(size as u64)))
        .unwrap_or(false));
    h.clear_exchanges();
    let down = dbfs
        .download_file("dbfs:/big/file.bin", &local_out)
        .concurrency(4)
        .send()
        .await
        .expect("download");
    assert_eq!(down.bytes, size as u64);
    h.clear_exchanges();
    let back = tokio::fs::read(&local_out).await.expect("read back");
    assert_same(&back, &src, "24 MiB through files");
    // A failed download leaves no local file behind.
    let missing = dir.join("missing.bin");
    let err = dbfs
        .download_file("/big/nope.bin", &missing)
        .send()
        .await
        .expect_err("missing");
    assert!(err.is_not_found());
    assert!(!missing.exists());
    // A download that fails half-way removes its partial file.
    h.emulator.add_fault(
        Fault::on("/api/2.0/dbfs/read")
            .method("GET")
            .status(500)
            .count(1),
    );
    let partial = dir.join("partial.bin");
    let err = dbfs
        .download_file("/big/file.bin", &partial)
        .concurrency(1)
        .send()
        .await
        .expect_err("read fails");
    assert_eq!(
        err.api().and_then(Error::status).map(|s| s.as_u16()),
        Some(500)
    );
    assert!(!partial.exists());
    let err = dbfs
        .download("/big", Vec::new())
        .send()
        .await
        .expect_err("directory");
    assert!(matches!(err, TransferError::IsDirectory { .. }), "{err}");
    let _ = tokio::fs::remove_dir_all(&dir).await;
}

/// A reader that installs faults on `add-block` once it has handed out `after` bytes, so they
/// hit the middle of the upload.
struct FaultAfter {
    data: Vec<u8>,
    pos: usize,
    after: usize,
    faults: Option<(Emulator, Vec<Fault>)>,
}

impl AsyncRead for FaultAfter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.pos >= self.after {
            if let Some((emu, faults)) = self.faults.take() {
                for f in faults {
                    emu.add_fault(f);
                }
            }
        }
        let n = buf.remaining().min(self.data.len() - self.pos);
        let pos = self.pos;
        buf.put_slice(&self.data[pos..pos + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn throttling_mid_upload_is_retried_without_duplicating_blocks() {
    let h = Harness::new();
    let dbfs = api(&h);
    let size = 6 * MIB + 321;
    let src = data(size, 7);
    let reader = FaultAfter {
        data: src.clone(),
        pos: 0,
        after: 2 * MIB,
        faults: Some((
            h.emulator.clone(),
            vec![
                Fault::on("/api/2.0/dbfs/add-block").status(429).count(2),
                Fault::on("/api/2.0/dbfs/add-block").status(503).count(2),
            ],
        )),
    };
    let up = dbfs
        .upload("/faulty.bin", reader)
        .send()
        .await
        .expect("upload");
    assert_eq!(up.blocks, 7);
    let journal = h.emulator.journal();
    let blocks: Vec<u16> = journal
        .iter()
        .filter(|e| e.path == "/api/2.0/dbfs/add-block")
        .map(|e| e.status)
        .collect();
    assert_eq!(
        blocks.iter().filter(|s| **s == 429).count(),
        2,
        "{blocks:?}"
    );
    assert_eq!(
        blocks.iter().filter(|s| **s == 503).count(),
        2,
        "{blocks:?}"
    );
    assert_eq!(
        blocks.iter().filter(|s| **s == 200).count(),
        7,
        "{blocks:?}"
    );
    h.clear_exchanges();
    let mut back = Vec::new();
    dbfs.download("/faulty.bin", &mut back)
        .send()
        .await
        .expect("download");
    assert_same(&back, &src, "after throttling");
}

#[tokio::test]
async fn an_ambiguous_add_block_fails_the_upload_and_removes_the_partial_file() {
    let h = Harness::new();
    let dbfs = api(&h);
    // The block is applied, then the answer is lost (504): repeating it could append it twice.
    h.emulator.add_fault(
        Fault::on("/api/2.0/dbfs/add-block")
            .status(504)
            .after_apply(true)
            .count(1),
    );
    let err = dbfs
        .upload("/ambiguous.bin", &data(3 * MIB, 3)[..])
        .send()
        .await
        .expect_err("not repeated");
    assert_eq!(
        err.api().and_then(|e| e.status()).map(|s| s.as_u16()),
        Some(504)
    );
    let calls: Vec<(String, u16)> = h
        .emulator
        .journal()
        .iter()
        .map(|e| {
            (
                e.path.trim_start_matches("/api/2.0/dbfs/").to_owned(),
                e.status,
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("create".to_owned(), 200),
            ("add-block".to_owned(), 504),
            ("close".to_owned(), 200),
            ("delete".to_owned(), 200),
        ]
    );
    assert!(!dbfs.exists("/ambiguous.bin").await.expect("removed"));

    // A lost close answer is repeated (harmless); the retry's "no such handle" is checked
    // against the committed size and the upload succeeds.
    h.emulator.add_fault(
        Fault::on("/api/2.0/dbfs/close")
            .status(504)
            .after_apply(true)
            .count(1),
    );
    let src = data(MIB + 10, 4);
    dbfs.upload("/closed-twice.bin", &src[..])
        .send()
        .await
        .expect("committed");
    let mut back = Vec::new();
    dbfs.download("/closed-twice.bin", &mut back)
        .send()
        .await
        .expect("download");
    assert_same(&back, &src, "after a repeated close");
    h.clear_exchanges();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_and_reads_are_safe() {
    let h = Harness::new();
    let dbfs = api(&h);
    let mut tasks = Vec::new();
    for i in 0..6u64 {
        let dbfs = dbfs.clone();
        tasks.push(tokio::spawn(async move {
            let src = data(2 * MIB + i as usize * 1000, 100 + i);
            let path = format!("/par/{i}.bin");
            dbfs.upload(&path, &src[..])
                .block_size(256 * 1024)
                .send()
                .await
                .map(|_| (path, src))
        }));
    }
    let mut files = Vec::new();
    for t in tasks {
        files.push(t.await.expect("join").expect("upload"));
    }
    let (path, src) = files.swap_remove(2);
    let src = Arc::new(src);
    let mut readers = Vec::new();
    for _ in 0..6 {
        let dbfs = dbfs.clone();
        let path = path.clone();
        let src = src.clone();
        readers.push(tokio::spawn(async move {
            let mut back = Vec::new();
            dbfs.download(&path, &mut back)
                .chunk_size(300_000)
                .concurrency(3)
                .send()
                .await
                .map(|_| back == *src)
        }));
    }
    for r in readers {
        assert!(r.await.expect("join").expect("download"));
    }
    for (path, src) in files {
        let mut back = Vec::new();
        dbfs.download(&path, &mut back)
            .send()
            .await
            .expect("download");
        assert_same(&back, &src, &path);
    }
    h.clear_exchanges();
}

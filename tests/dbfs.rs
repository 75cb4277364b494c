//! Contract scenarios for the DBFS API: dbx-dbfs against the emulator (or any workspace, see
//! `tests/README.md`).

use dbx_contract_tests::pseudo_random_bytes as data;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use dbx_contract_tests::{portable, snapshot, Harness};
use dbx_core::{Error, Request};
use dbx_dbfs::{DbfsApi, Handle, TransferError, MAX_BLOCK_SIZE};
use dbx_mock_server::{Emulator, Fault};
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

portable!(
    streaming_write_then_status_list_and_read,
    put_inline_and_multipart_with_overwrite_rules,
    move_and_delete_files_and_trees,
    documented_errors_have_their_status_and_code,
    get_parameters_may_come_as_a_json_body,
    upload_and_download_round_trips_are_exact,
    tens_of_mib_round_trip_through_local_files,
    concurrent_uploads_and_reads_are_safe,
);

async fn streaming_write_then_status_list_and_read(h: &Harness) {
    let dbfs = api(h);

    dbfs.mkdirs(&h.dbfs("dbfs:/data//sub/"))
        .await
        .expect("mkdirs");
    dbfs.mkdirs(&h.dbfs("/data/sub"))
        .await
        .expect("mkdirs twice is fine");
    snapshot!(h, "mkdirs");

    let handle = dbfs
        .create(&h.dbfs("dbfs:/data/log.txt"), false)
        .await
        .expect("create");
    // Reserved at once: visible and empty before close.
    let early = dbfs
        .get_status(&h.dbfs("/data/log.txt"))
        .await
        .expect("visible");
    assert_eq!((early.is_dir, early.file_size), (false, 0));
    dbfs.add_block(handle, b"hello ").await.expect("block 1");
    dbfs.add_block(handle, b"world").await.expect("block 2");
    dbfs.add_block(handle, b"").await.expect("empty block");
    dbfs.close(handle).await.expect("close");
    snapshot!(h, "create_add_block_close");

    let file = dbfs
        .get_status(&h.dbfs("dbfs:/data/log.txt"))
        .await
        .expect("status");
    assert_eq!(file.path, h.dbfs("/data/log.txt"));
    assert_eq!((file.is_dir, file.file_size), (false, 11));
    assert!(file.modification_time > 0);
    let dir = dbfs.get_status(&h.dbfs("/data")).await.expect("dir status");
    assert_eq!((dir.is_dir, dir.file_size), (true, 0));
    let root = dbfs.get_status("/").await.expect("root");
    assert!(root.is_dir);
    snapshot!(h, "get_status");

    let listed = dbfs.list(&h.dbfs("/data")).await.expect("list dir");
    let names: Vec<_> = listed.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
    assert_eq!(
        names,
        [
            (h.dbfs("/data/log.txt").as_str(), false),
            (h.dbfs("/data/sub").as_str(), true)
        ]
    );
    let itself = dbfs
        .list(&h.dbfs("/data/log.txt"))
        .await
        .expect("list file");
    assert_eq!(itself, vec![file.clone()]);
    assert!(dbfs
        .list(&h.dbfs("/data/sub"))
        .await
        .expect("empty")
        .is_empty());
    let top = dbfs.list(&h.dbfs("dbfs:/")).await.expect("root list");
    let top: Vec<_> = top.iter().map(|f| f.path.as_str()).collect();
    if h.dbfs_root().is_empty() {
        // A new workspace's root: the user's folder among the standard ones.
        assert_eq!(
            top,
            [
                "/FileStore",
                "/data",
                "/databricks-datasets",
                "/databricks-results",
                "/tmp",
                "/user"
            ]
        );
    } else {
        assert_eq!(top, [h.dbfs("/data").as_str()]);
    }
    snapshot!(h, "list");

    let part = dbfs
        .read(&h.dbfs("/data/log.txt"), 6, Some(5))
        .await
        .expect("read");
    assert_eq!(&part.data[..], b"world");
    let all = dbfs
        .read(&h.dbfs("/data/log.txt"), 0, None)
        .await
        .expect("default length");
    assert_eq!(&all.data[..], b"hello world");
    let tail = dbfs
        .read(&h.dbfs("/data/log.txt"), 9, Some(100))
        .await
        .expect("to eof");
    assert_eq!((tail.bytes_read, &tail.data[..]), (2, &b"ld"[..]));
    let past = dbfs
        .read(&h.dbfs("/data/log.txt"), 50, Some(10))
        .await
        .expect("past end");
    assert_eq!(past.bytes_read, 0);
    let none = dbfs
        .read(&h.dbfs("/data/log.txt"), 0, Some(0))
        .await
        .expect("zero length");
    assert_eq!(none.bytes_read, 0);
    snapshot!(h, "read");
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
    let Some(h) = Harness::emulator_only("lists and resets the root of a new workspace's DBFS")
    else {
        return;
    };
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
    snapshot!(h, "root_list");

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
    snapshot!(h, "read_only_datasets");
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
    snapshot!(h, "delete_root");
    assert!(dbfs.exists("/tmp/scratch").await.expect("still there"));

    // A reset brings back a new workspace's root: the standard folders, nothing else.
    dbfs.delete("/user", true).await.expect("delete /user");
    if let Some(emu) = h.emulator() {
        emu.reset();
    }
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

async fn put_inline_and_multipart_with_overwrite_rules(h: &Harness) {
    let dbfs = api(h);

    // Parents are created implicitly.
    dbfs.put(&h.dbfs("dbfs:/in/line.txt"), Bytes::from_static(b"inline"))
        .send()
        .await
        .expect("inline");
    snapshot!(h, "put_inline");
    let err = dbfs
        .put(&h.dbfs("/in/line.txt"), Bytes::from_static(b"again"))
        .send()
        .await
        .expect_err("no overwrite");
    assert_eq!(
        (status(&err), err.error_code()),
        (400, Some("RESOURCE_ALREADY_EXISTS"))
    );
    dbfs.put(&h.dbfs("/in/line.txt"), Bytes::from_static(b"replaced"))
        .overwrite(true)
        .send()
        .await
        .expect("overwrite");
    snapshot!(h, "put_overwrite");
    let got = dbfs
        .read(&h.dbfs("/in/line.txt"), 0, None)
        .await
        .expect("read");
    assert_eq!(&got.data[..], b"replaced");
    h.clear_exchanges();

    dbfs.put(
        &h.dbfs("/in/form.bin"),
        Bytes::from_static(b"\x00\x01 form \xff"),
    )
    .multipart(true)
    .send()
    .await
    .expect("multipart");
    snapshot!(h, "put_multipart");
    let got = dbfs
        .read(&h.dbfs("/in/form.bin"), 0, None)
        .await
        .expect("read");
    assert_eq!(&got.data[..], b"\x00\x01 form \xff");

    // Above 1 MiB the client switches to multipart on its own.
    let big = data(3 * MIB + 5, 1);
    dbfs.put(&h.dbfs("/in/big.bin"), big.clone())
        .send()
        .await
        .expect("large multipart");
    let mut back = Vec::new();
    dbfs.download(&h.dbfs("/in/big.bin"), &mut back)
        .send()
        .await
        .expect("download");
    assert_same(&back, &big, "multipart put");
    h.clear_exchanges();

    // The part name databricks-cli uses (`file`) works too.
    let boundary = "XyZ";
    let cli_path = h.dbfs("dbfs:/in/cli.bin");
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n{cli_path}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\nfalse\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cli.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"from the cli");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    raw(
        h,
        Request::post("/api/2.0/dbfs/put")
            .body(body, format!("multipart/form-data; boundary={boundary}")),
    )
    .await
    .expect("file part");
    let got = dbfs
        .read(&h.dbfs("/in/cli.bin"), 0, None)
        .await
        .expect("read");
    assert_eq!(&got.data[..], b"from the cli");

    // A directory is never replaced by a file.
    let err = dbfs
        .put(&h.dbfs("/in"), Bytes::from_static(b"x"))
        .overwrite(true)
        .send()
        .await
        .expect_err("dir");
    assert_eq!(err.error_code(), Some("RESOURCE_ALREADY_EXISTS"));
}

async fn move_and_delete_files_and_trees(h: &Harness) {
    let dbfs = api(h);
    for p in [
        &h.dbfs("/src/a.txt"),
        &h.dbfs("/src/deep/b.txt"),
        &h.dbfs("/src/deep/er/c.txt"),
    ] {
        dbfs.put(p, Bytes::copy_from_slice(p.as_bytes()))
            .send()
            .await
            .expect("seed");
    }
    dbfs.mkdirs(&h.dbfs("/src/empty")).await.expect("seed dir");
    h.clear_exchanges();

    dbfs.move_path(&h.dbfs("dbfs:/src/a.txt"), &h.dbfs("/dst/renamed.txt"))
        .await
        .expect("move file");
    dbfs.move_path(&h.dbfs("/src"), &h.dbfs("dbfs:/moved"))
        .await
        .expect("move tree");
    snapshot!(h, "move");
    assert!(!dbfs.exists(&h.dbfs("/src")).await.expect("exists"));
    let c = dbfs
        .read(&h.dbfs("/moved/deep/er/c.txt"), 0, None)
        .await
        .expect("moved");
    assert_eq!(&c.data[..], h.dbfs("/src/deep/er/c.txt").as_bytes());
    assert!(
        dbfs.get_status(&h.dbfs("/moved/empty"))
            .await
            .expect("empty dir moved")
            .is_dir
    );
    assert_eq!(
        &dbfs
            .read(&h.dbfs("/dst/renamed.txt"), 0, None)
            .await
            .expect("renamed")
            .data[..],
        h.dbfs("/src/a.txt").as_bytes()
    );
    h.clear_exchanges();

    dbfs.delete(&h.dbfs("/dst/renamed.txt"), false)
        .await
        .expect("delete file");
    dbfs.delete(&h.dbfs("/moved/empty"), false)
        .await
        .expect("delete empty dir");
    dbfs.delete(&h.dbfs("/moved"), true)
        .await
        .expect("delete tree");
    dbfs.delete(&h.dbfs("/never/was"), false)
        .await
        .expect("deleting nothing is fine");
    snapshot!(h, "delete");
    assert!(!dbfs.exists(&h.dbfs("/moved")).await.expect("gone"));
    assert!(dbfs.exists(&h.dbfs("/dst")).await.expect("parent stays"));
}

async fn documented_errors_have_their_status_and_code(h: &Harness) {
    let dbfs = api(h);
    dbfs.put(&h.dbfs("/f.txt"), Bytes::from_static(b"file"))
        .send()
        .await
        .expect("seed");
    dbfs.mkdirs(&h.dbfs("/dir/child")).await.expect("seed");
    h.clear_exchanges();

    let mut cases: Vec<(&str, Error)> = Vec::new();
    cases.push((
        "get_status_missing",
        dbfs.get_status(&h.dbfs("/nope"))
            .await
            .expect_err("missing"),
    ));
    cases.push((
        "list_missing",
        dbfs.list(&h.dbfs("dbfs:/nope")).await.expect_err("missing"),
    ));
    cases.push((
        "read_missing",
        dbfs.read(&h.dbfs("/nope"), 0, None)
            .await
            .expect_err("missing"),
    ));
    cases.push((
        "read_directory",
        dbfs.read(&h.dbfs("/dir"), 0, None).await.expect_err("dir"),
    ));
    cases.push((
        "read_negative_offset",
        dbfs.read(&h.dbfs("/f.txt"), -1, None)
            .await
            .expect_err("offset"),
    ));
    cases.push((
        "read_negative_length",
        dbfs.read(&h.dbfs("/f.txt"), 0, Some(-1))
            .await
            .expect_err("length"),
    ));
    cases.push((
        "read_too_long",
        dbfs.read(&h.dbfs("/f.txt"), 0, Some(MAX_BLOCK_SIZE as i64 + 1))
            .await
            .expect_err("too long"),
    ));
    cases.push((
        "create_existing_file",
        dbfs.create(&h.dbfs("/f.txt"), false)
            .await
            .expect_err("exists"),
    ));
    cases.push((
        "create_over_directory",
        dbfs.create(&h.dbfs("/dir"), true).await.expect_err("dir"),
    ));
    cases.push((
        "create_below_a_file",
        dbfs.create(&h.dbfs("/f.txt/x"), true)
            .await
            .expect_err("file parent"),
    ));
    cases.push((
        "add_block_unknown_handle",
        dbfs.add_block(Handle(424242), b"x")
            .await
            .expect_err("unknown"),
    ));
    let h1 = dbfs
        .create(&h.dbfs("/big-block"), false)
        .await
        .expect("create");
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
        dbfs.put(&h.dbfs("/inline"), vec![1u8; MAX_BLOCK_SIZE + 1])
            .multipart(false)
            .send()
            .await
            .expect_err("too large"),
    ));
    cases.push((
        "put_existing",
        dbfs.put(&h.dbfs("/f.txt"), Bytes::from_static(b"x"))
            .send()
            .await
            .expect_err("exists"),
    ));
    cases.push((
        "mkdirs_over_file",
        dbfs.mkdirs(&h.dbfs("/f.txt/sub")).await.expect_err("file"),
    ));
    cases.push((
        "move_missing_source",
        dbfs.move_path(&h.dbfs("/nope"), &h.dbfs("/x"))
            .await
            .expect_err("missing"),
    ));
    cases.push((
        "move_onto_existing",
        dbfs.move_path(&h.dbfs("/f.txt"), &h.dbfs("/dir"))
            .await
            .expect_err("exists"),
    ));
    cases.push((
        "move_into_itself",
        dbfs.move_path(&h.dbfs("/dir"), &h.dbfs("/dir/child/dir"))
            .await
            .expect_err("into itself"),
    ));
    cases.push((
        "delete_non_empty_directory",
        dbfs.delete(&h.dbfs("/dir"), false)
            .await
            .expect_err("not empty"),
    ));
    // What the original package sent: `recurisve` (typo) and `target_path` (wrong name).
    cases.push((
        "delete_with_the_recurisve_typo",
        raw(
            h,
            Request::post("/api/2.0/dbfs/delete")
                .json(&json!({"path": &h.dbfs("/dir"), "recurisve": true}))
                .expect("json"),
        )
        .await
        .expect_err("typo"),
    ));
    cases.push((
        "move_with_target_path",
        raw(
            h,
            Request::post("/api/2.0/dbfs/move")
                .json(&json!({"source_path": &h.dbfs("/f.txt"), "target_path": &h.dbfs("/g.txt")}))
                .expect("json"),
        )
        .await
        .expect_err("missing destination_path"),
    ));
    cases.push((
        "relative_path",
        raw(
            h,
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
    snapshot!(h, "errors", table);
    // The wire form of a few, exactly.
    h.clear_exchanges();
    let _ = dbfs.get_status(&h.dbfs("/nope")).await;
    let _ = dbfs
        .read(&h.dbfs("/f.txt"), 0, Some(2 * MAX_BLOCK_SIZE as i64))
        .await;
    let _ = dbfs.delete(&h.dbfs("/dir"), false).await;
    snapshot!(h, "error_exchanges");
    // Nothing changed.
    assert_eq!(
        &dbfs
            .read(&h.dbfs("/f.txt"), 0, None)
            .await
            .expect("read")
            .data[..],
        b"file"
    );
    assert!(dbfs.exists(&h.dbfs("/dir/child")).await.expect("exists"));
}

#[tokio::test]
async fn handles_expire_after_ten_idle_minutes() {
    let Some(h) = Harness::emulator_only("needs the emulator clock") else {
        return;
    };
    let dbfs = api(&h);
    h.emu().clock().freeze();
    let handle = dbfs.create("/slow.bin", false).await.expect("create");
    h.emu().clock().advance(Duration::from_secs(9 * 60));
    dbfs.add_block(handle, b"still alive")
        .await
        .expect("9 minutes");
    // Idle time counts from the last use.
    h.emu().clock().advance(Duration::from_secs(9 * 60));
    dbfs.add_block(handle, b"!").await.expect("9 more minutes");
    h.emu().clock().advance(Duration::from_secs(10 * 60));
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

async fn get_parameters_may_come_as_a_json_body(h: &Harness) {
    api(h)
        .put(&h.dbfs("/body.txt"), Bytes::from_static(b"abc"))
        .send()
        .await
        .expect("seed");
    // databricksapi 1.1.8 sent GET parameters as a JSON body.
    let v = raw(
        h,
        Request::get("/api/2.0/dbfs/get-status")
            .json(&json!({"path": &h.dbfs("dbfs:/body.txt")}))
            .expect("json"),
    )
    .await
    .expect("status");
    assert_eq!(v["file_size"], 3);
    assert_eq!(v["path"], h.dbfs("/body.txt"));
}

#[tokio::test]
async fn partial_deletes_are_followed_to_the_end() {
    let Some(h) = Harness::emulator_only("relies on the emulator's 1000-object delete batch")
    else {
        return;
    };
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
    snapshot!(h, "partial_delete");
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
    let path = h.dbfs(&format!("/rt/{size}.bin"));
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

async fn upload_and_download_round_trips_are_exact(h: &Harness) {
    for (i, size) in [0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB, 3 * MIB + 12_345]
        .into_iter()
        .enumerate()
    {
        round_trip(h, size, i as u64 + 1).await;
    }
}

async fn tens_of_mib_round_trip_through_local_files(h: &Harness) {
    let dbfs = api(h);
    let size = 24 * MIB + 7;
    let src = data(size, 99);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("dbx-dbfs-test-{}-{nanos}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await.expect("tmp dir");
    let local_in = dir.join("in.bin");
    let local_out = dir.join("out.bin");
    tokio::fs::write(&local_in, &src).await.expect("write");
    let totals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = totals.clone();
    let up = dbfs
        .upload_file(&h.dbfs("dbfs:/big/file.bin"), &local_in)
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
        .download_file(&h.dbfs("dbfs:/big/file.bin"), &local_out)
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
        .download_file(&h.dbfs("/big/nope.bin"), &missing)
        .send()
        .await
        .expect_err("missing");
    assert!(err.is_not_found());
    assert!(!missing.exists());
    // A download that fails half-way removes its partial file (a fault only the emulator
    // injects on demand).
    if let Some(emu) = h.emulator() {
        emu.add_fault(
            Fault::on("/api/2.0/dbfs/read")
                .method("GET")
                .status(500)
                .count(1),
        );
        let partial = dir.join("partial.bin");
        let err = dbfs
            .download_file(&h.dbfs("/big/file.bin"), &partial)
            .concurrency(1)
            .send()
            .await
            .expect_err("read fails");
        assert_eq!(
            err.api().and_then(Error::status).map(|s| s.as_u16()),
            Some(500)
        );
        assert!(!partial.exists());
    }
    let err = dbfs
        .download(&h.dbfs("/big"), Vec::new())
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
    let Some(h) = Harness::emulator_only("needs fault injection and the journal") else {
        return;
    };
    let dbfs = api(&h);
    let size = 6 * MIB + 321;
    let src = data(size, 7);
    let reader = FaultAfter {
        data: src.clone(),
        pos: 0,
        after: 2 * MIB,
        faults: Some((
            h.emu().clone(),
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
    let journal = h.emu().journal();
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
    let Some(h) = Harness::emulator_only("needs fault injection and the journal") else {
        return;
    };
    let dbfs = api(&h);
    // The block is applied, then the answer is lost (504): repeating it could append it twice.
    h.emu().add_fault(
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
        .emu()
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
    h.emu().add_fault(
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

async fn concurrent_uploads_and_reads_are_safe(h: &Harness) {
    let dbfs = api(h);
    let mut tasks = Vec::new();
    for i in 0..6u64 {
        let dbfs = dbfs.clone();
        let path = h.dbfs(&format!("/par/{i}.bin"));
        tasks.push(tokio::spawn(async move {
            let src = data(2 * MIB + i as usize * 1000, 100 + i);
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

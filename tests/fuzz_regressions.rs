//! The fuzz targets' checks (`fuzz/checks.rs`) on their seed corpus and on
//! every input that once failed one (`fuzz/regressions/<target>/`), in the
//! default test run. Fuzzing itself runs outside it: `bench/fuzz`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for folder in ["corpus", "regressions"] {
        let dir = root.join(folder).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let caught = std::panic::catch_unwind(|| check(&data));
            assert!(
                caught.is_ok(),
                "{target}: {} fails its check",
                file.display()
            );
            n += 1;
        }
    }
    checks::remove_scratch();
    assert!(n > 0, "no inputs for {target}");
    println!("{target}: {n} inputs");
}

#[test]
fn jsonl_lines() {
    replay("jsonl_lines", checks::jsonl);
}

#[test]
fn csv_records() {
    replay("csv_records", checks::csv);
}

#[test]
fn project_config() {
    replay("project_config", checks::config);
}

#[test]
fn model_file() {
    replay("model_file", checks::model);
}

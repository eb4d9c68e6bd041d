//! Every row of the `testdata/precis/*.tsv` vector files (except the oracle's
//! list of known differences): profile, input, expected result, output,
//! source. A failure names the file, the line and the row's source.

use std::path::{Path, PathBuf};

use xmpp_precis::{Nickname, Profile, ProfileName};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/precis")
}

fn json_string(field: &str, context: &str) -> String {
    serde_json::from_str(field)
        .unwrap_or_else(|e| panic!("{context}: bad JSON string {field}: {e}"))
}

fn run(profile: &str, input: &str) -> Result<String, String> {
    let result = if profile == "nickname-compare" {
        Nickname.comparison_form(input)
    } else {
        profile
            .parse::<ProfileName>()
            .unwrap_or_else(|_| panic!("unknown profile {profile}"))
            .enforce(input)
    };
    result
        .map(|s| s.into_owned())
        .map_err(|e| e.kind().to_owned())
}

#[test]
fn vector_files() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata/precis exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .filter(|p| !p.ends_with("oracle-differences.tsv"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "vector files missing: {files:?}");
    let mut rows = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable vector file");
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let context = format!("{name}:{}", n + 1);
            let f: Vec<&str> = line.split('\t').collect();
            let [profile, input, expected, output, source] = f.as_slice() else {
                panic!("{context}: expected 5 tab-separated fields");
            };
            let input = json_string(input, &context);
            rows += 1;
            let got = run(profile, &input);
            let want = if *expected == "ok" {
                Ok(json_string(output, &context))
            } else {
                Err((*expected).to_owned())
            };
            if got != want {
                failures.push(format!(
                    "{context} [{profile}] {input:?}: got {got:?}, want {want:?} ({source})"
                ));
            }
        }
    }
    assert!(rows >= 300, "only {rows} vector rows");
    assert!(
        failures.is_empty(),
        "{} of {rows} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

//! `nexafi validate` must work in an air-gapped network: no crate that opens sockets may
//! be linked into the libraries it runs on, so no code path of a scan can phone home. The
//! binary itself links network crates for the commands that name a target (`audit serve`,
//! `security --target`), which are kept out of these libraries.

use std::process::Command;

/// Crates whose presence would mean the binary can open network connections.
const NETWORK_CRATES: &[&str] = &[
    "hyper",
    "reqwest",
    "ureq",
    "curl",
    "isahc",
    "tokio",
    "mio",
    "socket2",
    "h2",
    "rustls",
    "native-tls",
    "openssl",
    "attohttpc",
    "surf",
];

/// Libraries that load, evaluate and report a scan.
const OFFLINE_LIBRARIES: &[&str] = &[
    "nexafi-model",
    "nexafi-iac",
    "nexafi-checks",
    "nexafi-compliance",
    "nexafi-engine",
    "nexafi-report",
];

#[test]
fn scan_libraries_link_no_network_crate() {
    for library in OFFLINE_LIBRARIES {
        assert_no_network_crate(library);
    }
}

fn assert_no_network_crate(package: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .unwrap_or_else(|error| panic!("cannot run cargo tree: {error}"));
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let linked: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| NETWORK_CRATES.contains(name))
        .collect();
    assert!(
        linked.is_empty(),
        "network crates linked into {package}: {linked:?}"
    );
    assert!(
        tree.lines()
            .any(|line| line.starts_with(&format!("{package} "))),
        "unexpected cargo tree output for {package}:\n{tree}"
    );
}

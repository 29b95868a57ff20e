//! `nexafi validate` must work in an air-gapped network: no crate that opens sockets may
//! be linked into the binary, so no code path can phone home.

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

#[test]
fn binary_links_no_network_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            "nexafi",
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
        "network crates linked into nexafi: {linked:?}"
    );
    assert!(
        tree.lines().any(|line| line.starts_with("nexafi-engine ")),
        "unexpected cargo tree output:\n{tree}"
    );
}

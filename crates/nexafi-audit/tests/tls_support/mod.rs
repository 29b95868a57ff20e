//! A test certificate authority made with rcgen, and PostgreSQL servers started in a
//! temporary directory, so a test controls the server certificate, pg_hba.conf and
//! whether TLS is on.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A self-signed CA that issues server certificates.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        TestCa { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Issues a server certificate for `names` (host names or IP addresses) and returns
    /// the certificate and private key as PEM.
    pub fn issue(&self, names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    }
}

/// A PostgreSQL server in a temporary directory, listening on 127.0.0.1. With a
/// certificate, `hostssl` is the only TCP rule in pg_hba.conf; without one, TLS is off.
/// Stopped when dropped.
pub struct TestPostgres {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// Finds initdb, pg_ctl and postgres of the newest installed major version.
fn server_binaries() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .filter(|bin| {
                    ["initdb", "pg_ctl", "postgres"]
                        .iter()
                        .all(|b| bin.join(b).is_file())
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().unwrap_or_else(|| {
        panic!(
            "initdb, pg_ctl and postgres were not found under /usr/lib/postgresql/*/bin; \
             install the PostgreSQL server package to run the TLS tests"
        )
    })
}

/// Reads the uid and gid of the `postgres` user from /etc/passwd.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres"))
                .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
                .flatten()
        })
        .unwrap_or_else(|| panic!("the `postgres` user is missing; initdb must not run as root"))
}

fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(program);
    command
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl TestPostgres {
    /// Creates a cluster, installs the server certificate and key (PEM) when given, and
    /// starts it.
    pub fn start(tls: Option<(&str, &str)>) -> TestPostgres {
        let bin = server_binaries();
        let (uid, gid) = postgres_user();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        let data = dir.path().join("data");

        let output = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
            ])
            .output()
            .expect("runuser is needed to run initdb as the postgres user");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        let port = free_port();
        let mut settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             fsync = off\n",
            dir.path().display()
        );
        let mut rules = "local all all trust\nhost all all 127.0.0.1/32 trust\n";
        match tls {
            Some((cert_pem, key_pem)) => {
                let cert = dir.path().join("server.crt");
                let key = dir.path().join("server.key");
                std::fs::write(&cert, cert_pem).unwrap();
                std::fs::write(&key, key_pem).unwrap();
                for file in [&cert, &key] {
                    std::os::unix::fs::chown(file, Some(uid), Some(gid)).unwrap();
                    std::fs::set_permissions(
                        file,
                        std::os::unix::fs::PermissionsExt::from_mode(0o600),
                    )
                    .unwrap();
                }
                settings.push_str(&format!(
                    "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                    cert.display(),
                    key.display()
                ));
                rules = "local all all trust\nhostssl all all 127.0.0.1/32 trust\n";
            }
            None => settings.push_str("ssl = off\n"),
        }
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&settings);
        std::fs::write(&conf, text).unwrap();
        std::fs::write(data.join("pg_hba.conf"), rules).unwrap();

        let log = dir.path().join("server.log");
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        let output = as_postgres(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the test server did not start: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        TestPostgres {
            bin,
            data,
            port,
            _dir: dir,
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let stopped = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        if let Err(error) = stopped {
            eprintln!("cannot stop the test server: {error}");
        }
    }
}

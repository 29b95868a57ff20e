//! Test TLS servers on 127.0.0.1 and a throwaway PKI for them.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;

/// A leaf certificate with its key, in DER and PEM.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

/// A CA generated for one test, and the directory its files live in.
pub struct Pki {
    dir: TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "NexaFi Probe Test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).unwrap();
        Self { dir, issuer }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn leaf(&self, expired: bool) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "probe-test.localhost");
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        } else {
            params.not_before = date_time_ymd(2025, 1, 1);
            params.not_after = date_time_ymd(2099, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            chain: vec![certificate.der().clone(), self.issuer.der().clone()],
            key_der: key.serialize_der(),
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    pub fn valid_leaf(&self) -> Leaf {
        self.leaf(false)
    }

    pub fn expired_leaf(&self) -> Leaf {
        self.leaf(true)
    }

    /// Writes an RSA leaf for OpenSSL's TLS 1.0 server, whose static-RSA suites need an RSA
    /// key, and returns the certificate and key paths.
    fn rsa_leaf_files(&self) -> (PathBuf, PathBuf) {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.not_before = date_time_ymd(2025, 1, 1);
        params.not_after = date_time_ymd(2099, 1, 1);
        let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap_or_else(|_| {
            // rcgen with ring cannot generate RSA keys; OpenSSL makes one instead.
            let path = self.dir.path().join("rsa.key");
            let status = Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                ])
                .arg(&path)
                .stderr(Stdio::null())
                .status()
                .expect("openssl must be installed (Debian package openssl)");
            assert!(status.success(), "openssl genpkey failed");
            let pem = std::fs::read_to_string(&path).unwrap();
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
        });
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        let cert_path = self.dir.path().join("rsa-leaf.pem");
        let key_path = self.dir.path().join("rsa-leaf.key");
        std::fs::write(&cert_path, certificate.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }
}

/// Returns a port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A rustls HTTPS server that responds to every request with 200 and the given headers.
pub struct TlsServer {
    pub port: u16,
}

impl TlsServer {
    pub fn start(_pki: &Pki, leaf: Leaf, headers: &[(&str, &str)]) -> Self {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut response = String::from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("Connection: close\r\n\r\nok");
        thread::spawn(move || {
            for socket in listener.incoming().flatten() {
                let config = config.clone();
                let response = response.clone();
                thread::spawn(move || serve(socket, config, &response));
            }
        });
        Self { port }
    }
}

fn serve(socket: TcpStream, config: Arc<rustls::ServerConfig>, response: &str) {
    let _ = socket.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(count) => request.extend_from_slice(&chunk[..count]),
        }
    }
    let _ = stream.write_all(response.as_bytes());
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

/// OpenSSL's `s_server`, killed on drop.
pub struct OpensslServer {
    pub port: u16,
    child: Child,
}

impl OpensslServer {
    /// Speaks only TLS 1.0, with every cipher OpenSSL still has, at security level 0.
    pub fn start_tls10(pki: &Pki) -> Self {
        let (cert, key) = pki.rsa_leaf_files();
        let port = free_port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-tls1",
                "-cipher",
                "ALL:@SECLEVEL=0",
            ])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl must be installed (Debian package openssl)");
        let server = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "openssl s_server did not start on port {port}"
            );
            thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

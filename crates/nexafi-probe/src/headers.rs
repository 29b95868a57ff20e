//! The HTTP response headers of a TLS endpoint, read with one `GET` request.

use std::io::{self, Read, Write};

/// Largest response head the probe reads; real servers send a few KiB.
const MAX_HEAD: usize = 64 * 1024;

/// Response status and headers, names lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl HttpHead {
    /// Value of the first header named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `GET path` and parses the status line and headers of the response.
pub fn fetch<S: Read + Write>(stream: &mut S, host: &str, path: &str) -> io::Result<HttpHead> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: nexafi-security-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    stream.flush()?;

    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let count = match stream.read(&mut chunk) {
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            // Servers that close without close_notify still sent a usable head.
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(error) => return Err(error),
        };
        buffer.extend_from_slice(&chunk[..count]);
        if let Some(head) = parse(&buffer)? {
            return Ok(head);
        }
        if count == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the HTTP response headers ended",
            ));
        }
        if buffer.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "HTTP response headers exceed 64 KiB",
            ));
        }
    }
}

fn parse(buffer: &[u8]) -> io::Result<Option<HttpHead>> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buffer) {
        Ok(httparse::Status::Complete(_)) => Ok(Some(HttpHead {
            status: response.code.unwrap_or(0),
            headers: response
                .headers
                .iter()
                .map(|header| {
                    (
                        header.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(header.value).trim().to_owned(),
                    )
                })
                .collect(),
        })),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(error) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("invalid HTTP response: {error}"),
        )),
    }
}

/// Returns the `max-age` of a Strict-Transport-Security value, in seconds.
pub fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|directive| {
        let (name, number) = directive.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("max-age") {
            number.trim().trim_matches('"').parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_parsed() {
        let text = b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=63072000\r\nX-Content-Type-Options: nosniff\r\n\r\nbody";
        let head = parse(text).ok().flatten().unwrap_or_default();
        assert_eq!(head.status, 200);
        assert_eq!(
            head.get("strict-transport-security"),
            Some("max-age=63072000")
        );
        assert_eq!(head.get("X-CONTENT-TYPE-OPTIONS"), Some("nosniff"));
        assert_eq!(head.get("server"), None);
    }

    #[test]
    fn partial_head_needs_more() {
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nServer: x").ok(), Some(None));
    }

    #[test]
    fn non_http_is_error() {
        assert!(parse(b"\x16\x03\x01garbage\r\n\r\n").is_err());
    }

    #[test]
    fn max_age_directive() {
        assert_eq!(
            hsts_max_age("max-age=31536000; includeSubDomains"),
            Some(31_536_000)
        );
        assert_eq!(
            hsts_max_age("includeSubDomains; max-age=\"600\""),
            Some(600)
        );
        assert_eq!(hsts_max_age("includeSubDomains"), None);
        assert_eq!(hsts_max_age("max-age=soon"), None);
    }
}

//! Hand-built ClientHello messages and a reader for the server's first response.
//!
//! TLS libraries refuse to speak SSL 3.0, TLS 1.0 or TLS 1.1, which is exactly what a probe
//! must ask for. A server reveals what it accepts in its first flight, so the probe sends
//! one ClientHello per question and reads only the ServerHello or the alert: no handshake
//! is completed and no key is ever derived.

use std::io::{self, Read, Write};

use rustls::pki_types::CertificateDer;

/// A protocol version as it appears on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    pub const ALL: [Version; 5] = [
        Version::Ssl3,
        Version::Tls10,
        Version::Tls11,
        Version::Tls12,
        Version::Tls13,
    ];

    pub fn wire(self) -> u16 {
        match self {
            Version::Ssl3 => 0x0300,
            Version::Tls10 => 0x0301,
            Version::Tls11 => 0x0302,
            Version::Tls12 => 0x0303,
            Version::Tls13 => 0x0304,
        }
    }

    pub fn from_wire(value: u16) -> Option<Self> {
        Version::ALL
            .into_iter()
            .find(|version| version.wire() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Version::Ssl3 => "SSL 3.0",
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }

    /// True for versions that PCI DSS and NIST SP 800-52 Rev. 2 no longer accept.
    pub fn is_outdated(self) -> bool {
        self < Version::Tls12
    }
}

/// The server's response to one ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The server chose this version and suite.
    Accepted { version: Version, suite: u16 },
    /// The server sent an alert (its description code) or closed the connection.
    Rejected { alert: Option<u8> },
}

const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_ALERT: u8 = 21;
const HANDSHAKE_SERVER_HELLO: u8 = 2;
/// ServerHello.random of a TLS 1.3 HelloRetryRequest (RFC 8446 section 4.1.3).
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];
/// Largest first flight the reader accepts before it gives up: a ServerHello is far
/// smaller, but the certificate may share its record.
const MAX_RECORD: usize = 1 << 16;

/// Builds a ClientHello that offers exactly `version` and `suites`.
///
/// `random` fills the client random, the legacy session id and the X25519 key share; the
/// bytes need no secrecy because the handshake is never completed.
pub fn client_hello(
    version: Version,
    suites: &[u16],
    server_name: Option<&str>,
    random: [u8; 32],
) -> Vec<u8> {
    let mut body = Vec::with_capacity(512);
    let legacy_version = version.min(Version::Tls12).wire();
    body.extend_from_slice(&legacy_version.to_be_bytes());
    body.extend_from_slice(&random);
    if version == Version::Tls13 {
        // A 32-byte legacy session id keeps middleboxes in compatibility mode.
        body.push(32);
        body.extend_from_slice(&random);
    } else {
        body.push(0);
    }
    let mut offered: Vec<u16> = suites.to_vec();
    if version < Version::Tls13 {
        // Signals secure renegotiation support, as clients of these versions do.
        offered.push(0x00FF);
    }
    put_u16(&mut body, (offered.len() * 2) as u16);
    for suite in &offered {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    // One compression method: null.
    body.extend_from_slice(&[1, 0]);

    if version > Version::Ssl3 {
        let extensions = extensions(version, server_name, random);
        put_u16(&mut body, extensions.len() as u16);
        body.extend_from_slice(&extensions);
    }

    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(1);
    put_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    let record_version = version.min(Version::Tls10).wire();
    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(CONTENT_HANDSHAKE);
    record.extend_from_slice(&record_version.to_be_bytes());
    put_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn extensions(version: Version, server_name: Option<&str>, random: [u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if let Some(name) = server_name {
        let name = name.as_bytes();
        let mut data = Vec::with_capacity(name.len() + 5);
        put_u16(&mut data, (name.len() + 3) as u16);
        data.push(0);
        put_u16(&mut data, name.len() as u16);
        data.extend_from_slice(name);
        extension(&mut out, 0x0000, &data);
    }
    // Groups: x25519, secp256r1, secp384r1, secp521r1, ffdhe2048.
    let groups: [u16; 5] = [0x001D, 0x0017, 0x0018, 0x0019, 0x0100];
    extension(&mut out, 0x000A, &u16_list(&groups));
    // EC point formats: uncompressed.
    extension(&mut out, 0x000B, &[1, 0]);
    if version >= Version::Tls12 {
        let schemes: [u16; 12] = [
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0401, 0x0501, 0x0601, 0x0203,
            0x0201,
        ];
        extension(&mut out, 0x000D, &u16_list(&schemes));
    }
    // Extended master secret and renegotiation info, both empty.
    extension(&mut out, 0x0017, &[]);
    if version == Version::Tls13 {
        extension(&mut out, 0x002B, &[2, 0x03, 0x04]);
        // PSK key exchange mode: psk_dhe_ke.
        extension(&mut out, 0x002D, &[1, 1]);
        let mut share = Vec::with_capacity(38);
        put_u16(&mut share, 36);
        put_u16(&mut share, 0x001D);
        put_u16(&mut share, 32);
        share.extend_from_slice(&random);
        extension(&mut out, 0x0033, &share);
    }
    out
}

fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    put_u16(out, kind);
    put_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2 + 2);
    put_u16(&mut out, (values.len() * 2) as u16);
    for value in values {
        out.extend_from_slice(&value.to_be_bytes());
    }
    out
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, value: usize) {
    let bytes = (value as u32).to_be_bytes();
    out.extend_from_slice(&bytes[1..]);
}

/// Sends `hello` and reads the server's first handshake message or alert.
pub fn exchange<S: Read + Write>(stream: &mut S, hello: &[u8]) -> io::Result<Answer> {
    Ok(read_flight(stream, hello, false)?.0)
}

/// Sends `hello` and, when the server accepts a version below TLS 1.3, goes on reading
/// the plaintext handshake until its Certificate message. Returns the chain, leaf first.
pub fn exchange_for_chain<S: Read + Write>(
    stream: &mut S,
    hello: &[u8],
) -> io::Result<(Answer, Option<Vec<CertificateDer<'static>>>)> {
    read_flight(stream, hello, true)
}

fn read_flight<S: Read + Write>(
    stream: &mut S,
    hello: &[u8],
    want_chain: bool,
) -> io::Result<(Answer, Option<Vec<CertificateDer<'static>>>)> {
    stream.write_all(hello)?;
    stream.flush()?;

    let mut handshake = Vec::new();
    let mut accepted: Option<(Answer, usize)> = None;
    loop {
        let mut header = [0u8; 5];
        if !read_full(stream, &mut header)? {
            return Ok(ended(accepted));
        }
        if header[0] != CONTENT_ALERT && header[0] != CONTENT_HANDSHAKE {
            return Err(invalid(format!(
                "expected a TLS handshake or alert record, got content type {}",
                header[0]
            )));
        }
        let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if length == 0 || length > MAX_RECORD {
            return Err(invalid(format!("TLS record of {length} bytes")));
        }
        let mut payload = vec![0u8; length];
        if !read_full(stream, &mut payload)? {
            return Ok(ended(accepted));
        }
        if header[0] == CONTENT_ALERT {
            return Ok(match accepted {
                Some((answer, _)) => (answer, None),
                None => (
                    Answer::Rejected {
                        alert: payload.get(1).copied(),
                    },
                    None,
                ),
            });
        }

        handshake.extend_from_slice(&payload);
        if handshake.len() > 4 * MAX_RECORD {
            return Err(invalid("server handshake larger than 256 KiB".to_owned()));
        }
        if accepted.is_none() {
            accepted = parse_server_hello(&handshake)?;
        }
        match accepted {
            None => {}
            Some((answer, _)) if !want_chain => return Ok((answer, None)),
            Some((
                answer @ Answer::Accepted {
                    version: Version::Tls13,
                    ..
                },
                _,
            )) => {
                // TLS 1.3 encrypts the certificate: the caller needs a real handshake.
                return Ok((answer, None));
            }
            Some((answer, hello_end)) => {
                if let Some(chain) = crate::certificate::legacy_chain(&handshake[hello_end..]) {
                    return Ok((answer, Some(chain)));
                }
            }
        }
    }
}

fn ended(accepted: Option<(Answer, usize)>) -> (Answer, Option<Vec<CertificateDer<'static>>>) {
    match accepted {
        Some((answer, _)) => (answer, None),
        None => (Answer::Rejected { alert: None }, None),
    }
}

/// Reads exactly `buffer.len()` bytes; returns false on a clean end of stream before the
/// first byte or a connection reset, which servers use to refuse a hello.
fn read_full<S: Read>(stream: &mut S, buffer: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match stream.read(&mut buffer[filled..]) {
            Ok(0) => return Ok(false),
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) =>
            {
                return Ok(false);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// Parses the ServerHello at the start of `data`; returns None while more bytes are
/// needed, else the response and the offset where the next handshake message starts.
fn parse_server_hello(data: &[u8]) -> io::Result<Option<(Answer, usize)>> {
    if data.len() < 4 {
        return Ok(None);
    }
    if data[0] != HANDSHAKE_SERVER_HELLO {
        return Err(invalid(format!(
            "expected a ServerHello, got handshake message type {}",
            data[0]
        )));
    }
    let length = (usize::from(data[1]) << 16) | (usize::from(data[2]) << 8) | usize::from(data[3]);
    let Some(body) = data.get(4..4 + length) else {
        return Ok(None);
    };
    let mut reader = Cursor { data: body, at: 0 };
    let legacy_version = reader.u16()?;
    let random = reader.take(32)?;
    let session_length = usize::from(reader.u8()?);
    reader.take(session_length)?;
    let suite = reader.u16()?;
    reader.u8()?;

    let mut version = Version::from_wire(legacy_version)
        .ok_or_else(|| invalid(format!("unknown server version 0x{legacy_version:04X}")))?;
    if reader.remaining() >= 2 {
        let total = usize::from(reader.u16()?);
        let mut extensions = Cursor {
            data: reader.take(total)?,
            at: 0,
        };
        while extensions.remaining() >= 4 {
            let kind = extensions.u16()?;
            let size = usize::from(extensions.u16()?);
            let value = extensions.take(size)?;
            if kind == 0x002B && value.len() == 2 {
                let selected = u16::from_be_bytes([value[0], value[1]]);
                version = Version::from_wire(selected)
                    .ok_or_else(|| invalid(format!("unknown selected version 0x{selected:04X}")))?;
            }
        }
    }
    if random == HELLO_RETRY_RANDOM && version != Version::Tls13 {
        return Err(invalid("HelloRetryRequest without TLS 1.3".to_owned()));
    }
    Ok(Some((Answer::Accepted { version, suite }, 4 + length)))
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> io::Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| invalid("truncated ServerHello".to_owned()))?;
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> io::Result<u16> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.at
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake connection: reads come from `input`, writes are kept.
    struct Wire {
        input: io::Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl Read for Wire {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.input.read(buffer)
        }
    }

    impl Write for Wire {
        fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buffer);
            Ok(buffer.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn server_hello(version: u16, suite: u16, selected: Option<u16>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&version.to_be_bytes());
        body.extend_from_slice(&[7u8; 32]);
        body.push(0);
        body.extend_from_slice(&suite.to_be_bytes());
        body.push(0);
        if let Some(selected) = selected {
            body.extend_from_slice(&[0, 6, 0x00, 0x2B, 0, 2]);
            body.extend_from_slice(&selected.to_be_bytes());
        }
        let mut handshake = vec![HANDSHAKE_SERVER_HELLO];
        put_u24(&mut handshake, body.len());
        handshake.extend_from_slice(&body);
        let mut record = vec![CONTENT_HANDSHAKE, 3, 3];
        put_u16(&mut record, handshake.len() as u16);
        record.extend_from_slice(&handshake);
        record
    }

    fn answer(input: Vec<u8>) -> io::Result<Answer> {
        let mut wire = Wire {
            input: io::Cursor::new(input),
            sent: Vec::new(),
        };
        exchange(&mut wire, &[1, 2, 3])
    }

    #[test]
    fn hello_lengths_are_consistent() {
        for version in Version::ALL {
            let hello = client_hello(version, &[0xC02F, 0x1301], Some("example.test"), [9; 32]);
            let record_length = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
            assert_eq!(record_length, hello.len() - 5, "{version:?}");
            let handshake_length = (usize::from(hello[6]) << 16)
                | (usize::from(hello[7]) << 8)
                | usize::from(hello[8]);
            assert_eq!(handshake_length, hello.len() - 9, "{version:?}");
        }
    }

    #[test]
    fn hello_offers_requested_version() {
        let hello = client_hello(Version::Tls11, &[0x002F], None, [0; 32]);
        assert_eq!(&hello[9..11], &[0x03, 0x02]);
        let modern = client_hello(Version::Tls13, &[0x1301], None, [0; 32]);
        assert_eq!(&modern[9..11], &[0x03, 0x03], "TLS 1.3 sends legacy 1.2");
        assert!(
            modern
                .windows(5)
                .any(|w| w == [0x00, 0x2B, 0x00, 0x03, 0x02])
        );
    }

    #[test]
    fn server_hello_gives_version_and_suite() {
        let result = answer(server_hello(0x0301, 0x002F, None));
        assert_eq!(
            result.ok(),
            Some(Answer::Accepted {
                version: Version::Tls10,
                suite: 0x002F
            })
        );
    }

    #[test]
    fn supported_versions_extension_wins() {
        let result = answer(server_hello(0x0303, 0x1301, Some(0x0304)));
        assert_eq!(
            result.ok(),
            Some(Answer::Accepted {
                version: Version::Tls13,
                suite: 0x1301
            })
        );
    }

    #[test]
    fn alert_is_rejection() {
        let result = answer(vec![CONTENT_ALERT, 3, 1, 0, 2, 2, 70]);
        assert_eq!(result.ok(), Some(Answer::Rejected { alert: Some(70) }));
    }

    #[test]
    fn closed_connection_is_rejection() {
        assert_eq!(
            answer(Vec::new()).ok(),
            Some(Answer::Rejected { alert: None })
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let error = answer(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec());
        assert!(error.is_err());
        let truncated = {
            let mut hello = server_hello(0x0303, 0xC02F, None);
            hello.truncate(20);
            answer(hello)
        };
        assert_eq!(truncated.ok(), Some(Answer::Rejected { alert: None }));
    }
}

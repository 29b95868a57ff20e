//! Hashes of strings and identifiers derived from them.
//!
//! Functions whose result is random on every run (`uuid`, `bcrypt`) return an unknown
//! value, because no offline evaluation can predict it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::args::{Call, Failure, Outcome};

pub(super) fn md5(call: &Call) -> Outcome {
    call.string_node(hex(&Md5::digest(call.string(0)?.as_bytes())))
}

pub(super) fn sha1(call: &Call) -> Outcome {
    call.string_node(hex(&Sha1::digest(call.string(0)?.as_bytes())))
}

pub(super) fn sha256(call: &Call) -> Outcome {
    call.string_node(hex(&Sha256::digest(call.string(0)?.as_bytes())))
}

pub(super) fn sha512(call: &Call) -> Outcome {
    call.string_node(hex(&Sha512::digest(call.string(0)?.as_bytes())))
}

pub(super) fn base64sha256(call: &Call) -> Outcome {
    call.string_node(STANDARD.encode(Sha256::digest(call.string(0)?.as_bytes())))
}

pub(super) fn base64sha512(call: &Call) -> Outcome {
    call.string_node(STANDARD.encode(Sha512::digest(call.string(0)?.as_bytes())))
}

/// Lowercase hexadecimal digits of a digest.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(super) fn uuid(_call: &Call) -> Outcome {
    Err(Failure::Unknown(
        "a new random UUID is generated on every Terraform run".to_owned(),
    ))
}

pub(super) fn bcrypt(call: &Call) -> Outcome {
    // Check the arguments anyway, so a wrong call is still reported.
    call.string(0)?;
    if call.args.len() > 1 {
        call.integer(1)?;
    }
    Err(Failure::Unknown(
        "bcrypt uses a new random salt on every Terraform run".to_owned(),
    ))
}

/// Builds a name-based UUID (version 5, SHA-1) as RFC 4122 defines it. The namespace
/// is `dns`, `url`, `oid`, `x500` or a UUID.
pub(super) fn uuidv5(call: &Call) -> Outcome {
    let namespace = call.string(0)?;
    let name = call.string(1)?;
    let namespace_text = match namespace.as_ref() {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let Some(namespace_bytes) = parse_uuid(namespace_text) else {
        return Err(call.invalid(
            0,
            format!(
                "uuidv5() doesn't support namespace {namespace:?}: use dns, url, oid, x500 or a UUID"
            ),
        ));
    };

    let mut hasher = Sha1::new();
    hasher.update(namespace_bytes);
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;

    let text = hex(&bytes);
    let part = |range: std::ops::Range<usize>| text.get(range).unwrap_or_default();
    call.string_node(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` into 16 bytes.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    if lengths != [8, 4, 4, 4, 12] {
        return None;
    }
    let digits: String = groups.concat();
    let mut bytes = [0_u8; 16];
    for (index, byte) in bytes.iter_mut().enumerate() {
        let pair = digits.get(index * 2..index * 2 + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

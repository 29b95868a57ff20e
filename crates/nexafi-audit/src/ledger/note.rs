//! C2SP signed notes with Ed25519 signatures, and tlog-checkpoint note texts.
//!
//! A note is a text ending in a newline, a blank line, and one or more signature lines
//! `— <key name> base64(key id || signature)`. The key id is the first four bytes of
//! SHA-256(key name || 0x0A || 0x01 || public key) for Ed25519 (signature type 0x01).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use super::hash::Hash;

/// Signature type byte of Ed25519 note signatures.
pub const ED25519_TYPE: u8 = 0x01;
/// Maximum signature lines in a note; the spec requires accepting at least 16.
pub const MAX_SIGNATURES: usize = 64;
/// Largest note this parser accepts, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Reason a note, key or checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note is larger than {MAX_NOTE_BYTES} bytes")]
    TooLarge,
    #[error("note contains a control character other than newline at byte {0}")]
    ControlCharacter(usize),
    #[error("note has no blank line between the text and the signatures")]
    MissingSeparator,
    #[error("note text must end with a newline")]
    TextWithoutNewline,
    #[error("note has no signature lines")]
    NoSignatures,
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("invalid signature line {line}: {reason}")]
    BadSignatureLine { line: usize, reason: &'static str },
    #[error("invalid key name `{0}`: it must be non-empty and contain no spaces or +")]
    BadKeyName(String),
    #[error("invalid verifier key: {0}")]
    BadVerifierKey(&'static str),
    #[error("invalid signing key: {0}")]
    BadSigningKey(&'static str),
    #[error("signature by {name} (key id {key_id:08x}) does not verify")]
    BadSignature { name: String, key_id: u32 },
    #[error("note carries no signature from a trusted key")]
    NoTrustedSignature,
    #[error("invalid checkpoint: {0}")]
    BadCheckpoint(String),
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    pub signature: Vec<u8>,
}

/// A parsed signed note; the signatures are not verified yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note without checking any signature.
    pub fn parse(input: &str) -> Result<Note, NoteError> {
        if input.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge);
        }
        if let Some(position) = input
            .char_indices()
            .find(|(_, c)| (*c < ' ' && *c != '\n') || *c == '\u{7f}')
            .map(|(i, _)| i)
        {
            return Err(NoteError::ControlCharacter(position));
        }
        // The text ends at the last blank line, so "\n\n" marks the split.
        let split = input.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let text = &input[..=split];
        let signature_block = &input[split + 2..];
        if text.is_empty() || !text.ends_with('\n') {
            return Err(NoteError::TextWithoutNewline);
        }
        if signature_block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        if !signature_block.ends_with('\n') {
            return Err(NoteError::BadSignatureLine {
                line: signature_block.lines().count(),
                reason: "the last signature line must end with a newline",
            });
        }
        let mut signatures = Vec::new();
        for (number, line) in signature_block[..signature_block.len() - 1]
            .split('\n')
            .enumerate()
        {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(parse_signature_line(number + 1, line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Formats the note: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            let mut blob = signature.key_id.to_be_bytes().to_vec();
            blob.extend_from_slice(&signature.signature);
            out.push_str(&format!(
                "{SIGNATURE_PREFIX}{} {}\n",
                signature.name,
                BASE64.encode(blob)
            ));
        }
        out
    }

    /// Verifies the note against trusted keys and returns its text.
    ///
    /// Signatures from unknown keys are ignored, a known key's failing signature rejects
    /// the note, and at least one known key must have signed.
    pub fn verify(&self, verifiers: &[NoteVerifier]) -> Result<&str, NoteError> {
        let mut verified = false;
        for signature in &self.signatures {
            let Some(verifier) = verifiers
                .iter()
                .find(|v| v.name == signature.name && v.key_id == signature.key_id)
            else {
                continue;
            };
            let Ok(bytes) = <[u8; 64]>::try_from(signature.signature.as_slice()) else {
                return Err(NoteError::BadSignature {
                    name: signature.name.clone(),
                    key_id: signature.key_id,
                });
            };
            verifier
                .key
                .verify(self.text.as_bytes(), &Signature::from_bytes(&bytes))
                .map_err(|_| NoteError::BadSignature {
                    name: signature.name.clone(),
                    key_id: signature.key_id,
                })?;
            verified = true;
        }
        if verified {
            Ok(&self.text)
        } else {
            Err(NoteError::NoTrustedSignature)
        }
    }
}

fn parse_signature_line(line: usize, text: &str) -> Result<NoteSignature, NoteError> {
    let bad = |reason| NoteError::BadSignatureLine { line, reason };
    let rest = text
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or_else(|| bad("must start with an em dash and a space"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or_else(|| bad("must be `— <key name> <base64 signature>`"))?;
    check_key_name(name).map_err(|_| bad("key name is empty or contains + or a space"))?;
    let blob = BASE64
        .decode(encoded)
        .map_err(|_| bad("signature is not valid base64"))?;
    if blob.len() < 5 {
        return Err(bad("signature is shorter than a key id and one byte"));
    }
    let key_id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id,
        signature: blob[4..].to_vec(),
    })
}

fn check_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::BadKeyName(name.to_owned()));
    }
    Ok(())
}

/// Computes the key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4].
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519_TYPE]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A trusted public key, written as `<name>+<hex key id>+<base64(0x01 || key)>`.
#[derive(Clone, Debug)]
pub struct NoteVerifier {
    pub name: String,
    pub key_id: u32,
    pub key: VerifyingKey,
}

impl NoteVerifier {
    pub fn parse(text: &str) -> Result<NoteVerifier, NoteError> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadVerifierKey(
                "expected <name>+<hex key id>+<base64 key>",
            ));
        };
        check_key_name(name)?;
        if id_hex.len() != 8 {
            return Err(NoteError::BadVerifierKey("key id must be 8 hex digits"));
        }
        let key_id = u32::from_str_radix(id_hex, 16)
            .map_err(|_| NoteError::BadVerifierKey("key id must be 8 hex digits"))?;
        let blob = BASE64
            .decode(key_b64)
            .map_err(|_| NoteError::BadVerifierKey("key is not valid base64"))?;
        if blob.len() != 33 || blob[0] != ED25519_TYPE {
            return Err(NoteError::BadVerifierKey(
                "key must be the Ed25519 type byte 0x01 and 32 key bytes",
            ));
        }
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&blob[1..]);
        if key_id != self::key_id(name, &bytes) {
            return Err(NoteError::BadVerifierKey(
                "key id does not match the name and key",
            ));
        }
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| NoteError::BadVerifierKey("not a valid Ed25519 public key"))?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    pub fn to_text(&self) -> String {
        let mut blob = vec![ED25519_TYPE];
        blob.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(blob))
    }
}

/// A log's signing key; its text form is `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01
/// || seed)>`.
pub struct NoteSigner {
    pub name: String,
    pub key_id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// Generates a new key from the operating system's random source.
    pub fn generate(name: &str) -> Result<NoteSigner, NoteError> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|_| NoteError::BadSigningKey("the system random source failed"))?;
        Ok(Self::from_seed(name, seed))
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> NoteSigner {
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        NoteSigner {
            name: name.to_owned(),
            key_id,
            key,
        }
    }

    pub fn parse(text: &str) -> Result<NoteSigner, NoteError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::BadSigningKey("must start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(seed_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadSigningKey(
                "expected PRIVATE+KEY+<name>+<hex key id>+<base64 seed>",
            ));
        };
        check_key_name(name)?;
        let blob = BASE64
            .decode(seed_b64)
            .map_err(|_| NoteError::BadSigningKey("seed is not valid base64"))?;
        if blob.len() != 33 || blob[0] != ED25519_TYPE {
            return Err(NoteError::BadSigningKey(
                "seed must be the Ed25519 type byte 0x01 and 32 bytes",
            ));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&blob[1..]);
        let signer = Self::from_seed(name, seed);
        if format!("{:08x}", signer.key_id) != id_hex {
            return Err(NoteError::BadSigningKey(
                "key id does not match the name and key",
            ));
        }
        Ok(signer)
    }

    pub fn to_text(&self) -> String {
        let mut blob = vec![ED25519_TYPE];
        blob.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(blob)
        )
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a note text (which must end in a newline) and returns the signed note.
    pub fn sign(&self, text: &str) -> Note {
        let signature = self.key.sign(text.as_bytes());
        Note {
            text: text.to_owned(),
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_id: self.key_id,
                signature: signature.to_bytes().to_vec(),
            }],
        }
    }
}

/// The body of a C2SP tlog-checkpoint: origin, tree size and root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// Formats the note text: `<origin>\n<size>\n<base64 root>\n`.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// Parses a checkpoint note text. Extension lines are rejected because this log
    /// never writes them.
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |reason: &str| NoteError::BadCheckpoint(reason.to_owned());
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad("expected origin, tree size and root hash lines"));
        }
        if lines.len() > 3 {
            return Err(bad("extension lines are not supported"));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(bad("origin line is empty"));
        }
        let size_text = lines[1];
        let valid_size = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let size: u64 = valid_size
            .then(|| size_text.parse().ok())
            .flatten()
            .ok_or_else(|| bad("tree size must be a decimal without leading zeros"))?;
        let root_bytes = BASE64
            .decode(lines[2])
            .map_err(|_| bad("root hash is not valid base64"))?;
        let root: Hash = root_bytes
            .try_into()
            .map_err(|_| bad("root hash must be 32 bytes"))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// Parses and verifies a signed checkpoint note; the log's key name must equal the
    /// origin.
    pub fn open(note_text: &str, log_key: &NoteVerifier) -> Result<Checkpoint, NoteError> {
        let note = Note::parse(note_text)?;
        let text = note.verify(std::slice::from_ref(log_key))?;
        let checkpoint = Checkpoint::parse(text)?;
        if checkpoint.origin != log_key.name {
            return Err(NoteError::BadCheckpoint(format!(
                "origin `{}` does not match the log key name `{}`",
                checkpoint.origin, log_key.name
            )));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("audit.nexafi.test/log", [7u8; 32])
    }

    #[test]
    fn sign_and_verify_checkpoint() {
        let signer = signer();
        let checkpoint = Checkpoint {
            origin: signer.name.clone(),
            size: 20_852_163,
            root: [9u8; 32],
        };
        let text = signer.sign(&checkpoint.to_text()).to_text();
        assert!(text.contains("\n\n\u{2014} audit.nexafi.test/log "));
        let opened = Checkpoint::open(&text, &signer.verifier()).unwrap();
        assert_eq!(opened, checkpoint);
    }

    #[test]
    fn keys_round_trip_as_text() {
        let signer = signer();
        let again = NoteSigner::parse(&signer.to_text()).unwrap();
        assert_eq!(again.key_id, signer.key_id);
        let verifier = NoteVerifier::parse(&signer.verifier().to_text()).unwrap();
        assert_eq!(verifier.key, signer.verifier().key);
    }

    #[test]
    fn tampered_text_is_rejected() {
        let signer = signer();
        let note = signer.sign("origin\n5\nAAAA\n").to_text();
        let tampered = note.replacen("\n5\n", "\n6\n", 1);
        let parsed = Note::parse(&tampered).unwrap();
        assert!(matches!(
            parsed.verify(&[signer.verifier()]),
            Err(NoteError::BadSignature { .. })
        ));
    }

    #[test]
    fn unknown_signatures_are_ignored() {
        let signer = signer();
        let other = NoteSigner::from_seed("someone.else/witness", [8u8; 32]);
        let mut note = signer.sign("hello\n");
        note.signatures.extend(other.sign("hello\n").signatures);
        let reparsed = Note::parse(&note.to_text()).unwrap();
        assert_eq!(reparsed.verify(&[signer.verifier()]), Ok("hello\n"));
        assert_eq!(reparsed.verify(&[]), Err(NoteError::NoTrustedSignature));
    }

    #[test]
    fn malformed_notes_are_rejected() {
        for input in [
            "no separator\n\u{2014} a AAAAAAA=\n",
            "text\n\n",
            "text\n\n\u{2014} name AAAAAAA=",
            "text\n\n- name AAAAAAA=\n",
            "text\n\n\u{2014} na+me AAAAAAA=\n",
            "text\n\n\u{2014} name !!!\n",
            "tab\there\n\n\u{2014} name AAAAAAA=\n",
        ] {
            assert!(Note::parse(input).is_err(), "{input:?} should be rejected");
        }
    }

    #[test]
    fn checkpoint_text_rules() {
        assert!(
            Checkpoint::parse("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").is_err()
        );
        assert!(Checkpoint::parse("o\n1\nAAAA\n").is_err());
        assert!(Checkpoint::parse("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").is_err());
        let parsed =
            Checkpoint::parse("o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        assert_eq!(parsed.size, 0);
    }
}

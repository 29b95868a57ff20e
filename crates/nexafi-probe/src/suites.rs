//! TLS cipher suites the probe offers, with their IANA names and how strong they are.

/// Strength class of a cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Authenticated encryption with forward secrecy, or any TLS 1.3 suite.
    Strong,
    /// No forward secrecy (static RSA key exchange), or CBC mode with forward secrecy.
    Weak,
    /// Broken or unauthenticated: NULL, EXPORT, anonymous, RC4, DES, 3DES or MD5.
    Insecure,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Weak => "weak",
            Strength::Insecure => "insecure",
        }
    }
}

/// One cipher suite: its code point and IANA name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub name: &'static str,
}

impl Suite {
    /// Judges the suite from its name, which encodes key exchange, cipher and MAC.
    pub fn strength(&self) -> Strength {
        let name = self.name;
        let broken = ["_NULL_", "EXPORT", "_anon_", "RC4", "_DES_", "3DES", "_MD5"];
        if broken.iter().any(|part| name.contains(part)) || name.ends_with("_NULL_SHA") {
            return Strength::Insecure;
        }
        if TLS13.iter().any(|suite| suite.id == self.id) {
            return Strength::Strong;
        }
        let forward_secret = name.starts_with("TLS_ECDHE_") || name.starts_with("TLS_DHE_");
        let aead = name.contains("_GCM_") || name.contains("CHACHA20") || name.contains("_CCM");
        if forward_secret && aead {
            Strength::Strong
        } else {
            Strength::Weak
        }
    }

    /// True when the key exchange is static RSA, so recorded traffic can be decrypted
    /// later with the server's private key.
    pub fn lacks_forward_secrecy(&self) -> bool {
        self.name.starts_with("TLS_RSA_")
    }
}

/// Looks up a suite by its code point.
pub fn by_id(id: u16) -> Option<Suite> {
    TLS13
        .iter()
        .chain(LEGACY)
        .copied()
        .find(|suite| suite.id == id)
}

/// Names a suite, falling back to its hexadecimal code point.
pub fn name_of(id: u16) -> String {
    by_id(id).map_or_else(|| format!("0x{id:04X}"), |suite| suite.name.to_owned())
}

const fn suite(id: u16, name: &'static str) -> Suite {
    Suite { id, name }
}

/// The TLS 1.3 suites (RFC 8446 appendix B.4).
pub const TLS13: &[Suite] = &[
    suite(0x1301, "TLS_AES_128_GCM_SHA256"),
    suite(0x1302, "TLS_AES_256_GCM_SHA384"),
    suite(0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    suite(0x1304, "TLS_AES_128_CCM_SHA256"),
    suite(0x1305, "TLS_AES_128_CCM_8_SHA256"),
];

/// Suites for SSL 3.0 to TLS 1.2, from the IANA TLS Cipher Suites registry. The list
/// covers what servers deploy in practice plus the broken families a probe must detect;
/// PSK, SRP and Kerberos suites are left out because web servers do not negotiate them
/// without a pre-shared key.
pub const LEGACY: &[Suite] = &[
    suite(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    suite(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    suite(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    suite(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    suite(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    suite(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    suite(0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    suite(0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    suite(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    suite(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    suite(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    suite(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    suite(0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    suite(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    suite(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    suite(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    suite(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    suite(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    suite(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    suite(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    suite(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    suite(0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
    suite(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    suite(0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    suite(0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    suite(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    suite(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    suite(0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    suite(0x0002, "TLS_RSA_WITH_NULL_SHA"),
    suite(0x0001, "TLS_RSA_WITH_NULL_MD5"),
    suite(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    suite(0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    suite(0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    suite(0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    suite(0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn strength(id: u16) -> Strength {
        by_id(id)
            .map(|suite| suite.strength())
            .unwrap_or(Strength::Insecure)
    }

    #[test]
    fn aead_with_forward_secrecy_is_strong() {
        assert_eq!(strength(0xC02F), Strength::Strong);
        assert_eq!(strength(0xCCA9), Strength::Strong);
        assert_eq!(strength(0x1301), Strength::Strong);
    }

    #[test]
    fn static_rsa_and_cbc_are_weak() {
        assert_eq!(strength(0x009C), Strength::Weak);
        assert_eq!(strength(0xC013), Strength::Weak);
        assert!(by_id(0x002F).is_some_and(|suite| suite.lacks_forward_secrecy()));
        assert!(by_id(0xC02F).is_some_and(|suite| !suite.lacks_forward_secrecy()));
    }

    #[test]
    fn broken_families_are_insecure() {
        for id in [
            0x0005, 0x000A, 0x0001, 0x003B, 0x0034, 0x0003, 0xC006, 0x0015,
        ] {
            assert_eq!(strength(id), Strength::Insecure, "{}", name_of(id));
        }
    }

    #[test]
    fn code_points_are_unique() {
        let mut ids: Vec<u16> = TLS13.iter().chain(LEGACY).map(|suite| suite.id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }

    #[test]
    fn unknown_code_point_is_named_in_hex() {
        assert_eq!(name_of(0xABCD), "0xABCD");
    }
}

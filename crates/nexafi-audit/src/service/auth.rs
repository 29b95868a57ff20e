//! Bearer tokens with scopes and an optional tenant list. Only the SHA-256 of a token is
//! stored, and tokens are never logged.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use crate::ledger::hash::Hash;
use crate::store::{AuditStore, StoredToken};

/// Permission a token grants. `admin` includes every other scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Append events.
    Append,
    /// Read events, query them and get inclusion proofs.
    Read,
    /// Read checkpoints, tiles, entry bundles and consistency proofs (full audits).
    Audit,
    /// Manage erasure, legal holds and purges.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Append, Scope::Read, Scope::Audit, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Append => "append",
            Scope::Read => "read",
            Scope::Audit => "audit",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

/// Prefix of every token, so secret scanners can recognise them.
pub const TOKEN_PREFIX: &str = "nxa_";

/// Generates a token secret: the prefix and 32 random bytes in URL-safe base64.
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret)))
}

pub fn hash_token(token: &str) -> Hash {
    Sha256::digest(token.as_bytes()).into()
}

/// How long a looked-up token is trusted without asking the store again.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// Resolves tokens through the store and caches each result for [`CACHE_TTL`].
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<Hash, (Instant, Option<StoredToken>)>>,
}

impl TokenCache {
    pub async fn lookup<S: AuditStore>(
        &self,
        store: &S,
        token: &str,
    ) -> Result<Option<StoredToken>, crate::store::StoreError> {
        let hash = hash_token(token);
        if let Some((at, found)) = self.entries.read().await.get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(found.clone());
        }
        let found = store.find_token(&hash).await?;
        let mut entries = self.entries.write().await;
        // Bound the cache: unknown tokens should not grow it without limit.
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(hash, (Instant::now(), found.clone()));
        Ok(found)
    }
}

/// Tells whether a stored token may append and read events of `tenant`.
pub fn allows_tenant(token: &StoredToken, tenant: &str) -> bool {
    token
        .tenants
        .as_ref()
        .is_none_or(|tenants| tenants.iter().any(|allowed| allowed == tenant))
}

/// Tells whether a stored token grants `scope`.
pub fn grants(token: &StoredToken, scope: Scope) -> bool {
    token
        .scopes
        .iter()
        .any(|granted| granted == scope.as_str() || granted == Scope::Admin.as_str())
}

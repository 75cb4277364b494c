//! Access tokens: personal access tokens (PATs) and OAuth access tokens.
//!
//! Tokens are stored by the SHA-256 hex digest of their value, never the value itself; for a PAT
//! that digest is also its public `token_id`. A deleted token is removed, so it stops
//! authenticating at once; an expired one stops at its `expiry_time` on the emulator clock and is
//! purged the next time a token is issued.

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};

/// SHA-256 hex digest of a secret (token value or client secret).
pub(crate) fn hash_secret(secret: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(secret.as_ref()))
}

/// How a token was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TokenKind {
    /// A personal access token (`dapi…`), listed by `token/list`.
    Pat,
    /// An OAuth access token from `/oidc/v1/token`; never listed.
    OAuth,
}

/// One stored token (without its value).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub kind: TokenKind,
    /// Principal id of the owner.
    pub owner: String,
    pub creation_time: i64,
    /// `None`: never expires.
    pub expiry_time: Option<i64>,
    pub comment: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Creation order, to sort tokens created in the same millisecond.
    seq: u64,
}

impl TokenRecord {
    /// True until `expiry_time` (exclusive).
    pub(crate) fn is_live(&self, now_ms: i64) -> bool {
        self.expiry_time.is_none_or(|e| now_ms < e)
    }
}

/// Workspace limits on personal access tokens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most live PATs one principal may hold.
    pub quota: usize,
    /// Longest lifetime of a new PAT, in days (`None`: unlimited).
    pub max_lifetime_days: Option<u64>,
    /// Most secret scopes in the workspace (<https://docs.databricks.com/en/security/secrets/index.html>).
    pub secret_scopes: usize,
    /// How much the other families' state may hold (`limits.rs`).
    pub state: crate::limits::StateLimits,
}

/// All tokens, keyed by the SHA-256 hex of the value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TokenStore {
    /// Keyed by SHA-256 hex, which no request can choose: FxHash instead of SipHash (the lookup
    /// runs on every authenticated request).
    by_hash: FxHashMap<String, TokenRecord>,
    next_seq: u64,
}

/// A fresh PAT value: `dapi` + 32 lowercase hex characters.
fn new_pat_value() -> String {
    format!("dapi{}", hex::encode(rand::random::<[u8; 16]>()))
}

impl TokenStore {
    fn insert(&mut self, value: &str, mut rec: TokenRecord) -> String {
        rec.seq = self.next_seq;
        self.next_seq += 1;
        let id = hash_secret(value);
        self.by_hash.insert(id.clone(), rec);
        id
    }

    /// Store a PAT with a known value; returns its `token_id`.
    pub(crate) fn insert_pat(
        &mut self,
        value: &str,
        owner: &str,
        now_ms: i64,
        expiry_time: Option<i64>,
        comment: Option<String>,
        scopes: Option<Vec<String>>,
    ) -> String {
        self.insert(
            value,
            TokenRecord {
                kind: TokenKind::Pat,
                owner: owner.to_owned(),
                creation_time: now_ms,
                expiry_time,
                comment,
                scopes,
                seq: 0,
            },
        )
    }

    /// Create a PAT for `owner` under `limits`; returns `(token_value, token_id)`.
    ///
    /// `lifetime_seconds` absent, zero or negative means no expiry, unless the workspace has a
    /// maximum lifetime, in which case the token gets exactly that maximum (our inference).
    pub(crate) fn create_pat(
        &mut self,
        owner: &str,
        now_ms: i64,
        lifetime_seconds: Option<i64>,
        comment: Option<String>,
        scopes: Option<Vec<String>>,
        limits: Limits,
    ) -> Result<(String, String), ApiError> {
        let requested = lifetime_seconds.filter(|s| *s > 0);
        let lifetime = match (requested, limits.max_lifetime_days) {
            (Some(secs), Some(days)) => {
                let max = i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX);
                if secs > max {
                    return Err(ApiError::invalid_parameter(format!(
                        "Token lifetime of {secs} seconds exceeds the maximum token lifetime \
                         of {days} days set for this workspace."
                    )));
                }
                Some(secs)
            }
            (None, Some(days)) => {
                Some(i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX))
            }
            (requested, None) => requested,
        };
        self.purge_expired(now_ms);
        limits.state.check_new_token(self.by_hash.len())?;
        if self.live_pats_of(owner, now_ms).len() >= limits.quota {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "Token quota exceeded: a user may hold at most {} tokens.",
                    limits.quota
                ),
            ));
        }
        let value = new_pat_value();
        let expiry = lifetime.map(|s| now_ms.saturating_add(s.saturating_mul(1000)));
        let id = self.insert_pat(&value, owner, now_ms, expiry, comment, scopes);
        Ok((value, id))
    }

    /// Store an OAuth access token for `owner`, valid for `ttl_ms`, unless the workspace already
    /// holds `limits`' maximum of live tokens (counted as a PAT creation counts them).
    pub(crate) fn insert_oauth(
        &mut self,
        value: &str,
        owner: &str,
        now_ms: i64,
        ttl_ms: i64,
        limits: &crate::limits::StateLimits,
    ) -> Result<(), ApiError> {
        self.purge_expired(now_ms);
        limits.check_new_oauth_token(self.by_hash.len())?;
        self.insert(
            value,
            TokenRecord {
                kind: TokenKind::OAuth,
                owner: owner.to_owned(),
                creation_time: now_ms,
                expiry_time: Some(now_ms.saturating_add(ttl_ms)),
                comment: None,
                scopes: None,
                seq: 0,
            },
        );
        Ok(())
    }

    fn purge_expired(&mut self, now_ms: i64) {
        self.by_hash.retain(|_, t| t.is_live(now_ms));
    }

    /// The live token whose value hashes to `hash`.
    pub(crate) fn live(&self, hash: &str, now_ms: i64) -> Option<&TokenRecord> {
        self.by_hash.get(hash).filter(|t| t.is_live(now_ms))
    }

    /// `owner`'s live PATs as `(token_id, record)`, oldest first.
    pub(crate) fn live_pats_of(&self, owner: &str, now_ms: i64) -> Vec<(&str, &TokenRecord)> {
        let mut out: Vec<(&str, &TokenRecord)> = self
            .by_hash
            .iter()
            .filter(|(_, t)| t.kind == TokenKind::Pat && t.owner == owner && t.is_live(now_ms))
            .map(|(id, t)| (id.as_str(), t))
            .collect();
        out.sort_by_key(|(_, t)| (t.creation_time, t.seq));
        out
    }

    /// `owner`'s live PAT `token_id`, for update.
    pub(crate) fn own_pat_mut(
        &mut self,
        owner: &str,
        token_id: &str,
        now_ms: i64,
    ) -> Option<&mut TokenRecord> {
        self.by_hash
            .get_mut(token_id)
            .filter(|t| t.kind == TokenKind::Pat && t.owner == owner && t.is_live(now_ms))
    }

    /// Revoke `owner`'s live PAT `token_id`; false if there is no such token.
    pub(crate) fn revoke_own_pat(&mut self, owner: &str, token_id: &str, now_ms: i64) -> bool {
        let found = self.own_pat_mut(owner, token_id, now_ms).is_some();
        if found {
            self.by_hash.remove(token_id);
        }
        found
    }

    /// Remove every token (PAT or OAuth) `owner` holds; returns how many.
    pub(crate) fn revoke_all_of(&mut self, owner: &str) -> usize {
        let before = self.by_hash.len();
        self.by_hash.retain(|_, t| t.owner != owner);
        before - self.by_hash.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        quota: 2,
        max_lifetime_days: None,
        secret_scopes: 100,
        state: crate::limits::StateLimits::DEFAULT,
    };

    #[test]
    fn pat_format_and_id() {
        let mut s = TokenStore::default();
        let (value, id) = s
            .create_pat("u", 0, None, None, None, LIMITS)
            .expect("create");
        assert!(value.starts_with("dapi") && value.len() == 36, "{value}");
        assert!(value[4..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(id, hash_secret(&value));
        assert_eq!(id.len(), 64);
    }

    #[test]
    fn quota_counts_live_tokens_only() {
        let mut s = TokenStore::default();
        assert!(s.create_pat("u", 0, Some(10), None, None, LIMITS).is_ok());
        assert!(s.create_pat("u", 0, None, None, None, LIMITS).is_ok());
        let err = s
            .create_pat("u", 0, None, None, None, LIMITS)
            .expect_err("quota");
        assert_eq!(err.error_code(), Some("QUOTA_EXCEEDED"));
        assert!(s.create_pat("other", 0, None, None, None, LIMITS).is_ok());
        // The first token expires at 10 s; then there is room again.
        assert!(s.create_pat("u", 10_000, None, None, None, LIMITS).is_ok());
    }

    #[test]
    fn max_lifetime_caps_and_defaults() {
        let mut s = TokenStore::default();
        let limits = Limits {
            quota: 10,
            max_lifetime_days: Some(1),
            secret_scopes: 100,
            state: crate::limits::StateLimits::DEFAULT,
        };
        let err = s
            .create_pat("u", 0, Some(86_401), None, None, limits)
            .expect_err("too long");
        assert_eq!(err.error_code(), Some("INVALID_PARAMETER_VALUE"));
        let (_, id) = s
            .create_pat("u", 0, None, None, None, limits)
            .expect("default");
        let rec = s.own_pat_mut("u", &id, 0).expect("live");
        assert_eq!(rec.expiry_time, Some(86_400_000));
    }

    #[test]
    fn huge_lifetime_saturates() {
        let mut s = TokenStore::default();
        let (_, id) = s
            .create_pat("u", 5, Some(i64::MAX), None, None, LIMITS)
            .expect("create");
        assert_eq!(
            s.own_pat_mut("u", &id, 5).and_then(|t| t.expiry_time),
            Some(i64::MAX)
        );
    }
}

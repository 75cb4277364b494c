//! Temporary minimal configuration (replaced by config.rs).
#![allow(missing_docs)]
use std::time::Duration;

use secrecy::SecretString;

use crate::{Error, RetryPolicy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    Pat,
    OAuthM2M,
}
impl AuthType {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthType::Pat => "pat",
            AuthType::OAuthM2M => "oauth-m2m",
        }
    }
}
#[derive(Debug, Clone)]
pub enum Credentials {
    Pat {
        token: SecretString,
    },
    OAuthM2M {
        client_id: String,
        client_secret: SecretString,
    },
}
#[derive(Debug, Clone)]
pub struct Config {
    host: String,
    credentials: Credentials,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub rate_limit: Option<f64>,
    pub user_agent_extra: Option<String>,
}
impl Config {
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }
    pub fn from_env() -> Result<Config, Error> {
        Err(Error::Config("stub".into()))
    }
    pub fn host(&self) -> &str {
        &self.host
    }
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
    pub fn auth_type(&self) -> AuthType {
        match self.credentials {
            Credentials::Pat { .. } => AuthType::Pat,
            Credentials::OAuthM2M { .. } => AuthType::OAuthM2M,
        }
    }
}
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    host: Option<String>,
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    retry: Option<RetryPolicy>,
    request_timeout: Option<Duration>,
    rate_limit: Option<f64>,
}
impl ConfigBuilder {
    pub fn host(mut self, v: impl Into<String>) -> Self {
        self.host = Some(v.into());
        self
    }
    pub fn token(mut self, v: impl Into<String>) -> Self {
        self.token = Some(v.into());
        self
    }
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }
    pub fn client_secret(mut self, v: impl Into<String>) -> Self {
        self.client_secret = Some(v.into());
        self
    }
    pub fn retry(mut self, v: RetryPolicy) -> Self {
        self.retry = Some(v);
        self
    }
    pub fn request_timeout(mut self, v: Duration) -> Self {
        self.request_timeout = Some(v);
        self
    }
    pub fn rate_limit(mut self, v: f64) -> Self {
        self.rate_limit = Some(v);
        self
    }
    pub fn build(self) -> Result<Config, Error> {
        let credentials = match (self.token, self.client_id, self.client_secret) {
            (Some(t), _, _) => Credentials::Pat { token: t.into() },
            (None, Some(id), Some(s)) => Credentials::OAuthM2M {
                client_id: id,
                client_secret: s.into(),
            },
            _ => return Err(Error::Config("no credentials".into())),
        };
        Ok(Config {
            host: self
                .host
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            credentials,
            retry: self.retry.unwrap_or_default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: self.request_timeout.unwrap_or(Duration::from_secs(60)),
            rate_limit: self.rate_limit,
            user_agent_extra: None,
        })
    }
}

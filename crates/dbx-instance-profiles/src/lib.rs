//! # dbx-instance-profiles
//!
//! The Databricks [Instance Profiles API](https://docs.databricks.com/api/workspace/instanceprofiles)
//! (AWS): register the instance profiles clusters may be launched with, change the IAM role
//! tied to one, list them, remove them. Adding, editing and removing are for workspace admins
//! (`PERMISSION_DENIED` otherwise); every user may list the profiles they can use.
//!
//! ```no_run
//! # async fn demo() -> dbx_core::Result<()> {
//! use dbx_instance_profiles::{InstanceProfileArn, InstanceProfilesApi};
//!
//! let profiles = InstanceProfilesApi::new(dbx_core::Client::from_env()?);
//! // Checked here, before any request: a role ARN or a short account id is a clear error.
//! let arn = InstanceProfileArn::parse("arn:aws:iam::123456789012:instance-profile/etl")?;
//! profiles.add(&arn).skip_validation(true).send().await?;
//! profiles
//!     .edit(&arn)
//!     .iam_role_arn("arn:aws:iam::123456789012:role/etl-role")
//!     .send()
//!     .await?;
//! for p in profiles.list().await? {
//!     println!("{} (role {:?})", p.instance_profile_arn, p.iam_role_arn);
//! }
//! profiles.remove(&arn).await?;
//! # Ok(()) }
//! ```
//!
//! A cluster names its instance profile in `aws_attributes.instance_profile_arn`; a profile
//! that is not registered here makes cluster `create` and `edit` fail. Removing a profile
//! leaves the clusters already using it running.
//!
//! ## The ARN
//!
//! [`InstanceProfileArn::parse`] checks the documented form
//! `arn:aws:iam::<12-digit account id>:instance-profile/<name>` and says which part is wrong
//! ([`ArnError`], which converts into [`dbx_core::Error::InvalidRequest`]);
//! [`InstanceProfileArn::unchecked`] sends any string, for a form this crate does not know.
//!
//! ## From `databricksapi`
//!
//! | `databricksapi` 1.1.8 `InstanceProfile.…` | dbx-instance-profiles [`InstanceProfilesApi`] |
//! |---|---|
//! | `addProfile(profile_arn, skip_validation=None)` | [`add`](InstanceProfilesApi::add)`(&arn).skip_validation(..).send()` (also `is_meta_instance_profile`, `iam_role_arn`) |
//! | `listProfiles()` | [`list`](InstanceProfilesApi::list) (and [`get`](InstanceProfilesApi::get) for one ARN) |
//! | `removeProfile()` | [`remove`](InstanceProfilesApi::remove)`(&arn)`. The original took no ARN and posted an empty body, so every call failed with `INVALID_PARAMETER_VALUE` (missing `instance_profile_arn`); here the ARN is a required argument. |
//! | – (newer API) | [`edit`](InstanceProfilesApi::edit) |
//!
//! Other differences: errors are [`dbx_core::Error`]s instead of error dictionaries returned as
//! results, and the ARN is checked before it is sent.

mod arn;

use dbx_core::{CallOptions, Client, Request, Result};
use serde::{Deserialize, Serialize};

pub use arn::{ArnError, ArnProblem, InstanceProfileArn, ARN_FORM};

/// The base path of every call.
const BASE: &str = "/api/2.0/instance-profiles";

/// A registered instance profile (`InstanceProfile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    /// The profile's ARN, as the service sent it.
    pub instance_profile_arn: InstanceProfileArn,
    /// The IAM role tied to the profile, when one was given (needed for Databricks SQL
    /// Serverless when the role and profile names differ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_role_arn: Option<String>,
    /// Whether the profile holds a meta IAM role, for credential passthrough only.
    #[serde(default)]
    pub is_meta_instance_profile: bool,
}

/// The Instance Profiles API. `Debug` shows the host, never a credential.
///
/// Every call takes per-call options: for all calls through a handle with
/// [`InstanceProfilesApi::with_options`], for one call with a builder's `with_options`.
///
/// ```no_run
/// # async fn demo(client: dbx_core::Client) -> dbx_core::Result<()> {
/// use std::time::Duration;
/// use dbx_core::CallOptions;
/// let profiles = dbx_instance_profiles::InstanceProfilesApi::new(client);
/// let quick = profiles.with_options(CallOptions::default().with_timeout(Duration::from_secs(5)));
/// let all = quick.list().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InstanceProfilesApi {
    client: Client,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    instance_profiles: Option<Vec<InstanceProfile>>,
}

#[derive(Serialize)]
struct ArnBody<'a> {
    instance_profile_arn: &'a InstanceProfileArn,
}

impl InstanceProfilesApi {
    /// The Instance Profiles API over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// This API with `options` applied to every call made through the returned handle (see
    /// [`dbx_core::Client::with_options`]).
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            client: self.client.with_options(options),
        }
    }

    /// Start registering an instance profile (`POST /api/2.0/instance-profiles/add`; admins
    /// only). A profile already registered answers `RESOURCE_ALREADY_EXISTS`
    /// ([`dbx_core::Error::is_already_exists`]); a malformed ARN (sent with
    /// [`InstanceProfileArn::unchecked`]) answers `INVALID_PARAMETER_VALUE`.
    ///
    /// ```no_run
    /// # async fn demo(profiles: dbx_instance_profiles::InstanceProfilesApi) -> dbx_core::Result<()> {
    /// use dbx_instance_profiles::InstanceProfileArn;
    /// let arn: InstanceProfileArn = "arn:aws:iam::123456789012:instance-profile/etl".parse()?;
    /// profiles.add(&arn).is_meta_instance_profile(false).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn add(&self, arn: &InstanceProfileArn) -> AddInstanceProfile<'_> {
        AddInstanceProfile {
            api: self,
            body: AddBody {
                instance_profile_arn: arn.clone(),
                skip_validation: None,
                is_meta_instance_profile: None,
                iam_role_arn: None,
            },
            options: CallOptions::default(),
        }
    }

    /// Start editing a registered profile (`POST /api/2.0/instance-profiles/edit`; admins
    /// only). An unregistered ARN answers `RESOURCE_DOES_NOT_EXIST`
    /// ([`dbx_core::Error::is_not_found`]).
    pub fn edit(&self, arn: &InstanceProfileArn) -> EditInstanceProfile<'_> {
        EditInstanceProfile {
            api: self,
            body: EditBody {
                instance_profile_arn: arn.clone(),
                iam_role_arn: None,
                is_meta_instance_profile: None,
            },
            options: CallOptions::default(),
        }
    }

    /// The instance profiles the caller can launch clusters with
    /// (`GET /api/2.0/instance-profiles/list`; open to every user).
    pub async fn list(&self) -> Result<Vec<InstanceProfile>> {
        let resp: ListResponse = self
            .client
            .call(Request::get(format!("{BASE}/list")))
            .await?;
        Ok(resp.instance_profiles.unwrap_or_default())
    }

    /// The registered profile `arn`, if the caller can see it (one [`list`](Self::list) call;
    /// the API has no `get`).
    pub async fn get(&self, arn: &InstanceProfileArn) -> Result<Option<InstanceProfile>> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .find(|p| p.instance_profile_arn == *arn))
    }

    /// Remove a registered profile (`POST /api/2.0/instance-profiles/remove`; admins only).
    /// Clusters already using it keep running. An unregistered ARN answers
    /// `RESOURCE_DOES_NOT_EXIST` ([`dbx_core::Error::is_not_found`]).
    pub async fn remove(&self, arn: &InstanceProfileArn) -> Result<()> {
        let req = Request::post(format!("{BASE}/remove"))
            .json(&ArnBody {
                instance_profile_arn: arn,
            })?
            // Removing twice leaves the same state; the second answer would be a 404.
            .default_idempotent(true);
        self.client.call_empty(req).await
    }
}

#[derive(Debug, Clone, Serialize)]
struct AddBody {
    instance_profile_arn: InstanceProfileArn,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_validation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_meta_instance_profile: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iam_role_arn: Option<String>,
}

/// Builder for [`InstanceProfilesApi::add`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct AddInstanceProfile<'a> {
    api: &'a InstanceProfilesApi,
    body: AddBody,
    options: CallOptions,
}

impl AddInstanceProfile<'_> {
    /// Skip the service's check that it may launch instances with the profile (an AWS dry
    /// run of `RunInstances`); for a check that fails for reasons other than IAM permissions.
    pub fn skip_validation(mut self, skip: bool) -> Self {
        self.body.skip_validation = Some(skip);
        self
    }

    /// Mark the profile as holding a meta IAM role, to be used only with credential
    /// passthrough (default false).
    pub fn is_meta_instance_profile(mut self, meta: bool) -> Self {
        self.body.is_meta_instance_profile = Some(meta);
        self
    }

    /// The ARN of the IAM role tied to the profile (`arn:aws:iam::<account>:role/<name>`).
    pub fn iam_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.body.iam_role_arn = Some(arn.into());
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over this call's default (idempotent).
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request.
    pub async fn send(self) -> Result<()> {
        let req = Request::post(format!("{BASE}/add"))
            .json(&self.body)?
            .options(self.options)
            // Adding twice leaves the same state; the second answer would be
            // RESOURCE_ALREADY_EXISTS.
            .default_idempotent(true);
        self.api.client.call_empty(req).await
    }
}

#[derive(Debug, Clone, Serialize)]
struct EditBody {
    instance_profile_arn: InstanceProfileArn,
    #[serde(skip_serializing_if = "Option::is_none")]
    iam_role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_meta_instance_profile: Option<bool>,
}

/// Builder for [`InstanceProfilesApi::edit`].
///
/// `edit` replaces the profile's settings: a field left unset is sent absent, and the
/// service then clears it (`iam_role_arn` removed, `is_meta_instance_profile` false). Set
/// every field you want to keep.
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct EditInstanceProfile<'a> {
    api: &'a InstanceProfilesApi,
    body: EditBody,
    options: CallOptions,
}

impl EditInstanceProfile<'_> {
    /// The ARN of the IAM role tied to the profile.
    pub fn iam_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.body.iam_role_arn = Some(arn.into());
        self
    }

    /// Whether the profile holds a meta IAM role (credential passthrough only).
    pub fn is_meta_instance_profile(mut self, meta: bool) -> Self {
        self.body.is_meta_instance_profile = Some(meta);
        self
    }

    /// Per-call options (timeout, retry policy, idempotency); they win over the handle's and
    /// over this call's default (idempotent).
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request.
    pub async fn send(self) -> Result<()> {
        let req = Request::post(format!("{BASE}/edit"))
            .json(&self.body)?
            .options(self.options)
            // The same settings twice give the same result.
            .default_idempotent(true);
        self.api.client.call_empty(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbx_core::testing::ReplayTransport;
    use dbx_core::Config;
    use serde_json::json;

    fn api(t: &ReplayTransport) -> InstanceProfilesApi {
        let cfg = Config::builder()
            .host("https://x.invalid")
            .token("t")
            .build()
            .expect("config");
        InstanceProfilesApi::new(Client::with_transport(cfg, t.clone()))
    }

    fn arn() -> InstanceProfileArn {
        InstanceProfileArn::parse("arn:aws:iam::123456789012:instance-profile/etl").expect("arn")
    }

    #[tokio::test]
    async fn each_call_sends_only_what_was_set() {
        let t = ReplayTransport::new()
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}))
            .respond_json(200, json!({}));
        let a = api(&t);
        a.add(&arn()).send().await.expect("add");
        a.add(&arn())
            .skip_validation(true)
            .is_meta_instance_profile(true)
            .iam_role_arn("arn:aws:iam::123456789012:role/r")
            .send()
            .await
            .expect("add all");
        a.edit(&arn())
            .iam_role_arn("arn:aws:iam::123456789012:role/r")
            .send()
            .await
            .expect("edit");
        a.remove(&arn()).await.expect("remove");
        a.remove(&InstanceProfileArn::unchecked("odd"))
            .await
            .expect("remove unchecked");
        let r = t.requests();
        let seen: Vec<(String, String, serde_json::Value)> = r
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone(), r.json()))
            .collect();
        let profile = "arn:aws:iam::123456789012:instance-profile/etl";
        assert_eq!(
            seen,
            vec![
                (
                    "POST".into(),
                    "/api/2.0/instance-profiles/add".into(),
                    json!({"instance_profile_arn": profile})
                ),
                (
                    "POST".into(),
                    "/api/2.0/instance-profiles/add".into(),
                    json!({"instance_profile_arn": profile, "skip_validation": true,
                           "is_meta_instance_profile": true,
                           "iam_role_arn": "arn:aws:iam::123456789012:role/r"})
                ),
                (
                    "POST".into(),
                    "/api/2.0/instance-profiles/edit".into(),
                    json!({"instance_profile_arn": profile,
                           "iam_role_arn": "arn:aws:iam::123456789012:role/r"})
                ),
                (
                    "POST".into(),
                    "/api/2.0/instance-profiles/remove".into(),
                    json!({"instance_profile_arn": profile})
                ),
                (
                    "POST".into(),
                    "/api/2.0/instance-profiles/remove".into(),
                    json!({"instance_profile_arn": "odd"})
                ),
            ]
        );
    }

    #[tokio::test]
    async fn list_reads_profiles_and_tolerates_an_empty_answer() {
        let t = ReplayTransport::new()
            .respond_json(
                200,
                json!({"instance_profiles": [
                    {"instance_profile_arn": "arn:aws:iam::123456789012:instance-profile/etl",
                     "is_meta_instance_profile": false},
                    {"instance_profile_arn": "legacy-form", "iam_role_arn": "arn:aws:iam::1:role/r",
                     "is_meta_instance_profile": true, "new_field": 1}
                ]}),
            )
            .respond_json(200, json!({}))
            .respond_json(200, json!({"instance_profiles": []}));
        let a = api(&t);
        let all = a.list().await.expect("list");
        assert_eq!(t.requests()[0].path, "/api/2.0/instance-profiles/list");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].instance_profile_arn, arn());
        assert_eq!(all[0].iam_role_arn, None);
        assert!(!all[0].is_meta_instance_profile);
        assert_eq!(all[1].instance_profile_arn.as_str(), "legacy-form");
        assert!(all[1].is_meta_instance_profile);
        assert!(a.get(&arn()).await.expect("get").is_none());
        assert!(a.list().await.expect("empty").is_empty());
    }

    fn no_backoff() -> dbx_core::RetryPolicy {
        dbx_core::RetryPolicy {
            initial_backoff: std::time::Duration::ZERO,
            jitter: false,
            ..dbx_core::RetryPolicy::default()
        }
    }

    fn gateway_timeout_then_ok() -> ReplayTransport {
        ReplayTransport::new()
            .respond_json(
                504,
                json!({"error_code": "DEADLINE_EXCEEDED", "message": "slow"}),
            )
            .respond_json(200, json!({}))
    }

    #[tokio::test]
    async fn changes_are_retried_after_a_timeout_unless_the_caller_says_otherwise() {
        let retry = CallOptions::default().with_retry(no_backoff());
        let t = gateway_timeout_then_ok();
        let a = api(&t).with_options(retry.clone());
        a.add(&arn()).send().await.expect("retried");
        assert_eq!(t.requests().len(), 2);
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.clone())
            .edit(&arn())
            .with_options(CallOptions::default().with_idempotent(false))
            .send()
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
        let t = gateway_timeout_then_ok();
        api(&t)
            .with_options(retry.with_idempotent(false))
            .remove(&arn())
            .await
            .expect_err("not retried");
        assert_eq!(t.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_malformed_arn_fails_before_any_request() {
        async fn add(a: &InstanceProfilesApi, raw: &str) -> Result<()> {
            let arn = InstanceProfileArn::parse(raw)?;
            a.add(&arn).send().await
        }
        let t = ReplayTransport::new();
        let err = add(&api(&t), "arn:aws:iam::123:instance-profile/x")
            .await
            .expect_err("short account");
        assert!(
            matches!(&err, dbx_core::Error::InvalidRequest(m) if m.contains("account id \"123\"")),
            "{err:?}"
        );
        assert!(t.requests().is_empty());
    }

    #[test]
    fn debug_shows_the_host_not_the_token() {
        let shown = format!("{:?}", api(&ReplayTransport::new()));
        assert!(shown.contains("https://x.invalid"), "{shown}");
        assert!(!shown.contains("\"t\""), "{shown}");
    }
}

//! Instance Profiles API — `/api/2.0/instance-profiles/*` (<https://docs.databricks.com/api/workspace/libraries>;
//! <https://docs.databricks.com/api/workspace/instanceprofiles>): the AWS instance profiles
//! clusters may be launched with.
//!
//! * `add`, `edit` and `remove` are for workspace admins (403 `PERMISSION_DENIED` "Only
//!   workspace admins can add instance profiles." [inf: wording]); `list` is open to every
//!   user and answers every registered profile (the emulator has no per-user instance profile
//!   grants, so every user may use every profile [inf]).
//! * The order of checks: admin, then the request's fields (a missing `instance_profile_arn`,
//!   as the original `databricksapi` `removeProfile` sends, is 400 `INVALID_PARAMETER_VALUE`
//!   "Missing required field: instance_profile_arn"), then the ARN's form, then the state.
//! * An ARN must look like `arn:aws:iam::<12-digit account id>:instance-profile/<name>` (the
//!   form the API reference documents; the name may carry an IAM path) and an `iam_role_arn`
//!   like `arn:aws:iam::<account id>:role/<name>`; otherwise 400 `INVALID_PARAMETER_VALUE`
//!   naming the value and the expected form [inf: wording].
//! * Adding a registered ARN is 400 `RESOURCE_ALREADY_EXISTS`; editing or removing an
//!   unregistered one is 404 `RESOURCE_DOES_NOT_EXIST` (<https://docs.databricks.com/api/workspace/libraries>, both [inf]).
//! * `skip_validation`: the service dry-runs `RunInstances` with the profile unless it is set;
//!   the emulator has no AWS account, so the dry run always passes [inf].
//! * `edit` replaces the profile's settings: an absent `iam_role_arn` is cleared, an absent
//!   `is_meta_instance_profile` is false (as the Databricks `edit` endpoints replace) [inf].
//! * Removing a profile leaves the clusters using it untouched (they keep running, start and
//!   restart), but a cluster `create`, `edit` or `update` naming an unregistered profile in
//!   `aws_attributes.instance_profile_arn` is 400 `INVALID_PARAMETER_VALUE` (see
//!   [`check_cluster_profile`]).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Access, Ctx, ReadCtx, Reply, Route};
use crate::error::{ApiError, ErrorCode};
use crate::state::instance_profiles::InstanceProfile;
use crate::state::State;

/// The documented form of an instance profile ARN.
const PROFILE_FORM: &str = "arn:aws:iam::<account-id>:instance-profile/<name>";
/// The documented form of an IAM role ARN.
const ROLE_FORM: &str = "arn:aws:iam::<account-id>:role/<name>";

/// The Instance Profiles API routes (2.0 only).
pub(crate) fn routes() -> Vec<Route> {
    const V: &[&str] = &["2.0"];
    vec![
        Route::new(Method::POST, "instance-profiles/add", V, add).access(Access::AdminOnly),
        Route::new(Method::POST, "instance-profiles/edit", V, edit).access(Access::AdminOnly),
        Route::read(Method::GET, "instance-profiles/list", V, list).access(Access::AnyUser),
        Route::new(Method::POST, "instance-profiles/remove", V, remove).access(Access::AdminOnly),
    ]
}

/// Whether `arn` is `arn:aws:iam::<12 digits>:<kind>/<name>`, the name being IAM name
/// characters (letters, digits, `+=,.@_-`), optionally under a path of such segments.
fn well_formed(arn: &str, kind: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:iam::") else {
        return false;
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return false;
    };
    let Some(name) = resource
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && name.split('/').all(segment_ok)
}

fn check_profile_arn(arn: &str) -> Result<(), ApiError> {
    if well_formed(arn, "instance-profile") {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(format!(
            "Invalid instance profile ARN {arn:?}: it should look like {PROFILE_FORM}."
        )))
    }
}

fn check_role_arn(arn: Option<&str>) -> Result<(), ApiError> {
    match arn {
        Some(a) if !well_formed(a, "role") => Err(ApiError::invalid_parameter(format!(
            "Invalid IAM role ARN {a:?}: it should look like {ROLE_FORM}."
        ))),
        _ => Ok(()),
    }
}

fn require_admin(ctx: &ReadCtx<'_>, what: &str) -> Result<(), ApiError> {
    if ctx.state.identity.is_admin(&ctx.caller.id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("Only workspace admins can {what} instance profiles."),
        ))
    }
}

fn does_not_exist(arn: &str) -> ApiError {
    ApiError::does_not_exist(format!("Instance profile {arn} does not exist."))
}

/// `POST instance-profiles/add` request.
#[derive(Debug, Deserialize)]
struct AddRequest {
    instance_profile_arn: String,
    iam_role_arn: Option<String>,
    is_meta_instance_profile: Option<bool>,
    /// Accepted; the emulator's dry run always passes (see the module docs).
    #[allow(dead_code)]
    skip_validation: Option<bool>,
}

/// `POST instance-profiles/add` → `{}`.
fn add(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    require_admin(&ctx.view(), "add")?;
    let req: AddRequest = ctx.decode()?;
    check_profile_arn(&req.instance_profile_arn)?;
    check_role_arn(req.iam_role_arn.as_deref())?;
    let arn = req.instance_profile_arn.clone();
    let added = ctx.state.instance_profiles.add(InstanceProfile {
        instance_profile_arn: req.instance_profile_arn,
        iam_role_arn: req.iam_role_arn,
        is_meta_instance_profile: req.is_meta_instance_profile.unwrap_or(false),
    });
    if added {
        Ok(Reply::empty())
    } else {
        Err(ApiError::already_exists(format!(
            "Instance profile {arn} already exists."
        )))
    }
}

/// `POST instance-profiles/edit` request.
#[derive(Debug, Deserialize)]
struct EditRequest {
    instance_profile_arn: String,
    iam_role_arn: Option<String>,
    is_meta_instance_profile: Option<bool>,
}

/// `POST instance-profiles/edit` → `{}`: the profile's settings replaced.
fn edit(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    require_admin(&ctx.view(), "edit")?;
    let req: EditRequest = ctx.decode()?;
    check_profile_arn(&req.instance_profile_arn)?;
    check_role_arn(req.iam_role_arn.as_deref())?;
    let p = ctx
        .state
        .instance_profiles
        .get_mut(&req.instance_profile_arn)
        .ok_or_else(|| does_not_exist(&req.instance_profile_arn))?;
    p.iam_role_arn = req.iam_role_arn;
    p.is_meta_instance_profile = req.is_meta_instance_profile.unwrap_or(false);
    Ok(Reply::empty())
}

/// One entry of the `list` answer: `is_meta_instance_profile` always, `iam_role_arn` when set.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    instance_profile_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iam_role_arn: Option<&'a str>,
    is_meta_instance_profile: bool,
}

/// `GET instance-profiles/list` → `{"instance_profiles": [...]}` (the key is omitted when
/// there are none), oldest first.
fn list(ctx: &ReadCtx<'_>) -> Result<Reply, ApiError> {
    #[derive(Serialize)]
    struct List<'a> {
        instance_profiles: Vec<Listed<'a>>,
    }
    let instance_profiles = ctx
        .state
        .instance_profiles
        .iter()
        .map(|p| Listed {
            instance_profile_arn: &p.instance_profile_arn,
            iam_role_arn: p.iam_role_arn.as_deref(),
            is_meta_instance_profile: p.is_meta_instance_profile,
        })
        .collect();
    Reply::typed(&List { instance_profiles })
}

/// `POST instance-profiles/remove` request.
#[derive(Debug, Deserialize)]
struct RemoveRequest {
    instance_profile_arn: String,
}

/// `POST instance-profiles/remove` → `{}`.
fn remove(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    require_admin(&ctx.view(), "remove")?;
    let req: RemoveRequest = ctx.decode()?;
    check_profile_arn(&req.instance_profile_arn)?;
    if ctx
        .state
        .instance_profiles
        .remove(&req.instance_profile_arn)
    {
        Ok(Reply::empty())
    } else {
        Err(does_not_exist(&req.instance_profile_arn))
    }
}

/// The Clusters API's check (create, edit, update): a cluster spec whose
/// `aws_attributes.instance_profile_arn` is set must name a registered instance profile,
/// else 400 `INVALID_PARAMETER_VALUE` [inf: the service's exact words are not documented].
/// An empty ARN counts as none.
pub(crate) fn check_cluster_profile(
    state: &State,
    spec: &Map<String, Value>,
) -> Result<(), ApiError> {
    let arn = spec
        .get("aws_attributes")
        .and_then(|a| a.get("instance_profile_arn"))
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty());
    match arn {
        Some(arn) if !state.instance_profiles.contains(arn) => {
            Err(ApiError::invalid_parameter(format!(
                "Instance profile {arn} is not registered in this workspace: a workspace admin must add it (/api/2.0/instance-profiles/add) before clusters can use it."
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_forms() {
        for ok in [
            "arn:aws:iam::123456789012:instance-profile/etl",
            "arn:aws:iam::123456789012:instance-profile/team/a+b=c,d.e@f_g-h",
        ] {
            assert!(well_formed(ok, "instance-profile"), "{ok}");
        }
        for bad in [
            "",
            "etl",
            "arn:aws:iam::123456789012:role/etl",
            "arn:aws:iam::12345678901:instance-profile/etl",
            "arn:aws:iam::1234567890123:instance-profile/etl",
            "arn:aws:iam::12345678901x:instance-profile/etl",
            "arn:aws:iam:us-east-1:123456789012:instance-profile/etl",
            "arn:aws-cn:iam::123456789012:instance-profile/etl",
            "arn:aws:iam::123456789012:instance-profile/",
            "arn:aws:iam::123456789012:instance-profile/a//b",
            "arn:aws:iam::123456789012:instance-profile/sp ace",
            "arn:aws:iam::123456789012:instance-profileetl",
        ] {
            assert!(!well_formed(bad, "instance-profile"), "{bad:?}");
        }
        assert!(well_formed("arn:aws:iam::123456789012:role/r", "role"));
        assert!(!well_formed(
            "arn:aws:iam::123456789012:instance-profile/r",
            "role"
        ));
    }
}

//! The instance profile ARN: checked locally, or taken as it is when the caller must.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The form the Instance Profiles API documents for `instance_profile_arn`
/// (<https://docs.databricks.com/api/workspace/instanceprofiles/add>).
pub const ARN_FORM: &str = "arn:aws:iam::<12-digit account id>:instance-profile/<name>";

/// Longest instance profile name AWS IAM accepts.
const MAX_NAME: usize = 128;

/// The ARN of an AWS instance profile, `arn:aws:iam::<account id>:instance-profile/<name>`
/// (the name may carry an IAM path: `instance-profile/team/etl`).
///
/// [`InstanceProfileArn::parse`] (also `FromStr` and `TryFrom`) checks the form locally and
/// says what is wrong before any request is sent; [`InstanceProfileArn::unchecked`] takes any
/// string, for an ARN this crate does not know (another AWS partition, a future form) or to
/// see what the service answers to a malformed one. ARNs read from the service are kept as
/// sent, never rejected.
///
/// ```
/// use dbx_instance_profiles::InstanceProfileArn;
/// let arn = InstanceProfileArn::parse("arn:aws:iam::123456789012:instance-profile/etl")?;
/// assert_eq!(arn.account_id(), Some("123456789012"));
/// assert_eq!(arn.name(), Some("etl"));
///
/// let err = InstanceProfileArn::parse("arn:aws:iam::123456789012:role/etl").unwrap_err();
/// assert!(err.to_string().contains("a role ARN"), "{err}");
///
/// let anyway = InstanceProfileArn::unchecked("arn:aws-us-gov:iam::123456789012:instance-profile/etl");
/// assert!(!anyway.is_well_formed());
/// # Ok::<(), dbx_instance_profiles::ArnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstanceProfileArn(String);

impl InstanceProfileArn {
    /// `arn` if it has the documented form; otherwise an [`ArnError`] naming the first part
    /// that is wrong.
    pub fn parse(arn: impl Into<String>) -> Result<Self, ArnError> {
        let arn = arn.into();
        match check(&arn) {
            Ok(()) => Ok(Self(arn)),
            Err(problem) => Err(ArnError { arn, problem }),
        }
    }

    /// `arn` as it is, without any check: the service will judge it.
    pub fn unchecked(arn: impl Into<String>) -> Self {
        Self(arn.into())
    }

    /// The ARN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the ARN has the documented form (always true for a parsed one).
    pub fn is_well_formed(&self) -> bool {
        check(&self.0).is_ok()
    }

    /// The 12-digit AWS account id, when the ARN is well formed.
    pub fn account_id(&self) -> Option<&str> {
        self.parts().map(|(account, _)| account)
    }

    /// The instance profile's name with its IAM path, if any (`etl`, `team/etl`), when the ARN
    /// is well formed.
    pub fn name(&self) -> Option<&str> {
        self.parts().map(|(_, name)| name)
    }

    fn parts(&self) -> Option<(&str, &str)> {
        check(&self.0).ok()?;
        let rest = self.0.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        Some((account, resource.strip_prefix("instance-profile/")?))
    }
}

/// What is wrong with an ARN.
fn check(arn: &str) -> Result<(), ArnProblem> {
    if arn.trim().is_empty() {
        return Err(ArnProblem::Empty);
    }
    if arn != arn.trim() {
        return Err(ArnProblem::Whitespace);
    }
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = fields[..] else {
        return Err(ArnProblem::NotAnArn);
    };
    if scheme != "arn" {
        return Err(ArnProblem::NotAnArn);
    }
    if partition != "aws" {
        return Err(ArnProblem::Partition(partition.to_owned()));
    }
    if service != "iam" {
        return Err(ArnProblem::Service(service.to_owned()));
    }
    if !region.is_empty() {
        return Err(ArnProblem::Region(region.to_owned()));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArnProblem::AccountId(account.to_owned()));
    }
    let Some(name) = resource.strip_prefix("instance-profile/") else {
        let kind = resource.split(['/', ':']).next().unwrap_or_default();
        return Err(ArnProblem::ResourceType(kind.to_owned()));
    };
    let segments: Vec<&str> = name.split('/').collect();
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if segments
        .iter()
        .any(|s| s.is_empty() || !s.chars().all(valid_char))
    {
        return Err(ArnProblem::Name(name.to_owned()));
    }
    let last = segments.last().copied().unwrap_or_default();
    if last.len() > MAX_NAME {
        return Err(ArnProblem::Name(name.to_owned()));
    }
    Ok(())
}

impl fmt::Display for InstanceProfileArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for InstanceProfileArn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for InstanceProfileArn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, ArnError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for InstanceProfileArn {
    type Error = ArnError;
    fn try_from(s: &str) -> Result<Self, ArnError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for InstanceProfileArn {
    type Error = ArnError;
    fn try_from(s: String) -> Result<Self, ArnError> {
        Self::parse(s)
    }
}

/// A string that is not an instance profile ARN of the documented form ([`ARN_FORM`]).
///
/// Converts into [`dbx_core::Error::InvalidRequest`], so `?` works in functions returning
/// [`dbx_core::Result`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid instance profile ARN {arn:?}: {problem}; expected {ARN_FORM}")]
pub struct ArnError {
    arn: String,
    problem: ArnProblem,
}

impl ArnError {
    /// The string that was refused.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &ArnProblem {
        &self.problem
    }
}

impl From<ArnError> for dbx_core::Error {
    fn from(e: ArnError) -> Self {
        dbx_core::Error::InvalidRequest(e.to_string())
    }
}

/// The first part of an ARN found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArnProblem {
    /// Nothing but whitespace.
    #[error("it is empty")]
    Empty,
    /// Leading or trailing whitespace.
    #[error("it has leading or trailing whitespace")]
    Whitespace,
    /// Not `arn:` followed by five `:`-separated fields.
    #[error("it is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)")]
    NotAnArn,
    /// A partition other than `aws`.
    #[error(
        "partition {0:?} is not \"aws\" (use InstanceProfileArn::unchecked to send it anyway)"
    )]
    Partition(String),
    /// A service other than `iam`.
    #[error("service {0:?} is not \"iam\"")]
    Service(String),
    /// IAM ARNs have an empty region field.
    #[error("IAM ARNs have no region, found {0:?}")]
    Region(String),
    /// The account id is not 12 digits.
    #[error("account id {0:?} is not 12 digits")]
    AccountId(String),
    /// The resource is not an `instance-profile/...`.
    #[error("{}", resource_type_message(.0))]
    ResourceType(String),
    /// The name (with its optional path) is empty, has an empty path segment, a character IAM
    /// does not allow (letters, digits and `+=,.@_-`), or more than 128 characters.
    #[error("instance profile name {0:?} is not a valid IAM name (letters, digits and +=,.@_-, at most 128 characters, optionally under a path)")]
    Name(String),
}

fn resource_type_message(kind: &str) -> String {
    if kind == "role" {
        "it is a role ARN (…:role/<name>), not an instance profile ARN: pass a role as iam_role_arn"
            .to_owned()
    } else {
        format!("resource type {kind:?} is not \"instance-profile\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(s: &str) -> ArnProblem {
        InstanceProfileArn::parse(s).expect_err(s).problem
    }

    #[test]
    fn well_formed_arns_parse_with_their_parts() {
        for (arn, account, name) in [
            (
                "arn:aws:iam::123456789012:instance-profile/etl",
                "123456789012",
                "etl",
            ),
            (
                "arn:aws:iam::000000000000:instance-profile/team/a.b+c=d,e@f_g-h",
                "000000000000",
                "team/a.b+c=d,e@f_g-h",
            ),
        ] {
            let parsed: InstanceProfileArn = arn.parse().expect(arn);
            assert_eq!(parsed.as_str(), arn);
            assert_eq!(parsed.account_id(), Some(account));
            assert_eq!(parsed.name(), Some(name));
            assert!(parsed.is_well_formed());
            assert_eq!(parsed.to_string(), arn);
        }
    }

    #[test]
    fn each_wrong_part_is_named() {
        assert_eq!(problem(""), ArnProblem::Empty);
        assert_eq!(
            problem(" arn:aws:iam::123456789012:instance-profile/x"),
            ArnProblem::Whitespace
        );
        assert_eq!(problem("my-profile"), ArnProblem::NotAnArn);
        assert_eq!(
            problem("urn:aws:iam::123456789012:instance-profile/x"),
            ArnProblem::NotAnArn
        );
        assert_eq!(
            problem("arn:aws-cn:iam::123456789012:instance-profile/x"),
            ArnProblem::Partition("aws-cn".into())
        );
        assert_eq!(
            problem("arn:aws:s3::123456789012:instance-profile/x"),
            ArnProblem::Service("s3".into())
        );
        assert_eq!(
            problem("arn:aws:iam:us-east-1:123456789012:instance-profile/x"),
            ArnProblem::Region("us-east-1".into())
        );
        assert_eq!(
            problem("arn:aws:iam::123456789:instance-profile/x"),
            ArnProblem::AccountId("123456789".into())
        );
        assert_eq!(
            problem("arn:aws:iam::12345678901a:instance-profile/x"),
            ArnProblem::AccountId("12345678901a".into())
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:role/x"),
            ArnProblem::ResourceType("role".into())
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:instance-profile/"),
            ArnProblem::Name("".into())
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:instance-profile/a//b"),
            ArnProblem::Name("a//b".into())
        );
        assert_eq!(
            problem("arn:aws:iam::123456789012:instance-profile/sp ace"),
            ArnProblem::Name("sp ace".into())
        );
        let long = format!(
            "arn:aws:iam::123456789012:instance-profile/{}",
            "x".repeat(129)
        );
        assert!(matches!(problem(&long), ArnProblem::Name(_)));
    }

    #[test]
    fn the_error_says_what_is_wrong_and_what_is_expected() {
        let err =
            InstanceProfileArn::parse("arn:aws:iam::123456789012:role/etl").expect_err("role");
        let text = err.to_string();
        assert!(
            text.contains("\"arn:aws:iam::123456789012:role/etl\""),
            "{text}"
        );
        assert!(text.contains("a role ARN"), "{text}");
        assert!(text.contains(ARN_FORM), "{text}");
        assert_eq!(err.arn(), "arn:aws:iam::123456789012:role/etl");
        let core: dbx_core::Error = err.into();
        assert!(
            matches!(&core, dbx_core::Error::InvalidRequest(m) if m.contains("a role ARN")),
            "{core:?}"
        );
    }

    #[test]
    fn unchecked_and_deserialized_arns_are_kept_as_sent() {
        let odd = InstanceProfileArn::unchecked("not-an-arn");
        assert_eq!(odd.as_str(), "not-an-arn");
        assert!(!odd.is_well_formed());
        assert_eq!(odd.account_id(), None);
        assert_eq!(odd.name(), None);
        let read: InstanceProfileArn = serde_json::from_str("\"whatever\"").expect("lenient");
        assert_eq!(read.as_str(), "whatever");
        assert_eq!(
            serde_json::to_string(&read).expect("serialize"),
            "\"whatever\""
        );
    }
}

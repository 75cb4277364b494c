//! Instance profiles state: the AWS instance profiles registered in the workspace, in the order
//! they were added. The handlers and validation rules are in `api/instance_profiles.rs`; the
//! Clusters API asks [`InstanceProfiles::contains`] before it accepts a cluster naming one.

use serde::{Deserialize, Serialize};

/// One registered instance profile (`InstanceProfile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstanceProfile {
    pub instance_profile_arn: String,
    pub iam_role_arn: Option<String>,
    pub is_meta_instance_profile: bool,
}

/// The registered instance profiles.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct InstanceProfiles {
    items: Vec<InstanceProfile>,
}

impl InstanceProfiles {
    /// Whether `arn` is registered (exact match, as the service compares ARNs).
    pub(crate) fn contains(&self, arn: &str) -> bool {
        self.items.iter().any(|p| p.instance_profile_arn == arn)
    }

    /// Register `profile`; false (and nothing changed) when its ARN is already registered.
    pub(crate) fn add(&mut self, profile: InstanceProfile) -> bool {
        if self.contains(&profile.instance_profile_arn) {
            return false;
        }
        self.items.push(profile);
        true
    }

    /// The registered profile `arn`, to change.
    pub(crate) fn get_mut(&mut self, arn: &str) -> Option<&mut InstanceProfile> {
        self.items
            .iter_mut()
            .find(|p| p.instance_profile_arn == arn)
    }

    /// Unregister `arn`; false when it was not registered.
    pub(crate) fn remove(&mut self, arn: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|p| p.instance_profile_arn != arn);
        self.items.len() != before
    }

    /// Every registered profile, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &InstanceProfile> {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(arn: &str) -> InstanceProfile {
        InstanceProfile {
            instance_profile_arn: arn.to_owned(),
            iam_role_arn: None,
            is_meta_instance_profile: false,
        }
    }

    #[test]
    fn add_refuses_duplicates_and_remove_forgets() {
        let mut s = InstanceProfiles::default();
        assert!(s.add(profile("b")));
        assert!(s.add(profile("a")));
        assert!(!s.add(profile("b")));
        let order: Vec<&str> = s.iter().map(|p| p.instance_profile_arn.as_str()).collect();
        assert_eq!(order, ["b", "a"]);
        if let Some(p) = s.get_mut("a") {
            p.is_meta_instance_profile = true;
        }
        assert!(s.iter().any(|p| p.is_meta_instance_profile));
        assert!(s.remove("b"));
        assert!(!s.remove("b"));
        assert!(!s.contains("b") && s.contains("a"));
        assert!(s.get_mut("b").is_none());
    }
}

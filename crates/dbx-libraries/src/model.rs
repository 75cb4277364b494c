//! Wire types: [`Library`] (one-key objects), the install status and the status answers.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::ClusterId;

/// A PyPI package (`{"package": "simplejson==3.8.0", "repo": ...}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PythonPyPiLibrary {
    /// The package, with an optional version specification: `simplejson`, `simplejson==3.8.0`.
    pub package: String,
    /// The index to install from (default: the default pip index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Fields this crate does not model, kept and sent back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PythonPyPiLibrary {
    /// The package `package` from the default index.
    pub fn new(package: impl Into<String>) -> Self {
        Self {
            package: package.into(),
            ..Self::default()
        }
    }

    /// Install from the index at `repo`.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }
}

impl From<&str> for PythonPyPiLibrary {
    fn from(package: &str) -> Self {
        Self::new(package)
    }
}

impl From<String> for PythonPyPiLibrary {
    fn from(package: String) -> Self {
        Self::new(package)
    }
}

/// A Maven artifact (`{"coordinates": "org.jsoup:jsoup:1.7.2", "repo": ..., "exclusions": [..]}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MavenLibrary {
    /// Gradle-style coordinates, `groupId:artifactId:version`.
    pub coordinates: String,
    /// The repository to install from (default: Maven Central and Spark Packages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Dependencies to exclude, such as `slf4j:slf4j` or `*:hadoop-client`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
    /// Fields this crate does not model, kept and sent back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MavenLibrary {
    /// The artifact at `coordinates` (`groupId:artifactId:version`).
    pub fn new(coordinates: impl Into<String>) -> Self {
        Self {
            coordinates: coordinates.into(),
            ..Self::default()
        }
    }

    /// Install from the repository at `repo`.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }

    /// Exclude the dependency `exclusion` (`group:artifact`, `*` allowed).
    pub fn exclusion(mut self, exclusion: impl Into<String>) -> Self {
        self.exclusions.push(exclusion.into());
        self
    }
}

impl From<&str> for MavenLibrary {
    fn from(coordinates: &str) -> Self {
        Self::new(coordinates)
    }
}

impl From<String> for MavenLibrary {
    fn from(coordinates: String) -> Self {
        Self::new(coordinates)
    }
}

/// A CRAN package (`{"package": "ggplot2", "repo": ...}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RCranLibrary {
    /// The package name.
    pub package: String,
    /// The repository to install from (default: the default CRAN mirror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Fields this crate does not model, kept and sent back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RCranLibrary {
    /// The package `package` from the default repository.
    pub fn new(package: impl Into<String>) -> Self {
        Self {
            package: package.into(),
            ..Self::default()
        }
    }

    /// Install from the repository at `repo`.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }
}

impl From<&str> for RCranLibrary {
    fn from(package: &str) -> Self {
        Self::new(package)
    }
}

impl From<String> for RCranLibrary {
    fn from(package: String) -> Self {
        Self::new(package)
    }
}

/// A library to install on a cluster. On the wire it is an object with exactly one key naming
/// its kind: `{"jar": "/Volumes/main/default/libs/a.jar"}`, `{"pypi": {"package": "simplejson"}}`.
///
/// An object this crate does not recognise (a kind added after it was written) is kept as
/// [`Library::Unknown`] and sent back as it came, so `cluster_status` → `uninstall` works for it
/// too.
///
/// ```
/// use dbx_libraries::{Library, MavenLibrary};
/// let libs = [
///     Library::pypi("simplejson==3.8.0"),
///     Library::maven(MavenLibrary::new("org.jsoup:jsoup:1.7.2").exclusion("slf4j:slf4j")),
///     Library::whl("/Volumes/main/default/libs/tool-1.0-py3-none-any.whl"),
/// ];
/// assert_eq!(
///     serde_json::to_value(&libs[0]).unwrap(),
///     serde_json::json!({"pypi": {"package": "simplejson==3.8.0"}})
/// );
/// let new_kind: Library = serde_json::from_str(r#"{"conda": {"package": "x"}}"#).unwrap();
/// assert!(matches!(new_kind, Library::Unknown(_)));
/// assert_eq!(serde_json::to_string(&new_kind).unwrap(), r#"{"conda":{"package":"x"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Library {
    /// A JAR: a workspace file, a Unity Catalog volume file, or a cloud storage or DBFS URI.
    Jar(String),
    /// A Python egg (deprecated; not supported from Databricks Runtime 14.0).
    Egg(String),
    /// A Python wheel: a workspace file, a volume file, or a cloud storage or DBFS URI.
    Whl(String),
    /// A `requirements.txt`: a workspace file or a volume file.
    Requirements(String),
    /// A PyPI package.
    Pypi(PythonPyPiLibrary),
    /// A Maven artifact.
    Maven(MavenLibrary),
    /// A CRAN package.
    Cran(RCranLibrary),
    /// A library object this crate does not recognise, verbatim.
    Unknown(Map<String, Value>),
}

impl Library {
    /// A JAR at `uri`.
    pub fn jar(uri: impl Into<String>) -> Self {
        Self::Jar(uri.into())
    }

    /// A Python egg at `uri` (deprecated by Databricks).
    pub fn egg(uri: impl Into<String>) -> Self {
        Self::Egg(uri.into())
    }

    /// A Python wheel at `uri`.
    pub fn whl(uri: impl Into<String>) -> Self {
        Self::Whl(uri.into())
    }

    /// The requirements file at `path`.
    pub fn requirements(path: impl Into<String>) -> Self {
        Self::Requirements(path.into())
    }

    /// A PyPI package: `Library::pypi("simplejson")` or
    /// `Library::pypi(PythonPyPiLibrary::new("x").repo("https://..."))`.
    pub fn pypi(package: impl Into<PythonPyPiLibrary>) -> Self {
        Self::Pypi(package.into())
    }

    /// A Maven artifact: `Library::maven("org.jsoup:jsoup:1.7.2")` or a [`MavenLibrary`].
    pub fn maven(artifact: impl Into<MavenLibrary>) -> Self {
        Self::Maven(artifact.into())
    }

    /// A CRAN package: `Library::cran("ggplot2")` or an [`RCranLibrary`].
    pub fn cran(package: impl Into<RCranLibrary>) -> Self {
        Self::Cran(package.into())
    }

    /// The wire key of the kind (`"pypi"`), or the first key of an unknown object.
    pub fn kind(&self) -> &str {
        match self {
            Self::Jar(_) => "jar",
            Self::Egg(_) => "egg",
            Self::Whl(_) => "whl",
            Self::Requirements(_) => "requirements",
            Self::Pypi(_) => "pypi",
            Self::Maven(_) => "maven",
            Self::Cran(_) => "cran",
            Self::Unknown(m) => m.keys().next().map_or("unknown", String::as_str),
        }
    }

    /// What the library is called: the package, the coordinates or the path.
    pub fn name(&self) -> String {
        match self {
            Self::Jar(s) | Self::Egg(s) | Self::Whl(s) | Self::Requirements(s) => s.clone(),
            Self::Pypi(p) => p.package.clone(),
            Self::Maven(m) => m.coordinates.clone(),
            Self::Cran(c) => c.package.clone(),
            Self::Unknown(m) => Value::Object(m.clone()).to_string(),
        }
    }

    fn to_map(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let (key, value) = match self {
            Self::Unknown(m) => return Ok(m.clone()),
            Self::Jar(s) | Self::Egg(s) | Self::Whl(s) | Self::Requirements(s) => {
                (self.kind(), Value::String(s.clone()))
            }
            Self::Pypi(p) => ("pypi", serde_json::to_value(p)?),
            Self::Maven(m) => ("maven", serde_json::to_value(m)?),
            Self::Cran(c) => ("cran", serde_json::to_value(c)?),
        };
        let mut map = Map::new();
        map.insert(key.to_owned(), value);
        Ok(map)
    }

    fn from_map(map: Map<String, Value>) -> Result<Self, serde_json::Error> {
        let mut present = map.iter().filter(|(_, v)| !v.is_null());
        let (Some((key, value)), None) = (present.next(), present.next()) else {
            return Ok(Self::Unknown(map));
        };
        let text = |v: &Value| -> Result<String, serde_json::Error> {
            serde_json::from_value::<String>(v.clone())
        };
        Ok(match key.as_str() {
            "jar" => Self::Jar(text(value)?),
            "egg" => Self::Egg(text(value)?),
            "whl" => Self::Whl(text(value)?),
            "requirements" => Self::Requirements(text(value)?),
            "pypi" => Self::Pypi(serde_json::from_value(value.clone())?),
            "maven" => Self::Maven(serde_json::from_value(value.clone())?),
            "cran" => Self::Cran(serde_json::from_value(value.clone())?),
            _ => Self::Unknown(map),
        })
    }
}

impl Serialize for Library {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map()
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Library {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Self::from_map(map).map_err(D::Error::custom)
    }
}

impl fmt::Display for Library {
    /// `pypi simplejson==3.8.0`, `maven org.jsoup:jsoup:1.7.2`, `jar /Volumes/...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(m) => write!(f, "{}", Value::Object(m.clone())),
            other => write!(f, "{} {}", other.kind(), other.name()),
        }
    }
}

dbx_core::open_enum! {
    /// The status of a library on a cluster (`LibraryInstallStatus`).
    pub enum LibraryInstallStatus {
        /// Nothing done yet (on a cluster that is not running, until it runs).
        Pending = "PENDING",
        /// Fetching the library's metadata and dependencies.
        Resolving = "RESOLVING",
        /// Installing.
        Installing = "INSTALLING",
        /// Installed.
        Installed = "INSTALLED",
        /// Installed again after a restart (newer workspaces).
        Restored = "RESTORED",
        /// The install failed; the messages say why.
        Failed = "FAILED",
        /// Not installed because it is incompatible with the cluster (e.g. its Scala version).
        Skipped = "SKIPPED",
        /// Uninstall requested; removed when the cluster restarts.
        UninstallOnRestart = "UNINSTALL_ON_RESTART",
    }
}

impl LibraryInstallStatus {
    /// `PENDING`, `RESOLVING` or `INSTALLING`: the install is still under way.
    pub fn is_in_progress(&self) -> bool {
        matches!(self, Self::Pending | Self::Resolving | Self::Installing)
    }

    /// `INSTALLED` or `RESTORED`: usable on the cluster.
    pub fn is_installed(&self) -> bool {
        matches!(self, Self::Installed | Self::Restored)
    }

    /// `FAILED` or `SKIPPED`: it will not be installed without a change.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::Skipped)
    }
}

/// The status of one library on one cluster (`LibraryFullStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryFullStatus {
    /// The library, as installed.
    pub library: Library,
    /// Where its install stands.
    pub status: LibraryInstallStatus,
    /// The info and warning messages so far (why it failed, for `FAILED`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// Whether it was set, in the UI, to be installed on every cluster.
    #[serde(default)]
    pub is_library_for_all_clusters: bool,
}

impl fmt::Display for LibraryFullStatus {
    /// `pypi x: FAILED (message; message)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.library, self.status)?;
        if !self.messages.is_empty() {
            write!(f, " ({})", self.messages.join("; "))?;
        }
        Ok(())
    }
}

/// The libraries of one cluster (`ClusterLibraryStatuses`): those to install first, in the
/// order they were added, then those marked for removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterLibraryStatuses {
    /// The cluster.
    pub cluster_id: ClusterId,
    /// Its libraries (empty when it has none: the service then omits the key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub library_statuses: Vec<LibraryFullStatus>,
}

impl ClusterLibraryStatuses {
    /// The status of `library` on this cluster, if it has it.
    pub fn status_of(&self, library: &Library) -> Option<&LibraryFullStatus> {
        self.library_statuses.iter().find(|s| &s.library == library)
    }
}

//! The one error type of the SDK.
//!
//! [`Error::Api`] keeps Databricks' own words: the HTTP status, `error_code` verbatim, a typed
//! [`ErrorCode`] with an unknown fallback, the message, the request id and any `details`. It
//! parses every error shape the service is known to send: the normal envelope, the integer
//! `error_code` of legacy 401/403 answers, the SCIM error schema, API 1.2's `{"error": ...}`,
//! `ERROR_CODE: message` plain text, HTML pages and empty bodies.
//!
//! Every message says what failed once: an error either writes its cause into its own text
//! (and has no `source()`), or leaves it to `source()`; never both, so a printer that walks the
//! chain ([`Report`]) shows each cause once. A credential the workspace rejects is reported as
//! [`Error::CredentialRejected`], which names where the credential came from (never its value).

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::retry::{Attempt, Idempotency, RetryDecision};

/// The result type of every SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure an SDK call can end with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Databricks answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The configuration is incomplete or contradictory; the message names what to fix.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// No HTTP response could be obtained. The message names the host, what failed, the
    /// attempts made and what to try (see [`crate::TransportError::in_context`]).
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
    /// Databricks rejected the credential (401, or 403 "Invalid access token."): the message
    /// says which credential and where it came from (never its value); `source()` is
    /// Databricks' answer. [`Error::api`] and the predicates answer for that answer as for
    /// [`Error::Api`].
    #[error("{host} rejected the {credential}{}", rejection_hint(.source))]
    CredentialRejected {
        /// The workspace URL.
        host: String,
        /// The credential and its origin, e.g. `personal access token from DATABRICKS_TOKEN`.
        credential: String,
        /// Databricks' answer.
        source: Box<ApiError>,
    },
    /// The call (or the overall retry deadline) ran out of time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// A successful response could not be decoded into the expected type.
    #[error("could not decode response at `{path}`: {message}")]
    Decode {
        /// The JSON path that failed, e.g. `token_infos[0].creation_time`.
        path: String,
        /// What was wrong there.
        message: String,
    },
    /// A request could not be built from the caller's input (e.g. a body that does not
    /// serialize, or an argument the API can never accept).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A waiter's deadline passed before the condition was reached.
    #[error("gave up waiting after {elapsed:?}: {last_status}")]
    WaitTimeout {
        /// How long the waiter polled.
        elapsed: Duration,
        /// The last state observed, in words.
        last_status: String,
    },
    /// The OAuth token endpoint refused to issue a token.
    #[error("OAuth token request failed ({status}): {error}: {description}")]
    OAuth {
        /// HTTP status of the token endpoint's answer.
        status: u16,
        /// OAuth `error` (e.g. `invalid_client`).
        error: String,
        /// OAuth `error_description`.
        description: String,
    },
    /// A paginated listing returned the same page token twice.
    #[error("pagination loop: the server returned page token {0:?} twice")]
    PaginationLoop(String),
    /// The call failed after an attempt that may have been applied: see
    /// [`Error::is_outcome_unknown`]. `source` is the last attempt's failure; the predicates
    /// ([`Error::api`], [`Error::is_not_found`], [`Error::is_timeout`], ...) answer for it.
    /// Displayed without its cause, which is its `source()` (print the chain with
    /// [`Report`]).
    #[error("the request may have been applied; {}", if *.idempotent {
        "it is idempotent, but no attempt after that one succeeded"
    } else {
        "it was not retried because it is not idempotent"
    })]
    OutcomeUnknown {
        /// Whether the call is idempotent (the client may have sent it again after the
        /// ambiguous attempt); false when the client stopped there because it is not.
        idempotent: bool,
        /// The last attempt's failure.
        source: Box<Error>,
    },
}

/// What to do about a rejected credential.
fn rejection_hint(answer: &ApiError) -> &'static str {
    if answer.status == StatusCode::UNAUTHORIZED {
        ": it was not accepted for this API; check that it is meant for this workspace"
    } else {
        ": it is invalid, expired or revoked, or belongs to another workspace; create a new one \
         (User Settings > Developer > Access tokens) or use another profile"
    }
}

/// An error answer from the Databricks REST API.
///
/// Displayed as `ERROR_CODE (status): message [request id …]`; a legacy numeric `error_code`
/// equal to the status (`{"error_code": 403, ...}`) is not repeated: `403 Forbidden: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}{}", code_and_status(error_code, *status), request_id.as_ref().map(|r| format!(" [request id {r}]")).unwrap_or_default())]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// `error_code` exactly as sent (an integer code is kept as its decimal text; absent: the
    /// status' canonical name, e.g. `NOT_FOUND`).
    pub error_code: String,
    /// The typed code: from `error_code` when it is known, else from the HTTP status.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Request id from `x-request-id`/`x-databricks-org-id`-style headers or a `[ReqId: …]`
    /// suffix, when present.
    pub request_id: Option<String>,
    /// The optional `details` array, verbatim.
    pub details: Vec<Value>,
    /// `Retry-After`, when the answer carried one.
    pub retry_after: Option<Duration>,
}

macro_rules! error_codes {
    ($( $(#[$m:meta])* $variant:ident = $text:literal => $status:literal ),* $(,)?) => {
        /// Databricks' error codes, with an [`ErrorCode::Unknown`] fallback for codes this
        /// version does not know.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$m])* #[doc = concat!("`", $text, "`")] $variant, )*
            /// A code this version of the SDK does not know, verbatim.
            Unknown(String),
        }

        impl ErrorCode {
            /// Parse a code; never fails.
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }

            /// The code's wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(s) => s,
                }
            }

            /// The HTTP status Databricks answers with for this code (400 for unknown codes).
            pub fn http_status(&self) -> u16 {
                match self {
                    $( Self::$variant => $status, )*
                    Self::Unknown(_) => 400,
                }
            }
        }
    };
}

error_codes! {
    BadRequest = "BAD_REQUEST" => 400,
    InvalidParameterValue = "INVALID_PARAMETER_VALUE" => 400,
    InvalidState = "INVALID_STATE" => 400,
    MalformedRequest = "MALFORMED_REQUEST" => 400,
    MaxBlockSizeExceeded = "MAX_BLOCK_SIZE_EXCEEDED" => 400,
    MaxReadSizeExceeded = "MAX_READ_SIZE_EXCEEDED" => 400,
    MaxNotebookSizeExceeded = "MAX_NOTEBOOK_SIZE_EXCEEDED" => 400,
    DirectoryNotEmpty = "DIRECTORY_NOT_EMPTY" => 400,
    IoError = "IO_ERROR" => 400,
    ResourceLimitExceeded = "RESOURCE_LIMIT_EXCEEDED" => 400,
    QuotaExceeded = "QUOTA_EXCEEDED" => 400,
    ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS" => 400,
    AlreadyExists = "ALREADY_EXISTS" => 409,
    Aborted = "ABORTED" => 409,
    ResourceConflict = "RESOURCE_CONFLICT" => 409,
    Unauthenticated = "UNAUTHENTICATED" => 401,
    PermissionDenied = "PERMISSION_DENIED" => 403,
    CustomerUnauthorized = "CUSTOMER_UNAUTHORIZED" => 403,
    ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST" => 404,
    NotFound = "NOT_FOUND" => 404,
    EndpointNotFound = "ENDPOINT_NOT_FOUND" => 404,
    RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED" => 429,
    ResourceExhausted = "RESOURCE_EXHAUSTED" => 429,
    Cancelled = "CANCELLED" => 499,
    InternalError = "INTERNAL_ERROR" => 500,
    UnknownError = "UNKNOWN" => 500,
    DataLoss = "DATA_LOSS" => 500,
    NotImplemented = "NOT_IMPLEMENTED" => 501,
    TemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE" => 503,
    PartialDelete = "PARTIAL_DELETE" => 503,
    DeadlineExceeded = "DEADLINE_EXCEEDED" => 504,
}

impl ErrorCode {
    /// The code implied by an HTTP status alone (used when `error_code` is absent, numeric or
    /// unknown).
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthenticated,
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            409 => Self::ResourceConflict,
            429 => Self::RequestLimitExceeded,
            499 => Self::Cancelled,
            500 => Self::InternalError,
            501 => Self::NotImplemented,
            503 => Self::TemporarilyUnavailable,
            504 => Self::DeadlineExceeded,
            other => Self::Unknown(other.to_string()),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiError {
    /// Parse an error answer of any known shape. Never fails: unparseable bodies keep the HTTP
    /// reason phrase (or a prefix of the body) as the message.
    pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let retry_after = crate::retry::parse_retry_after(headers);
        let mut request_id = header_str(headers, "x-request-id")
            .or_else(|| header_str(headers, "x-databricks-request-id"));
        let (error_code, message, details) = parse_body(status, headers, body);
        if request_id.is_none() {
            request_id = extract_req_id(&message);
        }
        let code = match ErrorCode::parse(&error_code) {
            ErrorCode::Unknown(_) => ErrorCode::from_status(status),
            known => known,
        };
        Self {
            status,
            error_code,
            code,
            message,
            request_id,
            details,
            retry_after,
        }
    }
}

/// `ERROR_CODE (404 Not Found)`, or just `403 Forbidden` when the code is the status' number.
fn code_and_status(error_code: &str, status: StatusCode) -> String {
    if error_code == status.as_str() {
        status.to_string()
    } else {
        format!("{error_code} ({status})")
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn status_name(status: StatusCode) -> String {
    ErrorCode::from_status(status).as_str().to_string()
}

fn reason(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("Unknown status")
        .to_string()
}

fn parse_body(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> (String, String, Vec<Value>) {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        // SCIM error schema: {"schemas":[...Error], "detail": "...", "status": "409", "scimType": ...}
        let is_scim = map
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.ends_with(":Error")))
            });
        if is_scim || (map.contains_key("detail") && map.contains_key("status")) {
            let scim_status = match map.get("status") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => status.as_u16().to_string(),
            };
            let detail = match map.get("detail").and_then(Value::as_str) {
                None | Some("null") => "SCIM API Internal Error".to_string(),
                Some(d) => d.to_string(),
            };
            let message = match map.get("scimType").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => format!("{t} {detail}"),
                _ => detail,
            };
            return (format!("SCIM_{scim_status}"), message, Vec::new());
        }
        let error_code = match map.get("error_code") {
            Some(Value::String(s)) => Some(s.clone()),
            // Legacy 401/403: an integer code; keep the digits, type by status.
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let message = map
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| map.get("error").and_then(Value::as_str).map(str::to_string))
            .or_else(|| header_str(headers, "x-databricks-reason-phrase"))
            .unwrap_or_else(|| reason(status));
        let details = map
            .get("details")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        return (
            error_code.unwrap_or_else(|| status_name(status)),
            message,
            details,
        );
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        let message =
            header_str(headers, "x-databricks-reason-phrase").unwrap_or_else(|| reason(status));
        return (status_name(status), message, Vec::new());
    }
    if let Some(msg) = html_message(text) {
        return (status_name(status), msg, Vec::new());
    }
    // `ERROR_CODE: message` plain text.
    if let Some((code, msg)) = text.split_once(": ") {
        if !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return (code.to_string(), msg.trim().to_string(), Vec::new());
        }
    }
    (status_name(status), truncate(text, 512), Vec::new())
}

fn html_message(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if !(lower.starts_with("<!doctype") || lower.starts_with("<html") || lower.contains("<body")) {
        return None;
    }
    for (open, close) in [
        ("<pre>", "</pre>"),
        ("<title>", "</title>"),
        ("<h2>", "</h2>"),
    ] {
        if let Some(start) = lower.find(open) {
            let from = start + open.len();
            if let Some(len) = lower[from..].find(close) {
                let inner = text[from..from + len].trim();
                if !inner.is_empty() {
                    return Some(inner.to_string());
                }
            }
        }
    }
    Some(truncate(text, 512))
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn extract_req_id(message: &str) -> Option<String> {
    let start = message.find("[ReqId: ")? + "[ReqId: ".len();
    let len = message[start..].find(']')?;
    Some(message[start..start + len].trim().to_string())
}

impl Error {
    /// The API error, when this is one (also the answer of [`Error::CredentialRejected`]; for [`Error::OutcomeUnknown`], the last attempt's).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::CredentialRejected { source: e, .. } => Some(e),
            Error::OutcomeUnknown { source, .. } => source.api(),
            _ => None,
        }
    }

    /// The request may have been applied by the server although the call failed: an attempt
    /// ended in a way that does not say whether the server did the work (the client's
    /// timeout, a transport timeout, a connection that broke after the request was sent, a 504
    /// answer), and either the call is not idempotent, so the client did not send it again, or
    /// it is, was sent again, and the last attempt failed too (e.g. a repeated delete answering
    /// `RESOURCE_DOES_NOT_EXIST` because the first attempt deleted it). GET, HEAD and OPTIONS
    /// calls change nothing and are never reported so.
    ///
    /// The client never guesses: look at the workspace to learn what happened (that is what
    /// the soak test `tests/soak.rs` does). The error's `Display` starts with "the request may
    /// have been applied". A call that failed without this mark did not take effect; one that
    /// succeeded took effect once.
    ///
    /// Calls that cannot be made safe, and so report this after an ambiguous failure instead
    /// of being repeated (see `docs/architecture.md`, "Retries and ambiguous outcomes"):
    /// creates with no idempotency key (jobs `create`, tokens `create`, secret scopes `create`,
    /// SCIM users, groups and service principals `POST`, groups 2.0 `create`), clusters `create`
    /// and jobs `run-now` / `runs/submit` without an `idempotency_token`, SCIM `PATCH`, groups
    /// 2.0 `add-member` / `remove-member`, clusters `edit` / `update` / `resize`, jobs
    /// `runs/repair`, DBFS `move`, and DBFS `create` / `put` and workspace `import` without
    /// overwrite. DBFS `add-block` is one too, but the streaming upload starts again instead
    /// when it can re-read its source. Idempotent calls (puts that overwrite, deletes, creates
    /// with an idempotency token) are repeated; they report this only when no later attempt
    /// succeeded, e.g. a repeated delete answering `RESOURCE_DOES_NOT_EXIST` (then
    /// [`Error::is_not_found`] is true as well: the resource is gone, perhaps by this call).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        self.api().map(|e| e.status)
    }

    /// `error_code` verbatim, for an API error.
    pub fn error_code(&self) -> Option<&str> {
        self.api().map(|e| e.error_code.as_str())
    }

    fn code_is(&self, f: impl Fn(&ErrorCode) -> bool) -> bool {
        self.api().is_some_and(|e| f(&e.code))
    }

    /// The resource does not exist (`RESOURCE_DOES_NOT_EXIST`, `NOT_FOUND`, any 404, and the
    /// 400 `INVALID_PARAMETER_VALUE` "... does not exist" answers of clusters/get and jobs/get).
    pub fn is_not_found(&self) -> bool {
        let Some(e) = self.api() else { return false };
        matches!(
            e.code,
            ErrorCode::ResourceDoesNotExist | ErrorCode::NotFound
        ) || (e.status == StatusCode::NOT_FOUND && e.code != ErrorCode::EndpointNotFound)
            || (e.code == ErrorCode::InvalidParameterValue && e.message.contains("does not exist"))
    }

    /// The resource already exists (`RESOURCE_ALREADY_EXISTS`, `ALREADY_EXISTS`, SCIM 409).
    pub fn is_already_exists(&self) -> bool {
        self.code_is(|c| {
            matches!(
                c,
                ErrorCode::ResourceAlreadyExists | ErrorCode::AlreadyExists
            )
        }) || self.error_code() == Some("SCIM_409")
    }

    /// An argument was rejected (`INVALID_PARAMETER_VALUE`, `MALFORMED_REQUEST`, `BAD_REQUEST`).
    pub fn is_invalid_parameter(&self) -> bool {
        self.code_is(|c| {
            matches!(
                c,
                ErrorCode::InvalidParameterValue
                    | ErrorCode::MalformedRequest
                    | ErrorCode::BadRequest
            )
        })
    }

    /// The caller is authenticated but not allowed (403).
    pub fn is_permission_denied(&self) -> bool {
        self.code_is(|c| {
            matches!(
                c,
                ErrorCode::PermissionDenied | ErrorCode::CustomerUnauthorized
            )
        }) && !self.is_invalid_token()
    }

    /// The credential was missing or of an unsupported type (401).
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// The token was invalid, revoked or expired (403 "Invalid access token.").
    pub fn is_invalid_token(&self) -> bool {
        self.api().is_some_and(|e| {
            e.status == StatusCode::FORBIDDEN && e.message.starts_with("Invalid access token")
        })
    }

    /// The call was throttled (429, `REQUEST_LIMIT_EXCEEDED`, `RESOURCE_EXHAUSTED`).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.code_is(|c| {
                matches!(
                    c,
                    ErrorCode::RequestLimitExceeded | ErrorCode::ResourceExhausted
                )
            })
    }

    /// Retrying the same call later may succeed whatever its method: throttling (429,
    /// `REQUEST_LIMIT_EXCEEDED`), temporary unavailability (503, `TEMPORARILY_UNAVAILABLE`), a
    /// connection that was never established. `PARTIAL_DELETE` is excluded: it means "call again
    /// to continue", which the DBFS helpers do explicitly. This is
    /// [`retry::classify`](crate::retry::classify) for a call that is not idempotent; see
    /// [`Error::retry_decision`] for one that is.
    pub fn is_retryable(&self) -> bool {
        self.retry_decision(Idempotency::NotIdempotent) == RetryDecision::Retry
    }

    /// What the client's retry loop would decide after this failure, for a call of the given
    /// [`Idempotency`] ([`retry::classify`](crate::retry::classify)). Errors that are not the
    /// outcome of an attempt (configuration, decode, OAuth...) are never retried.
    pub fn retry_decision(&self, idempotency: Idempotency) -> RetryDecision {
        let attempt = match self {
            Error::Api(e) | Error::CredentialRejected { source: e, .. } => Attempt::Answer {
                status: e.status,
                error_code: Some(e.error_code.as_str()),
            },
            Error::Timeout(_) => Attempt::TimedOut,
            Error::Transport(t) => Attempt::Transport(t.kind),
            Error::OutcomeUnknown { source, .. } => return source.retry_decision(idempotency),
            _ => return RetryDecision::Stop,
        };
        crate::retry::classify(idempotency, &attempt)
    }

    /// A timeout, either the client's own or a 504 / `DEADLINE_EXCEEDED` answer.
    pub fn is_timeout(&self) -> bool {
        if let Error::OutcomeUnknown { source, .. } = self {
            return source.is_timeout();
        }
        matches!(self, Error::Timeout(_))
            || matches!(self, Error::Transport(t) if t.kind == crate::transport::TransportErrorKind::Timeout)
            || self.status() == Some(StatusCode::GATEWAY_TIMEOUT)
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// Displays an error and every cause in its `source()` chain, one per line:
///
/// ```text
/// local I/O failed on /tmp/out.bin
///   caused by: No space left on device (os error 28)
/// ```
///
/// The errors of this SDK never repeat a cause in their own text, so each appears once. The
/// examples of every crate print their errors this way.
///
/// ```
/// let e = dbx_core::TransferError::io("/tmp/a.txt", std::io::Error::other("disk on fire"));
/// assert_eq!(
///     dbx_core::error::Report(&e).to_string(),
///     "local I/O failed on /tmp/a.txt\n  caused by: disk on fire"
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, "\n  caused by: {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(
            StatusCode::from_u16(status).expect("status"),
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn envelope() {
        let e = parse(
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Scope foo does not exist!","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"x"}]}"#,
        );
        assert_eq!(e.error_code, "RESOURCE_DOES_NOT_EXIST");
        assert_eq!(e.code, ErrorCode::ResourceDoesNotExist);
        assert_eq!(e.message, "Scope foo does not exist!");
        assert_eq!(e.details.len(), 1);
        assert!(Error::from(e).is_not_found());
    }

    #[test]
    fn legacy_integer_codes() {
        let e = parse(
            401,
            r#"{"error_code":401,"message":"Credential was not sent or was of an unsupported type for this API. [ReqId: 1234-abcd]"}"#,
        );
        assert_eq!(e.error_code, "401");
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        assert_eq!(e.request_id.as_deref(), Some("1234-abcd"));
        let err = Error::from(e);
        assert!(err.is_unauthenticated());

        let e = parse(
            403,
            r#"{"error_code":403,"message":"Invalid access token."}"#,
        );
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        let err = Error::from(e);
        assert!(err.is_invalid_token());
        assert!(!err.is_permission_denied());
    }

    #[test]
    fn scim_schema() {
        let e = parse(
            409,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"Group with name admins already exists.","status":"409","scimType":"uniqueness"}"#,
        );
        assert_eq!(e.error_code, "SCIM_409");
        assert_eq!(
            e.message,
            "uniqueness Group with name admins already exists."
        );
        assert_eq!(e.code, ErrorCode::ResourceConflict);
        assert!(Error::from(e).is_already_exists());
        let e = parse(
            500,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"null","status":"500"}"#,
        );
        assert_eq!(e.message, "SCIM API Internal Error");
    }

    #[test]
    fn non_json_bodies() {
        let e = parse(
            403,
            "<html><head><title>Error 403 Invalid access token.</title></head><body><h2>HTTP ERROR 403</h2><pre>Invalid access token.</pre></body></html>",
        );
        assert_eq!(e.message, "Invalid access token.");
        assert_eq!(e.error_code, "PERMISSION_DENIED");
        assert!(Error::from(e).is_invalid_token());

        let e = parse(400, "INVALID_PARAMETER_VALUE: path must be absolute");
        assert_eq!(e.error_code, "INVALID_PARAMETER_VALUE");
        assert_eq!(e.message, "path must be absolute");

        let e = parse(502, "");
        assert_eq!(e.message, "Bad Gateway");
        assert_eq!(e.code, ErrorCode::Unknown("502".into()));

        let e = parse(404, r#"{"error":"Bad Target: /api/2.9/x"}"#);
        assert_eq!(e.message, "Bad Target: /api/2.9/x");
        assert_eq!(e.error_code, "NOT_FOUND");

        let e = parse(500, "something broke");
        assert_eq!(e.message, "something broke");
        assert_eq!(e.code, ErrorCode::InternalError);
    }

    #[test]
    fn unknown_code_falls_back_to_status() {
        let e = parse(
            429,
            r#"{"error_code":"BRAND_NEW_CODE","message":"slow down"}"#,
        );
        assert_eq!(e.error_code, "BRAND_NEW_CODE");
        assert_eq!(e.code, ErrorCode::RequestLimitExceeded);
        let err = Error::from(e);
        assert!(err.is_rate_limited());
        assert!(err.is_retryable());
    }

    #[test]
    fn not_found_overrides() {
        let e = parse(
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster 0124-165313-5fpp2uv9 does not exist"}"#,
        );
        assert!(Error::from(e).is_not_found());
        let e = parse(
            404,
            r#"{"error_code":"ENDPOINT_NOT_FOUND","message":"No API found for 'GET /x'"}"#,
        );
        assert!(!Error::from(e).is_not_found());
    }

    #[test]
    fn partial_delete_is_not_blindly_retryable() {
        let e = parse(
            503,
            r#"{"error_code":"PARTIAL_DELETE","message":"deleted 100 files"}"#,
        );
        assert!(!Error::from(e).is_retryable());
    }
}

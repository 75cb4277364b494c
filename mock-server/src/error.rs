//! The emulator's error type and its wire form.
//!
//! Every error the emulator returns is an [`ApiError`]: an HTTP status, a JSON body (usually the
//! Databricks envelope `{"error_code":..,"message":..}`) and optional extra headers. Responses
//! always carry `Content-Type: application/json`.

use std::fmt;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};

/// An error response: status, JSON body and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The RFC 7644 §3.12 `scimType` the error carries when answered in the SCIM shape.
    scim_type: Option<&'static str>,
}

/// Every Databricks `error_code` the emulator answers with: a misspelt code fails to compile
/// instead of becoming a silent 400. The wire string is [`ErrorCode::as_str`]; the HTTP status
/// Databricks pairs with it is [`ErrorCode::status`] (the "Error handling" part of
/// <https://docs.databricks.com/api/workspace/introduction>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: a generic bad request.
    BadRequest,
    /// 400: a parameter has a bad value, or a required one is missing.
    InvalidParameterValue,
    /// 400: the body is not valid JSON, or a field has the wrong JSON type.
    MalformedRequest,
    /// 400: the operation does not fit the resource's current state.
    InvalidState,
    /// 400 (legacy 2.0 APIs): the resource already exists.
    ResourceAlreadyExists,
    /// 400 (legacy): too many resources of a kind.
    ResourceLimitExceeded,
    /// 400 (legacy): a per-user quota is used up.
    QuotaExceeded,
    /// 400 (DBFS): a block over 1 MB.
    MaxBlockSizeExceeded,
    /// 400 (DBFS): a read over 1 MB.
    MaxReadSizeExceeded,
    /// 400 (Workspace): a notebook over 10 MB.
    MaxNotebookSizeExceeded,
    /// 400 (DBFS, Workspace): an I/O-style failure, e.g. a file where a directory is needed.
    IoError,
    /// 400 (Workspace): a non-recursive delete of a non-empty directory.
    DirectoryNotEmpty,
    /// 401: no usable credential.
    Unauthenticated,
    /// 403: the caller may not do this.
    PermissionDenied,
    /// 403: the workspace does not allow this for the customer (reserved names).
    CustomerUnauthorized,
    /// 404: the resource does not exist.
    ResourceDoesNotExist,
    /// 404: the resource was not found (newer APIs).
    NotFound,
    /// 404: no such route.
    EndpointNotFound,
    /// 409: the resource already exists (newer APIs).
    AlreadyExists,
    /// 409: a concurrent change conflicted.
    Aborted,
    /// 409: the resource is in a conflicting state.
    ResourceConflict,
    /// 429: rate limited.
    RequestLimitExceeded,
    /// 429: a resource is exhausted.
    ResourceExhausted,
    /// 499: the client cancelled.
    Cancelled,
    /// 500: the server failed.
    InternalError,
    /// 500: an unknown failure.
    Unknown,
    /// 500: data was lost.
    DataLoss,
    /// 501: not implemented.
    NotImplemented,
    /// 503: try again later.
    TemporarilyUnavailable,
    /// 503 (DBFS): a recursive delete did part of its work; call again.
    PartialDelete,
    /// 504: the server ran out of time.
    DeadlineExceeded,
}

impl ErrorCode {
    /// Every code, for tables and tests.
    pub const ALL: [ErrorCode; 31] = [
        Self::BadRequest,
        Self::InvalidParameterValue,
        Self::MalformedRequest,
        Self::InvalidState,
        Self::ResourceAlreadyExists,
        Self::ResourceLimitExceeded,
        Self::QuotaExceeded,
        Self::MaxBlockSizeExceeded,
        Self::MaxReadSizeExceeded,
        Self::MaxNotebookSizeExceeded,
        Self::IoError,
        Self::DirectoryNotEmpty,
        Self::Unauthenticated,
        Self::PermissionDenied,
        Self::CustomerUnauthorized,
        Self::ResourceDoesNotExist,
        Self::NotFound,
        Self::EndpointNotFound,
        Self::AlreadyExists,
        Self::Aborted,
        Self::ResourceConflict,
        Self::RequestLimitExceeded,
        Self::ResourceExhausted,
        Self::Cancelled,
        Self::InternalError,
        Self::Unknown,
        Self::DataLoss,
        Self::NotImplemented,
        Self::TemporarilyUnavailable,
        Self::PartialDelete,
        Self::DeadlineExceeded,
    ];

    /// The wire string (`"RESOURCE_DOES_NOT_EXIST"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            Self::MalformedRequest => "MALFORMED_REQUEST",
            Self::InvalidState => "INVALID_STATE",
            Self::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            Self::ResourceLimitExceeded => "RESOURCE_LIMIT_EXCEEDED",
            Self::QuotaExceeded => "QUOTA_EXCEEDED",
            Self::MaxBlockSizeExceeded => "MAX_BLOCK_SIZE_EXCEEDED",
            Self::MaxReadSizeExceeded => "MAX_READ_SIZE_EXCEEDED",
            Self::MaxNotebookSizeExceeded => "MAX_NOTEBOOK_SIZE_EXCEEDED",
            Self::IoError => "IO_ERROR",
            Self::DirectoryNotEmpty => "DIRECTORY_NOT_EMPTY",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::CustomerUnauthorized => "CUSTOMER_UNAUTHORIZED",
            Self::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            Self::NotFound => "NOT_FOUND",
            Self::EndpointNotFound => "ENDPOINT_NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::Aborted => "ABORTED",
            Self::ResourceConflict => "RESOURCE_CONFLICT",
            Self::RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::Cancelled => "CANCELLED",
            Self::InternalError => "INTERNAL_ERROR",
            Self::Unknown => "UNKNOWN",
            Self::DataLoss => "DATA_LOSS",
            Self::NotImplemented => "NOT_IMPLEMENTED",
            Self::TemporarilyUnavailable => "TEMPORARILY_UNAVAILABLE",
            Self::PartialDelete => "PARTIAL_DELETE",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
        }
    }

    /// The code for a wire string, if it is one of ours.
    pub fn from_wire(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status Databricks uses with this code (the "Error handling" part of
    /// <https://docs.databricks.com/api/workspace/introduction>). The legacy 2.0 codes
    /// (`RESOURCE_ALREADY_EXISTS`, `MAX_*_EXCEEDED`, `IO_ERROR`, `DIRECTORY_NOT_EMPTY`,
    /// `RESOURCE_LIMIT_EXCEEDED`, `QUOTA_EXCEEDED`) are all 400.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied | Self::CustomerUnauthorized => StatusCode::FORBIDDEN,
            Self::ResourceDoesNotExist | Self::NotFound | Self::EndpointNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::AlreadyExists | Self::Aborted | Self::ResourceConflict => StatusCode::CONFLICT,
            Self::RequestLimitExceeded | Self::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            // 499 is a valid status code, so this cannot fail; the fallback is unreachable.
            Self::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
            Self::InternalError | Self::Unknown | Self::DataLoss => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Self::TemporarilyUnavailable | Self::PartialDelete => StatusCode::SERVICE_UNAVAILABLE,
            Self::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Self::BadRequest
            | Self::InvalidParameterValue
            | Self::MalformedRequest
            | Self::InvalidState
            | Self::ResourceAlreadyExists
            | Self::ResourceLimitExceeded
            | Self::QuotaExceeded
            | Self::MaxBlockSizeExceeded
            | Self::MaxReadSizeExceeded
            | Self::MaxNotebookSizeExceeded
            | Self::IoError
            | Self::DirectoryNotEmpty => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP status Databricks uses for a string `error_code` (see [`ErrorCode::status`]).
///
/// Codes that are not an [`ErrorCode`] map to 400.
pub fn status_for_error_code(code: &str) -> StatusCode {
    ErrorCode::from_wire(code).map_or(StatusCode::BAD_REQUEST, ErrorCode::status)
}

/// The default `error_code` for an HTTP status, used by injected faults.
pub fn error_code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::PermissionDenied,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::ResourceConflict,
        429 => ErrorCode::RequestLimitExceeded,
        499 => ErrorCode::Cancelled,
        501 => ErrorCode::NotImplemented,
        503 => ErrorCode::TemporarilyUnavailable,
        504 => ErrorCode::DeadlineExceeded,
        s if (400..500).contains(&s) => ErrorCode::BadRequest,
        _ => ErrorCode::InternalError,
    }
}

impl ApiError {
    /// A Databricks envelope error whose status follows from `code` ([`ErrorCode::status`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::with_status(code.status(), code.as_str(), message)
    }

    /// A Databricks envelope error with an explicit status and any code string (injected faults
    /// may name codes the emulator never produces itself).
    pub fn with_status(status: StatusCode, error_code: &str, message: impl Into<String>) -> Self {
        Self::raw(
            status,
            json!({"error_code": error_code, "message": message.into()}),
        )
    }

    /// An error with an arbitrary JSON body.
    pub fn raw(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
            scim_type: None,
        }
    }

    /// The same error with an RFC 7644 §3.12 `scimType` (`invalidFilter`, `uniqueness`,
    /// `mutability`, `invalidPath`, `noTarget`, `invalidValue`, `invalidSyntax`), shown when the
    /// error is answered in the SCIM shape ([`ApiError::into_scim`]).
    pub fn with_scim_type(mut self, scim_type: &'static str) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    /// Add a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The string `error_code` (or the OAuth `error`), if the body has one.
    pub fn error_code(&self) -> Option<&str> {
        self.body
            .get("error_code")
            .or_else(|| self.body.get("error"))
            .and_then(Value::as_str)
    }

    /// The human-readable message (or the OAuth `error_description`, or the SCIM `detail`), if
    /// the body has one.
    pub fn message(&self) -> Option<&str> {
        self.body
            .get("message")
            .or_else(|| self.body.get("error_description"))
            .or_else(|| self.body.get("detail"))
            .and_then(Value::as_str)
    }

    /// The JSON body.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// 400 `INVALID_PARAMETER_VALUE`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// 400 `MALFORMED_REQUEST`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, message)
    }

    /// 400 `INVALID_PARAMETER_VALUE` "Missing required field: `name`".
    pub fn missing_field(name: &str) -> Self {
        Self::invalid_parameter(format!("Missing required field: {name}"))
    }

    /// 400 `MALFORMED_REQUEST` for a parameter of the wrong JSON type.
    pub fn wrong_type(name: &str, expected: &str) -> Self {
        Self::malformed(format!(
            "Could not parse request object: Expected {expected} for field '{name}'"
        ))
    }

    /// 404 `RESOURCE_DOES_NOT_EXIST`.
    pub fn does_not_exist(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceDoesNotExist, message)
    }

    /// 400 `RESOURCE_ALREADY_EXISTS` (the status of the legacy 2.0 APIs).
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceAlreadyExists, message)
    }

    /// 500 `INTERNAL_ERROR`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    /// 404 `ENDPOINT_NOT_FOUND` "No API found for '`METHOD` `path`'".
    pub fn endpoint_not_found(method: &str, path: &str) -> Self {
        Self::new(
            ErrorCode::EndpointNotFound,
            format!("No API found for '{method} {path}'"),
        )
    }

    /// 404 `{"error":"Bad Target: <path>"}` for an unknown API version.
    pub fn bad_target(path: &str) -> Self {
        Self::raw(
            StatusCode::NOT_FOUND,
            json!({"error": format!("Bad Target: {path}")}),
        )
    }

    /// 401 with the legacy integer `error_code` (<https://docs.databricks.com/en/dev-tools/auth/pat.html>).
    pub fn unauthenticated(request_id: &str) -> Self {
        Self::raw(
            StatusCode::UNAUTHORIZED,
            json!({
                "error_code": 401,
                "message": format!(
                    "Credential was not sent or was of an unsupported type for this API. \
                     [ReqId: {request_id}]"
                ),
            }),
        )
    }

    /// 403 "Invalid access token." with the integer `error_code` and the reason-phrase header.
    pub fn invalid_token() -> Self {
        Self::raw(
            StatusCode::FORBIDDEN,
            json!({"error_code": 403, "message": "Invalid access token."}),
        )
        .with_header(
            HeaderName::from_static("x-databricks-reason-phrase"),
            HeaderValue::from_static("Invalid access token."),
        )
    }

    /// An OAuth-style error `{"error":..,"error_description":..}`.
    pub fn oauth(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self::raw(
            status,
            json!({"error": error, "error_description": description.into()}),
        )
    }

    /// 413 for a body over the configured limit.
    ///
    /// Our inference (docs/emulator.md): the docs do not document Databricks' answer to an oversized body;
    /// we use HTTP 413 with the `BAD_REQUEST` envelope.
    pub fn body_too_large(limit: usize) -> Self {
        Self::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest.as_str(),
            format!("Request body is too large (limit {limit} bytes)"),
        )
    }
}

impl ApiError {
    /// The same error as an RFC 7644 §3.12 SCIM error body:
    /// `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": .., "status": ".."}`,
    /// plus `scimType` when one was set ([`ApiError::with_scim_type`]).
    pub fn into_scim(self) -> Self {
        let detail = self
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| self.status.canonical_reason().unwrap_or("").to_owned());
        let mut body = json!({
            "schemas": [SCIM_ERROR_SCHEMA],
            "detail": detail,
            "status": self.status.as_u16().to_string(),
        });
        if let (Some(t), Value::Object(map)) = (self.scim_type, &mut body) {
            map.insert("scimType".to_owned(), Value::String(t.to_owned()));
        }
        Self { body, ..self }
    }
}

/// The schema URN of SCIM error bodies (RFC 7644 §3.12).
pub const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        if let Some(code) = self.error_code() {
            write!(f, " {code}")?;
        }
        if let Some(msg) = self.message() {
            write!(f, ": {msg}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A JSON response with `status` and `body`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    // The same compact JSON as `body.to_string()`, written by serde_json's own writer: `Display`
    // goes through `fmt::Write` piece by piece, several times slower (docs/architecture.md,
    // "Connections").
    let bytes =
        crate::json_text::to_json_bytes(body).unwrap_or_else(|_| Bytes::from(body.to_string()));
    json_bytes_response(status, bytes)
}

/// A response with `status` and `json` (JSON text) as an `application/json` body.
pub(crate) fn json_bytes_response(status: StatusCode, json: Bytes) -> Response {
    let mut resp = Response::new(axum::body::Body::from(json));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status, &self.body);
        for (name, value) in self.headers {
            resp.headers_mut().append(name, value);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_statuses() {
        assert_eq!(status_for_error_code("QUOTA_EXCEEDED"), 400);
        assert_eq!(status_for_error_code("RESOURCE_DOES_NOT_EXIST"), 404);
        assert_eq!(status_for_error_code("CANCELLED").as_u16(), 499);
        assert_eq!(
            error_code_for_status(StatusCode::TOO_MANY_REQUESTS),
            ErrorCode::RequestLimitExceeded
        );
        assert_eq!(
            error_code_for_status(StatusCode::BAD_GATEWAY),
            ErrorCode::InternalError
        );
    }

    #[test]
    fn every_code_round_trips_through_its_wire_string() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            assert_eq!(status_for_error_code(code.as_str()), code.status());
        }
        assert_eq!(ErrorCode::from_wire("NO_SUCH_CODE"), None);
        assert_eq!(
            status_for_error_code("NO_SUCH_CODE"),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn display_names_code_and_message() {
        let e = ApiError::does_not_exist("nope");
        assert_eq!(e.to_string(), "HTTP 404 RESOURCE_DOES_NOT_EXIST: nope");
    }
}

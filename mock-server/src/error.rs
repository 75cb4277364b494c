//! The emulator's error type and its wire form.
//!
//! Every error the emulator returns is an [`ApiError`]: an HTTP status, a JSON body (usually the
//! Databricks envelope `{"error_code":..,"message":..}`) and optional extra headers. Responses
//! always carry `Content-Type: application/json`.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};

/// An error response: status, JSON body and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The HTTP status Databricks uses for a string `error_code` (catalogue §2.3).
///
/// Codes not in the table map to 400 for names that look like client errors and 500 otherwise.
pub fn status_for_error_code(code: &str) -> StatusCode {
    match code {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "PERMISSION_DENIED" | "CUSTOMER_UNAUTHORIZED" => StatusCode::FORBIDDEN,
        "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" | "ENDPOINT_NOT_FOUND" => StatusCode::NOT_FOUND,
        "ALREADY_EXISTS" | "ABORTED" | "RESOURCE_CONFLICT" => StatusCode::CONFLICT,
        "REQUEST_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED" => StatusCode::TOO_MANY_REQUESTS,
        // 499 is a valid status code, so this cannot fail; the fallback is unreachable.
        "CANCELLED" => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        "INTERNAL_ERROR" | "UNKNOWN" | "DATA_LOSS" => StatusCode::INTERNAL_SERVER_ERROR,
        "NOT_IMPLEMENTED" => StatusCode::NOT_IMPLEMENTED,
        "TEMPORARILY_UNAVAILABLE" | "PARTIAL_DELETE" => StatusCode::SERVICE_UNAVAILABLE,
        "DEADLINE_EXCEEDED" => StatusCode::GATEWAY_TIMEOUT,
        // BAD_REQUEST, INVALID_PARAMETER_VALUE, INVALID_STATE, MALFORMED_REQUEST, the legacy
        // MAX_*_EXCEEDED / IO_ERROR / DIRECTORY_NOT_EMPTY / RESOURCE_LIMIT_EXCEEDED /
        // QUOTA_EXCEEDED codes, and RESOURCE_ALREADY_EXISTS on the legacy 2.0 APIs: all 400.
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The default `error_code` for an HTTP status, used by injected faults.
pub fn error_code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "RESOURCE_CONFLICT",
        429 => "REQUEST_LIMIT_EXCEEDED",
        499 => "CANCELLED",
        501 => "NOT_IMPLEMENTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if (400..500).contains(&s) => "BAD_REQUEST",
        _ => "INTERNAL_ERROR",
    }
}

impl ApiError {
    /// A Databricks envelope error whose status follows from `error_code`
    /// ([`status_for_error_code`]).
    pub fn new(error_code: &str, message: impl Into<String>) -> Self {
        Self::with_status(status_for_error_code(error_code), error_code, message)
    }

    /// A Databricks envelope error with an explicit status.
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
        }
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

    /// The human-readable message (or the OAuth `error_description`), if the body has one.
    pub fn message(&self) -> Option<&str> {
        self.body
            .get("message")
            .or_else(|| self.body.get("error_description"))
            .and_then(Value::as_str)
    }

    /// The JSON body.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// 400 `INVALID_PARAMETER_VALUE`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("INVALID_PARAMETER_VALUE", message)
    }

    /// 400 `MALFORMED_REQUEST`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new("MALFORMED_REQUEST", message)
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
        Self::new("RESOURCE_DOES_NOT_EXIST", message)
    }

    /// 400 `RESOURCE_ALREADY_EXISTS` (the legacy 2.0 status, catalogue §2.3).
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new("RESOURCE_ALREADY_EXISTS", message)
    }

    /// 500 `INTERNAL_ERROR`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("INTERNAL_ERROR", message)
    }

    /// 404 `ENDPOINT_NOT_FOUND` "No API found for '`METHOD` `path`'".
    pub fn endpoint_not_found(method: &str, path: &str) -> Self {
        Self::new(
            "ENDPOINT_NOT_FOUND",
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

    /// 401 with the legacy integer `error_code` (catalogue §1.1).
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
    /// Our inference: the catalogue does not document Databricks' answer to an oversized body;
    /// we use HTTP 413 with the `BAD_REQUEST` envelope.
    pub fn body_too_large(limit: usize) -> Self {
        Self::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_REQUEST",
            format!("Request body is too large (limit {limit} bytes)"),
        )
    }
}

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
    let mut resp = (status, body.to_string()).into_response();
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
            "REQUEST_LIMIT_EXCEEDED"
        );
        assert_eq!(
            error_code_for_status(StatusCode::BAD_GATEWAY),
            "INTERNAL_ERROR"
        );
    }

    #[test]
    fn display_names_code_and_message() {
        let e = ApiError::does_not_exist("nope");
        assert_eq!(e.to_string(), "HTTP 404 RESOURCE_DOES_NOT_EXIST: nope");
    }
}

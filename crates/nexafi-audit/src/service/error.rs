//! The one place where failures become HTTP responses: a status code and a JSON body
//! `{"error": {"code", "message", "field"?}}`. Internal details go to the log, not to
//! the caller.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::event::FieldError;
use crate::sequencer::AppendError;
use crate::store::StoreError;

/// An API failure.
#[derive(Debug)]
pub enum ApiError {
    BadRequest {
        message: String,
        field: Option<String>,
    },
    Unauthorized,
    Forbidden(&'static str),
    /// The token's tenant list does not contain this tenant.
    TenantForbidden(String),
    /// The request spans every tenant, which a tenant-bound token may not do; the text
    /// completes "a token bound to tenants cannot ...".
    AllTenantsForbidden(&'static str),
    NotFound(String),
    Conflict(String),
    PayloadTooLarge(usize),
    QueueFull,
    Unavailable(String),
    Internal(String),
}

impl ApiError {
    pub fn field(error: FieldError) -> ApiError {
        ApiError::BadRequest {
            message: error.to_string(),
            field: Some(error.field),
        }
    }

    /// Builds the 400 error for a query-string parameter. `message` is the whole text, and
    /// `field` names the parameter.
    pub fn parameter(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: Some(name.to_owned()),
        }
    }

    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict { .. } => ApiError::Conflict(error.to_string()),
            AppendError::QueueFull => ApiError::QueueFull,
            AppendError::Stopped => {
                ApiError::Unavailable("the service is shutting down".to_owned())
            }
            AppendError::Store(message) => ApiError::Unavailable(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut tenant = None;
        let (status, code, message, field) = match self {
            ApiError::BadRequest { message, field } => {
                (StatusCode::BAD_REQUEST, "invalid_request", message, field)
            }
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer <token>)".to_owned(),
                None,
            ),
            ApiError::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("the token lacks the `{scope}` scope"),
                None,
            ),
            ApiError::TenantForbidden(name) => {
                let message = format!("the token is not allowed to access tenant `{name}`");
                tenant = Some(name);
                (StatusCode::FORBIDDEN, "forbidden_tenant", message, None)
            }
            ApiError::AllTenantsForbidden(action) => (
                StatusCode::FORBIDDEN,
                "forbidden_tenant",
                format!(
                    "a token bound to tenants cannot {action}; use a token without a tenant list"
                ),
                None,
            ),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message, None),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, "conflict", message, None),
            ApiError::PayloadTooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body exceeds the limit of {limit} bytes"),
                None,
            ),
            ApiError::QueueFull => (
                StatusCode::TOO_MANY_REQUESTS,
                "queue_full",
                "the append queue is full; retry after the Retry-After delay".to_owned(),
                None,
            ),
            ApiError::Unavailable(detail) => {
                tracing::error!(%detail, "request failed: service unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the request did not complete; retry with the same event_id, which returns the original index if the event was stored".to_owned(),
                    None,
                )
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "request failed: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the service log".to_owned(),
                    None,
                )
            }
        };
        let mut body = json!({"error": {"code": code, "message": message}});
        if let Some(field) = field {
            body["error"]["field"] = json!(field);
        }
        if let Some(tenant) = tenant {
            body["error"]["tenant"] = json!(tenant);
        }
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

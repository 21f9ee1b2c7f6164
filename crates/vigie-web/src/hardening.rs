//! What every answer gets whatever the route: security headers, and a per-client-address rate
//! limit (a token bucket: `burst` requests at once, refilled at `requests_per_second`).
//!
//! The Content-Security-Policy fits the console: its own scripts, styles, images and fonts
//! only; `data:` images (MapLibre's controls) and `blob:` workers (MapLibre's tile workers);
//! no framing (`frame-ancestors 'none'`), no plugins, no foreign form targets.

use crate::AppState;
use crate::auth::client_address;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The console's Content-Security-Policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
child-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// HSTS, sent over TLS only: one year, subdomains included (RFC 6797).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Transport security and request limits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// HTTPS is served: cookies are `Secure` with the `__Host-` prefix, and HSTS is sent.
    #[serde(skip)]
    pub https: bool,
    /// Requests each client address may make per second, sustained (0: no limit).
    pub requests_per_second: u32,
    /// Requests each client address may make at once, above the sustained rate.
    pub burst: u32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        // Generous: the console polls a handful of routes, a gateway posts a batch a second;
        // a client beyond this is broken or hostile.
        SecurityConfig { https: false, requests_per_second: 200, burst: 400 }
    }
}

/// The settings and the rate limiter's buckets.
pub struct Security {
    /// The settings.
    pub config: SecurityConfig,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The most addresses tracked at once; past that, those whose bucket is full again are
/// forgotten, and if that is not enough, all are.
const MAX_TRACKED: usize = 65_536;

impl Security {
    /// Starts with empty buckets.
    pub fn new(config: SecurityConfig) -> Security {
        Security { config, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request for `client`, or says in how many seconds one will be allowed.
    pub fn take(&self, client: IpAddr) -> Result<(), u64> {
        let rate = f64::from(self.config.requests_per_second);
        if rate <= 0.0 {
            return Ok(());
        }
        let capacity = f64::from(self.config.burst.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&client) {
            buckets
                .retain(|_, bucket| bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate < capacity);
            if buckets.len() >= MAX_TRACKED {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket { tokens: capacity, updated: now });
        let tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * rate).min(capacity);
        bucket.updated = now;
        if tokens < 1.0 {
            bucket.tokens = tokens;
            return Err(((1.0 - tokens) / rate).ceil().max(1.0) as u64);
        }
        bucket.tokens = tokens - 1.0;
        Ok(())
    }
}

fn insert_default(response: &mut Response, name: HeaderName, value: &'static str) {
    response.headers_mut().entry(name).or_insert(HeaderValue::from_static(value));
}

/// Adds the security headers to an answer.
pub(crate) fn add_security_headers(response: &mut Response, https: bool, api: bool) {
    insert_default(response, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    insert_default(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert_default(response, header::REFERRER_POLICY, "no-referrer");
    insert_default(response, header::X_FRAME_OPTIONS, "DENY");
    insert_default(response, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    insert_default(response, HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()");
    if https {
        insert_default(response, header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    if api {
        // Answers of the API hold personal data: no cache keeps them.
        insert_default(response, header::CACHE_CONTROL, "no-store");
    }
}

/// The outermost layer: the rate limit, then the headers on whatever the answer is.
pub(crate) async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let https = state.security.config.https;
    let api = request.uri().path().starts_with("/api/");
    let mut response = match state.security.take(client_address(&request)) {
        Ok(()) => next.run(request).await,
        Err(retry_after_s) => {
            let error = crate::ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "too_many_requests",
                message: format!("too many requests from this address; retry in {retry_after_s} s"),
                path: None,
            };
            let mut response = error.into_response();
            if let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    };
    add_security_headers(&mut response, https, api);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let security = Security::new(SecurityConfig { https: false, requests_per_second: 1, burst: 3 });
        let client: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(security.take(client), Ok(()));
        }
        assert_eq!(security.take(client), Err(1), "the burst is spent: retry in a second");
        assert_eq!(security.take(other), Ok(()), "each address has its own bucket");
        let unlimited = Security::new(SecurityConfig { https: false, requests_per_second: 0, burst: 0 });
        for _ in 0..1000 {
            assert_eq!(unlimited.take(client), Ok(()));
        }
    }
}

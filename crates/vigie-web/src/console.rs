//! Serves the operator console (the built `web/dist`) at `/`, with every unknown path falling
//! back to `index.html` so that the console's own routes work on reload.

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "geojson") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Returns the file under `root` that `request_path` names, refusing anything that would leave
/// `root` (`..`, absolute components).
fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let relative = Path::new(request_path.trim_start_matches('/'));
    let mut path = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(path)
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Vigie</title>\
<body style=\"font-family:sans-serif;background:#10151c;color:#e8eef5;padding:2em\">\
<h1>Vigie</h1><p>La console n'est pas construite : <code>npm ci &amp;&amp; npm run build</code> dans <code>web/</code>.</p>\
<p>The console is not built: run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>.</p>\
<p>API : <a style=\"color:#8cf\" href=\"/api/openapi.json\">/api/openapi.json</a></p></body></html>";

/// Any path that is not an API route: a file of the console, or its `index.html`.
pub(crate) async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return crate::ApiError::not_found("route_not_found", "no such route; see /api/openapi.json").into_response();
    }
    let Some(root) = state.console_dir.as_ref().filter(|root| root.join("index.html").is_file()) else {
        return (StatusCode::OK, Html(NOT_BUILT)).into_response();
    };
    let Some(file) = resolve(root, path) else {
        return crate::ApiError::not_found("route_not_found", "no such file").into_response();
    };
    let file = if file.is_file() { file } else { root.join("index.html") };
    let read_path = file.clone();
    match tokio::task::spawn_blocking(move || std::fs::read(read_path))
        .await
        .unwrap_or_else(|error| Err(std::io::Error::other(error)))
    {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
            // Built assets carry a hash in their names; index.html must always be fresh.
            let cache = if file.ends_with("index.html") { "no-cache" } else { "public, max-age=31536000, immutable" };
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(error) => crate::ApiError::internal(format!("cannot read the console file: {error}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_leaves_the_console_folder() {
        let root = Path::new("/srv/console");
        assert_eq!(resolve(root, "/assets/app.js"), Some(PathBuf::from("/srv/console/assets/app.js")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/assets/../../etc/passwd"), None);
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/console")));
    }
}

//! The OpenAPI 3.1 document of the API, served at `/api/openapi.json`. A test checks that it
//! names every route of the router.

use axum::Json;
use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
        "401": { "description": "unauthenticated: no valid session (cookie or Bearer token) or device credentials", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "403": { "description": "forbidden (the role may not), out_of_scope (outside the account's posts or communes) or csrf_mismatch", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "429": { "description": "too many requests from this address; see Retry-After", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "400": { "description": "malformed JSON", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "404": { "description": "not found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "409": { "description": "command rejected by the incident lifecycle", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "422": { "description": "invalid input; `path` names the faulty field", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "503": { "description": "the event log could not commit; nothing was acknowledged", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn operation(summary: &str, parameters: Value, body: Option<Value>) -> Value {
    let mut operation = json!({
        "summary": summary,
        "parameters": parameters,
        "responses": error_responses(),
    });
    operation["responses"]["200"] = json!({ "description": "success", "content": { "application/json": {} } });
    if let Some(schema) = body {
        operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    operation
}

fn path_id(description: &str) -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "description": description, "schema": { "type": "string" } }])
}

fn query(name: &str, description: &str, kind: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": kind } })
}

/// Returns the OpenAPI document.
pub(crate) fn spec() -> Value {
    let incident_filters = json!([
        query("post", "command post id", "string"),
        query("commune", "commune INSEE code", "string"),
        query("category", "incident category", "string"),
        query("status", "comma-separated: open, acknowledged, on_hold, resolved, closed", "string"),
        query("priority", "comma-separated: p1, p2, p3, p4", "string"),
        query("since", "created at or after (RFC 3339 or ms since epoch)", "string"),
        query("until", "created before (RFC 3339 or ms since epoch)", "string"),
        query("limit", "page size, at most 5000 (default 500)", "integer")
    ]);
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vigie API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Safe-city hypervisor: ingest, incidents, sensors, cameras, the city and the live stream. Every 2xx answer to a write means the event is durable in the log. Every route but /health, this document and the login steps needs a session: the cookie set by the login (browsers; state-changing requests also carry X-CSRF-Token) or Authorization: Bearer <session token> (programs). Ingest also takes device credentials (HTTP Basic, the devices file). Lists hold only the items of the account's command posts and communes."
        },
        "security": [{ "session": [] }, { "bearer": [] }],
        "paths": {
            "/health": { "get": operation("Liveness and the last sequence number", json!([]), None) },
            "/api/openapi.json": { "get": operation("This document", json!([]), None) },
            "/metrics": { "get": { "summary": "Prometheus metrics (text format)", "responses": { "200": { "description": "text/plain; version=0.0.4" } } } },
            "/api/observations": { "post": operation("Ingest a batch of up to 10,000 observations (all or none)", json!([]), Some(json!({ "$ref": "#/components/schemas/ObservationBatch" }))) },
            "/api/units": { "get": operation("Units with last position and current incident", json!([]), None) },
            "/api/units/{id}/position": { "post": operation("A unit reports its position", path_id("unit id"), Some(json!({ "$ref": "#/components/schemas/Position" }))) },
            "/api/incidents": {
                "get": operation("Incident queue: unacknowledged first, then priority, then age", incident_filters, None),
                "post": operation("Open an incident (post routed from the city pack when not given)", json!([]), Some(json!({ "$ref": "#/components/schemas/CreateIncident" })))
            },
            "/api/incidents/{id}": { "get": operation("One incident with its timeline and the cameras that see it", path_id("incident number, e.g. 12 or INC-000012"), None) },
            "/api/incidents/{id}/commands": { "post": operation("An operator command on an incident", path_id("incident number"), Some(json!({ "$ref": "#/components/schemas/Command" }))) },
            "/api/sensors": { "get": operation("Sensors with last value and health", json!([]), None) },
            "/api/sensors/{id}": { "get": operation("One sensor with its per-minute series", json!([path_id("sensor id")[0].clone(), query("hours", "hours of history (default 24)", "integer")]), None) },
            "/api/cameras": { "get": operation("Cameras, or those whose field of view covers lon/lat, nearest first", json!([query("lon", "longitude", "number"), query("lat", "latitude", "number")]), None) },
            "/api/city": { "get": operation("The city as a GeoJSON FeatureCollection (communes, zones, sensors, cameras)", json!([]), None) },
            "/api/posts": { "get": operation("Command posts", json!([]), None) },
            "/api/categories": { "get": operation("Incident categories and their playbooks", json!([]), None) },
            "/api/alarms": { "get": operation("Standing alarms (with their shelving) and shelves", json!([]), None) },
            "/api/alarms/shelve": { "post": operation("Shelve an alarm with a reason, for at most 7 days", json!([]), Some(json!({ "type": "object", "required": ["rule", "subject", "minutes", "reason"], "properties": { "rule": { "type": "string" }, "subject": { "type": "string" }, "minutes": { "type": "integer" }, "reason": { "type": "string" } } }))) },
            "/api/alarms/unshelve": { "post": operation("End an alarm's shelving", json!([]), Some(json!({ "type": "object", "required": ["rule", "subject"], "properties": { "rule": { "type": "string" }, "subject": { "type": "string" } } }))) },
            "/api/alarms/kpis": { "get": operation("Alarm KPIs: alarms per post per 10 minutes, standing, chattering, time to acknowledge", json!([]), None) },
            "/api/dead-letters": { "get": operation("Refused input (malformed, unauthorised, rejected), newest first", json!([query("limit", "at most 1000 (default 100)", "integer")]), None) },
            "/api/rules": { "get": operation("The rules of the pack as loaded", json!([]), None) },
            "/api/rules/reload": { "post": operation("Reload rules/*.toml from the pack without a restart; refused with every error when invalid", json!([]), None) },
            "/api/stream": { "get": {
                "summary": "Live stream of committed events (Server-Sent Events); resume with Last-Event-ID or ?from",
                "parameters": [query("from", "first sequence number wanted", "integer"), query("kinds", "comma-separated kind prefixes, e.g. incident,unit", "string"),
                    { "name": "Last-Event-ID", "in": "header", "required": false, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "text/event-stream; each event has id = sequence number, event = kind, data = the event as JSON", "content": { "text/event-stream": {} } } }
            } }
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["code", "message"], "properties": {
                "code": { "type": "string", "description": "stable machine-readable code" },
                "message": { "type": "string" },
                "path": { "type": "string", "description": "JSON path of the faulty field" } } },
            "ObservationBatch": { "type": "object", "required": ["observations"], "properties": {
                "observations": { "type": "array", "maxItems": 10000, "items": { "type": "object", "required": ["sensor_id", "time", "value"], "properties": {
                    "sensor_id": { "type": "string" },
                    "time": { "oneOf": [{ "type": "string", "format": "date-time" }, { "type": "integer", "description": "ms since the Unix epoch" }] },
                    "value": { "type": "number" },
                    "unit": { "type": "string", "description": "must match the sensor's unit when given" } } } } } },
            "Position": { "type": "object", "required": ["lon", "lat"], "properties": { "lon": { "type": "number" }, "lat": { "type": "number" } } },
            "CreateIncident": { "type": "object", "required": ["category", "title"], "properties": {
                "category": { "type": "string" }, "title": { "type": "string" },
                "priority": { "enum": ["p1", "p2", "p3", "p4"] }, "post": { "type": "string" },
                "commune": { "type": "string" }, "zone": { "type": "string" },
                "position": { "$ref": "#/components/schemas/Position" } } },
            "Command": { "type": "object", "required": ["type"], "description": "acknowledge | assign{post} | dispatch_unit{unit} | add_note{text} | link_camera{camera} | escalate{reason} | hold{reason} | resume | complete_step{step} | skip_step{step, reason} | resolve{outcome: confirmed | false_alarm | {duplicate:{of}}} | close | reopen{reason}",
                "properties": { "type": { "enum": ["acknowledge", "assign", "dispatch_unit", "add_note", "link_camera", "escalate", "hold", "resume", "complete_step", "skip_step", "resolve", "close", "reopen"] } } }
        },
        "securitySchemes": {
            "session": { "type": "apiKey", "in": "cookie", "name": "vigie_session", "description": "__Host-vigie_session over TLS; state-changing requests also send X-CSRF-Token" },
            "bearer": { "type": "http", "scheme": "bearer", "description": "the session token of a login, for programs" },
            "device": { "type": "http", "scheme": "basic", "description": "device id and secret from the devices file; POST /api/observations and /api/snapshots only" }
        } }
    });
    merge(&mut document["paths"], security_paths());
    merge(&mut document["components"]["schemas"], security_schemas());
    for public in ["/health", "/api/openapi.json", "/api/auth/login", "/api/auth/totp"] {
        if let Some(operations) = document["paths"][public].as_object_mut() {
            for operation in operations.values_mut() {
                operation["security"] = json!([]);
            }
        }
    }
    for ingest in ["/api/observations", "/api/snapshots"] {
        document["paths"][ingest]["post"]["security"] = json!([{ "session": [] }, { "bearer": [] }, { "device": [] }]);
    }
    document
}

/// Copies the keys of `extra` into the object `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// The routes of sessions, accounts, devices, the audit log, retention and snapshots.
fn security_paths() -> Value {
    let login_answer = json!({ "$ref": "#/components/schemas/LoginAnswer" });
    json!({
            "/api/auth/login": { "post": with_answer(operation("Sign in with a login and password; the answer says the next step: session, totp or enrol", json!([]), Some(json!({ "type": "object", "required": ["login", "password"], "properties": { "login": { "type": "string" }, "password": { "type": "string", "format": "password" } } }))), login_answer.clone()) },
            "/api/auth/totp": { "post": with_answer(operation("Second step: the authenticator's 6-digit code (or the first code of an enrolment), with the vigie_pending cookie", json!([]), Some(json!({ "type": "object", "required": ["code"], "properties": { "code": { "type": "string", "pattern": "^[0-9]{6}$" } } }))), login_answer) },
            "/api/auth/me": { "get": operation("The signed-in account and its CSRF token", json!([]), None) },
            "/api/auth/logout": { "post": operation("End the session (204) and clear the cookie", json!([]), None) },
            "/api/auth/password": { "post": operation("Change one's own password; the account's other sessions end", json!([]), Some(json!({ "type": "object", "required": ["current", "new"], "properties": { "current": { "type": "string", "format": "password" }, "new": { "type": "string", "format": "password", "minLength": 12, "maxLength": 128 } } }))) },
            "/api/accounts": {
                "get": operation("Accounts (administrators): login, display name, role, scope, second factor, lockout", json!([]), None),
                "post": operation("Create an account", json!([]), Some(json!({ "$ref": "#/components/schemas/NewAccount" })))
            },
            "/api/accounts/{login}": { "patch": operation("Change an account's display name, role, scope, second factor, or disable it", login_param(), Some(json!({ "type": "object", "properties": { "display_name": { "type": "string" }, "role": { "$ref": "#/components/schemas/Role" }, "scope": { "$ref": "#/components/schemas/Scope" }, "mfa_required": { "type": "boolean" }, "disabled": { "type": "boolean" } } }))) },
            "/api/accounts/{login}/password": { "post": operation("Reset an account's password (its sessions end)", login_param(), Some(json!({ "type": "object", "required": ["password"], "properties": { "password": { "type": "string", "format": "password" } } }))) },
            "/api/accounts/{login}/unlock": { "post": operation("End an account's lockout", login_param(), None) },
            "/api/accounts/{login}/reset-totp": { "post": operation("Forget an account's second factor; its next login enrols a new one", login_param(), None) },
            "/api/devices": { "get": operation("Devices of the devices file: scope, revocation, last HTTP contact", json!([]), None) },
            "/api/devices/{id}/revoke": { "post": operation("Withdraw a device's credentials at once (HTTP and MQTT), across restarts", path_id("device id"), Some(json!({ "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string" } } }))) },
            "/api/devices/{id}/restore": { "post": operation("Give a device withdrawn through the API its credentials back", path_id("device id"), None) },
            "/api/audit": { "get": operation("The audit log, oldest first, a page at a time (reading it is audited)", json!([query("actor", "login", "string"), query("action", "e.g. login, incident.acknowledge", "string"), query("from", "at or after (RFC 3339 or ms)", "string"), query("until", "before (RFC 3339 or ms)", "string"), query("after", "entries after this sequence number", "integer"), query("limit", "at most 1000 (default 100)", "integer")]), None) },
            "/api/audit/export": { "get": { "summary": "Export the audit log as JSON lines with the chain's hashes, after signing a checkpoint", "parameters": [query("actor", "login", "string"), query("action", "action", "string"), query("from", "at or after", "string"), query("until", "before", "string")], "responses": { "200": { "description": "application/x-ndjson: one entry per line {seq, time, time_ms, actor, action, target, outcome, detail, prev_hash, hash}", "content": { "application/x-ndjson": {} } } } } },
            "/api/retention/purges": { "get": operation("The purge register: what was deleted or kept at the end of its retention, when and why", json!([query("data_class", "e.g. video_derived", "string"), query("from", "at or after", "string"), query("until", "before", "string"), query("after", "records after this number", "integer"), query("limit", "at most 1000", "integer")]), None) },
            "/api/retention/holds": {
                "get": operation("Legal holds, active and lifted", json!([]), None),
                "post": operation("Place a legal hold on a snapshot or on an incident's evidence", json!([]), Some(json!({ "type": "object", "required": ["target", "reason"], "properties": { "target": { "oneOf": [{ "type": "object", "required": ["snapshot"], "properties": { "snapshot": { "type": "string" } } }, { "type": "object", "required": ["incident"], "properties": { "incident": { "type": "integer" } } }] }, "reason": { "type": "string" } } })))
            },
            "/api/retention/holds/{id}": { "delete": operation("Lift a legal hold (it stays in the register)", path_id("hold number"), None) },
            "/api/snapshots": {
                "get": operation("Readable evidence snapshots (redacted), newest first", json!([query("sensor", "video analytic sensor id", "string"), query("since", "taken at or after (ms)", "integer"), query("until", "taken before (ms)", "integer"), query("limit", "at most 500 (default 50)", "integer")]), None),
                "post": { "summary": "Store a redacted JPEG evidence snapshot (body image/jpeg, at most 2 MiB) under the video-derived retention", "parameters": [query("camera", "camera id", "string"), query("sensor", "video analytic sensor id", "string"), query("time", "when the frame was taken (RFC 3339 or ms)", "string")], "requestBody": { "required": true, "content": { "image/jpeg": {} } }, "responses": { "201": { "description": "the snapshot's metadata: id, camera, sensor, taken_at, expires_at" } } }
            },
            "/api/snapshots/{id}": { "get": { "summary": "A snapshot's image while its retention lasts or a legal hold keeps it (every read is audited)", "parameters": path_id("snapshot id"), "responses": { "200": { "description": "image/jpeg", "content": { "image/jpeg": {} } }, "404": { "description": "no such snapshot, or its retention has ended" } } } }
    })
}

/// The schemas of accounts and the login's answers.
fn security_schemas() -> Value {
    json!({
            "Role": { "enum": ["operator", "supervisor", "administrator", "auditor", "data_protection_officer", "integrator"] },
            "ScopeSet": { "oneOf": [{ "const": "all" }, { "type": "object", "required": ["only"], "properties": { "only": { "type": "array", "items": { "type": "string" } } } }] },
            "Scope": { "type": "object", "required": ["posts", "communes"], "properties": { "posts": { "$ref": "#/components/schemas/ScopeSet" }, "communes": { "$ref": "#/components/schemas/ScopeSet" } } },
            "NewAccount": { "type": "object", "required": ["login", "display_name", "role", "scope", "password"], "properties": {
                "login": { "type": "string", "pattern": "^[a-z0-9._-]{1,64}$" }, "display_name": { "type": "string" },
                "role": { "$ref": "#/components/schemas/Role" }, "scope": { "$ref": "#/components/schemas/Scope" },
                "password": { "type": "string", "format": "password", "minLength": 12, "maxLength": 128 }, "mfa_required": { "type": "boolean" } } },
            "LoginAnswer": { "oneOf": [
                { "type": "object", "required": ["step", "login", "display_name", "role", "scope", "csrf_token"], "properties": { "step": { "const": "session" }, "login": { "type": "string" }, "display_name": { "type": "string" }, "role": { "$ref": "#/components/schemas/Role" }, "scope": { "$ref": "#/components/schemas/Scope" }, "csrf_token": { "type": "string" } } },
                { "type": "object", "required": ["step"], "properties": { "step": { "const": "totp" } } },
                { "type": "object", "required": ["step", "secret", "otpauth_uri"], "properties": { "step": { "const": "enrol" }, "secret": { "type": "string", "description": "base32 TOTP secret" }, "otpauth_uri": { "type": "string" } } }
            ] }
    })
}

fn with_answer(mut operation: Value, answer: Value) -> Value {
    operation["responses"]["200"] =
        json!({ "description": "the next step", "content": { "application/json": { "schema": answer } } });
    operation["responses"]["423"] = json!({ "description": "account_locked, with until (ms since the epoch)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    operation
}

fn login_param() -> Value {
    json!([{ "name": "login", "in": "path", "required": true, "schema": { "type": "string" } }])
}

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(spec())
}

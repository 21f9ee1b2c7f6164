//! The OpenAPI 3.1 document of the API, served at `/api/openapi.json`. A test checks that it
//! names every route of the router.

use axum::Json;
use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
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
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vigie API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Safe-city hypervisor: ingest, incidents, sensors, cameras, the city and the live stream. Every 2xx answer to a write means the event is durable in the log."
        },
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
        } }
    })
}

/// `GET /api/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(spec())
}

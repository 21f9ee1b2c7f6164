//! Incidents: the queue with filters, one incident with its timeline, creation and commands.

use crate::auth::{Caller, check_place};
use crate::error::parse_json;
use crate::policy::{Place, within};
use crate::{ApiError, AppState, audit};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_auth::{Action, Outcome as AuditOutcome};
use vigie_core::incident::{
    CreateIncident, GeoPoint, Incident, IncidentCommand, IncidentId, IncidentStatus, Origin, Outcome, Priority,
};
use vigie_core::{CameraId, CategoryId, CommuneId, Event, PostId, UnitId, ZoneId};

/// Filters of `GET /api/incidents`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListFilter {
    post: Option<String>,
    commune: Option<String>,
    category: Option<String>,
    /// Comma-separated statuses: `open,acknowledged,on_hold,resolved,closed`.
    status: Option<String>,
    /// Comma-separated priorities: `p1,p2`.
    priority: Option<String>,
    /// Created at or after (RFC 3339 or milliseconds).
    since: Option<String>,
    /// Created before (RFC 3339 or milliseconds).
    until: Option<String>,
    limit: Option<usize>,
}

fn parse_time_filter(name: &str, text: &Option<String>) -> Result<Option<i64>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Some(millis));
    }
    vigie_core::Timestamp::parse_rfc3339(text)
        .map(|time| Some(time.0))
        .map_err(|error| ApiError::invalid(name, error.to_string()))
}

fn parse_list<T: serde::de::DeserializeOwned>(name: &str, text: &Option<String>) -> Result<Option<Vec<T>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let mut items = Vec::new();
    for item in text.split(',').filter(|item| !item.is_empty()) {
        let parsed = serde_json::from_value(Value::String(item.to_owned()))
            .map_err(|_| ApiError::invalid(name, format!("unknown value {item:?}")))?;
        items.push(parsed);
    }
    Ok(Some(items))
}

/// The largest page of incidents.
const MAX_LIST: usize = 5_000;

/// `GET /api/incidents`: unacknowledged first, then by priority, then oldest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(filter): Query<ListFilter>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let statuses: Option<Vec<IncidentStatus>> = parse_list("status", &filter.status)?;
    let priorities: Option<Vec<Priority>> = parse_list("priority", &filter.priority)?;
    let since = parse_time_filter("since", &filter.since)?;
    let until = parse_time_filter("until", &filter.until)?;
    let limit = filter.limit.unwrap_or(500).min(MAX_LIST);
    let post = filter.post;
    let commune = filter.commune;
    let category = filter.category;
    let (total, incidents) = state
        .engine
        .query(move |city_state| {
            let mut matching: Vec<&Incident> = city_state
                .incidents
                .iter()
                .filter(|incident| within(&scope, &incident_place(incident)))
                .filter(|incident| post.as_deref().is_none_or(|post| incident.post.as_str() == post))
                .filter(|incident| {
                    commune
                        .as_deref()
                        .is_none_or(|commune| incident.commune.as_ref().is_some_and(|c| c.as_str() == commune))
                })
                .filter(|incident| category.as_deref().is_none_or(|category| incident.category.as_str() == category))
                .filter(|incident| statuses.as_ref().is_none_or(|statuses| statuses.contains(&incident.status)))
                .filter(|incident| priorities.as_ref().is_none_or(|priorities| priorities.contains(&incident.priority)))
                .filter(|incident| since.is_none_or(|since| incident.created_at.0 >= since))
                .filter(|incident| until.is_none_or(|until| incident.created_at.0 < until))
                .collect();
            matching.sort_by_key(|incident| {
                (incident.status != IncidentStatus::Open, incident.priority, incident.created_at, incident.id)
            });
            let total = matching.len();
            let page: Vec<Incident> = matching.into_iter().take(limit).cloned().collect();
            (total, page)
        })
        .await?;
    Ok(Json(json!({ "total": total, "incidents": incidents })))
}

/// Where an incident is: its post and its commune.
pub(crate) fn incident_place(incident: &Incident) -> Place<'_> {
    Place::post_and_commune(Some(&incident.post), incident.commune.as_ref())
}

fn parse_incident_id(text: &str) -> Result<IncidentId, ApiError> {
    let digits = text.strip_prefix("INC-").unwrap_or(text);
    digits
        .parse::<u64>()
        .map(IncidentId)
        .map_err(|_| ApiError::invalid("id", format!("{text:?} is not an incident number (e.g. 12 or INC-000012)")))
}

/// `GET /api/incidents/{id}`: the incident, its timeline and the cameras that can see it.
pub(crate) async fn detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let incident_id = parse_incident_id(&id)?;
    let incident = find(&state, incident_id).await?;
    let target = format!("incident:{}", incident_id.0);
    check_place(&state, &caller, Action::ReadIncidents, target, &incident_place(&incident)).await?;
    let scope = caller.scope();
    let reader = state.engine.reader().clone();
    let timeline: Vec<Event> = tokio::task::spawn_blocking(move || reader.incident_timeline(incident_id.0))
        .await
        .map_err(|error| ApiError::internal(format!("timeline task failed: {error}")))?
        .map_err(|error| ApiError::internal(format!("cannot read the timeline: {error}")))?;
    let cameras: Vec<Value> = match &incident.position {
        Some(position) => state
            .city
            .cameras_seeing(position.lon, position.lat)
            .into_iter()
            .filter(|(camera, _)| within(&scope, &Place::commune(Some(&camera.commune))))
            .map(|(camera, distance)| json!({ "camera": camera, "distance_m": (distance * 10.0).round() / 10.0 }))
            .collect(),
        None => Vec::new(),
    };
    let evidence =
        crate::routes::media::incident_evidence(&state, &scope, &timeline, incident.created_at, incident.closed_at)
            .await?;
    Ok(Json(json!({ "incident": incident, "timeline": timeline, "cameras": cameras, "evidence": evidence })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionIn {
    lon: f64,
    lat: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIn {
    category: String,
    title: String,
    #[serde(default)]
    priority: Option<Priority>,
    #[serde(default)]
    post: Option<String>,
    #[serde(default)]
    commune: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    position: Option<PositionIn>,
}

/// `POST /api/incidents`: an operator opens an incident. Post and commune are found from the
/// city pack's routing and boundaries when not given.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let incoming: CreateIn = parse_json(&body)?;
    let category =
        CategoryId::parse(&incoming.category).map_err(|error| ApiError::invalid("category", error.to_string()))?;
    if !state.city.policies.categories.contains_key(&category) {
        return Err(ApiError::invalid("category", format!("unknown category {:?}", incoming.category)));
    }
    let position = incoming.position.map(|position| GeoPoint { lon: position.lon, lat: position.lat });
    let commune = match (&incoming.commune, &position) {
        (Some(commune), _) => {
            let commune = CommuneId::parse(commune).map_err(|error| ApiError::invalid("commune", error.to_string()))?;
            if !state.city.communes.iter().any(|known| known.id == commune) {
                return Err(ApiError::invalid("commune", format!("unknown commune {commune:?}")));
            }
            Some(commune)
        }
        (None, Some(position)) => state.city.commune_at(position.lon, position.lat).map(|commune| commune.id.clone()),
        (None, None) => None,
    };
    let zone = match &incoming.zone {
        Some(zone) => {
            let zone = ZoneId::parse(zone).map_err(|error| ApiError::invalid("zone", error.to_string()))?;
            if state.city.zone(&zone).is_none() {
                return Err(ApiError::invalid("zone", format!("unknown zone {zone:?}")));
            }
            Some(zone)
        }
        None => None,
    };
    let post = match &incoming.post {
        Some(post) => {
            let post = PostId::parse(post).map_err(|error| ApiError::invalid("post", error.to_string()))?;
            if state.city.post(&post).is_none() {
                return Err(ApiError::invalid("post", format!("unknown command post {post:?}")));
            }
            post
        }
        None => state
            .city
            .route(&category, commune.as_ref(), zone.as_ref())
            .cloned()
            .ok_or_else(|| ApiError::invalid("post", "no routing rule matches; name the command post"))?,
    };
    let place = Place::post_and_commune(Some(&post), commune.as_ref());
    check_place(&state, &caller, Action::CreateIncidents, format!("post:{post}"), &place).await?;
    let command = IncidentCommand::Create(CreateIncident {
        category,
        priority: incoming.priority,
        title: incoming.title,
        post,
        commune,
        zone,
        position,
        origin: Origin::Manual,
    });
    let events = state.engine.command(caller.operator(), command).await?;
    let incident_id = match events.first().map(|event| &event.body) {
        Some(vigie_core::EventBody::Incident(incident_event)) => incident_event.incident_id,
        _ => return Err(ApiError::internal("creation produced no incident event")),
    };
    let detail = json!({ "seq": events.first().map(|event| event.seq.0) });
    let target = format!("incident:{}", incident_id.0);
    audit::record(&state, caller.actor(), "incident.create", target, AuditOutcome::Allowed, detail).await;
    let incident = state.engine.query(move |city_state| city_state.incidents.get(incident_id).cloned()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "incident": incident, "events": events }))))
}

/// An operator's command on one incident, as the API takes it.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum CommandIn {
    Acknowledge,
    Assign { post: String },
    DispatchUnit { unit: String },
    AddNote { text: String },
    LinkCamera { camera: String },
    Escalate { reason: String },
    Hold { reason: String },
    Resume,
    CompleteStep { step: String },
    SkipStep { step: String, reason: String },
    Resolve { outcome: Outcome },
    Close,
    Reopen { reason: String },
}

impl CommandIn {
    /// The command's name in the audit log (`incident.acknowledge`).
    fn audit_action(&self) -> &'static str {
        match self {
            CommandIn::Acknowledge => "incident.acknowledge",
            CommandIn::Assign { .. } => "incident.assign",
            CommandIn::DispatchUnit { .. } => "incident.dispatch_unit",
            CommandIn::AddNote { .. } => "incident.add_note",
            CommandIn::LinkCamera { .. } => "incident.link_camera",
            CommandIn::Escalate { .. } => "incident.escalate",
            CommandIn::Hold { .. } => "incident.hold",
            CommandIn::Resume => "incident.resume",
            CommandIn::CompleteStep { .. } => "incident.complete_step",
            CommandIn::SkipStep { .. } => "incident.skip_step",
            CommandIn::Resolve { .. } => "incident.resolve",
            CommandIn::Close => "incident.close",
            CommandIn::Reopen { .. } => "incident.reopen",
        }
    }

    fn into_command(self, id: IncidentId, state: &AppState) -> Result<IncidentCommand, ApiError> {
        let command = match self {
            CommandIn::Acknowledge => IncidentCommand::Acknowledge { id },
            CommandIn::Assign { post } => {
                let post = PostId::parse(&post).map_err(|error| ApiError::invalid("post", error.to_string()))?;
                if state.city.post(&post).is_none() {
                    return Err(ApiError::invalid("post", format!("unknown command post {post:?}")));
                }
                IncidentCommand::Assign { id, post }
            }
            CommandIn::DispatchUnit { unit } => {
                let unit = UnitId::parse(&unit).map_err(|error| ApiError::invalid("unit", error.to_string()))?;
                if state.city.unit(&unit).is_none() {
                    return Err(ApiError::invalid("unit", format!("unknown unit {unit:?}")));
                }
                IncidentCommand::DispatchUnit { id, unit }
            }
            CommandIn::AddNote { text } => IncidentCommand::AddNote { id, text },
            CommandIn::LinkCamera { camera } => {
                let camera =
                    CameraId::parse(&camera).map_err(|error| ApiError::invalid("camera", error.to_string()))?;
                if state.city.camera(&camera).is_none() {
                    return Err(ApiError::invalid("camera", format!("unknown camera {camera:?}")));
                }
                IncidentCommand::LinkCamera { id, camera }
            }
            CommandIn::Escalate { reason } => IncidentCommand::Escalate { id, reason },
            CommandIn::Hold { reason } => IncidentCommand::Hold { id, reason },
            CommandIn::Resume => IncidentCommand::Resume { id },
            CommandIn::CompleteStep { step } => IncidentCommand::CompleteStep { id, step },
            CommandIn::SkipStep { step, reason } => IncidentCommand::SkipStep { id, step, reason },
            CommandIn::Resolve { outcome } => IncidentCommand::Resolve { id, outcome },
            CommandIn::Close => IncidentCommand::Close { id },
            CommandIn::Reopen { reason } => IncidentCommand::Reopen { id, reason },
        };
        Ok(command)
    }
}

/// `POST /api/incidents/{id}/commands`: acknowledge, assign, dispatch, note, resolve...
pub(crate) async fn command(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let incident_id = parse_incident_id(&id)?;
    let incident = find(&state, incident_id).await?;
    let target = format!("incident:{}", incident_id.0);
    check_place(&state, &caller, Action::CommandIncidents, target.clone(), &incident_place(&incident)).await?;
    let incoming: CommandIn = parse_json(&body)?;
    let action = incoming.audit_action();
    let command = incoming.into_command(incident_id, &state)?;
    let result = state.engine.command(caller.operator(), command).await;
    let (outcome, detail) = match &result {
        Ok(events) => (AuditOutcome::Allowed, json!({ "seq": events.first().map(|event| event.seq.0) })),
        Err(error) => (AuditOutcome::Failed, json!({ "error": error.to_string() })),
    };
    audit::record(&state, caller.actor(), action, target, outcome, detail).await;
    let events = result?;
    let incident = state.engine.query(move |city_state| city_state.incidents.get(incident_id).cloned()).await?;
    Ok(Json(json!({ "incident": incident, "events": events })))
}

/// Returns the incident, or 404.
async fn find(state: &AppState, incident_id: IncidentId) -> Result<Incident, ApiError> {
    state
        .engine
        .query(move |city_state| city_state.incidents.get(incident_id).cloned())
        .await?
        .ok_or_else(|| ApiError::not_found("incident_not_found", format!("incident {incident_id} does not exist")))
}

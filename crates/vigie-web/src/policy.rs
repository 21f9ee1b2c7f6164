//! The route table: for every method and route of the router, who may call it (`Access`, with
//! the `vigie_auth::Action` it takes) and how the handler finds the part of the city its target
//! lies in (`Target`). The guard (`auth::guard`) refuses any route missing from the table, so
//! a route added without a line here answers 403 to everyone; a test walks the router's routes
//! and checks that each has its line.
//!
//! Scopes: a principal restricted to some command posts or communes sees a resource only when
//! every coordinate the resource has is in its scope (`Place`, `within`). Incidents and alarms
//! have a post and a commune; sensors, cameras and snapshots (by their camera) a commune;
//! units a post. A coordinate a resource should have but lacks (an incident without a
//! commune) is refused on a restricted dimension: unknown means no.

use axum::http::Method;
use vigie_auth::{Action, Scope, ScopeSet};
use vigie_core::{CommuneId, PostId};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session: the health check and the API's description.
    Public,
    /// Anyone, to sign in: the login steps, which have their own limits.
    SignIn,
    /// Any signed-in account, whatever its role: its own session.
    Session,
    /// Accounts whose role may take this action (`vigie_auth::allowed`).
    Role(Action),
    /// The same, or a device with its credentials from the devices file (ingest).
    RoleOrDevice(Action),
}

impl Access {
    /// Returns the action the route takes, if it takes one.
    pub fn action(self) -> Option<Action> {
        match self {
            Access::Role(action) | Access::RoleOrDevice(action) => Some(action),
            Access::Public | Access::SignIn | Access::Session => None,
        }
    }
}

/// What a route's answer is made of, for the lists whose items are filtered by scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Items {
    /// Incidents, by post and commune.
    Incidents,
    /// Standing and shelved alarms, by post and their subject's commune.
    Alarms,
    /// The alarm KPIs: per post, and the chattering alarms.
    AlarmKpis,
    /// Sensors, by commune.
    Sensors,
    /// Cameras, by commune.
    Cameras,
    /// Units, by post.
    Units,
    /// Snapshots, by their camera's commune.
    Snapshots,
    /// The city map: its sensors and cameras by commune.
    CityMap,
}

/// How a route finds the place of what it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing in the city: the system, configuration, the city's description, the audit log.
    Global,
    /// A list: each item is kept only when in scope.
    List(Items),
    /// The incident named in the path: its post and commune.
    Incident,
    /// The incident described in the body: its post and commune once routed.
    NewIncident,
    /// The sensor named in the path: its commune.
    Sensor,
    /// The unit named in the path: its post.
    Unit,
    /// The alarm named in the body: its post and its subject's commune.
    Alarm,
    /// The snapshot named in the path: its camera's commune.
    Snapshot,
    /// The camera named in the query string (a snapshot's upload): its commune.
    Camera,
    /// Every observation of the body: its sensor's commune, or the device's list.
    Observations,
    /// The live stream: each event by its own place.
    Stream,
}

/// One line of the route table.
#[derive(Clone, Copy, Debug)]
pub struct RoutePolicy {
    /// The HTTP method (`HEAD` is looked up as `GET`).
    pub method: &'static str,
    /// The route as the router writes it (`/api/incidents/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// How the handler finds the place of its target.
    pub target: Target,
}

const fn route(method: &'static str, path: &'static str, access: Access, target: Target) -> RoutePolicy {
    RoutePolicy { method, path, access, target }
}

use Access::{Public, Role, RoleOrDevice, Session, SignIn};
use Target::{Global, List};

/// Every route of the API. One line per method and route; nothing else is served but the
/// console's files.
pub const ROUTES: &[RoutePolicy] = &[
    route("GET", "/health", Public, Global),
    route("GET", "/api/openapi.json", Public, Global),
    route("GET", "/metrics", Role(Action::ReadMetrics), Global),
    // Signing in and the session itself.
    route("POST", "/api/auth/login", SignIn, Global),
    route("POST", "/api/auth/totp", SignIn, Global),
    route("GET", "/api/auth/me", Session, Global),
    route("POST", "/api/auth/logout", Session, Global),
    route("POST", "/api/auth/password", Session, Global),
    // Ingest.
    route("POST", "/api/observations", RoleOrDevice(Action::PostObservations), Target::Observations),
    route("POST", "/api/units/{id}/position", Role(Action::PostObservations), Target::Unit),
    route("POST", "/api/snapshots", RoleOrDevice(Action::PostObservations), Target::Camera),
    // Incidents.
    route("GET", "/api/incidents", Role(Action::ReadIncidents), List(Items::Incidents)),
    route("POST", "/api/incidents", Role(Action::CreateIncidents), Target::NewIncident),
    route("GET", "/api/incidents/{id}", Role(Action::ReadIncidents), Target::Incident),
    route("POST", "/api/incidents/{id}/commands", Role(Action::CommandIncidents), Target::Incident),
    // The city and its equipment.
    route("GET", "/api/city", Role(Action::ReadCity), List(Items::CityMap)),
    route("GET", "/api/posts", Role(Action::ReadCity), Global),
    route("GET", "/api/categories", Role(Action::ReadCity), Global),
    route("GET", "/api/units", Role(Action::ReadCity), List(Items::Units)),
    route("GET", "/api/sensors", Role(Action::ReadSensors), List(Items::Sensors)),
    route("GET", "/api/sensors/{id}", Role(Action::ReadSensors), Target::Sensor),
    route("GET", "/api/cameras", Role(Action::ReadCameras), List(Items::Cameras)),
    // Imagery.
    route("GET", "/api/snapshots", Role(Action::ReadImagery), List(Items::Snapshots)),
    route("GET", "/api/snapshots/{id}", Role(Action::ReadImagery), Target::Snapshot),
    // Alarms.
    route("GET", "/api/alarms", Role(Action::ReadAlarms), List(Items::Alarms)),
    route("GET", "/api/alarms/kpis", Role(Action::ReadAlarms), List(Items::AlarmKpis)),
    route("POST", "/api/alarms/shelve", Role(Action::ShelveAlarms), Target::Alarm),
    route("POST", "/api/alarms/unshelve", Role(Action::ShelveAlarms), Target::Alarm),
    route("GET", "/api/dead-letters", Role(Action::ReadDeadLetters), Global),
    // Rules.
    route("GET", "/api/rules", Role(Action::ReadRules), Global),
    route("POST", "/api/rules/reload", Role(Action::ReloadRules), Global),
    // The live stream.
    route("GET", "/api/stream", Role(Action::ReadLiveStream), Target::Stream),
    // Accounts.
    route("GET", "/api/accounts", Role(Action::ManageAccounts), Global),
    route("POST", "/api/accounts", Role(Action::ManageAccounts), Global),
    route("PATCH", "/api/accounts/{login}", Role(Action::ManageAccounts), Global),
    route("POST", "/api/accounts/{login}/password", Role(Action::ManageAccounts), Global),
    route("POST", "/api/accounts/{login}/unlock", Role(Action::ManageAccounts), Global),
    route("POST", "/api/accounts/{login}/reset-totp", Role(Action::ManageAccounts), Global),
    // Devices.
    route("GET", "/api/devices", Role(Action::ReadDevices), Global),
    route("POST", "/api/devices/{id}/revoke", Role(Action::ManageDevices), Global),
    route("POST", "/api/devices/{id}/restore", Role(Action::ManageDevices), Global),
    // The audit log and retention.
    route("GET", "/api/audit", Role(Action::ReadAudit), Global),
    route("GET", "/api/audit/export", Role(Action::ExportAudit), Global),
    route("GET", "/api/retention/purges", Role(Action::ReadRetentionRegister), Global),
    route("GET", "/api/retention/holds", Role(Action::ReadRetentionRegister), Global),
    route("POST", "/api/retention/holds", Role(Action::ManageLegalHolds), Global),
    route("DELETE", "/api/retention/holds/{id}", Role(Action::ManageLegalHolds), Global),
];

/// Finds the line of a request's method and matched route; `None` means refused.
pub fn lookup(method: &Method, path: &str) -> Option<&'static RoutePolicy> {
    let method = if *method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES.iter().find(|line| line.method == method && line.path == path)
}

/// One coordinate of a resource's place.
#[derive(Debug, PartialEq, Eq)]
pub enum Coordinate<'a, T> {
    /// Resources of this kind have no such coordinate (a sensor has no command post).
    Irrelevant,
    /// The resource should have one but it is not known: refused on a restricted dimension.
    Unknown,
    /// The resource's coordinate.
    At(&'a T),
}

// Written out: a derive would ask `T: Copy`, but only a reference is copied.
impl<T> Clone for Coordinate<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Coordinate<'_, T> {}

impl<'a, T> Coordinate<'a, T> {
    /// Wraps an optional coordinate of a kind of resource that has one.
    pub fn known(value: Option<&'a T>) -> Coordinate<'a, T> {
        match value {
            Some(value) => Coordinate::At(value),
            None => Coordinate::Unknown,
        }
    }
}

/// Where a resource is, as far as scopes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place<'a> {
    /// The command post it belongs to.
    pub post: Coordinate<'a, PostId>,
    /// The commune it is in.
    pub commune: Coordinate<'a, CommuneId>,
}

impl<'a> Place<'a> {
    /// An incident or an alarm: a post and a commune.
    pub fn post_and_commune(post: Option<&'a PostId>, commune: Option<&'a CommuneId>) -> Place<'a> {
        Place { post: Coordinate::known(post), commune: Coordinate::known(commune) }
    }

    /// A sensor, a camera or a snapshot: a commune only.
    pub fn commune(commune: Option<&'a CommuneId>) -> Place<'a> {
        Place { post: Coordinate::Irrelevant, commune: Coordinate::known(commune) }
    }

    /// A unit: a post only.
    pub fn post(post: Option<&'a PostId>) -> Place<'a> {
        Place { post: Coordinate::known(post), commune: Coordinate::Irrelevant }
    }
}

fn dimension_allows<T: Ord>(set: &ScopeSet<T>, coordinate: Coordinate<'_, T>) -> bool {
    match (set, coordinate) {
        (ScopeSet::All, _) | (_, Coordinate::Irrelevant) => true,
        (ScopeSet::Only(items), Coordinate::At(item)) => items.contains(item),
        (ScopeSet::Only(_), Coordinate::Unknown) => false,
    }
}

/// Tells whether a resource at `place` lies in `scope`.
pub fn within(scope: &Scope, place: &Place<'_>) -> bool {
    dimension_allows(&scope.posts, place.post) && dimension_allows(&scope.communes, place.commune)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(posts: &[&str], communes: &[&str]) -> Scope {
        Scope {
            posts: posts.iter().map(|post| PostId::parse(post).unwrap()).collect(),
            communes: communes.iter().map(|commune| CommuneId::parse(commune).unwrap()).collect(),
        }
    }

    #[test]
    fn every_coordinate_a_kind_has_must_be_in_scope() {
        let police = PostId::parse("police-municipale").unwrap();
        let fire = PostId::parse("pompiers").unwrap();
        let dijon = CommuneId::parse("21231").unwrap();
        let talant = CommuneId::parse("21617").unwrap();
        let scoped = scope(&["police-municipale"], &["21231"]);
        assert!(within(&scoped, &Place::post_and_commune(Some(&police), Some(&dijon))));
        assert!(!within(&scoped, &Place::post_and_commune(Some(&fire), Some(&dijon))));
        assert!(!within(&scoped, &Place::post_and_commune(Some(&police), Some(&talant))));
        assert!(!within(&scoped, &Place::post_and_commune(Some(&police), None)), "unknown means no");
        assert!(within(&scoped, &Place::commune(Some(&dijon))), "a sensor has no post");
        assert!(!within(&scoped, &Place::commune(Some(&talant))));
        assert!(within(&scoped, &Place::post(Some(&police))), "a unit has no commune");
        assert!(!within(&scoped, &Place::post(None)));
        assert!(within(&Scope::all(), &Place::post_and_commune(None, None)));
        let posts_only = Scope { posts: scoped.posts.clone(), communes: ScopeSet::All };
        assert!(within(&posts_only, &Place::post_and_commune(Some(&police), None)));
    }

    #[test]
    fn the_table_has_one_line_per_route_and_head_reads_as_get() {
        let mut seen = std::collections::BTreeSet::new();
        for line in ROUTES {
            assert!(seen.insert((line.method, line.path)), "{} {} appears twice", line.method, line.path);
        }
        assert!(lookup(&Method::HEAD, "/health").is_some());
        assert!(lookup(&Method::DELETE, "/api/incidents/{id}").is_none(), "what is not in the table is refused");
    }
}

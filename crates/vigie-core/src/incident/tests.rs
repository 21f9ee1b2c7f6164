//! Tests of the incident decider: one readable test per rule and rejection, then a model test
//! that drives random command sequences through `decide` and `evolve`.

use super::*;
use proptest::prelude::*;

/// 2024-06-01T08:00:00Z, an arbitrary start so that times look real in failures.
const START_MS: i64 = 1_717_228_800_000;

fn category(text: &str) -> CategoryId {
    CategoryId::parse(text).expect("test identifiers are valid")
}

fn post(text: &str) -> PostId {
    PostId::parse(text).expect("test identifiers are valid")
}

fn unit(text: &str) -> UnitId {
    UnitId::parse(text).expect("test identifiers are valid")
}

fn camera(text: &str) -> CameraId {
    CameraId::parse(text).expect("test identifiers are valid")
}

fn actor(text: &str) -> Actor {
    Actor(text.to_owned())
}

fn step(id: &str) -> PlaybookStep {
    PlaybookStep { id: id.to_owned(), title_fr: format!("Étape {id}"), title_en: format!("Step {id}") }
}

fn policy(name: &str, priority: Priority, ack_delay_s: u32, steps: &[&str]) -> CategoryPolicy {
    CategoryPolicy {
        category: category(name),
        label_fr: name.to_owned(),
        label_en: name.to_owned(),
        default_priority: priority,
        ack_delay_s,
        playbook: steps.iter().map(|id| step(id)).collect(),
    }
}

/// `flood` (P2, 60 s, three steps), `fire` (P1, 30 s, one step), `info` (P4, never escalates).
fn policies() -> IncidentPolicies {
    let all = [
        policy("flood", Priority::P2, 60, &["warn", "close-road", "alert"]),
        policy("fire", Priority::P1, 30, &["call-firefighters"]),
        policy("info", Priority::P4, 0, &[]),
    ];
    IncidentPolicies { categories: all.into_iter().map(|policy| (policy.category.clone(), policy)).collect() }
}

fn create(category_name: &str) -> CreateIncident {
    CreateIncident {
        category: category(category_name),
        priority: None,
        title: "Crue de l'Ouche au pont de la Fonderie".to_owned(),
        post: post("pc-police"),
        commune: Some(CommuneId::parse("21231").expect("test identifiers are valid")),
        zone: None,
        position: Some(GeoPoint { lon: 5.0415, lat: 47.3220 }),
        origin: Origin::Alarm { rule: "ouche-flood".to_owned(), subject: "ouche-gauge-01".to_owned() },
    }
}

/// A control room: the state, the pack, a clock the test moves, and the log of accepted events.
struct Room {
    state: Incidents,
    policies: IncidentPolicies,
    now: Timestamp,
    log: Vec<(Timestamp, IncidentEvent)>,
}

impl Room {
    fn new() -> Room {
        Room { state: Incidents::default(), policies: policies(), now: Timestamp(START_MS), log: Vec::new() }
    }

    /// Moves the clock to `seconds` after the start.
    fn at(&mut self, seconds: i64) {
        self.now = Timestamp(START_MS).plus_seconds(seconds);
    }

    fn try_as(&mut self, by: &str, command: IncidentCommand) -> Result<Vec<IncidentEvent>, Rejection> {
        let events = decide(&self.state, &self.policies, &actor(by), self.now, &command)?;
        for event in &events {
            evolve(&mut self.state, self.now, event);
            self.log.push((self.now, event.clone()));
        }
        Ok(events)
    }

    fn try_run(&mut self, command: IncidentCommand) -> Result<Vec<IncidentEvent>, Rejection> {
        self.try_as("operator:alice", command)
    }

    #[track_caller]
    fn run(&mut self, command: IncidentCommand) -> Vec<IncidentEvent> {
        let name = command.name();
        match self.try_run(command) {
            Ok(events) => events,
            Err(rejection) => panic!("{name} was rejected: {rejection}"),
        }
    }

    fn tick(&mut self) -> Vec<IncidentEvent> {
        self.try_as("system:clock", IncidentCommand::Tick).expect("tick is always accepted")
    }

    #[track_caller]
    fn open(&mut self, category_name: &str) -> IncidentId {
        let events = self.run(IncidentCommand::Create(create(category_name)));
        events[0].incident_id
    }

    #[track_caller]
    fn open_acknowledged(&mut self, category_name: &str) -> IncidentId {
        let id = self.open(category_name);
        self.run(IncidentCommand::Acknowledge { id });
        id
    }

    #[track_caller]
    fn settle_all_steps(&mut self, id: IncidentId) {
        let steps: Vec<String> = self.incident(id).unsettled_steps().map(str::to_owned).collect();
        for step in steps {
            self.run(IncidentCommand::CompleteStep { id, step });
        }
    }

    #[track_caller]
    fn resolved(&mut self, category_name: &str) -> IncidentId {
        let id = self.open_acknowledged(category_name);
        self.settle_all_steps(id);
        self.run(IncidentCommand::Resolve { id, outcome: Outcome::Confirmed });
        id
    }

    #[track_caller]
    fn closed(&mut self, category_name: &str) -> IncidentId {
        let id = self.resolved(category_name);
        self.run(IncidentCommand::Close { id });
        id
    }

    #[track_caller]
    fn incident(&self, id: IncidentId) -> &Incident {
        self.state.get(id).expect("the incident exists")
    }
}

fn invalid_transition(id: IncidentId, status: IncidentStatus, command: &'static str) -> Rejection {
    Rejection::InvalidTransition { id, status, command }
}

// ---- identity and wire shape -------------------------------------------------------------

#[test]
fn incident_ids_read_as_inc_numbers_and_serialize_as_plain_numbers() {
    assert_eq!(IncidentId(42).to_string(), "INC-000042");
    assert_eq!(IncidentId(1_234_567).to_string(), "INC-1234567");
    assert_eq!(serde_json::to_string(&IncidentId(42)).expect("serializes"), "42");
}

#[test]
fn priorities_order_by_urgency_and_serialize_in_lowercase() {
    assert!(Priority::P1 < Priority::P2 && Priority::P3 < Priority::P4);
    assert_eq!(serde_json::to_string(&Priority::P1).expect("serializes"), "\"p1\"");
    assert_eq!(serde_json::to_string(&IncidentStatus::OnHold).expect("serializes"), "\"on_hold\"");
    assert_eq!(IncidentStatus::OnHold.to_string(), "on_hold");
}

#[test]
fn every_change_has_its_own_incident_kind() {
    let changes = [
        IncidentChange::Created {
            category: category("flood"),
            priority: Priority::P2,
            title: "t".to_owned(),
            post: post("pc-police"),
            commune: None,
            zone: None,
            position: None,
            origin: Origin::Manual,
            ack_delay_s: 60,
            playbook: Vec::new(),
        },
        IncidentChange::Acknowledged,
        IncidentChange::Assigned { from: post("a"), to: post("b") },
        IncidentChange::UnitDispatched { unit: unit("u") },
        IncidentChange::NoteAdded { text: "n".to_owned() },
        IncidentChange::CameraLinked { camera: camera("c") },
        IncidentChange::Escalated { level: 1, reason: "r".to_owned(), automatic: false },
        IncidentChange::Held { reason: "r".to_owned() },
        IncidentChange::Resumed,
        IncidentChange::StepCompleted { step: "s".to_owned() },
        IncidentChange::StepSkipped { step: "s".to_owned(), reason: "r".to_owned() },
        IncidentChange::Resolved { outcome: Outcome::Confirmed },
        IncidentChange::Closed,
        IncidentChange::Reopened { reason: "r".to_owned() },
    ];
    let kinds: std::collections::BTreeSet<&str> = changes.iter().map(IncidentChange::kind).collect();
    assert_eq!(kinds.len(), changes.len());
    assert!(kinds.iter().all(|kind| kind.starts_with("incident.")));
    assert_eq!(changes[0].kind(), "incident.created");
    assert_eq!(changes[3].kind(), "incident.unit_dispatched");
}

// ---- create ------------------------------------------------------------------------------

#[test]
fn create_takes_the_next_id_and_copies_the_category_policy() {
    let mut room = Room::new();
    let events = room.run(IncidentCommand::Create(create("flood")));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].incident_id, IncidentId(1));
    assert_eq!(events[0].actor, actor("operator:alice"));
    let IncidentChange::Created { priority, ack_delay_s, playbook, .. } = &events[0].change else {
        panic!("expected a creation, got {:?}", events[0].change);
    };
    assert_eq!(*priority, Priority::P2);
    assert_eq!(*ack_delay_s, 60);
    assert_eq!(playbook.len(), 3);

    let incident = room.incident(IncidentId(1));
    assert_eq!(incident.status, IncidentStatus::Open);
    assert_eq!(incident.created_at, room.now);
    assert_eq!(incident.updated_at, room.now);
    assert_eq!(incident.acknowledged_at, None);
    assert_eq!(incident.escalation_level, 0);
    assert_eq!(incident.unsettled_steps().collect::<Vec<_>>(), ["warn", "close-road", "alert"]);
    assert_eq!(room.state.next_id(), IncidentId(2));
    assert_eq!(room.open("fire"), IncidentId(2));
    assert_eq!(room.state.len(), 2);
}

#[test]
fn create_keeps_an_explicit_priority() {
    let mut room = Room::new();
    let mut command = create("flood");
    command.priority = Some(Priority::P1);
    let events = room.run(IncidentCommand::Create(command));
    assert_eq!(room.incident(events[0].incident_id).priority, Priority::P1);
}

#[test]
fn later_pack_edits_never_change_an_open_incident() {
    let mut room = Room::new();
    let id = room.open("flood");
    let flood = room.policies.categories.get_mut(&category("flood")).expect("flood is in the pack");
    flood.playbook.push(step("evacuate"));
    flood.ack_delay_s = 5;
    assert_eq!(room.incident(id).steps.len(), 3);
    assert_eq!(room.incident(id).ack_delay_s, 60);
    room.at(10);
    assert_eq!(room.tick(), Vec::new());
}

#[test]
fn create_rejects_an_unknown_category() {
    let mut room = Room::new();
    let rejection = room.try_run(IncidentCommand::Create(create("earthquake")));
    assert_eq!(rejection, Err(Rejection::UnknownCategory { category: category("earthquake") }));
    assert!(room.state.is_empty());
}

#[test]
fn create_rejects_an_empty_or_overlong_title() {
    let mut room = Room::new();
    for (title, expected) in [
        ("", Rejection::EmptyText { field: "title" }),
        ("   ", Rejection::EmptyText { field: "title" }),
        (&"é".repeat(201), Rejection::TextTooLong { field: "title", max: 200 }),
    ] {
        let mut command = create("flood");
        command.title = title.to_owned();
        assert_eq!(room.try_run(IncidentCommand::Create(command)), Err(expected));
    }
    // Two hundred characters (four hundred bytes) is still a title.
    let mut command = create("flood");
    command.title = "é".repeat(200);
    assert!(room.try_run(IncidentCommand::Create(command)).is_ok());
}

#[test]
fn create_rejects_a_position_off_the_globe() {
    let mut room = Room::new();
    for position in
        [GeoPoint { lon: 181.0, lat: 0.0 }, GeoPoint { lon: 0.0, lat: -90.5 }, GeoPoint { lon: f64::NAN, lat: 47.0 }]
    {
        let mut command = create("flood");
        command.position = Some(position);
        assert_eq!(room.try_run(IncidentCommand::Create(command)), Err(Rejection::InvalidPosition));
    }
}

#[test]
fn a_command_without_actor_is_rejected() {
    let mut room = Room::new();
    let rejection = room.try_as(" ", IncidentCommand::Create(create("flood")));
    assert_eq!(rejection, Err(Rejection::MissingActor));
    assert_eq!(rejection.expect_err("rejected").code(), "missing_actor");
}

#[test]
fn commands_about_a_missing_incident_are_not_found() {
    let mut room = Room::new();
    room.open("flood");
    let missing = IncidentId(9);
    for command in [
        IncidentCommand::Acknowledge { id: missing },
        IncidentCommand::Close { id: missing },
        IncidentCommand::AddNote { id: missing, text: "note".to_owned() },
    ] {
        assert_eq!(room.try_run(command), Err(Rejection::NotFound { id: missing }));
    }
}

// ---- acknowledge, hold, resume -----------------------------------------------------------

#[test]
fn acknowledge_only_an_open_incident() {
    let mut room = Room::new();
    let id = room.open("flood");
    room.at(12);
    room.run(IncidentCommand::Acknowledge { id });
    assert_eq!(room.incident(id).status, IncidentStatus::Acknowledged);
    assert_eq!(room.incident(id).acknowledged_at, Some(room.now));

    let again = room.try_run(IncidentCommand::Acknowledge { id });
    assert_eq!(again, Err(invalid_transition(id, IncidentStatus::Acknowledged, "acknowledge")));
}

#[test]
fn acknowledging_a_closed_incident_is_rejected() {
    let mut room = Room::new();
    let id = room.closed("flood");
    let rejection = room.try_run(IncidentCommand::Acknowledge { id });
    assert_eq!(rejection, Err(invalid_transition(id, IncidentStatus::Closed, "acknowledge")));
    assert_eq!(rejection.expect_err("rejected").to_string(), "cannot acknowledge incident INC-000001: it is closed");
}

#[test]
fn hold_only_an_acknowledged_incident_and_resume_only_a_held_one() {
    let mut room = Room::new();
    let id = room.open("flood");
    let hold = || IncidentCommand::Hold { id, reason: "waiting for the river police".to_owned() };
    assert_eq!(room.try_run(hold()), Err(invalid_transition(id, IncidentStatus::Open, "hold")));
    assert_eq!(
        room.try_run(IncidentCommand::Resume { id }),
        Err(invalid_transition(id, IncidentStatus::Open, "resume"))
    );

    room.run(IncidentCommand::Acknowledge { id });
    let no_reason = room.try_run(IncidentCommand::Hold { id, reason: String::new() });
    assert_eq!(no_reason, Err(Rejection::EmptyText { field: "reason" }));
    room.run(hold());
    assert_eq!(room.incident(id).status, IncidentStatus::OnHold);
    assert_eq!(room.try_run(hold()), Err(invalid_transition(id, IncidentStatus::OnHold, "hold")));

    room.run(IncidentCommand::Resume { id });
    assert_eq!(room.incident(id).status, IncidentStatus::Acknowledged);
    assert_eq!(
        room.try_run(IncidentCommand::Resume { id }),
        Err(invalid_transition(id, IncidentStatus::Acknowledged, "resume"))
    );
}

// ---- assign, dispatch, cameras, notes ----------------------------------------------------

#[test]
fn assign_transfers_to_another_post_until_closed() {
    let mut room = Room::new();
    let id = room.open("flood");
    let events = room.run(IncidentCommand::Assign { id, post: post("pc-traffic") });
    assert_eq!(events[0].change, IncidentChange::Assigned { from: post("pc-police"), to: post("pc-traffic") });
    assert_eq!(room.incident(id).post, post("pc-traffic"));
    assert_eq!(
        room.try_run(IncidentCommand::Assign { id, post: post("pc-traffic") }),
        Err(Rejection::SamePost { id, post: post("pc-traffic") })
    );

    let resolved = room.resolved("fire");
    room.run(IncidentCommand::Assign { id: resolved, post: post("pc-crisis") });
    room.run(IncidentCommand::Close { id: resolved });
    assert_eq!(
        room.try_run(IncidentCommand::Assign { id: resolved, post: post("pc-police") }),
        Err(invalid_transition(resolved, IncidentStatus::Closed, "assign"))
    );
}

#[test]
fn a_unit_is_dispatched_once_and_only_to_an_active_incident() {
    let mut room = Room::new();
    let id = room.open("fire");
    room.run(IncidentCommand::DispatchUnit { id, unit: unit("pm-12") });
    room.run(IncidentCommand::DispatchUnit { id, unit: unit("pm-14") });
    assert_eq!(room.incident(id).units, [unit("pm-12"), unit("pm-14")]);
    assert_eq!(
        room.try_run(IncidentCommand::DispatchUnit { id, unit: unit("pm-12") }),
        Err(Rejection::AlreadyDispatched { id, unit: unit("pm-12") })
    );

    let resolved = room.resolved("info");
    assert_eq!(
        room.try_run(IncidentCommand::DispatchUnit { id: resolved, unit: unit("pm-12") }),
        Err(invalid_transition(resolved, IncidentStatus::Resolved, "dispatch_unit"))
    );
}

#[test]
fn a_camera_is_linked_once_and_only_to_an_active_incident() {
    let mut room = Room::new();
    let id = room.open("fire");
    room.run(IncidentCommand::LinkCamera { id, camera: camera("cam-017") });
    assert_eq!(room.incident(id).cameras, [camera("cam-017")]);
    assert_eq!(
        room.try_run(IncidentCommand::LinkCamera { id, camera: camera("cam-017") }),
        Err(Rejection::AlreadyLinked { id, camera: camera("cam-017") })
    );

    let closed = room.closed("info");
    assert_eq!(
        room.try_run(IncidentCommand::LinkCamera { id: closed, camera: camera("cam-017") }),
        Err(invalid_transition(closed, IncidentStatus::Closed, "link_camera"))
    );
}

#[test]
fn notes_are_counted_checked_and_refused_once_closed() {
    let mut room = Room::new();
    let id = room.resolved("info");
    room.at(5);
    room.run(IncidentCommand::AddNote { id, text: "Riverains prévenus.".to_owned() });
    assert_eq!(room.incident(id).note_count, 1);
    assert_eq!(room.incident(id).updated_at, room.now);
    assert_eq!(
        room.try_run(IncidentCommand::AddNote { id, text: "\n".to_owned() }),
        Err(Rejection::EmptyText { field: "note" })
    );
    assert_eq!(
        room.try_run(IncidentCommand::AddNote { id, text: "x".repeat(4001) }),
        Err(Rejection::TextTooLong { field: "note", max: 4000 })
    );
    room.run(IncidentCommand::AddNote { id, text: "x".repeat(4000) });

    room.run(IncidentCommand::Close { id });
    assert_eq!(
        room.try_run(IncidentCommand::AddNote { id, text: "late".to_owned() }),
        Err(invalid_transition(id, IncidentStatus::Closed, "add_note"))
    );
    assert_eq!(room.incident(id).note_count, 2);
}

// ---- escalation --------------------------------------------------------------------------

#[test]
fn manual_escalation_raises_one_level_up_to_the_maximum() {
    let mut room = Room::new();
    let id = room.open_acknowledged("flood");
    let escalate = || IncidentCommand::Escalate { id, reason: "water still rising".to_owned() };
    for expected in [1, 2, 3, 4, 5, 5] {
        let events = room.run(escalate());
        assert_eq!(
            events[0].change,
            IncidentChange::Escalated { level: expected, reason: "water still rising".to_owned(), automatic: false }
        );
        assert_eq!(room.incident(id).escalation_level, expected);
    }
    assert_eq!(
        room.try_run(IncidentCommand::Escalate { id, reason: " ".to_owned() }),
        Err(Rejection::EmptyText { field: "reason" })
    );
}

#[test]
fn a_resolved_or_closed_incident_is_not_escalated() {
    let mut room = Room::new();
    let resolved = room.resolved("info");
    let closed = room.closed("info");
    for (id, status) in [(resolved, IncidentStatus::Resolved), (closed, IncidentStatus::Closed)] {
        assert_eq!(
            room.try_run(IncidentCommand::Escalate { id, reason: "why".to_owned() }),
            Err(invalid_transition(id, status, "escalate"))
        );
    }
}

#[test]
fn tick_escalates_an_unacknowledged_incident_once_per_delay() {
    let mut room = Room::new();
    let id = room.open("flood"); // 60 s to acknowledge
    room.at(59);
    assert_eq!(room.tick(), Vec::new());

    room.at(60);
    let events = room.tick();
    assert_eq!(
        events,
        [IncidentEvent {
            incident_id: id,
            actor: actor("system:escalation"),
            change: IncidentChange::Escalated {
                level: 1,
                reason: "not acknowledged within 60 s".to_owned(),
                automatic: true,
            },
        }]
    );
    assert_eq!(room.incident(id).escalation_level, 1);
    assert_eq!(room.tick(), Vec::new(), "a second tick at the same time yields nothing");

    room.at(119);
    assert_eq!(room.tick(), Vec::new());
    room.at(120);
    let events = room.tick();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].change,
        IncidentChange::Escalated { level: 2, reason: "not acknowledged within 120 s".to_owned(), automatic: true }
    );
}

#[test]
fn tick_catches_up_after_a_pause_and_stops_at_the_maximum_level() {
    let mut room = Room::new();
    let id = room.open("fire"); // 30 s to acknowledge
    room.at(95);
    let levels: Vec<u8> = room
        .tick()
        .iter()
        .map(|event| match event.change {
            IncidentChange::Escalated { level, .. } => level,
            _ => 0,
        })
        .collect();
    assert_eq!(levels, [1, 2, 3]);

    room.at(3600);
    assert_eq!(room.tick().len(), 2);
    assert_eq!(room.incident(id).escalation_level, MAX_ESCALATION_LEVEL);
    room.at(7200);
    assert_eq!(room.tick(), Vec::new());
}

#[test]
fn tick_spares_acknowledged_incidents_and_categories_without_delay() {
    let mut room = Room::new();
    let acknowledged = room.open_acknowledged("fire");
    let info = room.open("info");
    room.at(3600);
    assert_eq!(room.tick(), Vec::new());
    assert_eq!(room.incident(acknowledged).escalation_level, 0);
    assert_eq!(room.incident(info).escalation_level, 0);
}

#[test]
fn manual_escalation_counts_toward_the_level_due() {
    let mut room = Room::new();
    let id = room.open("flood");
    room.at(10);
    room.run(IncidentCommand::Escalate { id, reason: "crowd on the bank".to_owned() });
    room.at(60);
    assert_eq!(room.tick(), Vec::new(), "level 1 is already reached");
    room.at(120);
    assert_eq!(room.tick().len(), 1);
    assert_eq!(room.incident(id).escalation_level, 2);
}

// ---- playbook steps ----------------------------------------------------------------------

#[test]
fn steps_are_done_or_skipped_once_with_their_actor_and_time() {
    let mut room = Room::new();
    let id = room.open_acknowledged("flood");
    room.at(30);
    room.run(IncidentCommand::CompleteStep { id, step: "warn".to_owned() });
    room.try_as(
        "operator:bob",
        IncidentCommand::SkipStep {
            id,
            step: "close-road".to_owned(),
            reason: "road already closed by the prefecture".to_owned(),
        },
    )
    .expect("skip accepted");

    let steps = &room.incident(id).steps;
    assert_eq!(steps[0].settlement, Some(StepSettlement::Done { by: actor("operator:alice"), at: room.now }));
    assert_eq!(
        steps[1].settlement,
        Some(StepSettlement::Skipped {
            by: actor("operator:bob"),
            at: room.now,
            reason: "road already closed by the prefecture".to_owned()
        })
    );
    assert_eq!(steps[2].settlement, None);

    assert_eq!(
        room.try_run(IncidentCommand::CompleteStep { id, step: "warn".to_owned() }),
        Err(Rejection::StepAlreadySettled { id, step: "warn".to_owned() })
    );
    assert_eq!(
        room.try_run(IncidentCommand::SkipStep { id, step: "close-road".to_owned(), reason: "twice".to_owned() }),
        Err(Rejection::StepAlreadySettled { id, step: "close-road".to_owned() })
    );
    assert_eq!(
        room.try_run(IncidentCommand::CompleteStep { id, step: "evacuate".to_owned() }),
        Err(Rejection::UnknownStep { id, step: "evacuate".to_owned() })
    );
}

#[test]
fn skipping_a_step_needs_a_reason() {
    let mut room = Room::new();
    let id = room.open("fire");
    assert_eq!(
        room.try_run(IncidentCommand::SkipStep { id, step: "call-firefighters".to_owned(), reason: String::new() }),
        Err(Rejection::EmptyText { field: "reason" })
    );
}

#[test]
fn steps_are_frozen_once_resolved() {
    let mut room = Room::new();
    let id = room.resolved("fire");
    room.run(IncidentCommand::Reopen { id, reason: "fire restarted".to_owned() });
    assert_eq!(
        room.try_run(IncidentCommand::CompleteStep { id, step: "call-firefighters".to_owned() }),
        Err(Rejection::StepAlreadySettled { id, step: "call-firefighters".to_owned() })
    );

    let other = room.resolved("flood");
    assert_eq!(
        room.try_run(IncidentCommand::CompleteStep { id: other, step: "warn".to_owned() }),
        Err(invalid_transition(other, IncidentStatus::Resolved, "complete_step"))
    );
}

#[test]
fn a_repeated_step_id_settles_its_occurrences_in_order() {
    let mut room = Room::new();
    room.policies.categories.insert(category("drill"), policy("drill", Priority::P3, 0, &["check", "check"]));
    let id = room.open_acknowledged("drill");
    room.run(IncidentCommand::CompleteStep { id, step: "check".to_owned() });
    assert_eq!(room.incident(id).unsettled_steps().count(), 1);
    room.run(IncidentCommand::CompleteStep { id, step: "check".to_owned() });
    assert_eq!(
        room.try_run(IncidentCommand::CompleteStep { id, step: "check".to_owned() }),
        Err(Rejection::StepAlreadySettled { id, step: "check".to_owned() })
    );
    room.run(IncidentCommand::Resolve { id, outcome: Outcome::Confirmed });
}

// ---- resolve, close, reopen --------------------------------------------------------------

#[test]
fn resolve_needs_an_acknowledgement_first() {
    let mut room = Room::new();
    let id = room.open("info");
    assert_eq!(
        room.try_run(IncidentCommand::Resolve { id, outcome: Outcome::FalseAlarm }),
        Err(invalid_transition(id, IncidentStatus::Open, "resolve"))
    );
}

#[test]
fn resolve_is_disabled_until_every_step_is_done_or_skipped() {
    let mut room = Room::new();
    let id = room.open_acknowledged("flood");
    let resolve = || IncidentCommand::Resolve { id, outcome: Outcome::Confirmed };
    assert_eq!(
        room.try_run(resolve()),
        Err(Rejection::UnsettledSteps {
            id,
            steps: vec!["warn".to_owned(), "close-road".to_owned(), "alert".to_owned()]
        })
    );
    room.run(IncidentCommand::CompleteStep { id, step: "warn".to_owned() });
    room.run(IncidentCommand::SkipStep { id, step: "alert".to_owned(), reason: "no one on the bank".to_owned() });
    assert_eq!(room.try_run(resolve()), Err(Rejection::UnsettledSteps { id, steps: vec!["close-road".to_owned()] }));
    room.run(IncidentCommand::CompleteStep { id, step: "close-road".to_owned() });

    room.at(600);
    room.run(resolve());
    let incident = room.incident(id);
    assert_eq!(incident.status, IncidentStatus::Resolved);
    assert_eq!(incident.outcome, Some(Outcome::Confirmed));
    assert_eq!(incident.resolved_at, Some(room.now));
    assert_eq!(room.try_run(resolve()), Err(invalid_transition(id, IncidentStatus::Resolved, "resolve")));
}

#[test]
fn an_incident_on_hold_can_be_resolved() {
    let mut room = Room::new();
    let id = room.open_acknowledged("info");
    room.run(IncidentCommand::Hold { id, reason: "night".to_owned() });
    room.run(IncidentCommand::Resolve { id, outcome: Outcome::FalseAlarm });
    assert_eq!(room.incident(id).status, IncidentStatus::Resolved);
}

#[test]
fn a_duplicate_points_to_another_existing_incident() {
    let mut room = Room::new();
    let original = room.open("info");
    let copy = room.open_acknowledged("info");
    let as_duplicate_of = |of| IncidentCommand::Resolve { id: copy, outcome: Outcome::Duplicate { of } };
    assert_eq!(room.try_run(as_duplicate_of(copy)), Err(Rejection::DuplicateOfItself { id: copy }));
    assert_eq!(
        room.try_run(as_duplicate_of(IncidentId(77))),
        Err(Rejection::UnknownDuplicateTarget { id: copy, of: IncidentId(77) })
    );
    room.run(as_duplicate_of(original));
    assert_eq!(room.incident(copy).outcome, Some(Outcome::Duplicate { of: original }));
}

#[test]
fn close_only_a_resolved_incident() {
    let mut room = Room::new();
    let id = room.open_acknowledged("info");
    assert_eq!(
        room.try_run(IncidentCommand::Close { id }),
        Err(invalid_transition(id, IncidentStatus::Acknowledged, "close"))
    );
    room.run(IncidentCommand::Resolve { id, outcome: Outcome::Confirmed });
    room.at(900);
    room.run(IncidentCommand::Close { id });
    assert_eq!(room.incident(id).status, IncidentStatus::Closed);
    assert_eq!(room.incident(id).closed_at, Some(room.now));
    assert_eq!(
        room.try_run(IncidentCommand::Close { id }),
        Err(invalid_transition(id, IncidentStatus::Closed, "close"))
    );
}

#[test]
fn reopen_takes_a_finished_incident_back_in_hand() {
    let mut room = Room::new();
    let id = room.closed("flood");
    let acknowledged_at = room.incident(id).acknowledged_at;
    assert_eq!(
        room.try_run(IncidentCommand::Reopen { id, reason: String::new() }),
        Err(Rejection::EmptyText { field: "reason" })
    );
    room.run(IncidentCommand::Reopen { id, reason: "water rising again".to_owned() });

    let incident = room.incident(id);
    assert_eq!(incident.status, IncidentStatus::Acknowledged);
    assert_eq!(incident.outcome, None);
    assert_eq!(incident.resolved_at, None);
    assert_eq!(incident.closed_at, None);
    assert_eq!(incident.acknowledged_at, acknowledged_at);
    assert_eq!(incident.unsettled_steps().count(), 0, "steps keep their settlement");
    assert_eq!(
        room.try_run(IncidentCommand::Reopen { id, reason: "again".to_owned() }),
        Err(invalid_transition(id, IncidentStatus::Acknowledged, "reopen"))
    );

    let resolved = room.resolved("info");
    room.run(IncidentCommand::Reopen { id: resolved, reason: "not over".to_owned() });
    assert_eq!(room.incident(resolved).status, IncidentStatus::Acknowledged);
}

// ---- evolve and snapshots ----------------------------------------------------------------

#[test]
fn evolve_ignores_events_about_unknown_incidents() {
    let mut room = Room::new();
    room.open("info");
    let before = room.state.clone();
    let stray =
        IncidentEvent { incident_id: IncidentId(40), actor: actor("operator:alice"), change: IncidentChange::Closed };
    evolve(&mut room.state, room.now, &stray);
    assert_eq!(room.state, before);
}

#[test]
fn from_parts_never_hands_out_an_existing_id() {
    let mut room = Room::new();
    room.open("info");
    room.open("fire");
    let incidents: Vec<Incident> = room.state.iter().cloned().collect();
    let loaded = Incidents::from_parts(IncidentId(1), incidents.clone());
    assert_eq!(loaded.next_id(), IncidentId(3));
    assert_eq!(loaded, room.state);
    assert_eq!(Incidents::from_parts(IncidentId(10), incidents).next_id(), IncidentId(10));
}

#[test]
fn the_state_survives_a_json_snapshot() {
    let mut room = Room::new();
    let id = room.open("flood");
    room.run(IncidentCommand::CompleteStep { id, step: "warn".to_owned() });
    room.closed("fire");
    let json = serde_json::to_string(&room.state).expect("serializes");
    let back: Incidents = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, room.state);
}

// ---- model test --------------------------------------------------------------------------

const STEP_POOL: &[&str] = &["warn", "close-road", "alert", "call-firefighters", "bogus"];

fn any_id() -> impl Strategy<Value = IncidentId> {
    // Zero never exists; 1 to 3 always do (see the session's opening), 4 sometimes.
    prop_oneof![1 => Just(IncidentId(0)), 16 => (1u64..=4).prop_map(IncidentId)]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => Just("Débordement sur la berge".to_owned()),
        1 => Just(String::new()),
        1 => Just(" \t".to_owned()),
        1 => Just("x".repeat(201)),
        1 => Just("x".repeat(1001)),
        1 => Just("x".repeat(4001)),
    ]
}

fn any_step() -> impl Strategy<Value = String> {
    proptest::sample::select(STEP_POOL).prop_map(str::to_owned)
}

fn any_post() -> impl Strategy<Value = PostId> {
    proptest::sample::select(&["pc-police", "pc-traffic", "pc-crisis"][..]).prop_map(post)
}

fn any_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![Just(Outcome::Confirmed), Just(Outcome::FalseAlarm), any_id().prop_map(|of| Outcome::Duplicate { of }),]
}

fn any_create() -> impl Strategy<Value = CreateIncident> {
    let categories = prop_oneof![
        9 => proptest::sample::select(&["flood", "fire", "info"][..]),
        1 => Just("ghost"),
    ];
    let priority =
        proptest::option::of(proptest::sample::select(&[Priority::P1, Priority::P2, Priority::P3, Priority::P4][..]));
    let position = prop_oneof![
        4 => Just(None),
        5 => Just(Some(GeoPoint {
            lon: 5.04,
            lat: 47.32
        })),
        1 => Just(Some(GeoPoint {
            lon: 200.0,
            lat: 47.32
        })),
    ];
    let origin = prop_oneof![
        Just(Origin::Manual),
        Just(Origin::Alarm { rule: "ouche-flood".to_owned(), subject: "gauge-1".to_owned() }),
    ];
    (categories, priority, any_text(), any_post(), position, origin).prop_map(
        |(category_name, priority, title, post, position, origin)| CreateIncident {
            category: category(category_name),
            priority,
            title,
            post,
            commune: None,
            zone: Some(ZoneId::parse("quai-nord").expect("test identifiers are valid")),
            position,
            origin,
        },
    )
}

fn any_command() -> impl Strategy<Value = IncidentCommand> {
    let units = proptest::sample::select(&["pm-1", "pm-2"][..]).prop_map(unit);
    let cameras = proptest::sample::select(&["cam-1", "cam-2"][..]).prop_map(camera);
    prop_oneof![
        2 => any_create().prop_map(IncidentCommand::Create),
        3 => any_id().prop_map(|id| IncidentCommand::Acknowledge { id }),
        1 => (any_id(), any_post()).prop_map(|(id, post)| IncidentCommand::Assign { id, post }),
        1 => (any_id(), units).prop_map(|(id, unit)| IncidentCommand::DispatchUnit { id, unit }),
        1 => (any_id(), any_text()).prop_map(|(id, text)| IncidentCommand::AddNote { id, text }),
        1 => (any_id(), any_text()).prop_map(|(id, message)| IncidentCommand::AttachAlarm {
            id,
            rule: "fumee".to_owned(),
            subject: "smoke-1".to_owned(),
            message,
            priority: Some(Priority::P1),
        }),
        1 => (any_id(), cameras).prop_map(|(id, camera)| IncidentCommand::LinkCamera { id, camera }),
        1 => (any_id(), any_text()).prop_map(|(id, reason)| IncidentCommand::Escalate { id, reason }),
        1 => (any_id(), any_text()).prop_map(|(id, reason)| IncidentCommand::Hold { id, reason }),
        2 => any_id().prop_map(|id| IncidentCommand::Resume { id }),
        5 => (any_id(), any_step()).prop_map(|(id, step)| IncidentCommand::CompleteStep { id, step }),
        2 => (any_id(), any_step(), any_text())
            .prop_map(|(id, step, reason)| IncidentCommand::SkipStep { id, step, reason }),
        4 => (any_id(), any_outcome()).prop_map(|(id, outcome)| IncidentCommand::Resolve { id, outcome }),
        4 => any_id().prop_map(|id| IncidentCommand::Close { id }),
        2 => (any_id(), any_text()).prop_map(|(id, reason)| IncidentCommand::Reopen { id, reason }),
        2 => Just(IncidentCommand::Tick),
    ]
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        16 => Just(actor("operator:alice")),
        8 => Just(actor("operator:bob")),
        1 => Just(actor("")),
    ]
}

/// One command of a session: who, how many milliseconds after the previous one, what.
fn any_session() -> impl Strategy<Value = Vec<(Actor, i64, IncidentCommand)>> {
    proptest::collection::vec((any_actor(), 0i64..=45_000, any_command()), 0..60)
}

/// The statuses from which a command may move an incident, and the status it moves it to; an
/// independent restatement of the lifecycle diagram.
fn transition(command: &IncidentCommand) -> Option<(&'static [IncidentStatus], IncidentStatus)> {
    use IncidentStatus::{Acknowledged, Closed, OnHold, Open, Resolved};
    match command {
        IncidentCommand::Acknowledge { .. } => Some((&[Open], Acknowledged)),
        IncidentCommand::Hold { .. } => Some((&[Acknowledged], OnHold)),
        IncidentCommand::Resume { .. } => Some((&[OnHold], Acknowledged)),
        IncidentCommand::Resolve { .. } => Some((&[Acknowledged, OnHold], Resolved)),
        IncidentCommand::Close { .. } => Some((&[Resolved], Closed)),
        IncidentCommand::Reopen { .. } => Some((&[Resolved, Closed], Acknowledged)),
        _ => None,
    }
}

fn target(command: &IncidentCommand) -> Option<IncidentId> {
    match command {
        IncidentCommand::Create(_) | IncidentCommand::Tick => None,
        IncidentCommand::Acknowledge { id }
        | IncidentCommand::Assign { id, .. }
        | IncidentCommand::DispatchUnit { id, .. }
        | IncidentCommand::AddNote { id, .. }
        | IncidentCommand::AttachAlarm { id, .. }
        | IncidentCommand::LinkCamera { id, .. }
        | IncidentCommand::Escalate { id, .. }
        | IncidentCommand::Hold { id, .. }
        | IncidentCommand::Resume { id }
        | IncidentCommand::CompleteStep { id, .. }
        | IncidentCommand::SkipStep { id, .. }
        | IncidentCommand::Resolve { id, .. }
        | IncidentCommand::Close { id }
        | IncidentCommand::Reopen { id, .. } => Some(*id),
    }
}

fn check_invariants(state: &Incidents) -> Result<(), TestCaseError> {
    for incident in state.iter() {
        let id = incident.id;
        prop_assert!(id < state.next_id(), "{id} is not below the next id");
        prop_assert!(incident.escalation_level <= MAX_ESCALATION_LEVEL);
        prop_assert_eq!(
            incident.status == IncidentStatus::Open,
            incident.acknowledged_at.is_none(),
            "{} is {} with acknowledged_at {:?}",
            id,
            incident.status,
            incident.acknowledged_at
        );
        let finished = !incident.status.is_active();
        prop_assert_eq!(finished, incident.outcome.is_some(), "{} outcome", id);
        prop_assert_eq!(finished, incident.resolved_at.is_some(), "{} resolved_at", id);
        prop_assert_eq!(incident.status == IncidentStatus::Closed, incident.closed_at.is_some(), "{} closed_at", id);
        if finished {
            prop_assert_eq!(incident.unsettled_steps().count(), 0, "{} has unsettled steps", id);
        }
        if let Some(Outcome::Duplicate { of }) = incident.outcome {
            prop_assert!(of != id && state.get(of).is_some(), "{id} duplicates {of}");
        }
        let unique_units: std::collections::BTreeSet<_> = incident.units.iter().collect();
        prop_assert_eq!(unique_units.len(), incident.units.len());
        let unique_cameras: std::collections::BTreeSet<_> = incident.cameras.iter().collect();
        prop_assert_eq!(unique_cameras.len(), incident.cameras.len());
        prop_assert!(incident.created_at <= incident.updated_at);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sessions_keep_the_invariants_and_replay_exactly(session in any_session()) {
        let policies = policies();
        let mut state = Incidents::default();
        let mut now = Timestamp(START_MS);
        let mut log: Vec<(Timestamp, IncidentEvent)> = Vec::new();
        // Every session opens one incident of each category, so that commands meet incidents.
        let opening = ["flood", "fire", "info"]
            .map(|name| (actor("operator:alice"), 0, IncidentCommand::Create(create(name))));

        for (by, delay_ms, command) in opening.iter().chain(&session) {
            now = Timestamp(now.millis() + delay_ms);
            let before = state.clone();
            let decision = decide(&state, &policies, by, now, command);
            let prior_status = target(command)
                .and_then(|id| before.get(id))
                .map(|incident| incident.status);

            match decision {
                Ok(events) => {
                    prop_assert!(!by.0.is_empty() || matches!(command, IncidentCommand::Tick));
                    for event in &events {
                        prop_assert!(!event.actor.0.trim().is_empty(), "an event without actor");
                        let json = serde_json::to_string(event)?;
                        let back: IncidentEvent = serde_json::from_str(&json)?;
                        prop_assert_eq!(&back, event);
                        evolve(&mut state, now, event);
                        log.push((now, event.clone()));
                    }
                    match command {
                        IncidentCommand::Create(_) => {
                            prop_assert_eq!(events.len(), 1);
                            let created = state.get(before.next_id());
                            prop_assert_eq!(created.map(|incident| incident.status), Some(IncidentStatus::Open));
                        }
                        IncidentCommand::Tick => {
                            let again = decide(&state, &policies, by, now, command);
                            prop_assert_eq!(again, Ok(Vec::new()), "tick is not idempotent");
                        }
                        _ => {
                            prop_assert_eq!(events.len(), 1);
                            let after_status = target(command)
                                .and_then(|id| state.get(id))
                                .map(|incident| incident.status);
                            let expected = match transition(command) {
                                Some((from, to)) => {
                                    prop_assert!(prior_status.is_some_and(|status| from.contains(&status)));
                                    Some(to)
                                }
                                None => prior_status,
                            };
                            prop_assert_eq!(after_status, expected);
                        }
                    }
                }
                Err(Rejection::InvalidTransition { status, .. }) => {
                    prop_assert_eq!(Some(status), prior_status);
                    if let Some((from, _)) = transition(command) {
                        prop_assert!(!from.contains(&status));
                    }
                }
                Err(_) => {}
            }
            check_invariants(&state)?;
        }

        let mut replayed = Incidents::default();
        for (at, event) in &log {
            evolve(&mut replayed, *at, event);
        }
        prop_assert_eq!(&replayed, &state);

        let snapshot: Incidents = serde_json::from_str(&serde_json::to_string(&state)?)?;
        prop_assert_eq!(&snapshot, &state);
    }
}

//! Alarm management: priority, one incident per cause, flood grouping, shelving, chattering.

use super::*;
use crate::incident::{
    Actor, CategoryPolicy, CreateIncident, IncidentCommand, IncidentPolicies, IncidentStatus, Origin, decide, evolve,
};
use proptest::prelude::*;

fn key(rule: &str, subject: &str) -> AlarmKey {
    AlarmKey { rule: rule.to_owned(), subject: subject.to_owned() }
}

fn raised(post: &str, zone: Option<&str>) -> RaisedAlarm {
    RaisedAlarm {
        category: CategoryId::parse("fire").unwrap(),
        severity: 4,
        priority: Priority::P2,
        value: Some(1.0),
        sensors: vec![SensorId::parse("smoke-1").unwrap()],
        zone: zone.map(|zone| ZoneId::parse(zone).unwrap()),
        commune: Some(CommuneId::parse("21231").unwrap()),
        post: PostId::parse(post).unwrap(),
        message_fr: "fumée".to_owned(),
        message_en: "smoke".to_owned(),
        disposition: Disposition::Shelved,
    }
}

/// A small control room: the alarm book and the incidents, moved by the same events.
struct Room {
    book: AlarmBook,
    incidents: Incidents,
    policies: IncidentPolicies,
}

impl Room {
    fn new() -> Room {
        let category = CategoryId::parse("fire").unwrap();
        let policy = CategoryPolicy {
            category: category.clone(),
            label_fr: "Feu".to_owned(),
            label_en: "Fire".to_owned(),
            default_priority: Priority::P1,
            ack_delay_s: 60,
            playbook: Vec::new(),
        };
        Room {
            book: AlarmBook::default(),
            incidents: Incidents::default(),
            policies: IncidentPolicies { categories: [(category, policy)].into_iter().collect() },
        }
    }

    /// Raises an alarm the way the engine does: dispose, then the incident events, then log.
    fn raise(&mut self, alarm_key: &AlarmKey, mut alarm: RaisedAlarm, now: Timestamp) -> Disposition {
        let disposition = dispose(&self.book, &self.incidents, alarm_key, &alarm, now);
        let actor = Actor(format!("rule:{}", alarm_key.rule));
        let command = match &disposition {
            Disposition::Shelved => None,
            Disposition::Opened { .. } | Disposition::Grouped { opened: true, .. } => {
                Some(IncidentCommand::Create(CreateIncident {
                    category: alarm.category.clone(),
                    priority: Some(alarm.priority),
                    title: alarm.message_fr.clone(),
                    post: alarm.post.clone(),
                    commune: alarm.commune.clone(),
                    zone: alarm.zone.clone(),
                    position: None,
                    origin: Origin::Alarm { rule: alarm_key.rule.clone(), subject: alarm_key.subject.clone() },
                }))
            }
            Disposition::Attached { incident } | Disposition::Grouped { incident, opened: false } => {
                Some(IncidentCommand::AttachAlarm {
                    id: *incident,
                    rule: alarm_key.rule.clone(),
                    subject: alarm_key.subject.clone(),
                    message: alarm.message_fr.clone(),
                    priority: Some(alarm.priority),
                })
            }
        };
        if let Some(command) = command {
            for event in decide(&self.incidents, &self.policies, &actor, now, &command).unwrap() {
                evolve(&mut self.incidents, now, &event);
            }
        }
        alarm.disposition = disposition.clone();
        let event = AlarmEvent {
            key: alarm_key.clone(),
            incident: disposition.incident(),
            actor: actor.0,
            change: AlarmChange::Raised(alarm),
        };
        self.book.apply(now, &event);
        disposition
    }

    fn clear(&mut self, alarm_key: &AlarmKey, now: Timestamp) {
        let event = AlarmEvent {
            key: alarm_key.clone(),
            incident: None,
            actor: "rule:x".to_owned(),
            change: AlarmChange::Cleared,
        };
        self.book.apply(now, &event);
    }
}

#[test]
fn priority_grows_with_severity_and_criticality() {
    assert_eq!(priority_of(5, 5), Priority::P1);
    assert_eq!(priority_of(4, 4), Priority::P1);
    assert_eq!(priority_of(3, 3), Priority::P2);
    assert_eq!(priority_of(2, 2), Priority::P3);
    assert_eq!(priority_of(1, 3), Priority::P4);
    assert_eq!(priority_of(0, 9), priority_of(1, 5), "out-of-range inputs are clamped");
}

#[test]
fn a_second_alarm_of_the_same_cause_joins_the_open_incident() {
    let mut room = Room::new();
    let smoke = key("fumee", "smoke-1");
    assert_eq!(
        room.raise(&smoke, raised("batiments", None), Timestamp(0)),
        Disposition::Opened { incident: IncidentId(1) }
    );
    room.clear(&smoke, Timestamp(10_000));
    assert_eq!(
        room.raise(&smoke, raised("batiments", None), Timestamp(20_000)),
        Disposition::Attached { incident: IncidentId(1) }
    );
    assert_eq!(room.incidents.get(IncidentId(1)).unwrap().alarm_count, 1);
    // Once the incident is no longer active, the next raise opens a new one.
    room.incidents = {
        let mut incidents = room.incidents.clone();
        let mut closed = incidents.get(IncidentId(1)).unwrap().clone();
        closed.status = IncidentStatus::Closed;
        incidents = Incidents::from_parts(incidents.next_id(), vec![closed]);
        incidents
    };
    assert_eq!(
        room.raise(&smoke, raised("batiments", None), Timestamp(30_000)),
        Disposition::Opened { incident: IncidentId(2) }
    );
}

#[test]
fn a_flood_of_alarms_collapses_into_one_parent_incident_per_cause() {
    let mut room = Room::new();
    let mut dispositions = Vec::new();
    for index in 0..25 {
        // Ten alarms of ten different causes (no zone) fill the post's window; the next fifteen
        // come from two buildings.
        let zone = match index {
            0..10 => None,
            _ if index % 2 == 0 => Some("bibliotheque"),
            _ => Some("patinoire"),
        };
        let alarm_key = key("fumee", &format!("smoke-{index}"));
        dispositions.push(room.raise(&alarm_key, raised("batiments", zone), Timestamp(index * 10_000)));
    }
    let opened = dispositions.iter().filter(|disposition| matches!(disposition, Disposition::Opened { .. })).count();
    assert_eq!(opened, FLOOD_THRESHOLD, "the first ten open their own incidents");
    let parents: Vec<&Disposition> = dispositions
        .iter()
        .filter(|disposition| matches!(disposition, Disposition::Grouped { opened: true, .. }))
        .collect();
    assert_eq!(parents.len(), 2, "one parent per building: {dispositions:?}");
    assert_eq!(room.incidents.len(), FLOOD_THRESHOLD + 2, "25 alarms, 12 incidents");
    let grouped = dispositions.iter().filter(|disposition| matches!(disposition, Disposition::Grouped { .. })).count();
    assert_eq!(grouped, 15);
    // Another post is not flooded by this one.
    let other = room.raise(&key("fumee", "smoke-x"), raised("police", None), Timestamp(250_000));
    assert!(matches!(other, Disposition::Opened { .. }));
    // Ten minutes of calm later, alarms open their own incidents again.
    let later = room.raise(&key("fumee", "smoke-late"), raised("batiments", None), Timestamp(250_000 + 600_000));
    assert!(matches!(later, Disposition::Opened { .. }), "{later:?}");
}

#[test]
fn alarms_of_one_cause_in_one_zone_make_one_incident_at_the_highest_priority() {
    let mut room = Room::new();
    let first = room.raise(&key("fumee", "smoke-1"), raised("batiments", Some("bibliotheque")), Timestamp(0));
    assert_eq!(first, Disposition::Opened { incident: IncidentId(1) });
    let mut confirmed = raised("batiments", Some("bibliotheque"));
    confirmed.priority = Priority::P1;
    let second = room.raise(&key("feu-confirme", "bibliotheque"), confirmed, Timestamp(5_000));
    assert_eq!(second, Disposition::Attached { incident: IncidentId(1) });
    assert_eq!(
        room.incidents.get(IncidentId(1)).unwrap().priority,
        Priority::P1,
        "raised to the confirmation's priority"
    );
    let elsewhere = room.raise(&key("fumee", "smoke-9"), raised("batiments", Some("patinoire")), Timestamp(6_000));
    assert_eq!(elsewhere, Disposition::Opened { incident: IncidentId(2) });
}

#[test]
fn a_shelved_alarm_opens_nothing_until_its_shelf_ends() {
    let mut room = Room::new();
    let smoke = key("fumee", "smoke-1");
    let shelve = AlarmEvent {
        key: smoke.clone(),
        incident: None,
        actor: "operator:alice".to_owned(),
        change: AlarmChange::Shelved { until: Timestamp(60_000), reason: "travaux".to_owned() },
    };
    room.book.apply(Timestamp(0), &shelve);
    assert_eq!(room.raise(&smoke, raised("batiments", None), Timestamp(30_000)), Disposition::Shelved);
    assert!(room.incidents.is_empty());
    assert_eq!(room.book.expired_shelves(Timestamp(59_999)), Vec::<AlarmKey>::new());
    assert_eq!(room.book.expired_shelves(Timestamp(60_000)), vec![smoke.clone()]);
    assert!(matches!(room.raise(&smoke, raised("batiments", None), Timestamp(61_000)), Disposition::Opened { .. }));
}

#[test]
fn chattering_alarms_are_listed_worst_first() {
    let mut room = Room::new();
    let chatty = key("niveau", "gauge-1");
    let calm = key("niveau", "gauge-2");
    for index in 0..6 {
        room.raise(&chatty, raised("crise", None), Timestamp(index * 30_000));
        room.clear(&chatty, Timestamp(index * 30_000 + 10_000));
    }
    room.raise(&calm, raised("crise", None), Timestamp(100_000));
    assert_eq!(room.book.chattering(Timestamp(200_000)), vec![(chatty.clone(), 6)]);
    assert!(room.book.chattering(Timestamp(200_000 + 600_000)).is_empty(), "old raises leave the window");
    assert_eq!(room.book.standing.len(), 1);
}

proptest! {
    #[test]
    fn windows_stay_bounded_and_rates_match_a_recount(steps in proptest::collection::vec((0u8..4, 0u8..3, 1i64..120), 1..200)) {
        let mut room = Room::new();
        let mut now = Timestamp(0);
        let mut raise_times: Vec<(String, Timestamp)> = Vec::new();
        for (action, subject, advance_s) in steps {
            now = now.plus_seconds(advance_s);
            let alarm_key = key("r", &format!("s{subject}"));
            let post = if subject == 0 { "a" } else { "b" };
            if action == 0 {
                room.clear(&alarm_key, now);
            } else {
                room.raise(&alarm_key, raised(post, None), now);
                raise_times.push((post.to_owned(), now));
            }
            for post in ["a", "b"] {
                let recount = raise_times.iter().filter(|(p, time)| p == post && now.seconds_since(*time) < FLOOD_WINDOW_S).count();
                prop_assert_eq!(room.book.post_rate(&PostId::parse(post).unwrap(), now), recount);
                // Pruned at each raise: the deque holds exactly the raises in the window that
                // ended at the post's last raise, so memory stays bounded by the flood window.
                let kept = room.book.post_raises.get(&PostId::parse(post).unwrap()).map_or(0, VecDeque::len);
                let last_raise = raise_times.iter().rev().find(|(p, _)| p == post).map(|(_, time)| *time);
                let expected = last_raise.map_or(0, |last| {
                    raise_times.iter().filter(|(p, time)| p == post && last.seconds_since(*time) < FLOOD_WINDOW_S).count()
                });
                prop_assert_eq!(kept, expected);
            }
        }
    }
}

#[test]
fn the_alarm_book_survives_a_json_snapshot() {
    let mut room = Room::new();
    room.raise(&key("fumee", "smoke-1"), raised("batiments", Some("bibliotheque")), Timestamp(0));
    room.raise(&key("fumee", "smoke-2"), raised("batiments", None), Timestamp(1_000));
    let shelve = AlarmEvent {
        key: key("fumee", "smoke-2"),
        incident: None,
        actor: "operator:alice".to_owned(),
        change: AlarmChange::Shelved { until: Timestamp(90_000), reason: "essai".to_owned() },
    };
    room.book.apply(Timestamp(2_000), &shelve);
    let state = crate::CityState { alarms: room.book.clone(), incidents: room.incidents.clone(), ..Default::default() };
    let json = serde_json::to_vec(&state).expect("a snapshot encodes");
    let back: crate::CityState = serde_json::from_slice(&json).expect("a snapshot decodes");
    assert_eq!(back, state);
}

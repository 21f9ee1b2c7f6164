//! The events that décret n° 2023-828 of 28 August 2023 (article 3) allows algorithmic video
//! processing to signal, and which of them Vigie detects.

use serde::{Deserialize, Serialize};

/// The eight predetermined events of décret n° 2023-828, article 3, in its order.
///
/// Vigie detects three of them from tracked people and vehicles on the ground plane:
/// counter-flow ([`LegalEventType::CounterFlow`]), presence in a forbidden or sensitive zone
/// ([`LegalEventType::ZoneIntrusion`]) and excessive density
/// ([`LegalEventType::ExcessiveDensity`]).
///
/// The other five are **not supported yet**, because each needs a model or a signal the
/// pipeline does not have, and signalling them without one would mean false alarms that no one
/// has measured:
/// - abandoned object: needs detecting bags and parcels that stay still, and telling whether
///   someone is still with them, over minutes; the tracker follows moving persons and vehicles;
/// - weapon: needs a dedicated detector trained and evaluated on weapons; the COCO classes the
///   detector knows have none fit for this;
/// - person on the ground after a fall: needs posture (pose estimation or a fall classifier);
///   a box alone does not tell a fall from someone sitting;
/// - crowd movement: needs the dense motion of a crowd (optical flow), which counts of tracked
///   people do not capture;
/// - fire outbreak: needs a smoke and flame detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalEventType {
    /// Présence d'objets abandonnés.
    AbandonedObject,
    /// Présence ou utilisation d'armes (code de la sécurité intérieure, article R. 311-2).
    Weapon,
    /// Non-respect par une personne ou un véhicule du sens de circulation commun.
    CounterFlow,
    /// Franchissement ou présence d'une personne ou d'un véhicule dans une zone interdite ou
    /// sensible.
    ZoneIntrusion,
    /// Présence d'une personne au sol à la suite d'une chute.
    PersonOnTheGround,
    /// Mouvement de foule.
    CrowdMovement,
    /// Densité trop importante de personnes.
    ExcessiveDensity,
    /// Départs de feux.
    FireOutbreak,
}

impl LegalEventType {
    /// All eight, in the décret's order.
    pub const ALL: [LegalEventType; 8] = [
        LegalEventType::AbandonedObject,
        LegalEventType::Weapon,
        LegalEventType::CounterFlow,
        LegalEventType::ZoneIntrusion,
        LegalEventType::PersonOnTheGround,
        LegalEventType::CrowdMovement,
        LegalEventType::ExcessiveDensity,
        LegalEventType::FireOutbreak,
    ];

    /// Whether Vigie can signal this event (see the type's documentation for why not).
    pub fn supported(self) -> bool {
        matches!(self, LegalEventType::CounterFlow | LegalEventType::ZoneIntrusion | LegalEventType::ExcessiveDensity)
    }
}

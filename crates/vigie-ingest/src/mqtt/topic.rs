//! The topic scheme: `<prefix>/<commune>/<sensor-id>/obs`, with the prefix `vigie` by default
//! (an external broker shared with other applications may use a longer one, `city/dijon/vigie`).
//!
//! The sensor id comes from the topic, never from the payload; the commune in the topic must be
//! the sensor's own (checked later, against the city pack).

use vigie_core::{CommuneId, IdError, SensorId};

/// The prefix of observation topics unless configured otherwise.
pub const DEFAULT_TOPIC_PREFIX: &str = "vigie";

/// The last level of an observation topic.
pub const OBSERVATION_LEVEL: &str = "obs";

/// The commune and sensor an observation topic names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservationTopic {
    pub commune: CommuneId,
    pub sensor: SensorId,
}

/// Why a topic is not an observation topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("the topic is not under the prefix {prefix:?}")]
    OutsidePrefix { prefix: String },
    #[error("expected <prefix>/<commune>/<sensor-id>/obs")]
    Shape,
    #[error("commune: {0}")]
    Commune(#[source] IdError),
    #[error("sensor id: {0}")]
    Sensor(#[source] IdError),
    #[error("the prefix must be one or more non-empty levels without wildcards")]
    BadPrefix,
}

/// Checks a configured prefix: non-empty levels, no wildcards, no leading or trailing `/`.
pub fn check_prefix(prefix: &str) -> Result<(), TopicError> {
    let levels_ok = prefix.split('/').all(|level| !level.is_empty() && !level.contains(['+', '#']));
    if prefix.is_empty() || !levels_ok || prefix.contains('\0') {
        return Err(TopicError::BadPrefix);
    }
    Ok(())
}

/// Parses `topic` as `<prefix>/<commune>/<sensor-id>/obs`.
pub fn parse_topic(prefix: &str, topic: &str) -> Result<ObservationTopic, TopicError> {
    let rest = topic
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(|| TopicError::OutsidePrefix { prefix: prefix.to_owned() })?;
    let mut levels = rest.split('/');
    let (Some(commune), Some(sensor), Some(OBSERVATION_LEVEL), None) =
        (levels.next(), levels.next(), levels.next(), levels.next())
    else {
        return Err(TopicError::Shape);
    };
    let commune = CommuneId::parse(commune).map_err(TopicError::Commune)?;
    let sensor = SensorId::parse(sensor).map_err(TopicError::Sensor)?;
    Ok(ObservationTopic { commune, sensor })
}

/// Returns the topic a device publishes `sensor`'s readings to.
pub fn observation_topic(prefix: &str, commune: &str, sensor: &str) -> String {
    format!("{prefix}/{commune}/{sensor}/{OBSERVATION_LEVEL}")
}

/// Returns the subscription filter that matches every observation topic under `prefix`.
pub fn subscription_filter(prefix: &str) -> String {
    format!("{prefix}/+/+/{OBSERVATION_LEVEL}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_scheme() {
        let topic = parse_topic("vigie", "vigie/21231/gauge-ouche-02/obs").unwrap();
        assert_eq!(topic.commune.as_str(), "21231");
        assert_eq!(topic.sensor.as_str(), "gauge-ouche-02");
        let long = parse_topic("city/dijon/vigie", "city/dijon/vigie/21231/gauge-ouche-02/obs").unwrap();
        assert_eq!(long.sensor.as_str(), "gauge-ouche-02");
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(matches!(parse_topic("vigie", "other/21231/s/obs"), Err(TopicError::OutsidePrefix { .. })));
        assert!(matches!(parse_topic("vigie", "vigiex/21231/s/obs"), Err(TopicError::OutsidePrefix { .. })));
        assert_eq!(parse_topic("vigie", "vigie/21231/s"), Err(TopicError::Shape));
        assert_eq!(parse_topic("vigie", "vigie/21231/s/obs/more"), Err(TopicError::Shape));
        assert_eq!(parse_topic("vigie", "vigie/21231/s/state"), Err(TopicError::Shape));
        assert!(matches!(parse_topic("vigie", "vigie//s/obs"), Err(TopicError::Commune(_))));
        assert!(matches!(parse_topic("vigie", "vigie/21231/a b/obs"), Err(TopicError::Sensor(_))));
    }

    #[test]
    fn builds_topics_and_filters_that_parse_back() {
        let topic = observation_topic("vigie", "21231", "gauge-ouche-02");
        assert_eq!(topic, "vigie/21231/gauge-ouche-02/obs");
        assert!(parse_topic("vigie", &topic).is_ok());
        assert_eq!(subscription_filter("test/run-1"), "test/run-1/+/+/obs");
    }

    #[test]
    fn checks_prefixes() {
        assert!(check_prefix("vigie").is_ok());
        assert!(check_prefix("city/dijon/vigie").is_ok());
        for bad in ["", "/vigie", "vigie/", "vi+gie", "#", "a//b"] {
            assert_eq!(check_prefix(bad), Err(TopicError::BadPrefix), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(topic in "\\PC{0,80}", prefix in "[a-z/]{0,12}") {
            let _ = parse_topic(&prefix, &topic);
            let _ = check_prefix(&prefix);
        }

        #[test]
        fn built_topics_round_trip(commune in "[0-9]{5}", sensor in "[a-z0-9._:-]{1,64}") {
            let parsed = parse_topic("vigie", &observation_topic("vigie", &commune, &sensor)).unwrap();
            prop_assert_eq!(parsed.commune.as_str(), commune.as_str());
            prop_assert_eq!(parsed.sensor.as_str(), sensor.as_str());
        }
    }
}

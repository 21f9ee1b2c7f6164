//! The live stream: resume from a sequence number without missing or repeating events.

use crate::spawn_server;
use serde_json::json;
use std::io::{BufRead, BufReader};

/// Reads SSE frames until `count` events have arrived; returns their ids.
fn read_ids(reader: &mut impl BufRead, count: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut line = String::new();
    while ids.len() < count {
        line.clear();
        let read = reader.read_line(&mut line).unwrap();
        assert!(read > 0, "the stream ended early after {ids:?}");
        if let Some(id) = line.trim_end().strip_prefix("id: ").or_else(|| line.trim_end().strip_prefix("id:")) {
            ids.push(id.trim().parse().unwrap());
        }
    }
    ids
}

#[test]
fn the_stream_resumes_from_a_sequence_number() {
    let server = spawn_server("stream");
    let (_, sensors) = server.get("/api/sensors");
    let sensor = sensors["sensors"][0]["sensor"]["id"].as_str().unwrap().to_owned();
    let batch = |count: usize| {
        let items: Vec<_> = (0..count)
            .map(|index| json!({ "sensor_id": sensor, "time": crate::START - 1000 + index as i64, "value": index }))
            .collect();
        let (status, _) = server.post("/api/observations", &json!({ "observations": items }).to_string());
        assert_eq!(status, 200);
    };
    batch(5);

    let response = server
        .agent
        .get(&format!("{}/api/stream?from=1", server.base))
        .header("authorization", server.bearer())
        .call()
        .unwrap();
    assert_eq!(response.headers().get("content-type").unwrap(), "text/event-stream");
    let mut reader = BufReader::new(response.into_body().into_reader());
    assert_eq!(read_ids(&mut reader, 5), vec![1, 2, 3, 4, 5]);
    batch(3);
    assert_eq!(read_ids(&mut reader, 3), vec![6, 7, 8], "live events follow the catch-up");
    drop(reader);

    // The client saw up to 6, lost its connection, and resumes with Last-Event-ID.
    batch(2);
    let response = server
        .agent
        .get(&format!("{}/api/stream", server.base))
        .header("last-event-id", "6")
        .header("authorization", server.bearer())
        .call()
        .unwrap();
    let mut reader = BufReader::new(response.into_body().into_reader());
    assert_eq!(read_ids(&mut reader, 4), vec![7, 8, 9, 10]);

    // Only incident events when asked.
    let response = server
        .agent
        .get(&format!("{}/api/stream?from=1&kinds=incident", server.base))
        .header("authorization", server.bearer())
        .call()
        .unwrap();
    let mut reader = BufReader::new(response.into_body().into_reader());
    let (status, _) =
        server.post("/api/incidents", &json!({ "category": "fire", "title": "Test", "commune": "21231" }).to_string());
    assert_eq!(status, 201);
    assert_eq!(read_ids(&mut reader, 1), vec![11]);

    let (status, error) = server
        .agent
        .get(&format!("{}/api/stream", server.base))
        .header("last-event-id", "abc")
        .header("authorization", server.bearer())
        .call()
        .map(|mut response| (response.status().as_u16(), response.body_mut().read_json::<serde_json::Value>().unwrap()))
        .unwrap();
    assert_eq!((status, error["path"].as_str()), (422, Some("Last-Event-ID")));
}

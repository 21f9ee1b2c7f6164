//! `vigie bench mqtt`: durable observations/s through MQTT QoS 1 into the embedded broker, and
//! publish → live-stream (SSE) latency at a fixed rate and at the maximum rate.
//!
//! The load comes from plain MQTT 3.1.1 connections written here (CONNECT, pipelined QoS-1
//! PUBLISH, PUBACK counting), so that the generator costs little beside the broker on the same
//! cores. Every payload carries its send instant, in microseconds since the start of the run,
//! as the reading's value; a live-stream client subtracts it from its receive instant.

use anyhow::{Context, anyhow, bail};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Appends an MQTT "remaining length" (a base-128 varint).
fn remaining_length(out: &mut Vec<u8>, mut length: usize) {
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if length == 0 {
            return;
        }
    }
}

fn string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn connect_packet(client_id: &str, username: &str, password: &str) -> Vec<u8> {
    let mut body = Vec::new();
    string(&mut body, "MQTT");
    body.push(4); // MQTT 3.1.1
    body.push(0x80 | 0x40 | 0x02); // username, password, clean session
    body.extend_from_slice(&60u16.to_be_bytes());
    string(&mut body, client_id);
    string(&mut body, username);
    string(&mut body, password);
    let mut packet = vec![0x10];
    remaining_length(&mut packet, body.len());
    packet.extend_from_slice(&body);
    packet
}

fn publish_packet(out: &mut Vec<u8>, topic: &str, packet_id: u16, payload: &[u8]) {
    out.push(0x32); // PUBLISH, QoS 1
    remaining_length(out, 2 + topic.len() + 2 + payload.len());
    string(out, topic);
    out.extend_from_slice(&packet_id.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Where the load goes and how it is shaped.
#[derive(Clone)]
pub(crate) struct Load {
    pub(crate) broker: SocketAddr,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) topics: Arc<Vec<String>>,
    pub(crate) epoch: Instant,
    /// Messages not yet acknowledged, per connection.
    pub(crate) window: usize,
}

/// An MQTT connection that the broker has accepted (CONNACK received).
pub(crate) struct Connected {
    reader: tokio::net::tcp::OwnedReadHalf,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

/// Connects as the load's device; `index` makes the client id unique.
pub(crate) async fn connect(load: &Load, index: usize) -> anyhow::Result<Connected> {
    let stream = TcpStream::connect(load.broker).await.context("cannot connect to the broker")?;
    stream.set_nodelay(true)?;
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(&connect_packet(&format!("bench-{index}-{}", std::process::id()), &load.username, &load.password))
        .await?;
    let mut connack = [0u8; 4];
    reader.read_exact(&mut connack).await.context("no CONNACK")?;
    if connack[0] != 0x20 || connack[3] != 0 {
        bail!("the broker refused the connection: {connack:?}");
    }
    Ok(Connected { reader, writer })
}

/// One connection publishing `count` readings, at most `rate_per_s` a second when given.
/// Returns how many were acknowledged.
pub(crate) async fn connection(load: Load, index: usize, count: u64, rate_per_s: Option<f64>) -> anyhow::Result<u64> {
    let connected = connect(&load, index).await?;
    publish(load, connected, index, count, rate_per_s).await
}

/// Publishes `count` readings on an accepted connection, at most `rate_per_s` a second when
/// given. Returns how many were acknowledged.
pub(crate) async fn publish(
    load: Load,
    connected: Connected,
    index: usize,
    count: u64,
    rate_per_s: Option<f64>,
) -> anyhow::Result<u64> {
    let Connected { mut reader, mut writer } = connected;
    let window = Arc::new(Semaphore::new(load.window));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let acknowledgements = {
        let (window, acknowledged) = (window.clone(), acknowledged.clone());
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 64 * 1024];
            let mut pending: Vec<u8> = Vec::new();
            while acknowledged.load(Ordering::Relaxed) < count {
                let read = match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => read,
                };
                pending.extend_from_slice(&buffer[..read]);
                let whole = pending.len() / 4 * 4;
                let mut acks = 0;
                for packet in pending[..whole].chunks_exact(4) {
                    if packet[0] == 0x40 && packet[1] == 2 {
                        acks += 1;
                    }
                }
                pending.drain(..whole);
                acknowledged.fetch_add(acks, Ordering::Relaxed);
                window.add_permits(acks as usize);
            }
        })
    };
    let mut sent: u64 = 0;
    let mut packet_id: u16 = 0;
    let mut out = Vec::with_capacity(64 * 1024);
    let started = Instant::now();
    while sent < count {
        // Send in bursts of up to 64, as permits allow.
        let burst = (count - sent).min(64) as u32;
        let permits = window.acquire_many(burst).await.map_err(|_| anyhow!("the window closed"))?;
        permits.forget();
        out.clear();
        for _ in 0..burst {
            packet_id = packet_id.wrapping_add(1).max(1);
            let topic = &load.topics[(index * 7919 + sent as usize) % load.topics.len()];
            let micros = load.epoch.elapsed().as_micros();
            publish_packet(&mut out, topic, packet_id, micros.to_string().as_bytes());
            sent += 1;
        }
        writer.write_all(&out).await?;
        if let Some(rate) = rate_per_s {
            let due = Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::Relaxed) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    acknowledgements.abort();
    Ok(acknowledged.load(Ordering::Relaxed))
}

/// Latencies collected by a live-stream client, in microseconds.
pub(crate) struct LatencyProbe {
    stop: Arc<AtomicBool>,
    samples: Arc<std::sync::Mutex<Vec<u64>>>,
    thread: std::thread::JoinHandle<()>,
}

impl LatencyProbe {
    /// Follows `base/api/stream?kinds=observation` from `from` with the session `token` and
    /// records, for each reading, now − its value (the send instant since `epoch`).
    pub(crate) fn start(base: &str, token: &str, from: u64, epoch: Instant) -> anyhow::Result<LatencyProbe> {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(600))).build().into();
        let url = format!("{base}/api/stream?kinds=observation&from={from}");
        let response = agent
            .get(&url)
            .header("authorization", format!("Bearer {token}"))
            .call()
            .context("cannot open the live stream")?;
        let mut reader = BufReader::new(response.into_body().into_reader());
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                let mut line = String::new();

                while !stop.load(Ordering::Relaxed) {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let Some(data) = line.strip_prefix("data:") else { continue };
                    // `"value":<micros>` without decoding the whole event.
                    let Some(start) = data.find("\"value\":") else { continue };
                    let digits: String =
                        data[start + 8..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                    if let Ok(sent) = digits.parse::<f64>() {
                        let now = epoch.elapsed().as_micros() as f64;
                        samples
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push((now - sent).max(0.0) as u64);
                    }
                }
            })
        };
        Ok(LatencyProbe { stop, samples, thread })
    }

    /// Waits until `expected` samples arrived (or `timeout`), stops, returns them sorted.
    pub(crate) fn finish(self, expected: usize, timeout: Duration) -> Vec<u64> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let have = self.samples.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len();
            if have >= expected {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop.store(true, Ordering::Relaxed);
        // The reader thread ends at its next line; the stream is left for the server to close.
        drop(self.thread);
        let mut samples = std::mem::take(&mut *self.samples.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        samples.sort_unstable();
        samples
    }
}

/// Returns the `fraction` percentile of sorted microsecond samples, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[u64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index] as f64 / 1000.0
}

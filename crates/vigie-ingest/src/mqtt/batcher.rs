//! The batcher: many QoS-1 messages, one durable commit.
//!
//! Senders hand over **chunks**: one observation (the external broker's client) or every
//! observation one broker worker read since its last hand-over (the embedded broker), each chunk
//! with one reply. One task takes whatever chunks are waiting (up to [`MAX_BATCH`]
//! observations), calls [`EngineHandle::append`] once, and answers every chunk after the commit
//! returns, in the order the chunks came. One wake-up per chunk, not per message, crosses
//! between threads. The channel is **bounded**: a full channel makes the senders wait, and
//! that is the backpressure that reaches the devices (their PUBACKs slow down).

use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use vigie_core::{EventBody, Observation, Seq};
use vigie_engine::{EngineError, EngineHandle};

use crate::metrics::{METRICS, Outcome};

/// The most observations one commit takes (a commit may go past it by one chunk).
pub const MAX_BATCH: usize = 10_000;

/// Capacity of the channel into the batcher, in chunks.
pub const CHANNEL_CAPACITY: usize = 10_000;

/// Why an observation was not made durable. Nothing was acknowledged; the sender should let the
/// device (or the broker) send it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the commit failed: {0}")]
    CommitFailed(String),
    #[error("the batcher has stopped")]
    Stopped,
}

/// The answer to one submitted chunk: the sequence number of its first observation once the
/// whole chunk is durable (the others follow it, in order).
pub type Durable = oneshot::Receiver<Result<Seq, BatchError>>;

/// Where the answer to one chunk (or one observation) goes.
pub type Reply = oneshot::Sender<Result<Seq, BatchError>>;

/// Observations logged together, in order, with the sender of their one answer.
struct Chunk {
    observations: Vec<Observation>,
    reply: Reply,
}

/// Answers each of `replies`, the senders of consecutive observations: the first gets
/// `result`'s sequence number and each next one the following number; on an error, all get it.
/// A sender that went away (connection closed) no longer needs its answer.
pub fn answer_each(result: Result<Seq, BatchError>, replies: impl IntoIterator<Item = Reply>) {
    for (offset, reply) in replies.into_iter().enumerate() {
        let _ = reply.send(result.clone().map(|first| Seq(first.0 + offset as u64)));
    }
}

/// The senders' side of the batcher. Cheap to clone; the batcher stops when every clone is gone
/// (after committing what it holds).
#[derive(Clone)]
pub struct BatcherHandle {
    sender: mpsc::Sender<Chunk>,
}

impl BatcherHandle {
    /// Queues `observations` as one chunk, logged in order and in one commit; waits only for
    /// room in the channel. The returned receiver answers once they are durable (or will never
    /// be). If the batcher has stopped, nothing is queued.
    pub async fn submit_many(&self, observations: Vec<Observation>) -> Result<Durable, BatchError> {
        let (reply, durable) = oneshot::channel();
        self.sender.send(Chunk { observations, reply }).await.map_err(|_| BatchError::Stopped)?;
        Ok(durable)
    }

    /// Queues `observation`; waits only for room in the channel. The returned receiver answers
    /// once the observation is durable (or will never be).
    pub async fn submit(&self, observation: Observation) -> Result<Durable, BatchError> {
        self.submit_many(vec![observation]).await
    }

    /// Queues `observation` and waits until it is durable.
    pub async fn append(&self, observation: Observation) -> Result<Seq, BatchError> {
        let durable = self.submit(observation).await?;
        durable.await.map_err(|_| BatchError::Stopped)?
    }
}

/// Starts the batcher task on the current tokio runtime; events are appended with `source`
/// (`mqtt:embedded`, `mqtt:external`).
pub fn spawn_batcher(engine: EngineHandle, source: String) -> (BatcherHandle, JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
    let task = tokio::spawn(run(engine, source, receiver));
    (BatcherHandle { sender }, task)
}

/// How many batches may wait on the engine at once: while one commits, the next is already
/// queued behind it, so the engine does not idle between commits.
const BATCHES_IN_FLIGHT: usize = 2;

async fn run(engine: EngineHandle, source: String, mut receiver: mpsc::Receiver<Chunk>) {
    let in_flight = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
    let mut chunks = Vec::new();
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
        // Wait for one chunk, then take whatever else is already waiting, up to MAX_BATCH.
        let Some(first) = receiver.recv().await else { break };
        let mut count = first.observations.len();
        chunks.push(first);
        while count < MAX_BATCH {
            let Ok(chunk) = receiver.try_recv() else { break };
            count += chunk.observations.len();
            chunks.push(chunk);
        }
        let (bodies, replies) = split(&mut chunks, count);
        // Queued in the order received, so the log keeps the order of the batches.
        let queued = engine.queue_append(source.clone(), bodies).await;
        let source = source.clone();
        tokio::spawn(async move {
            let result = match queued {
                Ok(receipt) => receipt.durable().await,
                Err(error) => Err(error),
            };
            answer(&source, result, count, replies);
            drop(permit);
        });
    }
    // Let the batches still committing answer before reporting the stop.
    let _ = in_flight.acquire_many(BATCHES_IN_FLIGHT as u32).await;
    tracing::debug!(source = %source, "batcher stopped");
}

/// Each chunk's reply with the number of its observations.
type Replies = Vec<(Reply, usize)>;

/// Empties `chunks` (holding `count` observations) into the bodies to log and the senders to
/// answer.
fn split(chunks: &mut Vec<Chunk>, count: usize) -> (Vec<EventBody>, Replies) {
    let mut bodies = Vec::with_capacity(count);
    let mut replies = Vec::with_capacity(chunks.len());
    for chunk in chunks.drain(..) {
        replies.push((chunk.reply, chunk.observations.len()));
        bodies.extend(chunk.observations.into_iter().map(EventBody::Observation));
    }
    (bodies, replies)
}

/// Answers a batch's senders with its commit's outcome.
fn answer(source: &str, result: Result<(Seq, Seq), EngineError>, count: usize, replies: Replies) {
    match result {
        Ok((first, _last)) => {
            METRICS.mqtt.count(Outcome::Accepted, count as u64);
            METRICS.mqtt.count_batch();
            let mut next = first.0;
            for (reply, observations) in replies {
                // A sender that went away (connection closed) no longer needs the answer.
                let _ = reply.send(Ok(Seq(next)));
                next += observations as u64;
            }
            tracing::trace!(source = %source, observations = count, first_seq = first.0, "batch durable");
        }
        Err(error) => {
            let batch_error = match error {
                EngineError::Stopped => BatchError::Stopped,
                other => BatchError::CommitFailed(super::error_chain(&other)),
            };
            tracing::error!(source = %source, observations = count, error = %batch_error, "batch not committed; nothing of it is acknowledged");
            answer_each(Err(batch_error), replies.into_iter().map(|(reply, _)| reply));
        }
    }
}

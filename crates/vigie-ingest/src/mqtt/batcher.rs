//! The batcher: many QoS-1 messages, one durable commit.
//!
//! Every connection sends `(Observation, reply)` on one **bounded** channel. One task takes
//! whatever is waiting (up to [`MAX_BATCH`]), calls [`EngineHandle::append`] once, and answers
//! every reply after the commit returns, in the order the messages came. A full channel makes
//! the senders wait: that is the backpressure that reaches the devices (their PUBACKs slow down).

use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use vigie_core::{EventBody, Observation, Seq};
use vigie_engine::{EngineError, EngineHandle};

use crate::metrics::{METRICS, Outcome};

/// The most observations one commit takes.
pub const MAX_BATCH: usize = 10_000;

/// Capacity of the channel into the batcher.
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

/// The answer to one submitted observation: its sequence number once durable.
pub type Durable = oneshot::Receiver<Result<Seq, BatchError>>;

/// An observation ready to go to the batcher, with the sender of its answer.
pub struct Submission {
    observation: Observation,
    reply: oneshot::Sender<Result<Seq, BatchError>>,
}

impl Submission {
    /// Pairs `observation` with the receiver of its answer.
    pub fn new(observation: Observation) -> (Submission, Durable) {
        let (reply, durable) = oneshot::channel();
        (Submission { observation, reply }, durable)
    }
}

/// The senders' side of the batcher. Cheap to clone; the batcher stops when every clone is gone
/// (after committing what it holds).
#[derive(Clone)]
pub struct BatcherHandle {
    sender: mpsc::Sender<Submission>,
}

impl BatcherHandle {
    /// Queues `submission`; waits only for room in the channel. If the batcher has stopped,
    /// the submission is dropped and its [`Durable`] answers with an error.
    pub async fn send(&self, submission: Submission) -> Result<(), BatchError> {
        self.sender.send(submission).await.map_err(|_| BatchError::Stopped)
    }

    /// Queues `observation`; waits only for room in the channel. The returned receiver answers
    /// once the observation is durable (or will never be).
    pub async fn submit(&self, observation: Observation) -> Result<Durable, BatchError> {
        let (submission, durable) = Submission::new(observation);
        self.send(submission).await?;
        Ok(durable)
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
const BATCHES_IN_FLIGHT: usize = 1;

async fn run(engine: EngineHandle, source: String, mut receiver: mpsc::Receiver<Submission>) {
    let in_flight = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
        // `recv_many` waits for at least one, then takes whatever else is already waiting.
        if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        let (bodies, replies) = split(&mut batch);
        // Queued in the order received, so the log keeps the order of the batches.
        let queued = engine.queue_append(source.clone(), bodies).await;
        let source = source.clone();
        tokio::spawn(async move {
            let result = match queued {
                Ok(receipt) => receipt.durable().await,
                Err(error) => Err(error),
            };
            answer(&source, result, replies);
            drop(permit);
        });
    }
    // Let the batches still committing answer before reporting the stop.
    let _ = in_flight.acquire_many(BATCHES_IN_FLIGHT as u32).await;
    tracing::debug!(source = %source, "batcher stopped");
}

type Replies = Vec<oneshot::Sender<Result<Seq, BatchError>>>;

/// Empties `batch` into the bodies to log and the senders to answer.
fn split(batch: &mut Vec<Submission>) -> (Vec<EventBody>, Replies) {
    let mut bodies = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    for pending in batch.drain(..) {
        bodies.push(EventBody::Observation(pending.observation));
        replies.push(pending.reply);
    }
    (bodies, replies)
}

/// Answers a batch's senders with its commit's outcome.
fn answer(source: &str, result: Result<(Seq, Seq), EngineError>, replies: Replies) {
    let count = replies.len();
    match result {
        Ok((first, _last)) => {
            METRICS.mqtt.count(Outcome::Accepted, count as u64);
            METRICS.mqtt.count_batch();
            for (offset, reply) in replies.into_iter().enumerate() {
                // A sender that went away (connection closed) no longer needs the answer.
                let _ = reply.send(Ok(Seq(first.0 + offset as u64)));
            }
            tracing::trace!(source = %source, observations = count, first_seq = first.0, "batch durable");
        }
        Err(error) => {
            let batch_error = match error {
                EngineError::Stopped => BatchError::Stopped,
                other => BatchError::CommitFailed(super::error_chain(&other)),
            };
            tracing::error!(source = %source, observations = count, error = %batch_error, "batch not committed; nothing of it is acknowledged");
            for reply in replies {
                let _ = reply.send(Err(batch_error.clone()));
            }
        }
    }
}

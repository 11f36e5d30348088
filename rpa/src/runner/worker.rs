//! Working runs as they become ready, for as long as the process serves: queued runs, runs
//! left by an instance that died, and human tasks that ran out of time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use super::Runner;

/// How often the journal is looked at when nothing wakes the worker sooner.
const POLL_EVERY: Duration = Duration::from_secs(1);

impl Runner {
    /// Works ready runs, at most `concurrency` at once, until the task is dropped; `wake` is
    /// notified when a run is queued here so it starts at once. A run is only taken when there
    /// is room to start it, so other instances take what this one cannot.
    pub async fn work_continuously(self: Arc<Runner>, wake: Arc<Notify>, concurrency: usize) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        // Runs being worked here: one whose lease lapsed while its renewal failed is not
        // started a second time alongside itself.
        let in_hand: Arc<Mutex<HashSet<String>>> = Arc::default();
        loop {
            if let Err(error) = self.journal.requeue_overdue_tasks().await {
                tracing::warn!(error = %error, "could not look for human tasks out of time");
            }
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                let run = match self.claim_next().await {
                    Ok(Some(run)) => run,
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(error = %error, "could not look for runs to work");
                        break;
                    }
                };
                let run_id = run.id.clone();
                if !hold(&in_hand).insert(run_id.clone()) {
                    continue;
                }
                let (runner, in_hand) = (self.clone(), in_hand.clone());
                tokio::spawn(async move {
                    if let Err(error) = runner.work_claimed(run).await {
                        tracing::warn!(run = %run_id, error = %error, "a run could not be worked");
                    }
                    hold(&in_hand).remove(&run_id);
                    drop(permit);
                });
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}

fn hold(in_hand: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    in_hand.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

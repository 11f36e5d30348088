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
    /// notified when a run is queued here so it starts at once.
    pub async fn work_continuously(self: Arc<Runner>, wake: Arc<Notify>, concurrency: usize) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let in_hand: Arc<Mutex<HashSet<String>>> = Arc::default();
        loop {
            match self.journal.runnable().await {
                Ok(ready) => {
                    for run_id in ready {
                        let fresh =
                            in_hand.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(run_id.clone());
                        if !fresh {
                            continue;
                        }
                        let Ok(permit) = permits.clone().acquire_owned().await else { return };
                        let (runner, in_hand) = (self.clone(), in_hand.clone());
                        tokio::spawn(async move {
                            if let Err(error) = runner.work(&run_id).await {
                                tracing::warn!(run = %run_id, error = %error, "a run could not be worked");
                            }
                            in_hand.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&run_id);
                            drop(permit);
                        });
                    }
                }
                Err(error) => tracing::warn!(error = %error, "could not look for runs to work"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}

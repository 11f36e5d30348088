//! Tells live views of the workflow runs when runs change: every run event of this instance,
//! gathered so that a busy runner wakes the views a few times a second at most.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::engine::Engine;

/// The longest a change waits before the views are told, gathered with the changes after it.
const GATHER_FOR: Duration = Duration::from_millis(300);

impl Engine {
    /// Tells live views of the runs (here and on the other instances) of every run queued,
    /// moved on or stopped here, until the engine is dropped.
    pub fn spawn_runs_watch(self: &Arc<Engine>) -> Option<tokio::task::JoinHandle<()>> {
        let mut events = self.runner()?.subscribe();
        let engine = Arc::downgrade(self);
        Some(tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                tokio::time::sleep(GATHER_FOR).await;
                // Whatever came meanwhile is told with this change.
                while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) = events.try_recv() {}
                let Some(engine) = engine.upgrade() else { return };
                engine.runs_changed();
            }
        }))
    }
}

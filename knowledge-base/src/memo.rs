//! A bounded memory of values worked out before, shared between threads: forgotten all at
//! once when full (cheap, and right for caches of derived data that is quick to rebuild).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Values by key, up to a number of them.
#[derive(Debug)]
pub struct Memo<K, V> {
    values: Mutex<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// A memory of up to `capacity` values.
    pub fn new(capacity: usize) -> Memo<K, V> {
        Memo { values: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The value remembered for a key.
    pub fn get(&self, key: &K) -> Option<V> {
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(key).cloned()
    }

    /// Remembers a value, forgetting everything first when full.
    pub fn insert(&self, key: K, value: V) {
        let mut values = self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if values.len() >= self.capacity && !values.contains_key(&key) {
            values.clear();
        }
        values.insert(key, value);
    }

    /// Forgets one value.
    pub fn remove(&self, key: &K) {
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

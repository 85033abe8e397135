//! `Live<T>`: settings that a reload may replace while actors read them.
//!
//! Readers get a plain `&T` through `Deref` (`ctx.settings.throttle_cooldown`), so code that
//! reads settings needs no change to see reloaded values on its next read. Each `set` keeps
//! the previous value alive for the life of the process (a reader may still hold a reference
//! to it): a few hundred bytes per reload that changes these settings, and reloads are rare.

use std::sync::{Arc, RwLock};

pub struct Live<T: 'static> {
    current: Arc<RwLock<&'static T>>,
}

impl<T: 'static> Clone for Live<T> {
    fn clone(&self) -> Self {
        Self {
            current: self.current.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Live<T> {
    pub fn new(value: T) -> Self {
        Self {
            current: Arc::new(RwLock::new(Box::leak(Box::new(value)))),
        }
    }

    /// Replaces the value every clone of this handle reads from now on.
    pub fn set(&self, value: T) {
        let value: &'static T = Box::leak(Box::new(value));
        match self.current.write() {
            Ok(mut current) => *current = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

impl<T: 'static> std::ops::Deref for Live<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // The lock guards a `&'static T`: copy the reference out and let the guard go.
        match self.current.read() {
            Ok(current) => *current,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for Live<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::ops::Deref::deref(self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clone_reads_the_new_value_after_a_set() {
        let live = Live::new(1u32);
        let reader = live.clone();
        let before: &u32 = &reader;
        live.set(2);
        assert_eq!(*reader, 2);
        assert_eq!(*before, 1, "a reference taken earlier stays valid");
    }
}

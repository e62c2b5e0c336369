//! How the library tells its caller what it is doing, without ever printing.
//!
//! Long jobs (apply, pull, plan's exports, `diff env:`, waiting for a run) send [`Event`]s to a
//! [`Progress`] the caller passes in. The library decides *what* happened; the caller decides how
//! it looks: the `meterctl` binary shows a bar for counted work, a spinner for waits and plain
//! lines on stderr when it is not a terminal; tests and embedders pass [`Silent`]. A leaf module:
//! it imports nothing from the crate.

/// One thing that happened during a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A job starts: `total` items of counted work, or `None` for a wait of unknown length.
    Started {
        /// What is being done ("applying", "exporting from prod").
        label: &'a str,
        /// How many items, when known.
        total: Option<u64>,
    },
    /// One item of the current job is done.
    Advanced {
        /// The item (a meter's name).
        item: &'a str,
    },
    /// A line for people about one item ("created usage (g-1): meter 42"), shown on stderr when
    /// no bar or spinner is drawn.
    Item(&'a str),
    /// A message for people (a warning, a note), shown on stderr unless `--quiet`.
    Note(&'a str),
    /// A line of detail (requests, retries), shown only with `--verbose`.
    Detail(&'a str),
    /// The current job is over (its bar or spinner goes away).
    Finished,
}

/// A receiver of [`Event`]s; shared between the threads of a job.
pub trait Progress: Send + Sync {
    /// Receives one event.
    fn event(&self, e: Event<'_>);
}

/// Drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: Event<'_>) {}
}

/// A shared, clonable handle to a [`Progress`] (for configs that outlive one call).
#[derive(Clone)]
pub struct Sink(std::sync::Arc<dyn Progress>);

impl Sink {
    /// Wraps a receiver.
    pub fn new(p: impl Progress + 'static) -> Sink {
        Sink(std::sync::Arc::new(p))
    }

    /// A sink that drops everything.
    pub fn silent() -> Sink {
        Sink::new(Silent)
    }
}

impl Default for Sink {
    fn default() -> Sink {
        Sink::silent()
    }
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl Progress for Sink {
    fn event(&self, e: Event<'_>) {
        self.0.event(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl Progress for std::sync::Arc<Record> {
        fn event(&self, e: Event<'_>) {
            self.0.lock().unwrap().push(format!("{e:?}"));
        }
    }

    #[test]
    fn a_sink_forwards_events_and_silent_drops_them() {
        Silent.event(Event::Finished);
        let rec = std::sync::Arc::new(Record::default());
        let sink = Sink::new(rec.clone());
        sink.clone().event(Event::Item("created a"));
        sink.event(Event::Finished);
        assert_eq!(*rec.0.lock().unwrap(), ["Item(\"created a\")", "Finished"]);
    }
}

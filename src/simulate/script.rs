//! SCRIPT_MAP (the UI's Advanced Transformer) and SCRIPT_FILTER with `language: JS`: the task's
//! `source` sets `exports.step = function (payload, context) {…}`, which runs once per event in
//! the task's own JavaScript context ([`super::js`]), so `context.state` (`get`, `put`/`set`,
//! `remove`) keeps values across the events of a run. SCRIPT_MAP emits what `step` returns (an
//! event, a list of events, or `null`/`undefined` for none); SCRIPT_FILTER keeps the event,
//! unchanged, when `step` returns a truthy value. `language: PYTHON` is not simulated.

use serde_json::{Map, Value};

use super::js::{Failure, Func, Js, Kept};
use super::{Context, OperatorCount, SimError, Step};

/// Which script operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// SCRIPT_MAP: emits what `step` returns.
    Map,
    /// SCRIPT_FILTER: keeps the event when `step` returns a truthy value.
    Filter,
}

impl Kind {
    fn operator(self) -> &'static str {
        match self {
            Kind::Map => "SCRIPT_MAP",
            Kind::Filter => "SCRIPT_FILTER",
        }
    }
}

/// CommonJS-style globals the source fills in (`exports.step = …` or `module.exports = {step}`).
const PRELUDE: &str = "var exports = {}; var module = { exports: exports };";

/// The `step` a filter calls: the script's own, its result read as true or false.
const FILTER_STEP: &str = "(function (step) { return function (payload, context) { \
    return !!step(payload, context); }; })(module.exports.step)";

/// The `step` a map calls: the script's own.
const MAP_STEP: &str = "module.exports.step";

/// The second argument of `step`: `context.state` keeps values for the whole run.
const CONTEXT: &str = "(function () { var store = new Map(); return { state: { \
    get: function (key) { return store.get(key); }, \
    put: function (key, value) { store.set(key, value); }, \
    set: function (key, value) { store.set(key, value); }, \
    remove: function (key) { store.delete(key); } } }; })()";

/// A compiled SCRIPT_MAP or SCRIPT_FILTER task.
pub(super) struct ScriptStep {
    kind: Kind,
    step: Func,
    context: Kept,
    /// Last: the values above belong to its runtime and are dropped first.
    js: Js,
}

impl ScriptStep {
    pub(super) fn new(
        meta: &Map<String, Value>,
        task: &str,
        kind: Kind,
        ctx: &Context,
    ) -> Result<ScriptStep, SimError> {
        let config = |message: String| SimError::Config {
            task: task.to_string(),
            message,
        };
        let language = meta.get("language").and_then(Value::as_str).unwrap_or("");
        if language.eq_ignore_ascii_case("PYTHON") {
            return Err(SimError::NotSimulated {
                task: task.to_string(),
                operator: kind.operator().into(),
                what: "a PYTHON script (PYTHON scripts are not simulated; JS scripts are)".into(),
            });
        }
        if !(language.eq_ignore_ascii_case("JS") || language.eq_ignore_ascii_case("JAVASCRIPT")) {
            return Err(config(format!(
                "language is {}; a script's language is JS or PYTHON",
                meta.get("language")
                    .map_or("missing".to_string(), Value::to_string)
            )));
        }
        let Some(source) = meta.get("source").and_then(Value::as_str) else {
            return Err(config(
                "the script has no source (metadata.source holds its JavaScript)".into(),
            ));
        };
        let js = Js::new(task, &ctx.script_limits)?;
        let load = |source: &str, what: &str| {
            js.function(source).map_err(|e| match e {
                Failure::Limit(e) => e,
                Failure::Thrown(m) => config(format!("{what}: {m}")),
            })
        };
        load(PRELUDE, "the script's globals could not be set")?;
        load(source, "the script fails when it loads")?;
        let wrapper = match kind {
            Kind::Map => MAP_STEP,
            Kind::Filter => FILTER_STEP,
        };
        let has_step = js
            .function(MAP_STEP)
            .map_err(|e| match e {
                Failure::Limit(e) => e,
                Failure::Thrown(m) => config(m),
            })?
            .is_some();
        let step = if has_step {
            load(wrapper, "exports.step")?
        } else {
            None
        };
        let Some(step) = step else {
            return Err(config(
                "the script sets no function exports.step (exports.step = function (payload, context) {…})"
                    .into(),
            ));
        };
        let context = js
            .object(CONTEXT)
            .map_err(|e| match e {
                Failure::Limit(e) => e,
                Failure::Thrown(m) => config(m),
            })?
            .ok_or_else(|| config("the script's context could not be made".into()))?;
        Ok(ScriptStep {
            kind,
            step,
            context,
            js,
        })
    }

    /// Runs `step` on one event: the events it becomes. `Failure::Thrown` is the event's error.
    fn apply(&self, event: Value) -> Result<Vec<Value>, Failure> {
        let result = self.js.run(|scope| {
            let payload = scope.json(Some(&event))?;
            let context = scope.kept(&self.context)?;
            scope.call(&self.step, payload, context)
        });
        let result = result.map_err(|e| match e {
            Failure::Thrown(m) => Failure::Thrown(format!("exports.step failed: {m}")),
            limit => limit,
        })?;
        match self.kind {
            Kind::Filter => Ok(match result {
                Some(Value::Bool(true)) => vec![event],
                _ => Vec::new(),
            }),
            Kind::Map => match result {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(o)) => Ok(vec![Value::Object(o)]),
                Some(Value::Array(list)) => {
                    if let Some((i, v)) = list.iter().enumerate().find(|(_, v)| !v.is_object()) {
                        return Err(Failure::Thrown(format!(
                            "exports.step returned a list whose item {i} is {}, not an event",
                            kind_of(v)
                        )));
                    }
                    Ok(list)
                }
                Some(other) => Err(Failure::Thrown(format!(
                    "exports.step returned {}; return an event, a list of events, or null",
                    kind_of(&other)
                ))),
            },
        }
    }
}

/// What a JSON value is, for messages.
fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl Step for ScriptStep {
    fn push(
        &mut self,
        events: Vec<Value>,
        count: &mut OperatorCount,
    ) -> Result<Vec<Value>, SimError> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            match self.apply(event) {
                Ok(list) => out.extend(list),
                Err(Failure::Thrown(message)) => count.error(message),
                Err(Failure::Limit(e)) => return Err(e),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::chain;
    use super::super::{run, ScriptLimits};
    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    fn script(kind: Kind, source: &str) -> ScriptStep {
        ScriptStep::new(
            json!({"language": "JS", "source": source})
                .as_object()
                .unwrap(),
            "t",
            kind,
            &Context::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_map_returns_one_many_or_no_events() {
        let s = script(
            Kind::Map,
            "exports.step = function (payload, context) {\n\
               if (payload.n === 0) return null;\n\
               if (payload.n === 1) return { ...payload, seen: true };\n\
               var out = [];\n\
               for (var i = 0; i < payload.n; i++) out.push({ id: payload.id + '-' + i });\n\
               return out;\n\
             };",
        );
        assert_eq!(
            s.apply(json!({"id": "a", "n": 0})).unwrap(),
            Vec::<Value>::new()
        );
        assert_eq!(
            s.apply(json!({"id": "b", "n": 1, "q": "007", "f": 2.5}))
                .unwrap(),
            [json!({"id": "b", "n": 1, "q": "007", "f": 2.5, "seen": true})]
        );
        assert_eq!(
            s.apply(json!({"id": "c", "n": 2})).unwrap(),
            [json!({"id": "c-0"}), json!({"id": "c-1"})]
        );
    }

    #[test]
    fn a_map_returning_something_else_is_an_error_of_the_event() {
        let s = script(
            Kind::Map,
            "exports.step = function (p) { return p.kind === 'list' ? [p, 7] : 'text'; };",
        );
        assert_eq!(
            s.apply(json!({"kind": "one"})),
            Err(Failure::Thrown(
                "exports.step returned the string \"text\"; return an event, a list of events, or null"
                    .into()
            ))
        );
        assert_eq!(
            s.apply(json!({"kind": "list"})),
            Err(Failure::Thrown(
                "exports.step returned a list whose item 1 is the number 7, not an event".into()
            ))
        );
    }

    #[test]
    fn state_lasts_across_events_and_chunks() {
        let version = chain(&[
            (
                "m",
                "PROCESSOR",
                "SCRIPT_MAP",
                json!({"language": "JS", "source":
                "exports.step = function (payload, context) {\n\
                   var n = (context.state.get(payload.account) || 0) + payload.q;\n\
                   context.state.put(payload.account, n);\n\
                   payload.running = n;\n\
                   return payload;\n\
                 };"}),
            ),
            ("k", "SINK", "S3", json!({})),
        ]);
        let sim = run(
            &version,
            &Context::default(),
            vec![
                vec![
                    json!({"account": "A", "q": 2}),
                    json!({"account": "B", "q": 1}),
                ],
                vec![json!({"account": "A", "q": 3})],
            ],
        )
        .unwrap();
        let running: Vec<&Value> = sim.sinks[0].records.iter().map(|r| &r["running"]).collect();
        assert_eq!(running, [&json!(2), &json!(1), &json!(5)]);
    }

    #[test]
    fn an_exception_is_an_error_count_and_the_run_goes_on() {
        let version = chain(&[
            (
                "m",
                "PROCESSOR",
                "SCRIPT_MAP",
                json!({"language": "JS", "source":
                "exports.step = function (p) { if (p.bad) throw new Error('bad event ' + p.id); return p; };"}),
            ),
            ("k", "SINK", "S3", json!({})),
        ]);
        let sim = run(
            &version,
            &Context::default(),
            vec![vec![
                json!({"id": 1}),
                json!({"id": 2, "bad": true}),
                json!({"id": 3}),
            ]],
        )
        .unwrap();
        assert_eq!(sim.sinks[0].records, [json!({"id": 1}), json!({"id": 3})]);
        let m = &sim.operators[1];
        assert_eq!((m.input, m.output, m.errors), (3, 2, 1));
        assert_eq!(m.messages, ["exports.step failed: Error: bad event 2"]);
    }

    #[test]
    fn a_filter_keeps_the_event_unchanged_when_step_is_truthy() {
        let s = script(
            Kind::Filter,
            "exports.step = function (p, context) { var keep = p.n > 1 ? 'yes' : 0; p.n = 99; return keep; };",
        );
        assert_eq!(
            s.apply(json!({"n": 2.0, "s": "x"})).unwrap(),
            [json!({"n": 2.0, "s": "x"})]
        );
        assert_eq!(s.apply(json!({"n": 1})).unwrap(), Vec::<Value>::new());
    }

    fn limited(time_ms: u64, memory: usize) -> Context {
        Context {
            script_limits: ScriptLimits {
                time: Duration::from_millis(time_ms),
                memory,
            },
            ..Context::default()
        }
    }

    #[test]
    fn a_script_that_loops_forever_fails_within_its_time_limit() {
        let version = chain(&[
            (
                "t1",
                "PROCESSOR",
                "SCRIPT_FILTER",
                json!({"language": "JS",
                "source": "exports.step = function () { while (true) {} };"}),
            ),
            ("k", "SINK", "NOOP", json!({})),
        ]);
        let started = Instant::now();
        let err = run(
            &version,
            &limited(300, 64 << 20),
            vec![vec![json!({"a": 1})]],
        )
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            err.to_string(),
            "script in task t1 exceeded its 300 ms time limit"
        );
        // A loop in the script's top level stops the same way, when the pipeline is built.
        let s = ScriptStep::new(
            json!({"language": "JS", "source": "for (;;) {}"})
                .as_object()
                .unwrap(),
            "t",
            Kind::Map,
            &limited(300, 64 << 20),
        );
        assert_eq!(
            s.err().unwrap().to_string(),
            "script in task t exceeded its 300 ms time limit"
        );
    }

    #[test]
    fn an_allocation_hog_fails_on_the_memory_limit() {
        let ctx = limited(10_000, 16 << 20);
        let s = ScriptStep::new(
            json!({"language": "JS", "source":
                "exports.step = function (p) { var a = []; while (true) a.push('x' + a.length); };"})
            .as_object()
            .unwrap(),
            "hog",
            Kind::Map,
            &ctx,
        )
        .unwrap();
        let started = Instant::now();
        let Err(Failure::Limit(err)) = s.apply(json!({})) else {
            panic!("the hog is stopped")
        };
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            err.to_string(),
            "script in task hog exceeded its 16 MB memory limit"
        );
    }

    #[test]
    fn python_is_not_simulated_and_a_script_without_step_is_a_config_error() {
        let new = |meta: Value| {
            ScriptStep::new(
                meta.as_object().unwrap(),
                "t",
                Kind::Map,
                &Context::default(),
            )
            .err()
            .unwrap()
            .to_string()
        };
        assert_eq!(
            new(json!({"language": "PYTHON", "source": "def step(p): return p"})),
            "not simulated yet: a PYTHON script (PYTHON scripts are not simulated; JS scripts are) in task t (SCRIPT_MAP)"
        );
        assert_eq!(
            new(json!({"language": "JS", "source": "function step(p) { return p; }"})),
            "task t: the script sets no function exports.step (exports.step = function (payload, context) {…})"
        );
        assert!(
            new(json!({"language": "JS", "source": "exports.step = function ( {"}))
                .starts_with("task t: the script fails when it loads: SyntaxError")
        );
        assert_eq!(
            new(json!({"source": "x"})),
            "task t: language is missing; a script's language is JS or PYTHON"
        );
    }
}

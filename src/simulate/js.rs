//! JavaScript for the simulator (MAP transform rows, SCRIPT_MAP, SCRIPT_FILTER) on QuickJS,
//! embedded through rquickjs (the README's "JavaScript engine" says why this engine). Each task
//! owns one runtime and one context, reused for all its events, so `context.state` and globals
//! live for the run. Every call into JavaScript runs under a deadline (an interrupt handler
//! checks the clock) and the runtime under a memory limit, so a runaway script is a
//! [`SimError::Script`] naming the task, never a hang. Values cross the boundary as JSON does
//! (what `JSON.parse` would make going in, what `JSON.stringify` writes coming out, BigInt as a
//! number): strings stay as they are, numbers keep their value (integers exact up to 2^53), and
//! a whole number comes back as an integer.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::{CatchResultExt, CaughtError, Ctx, Function, Object, Persistent};
use serde_json::Value;

use super::{ScriptLimits, SimError};

/// A compiled JavaScript function, kept across calls.
#[derive(Clone)]
pub(super) struct Func(Persistent<Function<'static>>);

/// Why a call into JavaScript failed.
#[derive(Debug, PartialEq)]
pub(super) enum Failure {
    /// The script threw, or returned what JSON cannot hold: an error of the event.
    Thrown(String),
    /// A limit (time, memory) was hit: the run stops.
    Limit(SimError),
}

/// The deadline of the running call, shared with the interrupt handler.
#[derive(Default)]
struct Clock {
    deadline: Cell<Option<Instant>>,
    /// Set when the handler interrupted a call.
    tripped: Cell<bool>,
}

/// One task's JavaScript runtime and context.
pub(super) struct Js {
    task: String,
    limits: ScriptLimits,
    clock: Rc<Clock>,
    /// `JSON.stringify`, for results with `toJSON` (dates).
    stringify: Func,
    // Field order: the context is dropped before its runtime.
    context: rquickjs::Context,
    _runtime: rquickjs::Runtime,
}

/// Stack for JavaScript frames (QuickJS counts the native stack; test threads have 2 MiB).
const MAX_STACK: usize = 512 * 1024;

/// `JSON.stringify` for objects with `toJSON` (dates), BigInt written as a number when it is
/// exact, else as a string.
const STRINGIFY: &str = "(function (v) { return JSON.stringify(v, function (k, x) { \
    return typeof x === 'bigint' ? (x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : String(x)) : x; }); })";

impl Js {
    /// A fresh runtime and context for `task` (its label, for messages).
    pub(super) fn new(task: &str, limits: &ScriptLimits) -> Result<Js, SimError> {
        let fail = |what: &str| SimError::Script {
            task: task.to_string(),
            message: format!("could not start its JavaScript engine ({what})"),
        };
        let runtime = rquickjs::Runtime::new().map_err(|e| fail(&e.to_string()))?;
        runtime.set_memory_limit(limits.memory);
        runtime.set_max_stack_size(MAX_STACK);
        let clock = Rc::new(Clock::default());
        let handler = Rc::clone(&clock);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let late = handler
                .deadline
                .get()
                .is_some_and(|deadline| Instant::now() >= deadline);
            if late {
                handler.tripped.set(true);
            }
            late
        })));
        let context = rquickjs::Context::full(&runtime).map_err(|e| fail(&e.to_string()))?;
        let stringify = context
            .with(|ctx| {
                let f: Function = ctx.eval(STRINGIFY)?;
                Ok::<_, rquickjs::Error>(Func(Persistent::save(&ctx, f)))
            })
            .map_err(|e| fail(&e.to_string()))?;
        Ok(Js {
            task: task.to_string(),
            limits: limits.clone(),
            clock,
            stringify,
            context,
            _runtime: runtime,
        })
    }

    /// Evaluates `source` as a script (global scope) and returns what it evaluates to, as a
    /// function when it is one. `Ok(None)`: the script ran but its value is not a function.
    /// A syntax error or an exception is `Failure::Thrown`.
    pub(super) fn function(&self, source: &str) -> Result<Option<Func>, Failure> {
        self.eval(source, |ctx, value| {
            value
                .into_function()
                .map(|f| Func(Persistent::save(ctx, f)))
        })
    }

    /// Evaluates `source` as a script (global scope), within the time limit, and hands what it
    /// evaluates to to `keep`. A syntax error or an exception is `Failure::Thrown`.
    fn eval<T>(
        &self,
        source: &str,
        keep: impl for<'js> FnOnce(&Ctx<'js>, JsValue<'js>) -> Option<T>,
    ) -> Result<Option<T>, Failure> {
        self.context.with(|ctx| {
            self.start();
            let value = ctx
                .eval::<JsValue, _>(source)
                .catch(&ctx)
                .map_err(|e| self.failure(e));
            self.stop();
            Ok(keep(&ctx, value?))
        })
    }

    /// Runs `body` inside the context: it converts values and calls functions through the
    /// [`Scope`] it is given (one event's calls share one conversion of the event).
    pub(super) fn run<T>(
        &self,
        body: impl for<'js> FnOnce(&Scope<'js, '_>) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        self.context.with(|ctx| body(&Scope { ctx, js: self }))
    }

    /// Arms the deadline for one call (a limit too far to represent is none).
    fn start(&self) {
        self.clock.tripped.set(false);
        self.clock
            .deadline
            .set(Instant::now().checked_add(self.limits.time));
    }

    fn stop(&self) {
        self.clock.deadline.set(None);
    }

    /// A result as JSON, read the way `JSON.stringify` writes it (a bare non-finite number is
    /// an error: JSON cannot hold it).
    fn to_json<'js>(&self, ctx: &Ctx<'js>, value: JsValue<'js>) -> Result<Option<Value>, Failure> {
        if let Some(n) = value.as_float().filter(|n| !n.is_finite()) {
            return Err(Failure::Thrown(format!(
                "the result is {}, not a finite number",
                js_number(n)
            )));
        }
        let stringify = self
            .stringify
            .0
            .clone()
            .restore(ctx)
            .map_err(|e| Failure::Thrown(e.to_string()))?;
        // Getters and toJSON run script code: under the deadline too.
        self.start();
        let json = from_js(&stringify, &value, 0);
        self.stop();
        json.map_err(|message| match self.failure_of_text(message) {
            f @ Failure::Limit(_) => f,
            Failure::Thrown(m) => Failure::Thrown(m),
        })
    }

    /// A conversion's failure: a limit if one tripped, else the message.
    fn failure_of_text(&self, message: String) -> Failure {
        if self.clock.tripped.get() {
            return self.time_limit();
        }
        Failure::Thrown(message)
    }

    fn time_limit(&self) -> Failure {
        Failure::Limit(SimError::Script {
            task: self.task.clone(),
            message: format!("exceeded its {} time limit", Limits(&self.limits).time()),
        })
    }

    fn memory_limit(&self) -> Failure {
        Failure::Limit(SimError::Script {
            task: self.task.clone(),
            message: format!(
                "exceeded its {} memory limit",
                Limits(&self.limits).memory()
            ),
        })
    }

    /// Sorts a failed call: a tripped deadline or memory exhaustion stops the run; anything
    /// else is the event's error.
    fn failure(&self, error: CaughtError<'_>) -> Failure {
        if self.clock.tripped.get() {
            return self.time_limit();
        }
        let message = match &error {
            CaughtError::Exception(e) => {
                let text = e.message().unwrap_or_default();
                let name = e
                    .get::<_, Option<String>>("name")
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "Error".into());
                if text.is_empty() {
                    name
                } else {
                    format!("{name}: {text}")
                }
            }
            CaughtError::Value(v) => match v.as_string().and_then(|s| s.to_string().ok()) {
                Some(s) => format!("threw {s:?}"),
                None => format!("threw a {}", v.type_name()),
            },
            CaughtError::Error(e) => e.to_string(),
        };
        // QuickJS throws `InternalError: out of memory`, or `null` when even that error cannot
        // be made (so a script's own `throw null` reads as the memory limit too).
        let out_of_memory = matches!(error, CaughtError::Error(rquickjs::Error::Allocation))
            || matches!(&error, CaughtError::Value(v) if v.is_null())
            || message.contains("out of memory");
        if out_of_memory {
            return self.memory_limit();
        }
        Failure::Thrown(message)
    }
}

/// A JavaScript value inside a [`Scope`].
pub(super) type JsValue<'js> = rquickjs::Value<'js>;

/// Inside a task's context: converts values and calls functions.
pub(super) struct Scope<'js, 'a> {
    ctx: Ctx<'js>,
    js: &'a Js,
}

impl<'js> Scope<'js, '_> {
    /// A JSON value as a JavaScript value (`None`: `undefined`).
    pub(super) fn json(&self, value: Option<&Value>) -> Result<JsValue<'js>, Failure> {
        match value {
            None => Ok(JsValue::new_undefined(self.ctx.clone())),
            Some(v) => to_js(&self.ctx, v)
                .catch(&self.ctx)
                .map_err(|e| self.js.failure(e)),
        }
    }

    /// A property of a value (`undefined` when missing or not an object).
    pub(super) fn field(&self, object: &JsValue<'js>, key: &str) -> Result<JsValue<'js>, Failure> {
        match object.as_object() {
            Some(o) => o.get(key).catch(&self.ctx).map_err(|e| self.js.failure(e)),
            None => Ok(JsValue::new_undefined(self.ctx.clone())),
        }
    }

    /// An object kept across calls.
    pub(super) fn kept(&self, value: &Kept) -> Result<JsValue<'js>, Failure> {
        value
            .0
            .clone()
            .restore(&self.ctx)
            .map(Object::into_value)
            .map_err(|e| Failure::Thrown(e.to_string()))
    }

    /// Calls `f(a, b)` under the time limit and returns its result as JSON (`None`:
    /// `undefined`, or anything `JSON.stringify` leaves out).
    pub(super) fn call(
        &self,
        f: &Func,
        a: JsValue<'js>,
        b: JsValue<'js>,
    ) -> Result<Option<Value>, Failure> {
        let func =
            f.0.clone()
                .restore(&self.ctx)
                .map_err(|e| Failure::Thrown(e.to_string()))?;
        self.js.start();
        let result = func
            .call::<_, JsValue>((a, b))
            .catch(&self.ctx)
            .map_err(|e| self.js.failure(e));
        self.js.stop();
        self.js.to_json(&self.ctx, result?)
    }
}

/// An object kept across calls (a script's `context`).
pub(super) struct Kept(Persistent<Object<'static>>);

impl Js {
    /// Evaluates `source` to an object kept across calls; `Ok(None)` when it is not an object.
    pub(super) fn object(&self, source: &str) -> Result<Option<Kept>, Failure> {
        self.eval(source, |ctx, value| {
            value.into_object().map(|o| Kept(Persistent::save(ctx, o)))
        })
    }
}

/// A JSON value as a JavaScript value. Objects are built key by key (three times faster than
/// through JSON text); one with a `__proto__` key goes through `JSON.parse`, which keeps that key
/// as an own property.
fn to_js<'js>(ctx: &Ctx<'js>, v: &Value) -> rquickjs::Result<JsValue<'js>> {
    Ok(match v {
        Value::Null => JsValue::new_null(ctx.clone()),
        Value::Bool(b) => JsValue::new_bool(ctx.clone(), *b),
        Value::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => JsValue::new_int(ctx.clone(), i),
            None => JsValue::new_number(ctx.clone(), n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Value::Array(list) => {
            let array = rquickjs::Array::new(ctx.clone())?;
            for (i, item) in list.iter().enumerate() {
                array.set(i, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Value::Object(map) if map.contains_key("__proto__") => ctx.json_parse(v.to_string())?,
        Value::Object(map) => {
            let object = Object::new(ctx.clone())?;
            for (key, item) in map {
                object.set(key.as_str(), to_js(ctx, item)?)?;
            }
            object.into_value()
        }
    })
}

/// How deep a result may nest (deeper is taken for a cycle, which JSON cannot hold).
const MAX_DEPTH: usize = 128;

/// A JavaScript value as JSON, the way `JSON.stringify` writes it: `None` for what it leaves
/// out (`undefined`, functions, symbols); non-finite numbers as `null` inside objects and
/// lists; BigInt as a number (a string past 64 bits); objects with `toJSON` (dates) through
/// `JSON.stringify` itself. Whole numbers become integers.
fn from_js<'js>(
    stringify: &Function<'js>,
    v: &JsValue<'js>,
    depth: usize,
) -> Result<Option<Value>, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "the result nests deeper than {MAX_DEPTH} levels (a cycle?)"
        ));
    }
    let e = |e: rquickjs::Error| e.to_string();
    Ok(Some(if v.is_null() {
        Value::Null
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if let Some(i) = v.as_int() {
        Value::from(i)
    } else if let Some(f) = v.as_float() {
        number(f)
    } else if let Some(s) = v.as_string() {
        Value::String(s.to_string().map_err(e)?)
    } else if let Some(b) = v.as_big_int() {
        match b.clone().to_i64() {
            Ok(i) => Value::from(i),
            Err(_) => Value::String(v.get::<rquickjs::Coerced<String>>().map_err(e)?.0),
        }
    } else if let Some(list) = v.as_array() {
        let mut out = Vec::with_capacity(list.len());
        for item in list.iter::<JsValue>() {
            out.push(from_js(stringify, &item.map_err(e)?, depth + 1)?.unwrap_or(Value::Null));
        }
        Value::Array(out)
    } else if v.is_function() || v.is_symbol() || v.is_undefined() {
        return Ok(None);
    } else if let Some(o) = v.as_object() {
        if o.get::<_, JsValue>("toJSON").map_err(e)?.is_function() {
            let text: Option<String> = stringify.call((v.clone(),)).map_err(e)?;
            return match text {
                Some(text) => serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|err| format!("the result is not JSON ({err})")),
                None => Ok(None),
            };
        }
        let mut map = serde_json::Map::new();
        for prop in o.props::<String, JsValue>() {
            let (key, item) = prop.map_err(e)?;
            if let Some(item) = from_js(stringify, &item, depth + 1)? {
                map.insert(key, item);
            }
        }
        Value::Object(map)
    } else {
        return Ok(None);
    }))
}

/// A JavaScript number as JSON: whole numbers up to 2^53 (all exact) as integers, non-finite
/// ones as `null` (as `JSON.stringify` writes them).
fn number(f: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// A non-finite number as JavaScript writes it.
fn js_number(n: f64) -> &'static str {
    if n.is_nan() {
        "NaN"
    } else if n > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// The limits as people write them: `1 s`, `250 ms`, `64 MB`.
struct Limits<'a>(&'a ScriptLimits);

impl Limits<'_> {
    fn time(&self) -> impl fmt::Display {
        let d: Duration = self.0.time;
        if d.subsec_millis() == 0 && d.as_secs() > 0 {
            format!("{} s", d.as_secs())
        } else {
            format!("{} ms", d.as_millis())
        }
    }

    fn memory(&self) -> impl fmt::Display {
        let m = self.0.memory;
        if m >= 1 << 20 && m.is_multiple_of(1 << 20) {
            format!("{} MB", m >> 20)
        } else {
            format!("{m} bytes")
        }
    }
}

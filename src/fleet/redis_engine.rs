//! The Redis [`Engine`] (feature `redis`): one hash per registry, Lua scripts for every write,
//! pub/sub for notifications. Synchronous connections: no async runtime.
//!
//! The hash `PREFIX` holds `__epoch`, `__version`, `__format` and one field `f:NAME` per encoded
//! field (see the codec in the module docs). Writes and replacements are Lua scripts, so the
//! check of the epoch and version, the fields, the new version and the notification (a
//! `PUBLISH` of the version on `PREFIX:changes`) are one atomic step. Two connections: one for
//! commands (callers' writes and the follower's reads, one at a time), one subscribed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use redis::{Client, Connection, Script, Value};

use super::codec::FORMAT;
use super::engine::{Engine, EngineError, Expect, RemoteState, Written};

const WRITE: &str = r"
local epoch = redis.call('HGET', KEYS[1], '__epoch')
local version = redis.call('HGET', KEYS[1], '__version')
if epoch ~= ARGV[1] or (ARGV[2] ~= '' and version ~= ARGV[2]) then
  if epoch then return {'refused', epoch, version or '0'} end
  return {'refused'}
end
local set = tonumber(ARGV[3])
local i = 5
for _ = 1, set do
  redis.call('HSET', KEYS[1], 'f:' .. ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', KEYS[1], 'f:' .. ARGV[i])
  i = i + 1
end
local new = redis.call('HINCRBY', KEYS[1], '__version', 1)
redis.call('PUBLISH', ARGV[4], tostring(new))
return {'applied', redis.call('HGETALL', KEYS[1])}
";

const REPLACE: &str = r"
local epoch = redis.call('HGET', KEYS[1], '__epoch')
local version = redis.call('HGET', KEYS[1], '__version')
local absent = redis.call('EXISTS', KEYS[1]) == 0
if (ARGV[1] == 'absent' and not absent)
  or (ARGV[1] == 'at' and (epoch ~= ARGV[2] or version ~= ARGV[3])) then
  if epoch then return {'refused', epoch, version or '0'} end
  return {'refused'}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '__epoch', ARGV[4], '__version', ARGV[5], '__format', ARGV[6])
for i = 8, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'f:' .. ARGV[i], ARGV[i + 1])
end
redis.call('PUBLISH', ARGV[7], ARGV[5])
return {'applied', redis.call('HGETALL', KEYS[1])}
";

/// A subscribed connection, owned by a thread of its own that forwards every message.
///
/// The connection reads through `PubSub::get_message`, whose read timeouts leave it usable: a
/// timed-out `recv_response` makes the connection skip the next message (it takes it for the
/// late reply), which lost a notification after every idle poll interval.
struct Subscription {
    notified: mpsc::Receiver<Result<(), EngineError>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The thread sees it within its read timeout and closes the connection.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A registry's state in one Redis hash (see the module docs).
pub struct RedisEngine {
    client: Client,
    key: String,
    channel: String,
    timeout: Duration,
    commands: Mutex<Option<Connection>>,
    subscriber: Mutex<Option<Subscription>>,
    write: Script,
    replace: Script,
}

impl std::fmt::Debug for RedisEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEngine")
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn failed(error: &redis::RedisError) -> EngineError {
    EngineError::new(format!("redis: {error}"))
}

impl RedisEngine {
    /// An engine for the server at `url` (`redis://127.0.0.1:6379/`), keeping the registry in
    /// the hash `key` and notifying on `{key}:changes`. Connects lazily; every command gives up
    /// after 2 s (see [`timeout`](Self::timeout)).
    ///
    /// # Errors
    ///
    /// `url` is not a Redis URL.
    pub fn new(url: &str, key: impl Into<String>) -> Result<Self, EngineError> {
        let client = Client::open(url).map_err(|e| failed(&e))?;
        let key = key.into();
        Ok(Self {
            client,
            channel: format!("{key}:changes"),
            key,
            timeout: Duration::from_secs(2),
            commands: Mutex::new(None),
            subscriber: Mutex::new(None),
            write: Script::new(WRITE),
            replace: Script::new(REPLACE),
        })
    }

    /// Sets how long connecting and each command may take before failing (2 s by default): a
    /// write to an unreachable server fails after at most this long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn connect(&self) -> Result<Connection, EngineError> {
        let connection = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| failed(&e))?;
        connection
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| connection.set_write_timeout(Some(self.timeout)))
            .map_err(|e| failed(&e))?;
        Ok(connection)
    }

    /// Runs `command` on the command connection, connecting first if needed; a failed
    /// connection is dropped, to be made again by the next command.
    fn with_commands<T>(
        &self,
        command: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, EngineError> {
        let mut slot = lock(&self.commands);
        if slot.is_none() {
            *slot = Some(self.connect()?);
        }
        let connection = slot.as_mut().expect("connected above");
        command(connection).map_err(|error| {
            // A refused command leaves the connection usable; anything else may not.
            if error.is_io_error() || error.is_timeout() || error.is_unrecoverable_error() {
                *slot = None;
            }
            failed(&error)
        })
    }

    /// Subscribes on a connection of its own, read by a thread of its own.
    fn subscribe(&self) -> Result<Subscription, EngineError> {
        let mut connection = self.connect()?;
        let (notify, notified) = mpsc::channel();
        let (ready, subscribed) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (channel, stopped) = (self.channel.clone(), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("syncmap-redis-subscriber".to_owned())
            .spawn(move || {
                let mut pubsub = connection.as_pubsub();
                let subscribed = pubsub
                    .subscribe(&channel)
                    .and_then(|()| pubsub.set_read_timeout(Some(Duration::from_millis(500))));
                let failed_to_subscribe = subscribed.is_err();
                let _ = ready.send(subscribed.map_err(|e| failed(&e)));
                if failed_to_subscribe {
                    return;
                }
                while !stopped.load(Ordering::Relaxed) {
                    match pubsub.get_message() {
                        Ok(_) => {
                            if notify.send(Ok(())).is_err() {
                                return;
                            }
                        }
                        Err(error) if error.is_timeout() => {}
                        Err(error) => {
                            let _ = notify.send(Err(failed(&error)));
                            return;
                        }
                    }
                }
            })
            .map_err(|error| EngineError::new(error.to_string()))?;
        match subscribed.recv_timeout(self.timeout + Duration::from_secs(1)) {
            Ok(Ok(())) => Ok(Subscription { notified, stop }),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(bad("subscribing timed out")),
        }
    }

    fn parse_written(reply: &Value) -> Result<Written, EngineError> {
        let items = array(reply)?;
        match items.first().map(text).transpose()?.as_deref() {
            Some("applied") => {
                let fields = items.get(1).ok_or_else(|| bad("no state after a write"))?;
                let state = parse_state(array(fields)?)?;
                state
                    .map(Written::Applied)
                    .ok_or_else(|| bad("no state after a write"))
            }
            Some("refused") => match (items.get(1), items.get(2)) {
                (Some(epoch), Some(version)) => {
                    let version = text(version)?.parse().map_err(|_| bad("bad version"))?;
                    Ok(Written::Refused(Some((text(epoch)?, version))))
                }
                _ => Ok(Written::Refused(None)),
            },
            _ => Err(bad("unexpected script reply")),
        }
    }
}

fn bad(message: &str) -> EngineError {
    EngineError::new(format!("redis: {message}"))
}

fn array(value: &Value) -> Result<&[Value], EngineError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Nil => Ok(&[]),
        _ => Err(bad("expected an array")),
    }
}

fn text(value: &Value) -> Result<String, EngineError> {
    match value {
        Value::BulkString(bytes) => {
            String::from_utf8(bytes.clone()).map_err(|_| bad("a value is not UTF-8"))
        }
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(n) => Ok(n.to_string()),
        _ => Err(bad("expected a string")),
    }
}

/// The state in a flat `HGETALL` reply; `None` for an empty one.
fn parse_state(items: &[Value]) -> Result<Option<RemoteState>, EngineError> {
    if items.is_empty() {
        return Ok(None);
    }
    let (mut epoch, mut version, mut format) = (None, None, None);
    let mut fields = BTreeMap::new();
    for pair in items.chunks(2) {
        let [name, value] = pair else {
            return Err(bad("an odd hash reply"));
        };
        let (name, value) = (text(name)?, text(value)?);
        match name.as_str() {
            "__epoch" => epoch = Some(value),
            "__version" => version = Some(value.parse().map_err(|_| bad("bad __version"))?),
            "__format" => format = Some(value),
            _ => {
                if let Some(field) = name.strip_prefix("f:") {
                    fields.insert(field.to_owned(), value);
                }
            }
        }
    }
    if format.as_deref() != Some(FORMAT) {
        return Err(bad("the hash is not in syncmap's format 1"));
    }
    match (epoch, version) {
        (Some(epoch), Some(version)) => Ok(Some(RemoteState {
            epoch,
            version,
            fields,
        })),
        _ => Err(bad("the hash has no epoch or version")),
    }
}

impl Engine for RedisEngine {
    fn read(&self) -> Result<Option<RemoteState>, EngineError> {
        let reply: Value = self.with_commands(|c| redis::cmd("HGETALL").arg(&self.key).query(c))?;
        parse_state(array(&reply)?)
    }

    fn version(&self) -> Result<Option<(String, u64)>, EngineError> {
        let reply: Value = self.with_commands(|c| {
            redis::cmd("HMGET")
                .arg(&self.key)
                .arg("__epoch")
                .arg("__version")
                .query(c)
        })?;
        match array(&reply)? {
            [Value::Nil, _] | [_, Value::Nil] => Ok(None),
            [epoch, version] => {
                let version = text(version)?.parse().map_err(|_| bad("bad __version"))?;
                Ok(Some((text(epoch)?, version)))
            }
            _ => Err(bad("unexpected HMGET reply")),
        }
    }

    fn write(
        &self,
        epoch: &str,
        expected: Option<u64>,
        set: &[(String, String)],
        delete: &[String],
    ) -> Result<Written, EngineError> {
        let mut invocation = self.write.key(&self.key);
        invocation
            .arg(epoch)
            .arg(expected.map(|v| v.to_string()).unwrap_or_default())
            .arg(set.len())
            .arg(&self.channel);
        for (name, value) in set {
            invocation.arg(name).arg(value);
        }
        for name in delete {
            invocation.arg(name);
        }
        let reply: Value = self.with_commands(|c| invocation.invoke(c))?;
        Self::parse_written(&reply)
    }

    fn replace(&self, expect: &Expect, state: &RemoteState) -> Result<Written, EngineError> {
        let mut invocation = self.replace.key(&self.key);
        match expect {
            Expect::Absent => invocation.arg("absent").arg("").arg(""),
            Expect::At { epoch, version } => {
                invocation.arg("at").arg(epoch).arg(version.to_string())
            }
        };
        invocation
            .arg(&state.epoch)
            .arg(state.version.to_string())
            .arg(FORMAT)
            .arg(&self.channel);
        for (name, value) in &state.fields {
            invocation.arg(name).arg(value);
        }
        let reply: Value = self.with_commands(|c| invocation.invoke(c))?;
        Self::parse_written(&reply)
    }

    fn wait(&self, timeout: Duration) -> Result<bool, EngineError> {
        let mut slot = lock(&self.subscriber);
        if slot.is_none() {
            *slot = Some(self.subscribe()?);
        }
        let subscription = slot.as_ref().expect("subscribed above");
        match subscription.notified.recv_timeout(timeout) {
            Ok(Ok(())) => {
                // One check covers every notification that arrived meanwhile.
                while let Ok(Ok(())) = subscription.notified.try_recv() {}
                Ok(true)
            }
            Ok(Err(error)) => {
                *slot = None;
                Err(error)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(false),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                *slot = None;
                Err(bad("the subscription ended"))
            }
        }
    }
}

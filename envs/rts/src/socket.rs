//! microRTS's socket protocol (JSON, language 2) from the AI's side: the server that
//! microRTS's `SocketAI` connects to, so that microRTS's tournaments and bots can play any
//! Ludus agent (`../shared/specs/microrts.md` §2).
//!
//! The exchange is line-based. microRTS sends `budget T I`, `utt` + the unit table,
//! `preGameAnalysis MS` + a state, then every cycle `getAction P` + a state, and finally
//! `gameOver W`; the AI answers `ack` to everything but `getAction`, which gets one line of
//! JSON orders. A malformed message is reported and answered (with `ack` or `[]`) so the game
//! goes on; only a broken connection ends a session.

use std::io::{BufRead, Write};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::action::{Direction, UnitAction};
use crate::error::RtsError;
use crate::runner::RtsAgent;
use crate::state::{Assignment, GameState, Unit};
use crate::utt::UnitTypeTable;

/// Reads a microRTS game state (`{"time":…,"pgs":{…},"actions":[…]}`) against a unit table.
pub fn state_from_json(text: &str, utt: &Arc<UnitTypeTable>) -> Result<GameState, RtsError> {
    let bad = |p: String| RtsError::map("microRTS state", p);
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let int = |v: &Value, key: &str| -> Result<i64, RtsError> {
        v.get(key)
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(format!("`{key}` is missing or not a whole number")))
    };
    let pgs = v.get("pgs").ok_or_else(|| bad("no `pgs`".into()))?;
    let (width, height) = (int(pgs, "width")?, int(pgs, "height")?);
    if !(1..=256).contains(&width) || !(1..=256).contains(&height) {
        return Err(bad(format!("size {width}×{height} is outside 1–256")));
    }
    let terrain = pgs
        .get("terrain")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no `terrain` string (send states with constants_in_state)".into()))?;
    if terrain.len() != (width * height) as usize || terrain.bytes().any(|b| b != b'0' && b != b'1')
    {
        return Err(bad(format!(
            "terrain must be {} characters of 0/1 (compressed terrain is not supported)",
            width * height
        )));
    }
    let walls = terrain.bytes().map(|b| b == b'1').collect();
    let mut resources = [0; 2];
    for p in pgs
        .get("players")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = int(p, "ID")?;
        if !(0..=1).contains(&id) {
            return Err(bad(format!("player ID {id}")));
        }
        resources[id as usize] = int(p, "resources")? as i32;
    }
    let mut units = Vec::new();
    for u in pgs
        .get("units")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = u
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("a unit without `type`".into()))?;
        let ty = utt
            .by_name(name)
            .ok_or_else(|| bad(format!("unit type `{name}` is not in the unit table")))?;
        units.push(Unit {
            id: u64::try_from(int(u, "ID")?).map_err(|_| bad("negative unit ID".into()))?,
            player: int(u, "player")? as i32,
            kind: ty.id,
            x: int(u, "x")? as i32,
            y: int(u, "y")? as i32,
            resources: int(u, "resources")? as i32,
            hp: int(u, "hitpoints")? as i32,
        });
    }
    let mut state = GameState::new(
        utt.clone(),
        width as i32,
        height as i32,
        walls,
        resources,
        units,
        0,
    )?;
    state.set_time(int(&v, "time")? as i32);
    for a in v
        .get("actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let unit = u64::try_from(int(a, "ID")?).map_err(|_| bad("negative unit ID".into()))?;
        let action = a
            .get("action")
            .ok_or_else(|| bad(format!("running action of unit {unit} has no `action`")))?;
        let action = action_from_json(action, utt)?;
        state.push_assignment(Assignment {
            unit,
            action,
            issued: int(a, "time")? as i32,
        })?;
    }
    Ok(state)
}

/// A state in microRTS's JSON (what `getAction` carries), which [`state_from_json`] reads back.
pub fn state_to_json(state: &GameState) -> String {
    let utt = state.utt();
    let terrain: String = state
        .walls()
        .iter()
        .map(|&w| if w { '1' } else { '0' })
        .collect();
    let r = state.resources();
    let units: Vec<Value> = state
        .units()
        .iter()
        .map(|u| {
            json!({"type": utt.get(u.kind).name, "ID": u.id, "player": u.player, "x": u.x,
                   "y": u.y, "resources": u.resources, "hitpoints": u.hp})
        })
        .collect();
    let actions: Vec<Value> = state
        .assignments()
        .iter()
        .map(|a| json!({"ID": a.unit, "time": a.issued, "action": action_to_json(&a.action, utt)}))
        .collect();
    json!({
        "time": state.time(),
        "pgs": {
            "width": state.width(), "height": state.height(), "terrain": terrain,
            "players": [{"ID": 0, "resources": r[0]}, {"ID": 1, "resources": r[1]}],
            "units": units,
        },
        "actions": actions,
    })
    .to_string()
}

/// Orders from one line of microRTS's JSON (`[{"unitID":…,"unitAction":{…}}, …]`).
pub fn orders_from_json(
    text: &str,
    utt: &UnitTypeTable,
) -> Result<Vec<(u64, UnitAction)>, RtsError> {
    let bad = |p: String| RtsError::map("microRTS orders", p);
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let list = v.as_array().ok_or_else(|| bad("not a list".into()))?;
    list.iter()
        .map(|o| {
            let id = o
                .get("unitID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("an order without `unitID`".into()))?;
            let action = o
                .get("unitAction")
                .ok_or_else(|| bad(format!("the order for unit {id} has no `unitAction`")))?;
            Ok((id, action_from_json(action, utt)?))
        })
        .collect()
}

/// One microRTS `UnitAction` in JSON (`{"type":1,"parameter":2}`, `{"type":5,"x":3,"y":4}`, …).
pub fn action_from_json(v: &Value, utt: &UnitTypeTable) -> Result<UnitAction, RtsError> {
    let bad = |p: String| RtsError::map("microRTS action", p);
    let field = |key: &str| v.get(key).and_then(Value::as_i64).unwrap_or(-1);
    let dir = || {
        Direction::from_index(field("parameter"))
            .ok_or_else(|| bad(format!("direction {} is not 0–3", field("parameter"))))
    };
    Ok(match field("type") {
        0 => UnitAction::Wait(field("parameter") as i32),
        1 => UnitAction::Move(dir()?),
        2 => UnitAction::Harvest(dir()?),
        3 => UnitAction::Return(dir()?),
        4 => {
            let name = v.get("unitType").and_then(Value::as_str).unwrap_or("");
            let t = utt
                .by_name(name)
                .ok_or_else(|| bad(format!("produce of unknown unit type `{name}`")))?;
            UnitAction::Produce(dir()?, t.id)
        }
        5 => UnitAction::Attack {
            x: field("x") as i32,
            y: field("y") as i32,
        },
        other => return Err(bad(format!("action type {other} is not 0–5"))),
    })
}

/// An order as microRTS's `PlayerAction.fromJSON` reads it.
pub fn action_to_json(action: &UnitAction, utt: &UnitTypeTable) -> Value {
    match *action {
        UnitAction::Wait(n) => json!({"type": 0, "parameter": n}),
        UnitAction::Move(d) => json!({"type": 1, "parameter": d as i32}),
        UnitAction::Harvest(d) => json!({"type": 2, "parameter": d as i32}),
        UnitAction::Return(d) => json!({"type": 3, "parameter": d as i32}),
        UnitAction::Produce(d, t) => {
            json!({"type": 4, "parameter": d as i32, "unitType": utt.get(t).name})
        }
        UnitAction::Attack { x, y } => json!({"type": 5, "x": x, "y": y}),
    }
}

/// One line of orders: `[{"unitID":…,"unitAction":{…}}, …]`.
pub fn orders_to_json(orders: &[(u64, UnitAction)], utt: &UnitTypeTable) -> String {
    let list: Vec<Value> = orders
        .iter()
        .map(|(id, a)| json!({"unitID": id, "unitAction": action_to_json(a, utt)}))
        .collect();
    Value::Array(list).to_string()
}

/// What one session saw, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionSummary {
    pub games: usize,
    pub get_actions: usize,
    /// Winners as microRTS announced them (−1 for a draw).
    pub winners: Vec<i64>,
    /// Messages that could not be understood (each was reported and answered).
    pub malformed: usize,
    pub slowest_ms: u128,
}

/// Serves one connection: answers microRTS until it hangs up (or sends `end`). `welcome` is
/// written first (microRTS discards it but waits for it). Errors only on I/O failure.
pub fn serve_session<R: BufRead, W: Write>(
    mut input: R,
    mut output: W,
    agent: &mut dyn RtsAgent,
    mut log: impl FnMut(&str),
) -> std::io::Result<SessionSummary> {
    let mut summary = SessionSummary::default();
    let mut utt = Arc::new(UnitTypeTable::v2());
    writeln!(output, "ludus {} ready", env!("CARGO_PKG_VERSION"))?;
    output.flush()?;
    let mut line = String::new();
    let read_line = |input: &mut R, line: &mut String| -> std::io::Result<bool> {
        line.clear();
        Ok(input.read_line(line)? > 0)
    };
    while read_line(&mut input, &mut line)? {
        let message = line.trim().to_string();
        let mut words = message.split_whitespace();
        let Some(command) = words.next() else {
            continue;
        };
        let reply = match command {
            "budget" => "ack".to_string(),
            "utt" => {
                if !read_line(&mut input, &mut line)? {
                    break;
                }
                match UnitTypeTable::from_json(line.trim()) {
                    Ok(t) => utt = Arc::new(t),
                    Err(e) => {
                        summary.malformed += 1;
                        log(&format!(
                            "ignoring a bad unit table (keeping the last one): {e}"
                        ));
                    }
                }
                "ack".to_string()
            }
            "preGameAnalysis" => {
                if !read_line(&mut input, &mut line)? {
                    break;
                }
                agent.reset();
                summary.games += 1;
                "ack".to_string()
            }
            "getAction" => {
                if !read_line(&mut input, &mut line)? {
                    break;
                }
                summary.get_actions += 1;
                let start = std::time::Instant::now();
                let player = words.next().and_then(|p| p.parse::<usize>().ok());
                let reply = match (player, state_from_json(line.trim(), &utt)) {
                    (Some(p @ 0..=1), Ok(state)) => {
                        let orders: Vec<(u64, UnitAction)> = agent
                            .act(&state, p)
                            .into_iter()
                            .filter(|(id, _)| {
                                state.unit(*id).is_some_and(|u| u.player == p as i32)
                                    && !state.is_busy(*id)
                            })
                            .collect();
                        orders_to_json(&orders, &utt)
                    }
                    (_, Err(e)) => {
                        summary.malformed += 1;
                        log(&format!(
                            "cannot read the state of `{message}` (answering []): {e}"
                        ));
                        "[]".to_string()
                    }
                    (_, Ok(_)) => {
                        summary.malformed += 1;
                        log(&format!(
                            "`{message}`: expected `getAction 0` or `getAction 1`"
                        ));
                        "[]".to_string()
                    }
                };
                summary.slowest_ms = summary.slowest_ms.max(start.elapsed().as_millis());
                reply
            }
            "gameOver" => {
                summary
                    .winners
                    .push(words.next().and_then(|w| w.parse().ok()).unwrap_or(-1));
                "ack".to_string()
            }
            "end" => break,
            _ => {
                summary.malformed += 1;
                log(&format!(
                    "unknown message `{}` (answering ack)",
                    truncate(&message, 80)
                ));
                "ack".to_string()
            }
        };
        writeln!(output, "{reply}")?;
        output.flush()?;
    }
    Ok(summary)
}

fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bots::{Rush, RushKind};

    const STATE: &str = r#"{"time":1,"pgs":{"width":8,"height":8,"terrain":"0000000000000000000000000000000000000000000000000000000000000000","players":[{"ID":0, "resources":5},{"ID":1, "resources":5}],"units":[{"type":"Resource", "ID":4, "player":-1, "x":0, "y":0, "resources":20, "hitpoints":1},{"type":"Resource", "ID":5, "player":-1, "x":7, "y":7, "resources":20, "hitpoints":1},{"type":"Base", "ID":6, "player":0, "x":2, "y":1, "resources":0, "hitpoints":10},{"type":"Base", "ID":7, "player":1, "x":5, "y":6, "resources":0, "hitpoints":10},{"type":"Worker", "ID":8, "player":0, "x":1, "y":1, "resources":0, "hitpoints":1},{"type":"Worker", "ID":9, "player":1, "x":6, "y":6, "resources":0, "hitpoints":1}]},"actions":[{"ID":6, "time":0, "action":{"type":4, "parameter":0, "unitType":"Worker"}},{"ID":8, "time":0, "action":{"type":1, "parameter":2}},{"ID":7, "time":0, "action":{"type":4, "parameter":2, "unitType":"Worker"}}]}"#;

    #[test]
    fn reads_the_captured_state_with_its_running_actions() {
        let utt = Arc::new(UnitTypeTable::v2());
        let s = state_from_json(STATE, &utt).unwrap();
        assert_eq!((s.time(), s.width(), s.units().len()), (1, 8, 6));
        assert!(s.is_busy(6) && s.is_busy(8) && !s.is_busy(9));
        assert_eq!(s.reservations().spendable, [4, 4]);
        assert_eq!(
            s.assignment(8).unwrap().action,
            UnitAction::Move(Direction::Down)
        );
    }

    #[test]
    fn states_round_trip_through_json() {
        let utt = Arc::new(UnitTypeTable::v2());
        let s = state_from_json(STATE, &utt).unwrap();
        let back = state_from_json(&state_to_json(&s), &utt).unwrap();
        assert_eq!(back.units(), s.units());
        assert_eq!(back.assignments(), s.assignments());
        assert_eq!((back.time(), back.resources()), (s.time(), s.resources()));
        let orders = vec![
            (8, UnitAction::Move(Direction::Up)),
            (6, UnitAction::Wait(10)),
        ];
        assert_eq!(
            orders_from_json(&orders_to_json(&orders, &utt), &utt).unwrap(),
            orders
        );
        assert!(orders_from_json("[{\"unitID\": 3}]", &utt).is_err());
    }

    #[test]
    fn orders_round_trip_through_json() {
        let utt = UnitTypeTable::v2();
        for a in [
            UnitAction::Wait(1),
            UnitAction::Move(Direction::Left),
            UnitAction::Harvest(Direction::Up),
            UnitAction::Return(Direction::Right),
            UnitAction::Produce(Direction::Down, 3),
            UnitAction::Attack { x: 4, y: 4 },
        ] {
            assert_eq!(
                action_from_json(&action_to_json(&a, &utt), &utt).unwrap(),
                a
            );
        }
        let line = orders_to_json(&[(8, UnitAction::Attack { x: 4, y: 4 })], &utt);
        assert_eq!(
            line,
            r#"[{"unitID":8,"unitAction":{"type":5,"x":4,"y":4}}]"#
        );
    }

    #[test]
    fn a_session_answers_every_message_and_survives_garbage() {
        let utt = UnitTypeTable::v2().to_json();
        let input = format!(
            "budget 100 0\nutt\n{utt}\nbudget 100 0\nutt\n{utt}\npreGameAnalysis 0\n{STATE}\n\
             getAction 0\n{STATE}\nhello there\ngetAction 0\n{{\"time\":\ngetAction 7\n{STATE}\n\
             gameOver 0\n"
        );
        let mut out = Vec::new();
        let mut agent = Rush::new(RushKind::Worker);
        let mut logged = Vec::new();
        let summary = serve_session(input.as_bytes(), &mut out, &mut agent, |m| {
            logged.push(m.to_string())
        })
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("ludus"));
        assert_eq!(&lines[1..6], &["ack"; 5]);
        // Worker 8 and base 6 are busy; nothing else of player 0 is idle.
        assert_eq!(lines[6], "[]");
        assert_eq!(lines[7], "ack", "unknown messages get ack");
        assert_eq!(lines[8], "[]", "an unreadable state gets no orders");
        assert_eq!(lines[9], "[]");
        assert_eq!(lines[10], "ack");
        assert_eq!(summary.get_actions, 3);
        assert_eq!(summary.malformed, 3);
        assert_eq!(summary.winners, vec![0]);
        assert_eq!(logged.len(), 3);
    }
}

//! Maps: microRTS's XML files (loaded by path, never bundled) and a built-in generator of simple
//! symmetric maps, so nothing external is needed by default.
//!
//! A map spec is either a path to a microRTS XML map or `gen:WxH[:key=value…]` for the
//! generator (see [`GeneratedMap`]).

use std::path::Path;
use std::sync::Arc;

use rand::Rng;

use ludus_core::seeded_rng;

use crate::error::RtsError;
use crate::state::{GameState, Unit};
use crate::utt::{ids, UnitTypeTable};

/// A map before the game starts: terrain, stocks and units. [`Map::start`] makes a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// Where it came from (a path or the generator spec), for messages and logs.
    pub name: String,
    pub width: i32,
    pub height: i32,
    pub walls: Vec<bool>,
    pub resources: [i32; 2],
    pub units: Vec<Unit>,
}

impl Map {
    /// The cycle limit of the microRTS competitions for a map of this size: 3000 up to 8×8,
    /// 4000 up to 16×16, 5000 up to 24×24, 6000 up to 32×32, then 8000.
    pub fn competition_cycles(&self) -> i32 {
        match self.width.max(self.height) {
            ..=8 => 3000,
            9..=16 => 4000,
            17..=24 => 5000,
            25..=32 => 6000,
            _ => 8000,
        }
    }

    /// A map from a spec: `gen:…` for the generator, otherwise a path to a microRTS XML map.
    pub fn from_spec(spec: &str, utt: &UnitTypeTable) -> Result<Map, RtsError> {
        match spec.strip_prefix("gen:") {
            Some(rest) => GeneratedMap::parse(rest)?.build(),
            None => Map::load_xml(Path::new(spec), utt),
        }
    }

    /// Reads a microRTS map file (`<rts.PhysicalGameState …>`).
    pub fn load_xml(path: &Path, utt: &UnitTypeTable) -> Result<Map, RtsError> {
        let text = std::fs::read_to_string(path).map_err(|source| RtsError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Map::parse_xml(&text, &path.display().to_string(), utt)
    }

    /// Parses a microRTS map; `name` is used in messages. Unit types are looked up by name in
    /// `utt`.
    pub fn parse_xml(text: &str, name: &str, utt: &UnitTypeTable) -> Result<Map, RtsError> {
        let err = |p: String| RtsError::map(name, p);
        let doc = roxmltree::Document::parse(text).map_err(|e| err(format!("not XML: {e}")))?;
        let root = doc.root_element();
        if !root.tag_name().name().ends_with("PhysicalGameState") {
            return Err(err(format!(
                "the root element is <{}>, expected <rts.PhysicalGameState>",
                root.tag_name().name()
            )));
        }
        let int_attr = |node: roxmltree::Node, key: &str| -> Result<i64, RtsError> {
            let v = node
                .attribute(key)
                .ok_or_else(|| err(format!("<{}> lacks `{key}`", node.tag_name().name())))?;
            v.trim().parse::<i64>().map_err(|_| {
                err(format!(
                    "<{}> has {key}=\"{v}\", expected a whole number",
                    node.tag_name().name()
                ))
            })
        };
        fn child<'a, 'i>(
            node: roxmltree::Node<'a, 'i>,
            tag: &str,
        ) -> Option<roxmltree::Node<'a, 'i>> {
            node.children()
                .find(|c| c.is_element() && c.tag_name().name() == tag)
        }
        let width = int_attr(root, "width")?;
        let height = int_attr(root, "height")?;
        if !(1..=256).contains(&width) || !(1..=256).contains(&height) {
            return Err(err(format!("size {width}×{height} is outside 1–256")));
        }
        let (width, height) = (width as i32, height as i32);
        let terrain = child(root, "terrain").ok_or_else(|| err("no <terrain>".into()))?;
        let walls =
            parse_terrain(terrain.text().unwrap_or(""), (width * height) as usize).map_err(err)?;
        let mut resources = [0; 2];
        if let Some(players) = child(root, "players") {
            for p in players.children().filter(|c| c.is_element()) {
                let id = int_attr(p, "ID")?;
                if !(0..=1).contains(&id) {
                    return Err(err(format!(
                        "player ID {id}: only players 0 and 1 are supported"
                    )));
                }
                resources[id as usize] = int_attr(p, "resources")? as i32;
            }
        }
        let mut units = Vec::new();
        if let Some(list) = child(root, "units") {
            for u in list.children().filter(|c| c.is_element()) {
                let type_name = u
                    .attribute("type")
                    .ok_or_else(|| err("a unit lacks `type`".into()))?;
                let ty = utt.by_name(type_name).ok_or_else(|| {
                    err(format!(
                        "unit type `{type_name}` is not in the unit-type table"
                    ))
                })?;
                let id = int_attr(u, "ID")?;
                if id < 0 {
                    return Err(err(format!("unit ID {id} is negative")));
                }
                let hp = match u.attribute("hitpoints") {
                    Some(_) => int_attr(u, "hitpoints")? as i32,
                    None => ty.hp,
                };
                units.push(Unit {
                    id: id as u64,
                    player: int_attr(u, "player")? as i32,
                    kind: ty.id,
                    x: int_attr(u, "x")? as i32,
                    y: int_attr(u, "y")? as i32,
                    resources: match u.attribute("resources") {
                        Some(_) => int_attr(u, "resources")? as i32,
                        None => 0,
                    },
                    hp,
                });
            }
        }
        let map = Map {
            name: name.to_string(),
            width,
            height,
            walls,
            resources,
            units,
        };
        // Validate once here so a bad map is refused when loaded, not when played.
        map.start(Arc::new(utt.clone()), 0)?;
        Ok(map)
    }

    /// The state at cycle 0. `seed` drives random damage and random conflict resolution only.
    pub fn start(&self, utt: Arc<UnitTypeTable>, seed: u64) -> Result<GameState, RtsError> {
        GameState::new(
            utt,
            self.width,
            self.height,
            self.walls.clone(),
            self.resources,
            self.units.clone(),
            seed,
        )
        .map_err(|e| match e {
            RtsError::Map { problem, .. } => RtsError::map(&self.name, problem),
            other => other,
        })
    }
}

/// Terrain as `0`/`1` per cell, row by row, or microRTS's run-length form (`A`/`B` followed by a
/// count, for free and wall).
fn parse_terrain(text: &str, cells: usize) -> Result<Vec<bool>, String> {
    let text = text.trim();
    let walls: Vec<bool> = if text.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(b) = text.bytes().find(|&b| b != b'0' && b != b'1') {
            return Err(format!(
                "terrain has `{}`: expected 0 (free) or 1 (wall)",
                b as char
            ));
        }
        text.bytes().map(|b| b == b'1').collect()
    } else {
        let mut out = Vec::with_capacity(cells);
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let wall = match bytes[i] {
                b'A' => false,
                b'B' => true,
                other => {
                    return Err(format!(
                        "terrain has `{}`: expected 0/1 per cell or A/B runs",
                        other as char
                    ))
                }
            };
            i += 1;
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let n: usize = if start == i {
                1
            } else {
                text[start..i]
                    .parse()
                    .map_err(|_| "terrain run too long".to_string())?
            };
            out.extend(std::iter::repeat_n(wall, n));
        }
        out
    };
    if walls.len() != cells {
        return Err(format!(
            "terrain has {} cells, the map {cells}",
            walls.len()
        ));
    }
    Ok(walls)
}

/// The built-in generator: two mirrored starts (rotated by 180°) on an open map, like microRTS's
/// `basesWorkers` maps, with optional walls.
///
/// Spec `gen:WxH[:workers=N][:resources=N][:patches=N][:walls=N][:stock=N][:seed=S]`:
/// * `workers`: workers per side at the start (default 1);
/// * `resources`: amount in each resource patch (default 20 up to 8×8, 25 above);
/// * `patches`: resource cells per side, along the player's map edge (default 1 up to 10×10,
///   else 2);
/// * `walls`: wall cells per side, placed at random (by `seed`) away from the starts, never
///   cutting one start off from the other (default 0);
/// * `stock`: each player's starting resources (default 5).
///
/// `gen:8x8` reproduces the layout of microRTS's `basesWorkers8x8`, and `gen:16x16` that of
/// `basesWorkers16x16` (same cells and amounts; unit ids differ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedMap {
    pub width: i32,
    pub height: i32,
    pub workers: i32,
    pub resources: i32,
    pub patches: i32,
    pub walls: i32,
    pub stock: i32,
    pub seed: u64,
}

impl GeneratedMap {
    /// The defaults for a size.
    pub fn new(width: i32, height: i32) -> Self {
        let small = width.max(height) <= 10;
        GeneratedMap {
            width,
            height,
            workers: 1,
            resources: if width.max(height) <= 8 { 20 } else { 25 },
            patches: if small { 1 } else { 2 },
            walls: 0,
            stock: 5,
            seed: 0,
        }
    }

    /// Parses what follows `gen:`.
    pub fn parse(spec: &str) -> Result<Self, RtsError> {
        let name = format!("gen:{spec}");
        let err = |p: String| RtsError::map(&name, p);
        let mut parts = spec.split(':');
        let size = parts.next().unwrap_or("");
        let (w, h) = size
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse::<i32>().ok()?, h.parse::<i32>().ok()?)))
            .ok_or_else(|| err(format!("`{size}` is not a size like 16x16")))?;
        if !(6..=64).contains(&w) || !(6..=64).contains(&h) {
            return Err(err(format!(
                "size {w}×{h}: the generator makes maps from 6×6 to 64×64"
            )));
        }
        let mut g = GeneratedMap::new(w, h);
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| err(format!("`{part}` is not key=value")))?;
            let n: i64 = value
                .parse()
                .map_err(|_| err(format!("{key}={value}: expected a whole number")))?;
            let small = |lo: i64, hi: i64| -> Result<i32, RtsError> {
                if (lo..=hi).contains(&n) {
                    Ok(n as i32)
                } else {
                    Err(err(format!("{key}={n} is outside {lo}–{hi}")))
                }
            };
            match key {
                "workers" => g.workers = small(0, 8)?,
                "resources" => g.resources = small(1, 1_000_000)?,
                "patches" => g.patches = small(0, 8)?,
                "walls" => g.walls = small(0, (w * h / 4) as i64)?,
                "stock" => g.stock = small(0, 1_000_000)?,
                "seed" => g.seed = u64::try_from(n).map_err(|_| err("seed must be ≥ 0".into()))?,
                other => {
                    return Err(err(format!(
                        "unknown key `{other}` (workers, resources, patches, walls, stock, seed)"
                    )))
                }
            }
        }
        if g.patches > g.height - 1 {
            return Err(err(format!(
                "{} patches do not fit along a height of {}",
                g.patches, h
            )));
        }
        Ok(g)
    }

    /// The spec that [`GeneratedMap::parse`] reads back.
    pub fn spec(&self) -> String {
        format!(
            "gen:{}x{}:workers={}:resources={}:patches={}:walls={}:stock={}:seed={}",
            self.width,
            self.height,
            self.workers,
            self.resources,
            self.patches,
            self.walls,
            self.stock,
            self.seed
        )
    }

    /// Builds the map: player 0's corner is the top left, player 1's its 180° rotation.
    pub fn build(&self) -> Result<Map, RtsError> {
        let (w, h) = (self.width, self.height);
        let name = self.spec();
        let mirror = |x: i32, y: i32| (w - 1 - x, h - 1 - y);
        let mut cells: Vec<(i32, i32, i32, i32)> = Vec::new(); // (x, y, player, kind)
                                                               // Resource patches down the left edge; the base two cells in; workers beside it.
        let base = if w.max(h) <= 10 { (2, 1) } else { (2, 2) };
        for i in 0..self.patches {
            cells.push((0, i, -1, ids::RESOURCE as i32));
        }
        cells.push((base.0, base.1, 0, ids::BASE as i32));
        let spots = [
            (1, 1),
            (1, 2),
            (3, 1),
            (2, 3),
            (3, 2),
            (1, 3),
            (3, 3),
            (2, 0),
        ];
        let mut placed = 0;
        for &(x, y) in &spots {
            if placed == self.workers {
                break;
            }
            if cells.iter().any(|c| (c.0, c.1) == (x, y)) || x >= w || y >= h {
                continue;
            }
            cells.push((x, y, 0, ids::WORKER as i32));
            placed += 1;
        }
        if placed < self.workers {
            return Err(RtsError::map(
                &name,
                format!("no room for {} workers", self.workers),
            ));
        }
        let mut units = Vec::new();
        // microRTS's files list resources first, then bases, then workers; player 0's side,
        // then its mirror image in reverse order (as `basesWorkers16x16` does).
        for kind in [ids::RESOURCE, ids::BASE, ids::WORKER] {
            let own: Vec<Unit> = cells
                .iter()
                .filter(|c| c.3 == kind as i32)
                .map(|&(x, y, player, k)| Unit {
                    id: 0,
                    player,
                    kind: k as usize,
                    x,
                    y,
                    resources: if player < 0 { self.resources } else { 0 },
                    hp: if kind == ids::BASE { 10 } else { 1 },
                })
                .collect();
            let mirrored: Vec<Unit> = own
                .iter()
                .rev()
                .map(|u| {
                    let (x, y) = mirror(u.x, u.y);
                    Unit {
                        x,
                        y,
                        player: if u.player < 0 { -1 } else { 1 },
                        ..u.clone()
                    }
                })
                .collect();
            units.extend(own);
            units.extend(mirrored);
        }
        for (i, u) in units.iter_mut().enumerate() {
            u.id = i as u64;
        }
        let mut walls = vec![false; (w * h) as usize];
        if self.walls > 0 {
            self.place_walls(&mut walls, &units)?;
        }
        Ok(Map {
            name,
            width: w,
            height: h,
            walls,
            resources: [self.stock; 2],
            units,
        })
    }

    /// Drops wall cells in mirrored pairs, away from the units, keeping every free cell
    /// reachable from every other.
    fn place_walls(&self, walls: &mut [bool], units: &[Unit]) -> Result<(), RtsError> {
        let (w, h) = (self.width, self.height);
        let mut rng = seeded_rng(self.seed);
        let near_unit = |x: i32, y: i32| {
            units
                .iter()
                .any(|u| (u.x - x).abs() <= 2 && (u.y - y).abs() <= 2)
        };
        let mut placed = 0;
        let mut tries = 0;
        while placed < self.walls {
            tries += 1;
            if tries > 100_000 {
                return Err(RtsError::map(
                    self.spec(),
                    format!("could place only {placed} of {} walls per side", self.walls),
                ));
            }
            let (x, y) = (rng.random_range(0..w), rng.random_range(0..h));
            let (mx, my) = (w - 1 - x, h - 1 - y);
            let (c, mc) = ((x + y * w) as usize, (mx + my * w) as usize);
            if walls[c] || walls[mc] || c == mc || near_unit(x, y) || near_unit(mx, my) {
                continue;
            }
            walls[c] = true;
            walls[mc] = true;
            if connected(walls, w, h) {
                placed += 1;
            } else {
                walls[c] = false;
                walls[mc] = false;
            }
        }
        Ok(())
    }
}

/// Whether all free cells form one 4-connected region.
fn connected(walls: &[bool], w: i32, h: i32) -> bool {
    let Some(start) = walls.iter().position(|&b| !b) else {
        return true;
    };
    let mut seen = vec![false; walls.len()];
    let mut stack = vec![start];
    seen[start] = true;
    let mut count = 1;
    while let Some(c) = stack.pop() {
        let (x, y) = (c as i32 % w, c as i32 / w);
        for (dx, dy) in [(0, -1), (1, 0), (0, 1), (-1, 0)] {
            let (nx, ny) = (x + dx, y + dy);
            if nx < 0 || ny < 0 || nx >= w || ny >= h {
                continue;
            }
            let n = (nx + ny * w) as usize;
            if !walls[n] && !seen[n] {
                seen[n] = true;
                count += 1;
                stack.push(n);
            }
        }
    }
    count == walls.iter().filter(|&&b| !b).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASES_WORKERS_8X8: &str = r#"<rts.PhysicalGameState width="8" height="8">
  <terrain>0000000000000000000000000000000000000000000000000000000000000000</terrain>
  <players>
    <rts.Player ID="0" resources="5"></rts.Player>
    <rts.Player ID="1" resources="5"></rts.Player>
  </players>
  <units>
    <rts.units.Unit type="Resource" ID="4" player="-1" x="0" y="0" resources="20" hitpoints="1" ></rts.units.Unit>
    <rts.units.Unit type="Resource" ID="5" player="-1" x="7" y="7" resources="20" hitpoints="1" ></rts.units.Unit>
    <rts.units.Unit type="Base" ID="6" player="0" x="2" y="1" resources="0" hitpoints="10" ></rts.units.Unit>
    <rts.units.Unit type="Base" ID="7" player="1" x="5" y="6" resources="0" hitpoints="10" ></rts.units.Unit>
    <rts.units.Unit type="Worker" ID="8" player="0" x="1" y="1" resources="0" hitpoints="1" ></rts.units.Unit>
    <rts.units.Unit type="Worker" ID="9" player="1" x="6" y="6" resources="0" hitpoints="1" ></rts.units.Unit>
  </units>
</rts.PhysicalGameState>"#;

    #[test]
    fn loads_the_spec_map_and_the_generator_reproduces_its_layout() {
        let utt = UnitTypeTable::v2();
        let map = Map::parse_xml(BASES_WORKERS_8X8, "basesWorkers8x8", &utt).unwrap();
        assert_eq!((map.width, map.height, map.resources), (8, 8, [5, 5]));
        assert_eq!(map.units.len(), 6);
        assert_eq!(map.units[2].kind, ids::BASE);
        assert_eq!(map.units[2].hp, 10);
        assert_eq!((map.units[4].x, map.units[4].y), (1, 1));
        let generated = Map::from_spec("gen:8x8", &utt).unwrap();
        let key = |m: &Map| {
            let mut v: Vec<_> = m
                .units
                .iter()
                .map(|u| (u.player, u.kind, u.x, u.y, u.resources, u.hp))
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(&generated), key(&map));
        assert_eq!(generated.walls, map.walls);
    }

    #[test]
    fn run_length_terrain_and_bad_maps() {
        assert_eq!(
            parse_terrain("A3B1", 4).unwrap(),
            vec![false, false, false, true]
        );
        assert_eq!(
            parse_terrain("0110", 4).unwrap(),
            vec![false, true, true, false]
        );
        assert!(parse_terrain("012", 3).unwrap_err().contains("`2`"));
        assert!(parse_terrain("000", 4).unwrap_err().contains("3 cells"));
        let utt = UnitTypeTable::v2();
        let bad = BASES_WORKERS_8X8.replace("type=\"Base\" ID=\"6\"", "type=\"Castle\" ID=\"6\"");
        let e = Map::parse_xml(&bad, "m", &utt).unwrap_err().to_string();
        assert!(e.contains("`Castle`"), "{e}");
        let bad = BASES_WORKERS_8X8.replace("x=\"7\" y=\"7\"", "x=\"9\" y=\"7\"");
        let e = Map::parse_xml(&bad, "m", &utt).unwrap_err().to_string();
        assert!(e.contains("off the map"), "{e}");
        let bad = BASES_WORKERS_8X8.replace("ID=\"5\"", "ID=\"4\"");
        let e = Map::parse_xml(&bad, "m", &utt).unwrap_err().to_string();
        assert!(e.contains("two units have id 4"), "{e}");
        let e = Map::parse_xml("<x/>", "m", &utt).unwrap_err().to_string();
        assert!(e.contains("expected <rts.PhysicalGameState>"), "{e}");
    }

    #[test]
    fn generated_maps_are_symmetric_connected_and_reproducible() {
        let utt = UnitTypeTable::v2();
        for spec in [
            "gen:16x16:walls=20:seed=3",
            "gen:12x10:workers=3:patches=2:walls=8",
        ] {
            let a = Map::from_spec(spec, &utt).unwrap();
            assert_eq!(a, Map::from_spec(spec, &utt).unwrap());
            let (w, h) = (a.width, a.height);
            for y in 0..h {
                for x in 0..w {
                    let c = (x + y * w) as usize;
                    let m = ((w - 1 - x) + (h - 1 - y) * w) as usize;
                    assert_eq!(a.walls[c], a.walls[m]);
                }
            }
            assert!(connected(&a.walls, w, h));
            assert!(a.start(Arc::new(utt.clone()), 0).is_ok());
            for u in &a.units {
                let mirrored = a.units.iter().any(|v| {
                    v.kind == u.kind
                        && (v.x, v.y) == (w - 1 - u.x, h - 1 - u.y)
                        && (u.player < 0 || v.player == 1 - u.player)
                });
                assert!(mirrored, "{u:?} has no mirror image");
            }
        }
        let e = Map::from_spec("gen:16", &utt).unwrap_err().to_string();
        assert!(e.contains("not a size"), "{e}");
        let e = Map::from_spec("gen:8x8:towers=2", &utt)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `towers`"), "{e}");
    }
}

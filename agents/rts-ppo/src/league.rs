//! The opponents the learner plays, and how often (AlphaStar's league, reduced to what a
//! laptop can run; `../shared/specs/microrts.md` §4.2–4.3): the scripted bots and frozen
//! snapshots of the learner as fixed players, its current self for self-play, and a payoff
//! table of the learner's recent results against each. Opponents are drawn by prioritised
//! fictitious self-play (PFSP): the weaker the learner does against one, the more it is played
//! (weight (1 − p)², AlphaStar's "squared"), so training time goes where the learner loses.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// One opponent of the learner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Opponent {
    /// A scripted bot, by its `rts:` name.
    Bot(String),
    /// A frozen copy of the learner, saved after `update` updates.
    Snapshot { update: u64 },
    /// The learner as it is now.
    SelfPlay,
}

/// The learner's record against one opponent: scores (1 win, 0.5 draw) with older games
/// fading out, so the table follows a learner that keeps changing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub opponent: Opponent,
    /// Decayed sum of scores.
    pub score: f64,
    /// Decayed number of games.
    pub games: f64,
    /// Games played in all (not decayed).
    pub total_games: u64,
}

impl Entry {
    /// Estimated win rate, with one prior game at 0.5 (a new opponent counts as even).
    pub fn win_rate(&self) -> f64 {
        (self.score + 0.5) / (self.games + 1.0)
    }
}

/// League settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeagueConfig {
    /// Scripted bots in the league (default: every built-in bot).
    pub bots: Vec<String>,
    /// Share of games against the current self (default 0.35).
    pub self_play: f64,
    /// Freeze a snapshot of the learner every this many updates (default 50; 0 = never).
    pub snapshot_every: u64,
    /// Most snapshots kept in the league; the oldest go first (default 20).
    pub max_snapshots: usize,
    /// Weight of each past game after each new one against the same opponent (default 0.98).
    pub decay: f64,
}

impl Default for LeagueConfig {
    fn default() -> Self {
        LeagueConfig {
            bots: [
                "passive",
                "random",
                "randombiased",
                "workerrush",
                "lightrush",
                "heavyrush",
                "rangedrush",
            ]
            .map(String::from)
            .to_vec(),
            self_play: 0.35,
            snapshot_every: 50,
            max_snapshots: 20,
            decay: 0.98,
        }
    }
}

/// The payoff table and the draw of opponents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct League {
    pub config: LeagueConfig,
    /// Entry 0 is self-play; then the bots; then snapshots, oldest first.
    pub entries: Vec<Entry>,
}

impl League {
    pub fn new(config: LeagueConfig) -> Self {
        let entry = |opponent| Entry {
            opponent,
            score: 0.0,
            games: 0.0,
            total_games: 0,
        };
        let mut entries = vec![entry(Opponent::SelfPlay)];
        entries.extend(config.bots.iter().map(|b| entry(Opponent::Bot(b.clone()))));
        League { config, entries }
    }

    /// PFSP weight of an entry: (1 − p)², floored so no opponent is forgotten entirely.
    fn weight(e: &Entry) -> f64 {
        (1.0 - e.win_rate()).powi(2).max(0.01)
    }

    /// The index of the next opponent: self-play with probability `self_play` (or when it is
    /// the only player), otherwise by PFSP over the bots and snapshots.
    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        let fixed = &self.entries[1..];
        if fixed.is_empty() || rng.random::<f64>() < self.config.self_play {
            return 0;
        }
        let total: f64 = fixed.iter().map(Self::weight).sum();
        let mut u = rng.random::<f64>() * total;
        for (i, e) in fixed.iter().enumerate() {
            let w = Self::weight(e);
            if u < w {
                return i + 1;
            }
            u -= w;
        }
        self.entries.len() - 1
    }

    /// Records a game's score (1 win, 0.5 draw, 0 loss) against entry `index`.
    pub fn record(&mut self, index: usize, score: f64) {
        let d = self.config.decay;
        if let Some(e) = self.entries.get_mut(index) {
            e.score = e.score * d + score;
            e.games = e.games * d + 1.0;
            e.total_games += 1;
        }
    }

    /// Adds a snapshot taken after `update` updates, dropping the oldest beyond the limit.
    /// Returns the snapshots dropped (their files can go).
    pub fn add_snapshot(&mut self, update: u64) -> Vec<u64> {
        self.entries.push(Entry {
            opponent: Opponent::Snapshot { update },
            score: 0.0,
            games: 0.0,
            total_games: 0,
        });
        let mut dropped = Vec::new();
        while self.snapshots().count() > self.config.max_snapshots {
            let i = self
                .entries
                .iter()
                .position(|e| matches!(e.opponent, Opponent::Snapshot { .. }))
                .expect("a snapshot is there");
            if let Opponent::Snapshot { update } = self.entries.remove(i).opponent {
                dropped.push(update);
            }
        }
        dropped
    }

    /// The snapshots' update counts, oldest first.
    pub fn snapshots(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries.iter().filter_map(|e| match e.opponent {
            Opponent::Snapshot { update } => Some(update),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pfsp_plays_the_opponents_the_learner_loses_to_most() {
        let mut league = League::new(LeagueConfig {
            bots: vec!["passive".into(), "workerrush".into()],
            self_play: 0.2,
            ..LeagueConfig::default()
        });
        for _ in 0..50 {
            league.record(1, 1.0); // always beats passive
            league.record(2, 0.1); // mostly loses to workerrush
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[league.pick(&mut rng)] += 1;
        }
        // Self-play about 20 %; workerrush far more often than passive.
        assert!((1_700..2_300).contains(&counts[0]), "{counts:?}");
        assert!(counts[2] > 20 * counts[1].max(1) / 2, "{counts:?}");
        assert!(counts[1] > 0, "no opponent is dropped entirely: {counts:?}");
    }

    #[test]
    fn snapshots_are_capped_oldest_first_and_records_fade() {
        let mut league = League::new(LeagueConfig {
            bots: vec![],
            max_snapshots: 2,
            ..LeagueConfig::default()
        });
        assert!(league.add_snapshot(10).is_empty());
        assert!(league.add_snapshot(20).is_empty());
        assert_eq!(league.add_snapshot(30), vec![10]);
        assert_eq!(league.snapshots().collect::<Vec<_>>(), vec![20, 30]);
        // Old losses fade: after many wins the estimate is near 1.
        for _ in 0..20 {
            league.record(1, 0.0);
        }
        for _ in 0..300 {
            league.record(1, 1.0);
        }
        assert!(league.entries[1].win_rate() > 0.95);
        assert_eq!(league.entries[1].total_games, 320);
    }
}

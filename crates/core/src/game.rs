use std::fmt;

use rand::Rng;
use serde::{de::DeserializeOwned, Serialize};

use crate::{GameError, Symmetry};

/// An action: an index in `0..game.num_actions()`. Its meaning is fixed per game (for example
/// Connect Four's actions are the columns), which is what lets a policy network have one output
/// per action.
pub type Action = usize;

/// A player (seat): an index in `0..game.num_players()`. Player 0 moves first.
pub type Player = usize;

/// A game's rules and parameters: everything that does not change during play.
///
/// A `Game` value is small and cheap to clone; algorithms keep a copy. Parameters are chosen when
/// the value is built (for example `Go::new(GoConfig { size: 13, .. })`) and reported by
/// [`Game::params`].
pub trait Game: Clone + fmt::Debug + Send + Sync + 'static {
    /// The positions of this game.
    type State: GameState;

    /// The registry name, as typed on the command line (`"connect4"`).
    fn name(&self) -> &'static str;

    /// Every parameter with its resolved value, defaults included, in a fixed order. Building the
    /// game again from these gives an identical game.
    fn params(&self) -> Vec<(&'static str, String)>;

    /// Number of players (seats).
    fn num_players(&self) -> usize {
        2
    }

    /// Size of the action space; every action is an index below this.
    fn num_actions(&self) -> usize;

    /// Shape of [`GameState::write_observation`]'s output as `[planes, height, width]`.
    fn observation_shape(&self) -> [usize; 3];

    /// An upper bound on the number of plies of any game.
    fn max_game_length(&self) -> usize;

    /// The starting position.
    fn initial_state(&self) -> Self::State;

    /// The board symmetries under which the rules are invariant, the identity first. Each maps
    /// observation cells and actions together, so that a training sample can be augmented.
    fn symmetries(&self) -> Vec<Symmetry>;

    /// Text notation of an action (`"d3"`, `"pass"`, `"4"`).
    fn action_to_string(&self, action: Action) -> String;

    /// Reads an action in this game's notation. Checks syntax and range only; whether the move
    /// is legal is up to [`GameState::apply`].
    ///
    /// # Errors
    /// [`GameError::ParseAction`] naming the accepted forms.
    fn parse_action(&self, text: &str) -> Result<Action, GameError>;

    /// Reads a move given either in notation or as a plain action number.
    ///
    /// Notation wins where the two overlap (Connect Four's `1`–`7` are columns, not action
    /// numbers); a number is taken as an action index only when notation does not read it.
    ///
    /// # Errors
    /// [`GameError::ParseAction`] when neither form reads.
    fn parse_move(&self, text: &str) -> Result<Action, GameError> {
        let text = text.trim();
        match self.parse_action(text) {
            Ok(action) => Ok(action),
            Err(err) => match text.parse::<Action>() {
                Ok(n) if n < self.num_actions() => Ok(n),
                _ => Err(err),
            },
        }
    }

    /// Plays `moves` (notation or numbers) from the initial position.
    ///
    /// # Errors
    /// The error of the first move that does not read or is not legal.
    fn play_moves<S: AsRef<str>>(&self, moves: &[S]) -> Result<Self::State, GameError> {
        let mut state = self.initial_state();
        for text in moves {
            let action = self.parse_move(text.as_ref())?;
            state.apply(action)?;
        }
        Ok(state)
    }

    /// The legal-action mask: `mask[a]` is true when `a` is legal.
    fn legal_mask(&self, state: &Self::State) -> Vec<bool> {
        let mut mask = vec![false; self.num_actions()];
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        for a in legal {
            mask[a] = true;
        }
        mask
    }

    /// The observation planes, flattened in `[planes, height, width]` order.
    fn observation(&self, state: &Self::State) -> Vec<f32> {
        let [c, h, w] = self.observation_shape();
        let mut out = vec![0.0; c * h * w];
        state.write_observation(&mut out);
        out
    }

    /// Every player's return (all zero until the game ends).
    fn returns(&self, state: &Self::State) -> Vec<f32> {
        (0..self.num_players())
            .map(|p| state.player_return(p))
            .collect()
    }
}

/// One position of a game, with everything needed to continue playing it.
///
/// The contract every implementation meets (checked by [`crate::conformance`]):
/// * `legal_actions` lists exactly the actions for which `is_legal` is true, ascending;
/// * a state is terminal exactly when it has no legal action;
/// * `apply` of an illegal action fails and leaves the state untouched;
/// * returns are zero until the game ends;
/// * equal states have equal hashes, and clones are independent.
pub trait GameState:
    Clone
    + fmt::Debug
    + fmt::Display
    + PartialEq
    + Eq
    + Send
    + Sync
    + Serialize
    + DeserializeOwned
    + 'static
{
    /// The player to move. Meaningless (but still a valid player) once the game is over.
    fn to_play(&self) -> Player;

    /// Whether the game is over (won, drawn, or cut off by a move limit).
    fn is_terminal(&self) -> bool;

    /// Whether a terminal state was reached by a move limit rather than by the rules' own end.
    fn is_truncated(&self) -> bool {
        false
    }

    /// Clears `out` and fills it with the legal actions in ascending order (empty when terminal).
    fn legal_actions(&self, out: &mut Vec<crate::Action>);

    /// Whether `action` is legal here. Any `usize` may be asked.
    fn is_legal(&self, action: crate::Action) -> bool;

    /// Plays a legal action. For search, which only plays actions it took from
    /// `legal_actions`.
    ///
    /// # Panics
    /// May panic, or corrupt the state, if `action` is not legal.
    fn apply_unchecked(&mut self, action: crate::Action);

    /// Plays `action` if it is legal.
    ///
    /// # Errors
    /// [`GameError::GameOver`] on a finished game, [`GameError::IllegalAction`] otherwise;
    /// either way the state is unchanged.
    fn apply(&mut self, action: crate::Action) -> Result<(), GameError> {
        if self.is_terminal() {
            Err(GameError::GameOver)
        } else if self.is_legal(action) {
            self.apply_unchecked(action);
            Ok(())
        } else {
            Err(GameError::IllegalAction { action })
        }
    }

    /// `player`'s return: +1 win, −1 loss, 0 draw; always 0 before the end.
    fn player_return(&self, player: Player) -> f32;

    /// A 64-bit Zobrist hash of the position, including the player to move. Stable across runs
    /// and machines, so it can key caches and files.
    fn position_hash(&self) -> u64;

    /// Writes the observation planes from the point of view of the player to move, in
    /// `[planes, height, width]` order; `out.len()` is the product of the game's
    /// `observation_shape()`. Every element is written.
    fn write_observation(&self, out: &mut [f32]);

    /// Plies played since the initial position (passes included).
    fn move_number(&self) -> usize;

    /// A legal action chosen uniformly at random, or `None` when the game is over. `scratch` is
    /// reused to avoid allocating; games with a cheaper method override this.
    fn random_legal_action<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        scratch: &mut Vec<crate::Action>,
    ) -> Option<crate::Action> {
        self.legal_actions(scratch);
        if scratch.is_empty() {
            None
        } else {
            Some(scratch[rng.random_range(0..scratch.len())])
        }
    }
}

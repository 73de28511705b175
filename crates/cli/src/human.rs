//! A person at the terminal, as an [`Agent`].

use std::io::{self, BufRead, Write};

use ludus_core::{Action, Agent, AgentError, Game, GameState};

use crate::movelist::legal_moves_text;

/// Reads moves from a line-based input. Bad input is explained and asked again; `quit` or the
/// end of input stops the game.
pub struct HumanAgent<G: Game> {
    game: G,
    input: Box<dyn BufRead + Send>,
}

impl<G: Game> std::fmt::Debug for HumanAgent<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HumanAgent")
    }
}

impl<G: Game> HumanAgent<G> {
    /// A human typing on standard input.
    pub fn stdin(game: G) -> Self {
        Self::new(game, Box::new(io::BufReader::new(io::stdin())))
    }

    /// A human whose lines come from `input` (tests feed scripted input).
    pub fn new(game: G, input: Box<dyn BufRead + Send>) -> Self {
        HumanAgent { game, input }
    }
}

impl<G: Game> Agent<G> for HumanAgent<G> {
    fn name(&self) -> String {
        "human".into()
    }

    fn new_game(&mut self, _seed: u64) {}

    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError> {
        if state.is_terminal() {
            return Err(AgentError::NoLegalAction);
        }
        let example = {
            let mut legal = Vec::new();
            state.legal_actions(&mut legal);
            self.game.action_to_string(legal[legal.len() / 2])
        };
        loop {
            print!("Your move (e.g. {example}; `moves` lists them, `quit` stops): ");
            io::stdout().flush().ok();
            let mut line = String::new();
            match self.input.read_line(&mut line) {
                Ok(0) => return Err(AgentError::Aborted),
                Ok(_) => {}
                Err(e) => return Err(AgentError::Failed(format!("reading input: {e}"))),
            }
            let text = line.trim();
            match text.to_ascii_lowercase().as_str() {
                "" => continue,
                "quit" | "q" | "exit" => return Err(AgentError::Aborted),
                "moves" | "help" | "?" => {
                    println!("Legal moves: {}", legal_moves_text(&self.game, state));
                    continue;
                }
                _ => {}
            }
            match self.game.parse_move(text) {
                Ok(action) if state.is_legal(action) => return Ok(action),
                Ok(action) => println!(
                    "`{}` is not legal here. Legal moves: {}",
                    self.game.action_to_string(action),
                    legal_moves_text(&self.game, state)
                ),
                Err(err) => println!(
                    "{err}. Legal moves: {}",
                    legal_moves_text(&self.game, state)
                ),
            }
        }
    }
}

//! The `name:key=value:key=value` syntax that names games and agents on the command line.
//!
//! `mcts:sims=1000:c=1.4`, `go:size=13:komi=6.5`, `az:runs/NAME`. Arguments are separated by
//! `:` (not `,`, so that lists of specs can be comma-separated); an argument without `=` is
//! positional.

use std::{fmt, str::FromStr};

/// A parsed spec. Consumers take the arguments they know with [`Spec::take`] and then call
/// [`Spec::finish`], which rejects anything left over — a typo never passes silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    text: String,
    name: String,
    args: Vec<(Option<String>, String)>,
}

/// A spec that does not read, or names something unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The text does not follow `name[:key=value]…`.
    #[error("cannot read `{spec}`: {problem}; expected NAME or NAME:KEY=VALUE[:KEY=VALUE…]")]
    Syntax { spec: String, problem: String },
    /// The name is not one that is known.
    #[error("unknown {what} `{name}`; expected one of: {accepted}")]
    UnknownName {
        what: String,
        name: String,
        accepted: String,
    },
    /// An argument key the consumer does not know.
    #[error("`{spec}`: unknown parameter `{key}`; accepted: {accepted}")]
    UnknownKey {
        spec: String,
        key: String,
        accepted: String,
    },
    /// A value that does not parse or is out of range.
    #[error("`{spec}`: bad value `{value}` for `{key}`: expected {expected}")]
    BadValue {
        spec: String,
        key: String,
        value: String,
        expected: String,
    },
}

impl FromStr for Spec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        let syntax = |problem: &str| SpecError::Syntax {
            spec: text.to_string(),
            problem: problem.to_string(),
        };
        let text = text.trim();
        let mut parts = text.split(':');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(syntax("the name is empty"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(syntax(
                "the name may only hold letters, digits, `_` and `-`",
            ));
        }
        let mut args: Vec<(Option<String>, String)> = Vec::new();
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                return Err(syntax("an argument is empty (two `:` in a row?)"));
            }
            match part.split_once('=') {
                Some((k, v)) => {
                    let k = k.trim().to_ascii_lowercase();
                    if k.is_empty() || v.trim().is_empty() {
                        return Err(syntax(&format!("`{part}` needs both a key and a value")));
                    }
                    if args
                        .iter()
                        .any(|(key, _)| key.as_deref() == Some(k.as_str()))
                    {
                        return Err(syntax(&format!("`{k}` is given twice")));
                    }
                    args.push((Some(k), v.trim().to_string()));
                }
                None => args.push((None, part.to_string())),
            }
        }
        Ok(Spec {
            text: text.to_string(),
            name,
            args,
        })
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Spec {
    /// The name before the first `:`, lower-cased.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Removes and parses the argument `key`; `Ok(None)` when absent. `expected` describes the
    /// accepted values for the error message (`"a whole number ≥ 1"`).
    ///
    /// # Errors
    /// [`SpecError::BadValue`] when the value does not parse as `T`.
    pub fn take<T: FromStr>(&mut self, key: &str, expected: &str) -> Result<Option<T>, SpecError> {
        let Some(i) = self
            .args
            .iter()
            .position(|(k, _)| k.as_deref() == Some(key))
        else {
            return Ok(None);
        };
        let (_, value) = self.args.remove(i);
        value.parse().map(Some).map_err(|_| SpecError::BadValue {
            spec: self.text.clone(),
            key: key.to_string(),
            value,
            expected: expected.to_string(),
        })
    }

    /// Like [`Spec::take`], but also rejects values for which `valid` is false.
    ///
    /// # Errors
    /// [`SpecError::BadValue`] when the value does not parse or is rejected.
    pub fn take_checked<T: FromStr + Copy>(
        &mut self,
        key: &str,
        expected: &str,
        valid: impl Fn(T) -> bool,
    ) -> Result<Option<T>, SpecError> {
        let raw = self
            .args
            .iter()
            .find(|(k, _)| k.as_deref() == Some(key))
            .map(|(_, v)| v.clone());
        match self.take::<T>(key, expected)? {
            Some(v) if !valid(v) => Err(SpecError::BadValue {
                spec: self.text.clone(),
                key: key.to_string(),
                value: raw.unwrap_or_default(),
                expected: expected.to_string(),
            }),
            other => Ok(other),
        }
    }

    /// Removes and returns the first positional argument (one without `=`).
    pub fn take_positional(&mut self) -> Option<String> {
        let i = self.args.iter().position(|(k, _)| k.is_none())?;
        Some(self.args.remove(i).1)
    }

    /// Fails if any argument was not taken; `accepted` lists what the consumer knows.
    ///
    /// # Errors
    /// [`SpecError::UnknownKey`] naming the first leftover argument.
    pub fn finish(self, accepted: &[&str]) -> Result<(), SpecError> {
        match self.args.into_iter().next() {
            None => Ok(()),
            Some((key, value)) => Err(SpecError::UnknownKey {
                spec: self.text,
                key: key.unwrap_or(value),
                accepted: if accepted.is_empty() {
                    "none".to_string()
                } else {
                    accepted.join(", ")
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_keys_and_positionals() {
        let mut s: Spec = "MCTS:sims=1000:c=1.5".parse().unwrap();
        assert_eq!(s.name(), "mcts");
        assert_eq!(s.take::<u32>("sims", "n").unwrap(), Some(1000));
        assert_eq!(s.take::<f64>("c", "x").unwrap(), Some(1.5));
        assert_eq!(s.take::<f64>("c", "x").unwrap(), None);
        s.finish(&[]).unwrap();

        let mut s: Spec = "az:runs/c4:sims=10".parse().unwrap();
        assert_eq!(s.take_positional().as_deref(), Some("runs/c4"));
        assert!(s.clone().finish(&["sims"]).is_err());
        s.take::<u32>("sims", "n").unwrap();
        s.finish(&["sims"]).unwrap();
    }

    #[test]
    fn rejects_malformed_specs_with_a_reason() {
        for bad in [
            "",
            ":x=1",
            "mcts::sims=1",
            "mcts:sims=",
            "mcts:=3",
            "mc ts",
            "a:k=1:k=2",
        ] {
            let err = bad.parse::<Spec>().unwrap_err();
            assert!(matches!(err, SpecError::Syntax { .. }), "{bad}: {err}");
        }
        let mut s: Spec = "mcts:sims=lots".parse().unwrap();
        let err = s.take::<u32>("sims", "a whole number").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`mcts:sims=lots`: bad value `lots` for `sims`: expected a whole number"
        );
        let mut s: Spec = "mcts:sims=0".parse().unwrap();
        assert!(s.take_checked::<u32>("sims", "≥ 1", |v| v >= 1).is_err());
        let s: Spec = "mcts:simz=3".parse().unwrap();
        let err = s.finish(&["sims", "c"]).unwrap_err().to_string();
        assert!(
            err.contains("unknown parameter `simz`") && err.contains("sims, c"),
            "{err}"
        );
    }
}

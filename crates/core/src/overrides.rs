//! `--set key=value` overrides for TOML-backed configs, shared by every trainer: the config is
//! turned into a TOML tree, each dotted key is set, and the caller reads the tree back into its
//! struct, so a mistyped key (with `deny_unknown_fields`) or a value of the wrong type is an
//! error that names it.

/// A value as TOML would read it (`64`, `0.5`, `true`, `"x"`, `[1, 2]`), or else the raw text
/// as a string (so `--set map=gen:8x8` needs no quotes).
pub fn parse_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// Sets each `KEY=VALUE` (dotted keys for nested tables) in `tree`.
///
/// # Errors
/// An item that is not `KEY=VALUE`, or a key that goes through a value that is not a table;
/// the message names it.
pub fn apply_overrides(tree: &mut toml::Value, overrides: &[String]) -> Result<(), String> {
    for item in overrides {
        let (key, raw) = item
            .split_once('=')
            .ok_or_else(|| format!("override `{item}` is not KEY=VALUE (e.g. ppo.epochs=2)"))?;
        let key = key.trim();
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("--set {key}: empty key"));
        }
        let mut node = &mut *tree;
        for (i, part) in parts.iter().enumerate() {
            let map = node.as_table_mut().ok_or_else(|| {
                format!("--set {key}: `{}` is not a section", parts[..i].join("."))
            })?;
            if i + 1 == parts.len() {
                map.insert(part.to_string(), parse_value(raw.trim()));
                break;
            }
            node = map
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_set_nested_typed_values_and_name_bad_ones() {
        let mut tree: toml::Value = toml::from_str("a = 1\n[b]\nc = 2.0\n").unwrap();
        apply_overrides(
            &mut tree,
            &[
                "b.c=0.5".into(),
                "b.d=true".into(),
                "e=gen:8x8".into(),
                "f.g=[1, 2]".into(),
            ],
        )
        .unwrap();
        assert_eq!(tree["b"]["c"].as_float(), Some(0.5));
        assert_eq!(tree["b"]["d"].as_bool(), Some(true));
        assert_eq!(tree["e"].as_str(), Some("gen:8x8"));
        assert_eq!(tree["f"]["g"].as_array().map(Vec::len), Some(2));
        let err = apply_overrides(&mut tree, &["a.x=1".into()]).unwrap_err();
        assert!(err.contains("`a` is not a section"), "{err}");
        assert!(apply_overrides(&mut tree, &["novalue".into()]).is_err());
        assert!(apply_overrides(&mut tree, &["b..c=1".into()]).is_err());
    }
}

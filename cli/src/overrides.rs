//! `--set KEY=VALUE`: overriding a scenario field by its dotted path, in the parsed document
//! (the TOML or JSON value tree) before it is deserialized and validated exactly as the file is.
//!
//! A key is a dotted path of table keys and array indices: `battery.units`,
//! `grid.import_limit_mw`, `grid.scheduled_outages[0].duration` (or `...scheduled_outages.0...`).
//! Every part but the last must exist in the document; the last may be a key the file leaves
//! out (an optional field at its default), and an unknown one is refused when the document is
//! deserialized, as in a file. The value is read as a TOML value (for a JSON scenario, a JSON
//! value): `40`, `80.5`, `true`, `"1h"`; anything that does not parse as one is a string, so
//! `--set time.step=1h` needs no quotes.

use crate::error::UsageError;
use std::fmt;
use std::str::FromStr;

/// One part of a key: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The key's parts, in order.
    pub parts: Vec<Part>,
    /// The value, as written.
    pub value: String,
}

impl Override {
    /// The key as the library names fields: `grid.scheduled_outages[0].duration`.
    pub fn key(&self) -> String {
        path(&self.parts)
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key(), self.value)
    }
}

/// `parts` written as a key.
fn path(parts: &[Part]) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Key(k) if s.is_empty() => s.push_str(k),
            Part::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Part::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

impl FromStr for Override {
    type Err = String;

    /// Parses `KEY=VALUE`; the error says what is wrong, in words.
    fn from_str(text: &str) -> Result<Override, String> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| "no `=` (write e.g. battery.units=40)".to_string())?;
        let mut parts = Vec::new();
        for segment in key.trim().split('.') {
            // `name[0][1]`: a key, then indices.
            let (name, mut rest) = match segment.find('[') {
                Some(i) => (&segment[..i], &segment[i..]),
                None => (segment, ""),
            };
            match name.parse::<usize>() {
                Ok(i) if !parts.is_empty() => parts.push(Part::Index(i)),
                _ if name.is_empty() && (rest.is_empty() || parts.is_empty()) => {
                    return Err(format!("the key {key:?} has an empty part"));
                }
                _ if name.is_empty() => {}
                _ => parts.push(Part::Key(name.to_string())),
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let (index, after) = inner
                    .split_once(']')
                    .ok_or_else(|| format!("the key {key:?} has an unclosed `[`"))?;
                let i = index
                    .parse::<usize>()
                    .map_err(|_| format!("the key {key:?} has an index that is not a number"))?;
                parts.push(Part::Index(i));
                rest = after;
            }
            if !rest.is_empty() {
                return Err(format!("the key {key:?} has text after `]`"));
            }
        }
        Ok(Override {
            parts,
            value: value.trim().to_string(),
        })
    }
}

/// A document whose fields `--set` can reach.
pub trait Tree: Sized {
    /// The value `text` stands for in this format (a string when it parses as nothing else).
    fn leaf(text: &str) -> Self;
    /// The child under `part`, if there is one.
    fn child(&mut self, part: &Part) -> Option<&mut Self>;
    /// Sets the child under `part` (inserting a table key); `false` when this node cannot hold
    /// it (not a table for a key, not an array or out of its range for an index).
    fn set(&mut self, part: &Part, value: Self) -> bool;
}

/// Applies `o` to `doc`.
///
/// # Errors
/// [`UsageError::SetNoSuchKey`] naming the key and the part of it that is not in the document.
pub fn apply<T: Tree>(doc: &mut T, o: &Override) -> Result<(), UsageError> {
    let missing = |upto: usize| UsageError::SetNoSuchKey {
        set: o.to_string(),
        missing: path(&o.parts[..upto]),
    };
    let Some((last, parents)) = o.parts.split_last() else {
        return Err(missing(0));
    };
    let mut node = doc;
    for (i, part) in parents.iter().enumerate() {
        node = node.child(part).ok_or_else(|| missing(i + 1))?;
    }
    if node.set(last, T::leaf(&o.value)) {
        Ok(())
    } else {
        Err(missing(o.parts.len()))
    }
}

impl Tree for toml::Value {
    fn leaf(text: &str) -> toml::Value {
        match toml::from_str::<toml::Table>(&format!("v = {text}")) {
            Ok(mut t) => match t.remove("v") {
                // Dates are quoted strings in scenarios.
                Some(toml::Value::Datetime(d)) => toml::Value::String(d.to_string()),
                Some(v) => v,
                None => toml::Value::String(text.to_string()),
            },
            Err(_) => toml::Value::String(text.to_string()),
        }
    }

    fn child(&mut self, part: &Part) -> Option<&mut toml::Value> {
        match (self, part) {
            (toml::Value::Table(t), Part::Key(k)) => t.get_mut(k),
            (toml::Value::Array(a), Part::Index(i)) => a.get_mut(*i),
            _ => None,
        }
    }

    fn set(&mut self, part: &Part, value: toml::Value) -> bool {
        match (self, part) {
            (toml::Value::Table(t), Part::Key(k)) => {
                t.insert(k.clone(), value);
                true
            }
            (toml::Value::Array(a), Part::Index(i)) => match a.get_mut(*i) {
                Some(slot) => {
                    *slot = value;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
}

impl Tree for serde_json::Value {
    fn leaf(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
    }

    fn child(&mut self, part: &Part) -> Option<&mut serde_json::Value> {
        match (self, part) {
            (serde_json::Value::Object(m), Part::Key(k)) => m.get_mut(k),
            (serde_json::Value::Array(a), Part::Index(i)) => a.get_mut(*i),
            _ => None,
        }
    }

    fn set(&mut self, part: &Part, value: serde_json::Value) -> bool {
        match (self, part) {
            (serde_json::Value::Object(m), Part::Key(k)) => {
                m.insert(k.clone(), value);
                true
            }
            (serde_json::Value::Array(a), Part::Index(i)) => match a.get_mut(*i) {
                Some(slot) => {
                    *slot = value;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_dots_and_brackets() {
        let o: Override = "grid.scheduled_outages[0].duration = 6h".parse().unwrap();
        assert_eq!(o.key(), "grid.scheduled_outages[0].duration");
        assert_eq!(o.value, "6h");
        let o: Override = "grid.scheduled_outages.1.start=2d".parse().unwrap();
        assert_eq!(o.key(), "grid.scheduled_outages[1].start");
        for bad in [
            "battery.units",
            "=3",
            "a..b=1",
            "a[x]=1",
            "a[0=1",
            "a[0]b=1",
        ] {
            assert!(bad.parse::<Override>().is_err(), "{bad}");
        }
    }

    #[test]
    fn values_take_the_format_s_types() {
        let mut doc: toml::Value = toml::from_str("[battery]\nunits = 16\n").unwrap();
        apply(&mut doc, &"battery.units=40".parse().unwrap()).unwrap();
        apply(&mut doc, &"battery.soc_min=0.1".parse().unwrap()).unwrap();
        apply(&mut doc, &"battery.preset=megapack2xl_4h".parse().unwrap()).unwrap();
        assert_eq!(doc["battery"]["units"].as_integer(), Some(40));
        assert_eq!(doc["battery"]["soc_min"].as_float(), Some(0.1));
        assert_eq!(doc["battery"]["preset"].as_str(), Some("megapack2xl_4h"));
        let err = apply(&mut doc, &"grid.import_limit_mw=3".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("no grid"), "{err}");
        let err = apply(&mut doc, &"battery.units.x=3".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("no battery.units.x"), "{err}");
    }
}

//! Writing a user's JSON settings file back the way they wrote it: `serde_json::Value` (built
//! without `preserve_order`, so every other output stays as the tests pin it) sorts object
//! keys, so the file is also parsed here with its key order kept, and the edited value is
//! written in that order (keys the edit added come after the user's), with the file's own
//! indentation and final newline.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

/// A JSON value whose objects keep their keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    /// A scalar (null, bool, number, string), as serde_json reads it.
    Scalar(Value),
    /// An array.
    Array(Vec<Ordered>),
    /// An object, keys in file order.
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// The same value as a `serde_json::Value` (keys sorted).
    pub fn to_value(&self) -> Value {
        match self {
            Ordered::Scalar(v) => v.clone(),
            Ordered::Array(a) => Value::Array(a.iter().map(Ordered::to_value).collect()),
            Ordered::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_value())).collect())
            }
        }
    }
}

/// `new` laid out like `old`: object keys in `old`'s order, then the new ones; array elements
/// laid out like an equal element of `old`, else the one at the same position.
pub fn like(new: &Value, old: Option<&Ordered>) -> Ordered {
    match new {
        Value::Object(m) => {
            let mut out: Vec<(String, Ordered)> = Vec::with_capacity(m.len());
            if let Some(Ordered::Object(o)) = old {
                for (k, ov) in o {
                    if let Some(nv) = m.get(k)
                        && !out.iter().any(|(seen, _)| seen == k)
                    {
                        out.push((k.clone(), like(nv, Some(ov))));
                    }
                }
            }
            for (k, nv) in m {
                if !out.iter().any(|(seen, _)| seen == k) {
                    out.push((k.clone(), like(nv, None)));
                }
            }
            Ordered::Object(out)
        }
        Value::Array(a) => {
            let olds: &[Ordered] = match old {
                Some(Ordered::Array(o)) => o,
                _ => &[],
            };
            Ordered::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, nv)| {
                        let same = olds.iter().find(|o| o.to_value() == *nv);
                        like(nv, same.or(olds.get(i)))
                    })
                    .collect(),
            )
        }
        v => Ordered::Scalar(v.clone()),
    }
}

/// The indentation of a JSON text's first indented line (`"  "` when there is none).
pub fn indent_of(text: &str) -> String {
    text.lines()
        .skip(1)
        .map(|l| {
            l.chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<String>()
        })
        .find(|i| !i.is_empty())
        .unwrap_or_else(|| "  ".to_string())
}

/// Pretty-prints with the given indentation and a final newline.
pub fn to_text(v: &Ordered, indent: &str) -> serde_json::Result<String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser)?;
    buf.push(b'\n');
    // serde_json only ever writes UTF-8.
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Scalar(v) => v.serialize(s),
            Ordered::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for e in a {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
            Ordered::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Number(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Number(n.into())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(
            Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::String(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::String(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut out = Vec::new();
        while let Some(e) = seq.next_element()? {
            out.push(e);
        }
        Ok(Ordered::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut out: Vec<(String, Ordered)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
            // A repeated key: the last one wins (as serde_json's Value), at its first place.
            match out.iter_mut().find(|(seen, _)| *seen == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        Ok(Ordered::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_indent() {
        let text = "{\n    \"z\": 1,\n    \"a\": {\"y\": [ {\"q\": 1, \"b\": 2} ], \"c\": 3}\n}\n";
        let old: Ordered = serde_json::from_str(text).unwrap();
        let mut v = old.to_value();
        v["new"] = Value::Bool(true);
        let out = to_text(&like(&v, Some(&old)), &indent_of(text)).unwrap();
        assert_eq!(
            out,
            "{\n    \"z\": 1,\n    \"a\": {\n        \"y\": [\n            {\n                \"q\": 1,\n                \"b\": 2\n            }\n        ],\n        \"c\": 3\n    },\n    \"new\": true\n}\n"
        );
        assert_eq!(indent_of("{}"), "  ");
    }
}

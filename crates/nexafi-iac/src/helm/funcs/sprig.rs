//! The Sprig functions charts use: strings, lists, dicts, numbers, encodings, regular
//! expressions and version constraints.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use sha2::Digest as _;

use super::convert::list_items;
use super::{CallError, CallResult, arity, at_least, strval, to_f64, to_i64};
use crate::helm::value::Value;

/// Maximum length of a list built by `until`, `untilStep` and `seq`.
const MAX_SEQUENCE: i64 = 1_000_000;

/// Maximum length of a string built by `repeat`.
const MAX_REPEAT_BYTES: usize = 16 << 20;

fn message<T>(text: impl Into<String>) -> Result<T, CallError> {
    Err(CallError::Message(text.into()))
}

fn string_arg(args: &[Value], index: usize) -> String {
    args.get(index).map(strval).unwrap_or_default()
}

pub(super) fn call(name: &str, args: &[Value]) -> Option<CallResult> {
    Some(match name {
        // Flow and types.
        "default" => at_least(name, args, 1).map(|()| match args.get(1) {
            Some(given) if !given.is_empty() => given.clone(),
            _ => args[0].clone(),
        }),
        "empty" => arity(name, args, 1).map(|()| Value::Bool(args[0].is_empty())),
        "coalesce" => Ok(args
            .iter()
            .find(|arg| !arg.is_empty())
            .cloned()
            .unwrap_or_default()),
        "all" => Ok(Value::Bool(args.iter().all(|arg| !arg.is_empty()))),
        "any" => Ok(Value::Bool(args.iter().any(|arg| !arg.is_empty()))),
        "ternary" => arity(name, args, 3).map(|()| {
            if args[2].is_true() {
                args[0].clone()
            } else {
                args[1].clone()
            }
        }),
        "fail" => Err(CallError::Plain(string_arg(args, 0))),
        "typeOf" => arity(name, args, 1).map(|()| Value::string(args[0].type_name())),
        "kindOf" => arity(name, args, 1).map(|()| Value::string(args[0].kind_name())),
        "kindIs" => {
            arity(name, args, 2).map(|()| Value::Bool(strval(&args[0]) == args[1].kind_name()))
        }
        "typeIs" => {
            arity(name, args, 2).map(|()| Value::Bool(strval(&args[0]) == args[1].type_name()))
        }
        "deepEqual" => arity(name, args, 2).map(|()| {
            Value::Bool(
                crate::helm::yaml::to_json_value(&args[0])
                    == crate::helm::yaml::to_json_value(&args[1]),
            )
        }),

        // Strings.
        "quote" => Ok(Value::string(
            args.iter()
                .filter(|arg| !arg.is_nil())
                .map(|arg| super::builtin::go_quote(&strval(arg)))
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "squote" => Ok(Value::string(
            args.iter()
                .filter(|arg| !arg.is_nil())
                .map(|arg| format!("'{}'", strval(arg)))
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "upper" => arity(name, args, 1).map(|()| Value::string(strval(&args[0]).to_uppercase())),
        "lower" => arity(name, args, 1).map(|()| Value::string(strval(&args[0]).to_lowercase())),
        "title" => arity(name, args, 1).map(|()| Value::string(title(&strval(&args[0])))),
        "untitle" => arity(name, args, 1).map(|()| Value::string(untitle(&strval(&args[0])))),
        "trim" => arity(name, args, 1).map(|()| Value::string(strval(&args[0]).trim())),
        "trimAll" => arity(name, args, 2).map(|()| {
            let cutset: Vec<char> = strval(&args[0]).chars().collect();
            Value::string(strval(&args[1]).trim_matches(cutset.as_slice()))
        }),
        "trimPrefix" => arity(name, args, 2).map(|()| {
            let text = strval(&args[1]);
            Value::string(
                text.strip_prefix(strval(&args[0]).as_str())
                    .unwrap_or(&text),
            )
        }),
        "trimSuffix" => arity(name, args, 2).map(|()| {
            let text = strval(&args[1]);
            Value::string(
                text.strip_suffix(strval(&args[0]).as_str())
                    .unwrap_or(&text),
            )
        }),
        "trunc" => {
            arity(name, args, 2).map(|()| Value::string(trunc(to_i64(&args[0]), &strval(&args[1]))))
        }
        "replace" => arity(name, args, 3).map(|()| {
            Value::string(strval(&args[2]).replace(strval(&args[0]).as_str(), &strval(&args[1])))
        }),
        "contains" => arity(name, args, 2)
            .map(|()| Value::Bool(strval(&args[1]).contains(strval(&args[0]).as_str()))),
        "hasPrefix" => arity(name, args, 2)
            .map(|()| Value::Bool(strval(&args[1]).starts_with(strval(&args[0]).as_str()))),
        "hasSuffix" => arity(name, args, 2)
            .map(|()| Value::Bool(strval(&args[1]).ends_with(strval(&args[0]).as_str()))),
        "split" => arity(name, args, 2).map(|()| {
            let text = strval(&args[1]);
            let separator = strval(&args[0]);
            let entries = go_split(&text, &separator)
                .into_iter()
                .enumerate()
                .map(|(index, part)| (format!("_{index}"), Value::string(part)))
                .collect();
            Value::map(entries)
        }),
        "splitn" => arity(name, args, 3).map(|()| {
            let text = strval(&args[2]);
            let separator = strval(&args[0]);
            let count = usize::try_from(to_i64(&args[1])).unwrap_or(0);
            let entries = text
                .splitn(count.max(1), separator.as_str())
                .enumerate()
                .map(|(index, part)| (format!("_{index}"), Value::string(part)))
                .collect();
            Value::map(entries)
        }),
        "splitList" => arity(name, args, 2).map(|()| {
            let text = strval(&args[1]);
            Value::list(
                go_split(&text, &strval(&args[0]))
                    .into_iter()
                    .map(Value::string)
                    .collect(),
            )
        }),
        "join" => arity(name, args, 2).map(|()| {
            let parts: Vec<String> = match list_items(&args[1]) {
                Some(items) => items
                    .iter()
                    .filter(|item| !item.is_nil())
                    .map(strval)
                    .collect(),
                None => vec![strval(&args[1])],
            };
            Value::string(parts.join(&strval(&args[0])))
        }),
        "repeat" => arity(name, args, 2).and_then(|()| {
            let count = usize::try_from(to_i64(&args[0])).unwrap_or(0);
            let text = strval(&args[1]);
            if text.len().saturating_mul(count) > MAX_REPEAT_BYTES {
                return message(format!(
                    "repeat would build more than {MAX_REPEAT_BYTES} bytes"
                ));
            }
            Ok(Value::string(text.repeat(count)))
        }),
        "substr" => arity(name, args, 3).map(|()| {
            let text = strval(&args[2]);
            let start = to_i64(&args[0]);
            let end = to_i64(&args[1]);
            Value::string(substr(&text, start, end))
        }),
        "nospace" => arity(name, args, 1).map(|()| {
            Value::string(
                strval(&args[0])
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>(),
            )
        }),
        "abbrev" => arity(name, args, 2).map(|()| {
            let width = usize::try_from(to_i64(&args[0])).unwrap_or(0);
            let text = strval(&args[1]);
            if width < 4 || text.chars().count() <= width {
                Value::string(text)
            } else {
                Value::string(format!(
                    "{}...",
                    text.chars().take(width - 3).collect::<String>()
                ))
            }
        }),
        "cat" => Ok(Value::string(
            args.iter()
                .filter(|arg| !arg.is_nil())
                .map(strval)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "indent" => arity(name, args, 2)
            .map(|()| Value::string(indent(to_i64(&args[0]), &strval(&args[1])))),
        "nindent" => arity(name, args, 2)
            .map(|()| Value::string(format!("\n{}", indent(to_i64(&args[0]), &strval(&args[1]))))),
        "kebabcase" => {
            arity(name, args, 1).map(|()| Value::string(word_case(&strval(&args[0]), '-')))
        }
        "snakecase" => {
            arity(name, args, 1).map(|()| Value::string(word_case(&strval(&args[0]), '_')))
        }
        "camelcase" => arity(name, args, 1).map(|()| {
            let text = strval(&args[0]);
            Value::string(
                text.split(['_', '-', ' '])
                    .filter(|part| !part.is_empty())
                    .map(|part| {
                        let mut chars = part.chars();
                        chars.next().map_or_else(String::new, |first| {
                            first.to_uppercase().chain(chars).collect()
                        })
                    })
                    .collect::<String>(),
            )
        }),
        "initials" => arity(name, args, 1).map(|()| {
            Value::string(
                strval(&args[0])
                    .split_whitespace()
                    .filter_map(|word| word.chars().next())
                    .collect::<String>(),
            )
        }),
        "wrap" => arity(name, args, 2).map(|()| Value::string(strval(&args[1]))),
        "plural" => arity(name, args, 3).map(|()| {
            if to_i64(&args[2]) == 1 {
                args[0].clone()
            } else {
                args[1].clone()
            }
        }),
        "toString" => arity(name, args, 1).map(|()| Value::string(strval(&args[0]))),
        "toStrings" => arity(name, args, 1).map(|()| {
            let items = list_items(&args[0]).unwrap_or_else(|| vec![args[0].clone()]);
            Value::list(
                items
                    .iter()
                    .map(|item| Value::string(strval(item)))
                    .collect(),
            )
        }),

        // Lists.
        "list" | "tuple" => Ok(Value::list(args.to_vec())),
        "first" | "mustFirst" => {
            list_arg(name, args).map(|items| items.first().cloned().unwrap_or_default())
        }
        "last" | "mustLast" => {
            list_arg(name, args).map(|items| items.last().cloned().unwrap_or_default())
        }
        "rest" => {
            list_arg(name, args).map(|items| Value::list(items.iter().skip(1).cloned().collect()))
        }
        "initial" => list_arg(name, args).map(|items| {
            let keep = items.len().saturating_sub(1);
            Value::list(items[..keep].to_vec())
        }),
        "append" | "mustAppend" | "push" => arity(name, args, 2).and_then(|()| {
            let mut items = list_of(name, &args[0])?;
            items.push(args[1].clone());
            Ok(Value::list(items))
        }),
        "prepend" => arity(name, args, 2).and_then(|()| {
            let mut items = list_of(name, &args[0])?;
            items.insert(0, args[1].clone());
            Ok(Value::list(items))
        }),
        "concat" => args
            .iter()
            .map(|arg| list_of(name, arg))
            .collect::<Result<Vec<_>, _>>()
            .map(|lists| Value::list(lists.concat())),
        "uniq" => list_arg(name, args).map(|items| {
            let mut seen: Vec<serde_json::Value> = Vec::new();
            let mut out = Vec::new();
            for item in items {
                let key = crate::helm::yaml::to_json_value(&item);
                if !seen.contains(&key) {
                    seen.push(key);
                    out.push(item);
                }
            }
            Value::list(out)
        }),
        "has" => arity(name, args, 2).map(|()| {
            let needle = crate::helm::yaml::to_json_value(&args[0]);
            let found = list_items(&args[1]).is_some_and(|items| {
                items
                    .iter()
                    .any(|item| crate::helm::yaml::to_json_value(item) == needle)
            });
            Value::Bool(found)
        }),
        "without" => at_least(name, args, 1).and_then(|()| {
            let items = list_of(name, &args[0])?;
            let removed: Vec<serde_json::Value> = args[1..]
                .iter()
                .map(crate::helm::yaml::to_json_value)
                .collect();
            Ok(Value::list(
                items
                    .into_iter()
                    .filter(|item| !removed.contains(&crate::helm::yaml::to_json_value(item)))
                    .collect(),
            ))
        }),
        "compact" => list_arg(name, args)
            .map(|items| Value::list(items.into_iter().filter(|item| !item.is_empty()).collect())),
        "reverse" => list_arg(name, args).map(|mut items| {
            items.reverse();
            Value::list(items)
        }),
        "sortAlpha" => list_arg(name, args).map(|items| {
            let mut texts: Vec<String> = items.iter().map(strval).collect();
            texts.sort();
            Value::list(texts.into_iter().map(Value::string).collect())
        }),
        "until" => arity(name, args, 1).and_then(|()| until_step(0, to_i64(&args[0]), 1)),
        "untilStep" => arity(name, args, 3)
            .and_then(|()| until_step(to_i64(&args[0]), to_i64(&args[1]), to_i64(&args[2]))),
        "seq" => seq(args),

        // Dicts.
        "dict" => {
            let mut entries = BTreeMap::new();
            for pair in args.chunks(2) {
                let key = strval(&pair[0]);
                entries.insert(
                    key,
                    pair.get(1).cloned().unwrap_or_else(|| Value::string("")),
                );
            }
            Ok(Value::map(entries))
        }
        "get" => arity(name, args, 2).and_then(|()| {
            let Value::Map(map) = &args[0] else {
                return message(format!("get needs a dict, got {}", args[0].type_name()));
            };
            Ok(map
                .borrow()
                .entries
                .get(&strval(&args[1]))
                .cloned()
                .unwrap_or_else(|| Value::string("")))
        }),
        "set" => arity(name, args, 3).and_then(|()| {
            let Value::Map(map) = &args[0] else {
                return message(format!("set needs a dict, got {}", args[0].type_name()));
            };
            map.borrow_mut().insert(strval(&args[1]), args[2].clone());
            Ok(args[0].clone())
        }),
        "unset" => arity(name, args, 2).and_then(|()| {
            let Value::Map(map) = &args[0] else {
                return message(format!("unset needs a dict, got {}", args[0].type_name()));
            };
            let key = strval(&args[1]);
            let mut map = map.borrow_mut();
            map.entries.remove(&key);
            map.origins.remove(&key);
            drop(map);
            Ok(args[0].clone())
        }),
        "hasKey" => arity(name, args, 2).and_then(|()| match &args[0] {
            Value::Map(map) => Ok(Value::Bool(
                map.borrow().entries.contains_key(&strval(&args[1])),
            )),
            other => message(format!("hasKey needs a dict, got {}", other.type_name())),
        }),
        "keys" => {
            let mut keys = Vec::new();
            for arg in args {
                if let Value::Map(map) = arg {
                    keys.extend(map.borrow().entries.keys().cloned());
                }
            }
            // NOTE: Sprig returns keys in Go's random map order; sorted keys are one of
            // those orders, and charts sort them anyway (`keys . | sortAlpha`).
            Ok(Value::list(keys.into_iter().map(Value::string).collect()))
        }
        "values" => arity(name, args, 1).map(|()| match &args[0] {
            Value::Map(map) => Value::list(map.borrow().entries.values().cloned().collect()),
            _ => Value::list(Vec::new()),
        }),
        "pluck" => at_least(name, args, 1).map(|()| {
            let key = strval(&args[0]);
            let found = args[1..]
                .iter()
                .filter_map(|arg| match arg {
                    Value::Map(map) => map.borrow().entries.get(&key).cloned(),
                    _ => None,
                })
                .collect();
            Value::list(found)
        }),
        "pick" | "omit" => at_least(name, args, 1).and_then(|()| {
            let Value::Map(map) = &args[0] else {
                return message(format!("{name} needs a dict, got {}", args[0].type_name()));
            };
            let listed: Vec<String> = args[1..].iter().map(strval).collect();
            let keep = |key: &String| listed.contains(key) == (name == "pick");
            let entries = map
                .borrow()
                .entries
                .iter()
                .filter(|(key, _)| keep(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            Ok(Value::map(entries))
        }),
        "dig" => at_least(name, args, 3).map(|()| {
            let (keys, rest) = args.split_at(args.len() - 2);
            let mut current = rest[1].clone();
            for key in keys {
                match current.get(&strval(key)) {
                    Some(Value::Nil) | None => return rest[0].clone(),
                    Some(next) => current = next,
                }
            }
            current
        }),
        "merge" | "mustMerge" => {
            at_least(name, args, 1).and_then(|()| merge_all(name, args, false))
        }
        "mergeOverwrite" | "mustMergeOverwrite" => {
            at_least(name, args, 1).and_then(|()| merge_all(name, args, true))
        }
        "deepCopy" | "mustDeepCopy" => arity(name, args, 1).map(|()| args[0].deep_copy()),

        // Numbers.
        "int" | "int64" => arity(name, args, 1).map(|()| Value::Int(to_i64(&args[0]))),
        "float64" => arity(name, args, 1).map(|()| Value::Float(to_f64(&args[0]))),
        "atoi" => {
            arity(name, args, 1).map(|()| Value::Int(strval(&args[0]).trim().parse().unwrap_or(0)))
        }
        "add" => Ok(Value::Int(
            args.iter().map(to_i64).fold(0i64, i64::wrapping_add),
        )),
        "add1" => arity(name, args, 1).map(|()| Value::Int(to_i64(&args[0]).wrapping_add(1))),
        "sub" => arity(name, args, 2)
            .map(|()| Value::Int(to_i64(&args[0]).wrapping_sub(to_i64(&args[1])))),
        "mul" => Ok(Value::Int(
            args.iter().map(to_i64).fold(1i64, i64::wrapping_mul),
        )),
        "div" | "mod" => arity(name, args, 2).and_then(|()| {
            let divisor = to_i64(&args[1]);
            if divisor == 0 {
                return message("runtime error: integer divide by zero");
            }
            let dividend = to_i64(&args[0]);
            Ok(Value::Int(if name == "div" {
                dividend.wrapping_div(divisor)
            } else {
                dividend.wrapping_rem(divisor)
            }))
        }),
        "max" => {
            at_least(name, args, 1).map(|()| Value::Int(args.iter().map(to_i64).max().unwrap_or(0)))
        }
        "min" => {
            at_least(name, args, 1).map(|()| Value::Int(args.iter().map(to_i64).min().unwrap_or(0)))
        }
        "floor" => arity(name, args, 1).map(|()| Value::Float(to_f64(&args[0]).floor())),
        "ceil" => arity(name, args, 1).map(|()| Value::Float(to_f64(&args[0]).ceil())),
        "round" => at_least(name, args, 2).map(|()| {
            let places = i32::try_from(to_i64(&args[1])).unwrap_or(0);
            let scale = 10f64.powi(places);
            Value::Float((to_f64(&args[0]) * scale).round() / scale)
        }),
        "addf" => Ok(Value::Float(args.iter().map(to_f64).sum())),
        "subf" => at_least(name, args, 1).map(|()| {
            Value::Float(
                args[1..]
                    .iter()
                    .map(to_f64)
                    .fold(to_f64(&args[0]), |a, b| a - b),
            )
        }),
        "mulf" => Ok(Value::Float(args.iter().map(to_f64).product())),
        "divf" => at_least(name, args, 1).map(|()| {
            Value::Float(
                args[1..]
                    .iter()
                    .map(to_f64)
                    .fold(to_f64(&args[0]), |a, b| a / b),
            )
        }),

        // Encodings, hashes and random values.
        "b64enc" => arity(name, args, 1).map(|()| {
            Value::string(base64::engine::general_purpose::STANDARD.encode(strval(&args[0])))
        }),
        "b64dec" => arity(name, args, 1).map(|()| match base64::engine::general_purpose::STANDARD
            .decode(strval(&args[0]))
        {
            Ok(bytes) => Value::string(String::from_utf8_lossy(&bytes).as_ref()),
            Err(error) => Value::string(error.to_string()),
        }),
        "sha256sum" => arity(name, args, 1)
            .map(|()| Value::string(hex(&sha2::Sha256::digest(strval(&args[0]).as_bytes())))),
        "sha1sum" => arity(name, args, 1).map(|()| {
            use sha1::Digest as _;
            Value::string(hex(&sha1::Sha1::digest(strval(&args[0]).as_bytes())))
        }),
        "adler32sum" => arity(name, args, 1)
            .map(|()| Value::string(adler32(strval(&args[0]).as_bytes()).to_string())),
        "uuidv4" => Ok(Value::string(uuid_v4())),
        "randAlphaNum" | "randAlpha" | "randNumeric" => arity(name, args, 1).map(|()| {
            let alphabet: &[u8] = match name {
                "randAlpha" => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                "randNumeric" => b"0123456789",
                _ => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            };
            let count = usize::try_from(to_i64(&args[0])).unwrap_or(0).min(4096);
            Value::string(random_string(alphabet, count))
        }),

        // Regular expressions.
        "regexMatch" | "mustRegexMatch" => arity(name, args, 2)
            .and_then(|()| Ok(Value::Bool(regex(&args[0])?.is_match(&strval(&args[1]))))),
        "regexFind" => arity(name, args, 2).and_then(|()| {
            let text = strval(&args[1]);
            Ok(Value::string(
                regex(&args[0])?
                    .find(&text)
                    .map_or("", |found| found.as_str()),
            ))
        }),
        "regexFindAll" => arity(name, args, 3).and_then(|()| {
            let text = strval(&args[1]);
            let limit = to_i64(&args[2]);
            let found = regex(&args[0])?
                .find_iter(&text)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|found| Value::string(found.as_str()))
                .collect();
            Ok(Value::list(found))
        }),
        "regexReplaceAll" => arity(name, args, 3).and_then(|()| {
            let text = strval(&args[1]);
            Ok(Value::string(
                regex(&args[0])?
                    .replace_all(&text, strval(&args[2]).as_str())
                    .as_ref(),
            ))
        }),
        "regexReplaceAllLiteral" => arity(name, args, 3).and_then(|()| {
            let text = strval(&args[1]);
            let replacement = strval(&args[2]);
            Ok(Value::string(
                regex(&args[0])?
                    .replace_all(&text, regex::NoExpand(&replacement))
                    .as_ref(),
            ))
        }),
        "regexSplit" => arity(name, args, 3).and_then(|()| {
            let text = strval(&args[1]);
            let limit = to_i64(&args[2]);
            let pattern = regex(&args[0])?;
            let parts: Vec<Value> = if limit < 0 {
                pattern.split(&text).map(Value::string).collect()
            } else {
                pattern
                    .splitn(&text, usize::try_from(limit).unwrap_or(0))
                    .map(Value::string)
                    .collect()
            };
            Ok(Value::list(parts))
        }),
        "regexQuoteMeta" => {
            arity(name, args, 1).map(|()| Value::string(regex::escape(&strval(&args[0]))))
        }

        // Versions.
        "semverCompare" => arity(name, args, 2).and_then(|()| {
            super::semver::matches(&strval(&args[0]), &strval(&args[1]))
                .map(Value::Bool)
                .map_err(CallError::Message)
        }),
        "semver" => arity(name, args, 1).and_then(|()| {
            let version =
                super::semver::Version::parse(&strval(&args[0])).map_err(CallError::Message)?;
            Ok(version.to_value())
        }),
        _ => return None,
    })
}

fn list_arg(name: &str, args: &[Value]) -> Result<Vec<Value>, CallError> {
    arity(name, args, 1)?;
    list_of(name, &args[0])
}

fn list_of(name: &str, value: &Value) -> Result<Vec<Value>, CallError> {
    match value {
        Value::Nil => Ok(Vec::new()),
        other => list_items(other).ok_or_else(|| {
            CallError::Message(format!("cannot {name} on type {}", other.type_name()))
        }),
    }
}

/// Go's `strings.Split`: an empty separator splits into characters.
fn go_split(text: &str, separator: &str) -> Vec<String> {
    if separator.is_empty() {
        return text.chars().map(String::from).collect();
    }
    text.split(separator).map(str::to_owned).collect()
}

fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        if at_word_start && c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_word_start = !c.is_alphanumeric() && c != '\'' && c != '_';
    }
    out
}

fn untitle(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        if at_word_start {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
        at_word_start = c.is_whitespace();
    }
    out
}

/// Sprig's `trunc`: a negative count keeps the end of the string. Counts bytes, as Go
/// slices strings by bytes; a cut inside a character moves to its start.
fn trunc(count: i64, text: &str) -> String {
    let length = text.len() as i64;
    let cut = |index: i64| {
        let mut index = usize::try_from(index.clamp(0, length)).unwrap_or(0);
        while !text.is_char_boundary(index) {
            index -= 1;
        }
        index
    };
    if count < 0 && -count < length {
        text[cut(length + count)..].to_owned()
    } else if count >= 0 && count < length {
        text[..cut(count)].to_owned()
    } else {
        text.to_owned()
    }
}

fn substr(text: &str, start: i64, end: i64) -> String {
    let length = text.len() as i64;
    let start = if start < 0 { 0 } else { start };
    let end = if end < 0 || end > length { length } else { end };
    if start > end {
        return String::new();
    }
    text.get(usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0))
        .unwrap_or_default()
        .to_owned()
}

/// Sprig's `indent`: every line, the empty ones too, starts with `count` spaces.
fn indent(count: i64, text: &str) -> String {
    let pad = " ".repeat(usize::try_from(count).unwrap_or(0).min(1024));
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

fn word_case(text: &str, separator: char) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c == '_' || c == '-' || c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(separator) {
                out.push(separator);
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !out.ends_with(separator) {
            out.push(separator);
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

fn until_step(start: i64, stop: i64, step: i64) -> CallResult {
    if step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop) {
        return Ok(Value::list(Vec::new()));
    }
    let count = (stop - start).abs() / step.abs();
    if count > MAX_SEQUENCE {
        return message(format!(
            "the sequence would have more than {MAX_SEQUENCE} items"
        ));
    }
    let mut items = Vec::new();
    let mut current = start;
    while (step > 0 && current < stop) || (step < 0 && current > stop) {
        items.push(Value::Int(current));
        current += step;
    }
    Ok(Value::list(items))
}

/// Sprig's `seq`, like the shell command: `seq 3` is "1 2 3", `seq 2 4`, `seq 0 2 6`.
fn seq(args: &[Value]) -> CallResult {
    let numbers: Vec<i64> = args.iter().map(to_i64).collect();
    let (start, step, end) = match numbers.as_slice() {
        [end] => (1, 1, *end),
        [start, end] => (*start, if start <= end { 1 } else { -1 }, *end),
        [start, step, end] => (*start, *step, *end),
        _ => return message("seq takes 1 to 3 arguments"),
    };
    if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
        return Ok(Value::string(""));
    }
    if ((end - start) / step).abs() > MAX_SEQUENCE {
        return message(format!(
            "the sequence would have more than {MAX_SEQUENCE} items"
        ));
    }
    let mut parts = Vec::new();
    let mut current = start;
    while (step > 0 && current <= end) || (step < 0 && current >= end) {
        parts.push(current.to_string());
        current += step;
    }
    Ok(Value::string(parts.join(" ")))
}

/// Merges dicts into the first one, deep for nested dicts. Without `overwrite` the first
/// value set wins (`merge`); with it the last one does (`mergeOverwrite`).
fn merge_all(name: &str, args: &[Value], overwrite: bool) -> CallResult {
    let Value::Map(target) = &args[0] else {
        return message(format!("{name} needs dicts, got {}", args[0].type_name()));
    };
    for source in &args[1..] {
        match source {
            Value::Map(source) if Rc::ptr_eq(source, target) => {}
            Value::Map(source) => {
                let source = source.borrow().clone();
                merge_into(target, &source.entries, overwrite, 0);
            }
            Value::Nil => {}
            other => return message(format!("{name} needs dicts, got {}", other.type_name())),
        }
    }
    Ok(args[0].clone())
}

fn merge_into(
    target: &crate::helm::value::MapRef,
    source: &BTreeMap<String, Value>,
    overwrite: bool,
    depth: usize,
) {
    if depth > crate::helm::value::MAX_VALUE_DEPTH {
        return;
    }
    for (key, value) in source {
        let existing = target.borrow().entries.get(key).cloned();
        match (existing, value) {
            (Some(Value::Map(inner)), Value::Map(source_inner))
                if !Rc::ptr_eq(&inner, source_inner) =>
            {
                let source_inner = source_inner.borrow().entries.clone();
                merge_into(&inner, &source_inner, overwrite, depth + 1);
            }
            (Some(existing), _) if !overwrite && !existing.is_empty() => {}
            (Some(_), _) if !overwrite => {
                target.borrow_mut().insert(key.clone(), value.clone());
            }
            _ => {
                if overwrite || !target.borrow().entries.contains_key(key) {
                    target.borrow_mut().insert(key.clone(), value.clone());
                }
            }
        }
    }
}

fn regex(pattern: &Value) -> Result<regex::Regex, CallError> {
    let text = strval(pattern);
    regex::RegexBuilder::new(&text)
        .size_limit(1 << 20)
        .build()
        .map_err(|error| {
            CallError::Message(format!("invalid regular expression {text:?}: {error}"))
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// Random bits from the standard library's randomly keyed hasher, enough for the
/// random names and ids charts ask for; not for secrets.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

fn random_string(alphabet: &[u8], count: usize) -> String {
    (0..count)
        .map(|_| {
            let index = usize::try_from(random_u64() % alphabet.len() as u64).unwrap_or(0);
            char::from(alphabet[index])
        })
        .collect()
}

/// A random version 4 UUID. Every render prints a different one, so a chart that
/// writes one renders differently each time, as with Helm.
fn uuid_v4() -> String {
    let high = random_u64();
    let low = random_u64();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let text = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &text[0..8],
        &text[8..12],
        &text[12..16],
        &text[16..20],
        &text[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Some(Ok(value)) => value.to_go_string(),
            Some(Err(CallError::Message(message) | CallError::Plain(message))) => {
                format!("error: {message}")
            }
            Some(Err(CallError::Template(error))) => format!("error: {error}"),
            None => "missing".to_owned(),
        }
    }

    #[test]
    fn strings() {
        assert_eq!(
            run("trunc", &[Value::Int(3), Value::string("abcdef")]),
            "abc"
        );
        assert_eq!(
            run("trunc", &[Value::Int(-2), Value::string("abcdef")]),
            "ef"
        );
        assert_eq!(
            run("title", &[Value::string("hello big world")]),
            "Hello Big World"
        );
        assert_eq!(
            run("indent", &[Value::Int(2), Value::string("a\n\nb")]),
            "  a\n  \n  b"
        );
        assert_eq!(
            run("quote", &[Value::string("a"), Value::Nil, Value::Int(1)]),
            "\"a\" \"1\""
        );
        assert_eq!(
            run("kebabcase", &[Value::string("FirstName")]),
            "first-name"
        );
    }

    #[test]
    fn default_and_empty() {
        assert_eq!(
            run("default", &[Value::string("d"), Value::string("")]),
            "d"
        );
        assert_eq!(run("default", &[Value::string("d"), Value::Int(0)]), "d");
        assert_eq!(
            run("default", &[Value::string("d"), Value::string("x")]),
            "x"
        );
        assert_eq!(run("default", &[Value::string("d")]), "d");
    }

    #[test]
    fn numbers() {
        assert_eq!(
            run(
                "add",
                &[Value::Int(1), Value::Float(2.9), Value::string("3")]
            ),
            "6"
        );
        assert_eq!(
            run("div", &[Value::Int(1), Value::Int(0)]),
            "error: runtime error: integer divide by zero"
        );
        assert_eq!(run("until", &[Value::Int(3)]), "[0 1 2]");
        assert_eq!(run("seq", &[Value::Int(3)]), "1 2 3");
    }

    #[test]
    fn merge_keeps_first() {
        let first = Value::map(BTreeMap::from([("a".to_owned(), Value::Int(1))]));
        let second = Value::map(BTreeMap::from([
            ("a".to_owned(), Value::Int(2)),
            ("b".to_owned(), Value::Int(3)),
        ]));
        assert_eq!(
            run("merge", &[first.clone(), second.clone()]),
            "map[a:1 b:3]"
        );
        assert_eq!(run("mergeOverwrite", &[first, second]), "map[a:2 b:3]");
    }

    #[test]
    fn uuid_has_version_four() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}

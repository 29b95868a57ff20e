//! Template functions: Go's built-ins, the Sprig functions charts use, and Helm's own.
//!
//! Every name a template may call is listed in [`NAMES`]; the parser rejects any other
//! name, so an unknown function is an error naming it and its place before anything
//! renders.

mod builtin;
mod convert;
pub mod helm;
pub mod semver;
mod sprig;

use crate::helm::template::TemplateError;
use crate::helm::template::ast::Pos;
use crate::helm::template::exec::Exec;
use crate::helm::value::Value;

pub use convert::{strval, to_f64, to_i64};

/// The reason a call failed.
pub enum CallError {
    /// Shown as "error calling NAME: message", as Go does.
    Message(String),
    /// Shown as is: `fail` and `required` messages.
    Plain(String),
    /// An error inside a template run by `include` or `tpl`, already placed.
    Template(TemplateError),
}

impl From<String> for CallError {
    fn from(message: String) -> Self {
        CallError::Message(message)
    }
}

impl From<TemplateError> for CallError {
    fn from(error: TemplateError) -> Self {
        CallError::Template(error)
    }
}

pub type CallResult = Result<Value, CallError>;

/// Every function name templates may call. `and` and `or` are evaluated by the executor
/// because they skip arguments.
pub const NAMES: &[&str] = &[
    // Go text/template built-ins.
    "and",
    "or",
    "not",
    "len",
    "index",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "slice",
    // Helm.
    "include",
    "tpl",
    "required",
    "toYaml",
    "mustToYaml",
    "toYamlPretty",
    "fromYaml",
    "fromYamlArray",
    "toJson",
    "mustToJson",
    "toPrettyJson",
    "toRawJson",
    "fromJson",
    "fromJsonArray",
    "lookup",
    // Sprig: flow and types.
    "default",
    "empty",
    "coalesce",
    "ternary",
    "fail",
    "typeOf",
    "kindOf",
    "kindIs",
    "typeIs",
    "deepEqual",
    "all",
    "any",
    // Sprig: strings.
    "quote",
    "squote",
    "upper",
    "lower",
    "title",
    "untitle",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trunc",
    "replace",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "split",
    "splitList",
    "splitn",
    "join",
    "repeat",
    "substr",
    "nospace",
    "abbrev",
    "cat",
    "indent",
    "nindent",
    "kebabcase",
    "snakecase",
    "camelcase",
    "toString",
    "toStrings",
    "plural",
    "wrap",
    "initials",
    // Sprig: lists and dicts.
    "list",
    "tuple",
    "first",
    "mustFirst",
    "last",
    "mustLast",
    "rest",
    "initial",
    "append",
    "mustAppend",
    "push",
    "prepend",
    "concat",
    "uniq",
    "has",
    "without",
    "compact",
    "reverse",
    "sortAlpha",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "keys",
    "values",
    "pluck",
    "pick",
    "omit",
    "dig",
    "merge",
    "mustMerge",
    "mergeOverwrite",
    "mustMergeOverwrite",
    "deepCopy",
    "mustDeepCopy",
    // Sprig: numbers.
    "int",
    "int64",
    "float64",
    "atoi",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "floor",
    "ceil",
    "round",
    "addf",
    "subf",
    "mulf",
    "divf",
    "until",
    "untilStep",
    "seq",
    // Sprig: encoding, hashes, regular expressions, versions, random.
    "b64enc",
    "b64dec",
    "sha256sum",
    "sha1sum",
    "adler32sum",
    "regexMatch",
    "mustRegexMatch",
    "regexFind",
    "regexFindAll",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "regexQuoteMeta",
    "semverCompare",
    "semver",
    "uuidv4",
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
];

/// Returns whether templates may call `name`.
pub fn is_function(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Calls the function `name` with evaluated arguments.
pub fn call(exec: &mut Exec<'_>, name: &str, args: Vec<Value>, pos: Pos) -> CallResult {
    if let Some(result) = builtin::call(name, &args) {
        return result;
    }
    if let Some(result) = helm::call(exec, name, &args, pos) {
        return result;
    }
    if let Some(result) = sprig::call(name, &args) {
        return result;
    }
    Err(CallError::Plain(format!("function {name:?} not defined")))
}

/// Checks the argument count of a call.
pub(crate) fn arity(name: &str, args: &[Value], count: usize) -> Result<(), CallError> {
    if args.len() == count {
        Ok(())
    } else {
        Err(CallError::Plain(format!(
            "wrong number of args for {name}: want {count} got {}",
            args.len()
        )))
    }
}

/// Checks the minimum argument count of a call.
pub(crate) fn at_least(name: &str, args: &[Value], count: usize) -> Result<(), CallError> {
    if args.len() >= count {
        Ok(())
    } else {
        Err(CallError::Plain(format!(
            "wrong number of args for {name}: want at least {count} got {}",
            args.len()
        )))
    }
}

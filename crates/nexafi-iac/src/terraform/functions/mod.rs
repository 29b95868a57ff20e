//! Terraform's built-in functions, evaluated offline.
//!
//! Each family of functions lives in its own file; [`call`] looks the name up in one
//! table that also fixes each function's parameters, so arity errors and unknown
//! propagation work the same way for every function.
//!
//! Values follow the model's conventions: Terraform lists, sets and tuples are all
//! [`Value::List`], maps and objects are [`Value::Map`], and numbers are `f64`.

use std::path::PathBuf;

use nexafi_model::{Node, Span, Value};

mod args;
mod collection;
mod datetime;
mod encoding;
mod filesystem;
mod format;
mod hash;
mod ip;
mod numeric;
mod string;
mod typeconv;
mod value;

use args::{Call, Failure, Outcome};

/// Inputs a function may read besides its arguments.
#[derive(Clone, Debug, Default)]
pub struct FunctionContext {
    /// The calling module's directory: `file()` and friends resolve relative paths here.
    pub module_dir: PathBuf,
    /// The directory that `file()` and friends may read below, usually the scanned
    /// directory. `None` confines them to `module_dir`.
    ///
    /// A configuration under review must not be able to pull arbitrary files of the
    /// machine that scans it into a report, so a path outside this directory (after
    /// resolving `..` and symbolic links) is treated like a missing file.
    pub read_root: Option<PathBuf>,
}

/// Reason a call produced no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionError {
    /// The function does not exist or needs something unavailable offline; the caller
    /// turns this into an unknown value with the message as reason.
    Unsupported(String),
    /// The arguments are invalid, as `terraform plan` would also report. The message
    /// names the parameter where one is at fault, in Terraform's words, but neither the
    /// function nor the call's location, which the caller adds.
    Invalid(String),
}

/// Calls the built-in function `name` on evaluated arguments. `span` is the call
/// expression; results carry it.
///
/// Unknown arguments make the result unknown, except where Terraform itself keeps the
/// result known (the length of a list with unknown elements, say). The reason of an
/// unknown result starts with the function's name, followed by the argument's reason.
///
/// Names may carry the `core::` namespace. Provider functions (`provider::aws::...`)
/// and functions this table lacks are [`FunctionError::Unsupported`].
pub fn call(
    name: &str,
    args: &[Node],
    span: Span,
    context: &FunctionContext,
) -> Result<Node, FunctionError> {
    let name = name.strip_prefix("core::").unwrap_or(name);
    let Some(function) = find(name) else {
        return Err(FunctionError::Unsupported(format!(
            "function {name}() is not supported offline"
        )));
    };

    let call = Call {
        name: function.name,
        params: function.params,
        variadic: function.variadic,
        args,
        span,
        context,
    };
    let outcome = call
        .check_arity(function.max_args)
        .and_then(|()| match function.unknowns {
            Unknowns::Propagate => call.reject_unknown_args(),
            Unknowns::Handled => Ok(()),
        })
        .and_then(|()| (function.run)(&call));

    match outcome {
        Ok(node) => Ok(node),
        Err(Failure::Unknown(reason)) => Ok(Node::new(
            span,
            Value::Unknown(nexafi_model::Unknown::new(format!("{name}(): {reason}"))),
        )),
        Err(Failure::Invalid(message)) => Err(FunctionError::Invalid(message)),
        Err(Failure::Unsupported(message)) => Err(FunctionError::Unsupported(message)),
    }
}

/// Returns the names of every function [`call`] evaluates, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = FUNCTIONS.iter().map(|function| function.name).collect();
    names.sort_unstable();
    names
}

fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// Policy of a function for unknown arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unknowns {
    /// An unknown anywhere in the arguments makes the whole result unknown.
    Propagate,
    /// The function inspects unknowns itself, because part of its result stays known.
    Handled,
}

/// One row of the function table.
struct Function {
    name: &'static str,
    /// Names of the required parameters, as Terraform's documentation calls them.
    params: &'static [&'static str],
    /// Name of the trailing variadic parameter, if any.
    variadic: Option<&'static str>,
    /// Largest number of arguments when `variadic` is set (`lookup` takes one default).
    max_args: Option<usize>,
    unknowns: Unknowns,
    run: fn(&Call) -> Outcome,
}

const fn fixed(
    name: &'static str,
    params: &'static [&'static str],
    run: fn(&Call) -> Outcome,
) -> Function {
    Function {
        name,
        params,
        variadic: None,
        max_args: None,
        unknowns: Unknowns::Propagate,
        run,
    }
}

const fn variadic(
    name: &'static str,
    params: &'static [&'static str],
    rest: &'static str,
    run: fn(&Call) -> Outcome,
) -> Function {
    Function {
        name,
        params,
        variadic: Some(rest),
        max_args: None,
        unknowns: Unknowns::Propagate,
        run,
    }
}

impl Function {
    /// Marks the function as one that keeps part of its result known.
    const fn handles_unknowns(mut self) -> Self {
        self.unknowns = Unknowns::Handled;
        self
    }

    const fn at_most(mut self, count: usize) -> Self {
        self.max_args = Some(count);
        self
    }
}

static FUNCTIONS: &[Function] = &[
    // Strings.
    variadic("format", &["format"], "args", format::format),
    variadic("formatlist", &["format"], "args", format::formatlist).handles_unknowns(),
    variadic("join", &["separator"], "lists", string::join),
    fixed("split", &["separator", "str"], string::split),
    fixed("lower", &["str"], string::lower),
    fixed("upper", &["str"], string::upper),
    fixed("title", &["str"], string::title),
    fixed("trimspace", &["str"], string::trimspace),
    fixed("trim", &["str", "cutset"], string::trim),
    fixed("trimprefix", &["str", "prefix"], string::trimprefix),
    fixed("trimsuffix", &["str", "suffix"], string::trimsuffix),
    fixed("replace", &["str", "substr", "replace"], string::replace),
    fixed("substr", &["str", "offset", "length"], string::substr),
    fixed("strrev", &["str"], string::strrev),
    fixed("startswith", &["str", "prefix"], string::startswith),
    fixed("endswith", &["str", "suffix"], string::endswith),
    fixed("strcontains", &["str", "substr"], string::strcontains),
    fixed("regex", &["pattern", "string"], string::regex),
    fixed("regexall", &["pattern", "string"], string::regexall),
    fixed("chomp", &["str"], string::chomp),
    fixed("indent", &["spaces", "str"], string::indent),
    // Collections.
    fixed("length", &["value"], collection::length).handles_unknowns(),
    variadic("concat", &[], "seqs", collection::concat).handles_unknowns(),
    fixed("contains", &["list", "value"], collection::contains).handles_unknowns(),
    fixed("distinct", &["list"], collection::distinct),
    fixed("element", &["list", "index"], collection::element).handles_unknowns(),
    fixed("flatten", &["list"], collection::flatten).handles_unknowns(),
    fixed("keys", &["inputMap"], collection::keys).handles_unknowns(),
    fixed("values", &["mapping"], collection::values).handles_unknowns(),
    variadic(
        "lookup",
        &["inputMap", "key"],
        "default",
        collection::lookup,
    )
    .at_most(3)
    .handles_unknowns(),
    variadic("merge", &[], "maps", collection::merge).handles_unknowns(),
    variadic("range", &[], "params", collection::range),
    fixed("reverse", &["list"], collection::reverse).handles_unknowns(),
    fixed(
        "slice",
        &["list", "start_index", "end_index"],
        collection::slice,
    )
    .handles_unknowns(),
    fixed("sort", &["list"], collection::sort),
    variadic("coalesce", &[], "vals", collection::coalesce).handles_unknowns(),
    variadic("coalescelist", &[], "vals", collection::coalescelist).handles_unknowns(),
    fixed("compact", &["list"], collection::compact),
    fixed("index", &["list", "value"], collection::index).handles_unknowns(),
    fixed("zipmap", &["keys", "values"], collection::zipmap).handles_unknowns(),
    variadic(
        "setunion",
        &["first_set"],
        "other_sets",
        collection::setunion,
    ),
    variadic(
        "setintersection",
        &["first_set"],
        "other_sets",
        collection::setintersection,
    ),
    fixed("setsubtract", &["a", "b"], collection::setsubtract),
    variadic("setproduct", &[], "sets", collection::setproduct),
    fixed("one", &["list"], collection::one).handles_unknowns(),
    fixed("alltrue", &["list"], collection::alltrue).handles_unknowns(),
    fixed("anytrue", &["list"], collection::anytrue).handles_unknowns(),
    fixed("sum", &["list"], collection::sum),
    fixed("transpose", &["values"], collection::transpose),
    fixed("chunklist", &["list", "size"], collection::chunklist).handles_unknowns(),
    fixed(
        "matchkeys",
        &["values", "keys", "searchset"],
        collection::matchkeys,
    ),
    // Type conversion.
    fixed("tostring", &["v"], typeconv::tostring),
    fixed("tonumber", &["v"], typeconv::tonumber),
    fixed("tobool", &["v"], typeconv::tobool),
    fixed("tolist", &["v"], typeconv::tolist).handles_unknowns(),
    fixed("toset", &["v"], typeconv::toset),
    fixed("tomap", &["v"], typeconv::tomap).handles_unknowns(),
    fixed("sensitive", &["value"], typeconv::identity).handles_unknowns(),
    fixed("nonsensitive", &["value"], typeconv::identity).handles_unknowns(),
    // Numbers.
    variadic("min", &[], "numbers", numeric::min),
    variadic("max", &[], "numbers", numeric::max),
    fixed("abs", &["num"], numeric::abs),
    fixed("ceil", &["num"], numeric::ceil),
    fixed("floor", &["num"], numeric::floor),
    fixed("pow", &["num", "power"], numeric::pow),
    fixed("signum", &["num"], numeric::signum),
    fixed("log", &["num", "base"], numeric::log),
    fixed("parseint", &["number", "base"], numeric::parseint),
    // Encoding.
    fixed("jsonencode", &["val"], encoding::jsonencode),
    fixed("jsondecode", &["str"], encoding::jsondecode),
    fixed("yamlencode", &["value"], encoding::yamlencode),
    fixed("yamldecode", &["src"], encoding::yamldecode),
    fixed("base64encode", &["str"], encoding::base64encode),
    fixed("base64decode", &["str"], encoding::base64decode),
    fixed("urlencode", &["str"], encoding::urlencode),
    fixed("csvdecode", &["str"], encoding::csvdecode),
    // Hashes and identifiers.
    fixed("md5", &["str"], hash::md5),
    fixed("sha1", &["str"], hash::sha1),
    fixed("sha256", &["str"], hash::sha256),
    fixed("sha512", &["str"], hash::sha512),
    fixed("base64sha256", &["str"], hash::base64sha256),
    fixed("base64sha512", &["str"], hash::base64sha512),
    fixed("uuidv5", &["namespace", "name"], hash::uuidv5),
    fixed("uuid", &[], hash::uuid),
    variadic("bcrypt", &["str"], "cost", hash::bcrypt).at_most(2),
    // IP networks.
    fixed("cidrhost", &["prefix", "hostnum"], ip::cidrhost),
    fixed("cidrnetmask", &["prefix"], ip::cidrnetmask),
    fixed(
        "cidrsubnet",
        &["prefix", "newbits", "netnum"],
        ip::cidrsubnet,
    ),
    variadic("cidrsubnets", &["prefix"], "newbits", ip::cidrsubnets),
    // Files and paths.
    fixed("file", &["path"], filesystem::file),
    fixed("fileexists", &["path"], filesystem::fileexists),
    fixed("filebase64", &["path"], filesystem::filebase64),
    fixed("filemd5", &["path"], filesystem::filemd5),
    fixed("filesha1", &["path"], filesystem::filesha1),
    fixed("filesha256", &["path"], filesystem::filesha256),
    fixed("filesha512", &["path"], filesystem::filesha512),
    fixed("filebase64sha256", &["path"], filesystem::filebase64sha256),
    fixed("filebase64sha512", &["path"], filesystem::filebase64sha512),
    fixed("fileset", &["path", "pattern"], filesystem::fileset),
    fixed("abspath", &["path"], filesystem::abspath),
    fixed("dirname", &["path"], filesystem::dirname),
    fixed("basename", &["path"], filesystem::basename),
    fixed("pathexpand", &["path"], filesystem::pathexpand),
    // Dates and times.
    fixed("timestamp", &[], datetime::timestamp),
    fixed("plantimestamp", &[], datetime::plantimestamp),
    fixed("formatdate", &["format", "time"], datetime::formatdate),
    fixed("timeadd", &["timestamp", "duration"], datetime::timeadd),
    fixed(
        "timecmp",
        &["timestamp_a", "timestamp_b"],
        datetime::timecmp,
    ),
];

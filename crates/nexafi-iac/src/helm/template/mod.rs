//! A Go text/template engine: parsing, the set of named templates, and execution.

pub mod ast;
pub mod exec;
pub mod parse;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use ast::{List, Pos};

/// An error in a template, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Name of the template, for charts the path inside the chart
    /// (`app/templates/deployment.yaml`).
    pub template: String,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}:{}:{}: {}",
            self.template, self.pos.line, self.pos.column, self.message
        )
    }
}

impl std::error::Error for TemplateError {}

/// A named template: its body and the file it was defined in, for error positions.
#[derive(Clone, Debug)]
pub struct Named {
    pub body: Rc<List>,
    pub file: Rc<str>,
}

/// Templates by name: each parsed file under its own name, and every `define`.
#[derive(Debug, Default)]
pub struct TemplateSet {
    templates: HashMap<String, Named>,
}

impl TemplateSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a file and adds it and its definitions. A later definition of a name
    /// replaces an earlier one, as in Go when files are parsed one after another.
    pub fn add_file(
        &mut self,
        name: &str,
        source: &str,
        is_function: &dyn Fn(&str) -> bool,
    ) -> Result<(), TemplateError> {
        let parsed = parse::parse(source, is_function).map_err(|error| TemplateError {
            template: name.to_owned(),
            pos: error.pos,
            message: error.message,
        })?;
        let file: Rc<str> = Rc::from(name);
        for (define, body) in parsed.defines {
            self.templates.insert(
                define,
                Named {
                    body: Rc::new(body),
                    file: Rc::clone(&file),
                },
            );
        }
        self.templates.insert(
            name.to_owned(),
            Named {
                body: Rc::new(parsed.root),
                file,
            },
        );
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Named> {
        self.templates.get(name)
    }
}

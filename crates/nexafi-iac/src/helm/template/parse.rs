//! Parser of Go text/template source: text, actions, trim markers and comments.
//!
//! The grammar follows Go's `text/template/parse` package. Actions sit between `{{` and
//! `}}`, and `{{- ` and ` -}}` trim the white space next to them. `{{/* */}}` is a
//! comment. The control actions are `define`, `block`, `if`, `with`, `range` (each with
//! `else`), `template`, `break` and `continue`. A function name the caller does not
//! know is a parse error, as in Go.

use std::collections::HashSet;
use std::rc::Rc;

use super::ast::{Arg, Branch, Command, List, Node, Pipe, Pos};

/// Maximum nesting of control actions and parentheses, well above what charts use, so a
/// hostile template cannot exhaust the stack of the recursive parser.
const MAX_NESTING: usize = 100;

/// A syntax error at a place in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: Pos,
    pub message: String,
}

/// A parsed template file: its top-level list and the templates it defines.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: List,
    pub defines: Vec<(String, List)>,
}

/// Parses `source`. `is_function` returns whether a name is a known function.
pub fn parse(source: &str, is_function: &dyn Fn(&str) -> bool) -> Result<Parsed, ParseError> {
    let tokens = lex(source)?;
    let mut parser = Parser {
        tokens,
        index: 0,
        is_function,
        parsed: Parsed::default(),
        depth: 0,
        vars: vec![vec!["$".to_owned()]],
    };
    let (root, end) = parser.list()?;
    if let Some((keyword, pos)) = end {
        return Err(ParseError {
            pos,
            message: format!("unexpected {{{{{keyword}}}}}"),
        });
    }
    parser.parsed.root = root;
    Ok(parser.parsed)
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Text(String),
    /// Start of an action (after `{{` and its trim marker).
    Open,
    /// End of an action.
    Close,
    Ident(String),
    /// `.name`
    Field(String),
    /// `$name` or `$`
    Variable(String),
    Dot,
    String(String),
    Int(i64),
    Float(f64),
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    Space,
}

struct Lexer<'a> {
    source: &'a str,
    offset: usize,
    tokens: Vec<(Token, Pos)>,
    line: u32,
    line_start: usize,
}

fn lex(source: &str) -> Result<Vec<(Token, Pos)>, ParseError> {
    let mut lexer = Lexer {
        source,
        offset: 0,
        tokens: Vec::new(),
        line: 1,
        line_start: 0,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

impl Lexer<'_> {
    fn pos_at(&self, offset: usize) -> Pos {
        // Lines are counted as the lexer advances; columns count characters.
        let column = self
            .source
            .get(self.line_start..offset)
            .map_or(1, |text| text.chars().count() + 1);
        Pos {
            line: self.line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    fn advance_to(&mut self, offset: usize) {
        let passed = self.source.get(self.offset..offset).unwrap_or("");
        for (index, byte) in passed.bytes().enumerate() {
            if byte == b'\n' {
                self.line += 1;
                self.line_start = self.offset + index + 1;
            }
        }
        self.offset = offset;
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            pos: self.pos_at(offset),
            message: message.into(),
        }
    }

    fn rest(&self) -> &str {
        self.source.get(self.offset..).unwrap_or("")
    }

    fn run(&mut self) -> Result<(), ParseError> {
        let mut trim_next_text = false;
        loop {
            let rest = self.rest();
            let Some(open) = rest.find("{{") else {
                let mut text = rest.to_owned();
                if trim_next_text {
                    text = text.trim_start_matches(is_space).to_owned();
                }
                if !text.is_empty() {
                    let pos = self.pos_at(self.offset);
                    self.tokens.push((Token::Text(text), pos));
                }
                let end = self.source.len();
                self.advance_to(end);
                return Ok(());
            };
            let after = &rest[open + 2..];
            let trim_left = after.starts_with('-') && after[1..].starts_with(|c: char| is_space(c));
            let mut text = rest[..open].to_owned();
            if trim_next_text {
                text = text.trim_start_matches(is_space).to_owned();
            }
            if trim_left {
                text = text.trim_end_matches(is_space).to_owned();
            }
            if !text.is_empty() {
                let pos = self.pos_at(self.offset);
                self.tokens.push((Token::Text(text), pos));
            }
            let action_start = self.offset + open;
            let mut inner = action_start + 2;
            if trim_left {
                inner += 2;
            }
            self.advance_to(inner);
            trim_next_text = self.action(action_start)?;
        }
    }

    /// Lexes one action whose `{{` is at `start`; returns whether it ends with ` -}}`.
    fn action(&mut self, start: usize) -> Result<bool, ParseError> {
        // A comment fills the whole action: `{{/* ... */}}`, with optional trim markers.
        let trimmed = self.rest().trim_start_matches(is_space);
        if trimmed.starts_with("/*") {
            let comment_start = self.source.len() - trimmed.len();
            let Some(end) = trimmed.find("*/") else {
                return Err(self.error(start, "unclosed comment"));
            };
            self.advance_to(comment_start + end + 2);
            let rest = self.rest();
            if rest.starts_with("}}") {
                self.advance_to(self.offset + 2);
                return Ok(false);
            }
            if rest.starts_with(" -}}") || rest.starts_with("\t-}}") || rest.starts_with("\n-}}") {
                self.advance_to(self.offset + 4);
                return Ok(true);
            }
            return Err(self.error(self.offset, "comment ends before closing delimiter"));
        }

        let pos = self.pos_at(start);
        self.tokens.push((Token::Open, pos));
        let mut paren_depth = 0usize;
        loop {
            let rest = self.rest();
            let here = self.offset;
            let pos = self.pos_at(here);
            let Some(c) = rest.chars().next() else {
                return Err(self.error(start, "unclosed action"));
            };
            if rest.starts_with("}}") {
                if paren_depth > 0 {
                    return Err(self.error(here, "unclosed left paren"));
                }
                self.advance_to(here + 2);
                self.tokens.push((Token::Close, pos));
                return Ok(false);
            }
            if is_space(c) {
                let length = rest.len() - rest.trim_start_matches(is_space).len();
                let after = &rest[length..];
                if after.starts_with("-}}") {
                    if paren_depth > 0 {
                        return Err(self.error(here, "unclosed left paren"));
                    }
                    self.advance_to(here + length + 3);
                    self.tokens.push((Token::Close, pos));
                    return Ok(true);
                }
                self.advance_to(here + length);
                self.tokens.push((Token::Space, pos));
                continue;
            }
            match c {
                '|' => self.single(Token::Pipe, pos),
                '(' => {
                    paren_depth += 1;
                    self.single(Token::LeftParen, pos);
                }
                ')' => {
                    if paren_depth == 0 {
                        return Err(self.error(here, "unexpected right paren"));
                    }
                    paren_depth -= 1;
                    self.single(Token::RightParen, pos);
                }
                ',' => self.single(Token::Comma, pos),
                '=' => self.single(Token::Assign, pos),
                ':' => {
                    if !rest.starts_with(":=") {
                        return Err(self.error(here, "expected :="));
                    }
                    self.advance_to(here + 2);
                    self.tokens.push((Token::Declare, pos));
                }
                '"' => {
                    let (text, length) =
                        quoted_string(rest).map_err(|message| self.error(here, message))?;
                    self.advance_to(here + length);
                    self.tokens.push((Token::String(text), pos));
                }
                '`' => {
                    let Some(end) = rest[1..].find('`') else {
                        return Err(self.error(here, "unterminated raw quoted string"));
                    };
                    let text = rest[1..1 + end].replace('\r', "");
                    self.advance_to(here + end + 2);
                    self.tokens.push((Token::String(text), pos));
                }
                '\'' => {
                    let (value, length) =
                        char_constant(rest).map_err(|message| self.error(here, message))?;
                    self.advance_to(here + length);
                    self.tokens.push((Token::Int(value), pos));
                }
                '$' => {
                    let length = 1 + ident_length(&rest[1..]);
                    let name = rest[..length].to_owned();
                    self.advance_to(here + length);
                    self.tokens.push((Token::Variable(name), pos));
                }
                '.' => {
                    let after = &rest[1..];
                    if after.starts_with(|c: char| c.is_ascii_digit()) {
                        self.number(pos)?;
                    } else {
                        let length = ident_length(after);
                        if length == 0 {
                            self.advance_to(here + 1);
                            self.tokens.push((Token::Dot, pos));
                        } else {
                            let name = after[..length].to_owned();
                            self.advance_to(here + 1 + length);
                            self.tokens.push((Token::Field(name), pos));
                        }
                    }
                }
                '+' | '-' | '0'..='9' => self.number(pos)?,
                c if c == '_' || c.is_alphabetic() => {
                    let length = ident_length(rest);
                    let name = rest[..length].to_owned();
                    self.advance_to(here + length);
                    self.tokens.push((Token::Ident(name), pos));
                }
                other => {
                    return Err(
                        self.error(here, format!("unrecognized character in action: {other:?}"))
                    );
                }
            }
        }
    }

    fn single(&mut self, token: Token, pos: Pos) {
        self.advance_to(self.offset + 1);
        self.tokens.push((token, pos));
    }

    fn number(&mut self, pos: Pos) -> Result<(), ParseError> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut length = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
        let hex = rest[length..].starts_with("0x") || rest[length..].starts_with("0X");
        while let Some(&byte) = bytes.get(length) {
            let previous = bytes.get(length.wrapping_sub(1)).copied().unwrap_or(b' ');
            let exponent_sign = (byte == b'+' || byte == b'-')
                && (matches!(previous, b'e' | b'E') && !hex || matches!(previous, b'p' | b'P'));
            if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_' || exponent_sign {
                length += 1;
            } else {
                break;
            }
        }
        let text = &rest[..length];
        let token = parse_number(text)
            .ok_or_else(|| self.error(self.offset, format!("bad number syntax: {text:?}")))?;
        self.advance_to(self.offset + length);
        self.tokens.push((token, pos));
        Ok(())
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn ident_length(text: &str) -> usize {
    text.char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(text.len(), |(index, _)| index)
}

fn parse_number(text: &str) -> Option<Token> {
    let cleaned = text.replace('_', "");
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (
            false,
            cleaned.strip_prefix('+').unwrap_or(&cleaned).to_owned(),
        ),
    };
    let signed = |value: i64| if negative { -value } else { value };
    let lower = body.to_ascii_lowercase();
    let integer = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = lower.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if let Some(binary) = lower.strip_prefix("0b") {
        i64::from_str_radix(binary, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(value) = integer {
        return Some(Token::Int(signed(value)));
    }
    if lower.starts_with("0x") {
        return None;
    }
    let value: f64 = lower.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    let value = if negative { -value } else { value };
    // Go treats a float constant with an integral value as an int too (`1e3` is 1000).
    if value.fract() == 0.0 && value.abs() < 9.2e18 && !lower.contains('.') {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Token::Int(value as i64));
    }
    Some(Token::Float(value))
}

/// Reads a double-quoted Go string at the start of `text`; returns it and its length.
fn quoted_string(text: &str) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((out, index + 1)),
            '\n' => return Err("unterminated quoted string".to_owned()),
            '\\' => {
                let Some((_, escape)) = chars.next() else {
                    break;
                };
                match escape {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let count = match escape {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let digits: String = (0..count)
                            .filter_map(|_| chars.next())
                            .map(|(_, c)| c)
                            .collect();
                        let code = u32::from_str_radix(&digits, 16).map_err(|_| {
                            format!("invalid escape \\{escape}{digits} in quoted string")
                        })?;
                        let decoded = char::from_u32(code).ok_or_else(|| {
                            format!("invalid escape \\{escape}{digits} in quoted string")
                        })?;
                        out.push(decoded);
                    }
                    '0'..='7' => {
                        let mut digits = escape.to_string();
                        for _ in 0..2 {
                            if let Some((_, digit)) = chars.next() {
                                digits.push(digit);
                            }
                        }
                        let code = u32::from_str_radix(&digits, 8)
                            .map_err(|_| format!("invalid escape \\{digits} in quoted string"))?;
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    other => {
                        return Err(format!(
                            "unknown escape sequence \\{other} in quoted string"
                        ));
                    }
                }
            }
            other => out.push(other),
        }
    }
    Err("unterminated quoted string".to_owned())
}

fn char_constant(text: &str) -> Result<(i64, usize), String> {
    let end = text[1..]
        .char_indices()
        .find(|&(index, c)| c == '\'' && !text[1..1 + index].ends_with('\\') || c == '\n')
        .map(|(index, _)| index + 1)
        .ok_or_else(|| "unterminated character constant".to_owned())?;
    let body = &text[1..end];
    let decoded = if body.starts_with('\\') {
        quoted_string(&format!("\"{body}\""))?.0
    } else {
        body.to_owned()
    };
    let mut chars = decoded.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok((i64::from(u32::from(c)), end + 1)),
        _ => Err(format!("malformed character constant: '{body}'")),
    }
}

struct Parser<'a> {
    tokens: Vec<(Token, Pos)>,
    index: usize,
    is_function: &'a dyn Fn(&str) -> bool,
    parsed: Parsed,
    depth: usize,
    /// Declared variables per scope, to reject undefined ones at parse time as Go does.
    vars: Vec<Vec<String>>,
}

/// The keyword that ended a list: `end` or `else` (with its position).
type ListEnd = Option<(String, Pos)>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index).map(|(token, _)| token)
    }

    fn pos(&self) -> Pos {
        self.tokens
            .get(self.index)
            .or_else(|| self.tokens.last())
            .map_or_else(Pos::default, |(_, pos)| *pos)
    }

    fn next(&mut self) -> Option<(Token, Pos)> {
        let item = self.tokens.get(self.index).cloned();
        self.index += 1;
        item
    }

    fn skip_space(&mut self) {
        while self.peek() == Some(&Token::Space) {
            self.index += 1;
        }
    }

    fn error<T>(&self, pos: Pos, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            pos,
            message: message.into(),
        })
    }

    fn expect_close(&mut self, context: &str) -> Result<(), ParseError> {
        self.skip_space();
        let pos = self.pos();
        match self.next() {
            Some((Token::Close, _)) => Ok(()),
            Some((token, _)) => {
                self.error(pos, format!("unexpected {} in {context}", describe(&token)))
            }
            None => self.error(pos, format!("unclosed action in {context}")),
        }
    }

    /// Parses nodes until `{{end}}`, `{{else ...}}` or the end of input.
    fn list(&mut self) -> Result<(List, ListEnd), ParseError> {
        let mut list = List::new();
        loop {
            let Some((token, pos)) = self.next() else {
                return Ok((list, None));
            };
            match token {
                Token::Text(text) => list.push(Node::Text(Rc::from(text))),
                Token::Open => {
                    self.skip_space();
                    if let Some(Token::Ident(keyword)) = self.peek().cloned() {
                        match keyword.as_str() {
                            "end" => {
                                self.index += 1;
                                self.expect_close("end")?;
                                return Ok((list, Some(("end".to_owned(), pos))));
                            }
                            "else" => {
                                self.index += 1;
                                return Ok((list, Some(("else".to_owned(), pos))));
                            }
                            "if" | "with" | "range" => {
                                self.index += 1;
                                list.push(self.branch(&keyword, pos)?);
                                continue;
                            }
                            "define" | "block" => {
                                self.index += 1;
                                if let Some(node) = self.define(&keyword, pos)? {
                                    list.push(node);
                                }
                                continue;
                            }
                            "template" => {
                                self.index += 1;
                                list.push(self.template_call(pos)?);
                                continue;
                            }
                            "break" | "continue" => {
                                self.index += 1;
                                self.expect_close(&keyword)?;
                                list.push(if keyword == "break" {
                                    Node::Break(pos)
                                } else {
                                    Node::Continue(pos)
                                });
                                continue;
                            }
                            _ => {}
                        }
                    }
                    let pipe = self.pipeline("command", true)?;
                    list.push(Node::Action(pipe));
                }
                other => return self.error(pos, format!("unexpected {}", describe(&other))),
            }
        }
    }

    fn enter(&mut self, pos: Pos) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error(
                pos,
                format!("template nests more than {MAX_NESTING} levels"),
            );
        }
        Ok(())
    }

    fn branch(&mut self, keyword: &str, pos: Pos) -> Result<Node, ParseError> {
        self.enter(pos)?;
        self.vars.push(Vec::new());
        let pipe = self.pipeline(keyword, keyword == "range")?;
        let (list, end) = self.list()?;
        let else_list =
            match end {
                None => {
                    return self.error(
                        pos,
                        format!("unexpected EOF: missing {{{{end}}}} for {{{{{keyword}}}}}"),
                    );
                }
                Some((word, _)) if word == "end" => None,
                Some((_, else_pos)) => {
                    self.skip_space();
                    // `{{else if ...}}` and `{{else with ...}}` chain another branch that
                    // shares this branch's `{{end}}`.
                    match self.peek().cloned() {
                        Some(Token::Ident(next))
                            if next == keyword && (keyword == "if" || keyword == "with") =>
                        {
                            self.index += 1;
                            let nested = self.chained_branch(&next, else_pos)?;
                            Some(vec![nested])
                        }
                        _ => {
                            self.expect_close("else")?;
                            let (else_list, end) = self.list()?;
                            match end {
                                Some((word, _)) if word == "end" => Some(else_list),
                                Some((_, pos)) => {
                                    return self.error(pos, "expected end; found {{else}}");
                                }
                                None => return self.error(
                                    pos,
                                    format!(
                                        "unexpected EOF: missing {{{{end}}}} for {{{{{keyword}}}}}"
                                    ),
                                ),
                            }
                        }
                    }
                }
            };
        self.vars.pop();
        self.depth -= 1;
        let branch = Branch {
            pos,
            pipe,
            list,
            else_list,
        };
        Ok(match keyword {
            "if" => Node::If(branch),
            "with" => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    /// Parses the branch after `{{else if}}`/`{{else with}}`; it consumes the shared end.
    fn chained_branch(&mut self, keyword: &str, pos: Pos) -> Result<Node, ParseError> {
        self.branch(keyword, pos)
    }

    fn define(&mut self, keyword: &str, pos: Pos) -> Result<Option<Node>, ParseError> {
        self.skip_space();
        let name_pos = self.pos();
        let name = match self.next() {
            Some((Token::String(name), _)) => name,
            _ => return self.error(name_pos, format!("expected a quoted name after {keyword}")),
        };
        let pipe = if keyword == "block" {
            Some(self.pipeline("block", false)?)
        } else {
            self.expect_close("define")?;
            None
        };
        self.enter(pos)?;
        // A defined template has only `$`, never the variables around it.
        let saved = std::mem::replace(&mut self.vars, vec![vec!["$".to_owned()]]);
        let (body, end) = self.list()?;
        self.vars = saved;
        self.depth -= 1;
        match end {
            Some((word, _)) if word == "end" => {}
            Some((_, else_pos)) => {
                return self.error(else_pos, format!("unexpected {{{{else}}}} in {keyword}"));
            }
            None => {
                return self.error(
                    pos,
                    format!("unexpected EOF: missing {{{{end}}}} for {{{{{keyword} {name:?}}}}}"),
                );
            }
        }
        self.parsed.defines.push((name.clone(), body));
        Ok(pipe.map(|pipe| Node::Template {
            pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_call(&mut self, pos: Pos) -> Result<Node, ParseError> {
        self.skip_space();
        let name_pos = self.pos();
        let name = match self.next() {
            Some((Token::String(name), _)) => name,
            _ => return self.error(name_pos, "expected a quoted template name after template"),
        };
        self.skip_space();
        let pipe = if self.peek() == Some(&Token::Close) {
            self.index += 1;
            None
        } else {
            Some(self.pipeline("template", false)?)
        };
        Ok(Node::Template { pos, name, pipe })
    }

    /// Parses a pipeline up to the closing delimiter (or `)` when nested).
    fn pipeline(&mut self, context: &str, allow_decl: bool) -> Result<Pipe, ParseError> {
        self.skip_space();
        let pos = self.pos();
        let mut decl = Vec::new();
        let mut is_assign = false;

        // Look ahead for `$x :=`, `$x =` or `$i, $v :=`.
        let start = self.index;
        if let Some(Token::Variable(first)) = self.peek().cloned() {
            self.index += 1;
            self.skip_space();
            match self.peek().cloned() {
                Some(Token::Declare) | Some(Token::Assign) => {
                    is_assign = self.peek() == Some(&Token::Assign);
                    self.index += 1;
                    decl.push(first);
                }
                Some(Token::Comma) if allow_decl => {
                    self.index += 1;
                    self.skip_space();
                    if let Some(Token::Variable(second)) = self.peek().cloned() {
                        self.index += 1;
                        self.skip_space();
                        match self.peek() {
                            Some(Token::Declare) | Some(Token::Assign) => {
                                is_assign = self.peek() == Some(&Token::Assign);
                                self.index += 1;
                                decl.push(first);
                                decl.push(second);
                            }
                            _ => return self.error(pos, "too many declarations in command"),
                        }
                    } else {
                        return self.error(
                            pos,
                            "expected a variable after the comma in a range declaration",
                        );
                    }
                }
                _ => self.index = start,
            }
        }
        for name in &decl {
            if is_assign {
                if !self.is_declared(name) {
                    return self.error(pos, format!("undefined variable \"{name}\""));
                }
            } else if let Some(scope) = self.vars.last_mut() {
                scope.push(name.clone());
            }
        }

        let mut commands = Vec::new();
        loop {
            self.skip_space();
            let command = self.command(context)?;
            commands.push(command);
            self.skip_space();
            let pos = self.pos();
            match self.peek() {
                Some(Token::Pipe) => {
                    self.index += 1;
                }
                Some(Token::Close) => {
                    self.index += 1;
                    break;
                }
                Some(Token::RightParen) => break,
                Some(token) => {
                    let token = token.clone();
                    return self
                        .error(pos, format!("unexpected {} in {context}", describe(&token)));
                }
                None => return self.error(pos, format!("unclosed action in {context}")),
            }
        }
        if commands.is_empty() {
            return self.error(pos, format!("missing value for {context}"));
        }
        Ok(Pipe {
            pos,
            decl,
            is_assign,
            commands,
        })
    }

    fn is_declared(&self, name: &str) -> bool {
        self.vars
            .iter()
            .any(|scope| scope.iter().any(|var| var == name))
    }

    fn command(&mut self, context: &str) -> Result<Command, ParseError> {
        let pos = self.pos();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None | Some(Token::Close | Token::Pipe | Token::RightParen) => break,
                _ => {}
            }
            let arg = self.operand(context)?;
            args.push(arg);
            // Arguments must be separated by space.
            match self.peek() {
                Some(Token::Space | Token::Close | Token::Pipe | Token::RightParen) | None => {}
                Some(token) => {
                    let token = token.clone();
                    let pos = self.pos();
                    return self.error(pos, format!("unexpected {} in operand", describe(&token)));
                }
            }
        }
        if args.is_empty() {
            return self.error(pos, format!("missing value for {context}"));
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self, context: &str) -> Result<Arg, ParseError> {
        let pos = self.pos();
        let Some((token, _)) = self.next() else {
            return self.error(pos, format!("unclosed action in {context}"));
        };
        let arg = match token {
            Token::Dot => Arg::Dot,
            Token::Field(name) => {
                let mut fields = vec![name];
                fields.extend(self.field_chain());
                return Ok(Arg::Field(fields));
            }
            Token::Variable(name) => {
                if !self.is_declared(&name) {
                    return self.error(pos, format!("undefined variable \"{name}\""));
                }
                let fields = self.field_chain();
                return Ok(Arg::Variable(name, fields));
            }
            Token::String(text) => Arg::String(Rc::from(text)),
            Token::Int(value) => Arg::Int(value),
            Token::Float(value) => Arg::Float(value),
            Token::LeftParen => {
                self.enter(pos)?;
                let pipe = self.pipeline("parenthesized pipeline", false)?;
                self.depth -= 1;
                match self.next() {
                    Some((Token::RightParen, _)) => {}
                    _ => return self.error(pos, "unclosed left paren"),
                }
                let fields = self.field_chain();
                return Ok(Arg::Pipe(Box::new(pipe), fields));
            }
            Token::Ident(name) => match name.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ if (self.is_function)(&name) => Arg::Function(name),
                _ => return self.error(pos, format!("function \"{name}\" not defined")),
            },
            other => {
                return self.error(pos, format!("unexpected {} in {context}", describe(&other)));
            }
        };
        if let Some(Token::Field(_)) = self.peek() {
            let pos = self.pos();
            return self.error(
                pos,
                "unexpected field access after a constant or function name",
            );
        }
        Ok(arg)
    }

    fn field_chain(&mut self) -> Vec<String> {
        let mut fields = Vec::new();
        while let Some(Token::Field(name)) = self.peek().cloned() {
            self.index += 1;
            fields.push(name);
        }
        fields
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Text(_) => "text".to_owned(),
        Token::Open => "\"{{\"".to_owned(),
        Token::Close => "\"}}\"".to_owned(),
        Token::Ident(name) => format!("<{name}>"),
        Token::Field(name) => format!("<.{name}>"),
        Token::Variable(name) => format!("<{name}>"),
        Token::Dot => "<.>".to_owned(),
        Token::String(text) => format!("{text:?}"),
        Token::Int(value) => format!("<{value}>"),
        Token::Float(value) => format!("<{value}>"),
        Token::Pipe => "\"|\"".to_owned(),
        Token::LeftParen => "\"(\"".to_owned(),
        Token::RightParen => "\")\"".to_owned(),
        Token::Declare => "\":=\"".to_owned(),
        Token::Assign => "\"=\"".to_owned(),
        Token::Comma => "\",\"".to_owned(),
        Token::Space => "space".to_owned(),
    }
}

/// Names every function a template may call, for parse-time checks.
pub fn function_set(names: &[&'static str]) -> HashSet<&'static str> {
    names.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(source: &str) -> Parsed {
        parse(source, &|name| name == "quote" || name == "include").unwrap()
    }

    #[test]
    fn trim_markers_remove_space() {
        let parsed = parse_ok("a  \n{{- .x -}}\n  b");
        assert_eq!(parsed.root.len(), 3);
        assert!(matches!(&parsed.root[0], Node::Text(text) if &**text == "a"));
        assert!(matches!(&parsed.root[2], Node::Text(text) if &**text == "b"));
    }

    #[test]
    fn comment_with_trim() {
        let parsed = parse_ok("a \n{{- /* note */ -}}\n b");
        assert_eq!(parsed.root.len(), 2);
    }

    #[test]
    fn unknown_function_names_it() {
        let error = parse("x\n{{ frobnicate .a }}", &|_| false).unwrap_err();
        assert_eq!(error.message, "function \"frobnicate\" not defined");
        assert_eq!(error.pos.line, 2);
    }

    #[test]
    fn define_is_collected() {
        let parsed = parse_ok("{{ define \"x\" }}hi{{ end }}{{ include \"x\" . }}");
        assert_eq!(parsed.defines.len(), 1);
        assert_eq!(parsed.defines[0].0, "x");
    }

    #[test]
    fn else_if_chains() {
        let parsed = parse_ok("{{ if .a }}1{{ else if .b }}2{{ else }}3{{ end }}");
        let Node::If(branch) = &parsed.root[0] else {
            panic!("expected if");
        };
        let else_list = branch.else_list.as_ref().unwrap();
        assert!(matches!(else_list[0], Node::If(_)));
    }

    #[test]
    fn missing_end_is_error() {
        let error = parse("{{ if .a }}x", &|_| false).unwrap_err();
        assert!(
            error.message.contains("missing {{end}}"),
            "{}",
            error.message
        );
    }

    #[test]
    fn numbers_lex() {
        assert_eq!(parse_number("-1"), Some(Token::Int(-1)));
        assert_eq!(parse_number("0x1F"), Some(Token::Int(31)));
        assert_eq!(parse_number("1.5"), Some(Token::Float(1.5)));
    }
}

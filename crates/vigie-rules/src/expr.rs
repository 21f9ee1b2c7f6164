//! The condition language: a small, safe expression over one reading and its sensor, such as
//! `value < 500 && (hour >= 7 && hour < 10)`.
//!
//! It follows the syntax of CEL's core (the language Kubernetes and Envoy use for the same
//! job) without its library: operators, literals and a fixed set of names. Conditions are
//! parsed and type-checked once, when the rules are loaded; evaluation then cannot fail on a
//! type and never panics.
//!
//! # Grammar
//!
//! ```text
//! condition      = or                                    (must be true or false)
//! or             = and { "||" and }
//! and            = comparison { "&&" comparison }
//! comparison     = additive [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) additive ]
//! additive       = multiplicative { ( "+" | "-" ) multiplicative }
//! multiplicative = unary { ( "*" | "/" | "%" ) unary }
//! unary          = ( "!" | "-" ) unary | primary
//! primary        = number | string | "true" | "false" | name | "(" or ")"
//! name           = "value" | "unit" | "hour"
//!                | "sensor.id" | "sensor.kind" | "sensor.zone" | "sensor.commune" | "sensor.criticality"
//! number         = digit { digit } [ "." digit { digit } ] [ ( "e" | "E" ) [ "+" | "-" ] digit { digit } ]
//! string         = '"' { char | escape } '"' | "'" { char | escape } "'"
//! escape         = "\\" | "\"" | "\'" | "\n" | "\t"
//! ```
//!
//! Spaces separate tokens and are otherwise ignored. Comparisons do not chain: `1 < x < 3` is
//! refused, write `1 < x && x < 3`.
//!
//! # Types
//!
//! Three types, checked at parse time: numbers (`value`, `hour`, `sensor.criticality`, number
//! literals), strings (`unit`, `sensor.*` text names, string literals) and booleans.
//! Arithmetic and `<`, `<=`, `>`, `>=` take numbers; `==` and `!=` take two operands of the same
//! type; `!`, `&&` and `||` take booleans. `sensor.zone` is the empty string for a sensor
//! without a zone. `hour` is the local hour of the day, 0 to 23, given by the caller.
//!
//! # Evaluation
//!
//! A division or remainder by zero, or arithmetic that overflows to infinity, gives an
//! *unknown* result instead of a number. `&&` and `||` absorb it as CEL does: `unknown && false`
//! is false and `unknown || true` is true; anything else that meets an unknown is unknown, and
//! a condition that ends unknown does not hold. Expressions are at most
//! [`MAX_SOURCE_CHARS`] characters long and nest at most [`MAX_DEPTH`] levels deep, so
//! evaluation's recursion is bounded.

use crate::SensorInfo;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest expression accepted, in characters.
pub const MAX_SOURCE_CHARS: usize = 1000;

/// How deep an expression's tree may be: operators and parentheses nested in one another.
pub const MAX_DEPTH: usize = 48;

/// A parsed, type-checked condition. Serialised as its source text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Expr {
    source: String,
    root: Node,
}

/// Why an expression was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ExprError {
    /// The 1-based column, in characters, where the problem starts.
    pub column: usize,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
}

/// What a condition looks at: one reading and the sensor that sent it.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub value: f64,
    pub unit: &'a str,
    /// The local hour of the day, 0 to 23.
    pub hour: u8,
    pub sensor: &'a SensorInfo,
}

impl Expr {
    /// Parses and type-checks a condition, which must be true or false.
    pub fn parse(source: &str) -> Result<Expr, ExprError> {
        let length = source.chars().count();
        if length > MAX_SOURCE_CHARS {
            return Err(ExprError {
                column: MAX_SOURCE_CHARS + 1,
                message: format!("the expression is {length} characters long, at most {MAX_SOURCE_CHARS} are allowed"),
            });
        }
        let tokens = lex(source)?;
        let mut parser = Parser { tokens, position: 0, nesting: 0 };
        let root = parser.or()?;
        let next = parser.peek();
        if next.token != Token::End {
            return Err(ExprError {
                column: next.column,
                message: format!("expected an operator or the end of the expression, found {}", next.token.describe()),
            });
        }
        if root.kind != Type::Bool {
            return Err(ExprError {
                column: root.column,
                message: format!("a condition must be true or false, this one is a {}", root.kind.name()),
            });
        }
        Ok(Expr { source: source.to_owned(), root: root.node })
    }

    /// Returns the expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Tells whether the condition holds for this reading; an unknown result does not hold.
    pub fn holds(&self, context: &Context<'_>) -> bool {
        matches!(evaluate(&self.root, context), Ok(Value::Bool(true)))
    }
}

impl TryFrom<String> for Expr {
    type Error = ExprError;
    fn try_from(source: String) -> Result<Expr, ExprError> {
        Expr::parse(&source)
    }
}

impl From<Expr> for String {
    fn from(expr: Expr) -> String {
        expr.source
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax tree and types

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Number,
    Text,
    Bool,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Number => "number",
            Type::Text => "string",
            Type::Bool => "boolean",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    Value,
    Unit,
    Hour,
    SensorId,
    SensorKind,
    SensorZone,
    SensorCommune,
    SensorCriticality,
}

/// Every name, as written, with its type.
const NAMES: [(&str, Name, Type); 8] = [
    ("value", Name::Value, Type::Number),
    ("unit", Name::Unit, Type::Text),
    ("hour", Name::Hour, Type::Number),
    ("sensor.id", Name::SensorId, Type::Text),
    ("sensor.kind", Name::SensorKind, Type::Text),
    ("sensor.zone", Name::SensorZone, Type::Text),
    ("sensor.commune", Name::SensorCommune, Type::Text),
    ("sensor.criticality", Name::SensorCriticality, Type::Number),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinaryOp {
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
}

impl BinaryOp {
    fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Remainder => "%",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Number(f64),
    Text(String),
    Bool(bool),
    Name(Name),
    Not(Box<Node>),
    Negate(Box<Node>),
    Binary { op: BinaryOp, left: Box<Node>, right: Box<Node> },
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Word(String),
    OpenParen,
    CloseParen,
    Bang,
    Binary(BinaryOp),
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Number(number) => format!("the number {number}"),
            Token::Text(text) => format!("the string {text:?}"),
            Token::Word(word) => format!("`{word}`"),
            Token::OpenParen => "`(`".to_owned(),
            Token::CloseParen => "`)`".to_owned(),
            Token::Bang => "`!`".to_owned(),
            Token::Binary(op) => format!("`{}`", op.symbol()),
            Token::End => "the end of the expression".to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Located {
    token: Token,
    /// 1-based, in characters.
    column: usize,
}

fn lex(source: &str) -> Result<Vec<Located>, ExprError> {
    let characters: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        let column = index + 1;
        if character.is_whitespace() {
            index += 1;
            continue;
        }
        let next = characters.get(index + 1).copied();
        let two_characters = |op: BinaryOp| (Token::Binary(op), 2);
        let (token, length) = match (character, next) {
            ('(', _) => (Token::OpenParen, 1),
            (')', _) => (Token::CloseParen, 1),
            ('|', Some('|')) => two_characters(BinaryOp::Or),
            ('&', Some('&')) => two_characters(BinaryOp::And),
            ('=', Some('=')) => two_characters(BinaryOp::Equal),
            ('!', Some('=')) => two_characters(BinaryOp::NotEqual),
            ('<', Some('=')) => two_characters(BinaryOp::LessOrEqual),
            ('>', Some('=')) => two_characters(BinaryOp::GreaterOrEqual),
            ('!', _) => (Token::Bang, 1),
            ('<', _) => (Token::Binary(BinaryOp::Less), 1),
            ('>', _) => (Token::Binary(BinaryOp::Greater), 1),
            ('+', _) => (Token::Binary(BinaryOp::Add), 1),
            ('-', _) => (Token::Binary(BinaryOp::Subtract), 1),
            ('*', _) => (Token::Binary(BinaryOp::Multiply), 1),
            ('/', _) => (Token::Binary(BinaryOp::Divide), 1),
            ('%', _) => (Token::Binary(BinaryOp::Remainder), 1),
            ('=', _) => return Err(error(column, "`=` is not an operator; write `==` to compare")),
            ('|', _) => return Err(error(column, "`|` is not an operator; write `||` for \"or\"")),
            ('&', _) => return Err(error(column, "`&` is not an operator; write `&&` for \"and\"")),
            ('"' | '\'', _) => lex_string(&characters, index)?,
            (digit, _) if digit.is_ascii_digit() => lex_number(&characters, index)?,
            (letter, _) if letter.is_ascii_alphabetic() || letter == '_' => {
                let length = characters[index..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
                    .count();
                let word: String = characters[index..index + length].iter().collect();
                (Token::Word(word), length)
            }
            (other, _) => return Err(error(column, format!("unexpected character {other:?}"))),
        };
        tokens.push(Located { token, column });
        index += length;
    }
    tokens.push(Located { token: Token::End, column: characters.len() + 1 });
    Ok(tokens)
}

fn lex_number(characters: &[char], start: usize) -> Result<(Token, usize), ExprError> {
    let digits_from =
        |from: usize| characters[from.min(characters.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = start + digits_from(start);
    if characters.get(end) == Some(&'.') {
        let fraction = digits_from(end + 1);
        if fraction == 0 {
            return Err(error(end + 1, "expected digits after the decimal point"));
        }
        end += 1 + fraction;
    }
    if matches!(characters.get(end), Some('e' | 'E')) {
        let mut exponent_start = end + 1;
        if matches!(characters.get(exponent_start), Some('+' | '-')) {
            exponent_start += 1;
        }
        let exponent = digits_from(exponent_start);
        if exponent == 0 {
            return Err(error(end + 1, "expected digits in the exponent"));
        }
        end = exponent_start + exponent;
    }
    if characters.get(end).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') {
        return Err(error(end + 1, "expected an operator after the number"));
    }
    let text: String = characters[start..end].iter().collect();
    match text.parse::<f64>() {
        Ok(number) if number.is_finite() => Ok((Token::Number(number), end - start)),
        _ => Err(error(start + 1, format!("the number {text} is too large"))),
    }
}

fn lex_string(characters: &[char], start: usize) -> Result<(Token, usize), ExprError> {
    let quote = characters[start];
    let mut text = String::new();
    let mut index = start + 1;
    loop {
        match characters.get(index) {
            None => return Err(error(start + 1, "this string is not closed")),
            Some(&c) if c == quote => return Ok((Token::Text(text), index + 1 - start)),
            Some('\\') => {
                let escaped = match characters.get(index + 1) {
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some('\'') => '\'',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    _ => return Err(error(index + 1, "unknown escape; use \\\\, \\\", \\', \\n or \\t")),
                };
                text.push(escaped);
                index += 2;
            }
            Some(&c) => {
                text.push(c);
                index += 1;
            }
        }
    }
}

fn error(column: usize, message: impl Into<String>) -> ExprError {
    ExprError { column, message: message.into() }
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent, one function per grammar rule, types and depth checked as the
// tree is built.

struct Typed {
    node: Node,
    kind: Type,
    /// Where the sub-expression starts, for messages.
    column: usize,
    /// The height of the tree, bounded by `MAX_DEPTH`.
    depth: usize,
}

struct Parser {
    tokens: Vec<Located>,
    position: usize,
    /// How many `(` and prefix operators enclose the current point: bounds the recursion.
    nesting: usize,
}

impl Parser {
    fn peek(&self) -> &Located {
        // `lex` always ends the list with `End`, and `advance` never moves past it.
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Located {
        let located = self.peek().clone();
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
        located
    }

    fn peek_binary(&self, allowed: &[BinaryOp]) -> Option<(BinaryOp, usize)> {
        match &self.peek().token {
            Token::Binary(op) if allowed.contains(op) => Some((*op, self.peek().column)),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Typed, ExprError> {
        let mut left = self.and()?;
        while let Some((op, column)) = self.peek_binary(&[BinaryOp::Or]) {
            self.advance();
            let right = self.and()?;
            left = combine(op, column, left, right)?;
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Typed, ExprError> {
        let mut left = self.comparison()?;
        while let Some((op, column)) = self.peek_binary(&[BinaryOp::And]) {
            self.advance();
            let right = self.comparison()?;
            left = combine(op, column, left, right)?;
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Typed, ExprError> {
        const COMPARISONS: [BinaryOp; 6] = [
            BinaryOp::Equal,
            BinaryOp::NotEqual,
            BinaryOp::Less,
            BinaryOp::LessOrEqual,
            BinaryOp::Greater,
            BinaryOp::GreaterOrEqual,
        ];
        let left = self.additive()?;
        let Some((op, column)) = self.peek_binary(&COMPARISONS) else {
            return Ok(left);
        };
        self.advance();
        let right = self.additive()?;
        if let Some((second, second_column)) = self.peek_binary(&COMPARISONS) {
            return Err(error(
                second_column,
                format!("comparisons do not chain: combine `{}` and `{}` with `&&`", op.symbol(), second.symbol()),
            ));
        }
        combine(op, column, left, right)
    }

    fn additive(&mut self) -> Result<Typed, ExprError> {
        let mut left = self.multiplicative()?;
        while let Some((op, column)) = self.peek_binary(&[BinaryOp::Add, BinaryOp::Subtract]) {
            self.advance();
            let right = self.multiplicative()?;
            left = combine(op, column, left, right)?;
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Typed, ExprError> {
        let mut left = self.unary()?;
        while let Some((op, column)) = self.peek_binary(&[BinaryOp::Multiply, BinaryOp::Divide, BinaryOp::Remainder]) {
            self.advance();
            let right = self.unary()?;
            left = combine(op, column, left, right)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Typed, ExprError> {
        let located = self.peek().clone();
        let (wanted, wrap): (Type, fn(Box<Node>) -> Node) = match located.token {
            Token::Bang => (Type::Bool, Node::Not),
            Token::Binary(BinaryOp::Subtract) => (Type::Number, Node::Negate),
            _ => return self.primary(),
        };
        self.advance();
        self.enter(located.column)?;
        let operand = self.unary()?;
        self.nesting -= 1;
        let symbol = if wanted == Type::Bool { "!" } else { "-" };
        if operand.kind != wanted {
            return Err(error(
                operand.column,
                format!("`{symbol}` applies to a {}, found a {}", wanted.name(), operand.kind.name()),
            ));
        }
        let depth = check_depth(operand.depth + 1, located.column)?;
        Ok(Typed { node: wrap(Box::new(operand.node)), kind: wanted, column: located.column, depth })
    }

    fn primary(&mut self) -> Result<Typed, ExprError> {
        let located = self.advance();
        let column = located.column;
        let leaf = |node: Node, kind: Type| Ok(Typed { node, kind, column, depth: 1 });
        match located.token {
            Token::Number(number) => leaf(Node::Number(number), Type::Number),
            Token::Text(text) => leaf(Node::Text(text), Type::Text),
            Token::Word(word) => match word.as_str() {
                "true" => leaf(Node::Bool(true), Type::Bool),
                "false" => leaf(Node::Bool(false), Type::Bool),
                _ => match NAMES.iter().find(|(written, _, _)| *written == word) {
                    Some((_, name, kind)) => leaf(Node::Name(*name), *kind),
                    None => {
                        let known = NAMES.iter().map(|(written, _, _)| *written).collect::<Vec<_>>().join(", ");
                        Err(error(column, format!("unknown name `{word}`; known names are {known}")))
                    }
                },
            },
            Token::OpenParen => {
                self.enter(column)?;
                let inner = self.or()?;
                self.nesting -= 1;
                let closing = self.advance();
                if closing.token != Token::CloseParen {
                    return Err(error(
                        closing.column,
                        format!("expected `)` to close the `(` at column {column}, found {}", closing.token.describe()),
                    ));
                }
                let depth = check_depth(inner.depth + 1, column)?;
                Ok(Typed { depth, column, ..inner })
            }
            other => Err(error(column, format!("expected a value, a name or `(`, found {}", other.describe()))),
        }
    }

    fn enter(&mut self, column: usize) -> Result<(), ExprError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(error(column, format!("the expression nests more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }
}

fn check_depth(depth: usize, column: usize) -> Result<usize, ExprError> {
    if depth > MAX_DEPTH {
        return Err(error(column, format!("the expression nests more than {MAX_DEPTH} levels deep")));
    }
    Ok(depth)
}

/// Builds a binary node after checking its operands' types.
fn combine(op: BinaryOp, column: usize, left: Typed, right: Typed) -> Result<Typed, ExprError> {
    let symbol = op.symbol();
    let kind = match op {
        BinaryOp::Or | BinaryOp::And => {
            for operand in [&left, &right] {
                if operand.kind != Type::Bool {
                    return Err(error(
                        operand.column,
                        format!("`{symbol}` combines booleans, found a {}", operand.kind.name()),
                    ));
                }
            }
            Type::Bool
        }
        BinaryOp::Equal | BinaryOp::NotEqual => {
            if left.kind != right.kind {
                return Err(error(
                    column,
                    format!("`{symbol}` compares a {} with a {}", left.kind.name(), right.kind.name()),
                ));
            }
            Type::Bool
        }
        _ => {
            for operand in [&left, &right] {
                if operand.kind != Type::Number {
                    return Err(error(
                        operand.column,
                        format!("`{symbol}` takes numbers, found a {}", operand.kind.name()),
                    ));
                }
            }
            if matches!(op, BinaryOp::Less | BinaryOp::LessOrEqual | BinaryOp::Greater | BinaryOp::GreaterOrEqual) {
                Type::Bool
            } else {
                Type::Number
            }
        }
    };
    let depth = check_depth(left.depth.max(right.depth) + 1, column)?;
    Ok(Typed {
        node: Node::Binary { op, left: Box::new(left.node), right: Box::new(right.node) },
        kind,
        column: left.column,
        depth,
    })
}

// ---------------------------------------------------------------------------------------------
// Evaluation

#[derive(Clone, Copy, Debug, PartialEq)]
enum Value<'a> {
    Number(f64),
    Text(&'a str),
    Bool(bool),
}

/// A result that cannot be known: a division by zero or an overflow.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Unknown;

fn evaluate<'a>(node: &'a Node, context: &Context<'a>) -> Result<Value<'a>, Unknown> {
    Ok(match node {
        Node::Number(number) => Value::Number(*number),
        Node::Text(text) => Value::Text(text),
        Node::Bool(flag) => Value::Bool(*flag),
        Node::Name(name) => match name {
            Name::Value => Value::Number(context.value),
            Name::Unit => Value::Text(context.unit),
            Name::Hour => Value::Number(f64::from(context.hour)),
            Name::SensorId => Value::Text(context.sensor.id.as_str()),
            Name::SensorKind => Value::Text(&context.sensor.kind),
            Name::SensorZone => Value::Text(context.sensor.zone.as_ref().map_or("", |zone| zone.as_str())),
            Name::SensorCommune => Value::Text(context.sensor.commune.as_str()),
            Name::SensorCriticality => Value::Number(f64::from(context.sensor.criticality)),
        },
        Node::Not(operand) => Value::Bool(!as_bool(evaluate(operand, context)?)),
        Node::Negate(operand) => Value::Number(-as_number(evaluate(operand, context)?)),
        Node::Binary { op: BinaryOp::And, left, right } => {
            let left = evaluate(left, context).map(as_bool);
            if left == Ok(false) {
                return Ok(Value::Bool(false));
            }
            match (left, evaluate(right, context).map(as_bool)) {
                (_, Ok(false)) => Value::Bool(false),
                (Ok(true), Ok(true)) => Value::Bool(true),
                _ => return Err(Unknown),
            }
        }
        Node::Binary { op: BinaryOp::Or, left, right } => {
            let left = evaluate(left, context).map(as_bool);
            if left == Ok(true) {
                return Ok(Value::Bool(true));
            }
            match (left, evaluate(right, context).map(as_bool)) {
                (_, Ok(true)) => Value::Bool(true),
                (Ok(false), Ok(false)) => Value::Bool(false),
                _ => return Err(Unknown),
            }
        }
        Node::Binary { op, left, right } => {
            let left = evaluate(left, context)?;
            let right = evaluate(right, context)?;
            binary(*op, left, right)?
        }
    })
}

fn binary<'a>(op: BinaryOp, left: Value<'a>, right: Value<'a>) -> Result<Value<'a>, Unknown> {
    if let BinaryOp::Equal | BinaryOp::NotEqual = op {
        // Types were checked at parse time, so mixed pairs cannot happen; they compare unequal.
        let equal = match (left, right) {
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        };
        return Ok(Value::Bool(equal == (op == BinaryOp::Equal)));
    }
    let (a, b) = (as_number(left), as_number(right));
    let number = match op {
        BinaryOp::Less => return Ok(Value::Bool(a < b)),
        BinaryOp::LessOrEqual => return Ok(Value::Bool(a <= b)),
        BinaryOp::Greater => return Ok(Value::Bool(a > b)),
        BinaryOp::GreaterOrEqual => return Ok(Value::Bool(a >= b)),
        BinaryOp::Add => a + b,
        BinaryOp::Subtract => a - b,
        BinaryOp::Multiply => a * b,
        BinaryOp::Divide | BinaryOp::Remainder if b == 0.0 => return Err(Unknown),
        BinaryOp::Divide => a / b,
        BinaryOp::Remainder => a % b,
        BinaryOp::Equal | BinaryOp::NotEqual | BinaryOp::And | BinaryOp::Or => return Err(Unknown),
    };
    if number.is_finite() || !(a.is_finite() && b.is_finite()) {
        // A non-finite operand (a NaN reading) propagates as IEEE 754 says; only an overflow
        // of finite operands is unknown.
        Ok(Value::Number(number))
    } else {
        Err(Unknown)
    }
}

/// The parse-time type check guarantees the operand's type; anything else reads as false/NaN.
fn as_bool(value: Value<'_>) -> bool {
    matches!(value, Value::Bool(true))
}

fn as_number(value: Value<'_>) -> f64 {
    match value {
        Value::Number(number) => number,
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests;

//! What a load can get wrong: every problem of one attempt, each with the field path, the
//! place it was read (file:line:column, environment variable, override) and the reason.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::node::Origin;

/// A load that failed: every problem found in one attempt, in the order they were found.
///
/// Nothing was built or published; a running registry keeps its last good values. The
/// `Display` lists one problem per line. No message quotes the value of a secret field.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

/// One problem of a load.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    path: String,
    origin: Option<Origin>,
    kind: ProblemKind,
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file could not be read (absent, unreadable), or a file format is not enabled.
    Io {
        /// The file.
        path: Arc<Path>,
        /// Why.
        message: String,
    },
    /// A file is not valid in its format; the origin has the line and column.
    Syntax {
        /// The format's name, such as `TOML`.
        format: &'static str,
        /// The parser's message (it never quotes the file).
        message: String,
    },
    /// A value that the field's type does not accept: a wrong type, a number out of range, a
    /// string that does not parse, an unknown enum variant.
    Invalid {
        /// What was expected and what was found; for a secret field, never the value.
        message: String,
    },
    /// A key that names no field.
    UnknownKey {
        /// The key as written.
        key: String,
        /// The closest field name, when one is close enough to be a likely typo.
        did_you_mean: Option<String>,
    },
    /// A required field without a default that no source set.
    Missing {
        /// The environment variable that would have set it, if the loader reads the
        /// environment.
        env_var: Option<String>,
    },
    /// A validator refused the value.
    Validation {
        /// The validator's message.
        message: String,
    },
    /// Two sources that cannot both be used, such as `NAME` and `NAME_FILE` both set.
    Conflict {
        /// What conflicts.
        message: String,
    },
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, origin: Option<Origin>, kind: ProblemKind) -> Self {
        Self {
            path: path.into(),
            origin,
            kind,
        }
    }

    /// The dotted path of the field (`database.pool_size`, `routes["/"]`, `servers[2].port`),
    /// or `""` when the problem is about a whole file or the whole struct.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where the offending value or key was read, when it was read from somewhere.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ProblemKind {
        &self.kind
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "`{}`: ", self.path)?;
        }
        match &self.kind {
            ProblemKind::Io { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            ProblemKind::Syntax { format, message } => write!(f, "invalid {format}: {message}"),
            ProblemKind::Invalid { message } => f.write_str(message),
            ProblemKind::UnknownKey { key, did_you_mean } => {
                write!(f, "unknown key `{key}`")?;
                match did_you_mean {
                    Some(name) => write!(f, "; did you mean `{name}`?"),
                    None => Ok(()),
                }
            }
            ProblemKind::Missing {
                env_var: Some(env_var),
            } => write!(
                f,
                "missing: the field has no default and no source sets it (set it in a file, \
                 or with the environment variable {env_var})"
            ),
            ProblemKind::Missing { env_var: None } => {
                f.write_str("missing: the field has no default and no source sets it")
            }
            ProblemKind::Validation { message } => write!(f, "refused by validation: {message}"),
            ProblemKind::Conflict { message } => f.write_str(message),
        }
    }
}

impl ConfigError {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty(), "an error has a problem");
        Self { problems }
    }

    /// Every problem, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "configuration not loaded: {count} problem{}",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

//! `ContentError`: why a subject or body could not be produced, worded so that the reason stored
//! on a failed lead tells the operator what to fix (which template, which variable, which line).
//!
//! Provider errors never carry the API key: details come from the server's answer, with the key
//! scrubbed out in case a server echoes it.

use std::fmt;
use std::time::Duration;

/// Which template of a step an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    Subject,
    Body,
}

impl TemplatePart {
    /// The name minijinja reports the template under, and the word our messages start with.
    pub fn name(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::Body => "body",
        }
    }
}

impl fmt::Display for TemplatePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Renders `" (line N)"` when the line is known, nothing otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtLine(pub Option<usize>);

impl fmt::Display for AtLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

/// Renders `" (N tokens)"` when the limit is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLimit(pub Option<u32>);

impl fmt::Display for TokenLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(limit) => write!(f, " ({limit} tokens); raise max_tokens"),
            None => f.write_str("; raise max_tokens"),
        }
    }
}

/// Renders `" (hint)"` for a non-empty hint.
struct Hint<'a>(&'a str);

impl fmt::Display for Hint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " ({})", self.0)
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContentError {
    /// The template prints, loops over or filters a variable this lead does not have (a typo, or
    /// a field that is empty for this lead). The email would have had a hole: it is not sent.
    #[error("{part} template: undefined variable {name:?}{}", AtLine(*line))]
    UndefinedVariable {
        part: TemplatePart,
        name: String,
        line: Option<usize>,
    },
    /// The template does not parse.
    #[error("{part} template: syntax error: {detail}{}", AtLine(*line))]
    Syntax {
        part: TemplatePart,
        detail: String,
        line: Option<usize>,
    },
    /// `{% include %}`, `{% import %}` or `{% extends %}`: templates see no other templates.
    #[error("{part} template: includes, imports and extends are not allowed{}", AtLine(*line))]
    IncludeNotAllowed {
        part: TemplatePart,
        line: Option<usize>,
    },
    /// Any other error while rendering (a bad filter argument, printing a null, ...).
    #[error("{part} template: {detail}{}", AtLine(*line))]
    Render {
        part: TemplatePart,
        detail: String,
        line: Option<usize>,
    },
    /// The template or what it renders to is over the size limit.
    #[error("{part} template: {what} is larger than {limit_bytes} bytes")]
    TooLarge {
        part: TemplatePart,
        what: &'static str,
        limit_bytes: usize,
    },
    /// The provider answered with an HTTP error status.
    #[error("{provider}: HTTP {status}: {detail}")]
    Provider {
        provider: &'static str,
        status: u16,
        detail: String,
    },
    /// The provider could not be reached (DNS, connect, reset).
    #[error("{provider}: request failed: {detail}")]
    Transport {
        provider: &'static str,
        detail: String,
    },
    /// The provider did not answer within the configured timeout.
    #[error("{provider}: no answer within {}s", after.as_secs_f32())]
    Timeout {
        provider: &'static str,
        after: Duration,
    },
    /// The provider answered 2xx but not with the wanted object (not JSON, a field missing).
    #[error("{provider}: unusable answer: {detail}")]
    BadAnswer {
        provider: &'static str,
        detail: String,
    },
    /// The model declined to answer (a refusal, a safety block). Asking again gets the same.
    #[error("{provider}: the model refused: {detail}")]
    Refused {
        provider: &'static str,
        detail: String,
    },
    /// The answer was cut off at the token limit before the object was complete.
    #[error("{provider}: the answer was cut off at the token limit{}", TokenLimit(*limit))]
    Truncated {
        provider: &'static str,
        limit: Option<u32>,
    },
    /// A provider was asked for but its key (or, for an OpenAI-compatible server, its base URL
    /// or model) is not configured: `"Anthropic API key not configured"`.
    #[error("{provider} {missing} not configured{}", Hint(hint))]
    NotConfigured {
        /// The provider as people name it (`"Anthropic"`).
        provider: &'static str,
        /// `"API key"`, `"base_url"`, `"model"`.
        missing: &'static str,
        /// Where to set it (`"set OUTREACHD__AI__ANTHROPIC__API_KEY"`).
        hint: String,
    },
    /// The provider cannot be built from the configuration.
    #[error("content provider configuration: {0}")]
    Config(String),
}

impl ContentError {
    /// True when the same request may succeed later: rate limits, server errors, timeouts and
    /// network failures. Template errors and 4xx answers repeat until someone fixes something.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Provider { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::UndefinedVariable { .. }
            | Self::Syntax { .. }
            | Self::IncludeNotAllowed { .. }
            | Self::Render { .. }
            | Self::TooLarge { .. }
            | Self::BadAnswer { .. }
            | Self::Refused { .. }
            | Self::Truncated { .. }
            | Self::NotConfigured { .. }
            | Self::Config(_) => false,
        }
    }

    /// True for errors in the operator's templates (as opposed to the provider).
    pub fn is_template_error(&self) -> bool {
        matches!(
            self,
            Self::UndefinedVariable { .. }
                | Self::Syntax { .. }
                | Self::IncludeNotAllowed { .. }
                | Self::Render { .. }
                | Self::TooLarge { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_variable_message_names_the_template_variable_and_line() {
        let e = ContentError::UndefinedVariable {
            part: TemplatePart::Body,
            name: "first_nme".into(),
            line: Some(1),
        };
        assert_eq!(
            e.to_string(),
            r#"body template: undefined variable "first_nme" (line 1)"#
        );
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable_but_bad_requests_are_not() {
        let status = |status| ContentError::Provider {
            provider: "openai",
            status,
            detail: String::new(),
        };
        assert!(status(429).is_retryable());
        assert!(status(503).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!status(401).is_retryable());
        assert!(status(529).is_retryable(), "Anthropic's overloaded");
        assert!(status(408).is_retryable());
    }

    #[test]
    fn refusals_truncations_and_missing_keys_name_the_defect_and_are_not_retried() {
        let refused = ContentError::Refused {
            provider: "anthropic",
            detail: "I can't help with that".into(),
        };
        let cut = ContentError::Truncated {
            provider: "gemini",
            limit: Some(600),
        };
        let missing = ContentError::NotConfigured {
            provider: "Anthropic",
            missing: "API key",
            hint: String::new(),
        };
        assert_eq!(
            refused.to_string(),
            "anthropic: the model refused: I can't help with that"
        );
        assert_eq!(
            cut.to_string(),
            "gemini: the answer was cut off at the token limit (600 tokens); raise max_tokens"
        );
        assert_eq!(missing.to_string(), "Anthropic API key not configured");
        for e in [refused, cut, missing] {
            assert!(!e.is_retryable(), "{e}");
        }
    }
}

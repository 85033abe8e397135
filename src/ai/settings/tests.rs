//! Unit tests for the `[ai]` settings: defaults, redaction, validation.

use super::*;

/// The `[ai]` section of `config/default.toml`, minus the comments.
const DEFAULT_TOML: &str = r#"
    [openai]
    api_key = ""
    base_url = "https://api.openai.com/v1"
    model = "gpt-4o-mini"
    timeout = "30s"
    max_retries = 3
    backoff_initial = "1s"
    backoff_max = "30s"
    requests_per_minute = 0
    tokens_per_minute = 0
    concurrency = 8

    [anthropic]
    api_key = ""
    base_url = "https://api.anthropic.com"
    model = "claude-haiku-4-5"
    timeout = "30s"
    max_retries = 3
    backoff_initial = "1s"
    backoff_max = "30s"
    max_tokens = 1024
    requests_per_minute = 0
    tokens_per_minute = 0
    concurrency = 8

    [gemini]
    api_key = ""
    base_url = "https://generativelanguage.googleapis.com"
    model = "gemini-2.5-flash"
    timeout = "30s"
    max_retries = 3
    backoff_initial = "1s"
    backoff_max = "30s"
    requests_per_minute = 0
    tokens_per_minute = 0
    concurrency = 8

    [openai_compatible]
    api_key = ""
    base_url = ""
    model = ""
    timeout = "30s"
    max_retries = 3
    backoff_initial = "1s"
    backoff_max = "30s"
    requests_per_minute = 0
    tokens_per_minute = 0
    concurrency = 8

    [prices."gpt-4o-mini"]
    input_usd_per_million_tokens = 0.15
    output_usd_per_million_tokens = 0.60
    [prices."gpt-4o"]
    input_usd_per_million_tokens = 2.50
    output_usd_per_million_tokens = 10.0
    [prices."claude-haiku-4-5"]
    input_usd_per_million_tokens = 1.0
    output_usd_per_million_tokens = 5.0
    [prices."claude-sonnet-4-5"]
    input_usd_per_million_tokens = 3.0
    output_usd_per_million_tokens = 15.0
    [prices."gemini-2.5-flash"]
    input_usd_per_million_tokens = 0.30
    output_usd_per_million_tokens = 2.50
    [prices."gemini-2.5-pro"]
    input_usd_per_million_tokens = 1.25
    output_usd_per_million_tokens = 10.0
"#;

#[test]
fn default_matches_the_documented_defaults() {
    let documented: AiSettings = toml::from_str(DEFAULT_TOML).unwrap();
    let render = |s: &AiSettings| toml::to_string(s).unwrap();
    assert_eq!(render(&documented), render(&AiSettings::default()));
}

#[test]
fn a_partial_section_fills_in_defaults_and_unknown_keys_are_rejected() {
    let s: AiSettings = toml::from_str("[anthropic]\nmodel = \"claude-x\"").unwrap();
    assert_eq!(s.anthropic.model, "claude-x");
    assert_eq!(s.anthropic.max_retries, 3);
    assert!(toml::from_str::<AiSettings>("[anthropic]\nmodle = \"x\"").is_err());
    assert!(toml::from_str::<AiSettings>("[mistral]\nmodel = \"x\"").is_err());
}

#[test]
fn api_keys_are_redacted_when_serialised() {
    let mut s = AiSettings::default();
    s.anthropic.api_key = SecretString::from("sk-ant-secret");
    let text = toml::to_string(&s).unwrap();
    assert!(
        !text.contains("sk-ant-secret") && text.contains("[redacted]"),
        "{text}"
    );
    assert!(!format!("{s:?}").contains("sk-ant-secret"));
}

#[test]
fn the_defaults_are_valid_without_any_key() {
    assert!(AiSettings::default().validate().is_empty());
}

#[test]
fn each_problem_names_its_key() {
    let mut s = AiSettings::default();
    s.anthropic.temperature = Some(1.5);
    s.openai.temperature = Some(1.5);
    s.gemini.concurrency = 0;
    s.openai_compatible.base_url = "localhost:11434".into();
    s.openai.max_tokens = Some(0);
    s.anthropic.backoff_initial = HumanDuration::from_secs(60);
    s.prices.insert(
        "m".into(),
        ModelPrice {
            input_usd_per_million_tokens: -1.0,
            output_usd_per_million_tokens: 1.0,
        },
    );
    let problems = s.validate().join("\n");
    for expected in [
        "ai.anthropic.temperature: must be between 0 and 1",
        "ai.gemini.concurrency: must be at least 1",
        "ai.openai_compatible.base_url: must start with http:// or https://",
        "ai.openai.max_tokens: must be at least 1",
        "ai.anthropic: backoff_initial (1m) is greater than backoff_max (30s)",
        "ai.prices.\"m\": token prices must be zero or more",
    ] {
        assert!(problems.contains(expected), "{expected} in:\n{problems}");
    }
    assert!(
        !problems.contains("ai.openai.temperature"),
        "OpenAI takes up to 2"
    );
}

#[test]
fn a_provider_is_usable_with_its_key_and_a_compatible_server_with_its_base_url() {
    let mut s = AiSettings::default();
    assert!(s.check_usable(ProviderName::Openai, None).is_err());
    s.openai.api_key = SecretString::from("sk-1");
    assert!(s.check_usable(ProviderName::Openai, None).is_ok());
    s.openai_compatible.base_url = "http://localhost:11434/v1".into();
    assert!(
        s.check_usable(ProviderName::OpenaiCompatible, None)
            .is_err(),
        "no model"
    );
    assert!(
        s.check_usable(ProviderName::OpenaiCompatible, Some("llama3.1"))
            .is_ok()
    );
}

#[test]
fn the_loaded_configuration_keeps_dotted_model_names_and_reads_keys_from_the_environment() {
    let env = std::collections::HashMap::from([(
        "OUTREACHD__AI__ANTHROPIC__API_KEY".to_owned(),
        "sk-ant-env".to_owned(),
    )]);
    let loaded = crate::config::load(&[], &env).unwrap().settings.ai;
    assert_eq!(loaded.prices, AiSettings::default().prices);
    assert_eq!(loaded.anthropic.api_key(), Some("sk-ant-env"));
}

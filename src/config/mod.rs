//! Typed, layered, strict configuration.
//!
//! `config/default.toml` (compiled in) < files from `--config` / `$OUTREACHD_CONFIG` < environment
//! variables `OUTREACHD__SECTION__KEY`. Every struct denies unknown fields, rates and durations
//! parse from strings with units, and secrets are `SecretString`. Nothing else in the crate reads
//! environment variables. Errors name the file, line and key at fault.

mod database_url;
mod live;
mod load;
mod reload;
mod settings;

pub use database_url::{Backend, UnsupportedUrl, backend_of, redact_url};
pub use live::Live;
pub use load::{ConfigError, ENV_PREFIX, LoadedSettings, ignored_env_vars, load};
pub use reload::{
    ConfigChange, LIVE_KEYS, Reload, diff_settings, live_dispatch, reload_class, render_changes,
};
pub use settings::*;

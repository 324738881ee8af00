//! Views of the settings: `config show --json` / `GET /config` (every setting with its value,
//! source and environment variable) and `config get KEY --json`.

use crate::config::{Loaded, SETTINGS, Source};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One setting's effective value, where it came from and the variable that overrides it.
/// `api_key` shows only whether it is set (`true`/`false`), never the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingView {
    /// The effective value (`null` for a key that is not a setting).
    pub value: Option<serde_json::Value>,
    /// `default`, `file` or `env`.
    pub source: &'static str,
    /// The environment variable that overrides the setting.
    pub env: &'static str,
}

/// Every setting: what `config show --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigShowView {
    /// The user config file's path.
    pub config_file: String,
    /// Each setting by key.
    pub settings: BTreeMap<String, SettingView>,
}

/// One setting: what `config get KEY --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigGetView {
    /// The setting's key.
    pub key: String,
    /// The effective value.
    pub value: Option<serde_json::Value>,
    /// `default`, `file` or `env`.
    pub source: &'static str,
    /// The environment variable that overrides it (`null` for an unknown key).
    pub env: Option<&'static str>,
}

fn source_of(loaded: &Loaded, key: &str) -> Source {
    loaded.sources.get(key).copied().unwrap_or(Source::Default)
}

/// The view of every setting, loaded with their sources, and the config file it reads.
pub fn config_show(loaded: &Loaded, config_file: &Path) -> ConfigShowView {
    let settings = SETTINGS
        .iter()
        .map(|info| {
            (
                info.key.to_string(),
                SettingView {
                    value: loaded.settings.json(info.key),
                    source: source_of(loaded, info.key).as_str(),
                    env: info.env,
                },
            )
        })
        .collect();
    ConfigShowView {
        config_file: config_file.display().to_string(),
        settings,
    }
}

/// The view of one setting.
pub fn config_get(loaded: &Loaded, key: &str) -> ConfigGetView {
    ConfigGetView {
        key: key.to_string(),
        value: loaded.settings.json(key),
        source: source_of(loaded, key).as_str(),
        env: SETTINGS.iter().find(|i| i.key == key).map(|i| i.env),
    }
}

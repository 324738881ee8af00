//! The secret-file table: where keys, credentials, tokens and histories live.
//!
//! Kept as data (one table per shape of rule) so adding a credential store is one line.
//! Matching is on lower-cased path components, so it works for `~/…`, absolute paths and
//! paths inside another user's home alike, and on case-insensitive file systems. Pure.

/// Directories whose whole content is secret (public keys and `known_hosts` excepted).
/// Each entry is a sequence of path components that must appear in the directory part.
const SECRET_DIRS: &[&[&str]] = &[
    &[".ssh"],
    &[".aws"],
    &[".gnupg"],
    &[".password-store"],
    &["keychains"],
    &[".azure"],
    &[".1password"],
    &[".config", "gcloud"],
    &[".config", "op"],
    &[".oci"],
    &[".local", "share", "keyrings"],
    &[".config", "google-chrome"],
    &[".config", "chromium"],
    &[".mozilla", "firefox"],
    &[".config", "sops"],
    &[".config", "age"],
];

/// Files that are secret wherever they sit: the last components of the path.
const SECRET_FILES: &[&[&str]] = &[
    // Agent runtimes' own logins.
    &[".claude", ".credentials.json"],
    &[".gemini", "oauth_creds.json"],
    &[".gemini", "google_accounts.json"],
    &[".codex", "auth.json"],
    &[".config", "github-copilot", "apps.json"],
    &[".config", "github-copilot", "hosts.json"],
    // Forges and package registries.
    &[".config", "gh", "hosts.yml"],
    &[".config", "hub"],
    &[".config", "glab-cli", "config.yml"],
    &[".cargo", "credentials"],
    &[".cargo", "credentials.toml"],
    &[".gem", "credentials"],
    &[".config", "git", "credentials"],
    &[".nuget", "nuget", "nuget.config"],
    &[".m2", "settings.xml"],
    &[".m2", "settings-security.xml"],
    &[".gradle", "gradle.properties"],
    // Clouds and platforms.
    &[".terraform.d", "credentials.tfrc.json"],
    &[".docker", "config.json"],
    &[".kube", "config"],
    &[".huggingface", "token"],
    &[".cache", "huggingface", "token"],
    &[".kaggle", "kaggle.json"],
    &[".config", "rclone", "rclone.conf"],
    &[".config", "doctl", "config.yaml"],
    &[".fly", "config.yml"],
    &[".config", "netlify", "config.json"],
    &[".config", "configstore", "firebase-tools.json"],
    &[".wrangler", "config", "default.toml"],
    &[".snowflake", "connections.toml"],
    &[".config", "fish", "fish_history"],
    &[".local", "share", "fish", "fish_history"],
    &[".ipython", "profile_default", "history.sqlite"],
    // System accounts.
    &["etc", "shadow"],
    &["etc", "gshadow"],
    &["etc", "sudoers"],
    &["etc", "master.passwd"],
];

/// File names that are secret wherever they sit.
const SECRET_NAMES: &[&str] = &[
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".my.cnf",
    ".mylogin.cnf",
    ".git-credentials",
    ".dockercfg",
    "credentials",
    "credentials.json",
    "credentials.yml",
    "credentials.toml",
    ".htpasswd",
    "master.key",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
    "secrets.toml",
    ".vault-token",
    "login.keychain",
    "login.keychain-db",
    ".boto",
    ".s3cfg",
    "auth.json",
    ".authinfo",
    ".authinfo.gpg",
    ".databrickscfg",
    "logins.json",
    "key4.db",
    "key3.db",
    // Command histories hold typed passwords and tokens.
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".history",
    ".zhistory",
    ".lesshst",
    ".viminfo",
];

/// File extensions of key stores and state that holds secrets.
const SECRET_EXTS: &[&str] = &[
    ".key",
    ".p12",
    ".pfx",
    ".jks",
    ".keystore",
    ".kdbx",
    ".ppk",
    ".tfstate",
];

/// `.env.*` suffixes that are templates, not secrets.
const ENV_TEMPLATES: &[&str] = &[
    "example",
    "sample",
    "template",
    "dist",
    "defaults",
    "default",
    "schema",
    "test.example",
];

/// Words that, searched for recursively over a home directory, hunt for secrets.
pub(super) const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "passw",
    "api_key",
    "apikey",
    "api-key",
    "credential",
    "private key",
    "private_key",
    "aws_access",
    "bearer",
    "authorization",
    "ghp_",
    "github_pat",
    "sk-ant",
    "sk-proj",
    "xoxb",
    "xoxp",
    "akia",
];

/// True when a path names a secret: keys, credentials, tokens, `.env` files, keychains,
/// shell and REPL histories, a process's environment. Case-insensitive.
pub fn is_secret(path: &str) -> bool {
    let lower = path.to_lowercase();
    let comps: Vec<&str> = lower.split(['/', '\\']).filter(|c| !c.is_empty()).collect();
    let name = comps.last().copied().unwrap_or("");
    let dirs = comps.get(..comps.len().saturating_sub(1)).unwrap_or(&[]);
    if SECRET_DIRS
        .iter()
        .any(|seq| dirs.windows(seq.len()).any(|w| w == *seq))
    {
        // Public keys and known_hosts are not secrets.
        return !(name.ends_with(".pub") || name == "known_hosts" || name == "config.pub");
    }
    if SECRET_DIRS
        .iter()
        .any(|seq| comps.ends_with(seq) && seq.len() == 1)
    {
        return true;
    }
    if SECRET_FILES.iter().any(|seq| comps.ends_with(seq)) {
        return true;
    }
    // A process's environment and memory: `/proc/self/environ`, `/proc/1234/environ`.
    if comps.first() == Some(&"proc") && matches!(name, "environ" | "mem") {
        return true;
    }
    if name == ".env" || name.ends_with(".env") && !name.starts_with('*') {
        return name != "example.env" && name != "sample.env";
    }
    if let Some(rest) = name.strip_prefix(".env.") {
        return !ENV_TEMPLATES.contains(&rest);
    }
    if SECRET_EXTS
        .iter()
        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
    {
        return true;
    }
    // .pem holds certificates as often as keys: secret when the name says key.
    if name.ends_with(".pem")
        && (name.contains("key") || name.contains("priv") || name.contains("secret"))
    {
        return true;
    }
    for prefix in ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"] {
        if name.starts_with(prefix) {
            return !name.ends_with(".pub");
        }
    }
    // REPL and client histories: `.python_history`, `.psql_history`, `.node_repl_history`…
    if name.starts_with('.') && name.ends_with("_history") {
        return true;
    }
    SECRET_NAMES.contains(&name)
}

/// True when `text` (a search pattern) looks for secrets.
pub(super) fn hunts_secrets(text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| l.contains(w))
        || is_secret(&l)
        || [
            ".pem",
            "id_rsa",
            "id_ed25519",
            "id_ecdsa",
            ".env",
            "_history",
        ]
        .iter()
        .any(|w| l.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_stores_are_secret() {
        for s in [
            "/home/u/.claude/.credentials.json",
            "/home/u/.config/gh/hosts.yml",
            "/home/u/.gemini/oauth_creds.json",
            "/home/u/.cargo/credentials.toml",
            "/home/u/.cargo/credentials",
            "/home/u/.config/github-copilot/apps.json",
            "/home/u/.terraform.d/credentials.tfrc.json",
            "/home/u/.huggingface/token",
            "/home/u/.cache/huggingface/token",
            "/proc/self/environ",
            "/proc/4242/environ",
            "/home/u/.bash_history",
            "/home/u/.zsh_history",
            "/home/u/.local/share/fish/fish_history",
            "/home/u/.python_history",
            "/home/u/.psql_history",
            "/home/u/.mysql_history",
            "/home/u/.node_repl_history",
            "/home/u/.docker/config.json",
            "/home/u/.kube/config",
            "/home/u/.npmrc",
            "/home/u/.pypirc",
            "/home/u/.netrc",
            "/home/u/.config/gcloud/application_default_credentials.json",
            "/home/u/.azure/accessTokens.json",
            "/home/u/.git-credentials",
            "/home/u/.vault-token",
            "/home/u/.kaggle/kaggle.json",
            "/home/u/.config/rclone/rclone.conf",
            "/home/u/.m2/settings.xml",
            "/home/u/.my.cnf",
            "/home/u/.ssh",
        ] {
            assert!(is_secret(s), "{s}");
        }
    }

    #[test]
    fn ordinary_files_are_not_secret() {
        for s in [
            "/home/u/.config/gh/config.yml",
            "/home/u/proj/src/history.rs",
            "/home/u/proj/token.rs",
            "/proc/cpuinfo",
            "/home/u/.ssh/id_ed25519.pub",
            "/home/u/.cargo/config.toml",
            "/home/u/proj/README.md",
            "/home/u/proj/.env.example",
        ] {
            assert!(!is_secret(s), "{s}");
        }
    }

    /// Every table entry, as a path in a home, is read as a secret by a file tool and by
    /// `cat`/`base64`, and never generalized.
    #[test]
    fn every_table_entry_is_judged_a_secret() {
        let ctx = crate::risk::Context {
            cwd: "/home/u/proj".into(),
            project: "/home/u/proj".into(),
            home: "/home/u".into(),
            ..Default::default()
        };
        let mut paths: Vec<String> = Vec::new();
        paths.extend(
            SECRET_DIRS
                .iter()
                .map(|d| format!("/home/u/{}/x", d.join("/"))),
        );
        paths.extend(
            SECRET_FILES
                .iter()
                .map(|f| format!("/home/u/{}", f.join("/"))),
        );
        paths.extend(SECRET_NAMES.iter().map(|n| format!("/home/u/{n}")));
        paths.extend(SECRET_EXTS.iter().map(|e| format!("/home/u/proj/a{e}")));
        for p in &paths {
            let a = crate::risk::assess("filesystem", "read", p, &ctx);
            assert!(a.risk.tier >= crate::request::RiskTier::High, "read {p}");
            assert!(a.segments.iter().all(|s| s.pattern.is_none()), "read {p}");
            for prog in ["cat", "base64", "xxd"] {
                let a = crate::risk::assess("shell", "execute", &format!("{prog} '{p}'"), &ctx);
                assert!(a.risk.tier >= crate::request::RiskTier::High, "{prog} {p}");
                assert!(a.segments.iter().all(|s| s.pattern.is_none()), "{prog} {p}");
            }
        }
    }

    #[test]
    fn secret_hunting_words() {
        assert!(hunts_secrets("TOKEN"));
        assert!(hunts_secrets("aws_secret_access_key"));
        assert!(hunts_secrets("BEGIN OPENSSH PRIVATE KEY"));
        assert!(!hunts_secrets("fn main"));
    }
}

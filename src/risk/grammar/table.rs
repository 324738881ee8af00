//! The word grammar's data: verbs, flags, targets, listeners, tunnels and credential shapes.
//!
//! Every row is matched by [`super`] as a whole word (ASCII case ignored) unless its table
//! says otherwise; adding a word is one line here and one row in the unit tests.

/// Subcommand words that name irreversible destruction. On a program no family owns, one of
/// them alone is HIGH (as before the grammar); with a confirmation-skipping flag, HIGH on any
/// program; with a production or all-embracing target as well, CRITICAL.
pub(in crate::risk) const HARD_VERBS: &[&str] = &[
    "delete",
    "destroy",
    "drop",
    "purge",
    "wipe",
    "erase",
    "truncate",
    "flush",
    "flushall",
    "flushdb",
    "terminate",
    "deprovision",
    "nuke",
    "obliterate",
    "rdelete",
    "unpublish",
    "yank",
    "revoke",
    "invalidate",
    "reset",
    "prune",
    "break-lock",
    "teardown",
    "deregister",
    "unregister",
    "decommission",
    "compact",
    "expire",
    "evict",
];

/// Subcommand words that remove or stop something recoverable on most tools: MEDIUM alone on
/// an unowned program, HIGH with a confirmation-skipping flag, CRITICAL with a production or
/// all-embracing target as well. On a program a family owns they never raise (`pip uninstall
/// -y`, `docker compose down` are the family's to judge).
pub(super) const SOFT_VERBS: &[&str] = &[
    "rm",
    "rmi",
    "rb",
    "remove",
    "uninstall",
    "disable",
    "detach",
    "unset",
    "release",
    "clean",
    "clear",
    "down",
    "kill",
    "stop",
    "drain",
    "restore",
    "cancel",
];

/// Flags whose name starts with one of these words name destruction (`--delete`,
/// `--purge-all`, `--drop-database`).
pub(super) const VERB_FLAG_HEADS: &[&str] = &[
    "delete", "drop", "purge", "remove", "wipe", "truncate", "reset", "destroy", "erase",
];

/// Single-dash flags that name destruction (`nomad job stop -purge`); other single-dash
/// words are too often something else (`lipo -remove arch`).
pub(super) const SHORT_VERB_FLAGS: &[&str] = &["-purge", "-delete", "-destroy", "-wipe"];

/// Flags that skip the confirmation a destructive command would ask for (exact words, or the
/// word followed by `=value`).
pub(super) const SKIP_FLAGS: &[&str] = &[
    "--force",
    "-force",
    "--yes",
    "-yes",
    "-y",
    "--assume-yes",
    "--auto-approve",
    "-auto-approve",
    "--approve",
    "--confirm",
    "-confirm",
    "--no-prompt",
    "--noprompt",
    "--no-confirm",
    "--noconfirm",
    "--no-confirmation",
    "--skip-confirmation",
    "--skip-confirm",
    "--non-interactive",
    "--noninteractive",
    "--no-interactive",
    "--no-input",
    "--silent",
    "--quiet-confirm",
    "--dangerous",
    "--yes-i-really-mean-it",
    "--i-am-sure",
    "--all",
];

/// Programs whose `-f` is known to mean `--force` (elsewhere `-f` often means `--file`, so it
/// only counts for these).
pub(super) const SHORT_FORCE: &[&str] = &[
    "doctl", "mc", "mcli", "rclone", "hcloud", "exo", "nomad", "knife", "pscale", "turso",
];

/// Flags that make the command cover everything of its kind.
pub(super) const ALL_FLAGS: &[&str] = &[
    "--all",
    "-all",
    "--all-projects",
    "--all-namespaces",
    "--everything",
    "--delete-all",
];

/// Words of a target that say production (matched as a whole part of a name split on
/// `-_./:=@,`: `prod`, `api-production`, `acme/prod`).
pub(super) const PROD_WORDS: &[&str] = &["prod", "production", "prd", "live"];

/// Subcommand nouns whose deletion takes a whole project, account, organisation or cluster.
pub(super) const WHOLE_NOUNS: &[&str] = &[
    "project",
    "projects",
    "account",
    "accounts",
    "org",
    "orgs",
    "organization",
    "organizations",
    "organisation",
    "cluster",
    "clusters",
    "workspace",
    "workspaces",
    "team",
    "teams",
    "tenant",
    "subscription",
    "proj",
    "namespace",
];

/// Subcommand words that only read or preview: a command whose first verb is one of them is
/// rated as reading unless another part of it says otherwise. (`test`, `fmt`, `lint` are not
/// here: they run code or rewrite files on most tools.)
pub(super) const READ_VERBS: &[&str] = &[
    "list",
    "ls",
    "get",
    "describe",
    "show",
    "status",
    "view",
    "info",
    "inspect",
    "plan",
    "diff",
    "preview",
    "validate",
    "check",
    "version",
    "help",
    "whoami",
    "logs",
    "log",
    "history",
    "output",
    "lookup",
    "read",
    "search",
    "find",
    "cat",
    "stat",
    "du",
    "top",
    "doctor",
    "diagnose",
    "render",
    "trace",
    "members",
    "events",
    "stats",
    "tree",
    "explain",
    "completion",
    "about",
    "monitor",
    "wait",
    "ping",
];

/// Subcommand words that change state without destroying: they end the search for a verb
/// (`flyctl deploy`, `vault kv put`), and the program is rated as an unknown program.
pub(super) const CHANGE_VERBS: &[&str] = &[
    "create", "add", "set", "update", "deploy", "apply", "up", "run", "exec", "start", "restart",
    "scale", "push", "publish", "install", "import", "put", "write", "edit", "patch", "login",
    "logout", "sync", "upgrade", "rollback", "migrate", "init", "link", "new", "build", "copy",
    "cp", "mv", "move", "rename", "reboot", "share", "serve", "open", "ssh", "connect",
];

/// Flags that make the command a preview or a help text.
pub(super) const PREVIEW_FLAGS: &[&str] = &[
    "--dry-run",
    "--dryrun",
    "-dry-run",
    "--what-if",
    "--whatif",
    "-whatif",
    "--preview-only",
    "--check",
    "--help",
    "-h",
    "-help",
    "--plan",
    "--noop",
    "--simulate",
    "--validate-only",
    "--why-run",
];

/// Options whose value is the address a listener binds to (`*` and `0` only count here).
pub(super) const BIND_FLAGS: &[&str] = &[
    "--host",
    "-host",
    "--bind",
    "-bind",
    "-b",
    "--ip",
    "-ip",
    "-i",
    "--listen",
    "-l",
    "--address",
    "--addr",
    "--bind-addr",
    "--bind-address",
    "--listen-address",
    "--http-address",
    "--server.address",
    "--bind_ip",
    "--hostname",
    "-H",
];

/// Options that switch a server's bind to every interface on their own.
pub(super) const BIND_ALL_FLAGS: &[&str] = &["--bind_ip_all", "--bind-all", "--listen-all"];

/// Programs that are clients of an address, not listeners on it.
pub(super) const ADDRESS_CLIENTS: &[&str] = &[
    "ping",
    "ping6",
    "curl",
    "wget",
    "http",
    "https",
    "xh",
    "dig",
    "host",
    "nslookup",
    "traceroute",
    "telnet",
    "nmap",
    "ip",
    "route",
    "iptables",
    "ip6tables",
    "ufw",
    "ipcalc",
    "grep",
    "rg",
    "echo",
    "printf",
    "netstat",
    "ss",
    "sed",
    "awk",
];

/// Programs that publish a local port on the internet, and the subcommands that only read or
/// configure them (`ngrok version`, `cloudflared tunnel list`).
pub(in crate::risk) const TUNNELS: &[(&str, &[&str])] = &[
    (
        "ngrok",
        &[
            "version",
            "help",
            "config",
            "diagnose",
            "update",
            "credits",
            "api",
            "completion",
            "service",
        ],
    ),
    ("lt", &[]),
    ("localtunnel", &[]),
    ("bore", &[]),
    ("loclx", &["account", "version", "help"]),
    ("localxpose", &["account", "version", "help"]),
    (
        "zrok",
        &[
            "status", "version", "overview", "enable", "disable", "help", "ls",
        ],
    ),
    ("pagekite", &[]),
    ("pagekite.py", &[]),
    ("telebit", &["status", "help"]),
    ("expose", &["help"]),
    ("pinggy", &[]),
    (
        "devtunnel",
        &["list", "show", "login", "logout", "user", "help"],
    ),
];

/// Subcommand paths of a program that publish a local port (`cloudflared tunnel --url`,
/// `tailscale funnel 3000`); the words after them that only read (`list`, `status`).
pub(super) const TUNNEL_SUBCOMMANDS: &[(&str, &str, &[&str])] = &[
    (
        "cloudflared",
        "tunnel",
        &[
            "list", "info", "login", "create", "route", "cleanup", "token", "help", "vnet",
            "ingress",
        ],
    ),
    ("tailscale", "funnel", &["status", "off", "help"]),
];

/// Options that switch a server's protection off: a bare flag.
pub(in crate::risk) const AUTH_OFF_FLAGS: &[&str] = &[
    "--no-auth",
    "--noauth",
    "--disable-auth",
    "--without-auth",
    "--skip-auth",
    "--allow-anonymous",
    "--allow-unauthenticated",
    "--no-password",
    "--disable-token",
    "--insecure-no-auth",
];

/// Options whose value `none`/`no`/`false`/`off` (or an empty value) switches protection off.
pub(super) const AUTH_VALUE_FLAGS: &[&str] = &[
    "--auth",
    "--authentication",
    "--auth-type",
    "--protected-mode",
    "--requirepass",
];

/// Option name endings whose empty value leaves a server open (`--NotebookApp.token=`).
pub(super) const EMPTY_SECRET_SUFFIXES: &[&str] = &[".token", ".password", ".auth_token"];

/// Programs (or module names) that serve a directory over HTTP, and the options naming it.
pub(in crate::risk) const FILE_SERVERS: &[&str] = &[
    "http.server",
    "simplehttpserver",
    "http-server",
    "serve",
    "miniserve",
    "darkhttpd",
    "static-web-server",
    "live-server",
    "webfsd",
    "httpd",
    "file-server",
    "servez",
    "dufs",
];

/// Options whose value is a file server's document root.
pub(super) const ROOT_FLAGS: &[&str] = &[
    "-d",
    "--directory",
    "-t",
    "--root",
    "-r",
    "-h",
    "--docroot",
    "--document-root",
    "--dir",
    "--path",
    "--homepath",
];

/// Programs that send their arguments over the network.
pub(super) const NETWORK_SENDERS: &[&str] = &[
    "curl", "wget", "http", "https", "httpie", "xh", "xhs", "curlie", "grpcurl", "websocat",
    "wscat", "aria2c", "hurl",
];

/// Credential prefixes and the least number of token characters that must follow them.
pub(super) const CREDENTIAL_PREFIXES: &[(&str, usize)] = &[
    ("ghp_", 30),
    ("gho_", 30),
    ("ghu_", 30),
    ("ghs_", 30),
    ("ghr_", 30),
    ("github_pat_", 40),
    ("xoxb-", 16),
    ("xoxa-", 16),
    ("xoxp-", 16),
    ("xoxr-", 16),
    ("xoxs-", 16),
    ("sk-ant-", 24),
    ("sk-proj-", 24),
    ("sk-", 24),
    ("sk_live_", 16),
    ("rk_live_", 16),
    ("glpat-", 20),
    ("npm_", 30),
    ("pypi-", 40),
    ("akia", 16),
    ("asia", 16),
    ("hf_", 30),
    ("dop_v1_", 40),
];

/// Names whose `=value` (or `: value`) is a credential when the value looks random.
pub(super) const SECRET_KEYS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "apikey",
    "auth",
    "bearer",
    "signature",
    "sig",
    "credential",
    "credentials",
];

/// Marks a private key's text.
pub(super) const PRIVATE_KEY_MARK: &str = "private key-----";

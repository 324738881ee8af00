//! The one way tests run an admin command without a terminal (issue 16, "admin acts need a
//! human"): [`AdminCmd::admin`]. Include it with `mod admin_support;` (or `#[path]` from
//! another support module) and `use admin_support::AdminCmd;`.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::Path;

/// The one way tests run an admin command (`grant`, `bootstrap`, `revoke`, `config set`,
/// `config unset`, `policy add`, and their `--revoke`/`--remove` forms) without a terminal: the arguments
/// plus a challenge in `AIPERTURE_ADMIN_CHALLENGE` signed with the install key of `home`
/// (created if missing, as the binary would) for exactly those arguments. Written from the
/// format docs/security.md gives scripts, not from the binary's code, so it also checks the
/// documentation. `use admin_support::AdminCmd;` then `cmd.admin(&home, &["grant", …])`.
pub trait AdminCmd {
    /// Adds `args` and a fresh challenge for them.
    fn admin(&mut self, home: &Path, args: &[&str]) -> &mut Self;

    /// Adds `args`, with a challenge when they are an admin act ([`is_admin_act`]), for
    /// helpers that run any command.
    fn args_signed_if_admin(&mut self, home: &Path, args: &[&str]) -> &mut Self;
}

/// Whether `args` name a command that needs a human (or a challenge).
pub fn is_admin_act(args: &[&str]) -> bool {
    match args {
        ["grant", rest @ ..] => !rest.contains(&"--list"),
        ["bootstrap", rest @ ..] => !rest.contains(&"--list"),
        ["revoke", ..]
        | ["config", "set" | "unset", ..]
        | ["configure", ..]
        | ["policy", "add", ..]
        | ["store", "migrate", ..] => true,
        _ => false,
    }
}

impl AdminCmd for Command {
    fn admin(&mut self, home: &Path, args: &[&str]) -> &mut Self {
        self.args(args)
            .env("AIPERTURE_ADMIN_CHALLENGE", admin_challenge(home, args))
    }

    fn args_signed_if_admin(&mut self, home: &Path, args: &[&str]) -> &mut Self {
        if is_admin_act(args) {
            self.admin(home, args)
        } else {
            self.args(args)
        }
    }
}

impl AdminCmd for std::process::Command {
    fn admin(&mut self, home: &Path, args: &[&str]) -> &mut Self {
        self.args(args)
            .env("AIPERTURE_ADMIN_CHALLENGE", admin_challenge(home, args))
    }

    fn args_signed_if_admin(&mut self, home: &Path, args: &[&str]) -> &mut Self {
        if is_admin_act(args) {
            self.admin(home, args)
        } else {
            self.args(args)
        }
    }
}

/// A challenge for `args` signed with the key in `home`: `a1.<secs>.<nonce>.<mac>`, the
/// HMAC-SHA256 over `aiperture-admin-v1`, the seconds, the nonce and the arguments, joined
/// by NUL bytes.
pub fn admin_challenge(home: &Path, args: &[&str]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let key = aiperture::key::load_or_create(&home.join("key")).unwrap();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).unwrap();
    let nonce = hex::encode(raw);
    let mut msg = format!("aiperture-admin-v1\0{secs}\0{nonce}").into_bytes();
    for a in args {
        msg.push(0);
        msg.extend_from_slice(a.as_bytes());
    }
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    m.update(&msg);
    let mac = hex::encode(m.finalize().into_bytes());
    format!("a1.{secs}.{nonce}.{mac}")
}

//! Reading a command's verbs: the first subcommand word that is a known verb, destructive
//! flags, confirmation-skipping flags, production or all-embracing targets, previews.

use super::table::{
    ALL_FLAGS, CHANGE_VERBS, HARD_VERBS, PREVIEW_FLAGS, PROD_WORDS, READ_VERBS, SHORT_FORCE,
    SHORT_VERB_FLAGS, SKIP_FLAGS, SOFT_VERBS, VERB_FLAG_HEADS, WHOLE_NOUNS,
};
use crate::shell::SimpleCommand;

/// How hard a destructive verb is to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strength {
    /// Irreversible on most tools (`delete`, `destroy`, `purge`).
    Hard,
    /// Recoverable on most tools (`rm`, `uninstall`, `down`).
    Soft,
}

/// What the words of one command say.
#[derive(Debug, Default)]
pub(super) struct Reading<'a> {
    /// The destructive verb found (a subcommand word or a flag) and its strength.
    pub verb: Option<(&'a str, Strength)>,
    /// The confirmation-skipping flag found.
    pub skip: Option<&'a str>,
    /// The production or all-embracing target found.
    pub wide: Option<&'a str>,
    /// The first verb among the subcommand words only reads.
    pub reading: bool,
    /// A preview or help flag is present.
    pub preview: bool,
}

/// How many positional words count as subcommands.
const SUBCOMMAND_WORDS: usize = 4;

/// True when `word` equals one of `table` (ASCII case ignored).
pub(super) fn is_in(table: &[&str], word: &str) -> bool {
    table.iter().any(|t| t.eq_ignore_ascii_case(word))
}

/// The class of a subcommand word, from the word itself or from one part of a compound word
/// (`cluster-delete`, `sites:delete`, `pkg.purge`, `delete-token`).
fn classify(word: &str) -> Option<Class> {
    if let Some(c) = class_of(word) {
        return Some(c);
    }
    if !word.contains(['-', ':', '_', '.']) {
        return None;
    }
    let mut found = None;
    for (n, part) in word.split(['-', ':', '_', '.']).enumerate() {
        if n >= 4 {
            return None;
        }
        if part.len() < 2 {
            continue;
        }
        match class_of(part) {
            Some(c @ (Class::Hard | Class::Soft)) => return Some(c),
            Some(c) if found.is_none() => found = Some(c),
            _ => {}
        }
    }
    found
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Hard,
    Soft,
    Read,
    Change,
}

fn class_of(word: &str) -> Option<Class> {
    if is_in(HARD_VERBS, word) {
        Some(Class::Hard)
    } else if is_in(SOFT_VERBS, word) {
        Some(Class::Soft)
    } else if is_in(READ_VERBS, word) {
        Some(Class::Read)
    } else if is_in(CHANGE_VERBS, word) {
        Some(Class::Change)
    } else {
        None
    }
}

/// The flag's name without its `=value`.
fn flag_name(t: &str) -> &str {
    t.split_once('=').map_or(t, |(k, _)| k)
}

/// True when `t` is a confirmation-skipping flag for `prog`.
fn is_skip(t: &str, prog: &str) -> bool {
    let name = flag_name(t);
    if t.len() > name.len() {
        // `--force=false`, `--yes=0` keep the prompt.
        let v = &t[name.len() + 1..];
        if matches!(
            v.to_ascii_lowercase().as_str(),
            "false" | "0" | "no" | "off"
        ) {
            return false;
        }
    }
    is_in(SKIP_FLAGS, name) || (name == "-f" && is_in(SHORT_FORCE, prog))
}

/// A destructive flag (`--delete`, `--purge-all`, `-purge`): its name.
fn verb_flag(t: &str) -> Option<&str> {
    let name = flag_name(t);
    if is_in(SHORT_VERB_FLAGS, name) {
        return Some(name);
    }
    let bare = name.strip_prefix("--")?;
    if bare.is_empty() || bare.starts_with('-') {
        return None;
    }
    let head = bare.split('-').next().unwrap_or("");
    let lower_dry = bare.len() >= 7 && bare[bare.len() - 7..].eq_ignore_ascii_case("dry-run");
    (is_in(VERB_FLAG_HEADS, head) && !lower_dry).then_some(name)
}

/// True when a part of `word` split on separators names production.
fn names_production(word: &str) -> bool {
    word.split(['-', '_', '.', '/', ':', '=', '@', ',', ' '])
        .any(|p| is_in(PROD_WORDS, p))
}

/// Reads the verbs, flags and targets of `cmd`.
pub(super) fn read<'a>(cmd: &'a SimpleCommand, prog: &str) -> Reading<'a> {
    let mut r = Reading::default();
    let mut positional = 0;
    let mut decided = false;
    let mut whole_noun: Option<&str> = None;
    let mut all_flag: Option<&str> = None;
    let mut skips = 0;
    for w in cmd.args() {
        let t = w.text.as_str();
        if t.starts_with('-') && t.len() > 1 {
            if is_in(PREVIEW_FLAGS, flag_name(t)) {
                r.preview = true;
            }
            if is_skip(t, prog) {
                skips += 1;
                r.skip.get_or_insert(t);
            }
            if is_in(ALL_FLAGS, flag_name(t)) {
                all_flag.get_or_insert(t);
            }
            if !matches!(r.verb, Some((_, Strength::Hard)))
                && let Some(name) = verb_flag(t)
            {
                r.verb = Some((name, Strength::Hard));
            }
            if let Some((_, v)) = t.split_once('=')
                && r.wide.is_none()
                && names_production(v)
            {
                r.wide = Some(t);
            }
            continue;
        }
        if w.dynamic {
            positional += 1;
            continue;
        }
        if r.wide.is_none() && names_production(t) {
            r.wide = Some(t);
        }
        if positional < SUBCOMMAND_WORDS && !decided {
            if whole_noun.is_none() && is_in(WHOLE_NOUNS, t) {
                whole_noun = Some(t);
            }
            match classify(t) {
                Some(Class::Hard) => {
                    r.verb = Some((t, Strength::Hard));
                    decided = true;
                }
                Some(Class::Soft) => {
                    if !matches!(r.verb, Some((_, Strength::Hard))) {
                        r.verb = Some((t, Strength::Soft));
                    }
                    decided = true;
                }
                Some(Class::Read) => {
                    r.reading = r.verb.is_none();
                    decided = true;
                }
                Some(Class::Change) => decided = true,
                None => {}
            }
        }
        positional += 1;
    }
    // `--all` counts as the skip or as the wide target, not as both; a prune of everything
    // unused is not a whole-account deletion.
    let prune = r
        .verb
        .is_some_and(|(v, _)| v.to_ascii_lowercase().contains("prune"));
    if r.wide.is_none() && r.verb.is_some() {
        let all_is_the_only_skip = all_flag.is_some() && skips == 1 && r.skip == all_flag;
        if let Some(n) = whole_noun {
            r.wide = Some(n);
        } else if let Some(a) = all_flag
            && !prune
            && !all_is_the_only_skip
        {
            r.wide = Some(a);
        }
    }
    if r.wide.is_some() && r.verb.is_some() && r.skip.is_some() && skips == 1 {
        // The one skip flag is the target itself (`delete --all`): HIGH, not CRITICAL.
        if r.skip == r.wide {
            r.wide = None;
        }
    }
    r
}

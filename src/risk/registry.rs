//! The registry of program rules: one owner family per program name.
//!
//! Each rule family declares, as data ([`Programs`]), the program names it judges, the names
//! it also judges with a version suffix (`python3.11`) and the name prefixes it judges
//! (`mkfs.ext4`). [`judge`] looks up the single owner of a program and calls only that
//! family; a program no family owns, or whose owner declines it (`sed` without `-i`), is left
//! to the generic rules of the caller (read-only table, destructive verbs, unknown program).
//!
//! The lookup is a binary search in one sorted table built at compile time (no allocation and
//! no hashing per call). The tests below fail when a name has a second owner, when a family
//! does not judge a name it declares, and when a family judges a name it does not declare (an
//! arm the registry would never reach).

use super::invocation::Invocation;
use super::judge::{Judge, Programs};
use super::rater::Rater;
use super::{Context, code, rules_cloud, rules_data, rules_fs, rules_git, rules_net};
use super::{rules_pkg, rules_sys};
use crate::shell::SimpleCommand;

/// A family of program rules (one module each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// Deletion, disk wiping, copies and writes, permissions (`rules_fs`).
    Fs,
    /// git (`rules_git`).
    Git,
    /// Downloads, uploads, remote copies and raw sockets (`rules_net`).
    Net,
    /// Shells and interpreters running inline code or scripts (`code`).
    Code,
    /// Database clients and SQL typed as a command (`rules_data`).
    Data,
    /// Cloud, cluster, infrastructure and container CLIs (`rules_cloud`).
    Cloud,
    /// Package managers, build tools and code forges (`rules_pkg`).
    Pkg,
    /// Processes, services, users, secrets tools, environment, aiperture itself (`rules_sys`).
    Sys,
}

/// Every family and its declaration.
const FAMILIES: [(Family, &Programs); 8] = [
    (Family::Fs, &rules_fs::PROGRAMS),
    (Family::Git, &rules_git::PROGRAMS),
    (Family::Net, &rules_net::PROGRAMS),
    (Family::Code, &code::PROGRAMS),
    (Family::Data, &rules_data::PROGRAMS),
    (Family::Cloud, &rules_cloud::PROGRAMS),
    (Family::Pkg, &rules_pkg::PROGRAMS),
    (Family::Sys, &rules_sys::PROGRAMS),
];

/// One name of the table.
#[derive(Debug, Clone, Copy)]
struct Entry {
    name: &'static str,
    family: Family,
    /// Also matched with a version suffix.
    versioned: bool,
}

const TABLE_LEN: usize = table_len();

/// Every declared name (plain and versioned), sorted by bytes: built once, at compile time.
static TABLE: [Entry; TABLE_LEN] = build_table();

const fn table_len() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        n += FAMILIES[i].1.names.len() + FAMILIES[i].1.versioned.len();
        i += 1;
    }
    n
}

const fn build_table() -> [Entry; TABLE_LEN] {
    let mut t = [Entry {
        name: "",
        family: Family::Fs,
        versioned: false,
    }; TABLE_LEN];
    let mut n = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        let (family, p) = FAMILIES[i];
        let mut k = 0;
        while k < p.names.len() {
            t[n] = Entry {
                name: p.names[k],
                family,
                versioned: false,
            };
            n += 1;
            k += 1;
        }
        k = 0;
        while k < p.versioned.len() {
            t[n] = Entry {
                name: p.versioned[k],
                family,
                versioned: true,
            };
            n += 1;
            k += 1;
        }
        i += 1;
    }
    heap_sort(&mut t);
    t
}

/// Byte order of two names, usable at compile time.
const fn less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// Heap sort by name (compile time; stable order is not needed: names are unique, which a
/// test checks).
const fn heap_sort(t: &mut [Entry; TABLE_LEN]) {
    let mut end = TABLE_LEN;
    let mut start = TABLE_LEN / 2;
    while start > 0 {
        start -= 1;
        sift_down(t, start, end);
    }
    while end > 1 {
        end -= 1;
        let tmp = t[0];
        t[0] = t[end];
        t[end] = tmp;
        sift_down(t, 0, end);
    }
}

const fn sift_down(t: &mut [Entry; TABLE_LEN], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(t[child].name, t[child + 1].name) {
            child += 1;
        }
        if !less(t[root].name, t[child].name) {
            return;
        }
        let tmp = t[root];
        t[root] = t[child];
        t[child] = tmp;
        root = child;
    }
}

fn find(name: &str) -> Option<&'static Entry> {
    TABLE
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .and_then(|i| TABLE.get(i))
}

/// The family that owns `prog`: its name, else its name less a version suffix when the
/// owner declared it versioned, else a declared prefix.
pub(super) fn owner(prog: &str) -> Option<Family> {
    if let Some(e) = find(prog) {
        return Some(e.family);
    }
    let stem = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !stem.is_empty()
        && stem.len() < prog.len()
        && let Some(e) = find(stem)
        && e.versioned
    {
        return Some(e.family);
    }
    FAMILIES
        .iter()
        .find(|(_, p)| p.prefixes.iter().any(|pre| prog.starts_with(pre)))
        .map(|(f, _)| *f)
}

/// Judges `cmd` by the rules of `family`. True when the family handled it.
fn judge_by(
    family: Family,
    inv: &Invocation,
    ctx: &Context,
    j: &mut Judge,
    nested: &dyn Rater,
) -> bool {
    match family {
        Family::Fs => rules_fs::judge(inv, ctx, j),
        Family::Git => rules_git::judge(inv, ctx, j),
        Family::Net => rules_net::judge(inv, ctx, j),
        Family::Code => code::judge(inv, ctx, j, nested),
        Family::Data => rules_data::judge(inv, j),
        Family::Cloud => rules_cloud::judge(inv, j),
        Family::Pkg => rules_pkg::judge(inv, j),
        Family::Sys => rules_sys::judge(inv, ctx, j),
    }
}

/// The program spec of `family`: the options of its programs that take a separate value.
fn value_options(family: Option<Family>) -> &'static [&'static str] {
    FAMILIES
        .iter()
        .find(|(f, _)| Some(*f) == family)
        .map_or(&[], |(_, p)| p.value_options)
}

/// Takes `cmd` apart once, by the spec of the family that owns `prog`: the [`Invocation`]
/// every family's judge (and the second-pass floors) read.
pub(super) fn invocation<'a>(cmd: &'a SimpleCommand, prog: &'a str) -> Invocation<'a> {
    Invocation::new(cmd, prog, value_options(owner(prog)))
}

/// Judges `cmd` by the rules of the one family that owns `prog`, which reach commands nested
/// in it through `nested`. False when no family owns
/// it or its owner declines it (the caller's generic rules apply then).
pub(super) fn judge(inv: &Invocation, ctx: &Context, j: &mut Judge, nested: &dyn Rater) -> bool {
    owner(inv.program).is_some_and(|f| judge_by(f, inv, ctx, j, nested))
}

#[cfg(test)]
mod tests;

//! Package managers, build tools and code forges: installs and builds are medium,
//! publishing is high (destructive verbs of unknown CLIs are the word grammar's, `grammar`).

use super::invocation::{COMMON_VALUE_OPTIONS, Invocation};
use super::judge::Judge;
use super::judge::Programs;
use crate::request::RiskTier;
use crate::shell::SimpleCommand;

/// The programs these rules judge (the registry's data). `bun` and `deno` are the
/// interpreter rules' (`code`), which hand their package subcommands to [`runtime_package`].
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "npm", "pnpm", "yarn", "cargo", "pip", "pip3", "pipx", "uv", "poetry", "gem", "bundle",
        "go", "composer", "mvn", "gradle", "dotnet", "nuget", "twine", "hatch", "pdm", "conda",
        "mamba", "brew", "apt", "apt-get", "dnf", "yum", "pacman", "apk", "zypper", "port", "snap",
        "flatpak", "choco", "winget", "scoop", "nix", "nix-env", "rustup", "swift", "stack",
        "cabal", "mix", "lein", "sbt", "npx", "bunx", "pnpx", "uvx", "pipx-run", "make", "just",
        "ninja", "cmake", "meson", "bazel", "rake", "task", "invoke", "tox", "nox", "pytest",
        "jest", "vitest", "mocha", "tsc", "eslint", "prettier", "ruff", "black", "mypy", "pyright",
        "flake8", "pylint", "isort", "rustc", "gcc", "g++", "clang", "clang++", "cc", "c++",
        "javac", "java", "kotlinc", "scalac", "ghc", "zig", "nim", "crystal", "elixir", "erl",
        "dart", "flutter", "xcodebuild", "swiftc", "rails", "django-admin", "manage.py", "webpack",
        "vite", "next", "nuxt", "turbo", "nx", "lerna", "rollup", "esbuild", "parcel", "biome",
        "golangci-lint", "gofmt", "rustfmt", "clippy-driver", "stylelint", "phpunit", "rspec",
        "cucumber", "playwright", "cypress", "pre-commit", "husky", "bats", "shfmt",
        "terraform-docs", "tflint", "gh", "glab", "hub",
    ],
    versioned: &[],
    prefixes: &[],
    value_options: super::invocation::COMMON_VALUE_OPTIONS,
};

/// Handles package managers, build tools and forge CLIs. Returns true when handled.
pub(super) fn judge(inv: &Invocation, j: &mut Judge) -> bool {
    let prog = inv.program;
    let words = inv.words();
    let positional: Vec<&str> = inv.positionals();
    let first = inv.first();
    match prog {
        // Package managers and build tools.
        "npm" | "pnpm" | "yarn" | "cargo" | "pip" | "pip3" | "pipx" | "uv" | "poetry" | "gem"
        | "bundle" | "go" | "composer" | "mvn" | "gradle" | "dotnet" | "nuget" | "twine"
        | "hatch" | "pdm" | "conda" | "mamba" | "brew" | "apt" | "apt-get" | "dnf" | "yum"
        | "pacman" | "apk" | "zypper" | "port" | "snap" | "flatpak" | "choco" | "winget"
        | "scoop" | "nix" | "nix-env" | "rustup" | "swift" | "stack" | "cabal" | "mix" | "lein"
        | "sbt" => {
            package_manager(prog, words, &positional, j);
            true
        }
        "npx" | "bunx" | "pnpx" | "uvx" | "pipx-run" => {
            j.raise(
                RiskTier::Medium,
                "run_package",
                "downloads and runs a package",
            );
            true
        }
        "make" | "just" | "ninja" | "cmake" | "meson" | "bazel" | "rake" | "task" | "invoke"
        | "tox" | "nox" | "pytest" | "jest" | "vitest" | "mocha" | "tsc" | "eslint"
        | "prettier" | "ruff" | "black" | "mypy" | "pyright" | "flake8" | "pylint" | "isort"
        | "rustc" | "gcc" | "g++" | "clang" | "clang++" | "cc" | "c++" | "javac" | "java"
        | "kotlinc" | "scalac" | "ghc" | "zig" | "nim" | "crystal" | "elixir" | "erl" | "dart"
        | "flutter" | "xcodebuild" | "swiftc" | "rails" | "django-admin" | "manage.py"
        | "webpack" | "vite" | "next" | "nuxt" | "turbo" | "nx" | "lerna" | "rollup"
        | "esbuild" | "parcel" | "biome" | "golangci-lint" | "gofmt" | "rustfmt"
        | "clippy-driver" | "stylelint" | "phpunit" | "rspec" | "cucumber" | "playwright"
        | "cypress" | "pre-commit" | "husky" | "bats" | "shfmt" | "terraform-docs" | "tflint" => {
            let destructive = words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "db:drop"
                        | "db:reset"
                        | "db:schema:load"
                        | "flush"
                        | "reset_db"
                        | "migrate:fresh"
                        | "migrate:reset"
                        | "db:purge"
                )
            });
            if destructive {
                destroy(j, "database_reset", "drops or resets a database");
            } else {
                j.raise(
                    RiskTier::Medium,
                    "build",
                    "runs a build, test or project tool",
                );
            }
            true
        }
        "gh" | "glab" | "hub" => {
            let sub = positional.get(1).copied().unwrap_or("");
            if matches!(
                sub,
                "delete" | "close" | "merge" | "archive" | "transfer" | "rename"
            ) && first != "gist"
                || matches!(first, "api")
                    && words
                        .iter()
                        .any(|w| matches!(w.as_str(), "delete" | "-xdelete" | "--method=delete"))
            {
                destroy(
                    j,
                    "forge_destroy",
                    "deletes, merges or archives on the code host",
                );
            } else if matches!(sub, "list" | "view" | "status" | "diff" | "checks" | "ls")
                || matches!(first, "status" | "search" | "browse" | "help" | "version")
                || first == "auth" && sub == "status"
            {
                j.note("read_only", "reads from the code host");
            } else if first == "auth" && sub == "token" {
                j.raise_secret(RiskTier::High, "secret_access", "prints an access token");
            } else {
                j.raise(
                    RiskTier::Medium,
                    "forge_write",
                    "changes something on the code host",
                );
            }
            true
        }
        _ => false,
    }
}

/// Rates `bun`/`deno ARGS…` as a package manager for the interpreter rules, which own those
/// programs and judge them as running a script: adds what the package rules find above that
/// (publishing, as `npm publish`).
pub(super) fn runtime_package(cmd: &SimpleCommand, prog: &str, j: &mut Judge) {
    let inv = Invocation::new(cmd, prog, COMMON_VALUE_OPTIONS);
    let words = inv.words();
    let positional: Vec<&str> = inv.positionals();
    let mut k = Judge::default();
    package_manager(prog, words, &positional, &mut k);
    if k.tier > RiskTier::Medium {
        j.absorb(&k);
    }
}

fn destroy(j: &mut Judge, factor: &str, reason: &str) {
    j.raise(RiskTier::High, factor, reason);
    j.no_pattern = true;
}

fn package_manager(prog: &str, words: &[String], positional: &[&str], j: &mut Judge) {
    let first = positional.first().copied().unwrap_or("");
    let dry = words
        .iter()
        .any(|w| w.starts_with("--dry-run") || w == "-n" && prog == "cargo");
    let owner_list = first == "owner"
        && !words.iter().any(|w| {
            matches!(
                w.as_str(),
                "add" | "rm" | "remove" | "--add" | "--remove" | "-a" | "-r"
            )
        });
    let publish = !dry
        && !owner_list
        && matches!(
            first,
            "publish"
                | "upload"
                | "push"
                | "release"
                | "deprecate"
                | "unpublish"
                | "yank"
                | "owner"
        )
        || (prog == "twine" && first == "upload")
        || (prog == "gem" && first == "push");
    if publish {
        destroy(
            j,
            "publish",
            "publishes a package (irreversible and public)",
        );
        return;
    }
    if matches!(
        first,
        "uninstall" | "remove" | "purge" | "autoremove" | "erase"
    ) && matches!(
        prog,
        "apt"
            | "apt-get"
            | "dnf"
            | "yum"
            | "pacman"
            | "brew"
            | "snap"
            | "port"
            | "zypper"
            | "apk"
            | "choco"
            | "winget"
    ) {
        j.raise(
            RiskTier::Medium,
            "package_remove",
            "removes system packages",
        );
        return;
    }
    let read = matches!(
        first,
        "list"
            | "ls"
            | "show"
            | "info"
            | "view"
            | "search"
            | "outdated"
            | "audit"
            | "why"
            | "explain"
            | "version"
            | "--version"
            | "help"
            | "config"
            | "doctor"
            | "check"
            | "tree"
            | "metadata"
            | "env"
            | "freeze"
            | "depends"
            | "rdepends"
            | "policy"
            | "query"
            | "fmt"
            | "vet"
            | "clippy"
            | "doc"
            | "pkgid"
            | "locate-project"
            | "search-registry"
    ) || words.is_empty()
        || (first.is_empty()
            && words
                .iter()
                .all(|w| matches!(w.as_str(), "--version" | "-v" | "-V" | "--help" | "-h")));
    if read && first != "config" {
        j.note("read_only", "reads package information");
    } else {
        j.raise(
            RiskTier::Medium,
            "package",
            "installs packages or runs project scripts",
        );
    }
}

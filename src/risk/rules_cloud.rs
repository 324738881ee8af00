//! Cloud, cluster, infrastructure and container rules: deleting resources, destroying
//! infrastructure, pruning containers, privileged containers, printing credentials.

use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use crate::request::RiskTier;

/// The programs these rules judge (the registry's data).
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "kubectl", "oc", "k9s", "kubectx", "kubens", "helm", "terraform", "tofu", "terragrunt",
        "pulumi", "cdk", "serverless", "sls", "aws", "gcloud", "gsutil", "az", "doctl", "flyctl",
        "fly", "heroku", "vercel", "netlify", "firebase", "wrangler", "railway", "linode-cli",
        "hcloud", "oci", "ibmcloud", "s3cmd", "docker", "podman", "nerdctl", "docker-compose",
        "colima",
    ],
    versioned: &[],
    prefixes: &[],
    value_options: super::invocation::COMMON_VALUE_OPTIONS,
};

/// Handles cloud, cluster and container CLIs. Returns true when handled.
pub(super) fn judge(inv: &Invocation, j: &mut Judge) -> bool {
    let prog = inv.program;
    let words = inv.words();
    let has = |s: &str| inv.has(s);
    let positional: Vec<&str> = inv.positionals();
    let first = inv.first();
    let _ = (&has, first);
    match prog {
        // Containers and clusters.
        "kubectl" | "oc" | "k9s" | "kubectx" | "kubens" => {
            if has("--help") || has("-h") || first == "help" {
                j.note("help", "prints help");
                return true;
            }
            if words.iter().any(|w| w.starts_with("--dry-run")) {
                j.raise(
                    RiskTier::Medium,
                    "cluster_dry_run",
                    "previews a cluster change",
                );
                return true;
            }
            match first {
                "delete" | "drain" | "cordon" | "replace" | "taint" => destroy(
                    j,
                    "cluster_destroy",
                    "deletes or disrupts cluster resources",
                ),
                "apply" | "create" | "edit" | "patch" | "scale" | "rollout" | "set" | "label"
                | "annotate" | "expose" | "run" | "autoscale" | "exec" | "cp" | "port-forward"
                | "attach" | "debug" => {
                    if has("--force") && first == "replace" {
                        destroy(j, "cluster_destroy", "")
                    }
                    j.raise(
                        RiskTier::Medium,
                        "cluster_change",
                        "changes cluster resources",
                    );
                }
                "get" | "describe" | "logs" | "top" | "explain" | "version" | "api-resources"
                | "api-versions" | "cluster-info" | "config" | "auth" | "diff" | "events"
                | "wait" => {
                    if matches!(
                        inv.subcommand_path(2).as_slice(),
                        [
                            "config",
                            "set-credentials"
                                | "set-cluster"
                                | "set-context"
                                | "delete-context"
                                | "delete-cluster"
                                | "use-context"
                        ]
                    ) {
                        j.raise(RiskTier::Medium, "cluster_config", "changes kubeconfig");
                    } else if first == "get"
                        && (positional.contains(&"secret") || positional.contains(&"secrets"))
                        && inv
                            .separate_values(&["-o", "--output"])
                            .iter()
                            .any(|v| !matches!(*v, "name" | "wide"))
                        || words.iter().any(|w| {
                            (w.starts_with("-o=")
                                || w.starts_with("--output=")
                                || w.starts_with("-ojson")
                                || w.starts_with("-oyaml")
                                || w.starts_with("-ojsonpath"))
                                && (positional.contains(&"secret")
                                    || positional.contains(&"secrets"))
                        })
                    {
                        j.raise_secret(RiskTier::High, "secret_access", "reads cluster secrets");
                    } else {
                        j.note("read_only", "reads cluster state");
                    }
                }
                _ => j.raise(RiskTier::Medium, "cluster", "runs a cluster command"),
            }
            true
        }
        "helm" => {
            if words
                .iter()
                .any(|w| w.starts_with("--dry-run") || w == "--help" || w == "-h")
            {
                j.raise(
                    RiskTier::Medium,
                    "cluster_dry_run",
                    "previews a release change",
                );
                return true;
            }
            match first {
                "uninstall" | "delete" | "rollback" => {
                    destroy(j, "cluster_destroy", "removes or rolls back a release")
                }
                "list" | "ls" | "status" | "get" | "show" | "search" | "template" | "lint"
                | "version" | "history" | "env" | "repo" => j.note("read_only", "reads releases"),
                _ => j.raise(
                    RiskTier::Medium,
                    "cluster_change",
                    "installs or upgrades a release",
                ),
            }
            true
        }
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" | "serverless" | "sls" => {
            let destroy_flag = has("-destroy") || has("--destroy");
            match first {
                "destroy" | "remove" => destroy(j, "infra_destroy", "destroys infrastructure"),
                "apply" | "up" | "deploy" if destroy_flag => {
                    destroy(j, "infra_destroy", "destroys infrastructure")
                }
                "apply" | "up" | "deploy" => {
                    if has("-auto-approve") || has("--yes") || has("-y") || has("--auto-approve") {
                        j.raise(
                            RiskTier::High,
                            "infra_apply_unreviewed",
                            "applies infrastructure changes without review",
                        );
                    } else {
                        j.raise(RiskTier::Medium, "infra_apply", "changes infrastructure");
                    }
                }
                "state"
                    if matches!(
                        positional.get(1).copied(),
                        Some("rm" | "mv" | "push" | "replace-provider")
                    ) =>
                {
                    destroy(j, "infra_state", "edits infrastructure state")
                }
                "taint" | "import" | "force-unlock" | "workspace"
                    if first != "workspace"
                        || matches!(positional.get(1).copied(), Some("delete")) =>
                {
                    j.raise(RiskTier::High, "infra_state", "edits infrastructure state")
                }
                "plan" | "validate" | "fmt" | "show" | "output" | "graph" | "providers"
                | "version" | "preview" | "list" | "diff" | "synth" | "ls" => {
                    j.note("read_only", "reads infrastructure")
                }
                _ => j.raise(RiskTier::Medium, "infra", "runs an infrastructure command"),
            }
            true
        }
        "aws" | "gcloud" | "gsutil" | "az" | "doctl" | "flyctl" | "fly" | "heroku" | "vercel"
        | "netlify" | "firebase" | "wrangler" | "railway" | "linode-cli" | "hcloud" | "oci"
        | "ibmcloud" | "s3cmd" => {
            cloud(prog, words, &positional, j);
            true
        }
        "docker" | "podman" | "nerdctl" | "docker-compose" | "colima" => {
            docker(inv, words, &positional, j);
            true
        }
        _ => false,
    }
}

fn destroy(j: &mut Judge, factor: &str, reason: &str) {
    j.raise(RiskTier::High, factor, reason);
    j.no_pattern = true;
}

fn cloud(prog: &str, words: &[String], positional: &[&str], j: &mut Judge) {
    let is_verb = |w: &str, v: &str| w == v || w.starts_with(&format!("{v}-"));
    let destructive = positional.iter().any(|w| {
        [
            "delete",
            "remove",
            "destroy",
            "terminate",
            "purge",
            "deregister",
            "drop",
            "wipe",
            "reset",
        ]
        .iter()
        .any(|v| is_verb(w, v))
            || matches!(*w, "rm" | "rb" | "apps:destroy" | "destroy")
    }) || words
        .iter()
        .any(|w| w == "--delete" || w == "--force-delete");
    let help = words.iter().any(|w| w == "--help" || w == "-h") || positional.contains(&"help");
    let dry = words
        .iter()
        .any(|w| w.starts_with("--dry-run") || w == "--dryrun");
    let read = positional.iter().any(|w| {
        [
            "describe", "list", "get", "head", "show", "lookup", "search", "check", "wait",
            "validate",
        ]
        .iter()
        .any(|v| is_verb(w, v))
            || matches!(
                *w,
                "ls" | "whoami"
                    | "info"
                    | "status"
                    | "logs"
                    | "cat"
                    | "version"
                    | "tail"
                    | "inspect"
            )
    });
    let reveals = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "get-secret-value"
                | "print-access-token"
                | "get-session-token"
                | "get-login-password"
                | "get-access-token"
                | "export-credentials"
                | "print-identity-token"
                | "get-authorization-token"
                | "--with-decryption"
                | "auth:token"
        )
    }) || (positional.contains(&"secrets") && positional.contains(&"access"));
    let _ = prog;
    if help {
        j.note("help", "prints help");
    } else if destructive && !dry {
        destroy(j, "cloud_destroy", "deletes or terminates cloud resources");
    } else if reveals {
        j.raise_secret(
            RiskTier::High,
            "secret_access",
            "prints cloud secrets or credentials",
        );
    } else if read || dry {
        j.note("read_only", "reads cloud resources");
    } else {
        j.raise(RiskTier::Medium, "cloud_change", "changes cloud resources");
    }
}

fn docker(inv: &Invocation, words: &[String], positional: &[&str], j: &mut Judge) {
    let first = positional.first().copied().unwrap_or("");
    let second = positional.get(1).copied().unwrap_or("");
    let has = |s: &str| words.iter().any(|w| w == s);
    let all = has("-a") || has("--all") || has("-af") || has("-fa") || has("--volumes");
    match (first, second) {
        ("system", "prune")
        | ("volume", "prune")
        | ("volume", "rm")
        | ("image", "prune")
        | ("container", "prune")
        | ("builder", "prune")
        | ("network", "prune")
        | ("buildx", "prune") => {
            if all || first == "volume" {
                destroy(
                    j,
                    "container_prune",
                    "deletes containers, images or volumes",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "container_prune",
                    "removes unused containers or images",
                );
            }
        }
        ("compose", "down") if has("-v") || has("--volumes") || has("--rmi") => {
            destroy(j, "container_prune", "removes containers and their volumes")
        }
        ("rm", _) | ("rmi", _) | ("container", "rm") | ("image", "rm")
            if has("-f") || has("--force") || has("-fv") || has("-vf") || has("-nf") =>
        {
            destroy(
                j,
                "container_force_remove",
                "force-removes running containers or used images",
            );
        }
        ("rm", _)
        | ("rmi", _)
        | ("kill", _)
        | ("stop", _)
        | ("compose", "down")
        | ("compose", "rm")
        | ("compose", "stop")
        | ("container", "rm")
        | ("image", "rm") => {
            j.raise(
                RiskTier::Medium,
                "container_remove",
                "stops or removes containers or images",
            );
            j.no_pattern = true;
        }
        ("run", _) | ("create", _) | ("compose", "run") | ("compose", "up") | ("exec", _) => {
            let privileged = words.iter().any(|w| {
                w == "--privileged"
                    || w.starts_with("--cap-add")
                    || w == "--pid=host"
                    || w == "--net=host"
                    || w == "--network=host"
                    || w.starts_with("/:/")
                    || w.starts_with("/var/run/docker.sock")
                    || w.starts_with("--security-opt")
            });
            let root_mount = inv
                .separate_values(&["-v", "--volume", "--mount"])
                .iter()
                .any(|v| {
                    v.starts_with("/:")
                        || v.contains("source=/,")
                        || v.starts_with("/etc:")
                        || v.starts_with("/var/run/docker.sock")
                        || v.starts_with("~/.ssh")
                });
            if privileged || root_mount {
                destroy(
                    j,
                    "container_privileged",
                    "runs a privileged container or mounts the host",
                );
            } else {
                j.raise(RiskTier::Medium, "container_run", "runs a container");
            }
        }
        ("ps", _)
        | ("images", _)
        | ("logs", _)
        | ("inspect", _)
        | ("version", _)
        | ("info", _)
        | ("stats", _)
        | ("top", _)
        | ("port", _)
        | ("diff", _)
        | ("history", _)
        | ("search", _)
        | ("compose", "ps")
        | ("compose", "logs")
        | ("compose", "config")
        | ("image", "ls")
        | ("container", "ls")
        | ("volume", "ls")
        | ("network", "ls")
        | ("context", "ls")
        | ("", _) => {
            j.note("read_only", "reads container state");
        }
        _ => j.raise(RiskTier::Medium, "container", "runs a container command"),
    }
}

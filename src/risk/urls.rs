//! Rating a URL: scheme, credentials, host (IP literals in any notation, metadata services,
//! loopback and private ranges, punycode and non-ASCII hosts). Shared by web tools and by the
//! arguments of MCP tools.

use super::Context;
use super::judge::Judge;
use crate::request::RiskTier;

/// Rates a URL: scheme, credentials, host (IP literals in any notation, metadata services,
/// loopback and private ranges, punycode and non-ASCII hosts).
pub(super) fn url(scope: &str, ctx: &Context, j: &mut Judge) {
    let s = scope.trim();
    if let Some(kind) = super::grammar::credential_shape(s) {
        j.raise(
            RiskTier::High,
            "secret_in_transit",
            &format!("sends a credential ({kind}) in the URL"),
        );
        j.no_pattern = true;
    }
    let lower = s.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once(':') else {
        j.raise(RiskTier::Medium, "url_unparsed", "not a URL");
        j.no_pattern = true;
        return;
    };
    match scheme {
        "http" | "https" => {}
        "file" => {
            let path = rest.trim_start_matches("//");
            let path = if path.starts_with('/') {
                path.to_string()
            } else {
                format!("/{path}")
            };
            j.raise(
                RiskTier::High,
                "file_url",
                "reads a local file through a file: URL",
            );
            super::args::read_target(&path, false, ctx, j, false);
            j.no_pattern = true;
            return;
        }
        "javascript" | "data" | "vbscript" => {
            j.raise(
                RiskTier::High,
                "script_url",
                "a script or data URL runs or embeds code",
            );
            j.no_pattern = true;
            return;
        }
        "ftp" | "ws" | "wss" | "gopher" | "ldap" | "dict" | "sftp" | "smb" | "tftp" => {
            j.raise(RiskTier::Medium, "unusual_scheme", "uses a non-HTTP scheme");
            j.no_pattern = true;
        }
        _ => {
            j.raise(
                RiskTier::Medium,
                "unusual_scheme",
                "uses an unusual URL scheme",
            );
            j.no_pattern = true;
            return;
        }
    }
    let after = s
        .get(scheme.len() + 1..)
        .unwrap_or("")
        .trim_start_matches('/');
    let authority = after.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        j.raise(
            RiskTier::High,
            "url_userinfo",
            "the URL carries credentials or a misleading user part",
        );
        j.no_pattern = true;
    }
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("").to_string()
    } else {
        hostport.split(':').next().unwrap_or("").to_string()
    };
    let host_l = host.to_ascii_lowercase().trim_end_matches('.').to_string();
    if host_l.is_empty() {
        j.raise(RiskTier::Medium, "url_no_host", "the URL has no host");
        j.no_pattern = true;
        return;
    }
    if !host.is_ascii() {
        j.raise(
            RiskTier::High,
            "non_ascii_host",
            "the host name has non-ASCII characters (homoglyph risk)",
        );
        j.no_pattern = true;
    }
    if host_l.split('.').any(|l| l.starts_with("xn--")) {
        j.raise(
            RiskTier::High,
            "punycode_host",
            "the host name is punycode (homoglyph risk)",
        );
        j.no_pattern = true;
    }
    if matches!(
        host_l.as_str(),
        "metadata.google.internal" | "metadata" | "instance-data" | "metadata.azure.com"
    ) {
        j.raise(
            RiskTier::Critical,
            "metadata_service",
            "reaches a cloud metadata service (credentials)",
        );
        j.no_pattern = true;
        return;
    }
    if let Some((ip, canonical)) = parse_ipv4(&host_l) {
        if !canonical {
            j.raise(
                RiskTier::High,
                "obfuscated_ip",
                "the host is an IP address in an unusual notation",
            );
        }
        let [a, b, ..] = ip;
        if a == 169 && b == 254 {
            j.raise(
                RiskTier::Critical,
                "metadata_service",
                "reaches a link-local or cloud metadata address",
            );
        } else if a == 127 || a == 0 {
            j.raise(
                RiskTier::Medium,
                "loopback",
                "reaches a service on this machine",
            );
        } else if a == 10
            || (a == 172 && (16..=31).contains(&b))
            || (a == 192 && b == 168)
            || (a == 100 && (64..=127).contains(&b))
        {
            j.raise(
                RiskTier::Medium,
                "private_network",
                "reaches a private-network address",
            );
        } else {
            j.raise(
                RiskTier::Medium,
                "ip_literal",
                "the host is a bare IP address",
            );
        }
        j.no_pattern = true;
        return;
    }
    if host_l.contains(':') {
        // IPv6
        if host_l == "::1"
            || host_l.starts_with("fe80")
            || host_l.starts_with("fd")
            || host_l.starts_with("fc")
            || host_l.contains("::ffff:")
            || host_l == "fd00:ec2::254"
        {
            if host_l.contains("169.254") || host_l.contains("a9fe") || host_l == "fd00:ec2::254" {
                j.raise(
                    RiskTier::Critical,
                    "metadata_service",
                    "reaches a cloud metadata address",
                );
            } else {
                j.raise(
                    RiskTier::Medium,
                    "loopback",
                    "reaches a local or private address",
                );
            }
        } else {
            j.raise(
                RiskTier::Medium,
                "ip_literal",
                "the host is a bare IP address",
            );
        }
        j.no_pattern = true;
        return;
    }
    if host_l == "localhost"
        || host_l.ends_with(".localhost")
        || host_l.ends_with(".local")
        || host_l.ends_with(".internal")
    {
        j.raise(RiskTier::Medium, "loopback", "reaches a local service");
        j.no_pattern = true;
        return;
    }
    if scheme == "http" {
        j.note("plain_http", "unencrypted HTTP");
    }
    j.note("web_fetch", "fetches a public URL");
}

/// Parses IPv4 in dotted, decimal, hex and octal forms (as URL parsers accept them).
/// Returns the address and whether it was in canonical dotted-decimal form.
fn parse_ipv4(host: &str) -> Option<([u8; 4], bool)> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut nums = Vec::new();
    let mut canonical = parts.len() == 4;
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            canonical = false;
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            canonical = false;
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        nums.push(v);
    }
    let last_bytes = 4 - (nums.len() - 1);
    let mut value: u64 = 0;
    for (i, n) in nums.iter().enumerate() {
        if i + 1 < nums.len() {
            if *n > 255 {
                return None;
            }
            value = (value << 8) | n;
        } else {
            if *n >= 1u64 << (8 * last_bytes as u32) {
                return None;
            }
            value = (value << (8 * last_bytes as u32)) | n;
        }
    }
    let b = (value as u32).to_be_bytes();
    Some((b, canonical))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_forms() {
        assert_eq!(
            parse_ipv4("169.254.169.254"),
            Some(([169, 254, 169, 254], true))
        );
        assert_eq!(
            parse_ipv4("2852039166"),
            Some(([169, 254, 169, 254], false))
        );
        assert_eq!(
            parse_ipv4("0xa9fea9fe"),
            Some(([169, 254, 169, 254], false))
        );
        assert_eq!(
            parse_ipv4("0251.0376.0251.0376"),
            Some(([169, 254, 169, 254], false))
        );
        assert_eq!(parse_ipv4("127.1"), Some(([127, 0, 0, 1], false)));
        assert_eq!(parse_ipv4("example.com"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
    }
}

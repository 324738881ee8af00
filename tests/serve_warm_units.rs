//! The sample service files under `hooks/serve/` (a systemd user service and a launchd agent)
//! start the server with arguments it takes, and stop it the way they say: the server is run
//! with each file's command line (its binary replaced by the one under test), answers the
//! warm path, and exits 0 on the file's stop signal within the file's stop timeout.

mod serve_support;

use serve_support::{Install, fixture};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// A `key=value` line of the unit (the last one wins, as in systemd).
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the unit"))
        .to_string()
}

/// The strings of the plist's `ProgramArguments` array.
fn plist_arguments(plist: &str) -> Vec<String> {
    let start = plist.find("<key>ProgramArguments</key>").unwrap();
    let rest = &plist[start..];
    let end = rest.find("</array>").unwrap();
    rest[..end]
        .split("<string>")
        .skip(1)
        .map(|s| s.split("</string>").next().unwrap().to_string())
        .collect()
}

/// Runs `args` (after the binary) as the service would, checks the warm path answers
/// through it, stops it with `signal` and checks it exits 0 within `stop_limit`.
fn run_as_service(args: &[String], signal: libc::c_int, stop_limit: Duration) {
    let inst = Install::new();
    // The service's own address would be 127.0.0.1:8100; a free port keeps tests apart.
    let mut child = inst
        .cmd()
        .args(args)
        .args(["--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "ended before ready");
    }
    // A hook on a store it cannot open answers a real decision only through the server.
    let bad = inst.dir.path().join("not-a-db");
    std::fs::write(&bad, b"not a database, not a database, not a database").unwrap();
    let mut hook = inst
        .cmd()
        .args(["hook", "claude-code"])
        .env("AIPERTURE_DB_PATH", &bad)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    hook.stdin
        .take()
        .unwrap()
        .write_all(&fixture("claude-code/input/pretooluse-bash.json"))
        .unwrap();
    let answer = String::from_utf8(hook.wait_with_output().unwrap().stdout).unwrap();
    assert!(
        answer.contains("permissionDecision") && !answer.contains("could not"),
        "{answer}"
    );
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signalling the child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert_eq!(st.code(), Some(0));
            break;
        }
        assert!(
            t.elapsed() < stop_limit,
            "not stopped within {stop_limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !inst.home.join("serve.sock").exists(),
        "the socket was left"
    );
}

#[test]
fn the_systemd_unit_starts_and_stops_the_server() {
    let unit = read("hooks/serve/aiperture-serve.service");
    let exec = unit_value(&unit, "ExecStart");
    let mut words = exec.split_whitespace();
    assert!(words.next().unwrap().ends_with("/aiperture"), "{exec}");
    let args: Vec<String> = words.map(str::to_string).collect();
    assert_eq!(unit_value(&unit, "KillSignal"), "SIGTERM");
    let stop: u64 = unit_value(&unit, "TimeoutStopSec").parse().unwrap();
    // The unit waits longer than the server's own grace for in-flight requests (15 s).
    assert!(stop > 15, "TimeoutStopSec={stop}");
    assert_eq!(unit_value(&unit, "UMask"), "0077");
    run_as_service(&args, libc::SIGTERM, Duration::from_secs(stop));
}

#[test]
fn the_launchd_agent_starts_and_stops_the_server() {
    let plist = read("hooks/serve/dev.aiperture.serve.plist");
    let argv = plist_arguments(&plist);
    assert!(
        argv[0].starts_with('/') && argv[0].ends_with("/aiperture"),
        "{argv:?}"
    );
    // launchd stops an agent with SIGTERM, then SIGKILL after ExitTimeOut.
    let timeout = plist
        .split("<key>ExitTimeOut</key>")
        .nth(1)
        .and_then(|r| r.split("<integer>").nth(1))
        .and_then(|r| r.split("</integer>").next())
        .and_then(|n| n.trim().parse::<u64>().ok())
        .unwrap();
    assert!(timeout > 15, "ExitTimeOut {timeout}");
    run_as_service(&argv[1..], libc::SIGTERM, Duration::from_secs(timeout));
}

//! The benchmark's process driver (std only; `bench/run` compiles it with `rustc -O`).
//!
//! It spawns each command directly (no shell), feeds it its stdin, reads its output, reaps it
//! with `wait4` to get its own resource usage, and times the whole spawn-to-reap span with the
//! monotonic clock. Lines of the plan run in the order given (the caller interleaves variants)
//! or, with `conc`, spread over N threads that run at the same time.
//!
//! Plan: one command per line, fields separated by TAB:
//!   tag, stdin (inline text), env count N, N × `KEY=VALUE`, argv...
//! Output: one line per command, fields separated by TAB:
//!   tag, wall ns, exit code (128+signal when killed), max RSS KiB, user µs, sys µs,
//!   minor faults, stdout (tabs/newlines → spaces, ≤ 400 bytes), first stderr line.
//! `conc` also prints `#wall_ns <total>` first.
//!
//! `http` is the HTTP load generator for `aiperture serve`: THREADS clients, each on its own
//! kept-alive loopback connection, send TOTAL `POST PATH` requests in all (BODY with `{i}`
//! replaced by the request's number, so every check has its own session) and time each
//! write-to-last-byte span. Output: `#wall_ns <total>`, then `ns<TAB>status<TAB>ok` per
//! request (ok = 1 when the answer is a 200 holding `"decision"`).
//!
//! Usage: driver seq PLAN OUT | driver conc THREADS PLAN OUT
//!        | driver http ADDR KEY PATH THREADS TOTAL BODY OUT

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

#[repr(C)]
#[derive(Default)]
struct Timeval {
    sec: i64,
    usec: i64,
}

#[repr(C)]
#[derive(Default)]
struct Rusage {
    utime: Timeval,
    stime: Timeval,
    maxrss: i64,
    ixrss: i64,
    idrss: i64,
    isrss: i64,
    minflt: i64,
    majflt: i64,
    nswap: i64,
    inblock: i64,
    oublock: i64,
    msgsnd: i64,
    msgrcv: i64,
    nsignals: i64,
    nvcsw: i64,
    nivcsw: i64,
}

unsafe extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

struct Job {
    tag: String,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    argv: Vec<String>,
}

fn parse_plan(text: &str) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || format!("plan line {}: malformed", n + 1);
        if f.len() < 4 {
            return Err(bad());
        }
        let k: usize = f[2].parse().map_err(|_| bad())?;
        if f.len() < 4 + k {
            return Err(bad());
        }
        let mut env = Vec::new();
        for kv in &f[3..3 + k] {
            let (a, b) = kv.split_once('=').ok_or_else(bad)?;
            env.push((a.to_string(), b.to_string()));
        }
        jobs.push(Job {
            tag: f[0].to_string(),
            stdin: f[1].as_bytes().to_vec(),
            env,
            argv: f[3 + k..].iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(jobs)
}

fn clean(b: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(max)]);
    s.replace(['\t', '\n', '\r'], " ")
}

fn run(job: &Job) -> String {
    let mut cmd = Command::new(&job.argv[0]);
    cmd.args(&job.argv[1..])
        .env_clear()
        .envs(job.env.iter().map(|(a, b)| (a, b)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return format!("{}\t0\t127\t0\t0\t0\t0\t\tspawn failed: {e}", job.tag),
    };
    if let Some(mut si) = child.stdin.take() {
        let _ = si.write_all(&job.stdin);
    }
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_end(&mut out);
    }
    if let Some(mut se) = child.stderr.take() {
        let _ = se.read_to_end(&mut err);
    }
    let mut status = 0i32;
    let mut ru = Rusage::default();
    let pid = child.id() as i32;
    // SAFETY: pid is our own unreaped child; status and ru are valid for writes.
    let r = unsafe { wait4(pid, &mut status, 0, &mut ru) };
    let ns = t0.elapsed().as_nanos();
    let code = if r != pid {
        255
    } else if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    };
    let first_err = err.split(|b| *b == b'\n').next().unwrap_or(&[]);
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        job.tag,
        ns,
        code,
        ru.maxrss,
        ru.utime.sec * 1_000_000 + ru.utime.usec,
        ru.stime.sec * 1_000_000 + ru.stime.usec,
        ru.minflt,
        clean(&out, 400),
        clean(first_err, 300)
    )
}

/// One HTTP/1.1 answer read off a kept-alive connection: (status, body), or None when the
/// connection broke.
fn read_answer(s: &mut std::net::TcpStream, buf: &mut Vec<u8>) -> Option<(u16, Vec<u8>)> {
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head.split(' ').nth(1)?.parse::<u16>().ok()?;
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())?;
            while buf.len() < end + len {
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end..end + len].to_vec();
            buf.drain(..end + len);
            return Some((status, body));
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The `http` mode: see the module's documentation.
fn http_load(args: &[String]) {
    let [addr, key, path, threads, total, body, out] = args else {
        usage()
    };
    let threads: usize = threads.parse().unwrap_or_else(|_| usage());
    let total: usize = total.parse().unwrap_or_else(|_| usage());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let t0 = Instant::now();
    let per: Vec<Vec<(u128, u16, bool)>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                let next = &next;
                sc.spawn(move || {
                    let mut rows = Vec::new();
                    let mut conn: Option<std::net::TcpStream> = None;
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let b = body.replace("{i}", &i.to_string());
                        let req = format!(
                            "POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\
                             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                            b.len()
                        );
                        let t = Instant::now();
                        if conn.is_none() {
                            conn = std::net::TcpStream::connect(addr.as_str()).ok();
                            if let Some(c) = &conn {
                                let _ = c.set_nodelay(true);
                            }
                            buf.clear();
                        }
                        let got = conn.as_mut().and_then(|c| {
                            c.write_all(req.as_bytes()).ok()?;
                            read_answer(c, &mut buf)
                        });
                        let ns = t.elapsed().as_nanos();
                        match got {
                            Some((status, body)) => {
                                let ok = status == 200
                                    && body.windows(10).any(|w| w == b"\"decision\"");
                                rows.push((ns, status, ok));
                            }
                            None => {
                                conn = None;
                                rows.push((ns, 0, false));
                            }
                        }
                    }
                    rows
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let wall = t0.elapsed().as_nanos();
    let mut f = std::fs::File::create(out).unwrap_or_else(|e| die(&format!("{out}: {e}")));
    let _ = writeln!(f, "#wall_ns\t{wall}");
    for (ns, status, ok) in per.into_iter().flatten() {
        let _ = writeln!(f, "{ns}\t{status}\t{}", u8::from(ok));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("http") {
        http_load(&args[2..]);
        return;
    }
    let (threads, plan, out) = match args.get(1).map(String::as_str) {
        Some("seq") if args.len() == 4 => (0usize, &args[2], &args[3]),
        Some("conc") if args.len() == 5 => match args[2].parse::<usize>() {
            Ok(n) if n > 0 => (n, &args[3], &args[4]),
            _ => usage(),
        },
        _ => usage(),
    };
    let text = std::fs::read_to_string(plan).unwrap_or_else(|e| die(&format!("{plan}: {e}")));
    let jobs = parse_plan(&text).unwrap_or_else(|e| die(&e));
    if jobs.iter().any(|j| j.argv.is_empty()) {
        die("a plan line has no command");
    }
    let mut lines: Vec<String> = Vec::with_capacity(jobs.len() + 1);
    if threads == 0 {
        lines.extend(jobs.iter().map(run));
    } else {
        let t0 = Instant::now();
        let per: Vec<Vec<String>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|t| {
                    let mine: Vec<&Job> = jobs.iter().skip(t).step_by(threads).collect();
                    s.spawn(move || mine.into_iter().map(run).collect::<Vec<_>>())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        lines.push(format!("#wall_ns\t{}", t0.elapsed().as_nanos()));
        for v in per {
            lines.extend(v);
        }
    }
    let mut f = std::fs::File::create(out).unwrap_or_else(|e| die(&format!("{out}: {e}")));
    for l in lines {
        let _ = writeln!(f, "{l}");
    }
}

fn usage() -> ! {
    die(
        "usage: driver seq PLAN OUT | driver conc THREADS PLAN OUT \
         | driver http ADDR KEY PATH THREADS TOTAL BODY OUT",
    )
}

fn die(msg: &str) -> ! {
    eprintln!("driver: {msg}");
    std::process::exit(2)
}

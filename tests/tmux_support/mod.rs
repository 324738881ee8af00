//! A terminal for tests: a detached tmux session on its own server socket, running a clean
//! `bash` (`env -i`, so no agent marker of the caller leaks in) with the built binary on
//! `PATH`; keys go in with `send-keys`, the screen comes back with `capture-pane`. tmux is
//! required (`.ci/run` installs it); set `AIPERTURE_SKIP_TMUX=1` to skip where it cannot be.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session; killed (with its server) on drop.
pub struct Term {
    socket: String,
}

/// Whether the terminal tests must be skipped (only when asked to).
pub fn skipped() -> bool {
    if std::env::var_os("AIPERTURE_SKIP_TMUX").is_some() {
        eprintln!("skipped: AIPERTURE_SKIP_TMUX is set");
        return true;
    }
    false
}

impl Term {
    /// Starts bash in `cwd` with `env` (plus PATH with the binary's directory, HOME, TERM).
    pub fn start(cwd: &Path, home: &Path, env: &[(&str, String)]) -> Term {
        let bin = assert_cmd::cargo::cargo_bin("aiperture");
        let path = format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            bin.parent().unwrap().display()
        );
        let socket = format!("aiperture-test-{}-{}", std::process::id(), unique());
        let mut shell = vec![
            "env".to_string(),
            "-i".into(),
            format!("PATH={path}"),
            format!("HOME={}", home.display()),
            "TERM=xterm".into(),
            "PS1=$ ".into(),
        ];
        for (k, v) in env {
            shell.push(format!("{k}={v}"));
        }
        shell.extend(["bash".into(), "--norc".into(), "--noprofile".into()]);
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "50",
            ])
            .arg("-c")
            .arg(cwd)
            .args(&shell)
            .status()
            .expect("tmux is required for the terminal tests (AIPERTURE_SKIP_TMUX=1 skips them)");
        assert!(status.success(), "tmux new-session failed");
        Term { socket }
    }

    /// Types `text` (literally), then Enter.
    pub fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// Sends tmux key names (`Enter`, `Down`, `C-c`) or `-l TEXT`.
    pub fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux send-keys {keys:?}");
    }

    /// The visible screen (and scroll-back).
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-200",
                "-t",
                "0",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains `text` `count` times (10 s at most); the screen.
    pub fn wait_n(&self, text: &str, count: usize) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.matches(text).count() >= count {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {count}× {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen contains `text`.
    pub fn wait(&self, text: &str) -> String {
        self.wait_n(text, 1)
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

//! Build information for `aiperture --version`: the target triple and the profile, which only
//! a build script can see, written to `$OUT_DIR/build_info.rs` for the binary to include
//! (`cli::long_version`). It runs no program and reads no file, so it cannot fail a build
//! from a tarball, and it re-runs only when it changes itself: a script that re-ran on every
//! commit would rebuild the library and every test with it.
//!
//! The git commit is not read here but passed in by whoever builds (`AIPERTURE_GIT_COMMIT`,
//! set by `scripts/install`), read by the binary with `option_env!`, so setting or changing it
//! rebuilds only the binary.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "unknown".into());
    let code = format!(
        "/// The target triple.\n\
         pub const TARGET: &str = {:?};\n\
         /// The cargo profile's base (`debug` or `release`).\n\
         pub const PROFILE: &str = {:?};\n",
        var("TARGET"),
        var("PROFILE"),
    );
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return;
    };
    // A write failure shows as the binary's missing include, naming the file.
    let _ = std::fs::write(std::path::Path::new(&out).join("build_info.rs"), code);
}

//! A local anvil as the L1: found in the repository's pinned toolchain, started with its
//! state persisted in the data directory, stopped with SIGTERM so it writes that state.

use anyhow::{Context, Result, bail};
use std::{
    ffi::OsStr,
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};

/// The checkout the crate was compiled from (the devnet crate is one level below its root).
const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Where to find a tool of the pinned toolchain: `$ROLLUP_TOOLS_BIN/<name>`, then the
/// checkout's `.tools/bin/<name>`: the checkout this was compiled from, else the nearest folder
/// above the running executable that has one (the checkout of `target/release/rollup`, moved or
/// copied since it was built); then `PATH`.
pub fn tool(name: &str) -> PathBuf {
    let exe = std::env::current_exe().ok();
    find_tool(name, std::env::var_os("ROLLUP_TOOLS_BIN").as_deref(), Path::new(CHECKOUT), exe.as_deref())
}

/// [`tool`]'s lookup, from the tools folder named by the environment, the checkout and the
/// executable given.
fn find_tool(name: &str, tools_bin: Option<&OsStr>, checkout: &Path, exe: Option<&Path>) -> PathBuf {
    let above_exe = exe.into_iter().flat_map(Path::ancestors).skip(1).map(|dir| dir.join(".tools/bin"));
    tools_bin
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(checkout.join(".tools/bin")))
        .chain(above_exe)
        .map(|dir| dir.join(name))
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// A free TCP port on localhost, free when asked: something else may bind it before the
/// caller does, so only [`Anvil::spawn`]'s retrying loop uses it.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// How many free ports [`Anvil::spawn`] tries for a configuration without a port.
const PORT_TRIES: usize = 5;

/// How to run anvil.
#[derive(Clone, Debug)]
pub struct AnvilConfig {
    /// Port to listen on; 0: a free one (see [`Anvil::spawn`]).
    pub port: u16,
    /// Seconds between blocks (`None`: mine on every transaction).
    pub block_time: Option<u64>,
    /// Block gas limit (`None`: anvil's default, 30,000,000).
    pub gas_limit: Option<u64>,
    /// File to load the state from and dump it to.
    pub state_file: Option<PathBuf>,
    /// File for anvil's output.
    pub log_file: Option<PathBuf>,
}

/// A running anvil.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    url: String,
}

impl Anvil {
    /// Starts anvil and waits until it answers. With port 0 it takes a free port, and another
    /// one when something else bound it between the choice and anvil's start (tests running
    /// side by side, a client's ephemeral port), up to [`PORT_TRIES`] times.
    pub async fn spawn(config: &AnvilConfig) -> Result<Self> {
        if config.port != 0 {
            return Self::spawn_on(config).await;
        }
        Self::spawn_on_any(config, free_port).await
    }

    /// Starts anvil on the first port of `next_port` it can bind, trying [`PORT_TRIES`].
    async fn spawn_on_any(config: &AnvilConfig, mut next_port: impl FnMut() -> Result<u16>) -> Result<Self> {
        let mut tries = Vec::with_capacity(PORT_TRIES);
        for _ in 0..PORT_TRIES {
            let config = AnvilConfig { port: next_port()?, ..config.clone() };
            match Self::spawn_on(&config).await {
                Ok(anvil) => return Ok(anvil),
                Err(err) => tries.push(format!("port {}: {err:#}", config.port)),
            }
        }
        bail!("anvil did not start on any of {PORT_TRIES} free ports: {}", tries.join("; "))
    }

    async fn spawn_on(config: &AnvilConfig) -> Result<Self> {
        if TcpListener::bind(("127.0.0.1", config.port)).is_err() {
            bail!(
                "port {} is already in use: stop the other L1 node, choose another port with --l1.port, \
                 or use it as the L1 with --l1-rpc http://127.0.0.1:{}",
                config.port,
                config.port
            );
        }
        let bin = tool("anvil");
        let mut cmd = Command::new(&bin);
        cmd.arg("--port").arg(config.port.to_string()).arg("--host").arg("127.0.0.1");
        // Mainnet's per-transaction gas cap (EIP-7825, 16,777,216 since Fusaka): anvil 1.7.1
        // enforces it only when asked, and every L1 transaction the system sends, a fraud proof
        // above all, must fit it.
        cmd.arg("--enable-tx-gas-limit");
        if let Some(t) = config.block_time {
            cmd.arg("--block-time").arg(t.to_string());
        }
        if let Some(g) = config.gas_limit {
            cmd.arg("--gas-limit").arg(g.to_string());
        }
        if let Some(state) = &config.state_file {
            cmd.arg("--state").arg(state).arg("--state-interval").arg("5");
        }
        let output = match &config.log_file {
            Some(path) => Stdio::from(std::fs::File::create(path).with_context(|| format!("creating {path:?}"))?),
            None => Stdio::null(),
        };
        cmd.stdout(output).stderr(Stdio::null()).stdin(Stdio::null());
        // Its own process group: a terminal's Ctrl-C reaches this process, which then stops
        // anvil with SIGTERM and waits for it to write its state.
        cmd.process_group(0);
        let child = cmd.spawn().with_context(|| {
            format!("starting {bin:?} (run `make tools`, or put anvil on PATH, or set ROLLUP_TOOLS_BIN)")
        })?;
        let url = format!("http://127.0.0.1:{}", config.port);
        let mut anvil = Self { child, url };
        anvil.wait_ready().await?;
        Ok(anvil)
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::new();
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait()? {
                bail!("anvil exited during startup ({status})");
            }
            let ok = client
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("anvil did not answer on {} within 30 s", self.url)
    }

    /// Its JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops anvil with SIGTERM (it dumps its state) and waits for it.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            // SAFETY: sending a signal to a child process we own; no memory is touched.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.start_kill()?;
                self.child.wait().await?;
            }
        }
        Ok(())
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        // Never leave an anvil behind (tests that panic drop it here).
        let _ = self.child.start_kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root of this checkout, found from the crate's folder by the workspace's lock file.
    fn checkout_root() -> PathBuf {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest.ancestors().find(|dir| dir.join("Cargo.lock").exists()).expect("the workspace root").to_path_buf()
    }

    #[test]
    fn tools_are_found_in_the_checkout_without_the_environment() {
        let root = checkout_root();
        let pinned = root.join(".tools/bin/anvil");
        let found = find_tool("anvil", None, Path::new(CHECKOUT), None);
        if pinned.exists() {
            // Inside the checkout, whatever the executable (a test binary under any target dir).
            let pinned = pinned.canonicalize().expect("pinned");
            assert_eq!(found.canonicalize().unwrap_or_else(|_| found.clone()), pinned, "the checkout's own anvil");
            let exe = std::env::current_exe().expect("the test binary");
            assert_eq!(find_tool("anvil", None, Path::new(CHECKOUT), Some(&exe)), found);
        } else {
            assert_eq!(found, PathBuf::from("anvil"), "no pinned anvil (`make tools`): PATH's");
        }
    }

    #[test]
    fn tools_are_found_above_the_executable_then_on_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let checkout = dir.path().join("checkout");
        std::fs::create_dir_all(checkout.join(".tools/bin")).expect("mkdir");
        std::fs::write(checkout.join(".tools/bin/anvil"), b"").expect("a tool");
        let exe = checkout.join("target/release/rollup");
        let moved = dir.path().join("where-it-was-built");
        // target/release/rollup, started from a checkout that is not where it was compiled.
        assert_eq!(find_tool("anvil", None, &moved, Some(&exe)), checkout.join(".tools/bin/anvil"));
        // The compile-time checkout first, when it has the tool.
        let elsewhere = Path::new("/elsewhere/bin/rollup");
        assert_eq!(find_tool("anvil", None, &checkout, Some(elsewhere)), checkout.join(".tools/bin/anvil"));
        // $ROLLUP_TOOLS_BIN wins.
        let custom = dir.path().join("custom");
        std::fs::create_dir_all(&custom).expect("mkdir");
        std::fs::write(custom.join("anvil"), b"").expect("a tool");
        assert_eq!(find_tool("anvil", Some(custom.as_os_str()), &checkout, Some(&exe)), custom.join("anvil"));
        // A folder without it is passed over; nowhere: the bare name, for PATH.
        assert_eq!(find_tool("cast", Some(custom.as_os_str()), &checkout, Some(&exe)), PathBuf::from("cast"));
    }

    #[tokio::test]
    async fn a_port_taken_before_anvil_binds_it_is_chosen_again() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let taken_port = taken.local_addr().expect("addr").port();
        let config = AnvilConfig { port: 0, block_time: None, gas_limit: None, state_file: None, log_file: None };
        let mut ports = std::iter::once(taken_port);
        let anvil = Anvil::spawn_on_any(&config, || ports.next().map_or_else(free_port, Ok)).await.expect("anvil");
        assert_ne!(anvil.url(), format!("http://127.0.0.1:{taken_port}"), "not on the taken port");
        anvil.stop().await.expect("stopped");
        // Every port taken: the error names each.
        let all = Anvil::spawn_on_any(&config, || Ok(taken_port)).await.expect_err("nowhere to bind");
        let message = format!("{all:#}");
        assert_eq!(message.matches("already in use").count(), PORT_TRIES, "{message}");
    }
}

//! Throwaway PostgreSQL and MQTT servers for the tests, started from the
//! installed programs (Debian's `postgresql` and `mosquitto` packages, as
//! the README says and `.ci/run` installs) on free loopback ports. No
//! running service is needed and nothing outside a temporary folder is
//! touched.
//!
//! PostgreSQL refuses to run as root, so as root the cluster belongs to
//! the `postgres` user. The cluster outlives any one test: a small shell
//! watchdog stops it and removes its folder once this test process is
//! gone, so it never outlives the run.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The folder with `initdb`, `pg_ctl` and `postgres`: `CITYOPS_PG_BIN`,
/// the newest `/usr/lib/postgresql/N/bin`, or the `PATH`.
fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("CITYOPS_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    PathBuf::new()
}

/// A command run as the `postgres` user when this process is root.
fn as_pg_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A running PostgreSQL cluster for this test process.
pub struct Postgres {
    pub port: u16,
    pub user: String,
    pub password: String,
    dir: PathBuf,
}

impl Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/DB` (no password in it).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{db}", self.user, self.port)
    }

    /// Runs SQL with `psql` (stops at the first error) and returns what it
    /// printed (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let psql = pg_bin().join("psql");
        let psql = if psql.exists() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let out = Command::new(psql)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args(["-p", &self.port.to_string(), "-U", &self.user, "-d", db])
            .arg("-c")
            .arg(sql)
            .env("PGPASSWORD", &self.password)
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed: {}\n{sql}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A fresh database for one test.
    pub fn database(&self, name: &str) -> String {
        self.psql("postgres", &format!("DROP DATABASE IF EXISTS {name}"));
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(name)
    }
}

/// The cluster, started on first use. Panics with what to install when
/// PostgreSQL is not on this machine.
pub fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(start_postgres)
}

// The watchdog shell is never waited for: it must outlive this process
// to stop the cluster after it.
#[allow(clippy::zombie_processes)]
fn start_postgres() -> Postgres {
    let bin = pg_bin();
    assert!(
        bin.join("initdb").exists(),
        "PostgreSQL's server programs were not found (looked in /usr/lib/postgresql/*/bin and CITYOPS_PG_BIN). Install Debian's postgresql package (.ci/run does)."
    );
    let dir = std::env::temp_dir().join(format!("cityops-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let password = format!("pw-{}", std::process::id());
    std::fs::write(dir.join("pwfile"), &password).unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "chown to the postgres user failed");
    }
    let data = dir.join("data");
    let out = as_pg_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", dir.join("pwfile").display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let pg_ctl = bin.join("pg_ctl");
    let run_as = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let options = format!(
        "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        dir = dir.display()
    );
    // Start, say so, then wait for this test process to end; then stop
    // the cluster and remove its folder.
    let script = format!(
        "{run_as}{pg_ctl} -D {data} -l {log} -w -t 60 -o '{options}' start >/dev/null 2>&1 && touch {ready} || touch {failed}; \
         while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {run_as}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        log = dir.join("log").display(),
        ready = dir.join("ready").display(),
        failed = dir.join("failed").display(),
        pid = std::process::id(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if dir.join("ready").exists() {
            break;
        }
        if dir.join("failed").exists() || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            panic!("PostgreSQL did not start on port {port}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Postgres {
        port,
        user: "postgres".to_owned(),
        password,
        dir,
    }
}

/// A Mosquitto broker of one test's own, stopped when dropped. It can be
/// stopped and started again on the same port (a broker restart).
pub struct Mosquitto {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Mosquitto {
    pub fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("cityops-mqtt-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = Self {
            port,
            dir,
            child: None,
        };
        m.resume();
        m
    }

    pub fn url(&self, topic: &str) -> String {
        format!("mqtt://127.0.0.1:{}/{topic}", self.port)
    }

    /// Starts the broker (again) on its port and waits until it listens.
    /// Its queue for a slow subscriber has no bound (Mosquitto drops QoS 1
    /// messages past 1,000 queued by default), so a test or a benchmark
    /// measures the follower, not the broker's policy.
    pub fn resume(&mut self) {
        let conf = self.dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 0\n",
                self.port
            ),
        )
        .unwrap();
        let program = ["/usr/sbin/mosquitto", "mosquitto"]
            .into_iter()
            .find(|p| !p.starts_with('/') || Path::new(p).exists())
            .unwrap();
        let child = Command::new(program)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto runs: install Debian's mosquitto package (.ci/run does)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the broker (its clients see the connection drop).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

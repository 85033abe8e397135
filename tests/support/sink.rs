//! A real Postfix `smtp-sink` on a free loopback port, with a private dump directory, killed
//! when dropped. Each transaction it receives becomes one file in `dumps`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

pub struct Sink {
    pub port: u16,
    child: Child,
    dumps: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sink {
    /// Starts `smtp-sink -a -c -d DIR/%H%M%S. 127.0.0.1:PORT 256` plus `faults`
    /// (e.g. `["-r", "RCPT"]`). `-a`: no AUTH offered (smtp-sink's AUTH is fake).
    pub async fn start(faults: &[&str]) -> Self {
        Self::start_on(free_port(), faults).await
    }

    pub async fn start_on(port: u16, faults: &[&str]) -> Self {
        assert!(
            Path::new(SMTP_SINK).exists(),
            "{SMTP_SINK} is missing: apt-get install postfix (see scripts/test.sh)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let dumps = dir.path().join("dumps");
        std::fs::create_dir(&dumps).expect("dump dir");
        // smtp-sink drops to the postfix user before writing dumps.
        let open = |p: &Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        };
        open(dir.path());
        open(&dumps);
        let log = std::fs::File::create(dir.path().join("sink.log")).expect("log file");
        let mut cmd = Command::new(SMTP_SINK);
        cmd.args(["-u", "postfix", "-a", "-c", "-d"])
            .arg(format!("{}/%H%M%S.", dumps.display()))
            .args(faults)
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        let child = cmd.spawn().expect("spawn smtp-sink");
        let sink = Self {
            port,
            child,
            dumps,
            _dir: dir,
        };
        sink.wait_listening().await;
        sink
    }

    async fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("smtp-sink did not listen on 127.0.0.1:{}", self.port);
    }

    /// The dumped transactions, once `expected` of them are there (or after 5 s).
    pub async fn dumps(&self, expected: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(&self.dumps)
                .expect("read dump dir")
                .map(|e| e.expect("dir entry").path())
                .collect();
            if files.len() >= expected || Instant::now() > deadline {
                // Give a file being written a moment to be complete.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return files
                    .iter()
                    .map(|f| String::from_utf8_lossy(&std::fs::read(f).expect("dump")).into_owned())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stop(mut self) -> u16 {
        self.kill();
        self.port
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// The message inside a smtp-sink dump: what follows the sink's own 3-line Received header
/// (the whole dump when it has none).
pub fn message(dump: &str) -> &str {
    let Some(at) = dump.find("\nReceived: ") else {
        return dump;
    };
    let rest = &dump[at + 1..];
    let mut offset = 0;
    for _ in 0..3 {
        match rest[offset..].find('\n') {
            Some(n) => offset += n + 1,
            None => return rest,
        }
    }
    &rest[offset..]
}

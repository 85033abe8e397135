//! A TCP proxy in front of a real SMTP server that records what the client wrote, one entry per
//! read: a single write of a few kilobytes arrives in one read on loopback, so the entries show
//! which commands left together. Aborted when dropped.
//!
//! It can also add "250-PIPELINING" to an EHLO reply that lacks it: smtp-sink's `-r` and `-f`
//! (refuse a command) imply `-p` (do not announce PIPELINING), but smtp-sink reads and answers
//! pipelined commands whatever it announces. Nothing else is changed.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Log {
    connections: usize,
    client_reads: Vec<String>,
}

pub struct Proxy {
    pub port: u16,
    log: Arc<Mutex<Log>>,
    task: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(backend: u16, announce_pipelining: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.lock().expect("log").connections += 1;
                let server = TcpStream::connect(("127.0.0.1", backend))
                    .await
                    .expect("proxy reaches the server");
                tokio::spawn(relay(
                    client,
                    server,
                    Arc::clone(&shared),
                    announce_pipelining,
                ));
            }
        });
        Self { port, log, task }
    }

    /// What the client wrote, one entry per read, across all connections.
    pub fn client_reads(&self) -> Vec<String> {
        self.log.lock().expect("log").client_reads.clone()
    }

    pub fn connections(&self) -> usize {
        self.log.lock().expect("log").connections
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, server: TcpStream, log: Arc<Mutex<Log>>, announce: bool) {
    // Without it the proxy's own writes would wait for delayed ACKs (Nagle).
    client.set_nodelay(true).expect("nodelay");
    server.set_nodelay(true).expect("nodelay");
    let (mut client_in, mut client_out) = client.into_split();
    let (mut server_in, mut server_out) = server.into_split();
    let upstream = async move {
        let mut buf = vec![0u8; 256 * 1024];
        while let Ok(n @ 1..) = client_in.read(&mut buf).await {
            let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
            log.lock().expect("log").client_reads.push(chunk);
            if server_out.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_out.shutdown().await;
    };
    let downstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = server_in.read(&mut buf).await {
            let mut chunk = buf[..n].to_vec();
            if announce {
                chunk = with_pipelining(chunk);
            }
            if client_out.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = client_out.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// A multi-line 250 reply (only EHLO's is one) gets "250-PIPELINING" after its first line.
fn with_pipelining(chunk: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&chunk);
    if !text.starts_with("250-") || text.contains("PIPELINING") {
        return chunk;
    }
    let Some(end) = text.find("\r\n") else {
        return chunk;
    };
    format!("{}250-PIPELINING\r\n{}", &text[..end + 2], &text[end + 2..]).into_bytes()
}

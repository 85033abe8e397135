//! Glue that lets us own the TCP socket while lettre speaks SMTP over it.
//!
//! lettre 0.11.23 builds an `AsyncSmtpConnection` only by reading a greeting and sending EHLO
//! over a stream it is given, and never sets TCP_NODELAY on sockets it opens (23 messages/s per
//! connection on loopback: Nagle delays every command after the first). So we open the socket
//! ourselves and build lettre's connection over a `PrimedStream`: an in-memory stream that
//! answers that first greeting and EHLO itself. `SmtpConnection::connect` then swaps in the real
//! stream (`set_stream`) and runs greeting, EHLO, STARTTLS and AUTH phase by phase, each under
//! its own timeout. The primed EHLO advertises STARTTLS only so that lettre's `starttls()`
//! (which checks the advertised extensions) can be used; our own `ServerInfo` copy, read from
//! the real server, decides everything.
//!
//! The real stream is a `CountedStream`: the TCP socket plus a count of the bytes the kernel
//! took, which tells whether a failed content write can have delivered the final ".".

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const PRIMED_REPLIES: &[u8] = b"220 primed\r\n250-primed\r\n250 STARTTLS\r\n";

/// An in-memory stream that plays a server's greeting and EHLO reply, and swallows writes.
#[derive(Debug, Default)]
pub(crate) struct PrimedStream {
    read: usize,
}

impl AsyncRead for PrimedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let rest = PRIMED_REPLIES.get(self.read..).unwrap_or_default();
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        self.read += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for PrimedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncTokioStream for PrimedStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "in-memory stream has no peer",
        ))
    }
}

/// How many bytes were written to a socket so far. Shared between the `CountedStream` that lettre
/// owns (inside its TLS layer, if any) and the session that needs to know how far a write got.
#[derive(Clone, Debug, Default)]
pub(crate) struct SentBytes(Arc<AtomicU64>);

impl SentBytes {
    pub(crate) fn get(&self) -> u64 {
        // Relaxed: written and read by the same task, one await point apart.
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Our TCP socket as lettre sees it: it counts what the kernel accepted. Under TLS it counts
/// ciphertext, which is never shorter than the plaintext it carries, so "fewer bytes than the
/// offset of the final dot" still proves the dot was not sent.
#[derive(Debug)]
pub(crate) struct CountedStream {
    tcp: TcpStream,
    sent: SentBytes,
}

impl CountedStream {
    pub(crate) fn new(tcp: TcpStream) -> (Self, SentBytes) {
        let sent = SentBytes::default();
        let stream = Self {
            tcp,
            sent: sent.clone(),
        };
        (stream, sent)
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.tcp).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            self.sent.add(*n);
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for CountedStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.peer_addr()
    }
}

/// The message content handed to lettre's `message_iter` (only for content that is not UTF-8,
/// see `payload.rs`), which writes every part, then the
/// final "\r\n.\r\n", then reads the reply. Asking for the part after the last one means all
/// content was written: from then on a lost connection may follow an accepted message, so the
/// outcome is `Unknown` rather than "not sent".
pub(crate) struct TrackedContent<'a> {
    part: Option<&'a [u8]>,
    written: &'a AtomicBool,
}

impl<'a> TrackedContent<'a> {
    pub(crate) fn new(content: &'a [u8], written: &'a AtomicBool) -> Self {
        Self {
            part: Some(content),
            written,
        }
    }
}

impl<'a> Iterator for TrackedContent<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let part = self.part.take();
        if part.is_none() {
            self.written.store(true, Ordering::SeqCst);
        }
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn primed_stream_plays_greeting_and_ehlo_then_ends() {
        let mut s = PrimedStream::default();
        s.write_all(b"EHLO x\r\n").await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, PRIMED_REPLIES);
    }

    #[tokio::test]
    async fn a_counted_stream_counts_what_the_socket_took() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let (mut stream, sent) = CountedStream::new(client.unwrap());
        stream.write_all(b"MAIL FROM:<a@b>\r\n").await.unwrap();
        stream.write_all(b"DATA\r\n").await.unwrap();
        assert_eq!(sent.get(), 23);
        let mut peer = accepted.unwrap().0;
        let mut got = [0u8; 23];
        peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"MAIL FROM:<a@b>\r\nDATA\r\n");
    }

    #[test]
    fn content_counts_as_written_only_after_the_last_part() {
        let flag = AtomicBool::new(false);
        let mut it = TrackedContent::new(b"abc", &flag);
        assert_eq!(it.next(), Some(&b"abc"[..]));
        assert!(!flag.load(Ordering::SeqCst));
        assert_eq!(it.next(), None);
        assert!(flag.load(Ordering::SeqCst));
    }
}

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

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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

/// The message content handed to lettre's `message_iter`, which writes every part, then the
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

//! `OutboxTransport`: "sends" by writing each message as `<message-id>.eml` into a folder, for
//! demos and dry runs. Idempotent like the step contract: the same Message-ID twice is the same
//! file, written once; an existing file is never overwritten.

use std::path::{Path, PathBuf};

use lettre::address::Envelope;

use super::error::SmtpError;
use super::reply::Reply;

#[derive(Clone, Debug)]
pub struct OutboxTransport {
    dir: PathBuf,
}

impl OutboxTransport {
    /// Uses `dir`, creating it when missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, SmtpError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| SmtpError::Outbox {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the message atomically (a temp file, then a hard link that fails if the name is
    /// taken) and answers like a server would: `250 2.0.0 written to outbox as <file>`.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Reply, SmtpError> {
        let name = file_name(message, envelope);
        let path = self.dir.join(&name);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(Reply::new(
                250,
                format!("2.0.0 already in outbox as {name}"),
            ));
        }
        let temp = self
            .dir
            .join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SmtpError::Outbox { path, source }
        };
        tokio::fs::write(&temp, message).await.map_err(io(&temp))?;
        let linked = tokio::fs::hard_link(&temp, &path).await;
        // The temp file is removed whether or not the link was made.
        let _ = tokio::fs::remove_file(&temp).await;
        match linked {
            Ok(()) => Ok(Reply::new(
                250,
                format!("2.0.0 written to outbox as {name}"),
            )),
            // A concurrent send of the same Message-ID won the race: same message, same file.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Reply::new(
                250,
                format!("2.0.0 already in outbox as {name}"),
            )),
            Err(source) => Err(SmtpError::Outbox { path, source }),
        }
    }
}

/// `<abc@example.com>` → `abc@example.com.eml`; anything but `[A-Za-z0-9@._-]` becomes `_`.
/// A message without a Message-ID is named after its envelope recipient and a random suffix.
fn file_name(message: &[u8], envelope: &Envelope) -> String {
    let stem = message_id(message)
        .map(|id| {
            id.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| {
            let to = envelope
                .to()
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("no-message-id-{to}-{}", uuid::Uuid::new_v4().simple())
        });
    let safe: String = stem
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.eml", safe.trim_start_matches('.'))
}

/// The Message-ID header's value, from the header block only.
fn message_id(message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let headers = text.split("\r\n\r\n").next()?;
    headers.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("Message-ID")
            .then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope::new(
            Some("a@x.test".parse().unwrap()),
            vec!["b@y.test".parse().unwrap()],
        )
        .unwrap()
    }

    #[test]
    fn file_names_come_from_the_message_id_and_are_path_safe() {
        let m = b"Subject: x\r\nMessage-ID: <abc/../def@x.test>\r\n\r\nMessage-ID: <body@x>\r\n";
        assert_eq!(file_name(m, &envelope()), "abc_.._def@x.test.eml");
        let none = file_name(b"Subject: x\r\n\r\nhi", &envelope());
        assert!(none.starts_with("no-message-id-b@y.test-"), "{none}");
    }

    #[tokio::test]
    async fn the_same_message_id_twice_is_one_file_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxTransport::new(dir.path().join("out")).unwrap();
        let first = b"Message-ID: <1@x.test>\r\n\r\nfirst\r\n";
        let second = b"Message-ID: <1@x.test>\r\n\r\nsecond\r\n";
        let r1 = outbox.send(&envelope(), first).await.unwrap();
        let r2 = outbox.send(&envelope(), second).await.unwrap();
        assert_eq!(r1.code, 250);
        assert!(r2.text.contains("already in outbox"), "{r2}");
        let files: Vec<_> = std::fs::read_dir(outbox.dir()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let written = std::fs::read(outbox.dir().join("1@x.test.eml")).unwrap();
        assert_eq!(written, first);
    }
}

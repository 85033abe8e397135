//! DKIM signatures judged by an independent verifier: dkimpy's Python API, offline, with a
//! `dnsfunc` that answers the TXT records derived from keys generated here by openssl (and by
//! dkimpy's own `dknewkey`). Also after a real smtp-sink has received and dumped the message.
//! Without a python3 with dkimpy (`apt-get install python3-dkim`) a test is skipped with a note,
//! except under `CI=true`, where it fails (scripts/test.sh installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use outreachd::domain::EmailAddress;
use outreachd::smtp::{
    DkimAlgorithm, DkimKeyConfig, DkimSettings, DkimSigners, OutgoingMessage, SmtpConnection,
    build_signed,
};

use crate::sink::Sink;
use crate::{endpoint, message, received_message, timeouts};

const DOMAIN: &str = "sender.test";

/// Prints one line per DKIM-Signature, top first: "pass <selector>" or "fail <selector>".
const VERIFY_PY: &str = r#"
import re, sys, dkim
records = {}
for line in open(sys.argv[1], encoding="ascii"):
    name, txt = line.rstrip("\n").split("\t", 1)
    records[name.encode()] = txt.encode()
message = open(sys.argv[2], "rb").read()
def dnsfunc(name, timeout=5):
    return records.get(name)
d = dkim.DKIM(message)
signatures = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
for i, sig in enumerate(signatures):
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:  # this entry point raises where dkim.verify returns False
        print(e, file=sys.stderr)
        ok = False
    selector = re.search(rb"\bs=([^;\s]+)", sig).group(1).decode()
    print(("pass " if ok else "fail ") + selector)
"#;

/// A python3 that can `import dkim`: the one on PATH (pip, pyenv) or Debian's.
fn verifier() -> Option<&'static str> {
    let found = ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import dkim, nacl"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        crate::support::skip::missing(
            "no python3 with dkimpy and PyNaCl",
            "install python3-dkim (apt) or dkimpy and pynacl (pip)",
        );
    }
    found
}

/// Keys written to a temporary directory, with the TXT records that publish them.
struct Keys {
    dir: tempfile::TempDir,
    configs: Vec<DkimKeyConfig>,
    records: Vec<(String, String)>,
}

impl Keys {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            configs: Vec::new(),
            records: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `openssl genrsa -traditional` (PKCS#1) or `openssl genpkey` (PKCS#8).
    fn rsa(self, selector: &str, bits: u32, pkcs8: bool) -> Self {
        let key = self.path(&format!("{selector}.pem"));
        if pkcs8 {
            openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                path_str(&key),
            ]);
        } else {
            openssl(&[
                "genrsa",
                "-traditional",
                "-out",
                path_str(&key),
                &bits.to_string(),
            ]);
        }
        let spki = openssl(&["pkey", "-in", path_str(&key), "-pubout", "-outform", "DER"]);
        let txt = format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(spki));
        self.add(selector, key, DkimAlgorithm::RsaSha256, txt)
    }

    /// `openssl genpkey -algorithm ed25519` (PKCS#8); the record holds the raw 32-byte key.
    fn ed25519(self, selector: &str) -> Self {
        let key = self.path(&format!("{selector}.pem"));
        openssl(&["genpkey", "-algorithm", "ed25519", "-out", path_str(&key)]);
        let spki = openssl(&["pkey", "-in", path_str(&key), "-pubout", "-outform", "DER"]);
        let raw = &spki[spki.len() - 32..];
        let txt = format!("v=DKIM1; k=ed25519; p={}", STANDARD.encode(raw));
        self.add(selector, key, DkimAlgorithm::Ed25519Sha256, txt)
    }

    /// dkimpy's own generator: a bare base64 seed, and the record it prints.
    fn dknewkey_ed25519(self, python: &str, selector: &str) -> Self {
        let status = Command::new(python)
            .args(["-m", "dkim.dknewkey", "--ktype", "ed25519", selector])
            .current_dir(self.dir.path())
            .output()
            .expect("run dknewkey");
        assert!(status.status.success(), "dknewkey: {status:?}");
        let txt = std::fs::read_to_string(self.path(&format!("{selector}.dns"))).expect("dns");
        let key = self.path(&format!("{selector}.key"));
        self.add(
            selector,
            key,
            DkimAlgorithm::Ed25519Sha256,
            txt.trim().to_owned(),
        )
    }

    fn add(mut self, selector: &str, key: PathBuf, algorithm: DkimAlgorithm, txt: String) -> Self {
        self.configs.push(DkimKeyConfig {
            domain: DOMAIN.to_owned(),
            selector: selector.to_owned(),
            private_key_file: key,
            algorithm,
        });
        self.records
            .push((format!("{selector}._domainkey.{DOMAIN}."), txt));
        self
    }

    fn signers(&self) -> DkimSigners {
        DkimSigners::from_settings(&DkimSettings {
            keys: self.configs.clone(),
        })
        .expect("keys load")
    }

    fn signers_for(&self, config: &DkimKeyConfig) -> DkimSigners {
        DkimSigners::from_settings(&DkimSettings {
            keys: vec![config.clone()],
        })
        .expect("key loads")
    }

    /// dkimpy's verdict on each signature of `message`, top first.
    fn verify(&self, python: &str, message: &[u8]) -> Vec<String> {
        let records = self.path("records.tsv");
        let lines: String = self
            .records
            .iter()
            .map(|(name, txt)| format!("{name}\t{txt}\n"))
            .collect();
        std::fs::write(&records, lines).expect("write records");
        let eml = self.path("message.eml");
        std::fs::write(&eml, message).expect("write message");
        let out = Command::new(python)
            .args(["-c", VERIFY_PY])
            .arg(&records)
            .arg(&eml)
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "verifier failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is needed to generate test keys (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// A follow-up with an HTML part, non-ASCII names and a subject long enough to be folded: the
/// header encodings and MIME structure a signature must survive.
fn rich_message() -> OutgoingMessage {
    let mut m = message(1);
    m.to_name = Some("Léa Müller-Lüdenscheidt".to_owned());
    m.subject = "Re: une très longue question à propos de votre équipe commerciale et de ses outils de prospection".to_owned();
    m.html_body = Some("<p>Bonjour Léa,</p>\n<p>a short note.</p>\n".to_owned());
    m.in_reply_to = Some("<first@sender.test>".to_owned());
    m.references = vec!["<first@sender.test>".to_owned()];
    m
}

fn signed(signers: &DkimSigners, m: &OutgoingMessage) -> Vec<u8> {
    signers.build(m).expect("signed message builds").1
}

fn unfolded_signatures(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.replace("\r\n ", " ")
        .replace("\r\n\t", " ")
        .split("\r\n")
        .filter(|l| l.starts_with("DKIM-Signature:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_rsa_pkcs1_signature_verifies_and_tampering_with_body_or_subject_fails_it() {
    let Some(python) = verifier() else { return };
    let keys = Keys::new().rsa("rsa1", 2048, false);
    let bytes = signed(&keys.signers(), &rich_message());

    assert_eq!(keys.verify(python, &bytes), ["pass rsa1"]);
    let signature = &unfolded_signatures(&bytes)[0];
    assert!(signature.contains("a=rsa-sha256;"), "{signature}");
    assert!(signature.contains("d=sender.test;"), "{signature}");
    assert!(signature.contains("c=relaxed/relaxed;"), "{signature}");
    assert!(
        signature.contains(
            "h=from:to:subject:date:message-id:in-reply-to:references:list-unsubscribe:\
             list-unsubscribe-post:mime-version:content-type;"
        ),
        "{signature}"
    );

    let text = String::from_utf8(bytes.clone()).expect("ASCII message");
    assert!(text.contains("a short note."), "{text}");
    let body_changed = text.replacen("a short note.", "a short NOTE.", 1);
    assert_eq!(keys.verify(python, body_changed.as_bytes()), ["fail rsa1"]);
    let subject_changed = text.replacen("Subject: Re:", "Subject: RE:", 1);
    assert_eq!(
        keys.verify(python, subject_changed.as_bytes()),
        ["fail rsa1"]
    );
    let content_type_changed = text.replacen("multipart/alternative", "multipart/mixed", 1);
    assert_eq!(
        keys.verify(python, content_type_changed.as_bytes()),
        ["fail rsa1"]
    );
}

#[test]
fn a_domain_with_ed25519_and_rsa_pkcs8_keys_gets_two_signatures_that_both_verify() {
    let Some(python) = verifier() else { return };
    let keys = Keys::new().ed25519("ed1").rsa("rsa8", 2048, true);
    let bytes = signed(&keys.signers(), &rich_message());

    let signatures = unfolded_signatures(&bytes);
    assert_eq!(signatures.len(), 2, "{signatures:#?}");
    assert!(
        signatures[0].contains("a=ed25519-sha256;"),
        "{signatures:#?}"
    );
    assert!(signatures[1].contains("a=rsa-sha256;"), "{signatures:#?}");
    let mut verdicts = keys.verify(python, &bytes);
    verdicts.sort();
    assert_eq!(verdicts, ["pass ed1", "pass rsa8"]);
}

#[test]
fn a_dknewkey_ed25519_seed_signs_a_plain_text_message_and_an_empty_body() {
    let Some(python) = verifier() else { return };
    let keys = Keys::new().dknewkey_ed25519(python, "seed1");
    let signers = keys.signers();
    let plain = message(2);
    assert_eq!(
        keys.verify(python, &signed(&signers, &plain)),
        ["pass seed1"]
    );

    let mut empty = message(3);
    empty.text_body = String::new();
    assert_eq!(
        keys.verify(python, &signed(&signers, &empty)),
        ["pass seed1"]
    );
}

#[test]
fn mail_from_a_domain_without_keys_goes_out_unsigned() {
    let keys = Keys::new().ed25519("ed1");
    let signers = keys.signers();
    let mut other = message(4);
    other.from = EmailAddress::parse("sam@elsewhere.test").expect("from");
    let (_, bytes) = signers.build(&other).expect("builds");
    assert!(unfolded_signatures(&bytes).is_empty());
    assert_eq!(build_signed(&other, None).expect("builds").1, bytes);
    assert!(signers.for_domain("SENDER.test").is_some());
}

#[tokio::test]
async fn a_signed_message_still_verifies_after_smtp_sink_received_and_dumped_it() {
    let Some(python) = verifier() else { return };
    let keys = Keys::new().ed25519("ed1").rsa("rsa1", 2048, false);
    let m = rich_message();
    let (envelope, bytes) = keys.signers().build(&m).expect("signed message builds");

    let sink = Sink::start(&[]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    conn.send(&envelope, &bytes).await.expect("send");
    conn.quit().await;
    let dumps = sink.dumps(1).await;
    assert_eq!(dumps.len(), 1);

    // smtp-sink stores lines with bare LF after its own headers; the wire form has CRLF.
    let received = received_message(&dumps[0])
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    assert!(received.starts_with("DKIM-Signature:"), "{received}");
    let mut verdicts = keys.verify(python, received.as_bytes());
    verdicts.sort();
    assert_eq!(verdicts, ["pass ed1", "pass rsa1"]);
}

#[test]
fn unusable_keys_stop_start_up_with_an_error_naming_the_file() {
    let keys = Keys::new().rsa("short", 512, false).ed25519("ed1");
    let load = |config: &DkimKeyConfig| {
        DkimSigners::from_settings(&DkimSettings {
            keys: vec![config.clone()],
        })
        .expect_err("refused")
        .to_string()
    };

    let short = &keys.configs[0];
    let err = load(short);
    assert!(err.contains(path_str(&short.private_key_file)), "{err}");
    assert!(err.contains("512 bits"), "{err}");

    let mut wrong_algorithm = keys.configs[1].clone();
    wrong_algorithm.algorithm = DkimAlgorithm::RsaSha256;
    let err = load(&wrong_algorithm);
    assert!(
        err.contains(path_str(&wrong_algorithm.private_key_file)),
        "{err}"
    );
    assert!(err.contains("Ed25519 key, not RSA"), "{err}");

    let key_text = std::fs::read_to_string(&keys.configs[1].private_key_file).expect("key");
    let secret_line = key_text.lines().nth(1).expect("base64 line");
    assert!(!err.contains(secret_line), "{err}");
    let debug = format!("{:?}", keys.signers_for(&keys.configs[1]));
    assert!(debug.contains("ed1 (ed25519-sha256)"), "{debug}");
    assert!(!debug.contains(secret_line), "{debug}");
}

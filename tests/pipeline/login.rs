//! SMTP login through the whole pipeline, against the mail peers' Postfix submission services
//! (AUTH required, checked by Dovecot over SASL; one plain, one STARTTLS-only with a private
//! CA; `scripts/mail-peers/`). smtp-sink cannot stand in here: its AUTH answers 250 to
//! anything.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use outreachd::domain::{EmailAddress, MailboxSpec, NewLead, SmtpSecurity};

use secrecy::SecretString;

use crate::fixtures::{
    SeedPlan, lead_states, seed_plan, step, summary, wait_for, wait_until_a_mailbox_pauses,
};
use crate::helpers::spawn_app_with;
use crate::support::mail_peers::MailPeers;
use crate::support::{TestBackend, send_states};

const FAST: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "1s"),
];

/// The submission service, or `None` (skip) without mail peers; under `CI=true` they must be
/// there.
struct Submission {
    port: u16,
    /// STARTTLS required before AUTH; certificate for localhost from the CA in `ca`.
    starttls_port: u16,
    ca: String,
    dir: PathBuf,
    domain: String,
    password: String,
}

fn submission() -> Option<Submission> {
    let peers = MailPeers::from_env()?;
    Some(Submission {
        port: peers.submit_port,
        starttls_port: peers.starttls_port,
        ca: peers.ca,
        dir: peers.dir,
        domain: peers.domain,
        password: peers.password,
    })
}

impl Submission {
    /// A plan of `leads` leads, recipient1.. of the peers' domain, sent by sender1 logging in
    /// with `password`; `marker` in every subject tells this test's messages from others'.
    fn plan(&self, leads: usize, password: &str, marker: &str) -> SeedPlan<'static> {
        let (domain, password) = (self.domain.clone(), password.to_owned());
        let sender = format!("sender1@{domain}");
        let mailbox = move |_: usize, m: &mut MailboxSpec| {
            m.address = EmailAddress::parse(&sender).unwrap();
            m.smtp.username = sender.clone();
            m.smtp.password = SecretString::from(password.clone());
        };
        let lead = move |i: usize, l: NewLead| NewLead {
            email: Some(EmailAddress::parse(&format!("recipient{}@{domain}", i + 1)).unwrap()),
            ..l
        };
        SeedPlan {
            mailbox: Box::new(mailbox),
            lead: Box::new(lead),
            ..SeedPlan::new(
                1,
                leads,
                vec![step(
                    "0s",
                    Some(&format!("{marker} {{{{ first_name }}}}")),
                    "Hello.",
                )],
            )
        }
    }

    /// [`Self::plan`] over the STARTTLS service, reached as `localhost` (the certificate's
    /// name).
    fn starttls_plan(&self, leads: usize, marker: &str) -> SeedPlan<'static> {
        let mut plan = self.plan(leads, &self.password, marker);
        let (port, login) = (self.starttls_port, plan.mailbox);
        plan.mailbox = Box::new(move |i, m| {
            login(i, m);
            m.smtp.host = "localhost".into();
            m.smtp.port = port;
            m.smtp.security = SmtpSecurity::Starttls;
        });
        plan
    }

    /// Waits (up to 20 s) until each of `users` holds exactly one message with `marker`.
    async fn wait_delivered(&self, users: &[&str], marker: &str) {
        let start = Instant::now();
        while users.iter().any(|u| self.delivered(u, marker) != 1) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "not delivered once to each of {users:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Messages in `user`'s maildir whose text contains `marker`.
    fn delivered(&self, user: &str, marker: &str) -> usize {
        let new = self
            .dir
            .join(format!("mail/{}/{user}/Maildir/new", self.domain));
        let Ok(entries) = std::fs::read_dir(new) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|text| text.contains(marker)))
            .count()
    }
}

fn marker() -> String {
    format!("login-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

async fn a_mailbox_that_logs_in_delivers_through_postfix_to_the_recipients(backend: TestBackend) {
    let Some(peers) = submission() else { return };
    let marker = marker();
    let app = spawn_app_with(backend, FAST).await;
    let plan = peers.plan(3, &peers.password, &marker);
    let seeded = seed_plan(app.store.as_ref(), peers.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&3),
    )
    .await;
    // Postfix hands the mail to Dovecot after it answered 250: wait for the maildirs.
    peers
        .wait_delivered(&["recipient1", "recipient2", "recipient3"], &marker)
        .await;
}

async fn starttls_with_the_relays_ca_in_tls_ca_file_logs_in_and_delivers(backend: TestBackend) {
    let Some(peers) = submission() else { return };
    let marker = marker();
    let mut settings = FAST.to_vec();
    settings.push(("OUTREACHD__SECURITY__TLS_CA_FILE", &peers.ca));
    let app = spawn_app_with(backend, &settings).await;
    let plan = peers.starttls_plan(2, &marker);
    let seeded = seed_plan(app.store.as_ref(), peers.starttls_port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&2),
    )
    .await;
    peers
        .wait_delivered(&["recipient1", "recipient2"], &marker)
        .await;
}

async fn starttls_to_a_relay_whose_ca_is_not_trusted_pauses_the_mailbox(backend: TestBackend) {
    let Some(peers) = submission() else { return };
    let app = spawn_app_with(backend, FAST).await;
    let plan = peers.starttls_plan(2, &marker());
    let seeded = seed_plan(app.store.as_ref(), peers.starttls_port, plan).await;
    app.supervisor.notify();
    let s = wait_until_a_mailbox_pauses(app.store.as_ref(), seeded.workspace).await;
    let reason = s.mailboxes[0].status_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("not signed by a trusted CA"),
        "an operator is told why: {reason}"
    );
    assert_eq!(
        lead_states(&s).get("active"),
        Some(&2),
        "leads wait, unblamed"
    );
}

async fn a_wrong_smtp_password_pauses_the_mailbox_and_blames_no_lead(backend: TestBackend) {
    let Some(peers) = submission() else { return };
    let wrong = "not-the-password-7f3a";
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed_plan(
        app.store.as_ref(),
        peers.port,
        peers.plan(3, wrong, &marker()),
    )
    .await;
    app.supervisor.notify();
    let s = wait_until_a_mailbox_pauses(app.store.as_ref(), seeded.workspace).await;
    let reason = s.mailboxes[0].status_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("535"),
        "the server's refusal is kept: {reason}"
    );
    assert!(
        !reason.contains(wrong),
        "the password never shows: {reason}"
    );
    assert_eq!(
        lead_states(&s).get("active"),
        Some(&3),
        "leads wait, unblamed"
    );

    // Well past the cooldown, the mailbox is still paused: it waits for an operator rather
    // than trying the password again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = summary(app.store.as_ref(), seeded.workspace).await;
    assert_eq!(s.mailboxes[0].status.to_string(), "paused");
    assert_eq!(lead_states(&s).get("active"), Some(&3));
    let states = send_states(&app.database_url, seeded.campaign).await;
    assert!(
        ["sent", "sending", "failed", "bounced", "unknown"]
            .iter()
            .all(|k| !states.contains_key(*k)),
        "nothing went out and nothing was blamed: {states:?}"
    );
}

/// The apply file an operator fixes the mailbox of [`Submission::plan`] with: the right
/// password, from an environment variable.
fn fixed_mailbox_file(peers: &Submission) -> String {
    let sender = format!("sender1@{}", peers.domain);
    format!(
        r#"[workspace]
name = "acme"

[[mailboxes]]
address = "{sender}"
from_name = "Sender 0"
daily_cap = 100000
min_gap = "0s"
max_gap = "0s"
timezone = "UTC"
smtp = {{ host = "127.0.0.1", port = {port}, security = "plain", username = "{sender}", password_env = "FIXED_SMTP_PASSWORD" }}
"#,
        port = peers.port
    )
}

async fn a_mailbox_paused_by_a_wrong_password_sends_again_once_fixed_and_resumed(
    backend: TestBackend,
) {
    let Some(peers) = submission() else { return };
    let marker = marker();
    let app = spawn_app_with(backend, FAST).await;
    let store = app.store.as_ref();
    let plan = peers.plan(2, "not-the-password-4b1e", &marker);
    let seeded = seed_plan(store, peers.port, plan).await;
    app.supervisor.notify();
    wait_until_a_mailbox_pauses(store, seeded.workspace).await;

    // The operator fixes the password with an apply file: a fixed login alone does not
    // resume the mailbox.
    let config = outreachd::config::load(&[], &std::collections::HashMap::new()).unwrap();
    let password = peers.password.clone();
    let env = move |name: &str| (name == "FIXED_SMTP_PASSWORD").then(|| password.clone());
    let manifest = outreachd::manifest::parse(
        std::path::Path::new("fix.toml"),
        &fixed_mailbox_file(&peers),
        &config.settings.mailbox_defaults,
        &env,
    )
    .unwrap();
    let report = outreachd::manifest::apply(store, &manifest, false)
        .await
        .unwrap();
    assert!(report.to_string().contains("smtp password"), "{report}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = summary(store, seeded.workspace).await;
    assert_eq!(s.mailboxes[0].status.to_string(), "paused");
    assert_eq!(lead_states(&s).get("active"), Some(&2));

    // Resumed as `outreachd mailbox resume` does, while the daemon runs: its supervisor starts
    // the mailbox within its reconcile interval and the waiting leads go out.
    let ws = outreachd::service::workspace(store, None).await.unwrap();
    let address = EmailAddress::parse(&format!("sender1@{}", peers.domain)).unwrap();
    let resumed = outreachd::service::mailboxes::resume(store, &ws, &address, chrono::Utc::now())
        .await
        .unwrap();
    assert!(resumed.changed && resumed.before.to_string() == "paused");
    let s = wait_for(store, seeded.workspace, Duration::from_secs(30), |s| {
        lead_states(s).get("completed") == Some(&2)
    })
    .await;
    assert_eq!(s.mailboxes[0].status.to_string(), "active");
    peers
        .wait_delivered(&["recipient1", "recipient2"], &marker)
        .await;
}

crate::on_both_backends!(
    a_mailbox_that_logs_in_delivers_through_postfix_to_the_recipients,
    a_wrong_smtp_password_pauses_the_mailbox_and_blames_no_lead,
    starttls_with_the_relays_ca_in_tls_ca_file_logs_in_and_delivers,
    starttls_to_a_relay_whose_ca_is_not_trusted_pauses_the_mailbox,
    a_mailbox_paused_by_a_wrong_password_sends_again_once_fixed_and_resumed,
);

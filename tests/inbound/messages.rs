//! The inbound messages the tests deliver: written like the real thing (threading headers, an
//! RFC 3464 report with the returned headers, an Exchange-style out-of-office).

fn date() -> String {
    chrono::Utc::now().to_rfc2822()
}

fn fresh_id(domain: &str) -> String {
    format!("<{}@{domain}>", uuid::Uuid::new_v4())
}

/// A person's answer to our message `in_reply_to` (with its subject).
pub fn reply(from: &str, to: &str, subject: &str, in_reply_to: &str, body: &str) -> String {
    format!(
        "From: Lead <{from}>\nTo: <{to}>\nSubject: Re: {subject}\nDate: {}\n\
         Message-ID: {}\nIn-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n\n\
         On Monday, Sender wrote:\n> Hello\n",
        date(),
        fresh_id("lead.example"),
    )
}

/// An out-of-office answer to `in_reply_to` saying the lead is back on `back` ("7 December
/// 2026").
pub fn out_of_office(from: &str, to: &str, subject: &str, in_reply_to: &str, back: &str) -> String {
    format!(
        "From: Lead <{from}>\nTo: <{to}>\nSubject: Automatic reply: {subject}\nDate: {}\n\
         Message-ID: {}\nIn-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n\
         Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n\
         Thank you for your email. I am out of the office until {back} with limited access \
         to email.\n\nKind regards\n",
        date(),
        fresh_id("lead.example"),
    )
}

/// A Postfix-style DSN to `sender`: `recipient` does not exist (5.1.1); the returned headers
/// carry our `message_id`.
pub fn hard_bounce(sender: &str, recipient: &str, message_id: &str) -> String {
    bounce(
        sender,
        recipient,
        message_id,
        "5.1.1",
        "Recipient address rejected: User unknown in local recipient table",
    )
}

/// A Postfix-style DSN to `sender` for `recipient` with `status` and the server's `words`
/// (after "550 <status> <recipient>:"); the returned headers carry our `message_id`.
pub fn bounce(
    sender: &str,
    recipient: &str,
    message_id: &str,
    status: &str,
    words: &str,
) -> String {
    let boundary = "B0UNDARY.dsn/mx.rcpt.test";
    format!(
        "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\nTo: <{sender}>\n\
         Subject: Undelivered Mail Returned to Sender\nDate: {}\nMessage-ID: {}\n\
         Auto-Submitted: auto-replied\nMIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{boundary}\"\n\n\
         This is a MIME-encapsulated message.\n\n--{boundary}\n\
         Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n\
         I'm sorry to have to inform you that your message could not\nbe delivered.\n\n\
         <{recipient}>: host mx.rcpt.test[192.0.2.1] said: 550 {status} <{recipient}>:\n    \
         {words}\n\n--{boundary}\n\
         Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n\
         Reporting-MTA: dns; mx.example.test\n\nFinal-Recipient: rfc822; {recipient}\n\
         Original-Recipient: rfc822;{recipient}\nAction: failed\nStatus: {status}\n\
         Remote-MTA: dns; mx.rcpt.test\nDiagnostic-Code: smtp; 550 {status} <{recipient}>: \
         {words}\n\n--{boundary}\n\
         Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n\
         From: Sender <{sender}>\nTo: <{recipient}>\nSubject: Hello\nMessage-ID: {message_id}\n\n\
         --{boundary}--\n",
        date(),
        fresh_id("mx.example.test"),
    )
}

/// Our own copy of a sent message, as a provider files it in Sent.
pub fn sent_copy(from: &str, to: &str, message_id: &str) -> String {
    format!(
        "From: Sender <{from}>\nTo: <{to}>\nSubject: Hello\nDate: {}\nMessage-ID: {message_id}\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nHello there.\n",
        date()
    )
}

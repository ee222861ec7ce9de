//! Outgoing mail. Every message is first written to the `outbox` table in the same transaction
//! as the change that caused it, so nothing is lost to an SMTP outage or a restart.
//!
//! - With `ROLLCALL_SMTP_URL` set, a sender task delivers pending mail with lettre (STARTTLS or
//!   TLS per the URL) and retries failures with exponential back-off; the state of each message
//!   is visible to administrators.
//! - Without it (the embedded default), mail is `stored`: logged with its link and readable on
//!   the Outbox page, so a laptop set-up works end to end.

pub mod templates;

/// The outbox kind of password-reset mail.
pub const RESET_KIND: &str = "password_reset";
/// What the Outbox page shows instead of a reset mail's text.
pub const RESET_HIDDEN: &str = "Password reset links are not shown here: anyone who saw one could set this person's password. The person receives it by e-mail; without SMTP, the server prints it on its standard error for the operator.";

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, outbox::NewMail, Conn, Db};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Retries stop after this many attempts (about a day with the back-off below).
const MAX_ATTEMPTS: i64 = 20;
const POLL: Duration = Duration::from_secs(5);
/// Messages one sender claims at a time, and for how long: longer than delivering all of
/// them can take (20 × the 20 s SMTP timeout), so a claim never lapses while it is worked on.
const CLAIM_BATCH: i64 = 20;
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
const _: () = assert!(
    CLAIM_LEASE.whole_seconds() > CLAIM_BATCH * SMTP_TIMEOUT.as_secs() as i64,
    "a claim must outlast delivering its batch"
);
const CLAIM_LEASE: time::Duration = time::Duration::minutes(15);

/// How mail leaves: SMTP, or the outbox only.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    OutboxOnly,
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    wake: Notify,
    /// Public base URL for links in mail.
    pub public_base: String,
    pub invite_days: u32,
    clock: Clock,
}

/// The part of the [`Mailer`] that write jobs use: how new mail is stored and what links in
/// it point to. Cheap to clone into a job.
#[derive(Debug, Clone)]
pub struct Outbox {
    status: &'static str,
    /// Public base URL for links in mail.
    pub public_base: String,
    pub invite_days: u32,
    /// The clock link lifetimes are computed with.
    pub clock: Clock,
}

impl Mailer {
    /// The mailer `settings` describe (SMTP server, sender, links, invite lifetime).
    pub fn from_settings(settings: &crate::config::Settings, clock: Clock) -> AppResult<Self> {
        Self::new(
            settings
                .smtp_url
                .as_ref()
                .map(secrecy::ExposeSecret::expose_secret),
            &settings.mail_from,
            &settings.public_base(),
            settings.invite_days,
            clock,
        )
    }

    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        public_base: &str,
        invite_days: u32,
        clock: Clock,
    ) -> AppResult<Self> {
        let from: Mailbox = from.parse().map_err(|e| {
            AppError::invalid(
                "mail-from",
                format!("'{from}' is not a mail address like Rollcall <rollcall@example.com>: {e}"),
            )
        })?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| AppError::invalid("smtp-url", format!("'{}' is not an SMTP URL like smtp://host:587?tls=required or smtps://user:pass@host: {e}", redact(url))))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            None => Transport::OutboxOnly,
        };
        Ok(Mailer {
            transport,
            from,
            wake: Notify::new(),
            public_base: public_base.to_string(),
            invite_days,
            clock,
        })
    }

    /// "smtp" or "outbox", for the Settings page and logs.
    pub fn mode(&self) -> &'static str {
        match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::OutboxOnly => "outbox",
        }
    }

    /// What a write job needs to put mail in the outbox (owned: jobs run on the writer).
    pub fn outbox(&self) -> Outbox {
        Outbox {
            status: match self.transport {
                Transport::Smtp(_) => "pending",
                Transport::OutboxOnly => "stored",
            },
            public_base: self.public_base.clone(),
            invite_days: self.invite_days,
            clock: self.clock.clone(),
        }
    }

    /// Tells the sender that new mail is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl Outbox {
    /// Writes a message to the outbox inside the write job's transaction. Call
    /// [`Mailer::wake`] once the write has returned.
    pub async fn enqueue(
        &self,
        tx: &mut Conn,
        account_id: &str,
        kind: &str,
        to: &str,
        m: &templates::Rendered,
    ) -> AppResult<i64> {
        let status = self.status;
        let id = store::outbox::insert(
            &mut *tx,
            NewMail {
                account_id,
                kind,
                to_addr: to,
                subject: &m.subject,
                text_body: &m.text,
                html_body: &m.html,
                status,
                now: &ids::now(),
            },
        )
        .await?;
        if status == "pending" {
            store::notify::mail_queued(&mut *tx).await?;
        }
        if status == "stored" && kind == RESET_KIND {
            // No SMTP: a reset link reaches only the operator's terminal (stderr), never a log
            // line or the Outbox page, which other administrators can read.
            eprintln!(
                "\n  Password reset for {to} (no SMTP configured; pass the link on):\n{}\n",
                m.text
            );
            tracing::info!(
                to,
                "password reset kept in the outbox; link printed on stderr only"
            );
        } else if status == "stored" {
            // No SMTP: the Outbox page is how the invite reaches the person. Never the link in
            // a log line: logs are shipped and kept where the link would sign anyone up.
            tracing::info!(
                to,
                subject = %m.subject,
                "mail kept in the outbox (no SMTP configured): an administrator copies its link from the Outbox page"
            );
        }
        Ok(id)
    }
}

impl Mailer {
    /// Starts the sender task (a no-op without SMTP).
    pub fn spawn_sender(self: &Arc<Self>, db: Db) {
        if let Transport::OutboxOnly = self.transport {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                // One replica at a time sends (see `store::leader`); claims keep it exact.
                if !db.leads_jobs() {
                    let _ = tokio::time::timeout(POLL, me.wake.notified()).await;
                    continue;
                }
                if let Err(e) = me.send_due(&db).await {
                    tracing::warn!(error = %e, "mail sender: could not claim mail from the outbox");
                }
                let _ = tokio::time::timeout(POLL, me.wake.notified()).await;
            }
        });
    }

    async fn send_due(&self, db: &Db) -> AppResult<()> {
        let Transport::Smtp(smtp) = &self.transport else {
            return Ok(());
        };
        loop {
            let now = time::OffsetDateTime::now_utc();
            let lease_until = ids::format_time(now + CLAIM_LEASE);
            let now = ids::format_time(now);
            let due = db
                .writer()
                .write_queued(move |c| {
                    Box::pin(async move {
                        store::outbox::claim_due(c, &now, &lease_until, CLAIM_BATCH).await
                    })
                })
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            for mail in due {
                match self.deliver(smtp, &mail).await {
                    Ok(()) => {
                        let id = mail.id;
                        db.writer()
                            .write_queued(move |c| {
                                Box::pin(async move {
                                    store::outbox::mark_sent(&mut *c, id, &ids::now()).await
                                })
                            })
                            .await?;
                        tracing::info!(id = mail.id, to = %mail.to_addr, "mail sent");
                    }
                    Err(e) => {
                        let attempts = mail.attempts + 1;
                        let next = (attempts < MAX_ATTEMPTS).then(|| {
                            let wait = backoff(attempts);
                            ids::format_time(
                                time::OffsetDateTime::now_utc()
                                    + time::Duration::seconds(wait.as_secs() as i64),
                            )
                        });
                        tracing::warn!(id = mail.id, to = %mail.to_addr, attempts, error = %e, retry_at = ?next, "mail not sent");
                        let id = mail.id;
                        db.writer()
                            .write_queued(move |c| {
                                Box::pin(async move {
                                    store::outbox::mark_failed(&mut *c, id, &e, next.as_deref())
                                        .await
                                })
                            })
                            .await?;
                    }
                }
            }
        }
    }

    async fn deliver(
        &self,
        smtp: &AsyncSmtpTransport<Tokio1Executor>,
        mail: &store::outbox::MailRow,
    ) -> Result<(), String> {
        let to: Mailbox = mail
            .to_addr
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|e| format!("could not build the message: {e}"))?;
        smtp.send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// 30 s, 1 min, 2 min … capped at 1 hour.
fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs((30u64 << exp.min(7)).min(3600))
}

/// An SMTP URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(20), Duration::from_secs(3600));
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        assert!(Mailer::new(None, "not an address", "http://x", 7, Clock::system()).is_err());
        let err = Mailer::new(
            Some("ftp://user:secret@x"),
            "Rollcall <r@example.com>",
            "http://x",
            7,
            Clock::system(),
        )
        .err()
        .unwrap();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert_eq!(
            Mailer::new(
                None,
                "Rollcall <r@example.com>",
                "http://x",
                7,
                Clock::system()
            )
            .unwrap()
            .mode(),
            "outbox"
        );
    }
}

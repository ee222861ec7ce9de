//! The text of our mail: a plain-text and an HTML part for each message.

/// Subject, plain text and HTML of one message.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn html_page(title: &str, paragraphs: &[String], button: (&str, &str), footer: &str) -> String {
    let paras: String = paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{p}</p>"))
        .collect();
    format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,Arial,sans-serif;color:#1c2430;background:#f6f7f9;padding:24px\">\
         <div style=\"max-width:520px;margin:0 auto;background:#fff;border:1px solid #d5d9e0;border-radius:8px;padding:24px\">\
         <h1 style=\"font-size:20px;margin:0 0 16px\">{title}</h1>{paras}\
         <p style=\"margin:24px 0\"><a href=\"{href}\" style=\"background:#2f5bd3;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600\">{label}</a></p>\
         <p style=\"font-size:13px;color:#566173\">{footer}</p>\
         <p style=\"font-size:13px;color:#566173\">If the button does not work, copy this address into your browser:<br>{href}</p>\
         </div></body></html>",
        title = escape(title),
        href = escape(button.0),
        label = escape(button.1),
        footer = escape(footer),
    )
}

/// The invitation where the account enforces single sign-on: no password to choose, a link to
/// log in through the IdP (`idp` names it: "OneLogin", "Okta", … or "your identity provider").
pub fn sso_invite(account: &str, invited_by: &str, idp: &str, link: &str) -> Rendered {
    let subject = format!("You're invited to {account} on Rollcall");
    let text = format!(
        "You have been invited to {account} on Rollcall by {invited_by}.\n\n\
         There is no password to choose: log in with {idp} here:\n{link}\n"
    );
    let html = html_page(
        &subject,
        &[
            format!(
                "You have been invited to <strong>{}</strong> on Rollcall by {}.",
                escape(account),
                escape(invited_by)
            ),
            format!(
                "There is no password to choose: log in with {}.",
                escape(idp)
            ),
        ],
        (link, &format!("LOG IN WITH {}", idp.to_uppercase())),
        "You can also open Rollcall from your identity provider's app list.",
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// The invitation: account, who invited, the SIGN UP link and when it expires.
pub fn invite(account: &str, invited_by: &str, link: &str, expires: &str) -> Rendered {
    let subject = format!("You're invited to {account} on Rollcall");
    let text = format!(
        "You have been invited to {account} on Rollcall by {invited_by}.\n\n\
         Sign up (choose your password) here:\n{link}\n\n\
         This link can be used once and expires on {expires} (UTC).\n\
         If it has expired, ask your administrator to resend the invite.\n"
    );
    let html = html_page(
        &subject,
        &[
            format!("You have been invited to <strong>{}</strong> on Rollcall by {}.", escape(account), escape(invited_by)),
            "Choose your password to finish signing up.".into(),
        ],
        (link, "SIGN UP"),
        &format!("This link can be used once and expires on {expires} (UTC). If it has expired, ask your administrator to resend the invite."),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// A password reset link.
pub fn password_reset(account: &str, link: &str, expires: &str) -> Rendered {
    let subject = "Reset your Rollcall password".to_string();
    let text = format!(
        "Someone (hopefully you) asked to reset your password for {account} on Rollcall.\n\n\
         Choose a new password here:\n{link}\n\n\
         This link can be used once and expires at {expires} (UTC). If you did not ask for it, ignore this mail.\n"
    );
    let html = html_page(
        &subject,
        &[format!("Someone (hopefully you) asked to reset your password for <strong>{}</strong> on Rollcall.", escape(account))],
        (link, "Choose a new password"),
        &format!("This link can be used once and expires at {expires} (UTC). If you did not ask for it, ignore this mail."),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_has_both_parts_with_the_link_and_escapes_names() {
        let m = invite(
            "Acme <b>",
            "ada@example.com",
            "https://r.example/signup/abc",
            "2026-12-06 10:00",
        );
        assert!(m.text.contains("https://r.example/signup/abc") && m.text.contains("Acme <b>"));
        assert!(
            m.html.contains("href=\"https://r.example/signup/abc\"") && m.html.contains("SIGN UP")
        );
        assert!(m.html.contains("Acme &lt;b&gt;") && !m.html.contains("Acme <b>"));
        assert!(m.text.contains("2026-12-06 10:00"));
    }
}

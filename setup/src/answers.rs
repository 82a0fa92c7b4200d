//! The answers setup needs, each checked where it is made: a value that
//! pppd could not read back exactly, or that would mean something else to
//! it, is refused with a reason (and asked again when a person typed it).

use std::fmt;

use zeroize::Zeroizing;

use crate::words::{self, Unwritable};

/// Why an answer was refused; the text is shown to the person and never
/// contains a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAnswer(pub String);

impl fmt::Display for BadAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadAnswer {}

fn unwritable(what: &str, reason: Unwritable) -> BadAnswer {
    match reason {
        Unwritable::Empty => BadAnswer(format!("the {what} is empty")),
        other => BadAnswer(format!("the {what} cannot be written for pppd: {other}")),
    }
}

/// The ISP user name: pppd's `user` option and the secrets' client column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Leading and trailing white space is dropped (a stray space from a
    /// paste); what remains must be writable and not pppd's wildcard.
    pub fn parse(text: &str) -> Result<UserName, BadAnswer> {
        let name = text.trim();
        words::check(name).map_err(|e| unwritable("user name", e))?;
        if name == "*" {
            return Err(BadAnswer(
                "the user name \"*\" would match every client in the secrets files".into(),
            ));
        }
        Ok(UserName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As one pppd word.
    pub fn quoted(&self) -> String {
        // Checked in `parse`.
        words::quote(&self.0).unwrap_or_default()
    }
}

/// The ISP password. Never displayed: `Debug` hides it, there is no
/// `Display`, and it is wiped from memory when dropped.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Takes the password exactly as given (spaces are part of it).
    pub fn new(secret: String) -> Result<Password, BadAnswer> {
        let secret = Zeroizing::new(secret);
        words::check(&secret).map_err(|e| unwritable("password", e))?;
        // scan_authfile() reads a secret "@/path" as "the secret is in
        // this file": pppd would never use it as the password.
        if secret.starts_with("@/") {
            return Err(BadAnswer(
                "the password starts with \"@/\", which pppd reads as the name of a file \
                 holding the secret"
                    .into(),
            ));
        }
        Ok(Password(secret))
    }

    /// As one pppd word (for the secrets file only).
    pub fn quoted(&self) -> Zeroizing<String> {
        // Checked in `new`.
        Zeroizing::new(words::quote(&self.0).unwrap_or_default())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// The peer name: the file under `/etc/ppp/peers/` that `pon NAME` and
/// `pppd call NAME` read, and the instance of `ppp@NAME.service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerName(String);

/// The default peer name. Not `provider`: Debian's ppp package ships
/// `/etc/ppp/peers/provider` (a modem template) as a conffile.
pub const DEFAULT_PEER: &str = "rs-pppoe";

impl PeerName {
    /// A plain file name: letters, digits, `.`, `_`, `-`, not starting with
    /// a dot, at most 64 bytes (also a valid systemd instance name).
    pub fn parse(text: &str) -> Result<PeerName, BadAnswer> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && !text.starts_with('.')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if ok {
            Ok(PeerName(text.to_owned()))
        } else {
            Err(BadAnswer(format!(
                "the peer name {text:?} must be 1 to 64 letters, digits, '.', '_' or '-', \
                 not starting with '.'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for PeerName {
    fn default() -> PeerName {
        PeerName(DEFAULT_PEER.to_owned())
    }
}

/// An Ethernet interface PPPoE can run on (it exists, is Ethernet, has a
/// unicast MAC), as the plugin will check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface(String);

impl Interface {
    pub fn parse(text: &str) -> Result<Interface, BadAnswer> {
        let name = text.trim();
        rs_pppoe::sys::ethernet_link(name).map_err(|e| BadAnswer(e.to_string()))?;
        // The peers file gets `nic-NAME`, one pppd word.
        words::check(name).map_err(|e| unwritable("interface name", e))?;
        Ok(Interface(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
impl Interface {
    /// Any name, unchecked (unit tests run where no such interface exists).
    pub fn for_tests(name: &str) -> Interface {
        Interface(name.to_owned())
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_trimmed_and_checked() {
        assert_eq!(
            UserName::parse("  id@isp.ne.jp \n").unwrap().as_str(),
            "id@isp.ne.jp"
        );
        assert_eq!(
            UserName::parse("   ").unwrap_err().to_string(),
            "the user name is empty"
        );
        assert!(UserName::parse("*").is_err());
        assert!(UserName::parse("a\tb").is_err());
        assert_eq!(
            UserName::parse("with space").unwrap().quoted(),
            "\"with space\""
        );
    }

    #[test]
    fn passwords_are_kept_exactly_and_never_shown() {
        let pw = Password::new(" spaced pw ".into()).unwrap();
        assert_eq!(pw.quoted().as_str(), "\" spaced pw \"");
        assert_eq!(format!("{pw:?}"), "Password(<hidden>)");
        for bad in ["", "line\nbreak", "@/etc/ppp/secret"] {
            let err = Password::new(bad.into()).unwrap_err().to_string();
            assert!(err.starts_with("the password "), "{err}");
            if !bad.is_empty() {
                assert!(!err.contains(bad), "{err}");
            }
        }
        // "@" alone, or "@" not followed by "/", is an ordinary secret.
        assert!(Password::new("@home".into()).is_ok());
    }

    #[test]
    fn peer_names_are_plain_file_names() {
        assert_eq!(PeerName::default().as_str(), "rs-pppoe");
        for good in ["provider", "isp_2", "v6plus.ppp"] {
            assert!(PeerName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "../etc", "a/b", ".hidden", "sp ace", &"x".repeat(65)] {
            assert!(PeerName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn interfaces_must_be_usable_ethernet() {
        let err = Interface::parse("rsp-nosuch0").unwrap_err().to_string();
        assert!(err.contains("no such interface"), "{err}");
        let err = Interface::parse("lo").unwrap_err().to_string();
        assert!(err.contains("is not an Ethernet interface"), "{err}");
        assert_eq!(
            Interface::parse("").unwrap_err().to_string(),
            "interface name is empty"
        );
    }
}

//! Adding or replacing one entry in `/etc/ppp/chap-secrets` or
//! `pap-secrets` while keeping every other byte of the file.
//!
//! An entry, as pppd's `scan_authfile()` reads it, is the words from one
//! that follows an unescaped newline up to the next such word: `client
//! server secret [addresses...]`. Ours is `"USER" * "PASSWORD" *`: any
//! server, any address, what the README and pppoe-setup write. The entry
//! for the same user with server `*` is ours to replace; every other line
//! is copied unchanged, comments, spacing, CRLF endings and a missing final
//! newline included.
//!
//! Before anything is written, the new text is read back the way pppd reads
//! it and compared with the old one, entry by entry: every other entry must
//! be exactly what it was, and ours exactly what was asked. A file that
//! would not survive the edit (a quote left open, a last line continued by
//! a backslash) is refused with a message, never guessed at.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroizing;

use crate::answers::{Password, UserName};
use crate::words::{self, Word};

/// What the secret column shows wherever a person can see it.
pub const MASK: &str = "********";

/// The entry's words after the user name: any server, the secret, any
/// address.
const ANY: &str = "*";

/// `"USER" * "PASSWORD" *`, the entry as written.
fn entry_line(user: &UserName, password: &Password) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{} {ANY} {} {ANY}",
        user.quoted(),
        password.quoted().as_str()
    ))
}

/// The entry as shown to a person: the password masked, its length hidden.
pub fn masked_line(user: &UserName) -> String {
    format!("{} {ANY} \"{MASK}\" {ANY}", user.quoted())
}

/// What the edit does to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// No entry for this user with server `*`: ours is appended.
    Added,
    /// The user's entry is replaced in place; `duplicates` further entries
    /// for the same user and server `*` (which pppd never reads: the first
    /// wins) are removed.
    Replaced { duplicates: usize },
    /// The entry already says exactly this: nothing to write.
    Unchanged,
}

/// A planned edit of one secrets file.
pub struct Edit {
    /// The whole new file (it holds secrets: wiped when dropped).
    pub content: Zeroizing<Vec<u8>>,
    pub change: Change,
    /// Entries for the same user with a named server: left alone, but pppd
    /// prefers them when that server is the peer.
    pub other_servers: usize,
}

impl fmt::Debug for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Edit")
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("change", &self.change)
            .field("other_servers", &self.other_servers)
            .finish()
    }
}

/// Why a secrets file cannot be edited safely. Never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// Reading the edited text back does not give the old entries plus
    /// ours.
    WouldChangeOtherEntries,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::WouldChangeOtherEntries => f.write_str(
                "pppd would not read the file the same way after adding the entry \
                 (its last line leaves a quote open or ends with a backslash that continues it); \
                 fix the file by hand and run again",
            ),
        }
    }
}

impl std::error::Error for EditError {}

/// The entry for `user` in `old` (the file's bytes, empty when there is no
/// file) set to `password`.
pub fn upsert(old: &[u8], user: &UserName, password: &Password) -> Result<Edit, EditError> {
    let line = entry_line(user, password);
    let wanted: Vec<Vec<u8>> = words::split(line.as_bytes())
        .into_iter()
        .map(|w| w.text)
        .collect();
    let old_words = words::split(old);
    let old_entries = entries(&old_words);
    let user_bytes = user.as_str().as_bytes();
    let is_ours = |e: &Range<usize>| {
        let w = &old_words[e.clone()];
        w[0].text == user_bytes && w.get(1).is_some_and(|s| s.text == ANY.as_bytes())
    };
    let other_servers = old_entries
        .iter()
        .filter(|e| {
            let w = &old_words[(*e).clone()];
            w[0].text == user_bytes && w.get(1).is_some_and(|s| s.text != ANY.as_bytes())
        })
        .count();
    let ours: Vec<&Range<usize>> = old_entries.iter().filter(|e| is_ours(e)).collect();
    let ending = line_ending(old);

    let (content, change) = match ours.split_first() {
        None => {
            let mut content = Zeroizing::new(old.to_vec());
            if !content.is_empty() && !content.ends_with(b"\n") {
                content.extend_from_slice(ending.as_bytes());
            }
            content.extend_from_slice(line.as_bytes());
            content.extend_from_slice(ending.as_bytes());
            (content, Change::Added)
        }
        Some((first, rest)) => {
            let same = rest.is_empty()
                && old_words[(*first).clone()]
                    .iter()
                    .map(|w| &w.text)
                    .eq(wanted.iter());
            if same {
                (Zeroizing::new(old.to_vec()), Change::Unchanged)
            } else {
                let mut content = Zeroizing::new(Vec::with_capacity(old.len() + line.len()));
                let mut copied = 0;
                for (i, entry) in ours.iter().enumerate() {
                    let span = line_span(old, &old_words[(*entry).clone()]);
                    content.extend_from_slice(&old[copied..span.start]);
                    if i == 0 {
                        content.extend_from_slice(line.as_bytes());
                        let own_ending = if old[..span.end].ends_with(b"\r\n") {
                            "\r\n"
                        } else {
                            ending
                        };
                        content.extend_from_slice(own_ending.as_bytes());
                    }
                    copied = span.end;
                }
                content.extend_from_slice(&old[copied..]);
                let duplicates = rest.len();
                (content, Change::Replaced { duplicates })
            }
        }
    };

    // Read back: the old entries without ours, with ours where the first
    // one was (or at the end), must be exactly what pppd now reads.
    let mut expected: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut placed = false;
    for entry in &old_entries {
        if is_ours(entry) {
            if !placed {
                expected.push(wanted.clone());
                placed = true;
            }
        } else {
            expected.push(
                old_words[entry.clone()]
                    .iter()
                    .map(|w| w.text.clone())
                    .collect(),
            );
        }
    }
    if !placed {
        expected.push(wanted);
    }
    let new_words = words::split(&content);
    let got: Vec<Vec<Vec<u8>>> = entries(&new_words)
        .into_iter()
        .map(|e| new_words[e].iter().map(|w| w.text.clone()).collect())
        .collect();
    if got != expected {
        return Err(EditError::WouldChangeOtherEntries);
    }
    Ok(Edit {
        content,
        change,
        other_servers,
    })
}

/// Whether any entry can be added to `old` (one whose last line leaves a
/// quote open or continues would swallow it): [`upsert`] with a stand-in
/// entry, so the refusal can come before the real one is asked for.
pub fn check_appendable(old: &[u8]) -> Result<(), EditError> {
    match (
        UserName::parse("rs-pppoe-setup-check"),
        Password::new("check".into()),
    ) {
        (Ok(user), Ok(password)) => upsert(old, &user, &password).map(drop),
        _ => Ok(()),
    }
}

/// The entries of a secrets file: index ranges into `words`. The first
/// word starts one; after it, every word that follows a newline does.
fn entries(words: &[Word]) -> Vec<Range<usize>> {
    let mut entries: Vec<Range<usize>> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        match entries.last_mut() {
            Some(last) if !word.newline_before => last.end = i + 1,
            _ => entries.push(i..i + 1),
        }
    }
    entries
}

/// The whole lines an entry's words are on, with the last line's ending.
fn line_span(text: &[u8], entry: &[Word]) -> Range<usize> {
    let (Some(first), Some(last)) = (entry.first(), entry.last()) else {
        return 0..0;
    };
    let start = text[..first.start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[last.end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| last.end + i + 1);
    start..end
}

/// The file's own line ending: CRLF when its first line ends so.
fn line_ending(text: &[u8]) -> &'static str {
    match text.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && text[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserName {
        UserName::parse(name).unwrap()
    }

    fn password(secret: &str) -> Password {
        Password::new(secret.to_owned()).unwrap()
    }

    fn edit(old: &str, name: &str, secret: &str) -> (String, Change) {
        let edit = upsert(old.as_bytes(), &user(name), &password(secret)).unwrap();
        (
            String::from_utf8(edit.content.to_vec()).unwrap(),
            edit.change,
        )
    }

    /// What pppd reads from `text`: each entry's words.
    fn entries_of(text: &str) -> Vec<Vec<String>> {
        let words = words::split(text.as_bytes());
        entries(&words)
            .into_iter()
            .map(|e| {
                words[e]
                    .iter()
                    .map(|w| String::from_utf8_lossy(&w.text).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_new_file_gets_one_quoted_entry() {
        let (text, change) = edit("", "id@isp.ne.jp", "s3cret");
        assert_eq!(text, "\"id@isp.ne.jp\" * \"s3cret\" *\n");
        assert_eq!(change, Change::Added);
    }

    #[test]
    fn other_lines_are_kept_byte_for_byte_when_appending() {
        let old = "# Secrets for authentication using CHAP\n\
                   # client\tserver\tsecret\t\t\tIP addresses\n\
                   \n\
                   other-user   *     \"other pw\"   *   # keep me\n\
                   \t  spaced\t\tsrv\t'x y'  10.0.0.1\n";
        let (text, change) = edit(old, "id@isp.ne.jp", "pw");
        assert_eq!(change, Change::Added);
        assert_eq!(text, format!("{old}\"id@isp.ne.jp\" * \"pw\" *\n"));
    }

    #[test]
    fn a_file_without_final_newline_gets_one_before_our_line() {
        let old = "# no newline at the end\nother * x *";
        let (text, _) = edit(old, "me", "pw");
        assert_eq!(text, format!("{old}\n\"me\" * \"pw\" *\n"));
    }

    #[test]
    fn crlf_files_get_crlf_and_keep_theirs() {
        let old = "# windows\r\nother * x *\r\n\"me\" * \"old\" *\r\nlast * y *\r\n";
        let (text, change) = edit(old, "me", "new");
        assert_eq!(change, Change::Replaced { duplicates: 0 });
        assert_eq!(
            text,
            "# windows\r\nother * x *\r\n\"me\" * \"new\" *\r\nlast * y *\r\n"
        );
        let (text, _) = edit("# windows\r\nother * x *\r\n", "me", "pw");
        assert_eq!(text, "# windows\r\nother * x *\r\n\"me\" * \"pw\" *\r\n");
    }

    #[test]
    fn the_users_entry_is_replaced_in_place_not_duplicated() {
        let old = "a * 1 *\nme * old-pw *   # was here\nz * 2 *\n";
        let (text, change) = edit(old, "me", "new pw");
        assert_eq!(change, Change::Replaced { duplicates: 0 });
        assert_eq!(text, "a * 1 *\n\"me\" * \"new pw\" *\nz * 2 *\n");
        // Running again changes nothing.
        let (again, change) = edit(&text, "me", "new pw");
        assert_eq!((again.as_str(), change), (text.as_str(), Change::Unchanged));
    }

    #[test]
    fn an_entry_written_in_another_quoting_is_recognised() {
        // pppd reads all of these as client `me`, server `*`.
        for line in ["me * x *", "\"me\" \"*\" x", "'me' * x", "m\\e\t*\tx"] {
            let old = format!("keep * k *\n{line}\n");
            let (text, change) = edit(&old, "me", "pw");
            assert_eq!(change, Change::Replaced { duplicates: 0 }, "{line}");
            assert_eq!(text, "keep * k *\n\"me\" * \"pw\" *\n");
        }
    }

    #[test]
    fn later_duplicates_of_our_entry_are_removed_and_named_servers_kept() {
        let old = "me * one *\nme isp-bras two *\nx * y *\nme * three *\n";
        let edit = upsert(old.as_bytes(), &user("me"), &password("pw")).unwrap();
        assert_eq!(edit.change, Change::Replaced { duplicates: 1 });
        assert_eq!(edit.other_servers, 1);
        assert_eq!(
            String::from_utf8(edit.content.to_vec()).unwrap(),
            "\"me\" * \"pw\" *\nme isp-bras two *\nx * y *\n"
        );
    }

    #[test]
    fn an_entry_spanning_lines_is_replaced_whole() {
        let old = "a * 1 *\nme * \\\n  old *\nb * 2 *\n";
        let (text, _) = edit(old, "me", "pw");
        assert_eq!(text, "a * 1 *\n\"me\" * \"pw\" *\nb * 2 *\n");
    }

    #[test]
    fn a_prefix_or_other_case_of_the_name_is_not_ours() {
        let old = "me2 * a *\nME * b *\n";
        let (text, change) = edit(old, "me", "pw");
        assert_eq!(change, Change::Added);
        assert_eq!(entries_of(&text).len(), 3);
    }

    #[test]
    fn passwords_with_quotes_and_backslashes_read_back_exactly() {
        let secret = r#"p"a's\s w#rd\"#;
        let (text, _) = edit("", "me", secret);
        assert_eq!(entries_of(&text), [["me", "*", secret, "*"]]);
    }

    #[test]
    fn files_that_would_swallow_our_line_are_refused() {
        for old in ["a * \"open quote\n", "a * b *  \\", "a * b *  \\\n"] {
            let result = upsert(old.as_bytes(), &user("me"), &password("pw"));
            assert_eq!(
                result.err(),
                Some(EditError::WouldChangeOtherEntries),
                "{old:?}"
            );
        }
    }

    #[test]
    fn a_file_that_would_swallow_any_entry_is_known_before_asking() {
        assert_eq!(
            check_appendable(b"a * b *  \\"),
            Err(EditError::WouldChangeOtherEntries)
        );
        assert_eq!(check_appendable(b"# fine\r\na * b *"), Ok(()));
    }

    #[test]
    fn a_comment_ending_in_a_backslash_does_not_continue() {
        let old = "# comment \\\n";
        let (text, _) = edit(old, "me", "pw");
        assert_eq!(text, "# comment \\\n\"me\" * \"pw\" *\n");
    }

    #[test]
    fn the_mask_hides_the_password_and_its_length() {
        let line = masked_line(&user("me"));
        assert_eq!(line, "\"me\" * \"********\" *");
        let debug = format!(
            "{:?}",
            upsert(b"", &user("me"), &password("hunter2")).unwrap()
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}

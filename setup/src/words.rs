//! pppd's word syntax, as its `getword()` (pppd/options.c) reads options
//! files and the `chap-secrets`/`pap-secrets` files: writing a value so
//! pppd reads it back unchanged ([`quote`]), and reading a file the way
//! pppd does ([`split`]), with the byte offsets of every word so a file can
//! be edited without touching anything else in it.
//!
//! The rules, from pppd 2.5.3's `getword()` (2.4.9's is the same):
//!
//! * white space (C `isspace`) separates words; `#` outside a word starts a
//!   comment that runs to the end of the line (a `#` ends an unquoted word);
//! * `"…"` and `'…'` quote white space and `#`; the quotes are dropped;
//! * a backslash escapes the next byte **inside quotes too**: `\\` is a
//!   backslash, `\"` a double quote, `\n`, `\t`, `\s` (space), `\NNN` octal
//!   and `\xHH` hex stand for bytes; backslash-newline is dropped (a line
//!   continues);
//! * a new entry of a secrets file starts with the first word after an
//!   unescaped newline.
//!
//! Words pppd cannot hold are refused rather than written: control
//! characters (a newline would start a new entry), NUL, and anything
//! longer than pppd keeps (its `user` and secret buffers end at 255 bytes).

use std::fmt;

/// The longest user name or secret pppd keeps without truncating it
/// (`MAXNAMELEN`/`MAXSECRETLEN` are 256 including the NUL).
pub const MAX_VALUE_LEN: usize = 255;

/// Why a value cannot be written into a pppd file. The messages never show
/// the value itself: it may be a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwritable {
    Empty,
    /// A line break, which would end the entry early.
    LineBreak,
    /// Another control character (pppd keeps them, but they cannot be
    /// typed reliably, shown, or told apart from a broken file).
    ControlCharacter,
    TooLong {
        len: usize,
    },
}

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unwritable::Empty => f.write_str("it is empty"),
            Unwritable::LineBreak => {
                f.write_str("it contains a line break, which pppd's files cannot hold in one entry")
            }
            Unwritable::ControlCharacter => {
                f.write_str("it contains a control character (tab, escape, NUL, ...)")
            }
            Unwritable::TooLong { len } => {
                write!(
                    f,
                    "it is {len} bytes long; pppd keeps at most {MAX_VALUE_LEN}"
                )
            }
        }
    }
}

/// Checks that pppd can read `value` back exactly from a quoted word.
pub fn check(value: &str) -> Result<(), Unwritable> {
    if value.is_empty() {
        return Err(Unwritable::Empty);
    }
    if value.contains(['\n', '\r']) {
        return Err(Unwritable::LineBreak);
    }
    if value.chars().any(char::is_control) {
        return Err(Unwritable::ControlCharacter);
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Unwritable::TooLong { len: value.len() });
    }
    Ok(())
}

/// `value` as one double-quoted pppd word: inside the quotes only the
/// backslash and the double quote need escaping (white space, `#` and `'`
/// are literal there).
pub fn quote(value: &str) -> Result<String, Unwritable> {
    check(value)?;
    let mut word = String::with_capacity(value.len() + 2);
    word.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            word.push('\\');
        }
        word.push(c);
    }
    word.push('"');
    Ok(word)
}

/// `value` bare when pppd would read it unchanged without quotes (what a
/// person writes: `nic-enp1s0`), else [`quote`]d.
pub fn quote_if_needed(value: &str) -> Result<String, Unwritable> {
    check(value)?;
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-+@:/=%,".contains(&b));
    if plain {
        Ok(value.to_owned())
    } else {
        quote(value)
    }
}

/// One word of a pppd file, as `getword()` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word's value: quotes removed, escapes resolved.
    pub text: Vec<u8>,
    /// An unescaped newline came between the previous word and this one.
    pub newline_before: bool,
    /// Byte offset of the word's first byte (a quote or backslash included).
    pub start: usize,
    /// Byte offset just past the word's last byte.
    pub end: usize,
}

/// The words of `text` as pppd reads them. A quote left open at the end
/// of the file still ends a word there (pppd warns and does the same).
pub fn split(text: &[u8]) -> Vec<Word> {
    let mut reader = Reader { text, pos: 0 };
    std::iter::from_fn(|| reader.word()).collect()
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = self.text.get(self.pos).copied();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    /// The next word, if any.
    fn word(&mut self) -> Option<Word> {
        let mut newline_before = false;
        let mut escape = false;
        let mut comment = false;
        // Skip white space and comments up to the first byte of a word.
        let first = loop {
            let b = self.next()?;
            if b == b'\n' {
                if escape {
                    escape = false;
                } else {
                    newline_before = true;
                    comment = false;
                }
                continue;
            }
            if comment {
                continue;
            }
            if escape {
                break b;
            }
            match b {
                b'\\' => escape = true,
                b'#' => comment = true,
                b if !is_space(b) => break b,
                _ => {}
            }
        };
        // The word starts at its first byte, or at the backslash escaping it.
        let start = self.pos - 1 - usize::from(escape);
        let mut text = Vec::new();
        let mut quoted: Option<u8> = None;
        let mut current = Some(first);
        while let Some(b) = current {
            if escape {
                escape = false;
                if b == b'\n' {
                    current = self.next();
                    continue;
                }
                let (value, next) = self.escaped(b);
                text.push(value);
                current = next;
                continue;
            }
            if b == b'\\' {
                escape = true;
                current = self.next();
                continue;
            }
            match quoted {
                Some(q) if b == q => {
                    quoted = None;
                    current = self.next();
                    continue;
                }
                Some(_) => {}
                None if b == b'"' || b == b'\'' => {
                    quoted = Some(b);
                    current = self.next();
                    continue;
                }
                None if is_space(b) || b == b'#' => {
                    // getword() pushes it back for the next call.
                    self.pos -= 1;
                    break;
                }
                None => {}
            }
            text.push(b);
            current = self.next();
        }
        Some(Word {
            text,
            newline_before,
            start,
            end: self.pos,
        })
    }

    /// The value of the escape sequence starting with `b` (the byte after
    /// the backslash), and the byte after the sequence.
    fn escaped(&mut self, b: u8) -> (u8, Option<u8>) {
        let simple = match b {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b's' => Some(b' '),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(value) = simple {
            return (value, self.next());
        }
        if (b'0'..b'8').contains(&b) {
            // Up to three octal digits; the value is kept modulo 256, as
            // pppd stores it into a char.
            let mut value: u32 = 0;
            let mut c = Some(b);
            for _ in 0..3 {
                match c {
                    Some(d @ b'0'..=b'7') => {
                        value = (value << 3) + u32::from(d - b'0');
                        c = self.next();
                    }
                    _ => break,
                }
            }
            return (value as u8, c);
        }
        if b == b'x' {
            let mut value: u32 = 0;
            let mut c = self.next();
            for _ in 0..2 {
                match c.and_then(|d| char::from(d).to_digit(16)) {
                    Some(digit) => {
                        value = (value << 4) + digit;
                        c = self.next();
                    }
                    None => break,
                }
            }
            return (value as u8, c);
        }
        (b, self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(file: &str) -> Vec<String> {
        split(file.as_bytes())
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w.text).into_owned())
            .collect()
    }

    #[test]
    fn quoted_values_read_back_unchanged() {
        for value in [
            "user@example.ne.jp",
            "with space",
            "hash#inside",
            r#"double"quote"#,
            "single'quote",
            r"back\slash",
            r"trailing\",
            r#"\"mix"'# \\ $x"#,
            "日本語のパスワード",
            "*",
            "@/etc/shadow",
        ] {
            let word = quote(value).unwrap();
            let line = format!("{word} * {word} *\n");
            assert_eq!(texts(&line), [value, "*", value, "*"], "line {line:?}");
        }
    }

    #[test]
    fn plain_values_stay_bare_and_others_are_quoted() {
        assert_eq!(quote_if_needed("nic-enp1s0").unwrap(), "nic-enp1s0");
        assert_eq!(quote_if_needed("nic-we#ird").unwrap(), "\"nic-we#ird\"");
        assert_eq!(texts(&quote_if_needed("a b\\c").unwrap()), ["a b\\c"]);
    }

    #[test]
    fn values_pppd_cannot_hold_are_refused_without_showing_them() {
        assert_eq!(quote("pass\nword"), Err(Unwritable::LineBreak));
        assert_eq!(quote("pass\rword"), Err(Unwritable::LineBreak));
        assert_eq!(quote("pass\tword"), Err(Unwritable::ControlCharacter));
        assert_eq!(quote("pass\0word"), Err(Unwritable::ControlCharacter));
        assert_eq!(quote(""), Err(Unwritable::Empty));
        let long = "x".repeat(256);
        assert_eq!(quote(&long), Err(Unwritable::TooLong { len: 256 }));
        assert!(quote(&"x".repeat(255)).is_ok());
        let message = Unwritable::LineBreak.to_string();
        assert!(!message.contains("pass"), "{message}");
    }

    #[test]
    fn split_follows_getword() {
        // Comments, both quotes, escapes inside and outside quotes.
        let file = "# comment \"not a word\"\n\
                    a\\ b 'c d' \"e\\\"f\" g#h\n\
                    \\x41\\102\\s\\t  'it''s'\n";
        assert_eq!(texts(file), ["a b", "c d", "e\"f", "g", "AB \t", "its"]);
        // Backslash-newline continues a word.
        assert_eq!(texts("ab\\\ncd ef"), ["abcd", "ef"]);
    }

    #[test]
    fn newline_flags_mark_entry_starts() {
        let words = split(b"a b\n  c \\\n d\ne");
        let flags: Vec<(String, bool)> = words
            .iter()
            .map(|w| {
                (
                    String::from_utf8_lossy(&w.text).into_owned(),
                    w.newline_before,
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("a".into(), false),
                ("b".into(), false),
                ("c".into(), true),
                ("d".into(), false),
                ("e".into(), true)
            ]
        );
    }

    #[test]
    fn offsets_cover_the_word_as_written() {
        let file = "  \"a b\" \\#c\n";
        let words = split(file.as_bytes());
        assert_eq!(&file[words[0].start..words[0].end], "\"a b\"");
        assert_eq!(&file[words[1].start..words[1].end], "\\#c");
    }
}

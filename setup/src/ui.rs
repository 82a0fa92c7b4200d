//! Talking to the person at the terminal. [`Ui`] is what the setup flow
//! needs; [`Terminal`] implements it with `dialoguer` (prompts on stderr,
//! the password read with echo off, a bad answer shown and asked again).

use std::io;

use dialoguer::theme::SimpleTheme;
use dialoguer::{Confirm, Input, Password as PasswordPrompt};

use crate::answers::Password;

/// Checks one answer; `Err` holds the reason, shown before asking again.
pub type Check<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// The questions the setup flow asks.
pub trait Ui {
    /// Asks for a line until `check` accepts it; an empty answer takes
    /// `default` when there is one.
    fn ask(&mut self, prompt: &str, default: Option<&str>, check: Check) -> io::Result<String>;
    /// Asks for the password twice, without echo, until `check` accepts it
    /// and both agree.
    fn ask_password(&mut self, prompt: &str, check: Check) -> io::Result<Password>;
    /// A yes/no question; an empty answer is yes.
    fn confirm(&mut self, prompt: &str) -> io::Result<bool>;
}

/// The real terminal.
pub struct Terminal;

impl Ui for Terminal {
    fn ask(&mut self, prompt: &str, default: Option<&str>, check: Check) -> io::Result<String> {
        let mut input = Input::<String>::with_theme(&SimpleTheme)
            .with_prompt(prompt)
            // Empty answers reach `check`, which says why they are refused
            // (dialoguer would re-ask silently).
            .allow_empty(true)
            .validate_with(|answer: &String| check(answer));
        if let Some(default) = default {
            input = input.default(default.to_owned());
        }
        input.interact_text().map_err(io::Error::from)
    }

    fn ask_password(&mut self, prompt: &str, check: Check) -> io::Result<Password> {
        let secret = PasswordPrompt::with_theme(&SimpleTheme)
            .with_prompt(prompt)
            .with_confirmation("Repeat the password", "the two passwords differ")
            .allow_empty_password(true)
            .validate_with(|answer: &String| check(answer))
            .interact()
            .map_err(io::Error::from)?;
        Password::new(secret).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }

    fn confirm(&mut self, prompt: &str) -> io::Result<bool> {
        Confirm::with_theme(&SimpleTheme)
            .with_prompt(prompt)
            .default(true)
            .interact()
            .map_err(io::Error::from)
    }
}

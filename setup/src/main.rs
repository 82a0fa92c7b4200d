//! `rs-pppoe-setup`: the guided setup rp-pppoe's `pppoe-setup` gives, done
//! safely. It finds the interface a PPPoE access concentrator answers on,
//! asks for the ISP user name and password, shows what it will write, and
//! writes `/etc/ppp/peers/NAME` and the entry in `chap-secrets` and
//! `pap-secrets`.
//!
//! * [`args`] — the command line (a flag for every question);
//! * [`setup`] — the flow: refuse early, ask, plan, confirm, write;
//! * [`probe`] — which interface an AC answers on (behind a trait);
//! * [`answers`] — each answer checked where it is made;
//! * [`peers`], [`secrets`], [`words`] — the files' contents, in pppd's
//!   own syntax, pure and unit-tested;
//! * [`files`] — atomic writes, backups, no symlinks followed;
//! * [`ui`] — the prompts (`dialoguer`).

mod answers;
mod args;
mod files;
mod peers;
mod probe;
#[cfg(test)]
mod scratch;
mod secrets;
mod setup;
mod ui;
mod words;

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use args::Command;
use setup::Outcome;

const PROGRAM: &str = "rs-pppoe-setup";

fn main() -> ExitCode {
    let options = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("{PROGRAM} {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{PROGRAM}: {e}\nTry '{PROGRAM} --help'.");
            return ExitCode::from(2);
        }
    };
    let stdin_is_terminal = io::stdin().is_terminal();
    if options.password_file.as_deref() == Some(Path::new("-")) && stdin_is_terminal {
        eprintln!(
            "{PROGRAM}: --password-file - would read the password from the terminal with echo on; \
             leave it out to be asked without echo"
        );
        return ExitCode::from(2);
    }
    // Prompts are drawn on stderr and read from the terminal.
    let interactive = stdin_is_terminal && io::stderr().is_terminal();
    let mut terminal = ui::Terminal;
    let ui: Option<&mut dyn ui::Ui> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let mut say = |text: &str| {
        let mut out = io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    };
    let finder = probe::LibraryProbe::default();
    match setup::run(&options, ui, &finder, &mut say) {
        Ok(Outcome::Written) => ExitCode::SUCCESS,
        Ok(Outcome::Declined) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            ExitCode::from(2)
        }
    }
}

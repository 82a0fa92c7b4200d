//! The guided setup: find the interface, ask what is missing, show the
//! plan, write it. Every answer can come from a flag instead; without a
//! terminal, every missing answer is an error naming its flag.
//!
//! Order matters for safety: everything that can be refused (an existing
//! peers file, a bad answer, a secrets file that cannot be edited safely)
//! is found before anything is written, and nothing is written before the
//! person (or `--yes`) agreed to the plan.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::answers::{Interface, Password, PeerName, UserName};
use crate::files::{self, Existing, FileError, PEERS_MODE, Replace, SECRET_MODE};
use crate::peers;
use crate::probe::{FindAc, Found};
use crate::secrets::{self, Change, Edit};
use crate::ui::Ui;

/// What the command line decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where `/etc/ppp` is: `/` for the real system.
    pub root: PathBuf,
    pub peer: PeerName,
    pub interface: Option<String>,
    pub user: Option<String>,
    /// A file holding the password (first line); `-` is standard input.
    pub password_file: Option<PathBuf>,
    /// Write without asking for confirmation.
    pub yes: bool,
    /// Replace an existing peers file.
    pub force: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            root: PathBuf::from("/"),
            peer: PeerName::default(),
            interface: None,
            user: None,
            password_file: None,
            yes: false,
            force: false,
        }
    }
}

/// How a run ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// The person declined the plan: nothing was written.
    Declined,
}

/// Why setup stopped; the message never contains the password.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<FileError> for Failure {
    fn from(e: FileError) -> Failure {
        Failure(e.to_string())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure(format!("terminal: {e}"))
    }
}

/// The files setup manages under a root directory.
#[derive(Debug, Clone)]
pub struct Layout {
    ppp: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Layout {
        Layout {
            ppp: root.join("etc/ppp"),
        }
    }

    pub fn peers_file(&self, peer: &PeerName) -> PathBuf {
        self.ppp.join("peers").join(peer.as_str())
    }

    /// `chap-secrets` and `pap-secrets`: which one pppd reads depends on
    /// what the ISP asks for, so both get the entry.
    pub fn secrets_files(&self) -> [PathBuf; 2] {
        [self.ppp.join("chap-secrets"), self.ppp.join("pap-secrets")]
    }
}

/// Runs the setup. `ui` is `None` without a terminal: every answer must
/// then come from `options`.
pub fn run(
    options: &Options,
    mut ui: Option<&mut dyn Ui>,
    finder: &dyn FindAc,
    say: &mut dyn FnMut(&str),
) -> Result<Outcome, Failure> {
    let layout = Layout::new(&options.root);
    let peers_path = layout.peers_file(&options.peer);
    // Refuse before asking anything the person would have to type again.
    if files::exists(&peers_path) && !options.force {
        return Err(Failure(format!(
            "{} already exists; rs-pppoe-setup does not replace it without --force \
             (choose another --name, or pass --force: the old file is kept as a .bak copy)",
            peers_path.display()
        )));
    }
    let old_peers = files::read_existing(&peers_path)?;
    files::check_writable(&layout.ppp)?;
    // The secrets files too: a link, or a file that would swallow a new
    // entry, is refused before anyone types a password for it.
    let mut old_secrets = Vec::new();
    for path in layout.secrets_files() {
        let old = files::read_existing(&path)?;
        if let Some(old) = &old {
            secrets::check_appendable(&old.content)
                .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
        }
        old_secrets.push((path, old));
    }

    let password_from_file = match &options.password_file {
        Some(path) => Some(read_password_file(path)?),
        None => None,
    };
    let user_from_flag = match &options.user {
        Some(text) => Some(UserName::parse(text).map_err(|e| Failure(format!("--user: {e}")))?),
        None => None,
    };

    let interface = choose_interface(options, reborrow(&mut ui), finder, say)?;

    let user = match user_from_flag {
        Some(user) => user,
        None => {
            let ui = need(reborrow(&mut ui), "the ISP user name", "--user NAME")?;
            let answer = ui.ask("ISP user name", None, &|text| {
                UserName::parse(text).map(drop).map_err(|e| e.to_string())
            })?;
            UserName::parse(&answer).map_err(|e| Failure(e.to_string()))?
        }
    };
    let password = match password_from_file {
        Some(password) => password,
        None => {
            let ui = need(reborrow(&mut ui), "the password", "--password-file FILE")?;
            ui.ask_password("ISP password (not shown)", &|text| {
                Password::new(text.to_owned())
                    .map(drop)
                    .map_err(|e| e.to_string())
            })?
        }
    };

    let plan = Plan::make(
        &layout,
        options,
        &interface,
        &user,
        &password,
        old_peers,
        old_secrets,
    )?;
    say(&plan.describe(&user));
    if !options.yes {
        let ui = need(reborrow(&mut ui), "for confirmation", "--yes")?;
        if !ui.confirm("Write these files?")? {
            say("Nothing was written.\n");
            return Ok(Outcome::Declined);
        }
    }
    let written = plan.write(options.force)?;
    say(&closing_text(&options.peer, &interface, &written));
    Ok(Outcome::Written)
}

/// `ui` for one more question (`Option::as_deref_mut` cannot shorten the
/// trait object's lifetime; a coercion here can).
fn reborrow<'b>(ui: &'b mut Option<&mut dyn Ui>) -> Option<&'b mut dyn Ui> {
    match ui {
        Some(ui) => Some(&mut **ui),
        None => None,
    }
}

/// The terminal, or an error saying which flag answers the question.
fn need<'a>(ui: Option<&'a mut dyn Ui>, what: &str, flag: &str) -> Result<&'a mut dyn Ui, Failure> {
    ui.ok_or_else(|| {
        Failure(format!(
            "no terminal to ask {what} on: pass {flag} (or run on a terminal)"
        ))
    })
}

/// The first line of `path` (`-`: standard input), without its line end.
fn read_password_file(path: &Path) -> Result<Password, Failure> {
    let mut bytes = Zeroizing::new(Vec::new());
    let name = path.display();
    let read = if path == Path::new("-") {
        io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure(format!("--password-file {name}: {e}")))?;
    let mut text: &[u8] = &bytes;
    if let Some(rest) = text.strip_suffix(b"\n") {
        text = rest.strip_suffix(b"\r").unwrap_or(rest);
    }
    if text.contains(&b'\n') {
        return Err(Failure(format!(
            "--password-file {name}: the file has more than one line; \
             it must hold only the password"
        )));
    }
    let text = std::str::from_utf8(text)
        .map_err(|_| Failure(format!("--password-file {name}: the password is not UTF-8")))?;
    Password::new(text.to_owned()).map_err(|e| Failure(format!("--password-file {name}: {e}")))
}

/// `-I`, or the interface an access concentrator answered on.
fn choose_interface(
    options: &Options,
    ui: Option<&mut dyn Ui>,
    finder: &dyn FindAc,
    say: &mut dyn FnMut(&str),
) -> Result<Interface, Failure> {
    if let Some(name) = &options.interface {
        let interface = finder
            .interface(name)
            .map_err(|e| Failure(format!("-I: {e}")))?;
        say(&format!(
            "Asking for an access concentrator on {interface}...\n"
        ));
        say(&format!(
            "{}\n\n",
            finder.probe(interface.as_str()).describe()
        ));
        return Ok(interface);
    }
    say("Looking for a PPPoE access concentrator on every Ethernet interface that is up...\n");
    let found = finder.probe_all();
    say(&probe_report(&found));
    let answering: Vec<&str> = found
        .iter()
        .filter(|f| !f.offers().is_empty())
        .map(|f| f.interface.as_str())
        .collect();
    let default = match answering.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let Some(ui) = ui else {
        return match default {
            Some(name) => finder.interface(name).map_err(|e| Failure(e.to_string())),
            None if answering.is_empty() => Err(Failure(
                "no access concentrator answered on any interface; \
                 check the cable and the gateway's PPPoE bridge, or pass -I IFACE"
                    .into(),
            )),
            None => Err(Failure(format!(
                "access concentrators answered on {}; pass -I IFACE to choose",
                answering.join(", ")
            ))),
        };
    };
    let answer = ui.ask("Interface facing the gateway", default, &|text| {
        finder.interface(text).map(drop).map_err(|e| e.to_string())
    })?;
    finder
        .interface(&answer)
        .map_err(|e| Failure(e.to_string()))
}

/// What the probe found, one line per interface (or per offer).
fn probe_report(found: &[Found]) -> String {
    if found.is_empty() {
        return "  (no Ethernet interface is up)\n\n".into();
    }
    let mut text = String::new();
    for f in found {
        for line in f.describe().lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    text.push('\n');
    text
}

/// One secrets file to edit.
struct SecretsFile {
    path: PathBuf,
    old: Option<Existing>,
    edit: Edit,
}

/// Everything that will be written, computed (and checked) up front.
struct Plan {
    peers_path: PathBuf,
    peers: String,
    old_peers: Option<Existing>,
    secrets: Vec<SecretsFile>,
}

/// What was written, for the closing text.
struct Written {
    files: Vec<(PathBuf, Option<PathBuf>)>,
}

impl Plan {
    fn make(
        layout: &Layout,
        options: &Options,
        interface: &Interface,
        user: &UserName,
        password: &Password,
        old_peers: Option<Existing>,
        old_secrets: Vec<(PathBuf, Option<Existing>)>,
    ) -> Result<Plan, Failure> {
        let mut secrets = Vec::new();
        for (path, old) in old_secrets {
            let old_bytes = old.as_ref().map_or(&[][..], |o| &o.content[..]);
            let edit = secrets::upsert(old_bytes, user, password)
                .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            secrets.push(SecretsFile { path, old, edit });
        }
        Ok(Plan {
            peers_path: layout.peers_file(&options.peer),
            peers: peers::render(&options.peer, interface, user),
            old_peers,
            secrets,
        })
    }

    /// The plan as shown before confirming: the peers file's options, each
    /// secrets entry with the password masked.
    fn describe(&self, user: &UserName) -> String {
        let mut text = String::new();
        let peers_action = if self.old_peers.is_some() {
            "replaces the file there, kept as .bak"
        } else {
            "new"
        };
        let _ = writeln!(
            text,
            "rs-pppoe-setup will write:\n\n{} ({peers_action}; comments left out here):",
            self.peers_path.display()
        );
        for line in self.peers.lines() {
            if !line.is_empty() && !line.starts_with('#') {
                let _ = writeln!(text, "    {line}");
            }
        }
        let kept = "other lines kept, old file kept as .bak";
        for file in &self.secrets {
            let action = match (file.edit.change, file.old.is_some()) {
                (Change::Unchanged, _) => "already holds this entry: unchanged".to_owned(),
                (Change::Added, false) => "new, mode 0600".to_owned(),
                (Change::Added, true) => format!("adds this entry; {kept}"),
                (Change::Replaced { duplicates: 0 }, _) => {
                    format!("replaces the entry for {}; {kept}", user.quoted())
                }
                (Change::Replaced { duplicates }, _) => format!(
                    "replaces the entry for {} and {duplicates} later duplicate(s); {kept}",
                    user.quoted()
                ),
            };
            let _ = writeln!(text, "{} ({action}):", file.path.display());
            let _ = writeln!(text, "    {}", secrets::masked_line(user));
            if file.edit.other_servers > 0 {
                let _ = writeln!(
                    text,
                    "    note: {} other entr{} for {} name a server; pppd prefers {} \
                     when the peer has that name (left unchanged)",
                    file.edit.other_servers,
                    if file.edit.other_servers == 1 {
                        "y"
                    } else {
                        "ies"
                    },
                    user.quoted(),
                    if file.edit.other_servers == 1 {
                        "it"
                    } else {
                        "them"
                    },
                );
            }
        }
        text.push('\n');
        text
    }

    fn write(self, force: bool) -> Result<Written, Failure> {
        // The secrets files were read before the questions: something else
        // may have changed them since. Their edit would undo that change.
        for file in &self.secrets {
            let now = files::read_existing(&file.path)?;
            let unchanged = match (&now, &file.old) {
                (None, None) => true,
                (Some(now), Some(old)) => now.content == old.content,
                _ => false,
            };
            if !unchanged {
                return Err(Failure(format!(
                    "{} changed while rs-pppoe-setup was running; nothing was written \
                     (run it again)",
                    file.path.display()
                )));
            }
        }
        let mut written = Vec::new();
        if let Some(dir) = self.peers_path.parent() {
            files::ensure_dir(dir)?;
        }
        // The peers file first: when it cannot be written (it appeared
        // meanwhile), no secret has been touched.
        let peers_backup = match &self.old_peers {
            Some(old) if force => Some(files::backup(&self.peers_path, old, old.mode & 0o777)?),
            _ => None,
        };
        let replace = if force {
            Replace::Allowed
        } else {
            Replace::Never
        };
        files::write_atomically(
            &self.peers_path,
            self.peers.as_bytes(),
            PEERS_MODE,
            None,
            replace,
        )?;
        written.push((self.peers_path, peers_backup));

        for file in self.secrets {
            if file.edit.change == Change::Unchanged {
                continue;
            }
            let backup = match &file.old {
                Some(old) => Some(files::backup(&file.path, old, SECRET_MODE)?),
                None => None,
            };
            let owner = file.old.as_ref().map(|o| (o.uid, o.gid));
            files::write_atomically(
                &file.path,
                &file.edit.content,
                SECRET_MODE,
                owner,
                Replace::Allowed,
            )?;
            written.push((file.path, backup));
        }
        Ok(Written { files: written })
    }
}

/// What was done, and how to start and check the connection.
fn closing_text(peer: &PeerName, interface: &Interface, written: &Written) -> String {
    let peer = peer.as_str();
    let mut text = String::from("Written:\n");
    for (path, backup) in &written.files {
        match backup {
            Some(backup) => {
                let _ = writeln!(
                    text,
                    "  {}  (the old one is {})",
                    path.display(),
                    backup.display()
                );
            }
            None => {
                let _ = writeln!(text, "  {}", path.display());
            }
        }
    }
    let rows = [
        ("Start the connection:", String::new(), String::new()),
        (
            "",
            format!("pon {peer}"),
            format!("(or: systemctl start ppp@{peer})"),
        ),
        ("Check it:", String::new(), String::new()),
        (
            "",
            "ip addr show ppp0".into(),
            "the address the ISP gave".into(),
        ),
        (
            "",
            "ip rule".into(),
            "\"from <address> lookup 100\" once the rs-pppoe-rule hook is installed".into(),
        ),
        (
            "",
            "rs-pppoe-rule show".into(),
            "what the hook manages".into(),
        ),
        (
            "",
            "journalctl -t pppd".into(),
            format!("\"PPP session is N\", \"Connected to <MAC> via interface {interface}\""),
        ),
        ("Stop it:", String::new(), String::new()),
        ("", format!("poff {peer}"), String::new()),
    ];
    for (title, command, note) in rows {
        let line = if title.is_empty() {
            format!("  {command:<22} {note}")
        } else {
            format!("\n{title}")
        };
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::BadAnswer;
    use crate::scratch::Scratch;
    use rs_pppoe::discovery::Offer;
    use rs_pppoe::wire::MacAddr;
    use std::collections::VecDeque;
    use std::fs;

    /// A person who types the given answers, one per question, and whose
    /// screen is recorded.
    #[derive(Default)]
    struct Person {
        answers: VecDeque<String>,
        screen: String,
        /// Something else appends this line to this file while the person
        /// reads the plan.
        meanwhile: Option<(PathBuf, &'static str)>,
    }

    impl Person {
        fn typing(answers: &[&str]) -> Person {
            Person {
                answers: answers.iter().map(|a| (*a).to_owned()).collect(),
                screen: String::new(),
                meanwhile: None,
            }
        }

        fn next(&mut self, prompt: &str) -> io::Result<String> {
            let answer = self.answers.pop_front().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("no answer for {prompt}"),
                )
            })?;
            Ok(answer)
        }
    }

    impl Ui for Person {
        fn ask(
            &mut self,
            prompt: &str,
            default: Option<&str>,
            check: crate::ui::Check,
        ) -> io::Result<String> {
            loop {
                let typed = self.next(prompt)?;
                let answer = match default {
                    Some(d) if typed.is_empty() => d.to_owned(),
                    _ => typed.clone(),
                };
                let _ = writeln!(self.screen, "{prompt}: {typed}");
                match check(&answer) {
                    Ok(()) => return Ok(answer),
                    Err(e) => {
                        let _ = writeln!(self.screen, "error: {e}");
                    }
                }
            }
        }

        fn ask_password(&mut self, prompt: &str, check: crate::ui::Check) -> io::Result<Password> {
            loop {
                let typed = self.next(prompt)?;
                let _ = writeln!(self.screen, "{prompt}:");
                match check(&typed) {
                    Ok(()) => return Ok(Password::new(typed).unwrap()),
                    Err(e) => {
                        let _ = writeln!(self.screen, "error: {e}");
                    }
                }
            }
        }

        fn confirm(&mut self, prompt: &str) -> io::Result<bool> {
            if let Some((path, line)) = self.meanwhile.take() {
                let mut text = fs::read_to_string(&path).unwrap_or_default();
                text.push_str(line);
                fs::write(&path, text).unwrap();
            }
            let typed = self.next(prompt)?;
            let _ = writeln!(self.screen, "{prompt} {typed}");
            Ok(typed != "n")
        }
    }

    /// Access concentrators that answer on the named interfaces.
    struct FakeLan(Vec<(&'static str, bool)>);

    impl FindAc for FakeLan {
        fn probe_all(&self) -> Vec<Found> {
            self.0.iter().map(|(name, _)| self.probe(name)).collect()
        }

        fn probe(&self, interface: &str) -> Found {
            let answers = self.0.iter().any(|(n, a)| *n == interface && *a);
            let offers = if answers {
                vec![Offer {
                    ac_mac: MacAddr([2, 0, 0, 0, 0, 1]),
                    ac_name: b"BRAS-1".to_vec(),
                    service_names: vec![Vec::new()],
                    cookie: None,
                    relay_id: None,
                    max_payload: None,
                }]
            } else {
                Vec::new()
            };
            Found {
                interface: interface.to_owned(),
                result: Ok(offers),
                diagnosis: (!answers).then(|| "no PPPoE frame from any host".to_owned()),
            }
        }

        fn interface(&self, name: &str) -> Result<Interface, BadAnswer> {
            if self.0.iter().any(|(n, _)| *n == name) {
                Ok(Interface::for_tests(name))
            } else {
                Err(BadAnswer(format!("no such interface: {name:?}")))
            }
        }
    }

    /// A scratch root with an empty `etc/ppp`, removed at the end of the
    /// test.
    struct Root(Scratch);

    impl Root {
        fn new(tag: &str) -> Root {
            let scratch = Scratch::new(&format!("flow-{tag}"));
            fs::create_dir_all(scratch.0.join("etc/ppp")).unwrap();
            Root(scratch)
        }

        fn file(&self, rel: &str) -> PathBuf {
            self.0.0.join(rel)
        }

        fn options(&self) -> Options {
            Options {
                root: self.0.0.clone(),
                ..Options::default()
            }
        }
    }

    /// Runs setup; returns its result and everything it said.
    fn run_with(
        options: &Options,
        person: Option<&mut Person>,
        lan: &FakeLan,
    ) -> (Result<Outcome, Failure>, String) {
        let mut said = String::new();
        let result = {
            let mut say = |t: &str| said.push_str(t);
            match person {
                Some(p) => run(options, Some(p as &mut dyn Ui), lan, &mut say),
                None => run(options, None, lan, &mut say),
            }
        };
        (result, said)
    }

    #[test]
    fn an_existing_peers_file_is_refused_before_any_question() {
        let root = Root::new("exists");
        fs::create_dir_all(root.file("etc/ppp/peers")).unwrap();
        fs::write(root.file("etc/ppp/peers/rs-pppoe"), "mine\n").unwrap();
        let mut person = Person::typing(&[]);
        let (result, _) = run_with(&root.options(), Some(&mut person), &FakeLan(vec![]));
        let err = result.unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        assert!(err.contains("--force"), "{err}");
        assert_eq!(
            fs::read(root.file("etc/ppp/peers/rs-pppoe")).unwrap(),
            b"mine\n"
        );
        assert!(!root.file("etc/ppp/chap-secrets").exists());
    }

    #[test]
    fn a_linked_or_unsafe_secrets_file_is_refused_before_any_question() {
        let root = Root::new("badsecrets");
        std::os::unix::fs::symlink("/etc/shadow", root.file("etc/ppp/chap-secrets")).unwrap();
        let mut person = Person::typing(&[]);
        let (result, _) = run_with(&root.options(), Some(&mut person), &FakeLan(vec![]));
        let err = result.unwrap_err().to_string();
        assert!(err.contains("chap-secrets is a symbolic link"), "{err}");
        fs::remove_file(root.file("etc/ppp/chap-secrets")).unwrap();
        fs::write(root.file("etc/ppp/pap-secrets"), "a * \"open quote\n").unwrap();
        let (result, _) = run_with(&root.options(), Some(&mut person), &FakeLan(vec![]));
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("pap-secrets: pppd would not read the file"),
            "{err}"
        );
        assert!(!root.file("etc/ppp/peers").exists());
    }

    #[test]
    fn without_a_terminal_missing_answers_name_their_flags() {
        let root = Root::new("noterm");
        let lan = FakeLan(vec![]);
        let (result, _) = run_with(&root.options(), None, &lan);
        let err = result.unwrap_err().to_string();
        assert!(err.contains("pass -I IFACE"), "{err}");
        // Nothing was written.
        assert_eq!(fs::read_dir(root.file("etc/ppp")).unwrap().count(), 0);
    }

    #[test]
    fn several_answering_interfaces_without_a_terminal_need_dash_i() {
        let root = Root::new("several");
        let lan = FakeLan(vec![("eth0", true), ("eth1", true)]);
        let (result, said) = run_with(&root.options(), None, &lan);
        let err = result.unwrap_err().to_string();
        assert!(err.contains("eth0, eth1"), "{err}");
        assert!(
            said.contains("eth1: access concentrator \"BRAS-1\""),
            "{said}"
        );
    }

    #[test]
    fn a_password_file_gives_its_first_line_only() {
        let root = Root::new("pwfile");
        let path = root.file("pw");
        fs::write(&path, "s3cret pw\r\n").unwrap();
        let pw = read_password_file(&path).unwrap();
        assert_eq!(pw.quoted().as_str(), "\"s3cret pw\"");
        fs::write(&path, "alpha\nbravo\n").unwrap();
        let err = read_password_file(&path).unwrap_err().to_string();
        assert!(err.contains("more than one line"), "{err}");
        assert!(!err.contains("alpha") && !err.contains("bravo"), "{err}");
        fs::write(&path, "\n").unwrap();
        let err = read_password_file(&path).unwrap_err().to_string();
        assert!(err.contains("the password is empty"), "{err}");
    }

    #[test]
    fn a_person_is_asked_again_after_a_bad_answer_and_the_password_is_never_shown() {
        let root = Root::new("person");
        let secret = "pw\"#1 \\x";
        let chap = "# Secrets for authentication using CHAP\n\
                    other-user * \"other\" *\n\
                    \"id@isp.ne.jp\" * \"old\" *";
        fs::write(root.file("etc/ppp/chap-secrets"), chap).unwrap();
        let mut person = Person::typing(&[
            "nosuch0", // not an interface: asked again
            "",        // the default: the one that answered
            "",        // empty user name: asked again
            "  id@isp.ne.jp ",
            "",     // empty password: asked again
            secret, // accepted
            "y",
        ]);
        let lan = FakeLan(vec![("eth0", false), ("eth1", true)]);
        let (result, said) = run_with(&root.options(), Some(&mut person), &lan);
        assert_eq!(result.unwrap(), Outcome::Written);
        let screen = format!("{said}{}", person.screen);
        assert!(
            screen.contains("eth0: no access concentrator answered: no PPPoE frame from any host"),
            "{screen}"
        );
        assert!(
            screen.contains("eth1: access concentrator \"BRAS-1\""),
            "{screen}"
        );
        assert!(
            screen.contains("error: no such interface: \"nosuch0\""),
            "{screen}"
        );
        assert!(screen.contains("error: the user name is empty"), "{screen}");
        assert!(screen.contains("error: the password is empty"), "{screen}");
        assert!(
            !screen.contains(secret) && !screen.contains("#1"),
            "{screen}"
        );
        assert!(screen.contains("pon rs-pppoe"), "{screen}");

        let peers = fs::read_to_string(root.file("etc/ppp/peers/rs-pppoe")).unwrap();
        assert!(peers.contains("\nnic-eth1\n"), "{peers}");
        assert!(peers.contains("\nuser \"id@isp.ne.jp\"\n"), "{peers}");
        let chap_now = fs::read_to_string(root.file("etc/ppp/chap-secrets")).unwrap();
        assert_eq!(
            chap_now,
            "# Secrets for authentication using CHAP\n\
             other-user * \"other\" *\n\
             \"id@isp.ne.jp\" * \"pw\\\"#1 \\\\x\" *\n"
        );
        assert_eq!(
            fs::read_to_string(root.file("etc/ppp/chap-secrets.bak")).unwrap(),
            chap
        );
        let pap = fs::read_to_string(root.file("etc/ppp/pap-secrets")).unwrap();
        assert_eq!(pap, "\"id@isp.ne.jp\" * \"pw\\\"#1 \\\\x\" *\n");
        assert!(!root.file("etc/ppp/pap-secrets.bak").exists());
    }

    #[test]
    fn a_declined_plan_writes_nothing() {
        let root = Root::new("declined");
        let mut person = Person::typing(&["", "me", "pw", "n"]);
        let lan = FakeLan(vec![("eth0", true)]);
        let (result, said) = run_with(&root.options(), Some(&mut person), &lan);
        assert_eq!(result.unwrap(), Outcome::Declined);
        assert!(said.contains("\"me\" * \"********\" *"), "{said}");
        assert!(said.contains("Nothing was written."), "{said}");
        assert_eq!(fs::read_dir(root.file("etc/ppp")).unwrap().count(), 0);
    }

    #[test]
    fn a_secrets_file_changed_during_the_questions_is_not_overwritten() {
        let root = Root::new("meanwhile");
        let chap = root.file("etc/ppp/chap-secrets");
        fs::write(&chap, "a * 1 *\n").unwrap();
        let mut person = Person::typing(&["", "me", "pw", "y"]);
        person.meanwhile = Some((chap.clone(), "b * 2 *\n"));
        let lan = FakeLan(vec![("eth0", true)]);
        let (result, _) = run_with(&root.options(), Some(&mut person), &lan);
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("changed while rs-pppoe-setup was running"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&chap).unwrap(), "a * 1 *\nb * 2 *\n");
        assert!(!root.file("etc/ppp/peers/rs-pppoe").exists());
    }

    #[test]
    fn flags_answer_every_question() {
        let root = Root::new("flags");
        fs::write(root.file("pw"), "from-file\n").unwrap();
        let options = Options {
            interface: Some("eth0".into()),
            user: Some("me".into()),
            password_file: Some(root.file("pw")),
            peer: PeerName::parse("isp").unwrap(),
            yes: true,
            ..root.options()
        };
        let lan = FakeLan(vec![("eth0", true)]);
        let (result, said) = run_with(&options, None, &lan);
        assert_eq!(result.unwrap(), Outcome::Written);
        assert!(said.contains("eth0: access concentrator"), "{said}");
        assert!(!said.contains("from-file"), "{said}");
        assert!(root.file("etc/ppp/peers/isp").is_file());
        assert_eq!(
            fs::read_to_string(root.file("etc/ppp/chap-secrets")).unwrap(),
            "\"me\" * \"from-file\" *\n"
        );
        // Again with the same answers: the secrets are unchanged (no new
        // backup), the peers file needs --force.
        let (result, _) = run_with(&options, None, &lan);
        assert!(result.unwrap_err().to_string().contains("already exists"));
        let forced = Options {
            force: true,
            ..options
        };
        let (result, said) = run_with(&forced, None, &lan);
        assert_eq!(result.unwrap(), Outcome::Written);
        assert!(
            said.contains("already holds this entry: unchanged"),
            "{said}"
        );
        assert!(root.file("etc/ppp/peers/isp.bak").is_file());
        assert!(!root.file("etc/ppp/chap-secrets.bak").exists());
    }

    #[test]
    fn without_a_terminal_writing_needs_yes() {
        let root = Root::new("noyes");
        fs::write(root.file("pw"), "pw").unwrap();
        let options = Options {
            interface: Some("eth0".into()),
            user: Some("me".into()),
            password_file: Some(root.file("pw")),
            ..root.options()
        };
        let (result, _) = run_with(&options, None, &FakeLan(vec![("eth0", true)]));
        let err = result.unwrap_err().to_string();
        assert!(err.contains("pass --yes"), "{err}");
        assert_eq!(fs::read_dir(root.file("etc/ppp")).unwrap().count(), 0);
    }
}

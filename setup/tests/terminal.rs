//! `rs-pppoe-setup` driven as a person drives it: in a real terminal
//! (tmux: `send-keys` to type, `capture-pane` to read the screen), in a
//! client namespace with two Ethernet interfaces of which only one reaches
//! `pppoe-server`, writing into a scratch root.
//!
//! Needs root (namespaces) and tmux (`.ci/run` installs it); without root
//! the test says it is skipped.

#[path = "../../tests/netns_discovery/lab.rs"]
mod lab;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

const SETUP: &str = env!("CARGO_BIN_EXE_rs-pppoe-setup");
/// The second client interface: its peer is up, but no AC listens there.
const IDLE_IF: &str = "veth-idle";
const AC_NAME: &str = "rsp-setup-ac";
const USER: &str = "setup-user@example.net";
/// Everything pppd's secrets syntax makes hard: both quotes, a backslash,
/// a space, a comment sign, a dollar.
const PASSWORD: &str = r#"pa"ss w\rd#1'$x"#;

/// A tmux server of our own (its socket in the lab's directory), killed
/// on drop.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(socket: PathBuf, command: &str) -> Tmux {
        let tmux = Tmux { socket };
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&tmux.socket)
            .args(["-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "132", "-y", "60", command])
            .status()
            .expect("tmux must be installed (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    fn press(&self, key: &str) {
        self.tmux(&["send-keys", key]);
    }

    /// Everything the terminal shows and has scrolled away.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-"])
    }

    /// Waits until the screen's last non-empty line is `prompt` (the
    /// program is waiting for us there); returns the screen.
    fn wait_for_prompt(&self, prompt: &str) -> String {
        self.wait_until(prompt, |screen| last_line(screen) == prompt)
    }

    /// Waits until `error` is shown and `prompt` asked again below it.
    fn wait_for_asked_again(&self, error: &str, prompt: &str) -> String {
        self.wait_until(&format!("{error:?}, then {prompt:?}"), |screen| {
            screen.contains(error) && last_line(screen) == prompt
        })
    }

    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            assert!(
                !screen.contains(PASSWORD) && !screen.contains("w\\rd"),
                "the password is on the screen:\n{screen}"
            );
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {what:?}; the screen:\n{screen}"
            );
            sleep(Duration::from_millis(50));
        }
    }
}

/// The last line with something on it.
fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim_end()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .status();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(out.status.success(), "ip {args:?}: {out:?}");
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A chap-secrets a person has lived with: comments, tabs and odd spacing,
/// a CRLF line, an older entry for our user (to be replaced), and no
/// newline at the end.
const OLD_CHAP: &str = "# Secrets for authentication using CHAP\n\
# client\tserver\tsecret\t\t\tIP addresses\n\
\n\
  \"work-vpn\"\t*\t'it''s  spaced'   10.8.0.2   # keep me\n\
windows-user * \"crlf\" *\r\n\
\"setup-user@example.net\" * \"old password\" *\n\
last-line * \"no newline\" *";

#[test]
fn a_person_sets_up_a_connection_in_a_terminal() {
    let Some(mut lab) = lab::lab("setup-tty") else {
        return;
    };
    lab.start_server(lab::AC_IF, &["-C", AC_NAME]);
    ip(&[
        "link",
        "add",
        IDLE_IF,
        "netns",
        &lab.cl_ns,
        "type",
        "veth",
        "peer",
        "name",
        "idle-peer",
        "netns",
        &lab.ac_ns,
    ]);
    ip(&["-n", &lab.cl_ns, "link", "set", IDLE_IF, "up"]);
    ip(&["-n", &lab.ac_ns, "link", "set", "idle-peer", "up"]);

    let root = lab.path("root");
    let ppp = root.join("etc/ppp");
    fs::create_dir_all(&ppp).unwrap();
    fs::write(ppp.join("chap-secrets"), OLD_CHAP).unwrap();
    fs::set_permissions(ppp.join("chap-secrets"), fs::Permissions::from_mode(0o600)).unwrap();

    let tmux = Tmux::start(
        lab.path("tmux.socket"),
        &format!(
            "ip netns exec {} {SETUP} --root {} --name setup-test; echo SETUP-EXIT=$?; sleep 600",
            lab.cl_ns,
            root.display()
        ),
    );

    // It finds the interface the AC answers on and offers it.
    let interface_prompt = format!("Interface facing the gateway [{}]:", lab::CL_IF);
    let screen = tmux.wait_for_prompt(&interface_prompt);
    assert!(
        screen.contains(&format!("{IDLE_IF}: no access concentrator answered")),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "{}: access concentrator \"{AC_NAME}\" ({})",
            lab::CL_IF,
            lab::AC_MAC
        )),
        "{screen}"
    );

    // Bad answers are refused with a reason and asked again.
    tmux.type_text("nosuch0");
    tmux.press("Enter");
    tmux.wait_for_asked_again("error: no such interface: \"nosuch0\"", &interface_prompt);
    tmux.type_text("lo");
    tmux.press("Enter");
    tmux.wait_for_asked_again(
        "error: \"lo\" is not an Ethernet interface",
        &interface_prompt,
    );
    tmux.press("Enter"); // the offered default
    tmux.wait_for_prompt("ISP user name:");
    tmux.press("Enter");
    tmux.wait_for_asked_again("error: the user name is empty", "ISP user name:");
    tmux.type_text(USER);
    tmux.press("Enter");

    // The password, twice, never echoed (every capture checks that).
    tmux.wait_for_prompt("ISP password (not shown):");
    tmux.type_text(PASSWORD);
    tmux.press("Enter");
    tmux.wait_for_prompt("Repeat the password:");
    tmux.type_text(PASSWORD);
    tmux.press("Enter");

    // The plan, with the password masked, then the confirmation.
    let screen = tmux.wait_for_prompt("Write these files? [Y/n]");
    let peers_path = ppp.join("peers/setup-test");
    for expected in [
        format!("{} (new; comments left out here):", peers_path.display()),
        "    plugin rs-pppoe.so".to_owned(),
        format!("    nic-{}", lab::CL_IF),
        format!("    user \"{USER}\""),
        format!("replaces the entry for \"{USER}\""),
        format!("    \"{USER}\" * \"********\" *"),
    ] {
        assert!(
            screen.contains(&expected),
            "{expected:?} missing:\n{screen}"
        );
    }
    assert!(!peers_path.exists(), "written before the confirmation");
    tmux.press("y");
    let screen = tmux.wait_until("setup to finish", |s| s.contains("SETUP-EXIT="));
    assert!(screen.contains("SETUP-EXIT=0"), "{screen}");
    assert!(screen.contains("pon setup-test"), "{screen}");
    assert!(screen.contains("journalctl -t pppd"), "{screen}");

    // What it wrote.
    let peers = fs::read_to_string(&peers_path).unwrap();
    assert!(peers.contains("\nplugin rs-pppoe.so\n"), "{peers}");
    assert!(
        peers.contains(&format!("\nnic-{}\n", lab::CL_IF)),
        "{peers}"
    );
    assert!(peers.contains(&format!("\nuser \"{USER}\"\n")), "{peers}");
    assert!(
        !peers.contains("pa\"ss"),
        "the password is in the peers file"
    );
    let entry = format!("\"{USER}\" * \"pa\\\"ss w\\\\rd#1'$x\" *");
    let chap = fs::read_to_string(ppp.join("chap-secrets")).unwrap();
    let expected_chap = OLD_CHAP.replace(&format!("\"{USER}\" * \"old password\" *"), &entry);
    assert_eq!(chap, expected_chap, "every other line kept byte for byte");
    assert_eq!(
        fs::read_to_string(ppp.join("chap-secrets.bak")).unwrap(),
        OLD_CHAP
    );
    assert_eq!(mode(&ppp.join("chap-secrets")), 0o600);
    assert_eq!(mode(&ppp.join("chap-secrets.bak")), 0o600);
    assert_eq!(
        fs::read_to_string(ppp.join("pap-secrets")).unwrap(),
        format!("{entry}\n")
    );
    assert_eq!(mode(&ppp.join("pap-secrets")), 0o600);
}

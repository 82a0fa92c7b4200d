//! The `/etc/ppp/peers/NAME` file setup writes: the project's recommended
//! options (`docs/peers-provider.example`, README "On your own machine")
//! with the interface and user name filled in. No secret ever goes here.

use crate::answers::{Interface, PeerName, UserName};
use crate::words;

/// The peers file for `peer` on `interface` as `user`.
pub fn render(peer: &PeerName, interface: &Interface, user: &UserName) -> String {
    let peer = peer.as_str();
    // `Interface::parse` checked the name is writable as one word.
    let nic = words::quote_if_needed(&format!("nic-{interface}")).unwrap_or_default();
    let user = user.quoted();
    format!(
        "\
# /etc/ppp/peers/{peer}: PPPoE through rs-pppoe.so, written by rs-pppoe-setup.
#
# Start: pon {peer}   (or: systemctl start ppp@{peer})
# Stop:  poff {peer}
# The password is in /etc/ppp/chap-secrets and pap-secrets, never here.
# Plugin options: man rs-pppoe; the policy-routing hook: man rs-pppoe-rule.

# The plugin, looked up in pppd's plugin directory.
plugin rs-pppoe.so

# The Ethernet interface that reaches the access concentrator.
{nic}

# The user name your ISP gave you.
user {user}

# Keep the LAN's default route: do not route everything over ppp0, and take
# whatever address the ISP assigns.
nodefaultroute
noipdefault

# Reconnect forever, 10 s apart, and notice a dead link within a minute.
persist
maxfail 0
holdoff 10
lcp-echo-interval 20
lcp-echo-failure 3

# The ISP does not authenticate itself to us; never log the password.
noauth
hide-password
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lo` is refused by `Interface::parse`; tests build one directly.
    fn iface(name: &str) -> Interface {
        Interface::for_tests(name)
    }

    fn render_for(ifname: &str, user: &str) -> String {
        render(
            &PeerName::parse("isp").unwrap(),
            &iface(ifname),
            &UserName::parse(user).unwrap(),
        )
    }

    /// The option words pppd reads from the file, comments dropped.
    fn options(text: &str) -> Vec<String> {
        words::split(text.as_bytes())
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w.text).into_owned())
            .collect()
    }

    #[test]
    fn the_file_holds_the_recommended_options() {
        let text = render_for("enp1s0", "id@isp.ne.jp");
        assert_eq!(
            options(&text),
            [
                "plugin",
                "rs-pppoe.so",
                "nic-enp1s0",
                "user",
                "id@isp.ne.jp",
                "nodefaultroute",
                "noipdefault",
                "persist",
                "maxfail",
                "0",
                "holdoff",
                "10",
                "lcp-echo-interval",
                "20",
                "lcp-echo-failure",
                "3",
                "noauth",
                "hide-password",
            ]
        );
        assert!(text.contains("\nnic-enp1s0\n"), "{text}");
        assert!(text.contains("\nuser \"id@isp.ne.jp\"\n"), "{text}");
        assert!(text.contains("pon isp"), "{text}");
    }

    #[test]
    fn the_example_in_docs_has_the_same_options() {
        // docs/peers-provider.example is what the project recommends; the
        // generated file must not drift from it.
        let example = include_str!("../../docs/peers-provider.example");
        let mut expected = options(example);
        for (word, value) in [("nic-eth0", "nic-enp1s0"), ("user@example.net", "u")] {
            let at = expected.iter().position(|w| w == word).unwrap();
            expected[at] = value.to_owned();
        }
        assert_eq!(options(&render_for("enp1s0", "u")), expected);
    }

    #[test]
    fn odd_names_are_quoted_so_pppd_reads_them_whole() {
        let text = render_for("we#ird", "a \"b\"");
        let words = options(&text);
        assert!(words.contains(&"nic-we#ird".to_owned()), "{words:?}");
        assert!(words.contains(&"a \"b\"".to_owned()), "{words:?}");
    }
}

//! nftables over netlink (`NETLINK_NETFILTER`), for the forwarding table of
//! [`crate::forward`]: one batch per run, so the table, its chains and
//! rules appear or disappear in one transaction.
//!
//! Messages are built with `netlink-packet-netfilter` (rust-netlink, the
//! family of the `rtnetlink` crate used for rules and routes). The kernel
//! handles a batch, and every answer to it, inside `send`, so the socket is
//! non-blocking: an answer that is not there after the send never comes.

use std::fmt;
use std::io;

use netlink_packet_core::{
    DefaultNla, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST,
    NetlinkMessage, NetlinkPayload,
};
use netlink_packet_netfilter::nftables::{
    Bitwise, ChainAttribute, ChainMessage, Cmp, DataAttribute, Expressions, Hook, HookNumber,
    InetHookNumber, ListAttribute, Meta, MetaKey, NfTablesMessage, Operator, Register,
    RuleAttribute, RuleMessage, TableAttribute, TableMessage,
};
use netlink_packet_netfilter::none::ControlMessage;
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily,
};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

use crate::forward::{Chain, IFNAMSIZ, Mark, PRIORITY_MANGLE, Step, TABLE_PREFIX, Table};

/// `NFNL_SUBSYS_NFTABLES`: batch begin/end carry it as their resource id.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `NF_ACCEPT`, the base chains' policy.
const NF_ACCEPT: u32 = 1;
/// `NFTA_CT_*` attributes and `NFT_CT_*` keys (the crate has no typed ct
/// expression yet).
const NFTA_CT_DREG: u16 = 1;
const NFTA_CT_KEY: u16 = 2;
const NFTA_CT_SREG: u16 = 4;
const NFT_CT_STATE: u32 = 0;
const NFT_CT_DIRECTION: u32 = 1;
const NFT_CT_MARK: u32 = 3;
/// `NF_CT_STATE_BIT(IP_CT_NEW)` and `IP_CT_DIR_REPLY`.
const CT_STATE_NEW: u32 = 1 << 3;
const CT_DIR_REPLY: u8 = 1;
/// `NFTNL_UDATA_TABLE_COMMENT`: the TLV type `nft` shows as `comment`.
const UDATA_TABLE_COMMENT: u8 = 0;

/// A failed nftables request: what was asked and the errno the kernel (or
/// the socket call) gave.
#[derive(Debug)]
pub struct NftError {
    pub what: String,
    pub errno: Option<i32>,
    pub detail: String,
}

impl NftError {
    fn io(what: impl Into<String>, error: &io::Error) -> NftError {
        NftError {
            what: what.into(),
            errno: error.raw_os_error(),
            detail: error.to_string(),
        }
    }

    fn other(what: impl Into<String>, detail: impl Into<String>) -> NftError {
        NftError {
            what: what.into(),
            errno: None,
            detail: detail.into(),
        }
    }

    /// The kernel has no nftables: no netfilter netlink at all
    /// (`EPROTONOSUPPORT` from `socket`), no nf_tables subsystem behind it
    /// (`EOPNOTSUPP` for the batch), or no IPv4 family (`EAFNOSUPPORT`).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.errno,
            Some(libc::EPROTONOSUPPORT | libc::EOPNOTSUPP | libc::EAFNOSUPPORT)
        )
    }
}

impl fmt::Display for NftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(errno) => write!(f, "{}: {}", self.what, io::Error::from_raw_os_error(errno)),
            None => write!(f, "{}: {}", self.what, self.detail),
        }
    }
}

/// An nftables table as read back: enough to recognise ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenTable {
    pub name: String,
    /// Its comment, if it has one (ours always do).
    pub comment: Option<String>,
}

/// One change of the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Add(Table),
    Delete(String),
}

/// An open `NETLINK_NETFILTER` socket.
pub struct Nft {
    socket: Socket,
    sequence: u32,
}

impl Nft {
    pub fn open() -> Result<Nft, NftError> {
        let what = "open a netfilter netlink socket";
        let mut socket =
            Socket::new(NETLINK_NETFILTER).map_err(|error| NftError::io(what, &error))?;
        socket
            .bind_auto()
            .map_err(|error| NftError::io(what, &error))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|error| NftError::io(what, &error))?;
        socket
            .set_non_blocking(true)
            .map_err(|error| NftError::io(what, &error))?;
        Ok(Nft {
            socket,
            sequence: 0,
        })
    }

    /// The socket, for [`crate::sys::release_after_exit`].
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    fn next_sequence(&mut self) -> u32 {
        self.sequence += 1;
        self.sequence
    }

    /// The table called `name` (family ip), or `None` when there is none.
    pub fn read_table(&mut self, name: &str) -> Result<Option<SeenTable>, NftError> {
        let what = format!("read nftables table ip {name}");
        let sequence = self.next_sequence();
        let request = encode(
            NfTablesMessage::GetTable(TableMessage {
                attributes: vec![TableAttribute::Name(name.to_owned())],
            }),
            NetfilterProtoFamily::IPv4,
            0,
            NLM_F_REQUEST | NLM_F_ACK,
            sequence,
        );
        self.send(&request, &what)?;
        let mut found = None;
        for message in self.receive(&what)? {
            match message.payload {
                NetlinkPayload::Error(error) if error.raw_code() == -libc::ENOENT => {
                    return Ok(None);
                }
                NetlinkPayload::Error(error) if error.raw_code() != 0 => {
                    return Err(kernel_error(&what, error.raw_code()));
                }
                NetlinkPayload::InnerMessage(message) => {
                    found = found.or_else(|| seen_table(&message));
                }
                _ => {}
            }
        }
        Ok(found)
    }

    /// Every ip-family table whose name starts with [`TABLE_PREFIX`].
    pub fn list_our_tables(&mut self) -> Result<Vec<SeenTable>, NftError> {
        let what = "list nftables tables";
        let sequence = self.next_sequence();
        let request = encode(
            NfTablesMessage::GetTable(TableMessage { attributes: vec![] }),
            NetfilterProtoFamily::IPv4,
            0,
            NLM_F_REQUEST | NLM_F_DUMP,
            sequence,
        );
        self.send(&request, what)?;
        let mut tables = Vec::new();
        for message in self.receive(what)? {
            match message.payload {
                NetlinkPayload::Error(error) if error.raw_code() != 0 => {
                    return Err(kernel_error(what, error.raw_code()));
                }
                NetlinkPayload::InnerMessage(message) => tables.extend(seen_table(&message)),
                _ => {}
            }
        }
        tables.retain(|table| table.name.starts_with(TABLE_PREFIX));
        Ok(tables)
    }

    /// Apply `changes` as one transaction: all of it or nothing.
    pub fn apply(&mut self, changes: &[Change]) -> Result<(), NftError> {
        let what = "nftables: ".to_owned()
            + &changes
                .iter()
                .map(|change| match change {
                    Change::Add(table) => format!("add table ip {}", table.name()),
                    Change::Delete(name) => format!("delete table ip {name}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
        let begin = self.next_sequence();
        let mut batch = encode(
            ControlMessage::BatchBegin,
            NetfilterProtoFamily::Unspec,
            NFNL_SUBSYS_NFTABLES,
            NLM_F_REQUEST,
            begin,
        );
        let mut acks_wanted = 0;
        for change in changes {
            for message in messages(change) {
                let (message, flags) = message;
                let sequence = self.next_sequence();
                batch.extend(encode(
                    message,
                    NetfilterProtoFamily::IPv4,
                    0,
                    NLM_F_REQUEST | NLM_F_ACK | flags,
                    sequence,
                ));
                acks_wanted += 1;
            }
        }
        let end = self.next_sequence();
        batch.extend(encode(
            ControlMessage::BatchEnd,
            NetfilterProtoFamily::Unspec,
            NFNL_SUBSYS_NFTABLES,
            NLM_F_REQUEST,
            end,
        ));
        self.send(&batch, &what)?;
        let mut acks = 0;
        let mut first_error = None;
        for message in self.receive(&what)? {
            if let NetlinkPayload::Error(error) = message.payload {
                match error.raw_code() {
                    0 => acks += 1,
                    code => {
                        first_error.get_or_insert(code);
                    }
                }
            }
        }
        if let Some(code) = first_error {
            return Err(kernel_error(&what, code));
        }
        if acks < acks_wanted {
            return Err(NftError::other(
                what,
                format!("the kernel acknowledged {acks} of {acks_wanted} messages"),
            ));
        }
        Ok(())
    }

    fn send(&self, bytes: &[u8], what: &str) -> Result<(), NftError> {
        match self.socket.send(bytes, 0) {
            Ok(sent) if sent == bytes.len() => Ok(()),
            Ok(sent) => Err(NftError::other(
                what,
                format!("sent {sent} of {} bytes", bytes.len()),
            )),
            Err(error) => Err(NftError::io(what, &error)),
        }
    }

    /// Every message queued for us: the kernel produced them during
    /// `send` (and produces further dump parts during `recv`).
    fn receive(&self, what: &str) -> Result<Vec<NetlinkMessage<NetfilterMessage>>, NftError> {
        let mut messages = Vec::new();
        let mut buffer = vec![0u8; 65536];
        loop {
            let length = match self.socket.recv(&mut &mut buffer[..], 0) {
                Ok(length) => length,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => return Err(NftError::io(what, &error)),
            };
            let mut offset = 0;
            let mut done = false;
            while offset + 16 <= length {
                let declared =
                    u32::from_ne_bytes(buffer[offset..offset + 4].try_into().expect("4 bytes"))
                        as usize;
                if declared < 16 || offset + declared > length {
                    return Err(NftError::other(what, "malformed netlink answer"));
                }
                let message = NetlinkMessage::<NetfilterMessage>::deserialize(
                    &buffer[offset..offset + declared],
                )
                .map_err(|error| NftError::other(what, format!("undecodable answer: {error}")))?;
                done |= matches!(message.payload, NetlinkPayload::Done(_));
                messages.push(message);
                offset += (declared + 3) & !3;
            }
            if done {
                break;
            }
        }
        Ok(messages)
    }
}

fn kernel_error(what: &str, code: i32) -> NftError {
    let errno = -code;
    NftError {
        what: what.to_owned(),
        errno: Some(errno),
        detail: io::Error::from_raw_os_error(errno).to_string(),
    }
}

fn encode(
    inner: impl Into<NetfilterMessageInner>,
    family: NetfilterProtoFamily,
    resource_id: u16,
    flags: u16,
    sequence: u32,
) -> Vec<u8> {
    let mut message = NetlinkMessage::from(NetfilterMessage::new(
        NetfilterHeader::new(family, 0, resource_id),
        inner,
    ));
    message.header.flags = flags;
    message.header.sequence_number = sequence;
    message.finalize();
    let mut bytes = vec![0u8; message.buffer_len()];
    message.serialize(&mut bytes);
    bytes
}

fn seen_table(message: &NetfilterMessage) -> Option<SeenTable> {
    let NetfilterMessageInner::NfTables(NfTablesMessage::NewTable(table)) = &message.inner else {
        return None;
    };
    let mut seen = SeenTable {
        name: String::new(),
        comment: None,
    };
    for attribute in &table.attributes {
        match attribute {
            TableAttribute::Name(name) => seen.name = name.clone(),
            TableAttribute::UserData(bytes) => seen.comment = comment_of(bytes),
            _ => {}
        }
    }
    Some(seen)
}

/// `nft`'s user-data TLV list (type, length, value): the comment entry,
/// without its trailing NUL.
fn comment_of(mut bytes: &[u8]) -> Option<String> {
    while let [kind, length, rest @ ..] = bytes {
        let length = usize::from(*length);
        let value = rest.get(..length)?;
        if *kind == UDATA_TABLE_COMMENT {
            let text = value.strip_suffix(&[0]).unwrap_or(value);
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        bytes = &rest[length..];
    }
    None
}

fn comment_tlv(comment: &str) -> Vec<u8> {
    // 255 bytes at most, NUL included (checked by forward's unit tests).
    let text = &comment.as_bytes()[..comment.len().min(254)];
    let mut bytes = vec![UDATA_TABLE_COMMENT, (text.len() + 1) as u8];
    bytes.extend_from_slice(text);
    bytes.push(0);
    bytes
}

/// The messages of one change, with their extra netlink flags.
fn messages(change: &Change) -> Vec<(NfTablesMessage, u16)> {
    let table = match change {
        Change::Delete(name) => {
            return vec![(
                NfTablesMessage::DeleteTable(TableMessage {
                    attributes: vec![TableAttribute::Name(name.clone())],
                }),
                0,
            )];
        }
        Change::Add(table) => table,
    };
    let name = table.name();
    let mut messages = vec![(
        NfTablesMessage::NewTable(TableMessage {
            attributes: vec![
                TableAttribute::Name(name.clone()),
                TableAttribute::UserData(comment_tlv(&table.comment())),
            ],
        }),
        // A table of this name that we did not see when planning is not
        // ours to add rules to: fail the whole batch instead.
        NLM_F_CREATE | NLM_F_EXCL,
    )];
    let rules = table.rules();
    for chain in table.chains() {
        let hook = match chain {
            Chain::Prerouting => InetHookNumber::PreRouting,
            Chain::Output => InetHookNumber::LocalOut,
        };
        debug_assert_eq!(u32::from(hook), chain.hook_number());
        messages.push((
            NfTablesMessage::NewChain(ChainMessage {
                attributes: vec![
                    ChainAttribute::Table(name.clone()),
                    ChainAttribute::Name(chain.name().to_owned()),
                    ChainAttribute::Hook(vec![
                        Hook::Number(HookNumber::Inet(hook)),
                        Hook::Priority(PRIORITY_MANGLE as u32),
                    ]),
                    ChainAttribute::Policy(NF_ACCEPT),
                    ChainAttribute::Type(chain.kind().to_owned()),
                ],
            }),
            NLM_F_CREATE,
        ));
        for rule in rules.iter().filter(|rule| rule.chain == chain) {
            let expressions = rule
                .steps
                .iter()
                .flat_map(expressions)
                .map(ListAttribute::from)
                .collect();
            messages.push((
                NfTablesMessage::NewRule(RuleMessage {
                    attributes: vec![
                        RuleAttribute::Table(name.clone()),
                        RuleAttribute::Chain(chain.name().to_owned()),
                        RuleAttribute::Expressions(expressions),
                    ],
                }),
                NLM_F_CREATE | NLM_F_APPEND,
            ));
        }
    }
    messages
}

/// Everything works in register 1, as `nft` does.
const REG: Register = Register::Reg1;

fn value(bytes: impl Into<Vec<u8>>) -> DataAttribute {
    DataAttribute::Value(bytes.into())
}

fn compare(operator: Operator, bytes: impl Into<Vec<u8>>) -> Expressions {
    Expressions::Cmp(vec![
        Cmp::SourceRegister(REG),
        Cmp::Op(operator),
        Cmp::Data(value(bytes)),
    ])
}

/// `reg = (reg & mask) ^ xor` on a 32-bit register value.
fn bitwise(mask: u32, xor: u32) -> Expressions {
    Expressions::Bitwise(vec![
        Bitwise::SourceRegister(REG),
        Bitwise::DestinationRegister(REG),
        Bitwise::Length(4),
        Bitwise::Mask(value(mask.to_ne_bytes())),
        Bitwise::Xor(value(xor.to_ne_bytes())),
    ])
}

fn ct(attributes: Vec<DefaultNla>) -> Expressions {
    Expressions::Other {
        expression_type: "ct".into(),
        attributes,
    }
}

fn ct_load(key: u32) -> Expressions {
    ct(vec![
        DefaultNla::new(NFTA_CT_DREG, u32::from(REG).to_be_bytes().to_vec()),
        DefaultNla::new(NFTA_CT_KEY, key.to_be_bytes().to_vec()),
    ])
}

fn meta_load(key: MetaKey) -> Expressions {
    Expressions::Meta(vec![Meta::DestinationRegister(REG), Meta::Key(key)])
}

fn ifname(name: &str) -> Vec<u8> {
    let mut bytes = vec![0u8; IFNAMSIZ];
    let length = name.len().min(IFNAMSIZ - 1);
    bytes[..length].copy_from_slice(&name.as_bytes()[..length]);
    bytes
}

/// The register code of one step, as `nft` compiles it.
fn expressions(step: &Step) -> Vec<Expressions> {
    let keep_others = |mark: Mark| bitwise(!mark.mask, mark.value);
    match step {
        Step::IifnameIs(name) => vec![
            meta_load(MetaKey::Iifname),
            compare(Operator::Equal, ifname(name)),
        ],
        Step::IifnameIsNot(name) => vec![
            meta_load(MetaKey::Iifname),
            compare(Operator::NotEqual, ifname(name)),
        ],
        Step::CtStateNew => vec![
            ct_load(NFT_CT_STATE),
            bitwise(CT_STATE_NEW, 0),
            compare(Operator::NotEqual, 0u32.to_ne_bytes()),
        ],
        Step::CtDirectionReply => vec![
            ct_load(NFT_CT_DIRECTION),
            compare(Operator::Equal, [CT_DIR_REPLY]),
        ],
        Step::CtMarkIs(mark) => vec![
            ct_load(NFT_CT_MARK),
            bitwise(mark.mask, 0),
            compare(Operator::Equal, mark.value.to_ne_bytes()),
        ],
        Step::SetCtMark(mark) => vec![
            ct_load(NFT_CT_MARK),
            keep_others(*mark),
            ct(vec![
                DefaultNla::new(NFTA_CT_KEY, NFT_CT_MARK.to_be_bytes().to_vec()),
                DefaultNla::new(NFTA_CT_SREG, u32::from(REG).to_be_bytes().to_vec()),
            ]),
        ],
        Step::SetMetaMark(mark) => vec![
            meta_load(MetaKey::Mark),
            keep_others(*mark),
            Expressions::Meta(vec![Meta::Key(MetaKey::Mark), Meta::SourceRegister(REG)]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_round_trip_through_nfts_user_data_format() {
        let bytes = comment_tlv("rs-pppoe-rule v1: ppp0");
        assert_eq!(bytes[0], UDATA_TABLE_COMMENT);
        assert_eq!(usize::from(bytes[1]), "rs-pppoe-rule v1: ppp0".len() + 1);
        assert_eq!(
            comment_of(&bytes).as_deref(),
            Some("rs-pppoe-rule v1: ppp0")
        );
        // Another entry first (nft records its version there), then ours.
        let mut two = vec![1, 4, 1, 2, 3, 4];
        two.extend(&bytes);
        assert_eq!(comment_of(&two).as_deref(), Some("rs-pppoe-rule v1: ppp0"));
        assert_eq!(comment_of(&[0, 9, b'x']), None, "truncated entry");
        assert_eq!(comment_of(&[]), None);
    }

    #[test]
    fn interface_names_fill_the_16_byte_register_with_nul_padding() {
        let bytes = ifname("ppp0");
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..5], b"ppp0\0");
        assert!(bytes[4..].iter().all(|b| *b == 0));
    }

    #[test]
    fn a_table_is_one_table_two_chains_and_three_rules_and_delete_is_one_message() {
        let table = Table {
            iface: "ppp1".into(),
            mark: Mark {
                value: 0x0200_0000,
                mask: 0x0f00_0000,
            },
        };
        let kinds: Vec<&str> = messages(&Change::Add(table))
            .iter()
            .map(|(message, _)| match message {
                NfTablesMessage::NewTable(_) => "table",
                NfTablesMessage::NewChain(_) => "chain",
                NfTablesMessage::NewRule(_) => "rule",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["table", "chain", "rule", "rule", "chain", "rule"]);
        assert_eq!(
            messages(&Change::Delete("rs-pppoe-rule-ppp1".into())).len(),
            1
        );
    }

    #[test]
    fn unsupported_means_the_kernel_lacks_nftables_not_that_it_refused() {
        let error = |errno| NftError {
            what: String::new(),
            errno: Some(errno),
            detail: String::new(),
        };
        assert!(error(libc::EPROTONOSUPPORT).is_unsupported());
        assert!(error(libc::EOPNOTSUPP).is_unsupported());
        assert!(!error(libc::EPERM).is_unsupported());
        assert!(!error(libc::EEXIST).is_unsupported());
    }
}

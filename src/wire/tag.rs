//! Discovery tags (RFC 2516 appendix A, RFC 4638, RFC 4937): a fused
//! iterator that reports the first malformed tag, and a room-checked writer.

use super::{Error, Result, hex, pppoe::enum_with_unknown, printable};

/// Length of a tag header (TAG_TYPE + TAG_LENGTH).
pub const TAG_HEADER_LEN: usize = 4;

enum_with_unknown! {
    /// TAG_TYPE values.
    pub enum TagType(u16) {
        /// End-Of-List: no further tags are read.
        EndOfList = 0x0000,
        /// Service-Name (UTF-8, may be empty = any service).
        ServiceName = 0x0101,
        /// AC-Name: the access concentrator's name.
        AcName = 0x0102,
        /// Host-Uniq: opaque, echoed by the AC so we know the reply is ours.
        HostUniq = 0x0103,
        /// AC-Cookie: opaque, must be echoed in PADR.
        AcCookie = 0x0104,
        /// Vendor-Specific: 4-byte vendor id + data.
        VendorSpecific = 0x0105,
        /// Relay-Session-Id: opaque, added by relays, must be echoed.
        RelaySessionId = 0x0110,
        /// HURL (RFC 4937): a URL for the user.
        Hurl = 0x0111,
        /// MOTM (RFC 4937): message of the minute.
        Motm = 0x0112,
        /// PPP-Max-Payload (RFC 4638): MTU/MRU above 1492.
        PppMaxPayload = 0x0120,
        /// IP_Route_Add (RFC 4937).
        IpRouteAdd = 0x0121,
        /// Service-Name-Error: the AC cannot serve the request.
        ServiceNameError = 0x0201,
        /// AC-System-Error: the AC has an internal problem.
        AcSystemError = 0x0202,
        /// Generic-Error.
        GenericError = 0x0203,
    }
}

impl TagType {
    /// The RFC's name, as pppd logs it.
    pub fn name(self) -> &'static str {
        match self {
            TagType::EndOfList => "End-Of-List",
            TagType::ServiceName => "Service-Name",
            TagType::AcName => "AC-Name",
            TagType::HostUniq => "Host-Uniq",
            TagType::AcCookie => "AC-Cookie",
            TagType::VendorSpecific => "Vendor-Specific",
            TagType::RelaySessionId => "Relay-Session-Id",
            TagType::Hurl => "HURL",
            TagType::Motm => "MOTM",
            TagType::PppMaxPayload => "PPP-Max-Payload",
            TagType::IpRouteAdd => "IP-Route-Add",
            TagType::ServiceNameError => "Service-Name-Error",
            TagType::AcSystemError => "AC-System-Error",
            TagType::GenericError => "Generic-Error",
            TagType::Unknown(_) => "unknown",
        }
    }

    /// One of the three error tags that make a PADO or PADS unacceptable.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            TagType::ServiceNameError | TagType::AcSystemError | TagType::GenericError
        )
    }

    /// Tags whose value is human text (printed escaped) rather than opaque
    /// bytes (printed as hex).
    fn is_text(self) -> bool {
        matches!(
            self,
            TagType::ServiceName
                | TagType::AcName
                | TagType::Hurl
                | TagType::Motm
                | TagType::ServiceNameError
                | TagType::AcSystemError
                | TagType::GenericError
        )
    }
}

/// One tag, borrowing its value from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// TAG_TYPE.
    pub tag_type: TagType,
    /// TAG_VALUE, exactly TAG_LENGTH bytes.
    pub value: &'a [u8],
}

impl<'a> Tag<'a> {
    /// A tag from its parts.
    pub fn new(tag_type: TagType, value: &'a [u8]) -> Self {
        Tag { tag_type, value }
    }

    /// Bytes this tag takes on the wire.
    pub fn wire_len(&self) -> usize {
        TAG_HEADER_LEN + self.value.len()
    }

    /// PPP-Max-Payload's value, if this tag is one and is exactly two bytes.
    pub fn max_payload(&self) -> Option<u16> {
        match (self.tag_type, self.value) {
            (TagType::PppMaxPayload, &[hi, lo]) => Some(u16::from_be_bytes([hi, lo])),
            _ => None,
        }
    }
}

/// Log form: `[AC-Name BRAS-01]`, `[Host-Uniq 2a000000]`, `[tag 0x0abc 0102]`.
impl std::fmt::Display for Tag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tag_type {
            TagType::Unknown(t) => write!(f, "[tag 0x{t:04x} {}]", hex(self.value)),
            t if self.value.is_empty() => write!(f, "[{}]", t.name()),
            t if t.is_text() => write!(f, "[{} {}]", t.name(), printable(self.value)),
            TagType::PppMaxPayload if self.max_payload().is_some() => {
                write!(
                    f,
                    "[{} {}]",
                    TagType::PppMaxPayload.name(),
                    self.max_payload().unwrap_or(0)
                )
            }
            t => write!(f, "[{} {}]", t.name(), hex(self.value)),
        }
    }
}

/// Walks the tags of a discovery payload.
///
/// Yields `Err` once for the first tag that does not fit and then stops
/// (the iterator is fused); End-Of-List is yielded and then ends the walk.
#[derive(Debug, Clone)]
pub struct TagIter<'a> {
    payload: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> TagIter<'a> {
    /// Iterates over `payload`, which must already be bounded by LENGTH.
    pub fn new(payload: &'a [u8]) -> Self {
        TagIter {
            payload,
            offset: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for TagIter<'a> {
    type Item = Result<Tag<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.payload.len() {
            return None;
        }
        let rest = &self.payload[self.offset..];
        let (header, body) = match rest.split_first_chunk::<TAG_HEADER_LEN>() {
            Some(split) => split,
            None => {
                self.done = true;
                return Some(Err(Error::TagOverrun {
                    offset: self.offset,
                }));
            }
        };
        let tag_type = TagType::from(u16::from_be_bytes([header[0], header[1]]));
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let Some(value) = body.get(..len) else {
            self.done = true;
            return Some(Err(Error::TagOverrun {
                offset: self.offset,
            }));
        };
        self.offset += TAG_HEADER_LEN + len;
        if tag_type == TagType::EndOfList {
            self.done = true;
        }
        Some(Ok(Tag { tag_type, value }))
    }
}

impl std::iter::FusedIterator for TagIter<'_> {}

/// Appends tags to a buffer, refusing (not truncating) what does not fit.
#[derive(Debug)]
pub struct TagWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> TagWriter<'b> {
    /// Writes into `buf` from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        TagWriter { buf, len: 0 }
    }

    /// Appends one tag, or fails leaving the buffer's written part unchanged.
    pub fn push(&mut self, tag: &Tag<'_>) -> Result<()> {
        let value_len = u16::try_from(tag.value.len()).map_err(|_| Error::TagTooLong)?;
        let end = self.len + tag.wire_len();
        let out = self
            .buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall)?;
        out[0..2].copy_from_slice(&u16::from(tag.tag_type).to_be_bytes());
        out[2..4].copy_from_slice(&value_len.to_be_bytes());
        out[4..].copy_from_slice(tag.value);
        self.len = end;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_stops_at_end_of_list() {
        let payload = [0x01, 0x02, 0, 1, b'x', 0, 0, 0, 0, 0x01, 0x01, 0, 0];
        let tags: Vec<_> = TagIter::new(&payload).collect::<Result<_>>().unwrap();
        assert_eq!(
            tags,
            vec![
                Tag::new(TagType::AcName, b"x"),
                Tag::new(TagType::EndOfList, b"")
            ]
        );
    }

    #[test]
    fn overrunning_tag_is_reported_once_then_fused() {
        let payload = [0x01, 0x02, 0, 9, b'x'];
        let mut walk = TagIter::new(&payload);
        assert_eq!(walk.next(), Some(Err(Error::TagOverrun { offset: 0 })));
        assert_eq!(walk.next(), None);
    }

    #[test]
    fn dangling_bytes_after_last_tag_are_an_error() {
        let payload = [0x01, 0x01, 0, 0, 0x01];
        let results: Vec<_> = TagIter::new(&payload).collect();
        assert_eq!(
            results,
            vec![
                Ok(Tag::new(TagType::ServiceName, b"")),
                Err(Error::TagOverrun { offset: 4 })
            ]
        );
    }

    #[test]
    fn writer_refuses_what_does_not_fit() {
        let mut buf = [0u8; 6];
        let mut writer = TagWriter::new(&mut buf);
        writer.push(&Tag::new(TagType::HostUniq, b"ab")).unwrap();
        assert_eq!(
            writer.push(&Tag::new(TagType::AcCookie, b"")),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(writer.len(), 6);
        assert_eq!(buf, [0x01, 0x03, 0, 2, b'a', b'b']);
    }

    #[test]
    fn display_escapes_text_and_hexes_opaque_values() {
        assert_eq!(
            Tag::new(TagType::AcName, b"BRAS\n").to_string(),
            "[AC-Name BRAS\\x0a]"
        );
        assert_eq!(
            Tag::new(TagType::HostUniq, &[0x2a, 0, 0, 0]).to_string(),
            "[Host-Uniq 2a000000]"
        );
        assert_eq!(
            Tag::new(TagType::PppMaxPayload, &[0x05, 0xdc]).to_string(),
            "[PPP-Max-Payload 1500]"
        );
        assert_eq!(
            Tag::new(TagType::Unknown(0x0abc), &[1, 2]).to_string(),
            "[tag 0x0abc 0102]"
        );
        assert_eq!(
            Tag::new(TagType::ServiceName, b"").to_string(),
            "[Service-Name]"
        );
    }
}

//! A whole discovery frame: Ethernet header + PPPoE header + tags.

use super::{
    Error, Result,
    ethernet::{self, ETHERTYPE_DISCOVERY, EthernetHeader, MacAddr},
    pppoe::{self, Code, PppoeHeader},
    tag::{Tag, TagIter, TagType, TagWriter},
};

/// Largest PPPoE payload on a 1500-byte Ethernet MTU (1500 − 6).
pub const MAX_PPPOE_PAYLOAD: usize = 1494;

/// RFC 2516 §5.1: a PADI must not exceed 1484 octets (header + payload), so
/// that a relay can still add a Relay-Session-Id tag.
pub const MAX_PADI_PACKET_LEN: usize = 1484;

/// Shortest Ethernet frame on the wire without FCS; shorter frames arrive
/// padded, which is why the payload is bounded by LENGTH.
pub const MIN_ETHERNET_FRAME_LEN: usize = 60;

/// A parsed (or to-be-emitted) discovery frame.
///
/// Tags are kept in wire order, unknown ones included, so emitting a parsed
/// frame gives back the same bytes (minus any Ethernet padding, and minus
/// anything after an End-Of-List tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryFrame<'a> {
    /// Destination MAC.
    pub dst: MacAddr,
    /// Source MAC.
    pub src: MacAddr,
    /// PPPoE CODE.
    pub code: Code,
    /// PPPoE SESSION_ID (0 before PADS).
    pub session_id: u16,
    /// Tags in wire order.
    pub tags: Vec<Tag<'a>>,
}

impl<'a> DiscoveryFrame<'a> {
    /// Parses a received Ethernet frame of ethertype 0x8863. Never panics.
    pub fn parse(frame: &'a [u8]) -> Result<Self> {
        let eth = EthernetHeader::new_checked(frame)?;
        if eth.ethertype() != ETHERTYPE_DISCOVERY {
            return Err(Error::NotDiscovery(eth.ethertype()));
        }
        let pppoe = PppoeHeader::new_checked(eth.payload())?;
        let tags = TagIter::new(pppoe.payload()).collect::<Result<Vec<_>>>()?;
        Ok(DiscoveryFrame {
            dst: eth.dst(),
            src: eth.src(),
            code: pppoe.code(),
            session_id: pppoe.session_id(),
            tags,
        })
    }

    /// First tag of the given type.
    pub fn tag(&self, tag_type: TagType) -> Option<&Tag<'a>> {
        self.tags.iter().find(|t| t.tag_type == tag_type)
    }

    /// Value of the first tag of the given type.
    pub fn tag_value(&self, tag_type: TagType) -> Option<&'a [u8]> {
        self.tag(tag_type).map(|t| t.value)
    }

    /// Values of every tag of the given type, in order.
    pub fn tag_values(&self, tag_type: TagType) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.tags
            .iter()
            .filter(move |t| t.tag_type == tag_type)
            .map(|t| t.value)
    }

    /// The first error tag, if any (Service-Name-Error, AC-System-Error,
    /// Generic-Error).
    pub fn error_tag(&self) -> Option<&Tag<'a>> {
        self.tags.iter().find(|t| t.tag_type.is_error())
    }

    /// PPPoE payload length (the LENGTH field).
    pub fn payload_len(&self) -> usize {
        self.tags.iter().map(Tag::wire_len).sum()
    }

    /// Bytes [`DiscoveryFrame::emit`] writes (no Ethernet padding).
    pub fn buffer_len(&self) -> usize {
        ethernet::HEADER_LEN + pppoe::HEADER_LEN + self.payload_len()
    }

    /// The size this frame may not exceed, counted as [`Self::buffer_len`].
    fn limit(&self) -> usize {
        let packet_limit = if self.code == Code::Padi {
            MAX_PADI_PACKET_LEN
        } else {
            pppoe::HEADER_LEN + MAX_PPPOE_PAYLOAD
        };
        ethernet::HEADER_LEN + packet_limit
    }

    /// Writes the frame into `buf`, returning the number of bytes written.
    ///
    /// Never panics: a frame over the protocol's size limit, a tag over
    /// 65535 bytes or a short buffer is an error and nothing useful is
    /// written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        if len > self.limit() {
            let header = ethernet::HEADER_LEN;
            return Err(Error::FrameTooLong {
                len: len - header,
                limit: self.limit() - header,
            });
        }
        let out = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        ethernet::emit_header(out, self.dst, self.src, ETHERTYPE_DISCOVERY);
        let payload_len = u16::try_from(self.payload_len()).map_err(|_| Error::TagTooLong)?;
        let (_, packet) = out.split_at_mut(ethernet::HEADER_LEN);
        pppoe::emit_header(packet, self.code, self.session_id, payload_len);
        let mut writer = TagWriter::new(&mut packet[pppoe::HEADER_LEN..]);
        for tag in &self.tags {
            writer.push(tag)?;
        }
        Ok(len)
    }

    /// [`Self::emit`] into a new vector of exactly [`Self::buffer_len`] bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.buffer_len()];
        self.emit(&mut out)?;
        Ok(out)
    }
}

/// One-line log form, like pppd's packet log:
/// `PADO session 0x0 from 02:..:01 to 02:..:02 [AC-Name BRAS] [Service-Name]`.
impl std::fmt::Display for DiscoveryFrame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} session 0x{:x} length {} from {} to {}",
            self.code,
            self.session_id,
            self.payload_len(),
            self.src,
            self.dst
        )?;
        for tag in &self.tags {
            write!(f, " {tag}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
    const HOST: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);

    fn pado_bytes() -> Vec<u8> {
        let frame = DiscoveryFrame {
            dst: HOST,
            src: AC,
            code: Code::Pado,
            session_id: 0,
            tags: vec![
                Tag::new(TagType::AcName, b"BRAS"),
                Tag::new(TagType::ServiceName, b""),
                Tag::new(TagType::Unknown(0x7777), &[9, 9]),
            ],
        };
        frame.to_bytes().unwrap()
    }

    #[test]
    fn unknown_tags_are_echoed_exactly() {
        let bytes = pado_bytes();
        let parsed = DiscoveryFrame::parse(&bytes).unwrap();
        assert_eq!(
            parsed.tag_value(TagType::Unknown(0x7777)),
            Some(&[9u8, 9][..])
        );
        assert_eq!(parsed.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        let mut bytes = pado_bytes();
        let unpadded = bytes.len();
        bytes.resize(unpadded + 20, 0);
        let parsed = DiscoveryFrame::parse(&bytes).unwrap();
        assert_eq!(parsed.tags.len(), 3);
        assert_eq!(parsed.buffer_len(), unpadded);
    }

    #[test]
    fn session_frames_are_not_discovery() {
        let mut bytes = pado_bytes();
        bytes[12..14].copy_from_slice(&0x8864u16.to_be_bytes());
        assert_eq!(
            DiscoveryFrame::parse(&bytes).unwrap_err(),
            Error::NotDiscovery(0x8864)
        );
    }

    #[test]
    fn padi_over_1484_octets_is_refused() {
        let host_uniq = vec![0u8; MAX_PADI_PACKET_LEN - pppoe::HEADER_LEN - 4 + 1];
        let padi = DiscoveryFrame {
            dst: MacAddr::BROADCAST,
            src: HOST,
            code: Code::Padi,
            session_id: 0,
            tags: vec![Tag::new(TagType::HostUniq, &host_uniq)],
        };
        assert_eq!(
            padi.to_bytes().unwrap_err(),
            Error::FrameTooLong {
                len: 1485,
                limit: 1484
            }
        );
        // The same tags are fine in a PADR, whose limit is the 1494-byte payload.
        let padr = DiscoveryFrame {
            code: Code::Padr,
            dst: AC,
            ..padi
        };
        assert!(padr.to_bytes().is_ok());
    }

    #[test]
    fn display_is_one_readable_line() {
        let bytes = pado_bytes();
        let parsed = DiscoveryFrame::parse(&bytes).unwrap();
        assert_eq!(
            parsed.to_string(),
            "PADO session 0x0 length 18 from 02:00:00:00:00:01 to 02:00:00:00:00:02 \
             [AC-Name BRAS] [Service-Name] [tag 0x7777 0909]"
        );
    }
}

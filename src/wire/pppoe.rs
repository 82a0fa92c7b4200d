//! PPPoE header view (RFC 2516 §4): VER/TYPE, CODE, SESSION_ID, LENGTH.

use super::{Error, Result};

mod field {
    pub const VER_TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const SESSION_ID: usize = 2;
    pub const LENGTH: usize = 4;
    pub const PAYLOAD: usize = 6;
}

/// Length of the PPPoE header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// The only VER/TYPE RFC 2516 defines: version 1, type 1.
pub const VER_TYPE_1_1: u8 = 0x11;

macro_rules! enum_with_unknown {
    (
        $(#[$meta:meta])* pub enum $name:ident($repr:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this implementation does not know, kept as is.
            Unknown($repr),
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}
pub(crate) use enum_with_unknown;

enum_with_unknown! {
    /// The CODE field: which discovery message this is.
    pub enum Code(u8) {
        /// Session data (only on ethertype 0x8864).
        Session = 0x00,
        /// Active Discovery Offer.
        Pado = 0x07,
        /// Active Discovery Initiation.
        Padi = 0x09,
        /// Active Discovery Request.
        Padr = 0x19,
        /// Active Discovery Session-confirmation.
        Pads = 0x65,
        /// Active Discovery Terminate.
        Padt = 0xa7,
        /// Active Discovery Message (RFC 4937), logged only.
        Padm = 0xd3,
        /// Active Discovery Network (RFC 4937), logged only.
        Padn = 0xd4,
    }
}

impl Code {
    /// The name used in RFC 2516 and in pppd's logs.
    pub fn name(self) -> &'static str {
        match self {
            Code::Session => "SESSION",
            Code::Pado => "PADO",
            Code::Padi => "PADI",
            Code::Padr => "PADR",
            Code::Pads => "PADS",
            Code::Padt => "PADT",
            Code::Padm => "PADM",
            Code::Padn => "PADN",
            Code::Unknown(_) => "unknown",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Code::Unknown(c) => write!(f, "code 0x{c:02x}"),
            known => f.write_str(known.name()),
        }
    }
}

/// Checked view of a PPPoE packet (header + payload).
///
/// Once [`PppoeHeader::new_checked`] has returned `Ok`, no accessor panics,
/// and [`PppoeHeader::payload`] is exactly LENGTH bytes long.
#[derive(Debug, Clone, Copy)]
pub struct PppoeHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> PppoeHeader<'a> {
    /// Validates VER/TYPE and that LENGTH fits in `bytes`; bytes beyond LENGTH
    /// (Ethernet padding) are not part of the payload.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let view = PppoeHeader { bytes };
        if view.ver_type() != VER_TYPE_1_1 {
            return Err(Error::BadVersionType(view.ver_type()));
        }
        let available = bytes.len() - HEADER_LEN;
        if usize::from(view.length()) > available {
            return Err(Error::LengthExceedsFrame {
                length: view.length(),
                available,
            });
        }
        Ok(view)
    }

    /// The VER/TYPE byte (0x11 once checked).
    pub fn ver_type(&self) -> u8 {
        self.bytes[field::VER_TYPE]
    }

    /// The CODE field.
    pub fn code(&self) -> Code {
        Code::from(self.bytes[field::CODE])
    }

    /// The SESSION_ID field.
    pub fn session_id(&self) -> u16 {
        u16::from_be_bytes([
            self.bytes[field::SESSION_ID],
            self.bytes[field::SESSION_ID + 1],
        ])
    }

    /// The LENGTH field: payload bytes.
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.bytes[field::LENGTH], self.bytes[field::LENGTH + 1]])
    }

    /// The payload, bounded by LENGTH.
    pub fn payload(&self) -> &'a [u8] {
        let end = HEADER_LEN + usize::from(self.length());
        self.bytes.get(HEADER_LEN..end).unwrap_or(&[])
    }
}

/// Writes a PPPoE header into the first [`HEADER_LEN`] bytes of `buf`.
/// The caller guarantees the length.
pub(crate) fn emit_header(buf: &mut [u8], code: Code, session_id: u16, length: u16) {
    buf[field::VER_TYPE] = VER_TYPE_1_1;
    buf[field::CODE] = code.into();
    buf[field::SESSION_ID..field::SESSION_ID + 2].copy_from_slice(&session_id.to_be_bytes());
    buf[field::LENGTH..field::LENGTH + 2].copy_from_slice(&length.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_ends_at_length_field_not_at_padding() {
        // A PADT for session 0x1234 with no tags, padded by Ethernet.
        let mut bytes = vec![0x11, 0xa7, 0x12, 0x34, 0x00, 0x00];
        bytes.extend_from_slice(&[0xee; 40]);
        let view = PppoeHeader::new_checked(&bytes).unwrap();
        assert_eq!(view.code(), Code::Padt);
        assert_eq!(view.session_id(), 0x1234);
        assert!(view.payload().is_empty());
    }

    #[test]
    fn length_beyond_frame_is_rejected() {
        let bytes = [0x11, 0x07, 0, 0, 0x00, 0x05, 1, 2, 3];
        assert_eq!(
            PppoeHeader::new_checked(&bytes).unwrap_err(),
            Error::LengthExceedsFrame {
                length: 5,
                available: 3
            }
        );
    }

    #[test]
    fn wrong_version_is_rejected() {
        let bytes = [0x21, 0x07, 0, 0, 0, 0];
        assert_eq!(
            PppoeHeader::new_checked(&bytes).unwrap_err(),
            Error::BadVersionType(0x21)
        );
    }

    #[test]
    fn unknown_codes_round_trip() {
        assert_eq!(Code::from(0x42), Code::Unknown(0x42));
        assert_eq!(u8::from(Code::Unknown(0x42)), 0x42);
        assert_eq!(u8::from(Code::Pads), 0x65);
    }
}

//! A discovery-frame flood: every kind of frame a busy or hostile segment
//! carries, sent as fast as the kernel takes them (or at a set rate) with
//! `sendmmsg` batches on a socket that bypasses the queueing discipline.

use std::io;
use std::time::{Duration, Instant};

use rs_pppoe::wire::{Code, MacAddr, TagType};

use crate::frames::{discovery, tag, tagged, with_length};
use crate::sys::{MAX_BATCH, RawSocket};

/// Which frames of the flood are addressed to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Every kind below, half of them addressed to the target.
    All,
    /// Only frames the target's kernel filter drops (broadcast PADIs,
    /// frames to other MACs, tagged frames).
    Foreign,
    /// Only frames addressed to the target (they reach its socket).
    ToTarget,
}

impl Mix {
    pub fn from_name(name: &str) -> Option<Mix> {
        match name {
            "all" => Some(Mix::All),
            "foreign" => Some(Mix::Foreign),
            "to-target" => Some(Mix::ToTarget),
            _ => None,
        }
    }
}

/// A foreign host's MAC, varied per frame so nothing can key on one source.
fn foreign(n: usize) -> MacAddr {
    MacAddr([0x02, 0xf1, 0x00, 0x00, (n >> 8) as u8, n as u8])
}

/// The frames of one round of the flood, and how many of them reach the
/// target's discovery socket (untagged, addressed to it).
pub fn frames(target: MacAddr, mix: Mix) -> (Vec<Vec<u8>>, usize) {
    let mut to_us = Vec::new();
    let mut others = Vec::new();
    for n in 0..16usize {
        let src = foreign(n);
        let wrong_hu = (n as u32).to_be_bytes();
        let hu = tag(TagType::HostUniq, &wrong_hu);
        let sn = tag(TagType::ServiceName, b"");
        let name = tag(TagType::AcName, b"flood-ac");
        // Addressed to the target: offers with a wrong Host-Uniq, PADS and
        // PADT for sessions it does not have, a frame with a bogus length.
        to_us.push(discovery(Code::Pado, src, target, 0, &[sn, name, hu]));
        to_us.push(discovery(
            Code::Pads,
            src,
            target,
            0x4000 + n as u16,
            &[sn, hu],
        ));
        to_us.push(discovery(Code::Padt, src, target, 0x4000 + n as u16, &[hu]));
        to_us.push(with_length(
            discovery(Code::Pado, src, target, 0, &[sn, name, hu]),
            1400,
        ));
        // Not for the target: other clients' PADIs, offers to other hosts,
        // an offer to the target tagged for a VLAN it has no device for,
        // a multicast offer.
        others.push(discovery(Code::Padi, src, MacAddr::BROADCAST, 0, &[sn, hu]));
        others.push(discovery(
            Code::Pado,
            src,
            foreign(n + 256),
            0,
            &[sn, name, hu],
        ));
        others.push(tagged(
            &discovery(Code::Pado, src, target, 0, &[sn, name, hu]),
            7,
        ));
        others.push(discovery(
            Code::Pado,
            src,
            MacAddr([0x01, 0x80, 0xc2, 0, 0, n as u8]),
            0,
            &[sn, name, hu],
        ));
    }
    let frames: Vec<Vec<u8>> = match mix {
        Mix::All => to_us
            .iter()
            .zip(&others)
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect(),
        Mix::Foreign => others,
        Mix::ToTarget => to_us,
    };
    // Tagged frames to the target never reach its (untagged) socket.
    let addressed = frames
        .iter()
        .filter(|f| f[..6] == target.0 && f[12..14] != [0x81, 0x00])
        .count();
    (frames, addressed)
}

/// What a flood did.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub sent: u64,
    pub elapsed: Duration,
}

impl Report {
    /// Several senders' reports as one: every frame over the longest time.
    pub fn total(reports: &[Report]) -> Report {
        Report {
            sent: reports.iter().map(|r| r.sent).sum(),
            elapsed: reports.iter().map(|r| r.elapsed).max().unwrap_or_default(),
        }
    }

    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Sends `frames` round and round for `duration`, or until `stop` says so;
/// at most `rate` frames per second when given.
pub fn run(
    socket: &RawSocket,
    frames: &[Vec<u8>],
    duration: Duration,
    rate: Option<u64>,
    stop: impl Fn() -> bool,
) -> io::Result<Report> {
    let batch: Vec<&[u8]> = frames
        .iter()
        .cycle()
        .take(MAX_BATCH.min(frames.len() * 16).max(1))
        .map(Vec::as_slice)
        .collect();
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut offset = 0;
    while start.elapsed() < duration && !stop() {
        if let Some(rate) = rate {
            // Pace by batches: wait until this frame number is due.
            let due = Duration::from_secs_f64(sent as f64 / rate.max(1) as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait.min(Duration::from_millis(50)));
                continue;
            }
        }
        let took = socket.send_batch(&batch[offset..])?;
        sent += took as u64;
        offset = (offset + took) % batch.len();
        if took == 0 {
            // The device queue was full; give the receiver a moment.
            std::thread::yield_now();
        }
    }
    Ok(Report {
        sent,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rs_pppoe::wire::DiscoveryFrame;

    const TARGET: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x0c]);

    #[test]
    fn the_mixes_split_by_destination() {
        let (all, to_us) = frames(TARGET, Mix::All);
        assert_eq!(to_us * 2, all.len());
        let (foreign, none) = frames(TARGET, Mix::Foreign);
        assert_eq!(none, 0);
        assert!(
            foreign
                .iter()
                .all(|f| DiscoveryFrame::parse(f).is_ok_and(|p| p.dst != TARGET)
                    || f[12..14] == [0x81, 0x00])
        );
        let (targeted, every) = frames(TARGET, Mix::ToTarget);
        assert_eq!(every, targeted.len());
    }
}

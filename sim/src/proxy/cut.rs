//! Where to cut the server's byte stream so that the client gets part of a WebSocket frame.
//!
//! The cutter follows the frames the server sends: it skips the HTTP response head (up to the
//! blank line), then reads each frame header for the payload length. Once armed, it picks the
//! next frame that begins and cuts it: the header and half the payload go through (for an
//! empty frame, all of the header but its last byte), then the connection is closed. When the
//! stream is not plain HTTP (TLS, say) frames cannot be seen, so it cuts the next chunk in half.

use std::sync::atomic::{AtomicBool, Ordering};

/// Follows one server-to-client stream.
#[derive(Debug)]
pub(crate) struct Cutter {
    phase: Phase,
    /// Whether frames can be seen (plain HTTP / WebSocket) or only chunks.
    frames: bool,
    /// The frame being cut: how many more of its bytes go through before the cut.
    cutting: Cutting,
}

#[derive(Debug, PartialEq)]
enum Cutting {
    No,
    /// The header is still being read.
    InHeader,
    /// This many more payload bytes go through.
    InPayload(u64),
}

#[derive(Debug)]
enum Phase {
    /// In the HTTP response head: how much of the blank line (`\r\n\r\n`) has been seen.
    Head(u8),
    /// In a frame header: its bytes so far.
    Header { bytes: [u8; 14], len: usize },
    /// In a frame payload: the bytes left.
    Payload(u64),
}

/// The length of a frame header, once its first two bytes are known.
fn header_len(bytes: &[u8]) -> Option<usize> {
    let b = *bytes.get(1)?;
    let ext = match b & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    Some(2 + ext + if b & 0x80 != 0 { 4 } else { 0 })
}

/// The payload length of a complete frame header.
fn payload_len(h: &[u8]) -> u64 {
    match h[1] & 0x7f {
        126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
        127 => u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
        n => u64::from(n),
    }
}

const NEW_HEADER: Phase = Phase::Header { bytes: [0; 14], len: 0 };

impl Cutter {
    /// A cutter for a stream whose client spoke plain HTTP (`frames`), or something else.
    pub(crate) fn new(frames: bool) -> Cutter {
        Cutter { phase: Phase::Head(0), frames, cutting: Cutting::No }
    }

    /// Follows the next chunk of the stream. When `armed` is set, the next frame to begin is
    /// cut (and `armed` cleared): the answer is how many bytes of `chunk` go through before the
    /// connection is closed. `None`: all of it goes through.
    pub(crate) fn feed(&mut self, chunk: &[u8], armed: &AtomicBool) -> Option<usize> {
        if !self.frames {
            return armed.swap(false, Ordering::SeqCst).then_some(chunk.len() / 2);
        }
        let mut i = 0;
        while i < chunk.len() {
            match &mut self.phase {
                Phase::Head(seen) => {
                    *seen = match (*seen, chunk[i]) {
                        (0 | 2, b'\r') => *seen + 1,
                        (1, b'\n') => 2,
                        (3, b'\n') => 4,
                        (_, b'\r') => 1,
                        _ => 0,
                    };
                    i += 1;
                    if *seen == 4 {
                        self.phase = NEW_HEADER;
                    }
                }
                Phase::Header { bytes, len } => {
                    if *len == 0 && self.cutting == Cutting::No && armed.swap(false, Ordering::SeqCst) {
                        self.cutting = Cutting::InHeader;
                    }
                    bytes[*len] = chunk[i];
                    *len += 1;
                    i += 1;
                    if header_len(&bytes[..*len]) != Some(*len) {
                        continue;
                    }
                    let payload = payload_len(&bytes[..*len]);
                    if self.cutting == Cutting::InHeader {
                        if payload == 0 {
                            // Keep back the header's last byte (it is in this chunk).
                            return Some(i - 1);
                        }
                        if payload / 2 == 0 {
                            return Some(i);
                        }
                        self.cutting = Cutting::InPayload(payload / 2);
                    }
                    self.phase = if payload == 0 { NEW_HEADER } else { Phase::Payload(payload) };
                }
                Phase::Payload(left) => {
                    let take = (*left).min((chunk.len() - i) as u64);
                    if let Cutting::InPayload(keep) = &mut self.cutting {
                        if *keep <= take {
                            return Some(i + *keep as usize);
                        }
                        *keep -= take;
                    }
                    *left -= take;
                    i += take as usize;
                    if *left == 0 {
                        self.phase = NEW_HEADER;
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x81];
        match payload.len() {
            n if n < 126 => f.push(n as u8),
            n if n <= 0xffff => {
                f.push(126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(payload);
        f
    }

    /// Feeds `stream` in chunks of `size`, arming after `arm_after` bytes; the total forwarded.
    fn forwarded(stream: &[u8], size: usize, arm_after: usize) -> Option<usize> {
        let mut c = Cutter::new(true);
        let armed = AtomicBool::new(false);
        let mut sent = 0;
        for chunk in stream.chunks(size) {
            if sent >= arm_after {
                armed.store(true, Ordering::SeqCst);
            }
            if let Some(n) = c.feed(chunk, &armed) {
                return Some(sent + n);
            }
            sent += chunk.len();
        }
        None
    }

    #[test]
    fn the_cut_falls_inside_the_next_frame_whatever_the_chunking() {
        let first = frame(&[b'a'; 40]);
        let second = frame(&[b'b'; 300]);
        let third = frame(&[b'c'; 70_000]);
        let stream = [HEAD, &first, &second, &third].concat();
        let second_at = HEAD.len() + first.len();
        let third_at = second_at + second.len();
        for size in [1, 3, 7, 64, 1000, stream.len()] {
            // Armed from the start: the first frame is cut halfway into its payload.
            let cut = forwarded(&stream, size, 0).unwrap();
            assert_eq!(cut, HEAD.len() + 2 + 20, "chunks of {size}");
            // Armed once the second frame has begun: the third is cut.
            if size < second.len() {
                let cut = forwarded(&stream, size, second_at + 1).unwrap();
                assert!(cut > third_at && cut < stream.len(), "chunks of {size}: {cut}");
                assert_eq!(cut, third_at + 10 + 35_000);
            }
        }
    }

    #[test]
    fn an_empty_frame_loses_the_last_byte_of_its_header() {
        let stream = [HEAD, &frame(b"")].concat();
        assert_eq!(forwarded(&stream, 4, 0), Some(HEAD.len() + 1));
    }

    #[test]
    fn not_armed_means_no_cut_and_without_frames_the_chunk_is_halved() {
        let stream = [HEAD, &frame(b"hello")].concat();
        let mut c = Cutter::new(true);
        assert_eq!(c.feed(&stream, &AtomicBool::new(false)), None);
        let mut c = Cutter::new(false);
        assert_eq!(c.feed(b"0123456789", &AtomicBool::new(false)), None);
        assert_eq!(c.feed(b"0123456789", &AtomicBool::new(true)), Some(5));
    }
}

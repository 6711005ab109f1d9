//! [`Boundaries`]: where the WebSocket frames of a byte stream begin and end, followed as the
//! bytes go by (RFC 6455 5.2), so that the driver can tell when the codec it hands them to holds
//! no part of a frame or of a fragmented message.

/// Follows the frames of the bytes handed to the WebSocket codec.
#[derive(Debug, Default)]
pub(crate) struct Boundaries {
    /// The header being gathered: `have` bytes of it so far.
    header: [u8; 14],
    have: usize,
    /// Payload bytes of the current frame still to come.
    remaining: u64,
    /// A data message was begun (a frame without FIN) and not finished.
    fragmented: bool,
    /// The largest frame payload seen since [`Boundaries::take_largest`].
    largest: u64,
}

impl Boundaries {
    /// Follows `data`, the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let n = (data.len() as u64).min(self.remaining);
                self.remaining -= n;
                data = &data[n as usize..];
                continue;
            }
            let need = self.header_len();
            let n = (need - self.have).min(data.len());
            self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            // The length of the header is known once its first two bytes are.
            if self.have == self.header_len() {
                self.frame_header_done();
            }
        }
    }

    /// The length of the header being gathered, as far as it is known.
    fn header_len(&self) -> usize {
        if self.have < 2 {
            return 2;
        }
        let b1 = self.header[1];
        let extended = match b1 & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if b1 & 0x80 != 0 { 4 } else { 0 };
        2 + extended + mask
    }

    fn frame_header_done(&mut self) {
        let (b0, b1) = (self.header[0], self.header[1]);
        let len = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => u64::from_be_bytes(self.header[2..10].try_into().unwrap_or_default()),
            n => u64::from(n),
        };
        let (fin, opcode) = (b0 & 0x80 != 0, b0 & 0x0f);
        if opcode < 8 {
            // A data frame (text, binary or continuation): a message is open until its FIN.
            self.fragmented = !fin;
        }
        self.largest = self.largest.max(len);
        self.remaining = len;
        self.have = 0;
    }

    /// True between frames, outside any fragmented message: the codec, having read every
    /// frame it was given, holds nothing.
    pub(crate) fn at_rest(&self) -> bool {
        self.have == 0 && self.remaining == 0 && !self.fragmented
    }

    /// The largest frame payload seen since the last call.
    pub(crate) fn take_largest(&mut self) -> u64 {
        std::mem::take(&mut self.largest)
    }

    /// The largest frame payload seen since [`Boundaries::take_largest`].
    pub(crate) fn largest(&self) -> u64 {
        self.largest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server frame (unmasked) with `payload_len` bytes of payload.
    fn frame(fin: bool, opcode: u8, payload_len: usize) -> Vec<u8> {
        let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
        match payload_len {
            0..=125 => f.push(payload_len as u8),
            126..=65535 => {
                f.push(126);
                f.extend_from_slice(&(payload_len as u16).to_be_bytes());
            }
            _ => {
                f.push(127);
                f.extend_from_slice(&(payload_len as u64).to_be_bytes());
            }
        }
        f.extend(std::iter::repeat_n(b'x', payload_len));
        f
    }

    #[test]
    fn follows_frames_whatever_the_pieces_they_come_in() {
        let stream: Vec<u8> = [
            frame(true, 1, 5),
            frame(true, 9, 0),
            frame(false, 1, 200),
            frame(true, 10, 3),
            frame(false, 0, 70_000),
            frame(true, 0, 1),
            frame(true, 2, 126),
        ]
        .concat();
        // Where each frame ends, and whether a message is open there.
        let ends = [7usize, 9, 213, 218, 218 + 70_010, 218 + 70_010 + 3, 218 + 70_010 + 3 + 130];
        assert_eq!(*ends.last().unwrap(), stream.len());
        let open_after = [false, false, true, true, true, false, false];
        for piece in [1, 2, 3, 7, 64, 1000, stream.len()] {
            let mut b = Boundaries::default();
            let mut at = 0;
            while at < stream.len() {
                let end = (at + piece).min(stream.len());
                b.feed(&stream[at..end]);
                at = end;
                match ends.iter().position(|&e| e == at) {
                    Some(i) => assert_eq!(b.at_rest(), !open_after[i], "piece {piece}, at {at}"),
                    None => assert!(!b.at_rest(), "piece {piece}: mid-frame at {at}"),
                }
            }
            assert!(b.at_rest());
            assert_eq!(b.take_largest(), 70_000);
            assert_eq!(b.largest(), 0);
        }
    }

    #[test]
    fn a_masked_header_is_read_whole() {
        let mut b = Boundaries::default();
        b.feed(&[0x81, 0x80 | 126, 0x01, 0x00, 1, 2, 3]);
        assert!(!b.at_rest());
        b.feed(&[4]);
        assert_eq!(b.remaining, 256);
        b.feed(&[0; 256]);
        assert!(b.at_rest());
        assert_eq!(b.largest(), 256);
    }
}

//! The host link's framed protocol, defined once: the bridge's RTL
//! ([`super::host_bridge`]), the host tool and the docs read these definitions.
//!
//! Every frame starts with a sync byte and ends with a checksum: the two's complement of the
//! 8-bit sum of every byte after the sync, so those bytes and the checksum sum to 0 mod 256.
//! Words are 32-bit little-endian; addresses are byte addresses.
//!
//! ```text
//! request:  A5 | cmd | addr (4) | count | data (4 x words, writes only) | checksum
//! response: 5A | status | data (4 x words, successful reads only) | checksum
//! ```
//!
//! `count` is the number of words minus one for memory bursts (1 to [`MAX_BURST_WORDS`]
//! words) and 0 otherwise. A register write carries one data word. The bridge checks the
//! whole frame before it acts: a frame with a wrong checksum, an unknown command, a memory
//! range outside the device memory (or not word-aligned), or a gap of more than
//! [`timeout_cycles`] between two of its bytes (truncated) is answered with its error status
//! and changes nothing.

/// First byte of a request.
pub const REQUEST_SYNC: u8 = 0xA5;
/// First byte of a response.
pub const RESPONSE_SYNC: u8 = 0x5A;
/// Most words one memory burst moves.
pub const MAX_BURST_WORDS: u32 = 64;
/// Bytes of a request before its data: cmd, addr, count.
pub const HEADER_BYTES: usize = 6;

/// What a request asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Write one word to the chip's AXI4-Lite registers at `addr`.
    RegWrite = 1,
    /// Read one word of the chip's registers.
    RegRead = 2,
    /// Write `count + 1` words to the device memory from `addr`.
    MemWrite = 3,
    /// Read `count + 1` words of the device memory from `addr`.
    MemRead = 4,
    /// Two words: the device memory's size in bytes and the chip's clock in Hz.
    Info = 5,
}

impl Command {
    pub const ALL: [Command; 5] = [
        Command::RegWrite,
        Command::RegRead,
        Command::MemWrite,
        Command::MemRead,
        Command::Info,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// Data words the request carries for `words` words.
    pub fn request_words(self, words: u32) -> u32 {
        match self {
            Command::RegWrite => 1,
            Command::MemWrite => words,
            _ => 0,
        }
    }

    /// Data words a successful response carries.
    pub fn response_words(self, words: u32) -> u32 {
        match self {
            Command::RegRead => 1,
            Command::MemRead => words,
            Command::Info => 2,
            _ => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Command::RegWrite => "REG_WRITE",
            Command::RegRead => "REG_READ",
            Command::MemWrite => "MEM_WRITE",
            Command::MemRead => "MEM_READ",
            Command::Info => "INFO",
        }
    }
}

/// A response's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ok = 0,
    /// The checksum did not match: nothing was done.
    BadChecksum = 1,
    /// The command byte is not a command: the rest of the frame was skipped.
    UnknownCommand = 2,
    /// The frame stopped part way (a gap longer than the timeout): nothing was done.
    Truncated = 3,
    /// A memory range outside the device memory, not word-aligned, or longer than a burst.
    OutOfRange = 4,
    /// The chip's register port answered SLVERR or DECERR.
    BusError = 5,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::BadChecksum,
        Status::UnknownCommand,
        Status::Truncated,
        Status::OutOfRange,
        Status::BusError,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::BadChecksum => "bad checksum (nothing done)",
            Status::UnknownCommand => "unknown command (frame skipped)",
            Status::Truncated => "truncated frame (nothing done)",
            Status::OutOfRange => {
                "address outside the device memory or the register map, unaligned, or burst too long"
            }
            Status::BusError => "the chip's register port answered an error",
        }
    }
}

/// Checksum of `bytes` (everything after the sync byte).
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |s, b| s.wrapping_add(*b))
        .wrapping_neg()
}

/// Bit periods of silence inside a frame after which the bridge calls it truncated: 40 bit
/// times (4 bytes), generous for any host.
pub fn timeout_cycles(clock_hz: u64, baud: u64) -> u64 {
    40 * clock_hz.div_ceil(baud)
}

/// A request frame. `words` is the number of words for memory commands (1..=MAX_BURST_WORDS);
/// `data` the words a write carries.
pub fn request(cmd: Command, addr: u32, words: u32, data: &[u32]) -> Vec<u8> {
    let count = match cmd {
        Command::MemWrite | Command::MemRead => words.saturating_sub(1) as u8,
        _ => 0,
    };
    let mut body = vec![cmd.code()];
    body.extend_from_slice(&addr.to_le_bytes());
    body.push(count);
    for w in data {
        body.extend_from_slice(&w.to_le_bytes());
    }
    let mut frame = vec![REQUEST_SYNC];
    frame.extend_from_slice(&body);
    frame.push(checksum(&body));
    frame
}

/// A decoded response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: Status,
    pub data: Vec<u32>,
}

/// A response the host cannot accept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("expected the response sync byte 0x5a, got {0:#04x}")]
    Sync(u8),
    #[error("unknown status code {0}")]
    Status(u8),
    #[error("the response's checksum is wrong ({got:#04x}, expected {want:#04x})")]
    Checksum { got: u8, want: u8 },
    #[error("the response has {have} bytes; {want} expected")]
    Length { have: usize, want: usize },
}

/// Bytes of the response to a request, by its status: data only when Ok.
pub fn response_len(status: Status, data_words: u32) -> usize {
    3 + if status == Status::Ok {
        4 * data_words as usize
    } else {
        0
    }
}

/// Decode a whole response of `data_words` words (when Ok).
pub fn decode_response(bytes: &[u8], data_words: u32) -> Result<Response, ProtocolError> {
    if bytes.len() < 3 {
        return Err(ProtocolError::Length {
            have: bytes.len(),
            want: 3,
        });
    }
    if bytes[0] != RESPONSE_SYNC {
        return Err(ProtocolError::Sync(bytes[0]));
    }
    let status = Status::from_code(bytes[1]).ok_or(ProtocolError::Status(bytes[1]))?;
    let want = response_len(status, data_words);
    if bytes.len() != want {
        return Err(ProtocolError::Length {
            have: bytes.len(),
            want,
        });
    }
    let body = &bytes[1..want - 1];
    let got = bytes[want - 1];
    if checksum(body) != got {
        return Err(ProtocolError::Checksum {
            got,
            want: checksum(body),
        });
    }
    let data = crate::hw::le_words(&body[1..]);
    Ok(Response { status, data })
}

/// The protocol as a Markdown table (docs/fpga.md).
pub fn markdown() -> String {
    let mut s =
        String::from("| code | command | request data | response data |\n|---|---|---|---|\n");
    for c in Command::ALL {
        let (req, resp) = match c {
            Command::RegWrite => ("1 word", "-"),
            Command::RegRead => ("-", "1 word"),
            Command::MemWrite => ("count + 1 words", "-"),
            Command::MemRead => ("-", "count + 1 words"),
            Command::Info => ("-", "memory bytes, clock Hz"),
        };
        s.push_str(&format!(
            "| {} | {} | {req} | {resp} |\n",
            c.code(),
            c.name()
        ));
    }
    s.push_str("\n| status | meaning |\n|---|---|\n");
    for st in Status::ALL {
        s.push_str(&format!("| {} | {} |\n", st.code(), st.describe()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_sum_to_zero_and_round_trip() {
        let f = request(Command::MemWrite, 0x100, 2, &[0x1122_3344, 0xdead_beef]);
        assert_eq!(f[0], REQUEST_SYNC);
        assert_eq!(f.len(), 1 + HEADER_BYTES + 8 + 1);
        assert_eq!(f[1..].iter().fold(0u8, |s, b| s.wrapping_add(*b)), 0);
        let mut r = vec![RESPONSE_SYNC, 0, 0x44, 0x33, 0x22, 0x11];
        r.push(checksum(&r[1..]));
        assert_eq!(
            decode_response(&r, 1).unwrap(),
            Response {
                status: Status::Ok,
                data: vec![0x1122_3344]
            }
        );
        r[2] ^= 1;
        assert!(matches!(
            decode_response(&r, 1),
            Err(ProtocolError::Checksum { .. })
        ));
        let e = [RESPONSE_SYNC, 1, checksum(&[1])];
        assert_eq!(decode_response(&e, 5).unwrap().status, Status::BadChecksum);
    }
}

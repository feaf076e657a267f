//! Reading frames off a socket: bytes accumulate in a buffer and frames are cut from its
//! front. The buffer grows only to the frame being read, which the frame limit bounds.

use bytes::BytesMut;
use futures::io::{AsyncRead, AsyncReadExt};

use crate::limits;

use super::frame::{self, Frame, FrameError};

/// Why no next frame could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("the peer closed the connection in the middle of a frame")]
    Truncated,
}

pub(super) struct FrameReader<R> {
    reader: R,
    buf: BytesMut,
    max_frame_bytes: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(reader: R, max_frame_bytes: usize) -> FrameReader<R> {
        FrameReader { reader, buf: BytesMut::with_capacity(limits::MESSAGING_READ_CHUNK_BYTES), max_frame_bytes }
    }

    /// Frames after the handshake may be as large as the connection class allows.
    pub fn set_max_frame_bytes(&mut self, max_frame_bytes: usize) {
        self.max_frame_bytes = max_frame_bytes;
    }

    /// The next frame; `Ok(None)` when the peer closed the connection between frames.
    pub async fn next(&mut self) -> Result<Option<Frame>, ReadError> {
        loop {
            if let Some(frame) = frame::decode(&mut self.buf, self.max_frame_bytes)? {
                return Ok(Some(frame));
            }
            let missing = frame::missing_bytes(&self.buf).unwrap_or(0);
            let filled = self.buf.len();
            let want = limits::MESSAGING_READ_CHUNK_BYTES.max(missing);
            self.buf.resize(filled + want, 0);
            let read = self.reader.read(&mut self.buf[filled..]).await;
            match read {
                Ok(0) => {
                    self.buf.truncate(filled);
                    return if filled == 0 { Ok(None) } else { Err(ReadError::Truncated) };
                }
                Ok(n) => self.buf.truncate(filled + n),
                Err(error) => {
                    self.buf.truncate(filled);
                    return Err(error.into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::frame::{FrameHeader, FrameKind};

    fn header(id: u64) -> FrameHeader {
        FrameHeader { kind: FrameKind::Request, verb: 1, request_id: id, timeout_ms: 0 }
    }

    fn read_all(bytes: Vec<u8>, max: usize) -> (Vec<u64>, Option<ReadError>) {
        let mut reader = FrameReader::new(futures::io::Cursor::new(bytes), max);
        let mut ids = Vec::new();
        futures::executor::block_on(async {
            loop {
                match reader.next().await {
                    Ok(Some(frame)) => ids.push(frame.header.request_id),
                    Ok(None) => return (ids, None),
                    Err(error) => return (ids, Some(error)),
                }
            }
        })
    }

    #[test]
    fn frames_larger_than_a_read_chunk_are_reassembled() {
        let mut bytes = Vec::new();
        for id in 0..3 {
            let body = vec![id as u8; limits::MESSAGING_READ_CHUNK_BYTES * 2 + 17];
            bytes.extend(frame::encode(header(id), &body, usize::MAX).unwrap());
        }
        let (ids, error) = read_all(bytes, 1 << 20);
        assert_eq!(ids, [0, 1, 2]);
        assert!(error.is_none());
    }

    #[test]
    fn a_stream_ending_mid_frame_is_truncated_and_a_bad_frame_is_an_error() {
        let mut bytes = frame::encode(header(1), &"x", 1024).unwrap();
        let second = frame::encode(header(2), &"y", 1024).unwrap();
        bytes.extend_from_slice(&second[..10]);
        let (ids, error) = read_all(bytes.clone(), 1024);
        assert_eq!(ids, [1]);
        assert!(matches!(error, Some(ReadError::Truncated)));

        let last = bytes.len() - 11;
        bytes[last] ^= 1; // the first frame's last byte
        let (ids, error) = read_all(bytes, 1024);
        assert!(ids.is_empty());
        assert!(matches!(error, Some(ReadError::Frame(FrameError::Checksum { .. }))));
    }
}

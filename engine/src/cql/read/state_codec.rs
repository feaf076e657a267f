//! The byte layout shared by the paging states handed to clients (`paging`,
//! `grouping_state`): big-endian integers and optional byte strings, written here and read
//! back by a [`StateReader`] that checks every length (the bytes come back from clients).

use bytes::{BufMut, Bytes};

/// Bytes of one value accepted back from a client inside a paging state.
const STATE_VALUE_BYTES_MAX: usize = 1 << 20;

/// Appends an optional byte string: a presence byte, then a `u32` length and the bytes.
pub fn put_opt_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            out.put_u8(1);
            out.put_u32(b.len() as u32);
            out.put_slice(b);
        }
        None => out.put_u8(0),
    }
}

/// Reads what the `put_*` functions wrote; every method returns `None` on malformed input.
pub struct StateReader<'a> {
    bytes: &'a Bytes,
    at: usize,
}

impl<'a> StateReader<'a> {
    pub fn new(bytes: &'a Bytes) -> StateReader<'a> {
        StateReader { bytes, at: 0 }
    }

    /// Whether every byte was read.
    pub fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)
    }

    pub fn i64(&mut self) -> Option<i64> {
        self.take(8).and_then(|s| s.try_into().ok()).map(i64::from_be_bytes)
    }

    pub fn opt_bytes(&mut self) -> Option<Option<Bytes>> {
        match self.u8()? {
            0 => Some(None),
            1 => {
                let n = self.u32()? as usize;
                if n > STATE_VALUE_BYTES_MAX {
                    return None;
                }
                let start = self.at;
                self.take(n)?;
                Some(Some(self.bytes.slice(start..start + n)))
            }
            _ => None,
        }
    }
}

//! Heap buffers aligned for O_DIRECT, filled with incompressible bytes.
#![allow(unsafe_code)] // raw aligned allocation.

use crate::limits::DIRECT_IO_ALIGN;
use std::alloc::{alloc_zeroed, dealloc, Layout};

/// An owned, `DIRECT_IO_ALIGN`-aligned byte buffer.
pub struct AlignedBuf {
    ptr: *mut u8,
    layout: Layout,
}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes (`len` must be a non-zero multiple of the alignment).
    pub fn new(len: usize) -> Self {
        assert!(len > 0 && len.is_multiple_of(DIRECT_IO_ALIGN), "O_DIRECT buffer length {len} not aligned");
        let layout = Layout::from_size_align(len, DIRECT_IO_ALIGN).expect("valid layout");
        // SAFETY: layout has non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Self { ptr, layout }
    }

    /// A buffer of pseudo-random bytes (so compressing or deduplicating storage cannot cheat).
    pub fn random(len: usize, seed: u64) -> Self {
        let mut b = Self::new(len);
        let mut rng = XorShift::new(seed);
        for chunk in b.as_mut_slice().chunks_mut(8) {
            let v = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        b
    }

    pub fn len(&self) -> usize {
        self.layout.size()
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for len bytes and uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len()) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout in `new`.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

/// Small fast PRNG for offsets and buffer contents (xorshift64*).
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_random() {
        let b = AlignedBuf::random(8192, 7);
        assert_eq!(b.as_ptr() as usize % DIRECT_IO_ALIGN, 0);
        assert_eq!(b.len(), 8192);
        let mut c = AlignedBuf::random(8192, 7);
        assert!(c.as_mut_slice().iter().any(|&x| x != 0));
        let mut r = XorShift::new(1);
        assert!((0..1000).all(|_| r.below(10) < 10));
    }
}

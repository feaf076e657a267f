//! A connection's writer: one task drains a bounded queue of encoded frames into the
//! socket, gathering what is queued into one write so many small messages cost few
//! syscalls. Producers wait while the queue is full (backpressure up to the caller).

use futures::io::{AsyncWrite, AsyncWriteExt};
use futures::FutureExt;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};

use crate::limits;

/// A bounded queue of frames for one connection's writer, and its receiving end.
pub(super) fn new() -> (LocalSender<Vec<u8>>, LocalReceiver<Vec<u8>>) {
    local_channel::new_bounded(limits::MESSAGING_CONNECTION_WRITE_QUEUE_DEPTH)
}

/// Writes queued frames until every sender is gone (then closes the write side) or a
/// write fails (returned: the connection is broken).
pub(super) async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    frames: LocalReceiver<Vec<u8>>,
) -> std::io::Result<()> {
    let mut batch = Vec::with_capacity(limits::MESSAGING_READ_CHUNK_BYTES);
    while let Some(frame) = frames.recv().await {
        if frame.len() >= limits::MESSAGING_WRITE_BATCH_BYTES_MAX {
            writer.write_all(&frame).await?;
            continue;
        }
        batch.clear();
        batch.extend_from_slice(&frame);
        while batch.len() < limits::MESSAGING_WRITE_BATCH_BYTES_MAX {
            match frames.recv().now_or_never() {
                Some(Some(more)) => batch.extend_from_slice(&more),
                _ => break,
            }
        }
        writer.write_all(&batch).await?;
    }
    writer.close().await
}

//! Bounding a wait with a glommio timer.

use std::future::Future;
use std::time::Duration;

/// `future`'s output, or `None` if `limit` passes first (the future is then dropped).
pub(super) async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    futures_lite::future::or(async { Some(future.await) }, async {
        glommio::timer::sleep(limit).await;
        None
    })
    .await
}

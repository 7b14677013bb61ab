//! Reading a `Get*` stream: one metadata message, then exactly the declared
//! number of bytes in non-empty chunks, with the size cap checked before
//! anything is buffered.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use tonic::{Status, Streaming};

use super::error::{protocol, ClientError};
use crate::chunk::{Chunk, Part};
use crate::MAX_CHUNK_SIZE;

/// Preallocate at most this much for a download, whatever size the server
/// declares (a lying server must send the bytes to make us hold them).
const MAX_PREALLOC: usize = 64 << 20;

/// `fut`, or [`ClientError::Timeout`] after `idle`; an error status becomes
/// [`ClientError::Status`].
pub(super) async fn within<T>(
    what: &'static str,
    idle: Duration,
    fut: impl Future<Output = Result<T, Status>>,
) -> Result<T, ClientError> {
    match tokio::time::timeout(idle, fut).await {
        Err(_) => Err(ClientError::Timeout { what, after: idle }),
        Ok(Err(status)) => Err(ClientError::Status {
            what,
            status: Box::new(status),
        }),
        Ok(Ok(t)) => Ok(t),
    }
}

/// Reads an open stream to its end: metadata first, then exactly
/// `total_size` bytes, with `limit` checked before reading; `idle` bounds
/// the wait for each message.
pub(super) async fn read<C: Chunk>(
    what: &'static str,
    idle: Duration,
    mut stream: Streaming<C>,
    limit: u64,
) -> Result<(C::Meta, Bytes), ClientError> {
    let meta = match within(what, idle, stream.message())
        .await?
        .and_then(C::into_part)
    {
        Some(Part::Meta(m)) => m,
        Some(Part::Data(_)) => return Err(protocol(what, "data before the metadata")),
        None => return Err(protocol(what, "stream ended before the metadata")),
    };
    let declared = C::total_size(&meta);
    if declared > limit {
        return Err(ClientError::TooLarge {
            what,
            size: declared,
            limit,
        });
    }
    let mut buf = Vec::with_capacity(
        usize::try_from(declared)
            .unwrap_or(MAX_PREALLOC)
            .min(MAX_PREALLOC),
    );
    while let Some(msg) = within(what, idle, stream.message()).await? {
        match C::into_part(msg) {
            Some(Part::Data(d)) => {
                if d.is_empty() || d.len() > MAX_CHUNK_SIZE {
                    return Err(protocol(what, format!("data chunk of {} bytes", d.len())));
                }
                if buf.len() as u64 + d.len() as u64 > declared {
                    return Err(ClientError::Overrun { what, declared });
                }
                buf.extend_from_slice(&d);
            }
            Some(Part::Meta(_)) => return Err(protocol(what, "metadata sent twice")),
            None => return Err(protocol(what, "message with neither metadata nor data")),
        }
    }
    if buf.len() as u64 != declared {
        return Err(ClientError::Truncated {
            what,
            received: buf.len() as u64,
            declared,
        });
    }
    Ok((meta, Bytes::from(buf)))
}

//! The three `Get*` streams share one message shape, `oneof kind { meta,
//! data }`: the server builds them and the client takes them apart through
//! this one trait.

use bytes::Bytes;

use crate::pb::{
    dataset_chunk, model_chunk, state_chunk, DatasetChunk, DatasetMeta, ModelChunk, ModelMeta,
    StateChunk, StateMeta,
};

/// The two kinds of message in a `Get*` stream.
pub(crate) enum Part<M> {
    Meta(M),
    Data(Bytes),
}

/// A `Get*` stream's message type.
pub(crate) trait Chunk: Send + 'static {
    type Meta;
    /// The first message.
    fn meta(meta: Self::Meta) -> Self;
    /// A data message.
    fn data(bytes: Bytes) -> Self;
    /// What a received message holds; `None` when it holds neither.
    fn into_part(self) -> Option<Part<Self::Meta>>;
    /// The size the metadata declares.
    fn total_size(meta: &Self::Meta) -> u64;
}

macro_rules! chunk {
    ($chunk:ident, $meta:ident, $kind:ident) => {
        impl Chunk for $chunk {
            type Meta = $meta;
            fn meta(meta: $meta) -> Self {
                $chunk {
                    kind: Some($kind::Kind::Meta(meta)),
                }
            }
            fn data(bytes: Bytes) -> Self {
                $chunk {
                    kind: Some($kind::Kind::Data(bytes)),
                }
            }
            fn into_part(self) -> Option<Part<$meta>> {
                Some(match self.kind? {
                    $kind::Kind::Meta(m) => Part::Meta(m),
                    $kind::Kind::Data(d) => Part::Data(d),
                })
            }
            fn total_size(meta: &$meta) -> u64 {
                meta.total_size
            }
        }
    };
}

chunk!(StateChunk, StateMeta, state_chunk);
chunk!(ModelChunk, ModelMeta, model_chunk);
chunk!(DatasetChunk, DatasetMeta, dataset_chunk);

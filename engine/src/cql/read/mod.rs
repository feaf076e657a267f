//! The read path: what a SELECT outputs per row ([`output`]), reading one partition on its
//! owner ([`partition`]), scanning every shard's partitions in ring order ([`scan`]), the
//! opaque paging state handed to clients ([`paging`]), secondary index reads
//! ([`index_read`]), and the coordinator that turns a
//! bound SELECT into a page of rows ([`select`]).

pub mod aggregate;
pub mod filter;
pub mod grouping_state;
pub mod index_read;
pub mod ordered_merge;
pub mod output;
pub mod paging;
pub mod partition;
pub mod projection;
pub mod scan;
pub mod select;
pub mod state_codec;

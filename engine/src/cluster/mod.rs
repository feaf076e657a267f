//! The cluster: which nodes hold which data (placement), and later membership and group 0.

pub mod placement;

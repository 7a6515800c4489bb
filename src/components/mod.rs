//! The site's physical components, each as parameters → validated model → state:
//! the [`grid`] feed, the [`battery`] fleet and the datacenter [`load`].

pub mod battery;
pub mod grid;
pub mod load;

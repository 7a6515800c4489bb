//! The site's physical components, each as parameters → validated model → state:
//! the [`grid`] feed, the [`battery`] fleet, the datacenter [`load`], the standby
//! [`generators`] and their [`fuel`]; [`limits`] holds the physical range of their numbers.

pub mod battery;
pub mod fuel;
pub mod generators;
pub mod grid;
pub mod limits;
pub mod load;

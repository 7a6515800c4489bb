//! The site's physical components, each as parameters → validated model → state:
//! the [`grid`] feed, the [`battery`] fleet, the datacenter [`load`], the standby
//! [`generators`] and their [`fuel`]; [`limits`] holds the physical range of their numbers. The
//! [`tariff`] is what the site's electricity costs (demand charge, energy price).

pub mod ambient;
pub mod battery;
pub mod fuel;
pub mod generators;
pub mod grid;
pub mod limits;
pub mod load;
pub mod tariff;

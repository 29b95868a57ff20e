//! Framework catalogs, the mapping from check categories to controls, and control status
//! and scoring.
//!
//! The catalog (`data/catalog.yaml`) is compiled in and parsed on first use. Checks name
//! categories, and each category names the controls it gives primary or supporting
//! evidence for, as `framework:control`. [`evaluate`] turns the findings of a scan into a status
//! for every control of each framework.

mod catalog;
mod evaluate;
mod mapping;

pub use catalog::{
    Catalog, CatalogError, Category, Control, ControlRef, DEFAULT_FRAMEWORKS, Evidence,
    FRAMEWORK_IDS, Framework, UnknownFramework, catalog, load,
};
pub use evaluate::{ControlAttestation, evaluate, evaluate_attested};
pub use mapping::{ControlsByFramework, controls_for, supporting_controls_for};

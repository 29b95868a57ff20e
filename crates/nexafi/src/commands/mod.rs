//! One module per subcommand.

#[cfg(feature = "audit")]
pub mod audit;
pub mod checks;
pub mod completions;
pub mod deploy;
pub mod dlp;
pub mod frameworks;
#[cfg(feature = "monitor")]
pub mod monitor;
pub mod security;
pub mod test;
pub mod validate;

/// Why a command could not complete; every variant ends in exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] nexafi_engine::EngineError),
    #[error(transparent)]
    Catalog(#[from] nexafi_compliance::CatalogError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Suite(#[from] nexafi_live::LoadError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[cfg(feature = "audit")]
    #[error("{0}")]
    Audit(String),
    #[cfg(feature = "monitor")]
    #[error(transparent)]
    Monitor(#[from] nexafi_monitor::MonitorError),
}

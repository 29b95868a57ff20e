//! `tcp`: a host and port accept a connection, or with `expect: closed` refuse it.

use tokio::net::TcpStream;

use super::{Attempt, Failure, split_address};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct TcpCheck {
    /// `host:port`.
    pub address: String,
    /// True for `expect: closed`: the port must refuse connections.
    pub expect_closed: bool,
}

impl TcpCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (address, at) =
            fields.required(|raw| &mut raw.address, "address", "db.example.test:5432")?;
        if split_address(&address).is_none() {
            return Err(fields.error(
                &at,
                format!("invalid address {address:?}; expected HOST:PORT, for example db.example.test:5432"),
            ));
        }
        let expect_closed = match fields.raw.expect.take() {
            None => false,
            Some(value) => match value.value.as_str() {
                Some("open") => false,
                Some("closed") => true,
                _ => {
                    return Err(fields.error(
                        &value.referenced,
                        format!(
                            "invalid `expect` {}; expected `open` or `closed`",
                            value.value
                        ),
                    ));
                }
            },
        };
        Ok(Self {
            address,
            expect_closed,
        })
    }

    pub async fn run(&self) -> Attempt {
        let result = TcpStream::connect(&self.address).await;
        match (result, self.expect_closed) {
            (Ok(stream), false) => Ok(match stream.peer_addr() {
                Ok(peer) => format!("connected to {peer}"),
                Err(_) => format!("connected to {}", self.address),
            }),
            (Ok(_), true) => Err(Failure::failed(format!(
                "expected {} to refuse connections, found it open",
                self.address
            ))),
            (Err(error), false) => Err(Failure::failed(format!(
                "expected {} to accept a connection, found: {error}",
                self.address
            ))),
            (Err(error), true) => Ok(format!("refused as expected: {error}")),
        }
    }
}

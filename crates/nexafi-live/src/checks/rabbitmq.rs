//! `rabbitmq`: AMQP 0-9-1 connect and, optionally, a passive declare of a queue that
//! must exist.

use std::path::PathBuf;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{ConnectionProperties, DefaultConnectionBuilder};

use super::{Attempt, Failure, Secret, install_default_provider};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct RabbitmqCheck {
    /// `amqp://USER@HOST:PORT/VHOST`, or `amqps://` for TLS.
    pub url: String,
    pub password: Option<Secret>,
    /// A queue that must exist; it is declared passively, so nothing is created.
    pub queue: Option<String>,
    /// PEM file of extra CA certificates for `amqps://`.
    pub ca_file: Option<PathBuf>,
}

impl RabbitmqCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (url, at) = fields.required(
            |raw| &mut raw.url,
            "url",
            "amqps://app@mq.example.test:5671/%2f",
        )?;
        super::http::check_url(fields, &url, &at, &["amqp", "amqps"])?;
        if let Err(error) = url.parse::<AMQPUri>() {
            return Err(fields.error(&at, format!("invalid AMQP URL {url:?}: {error}")));
        }
        let password = fields.password()?;
        let queue = fields.string(|raw| &mut raw.queue)?.map(|(queue, _)| queue);
        let ca_file = fields.path(|raw| &mut raw.ca_file)?;
        Ok(Self {
            url,
            password,
            queue,
            ca_file,
        })
    }

    pub async fn run(&self) -> Attempt {
        install_default_provider();
        let mut uri: AMQPUri = self
            .url
            .parse()
            .map_err(|error| Failure::error(format!("invalid AMQP URL: {error}")))?;
        if let Some(secret) = &self.password {
            uri.authority.userinfo.password = secret.read()?;
        }
        let mut tls = lapin::tcp::OwnedTLSConfig::default();
        if let Some(path) = &self.ca_file {
            tls.cert_chain = Some(std::fs::read_to_string(path).map_err(|error| {
                Failure::error(format!("cannot read CA file {}: {error}", path.display()))
            })?);
        }

        let connection = DefaultConnectionBuilder::new()
            .map_err(|error| Failure::error(format!("cannot set up the AMQP client: {error}")))?
            .with_uri(uri)
            .with_properties(ConnectionProperties::default())
            .with_tls_config(tls)
            .connect()
            .await
            .map_err(|error| Failure::error(format!("cannot connect: {error}")))?;

        let result = match &self.queue {
            None => Ok("connected".to_owned()),
            Some(queue) => declare_passive(&connection, queue).await,
        };
        // Closing is a courtesy to the broker; the verdict is already known.
        let _ = connection.close(200, "nexafi test done".into()).await;
        result
    }
}

async fn declare_passive(connection: &lapin::Connection, queue: &str) -> Attempt {
    let channel = connection
        .create_channel()
        .await
        .map_err(|error| Failure::error(format!("cannot open a channel: {error}")))?;
    let options = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    match channel
        .queue_declare(queue.into(), options, FieldTable::default())
        .await
    {
        Ok(found) => Ok(format!(
            "queue {queue:?} exists with {} messages and {} consumers",
            found.message_count(),
            found.consumer_count()
        )),
        Err(error) => Err(Failure::failed(format!(
            "expected queue {queue:?} to exist, found: {error}"
        ))),
    }
}

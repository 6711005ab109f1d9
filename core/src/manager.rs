//! [`Manager`]: one client per API key, and a user's conversations listed across the keys.

use crate::client::Client;
use crate::config::{ApiKey, Config};
use crate::conversation::Conversation;
use crate::error::{Error, Result};
use crate::protocol::{ConversationSummary, ListOptions, Pagination};

/// Clients for several API keys (the official `CaptivateChatManager`): one per distinct key,
/// with the same settings otherwise.
#[derive(Debug, Clone)]
pub struct Manager {
    clients: Vec<(ApiKey, Client)>,
}

/// A user's conversations across several keys, each on the client of its own key.
#[derive(Debug, Clone)]
pub struct ManagedList {
    /// The conversations, attached to the client of their key, in the hub's order.
    pub conversations: Vec<Conversation>,
    /// What the hub said of each (metadata, key), in the same order.
    pub summaries: Vec<ConversationSummary>,
    /// Paging information, when the hub sent it.
    pub pagination: Option<Pagination>,
}

impl Manager {
    /// Connects a client for each distinct key of `api_keys`, with `base`'s settings (its own
    /// key is not used); fails with the first connection's error.
    pub async fn connect(base: Config, api_keys: impl IntoIterator<Item = impl Into<String>>) -> Result<Manager> {
        let mut keys: Vec<String> = Vec::new();
        for k in api_keys {
            let k = k.into();
            if k.trim().is_empty() {
                return Err(Error::InvalidArgument("an API key is empty".into()));
            }
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            return Err(Error::InvalidArgument("at least one API key is needed".into()));
        }
        let connects = keys.iter().map(|k| {
            let mut c = base.clone();
            c.api_key = ApiKey::new(k.clone());
            Client::connect(c)
        });
        let clients = futures_util::future::try_join_all(connects).await?;
        Ok(Manager { clients: keys.into_iter().map(ApiKey::new).zip(clients).collect() })
    }

    /// A manager over clients already made.
    pub fn from_clients(clients: impl IntoIterator<Item = Client>) -> Manager {
        let mut out: Vec<(ApiKey, Client)> = Vec::new();
        for c in clients {
            if !out.iter().any(|(k, _)| k == &c.config().api_key) {
                out.push((c.config().api_key.clone(), c));
            }
        }
        Manager { clients: out }
    }

    /// The client of a key.
    pub fn client(&self, api_key: &str) -> Option<&Client> {
        self.clients.iter().find(|(k, _)| k.expose() == api_key).map(|(_, c)| c)
    }

    /// Every client, in the order of their keys.
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().map(|(_, c)| c)
    }

    /// Lists a user's conversations across the keys (`options.api_keys`, or all of this
    /// manager's), asking through the first key's client; each comes back attached to the
    /// client of its own key. A conversation of a key this manager has no client for is an
    /// error.
    pub async fn list_conversations(&self, mut options: ListOptions) -> Result<ManagedList> {
        let first = self.clients.first().map(|(_, c)| c.clone()).ok_or(Error::Closed)?;
        if options.api_keys.is_none() {
            options.api_keys = Some(self.clients.iter().map(|(k, _)| k.expose().to_owned()).collect());
        }
        let list = first.list_conversations(options).await?;
        let mut conversations = Vec::with_capacity(list.conversations.len());
        for s in &list.conversations {
            let client = match &s.api_key {
                None => &first,
                Some(k) => self.client(k).ok_or_else(|| {
                    Error::Protocol(format!(
                        "conversation {} belongs to a key this manager has no client for",
                        s.conversation_id
                    ))
                })?,
            };
            conversations.push(client.conversation(&s.conversation_id)?);
        }
        Ok(ManagedList { conversations, summaries: list.conversations, pagination: list.pagination })
    }

    /// Closes the client of a key and forgets it.
    pub async fn close(&mut self, api_key: &str) {
        if let Some(pos) = self.clients.iter().position(|(k, _)| k.expose() == api_key) {
            let (_, c) = self.clients.remove(pos);
            c.close().await;
        }
    }

    /// Closes every client.
    pub async fn close_all(&mut self) {
        for (_, c) in self.clients.drain(..) {
            c.close().await;
        }
    }
}

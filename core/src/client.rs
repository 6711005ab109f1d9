//! [`Client`]: one connection to the hub, shared by its conversations.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use rustls::ClientConfig;
use serde_json::Value;
use tokio::runtime::Handle;

use crate::config::Config;
use crate::conversation::Conversation;
use crate::driver::{Command, Link, Scope, Snapshot, transport};
use crate::engine::{Completion, Expect, ReplyMatch};
use crate::error::{Error, Result};
use crate::event::ConnectionState;
use crate::event::Routed;
use crate::http::{self, Http, Upload};
use crate::pending::Pending;
use crate::protocol::{
    self, ConversationList, DeleteMode, Dialect, FileRef, HubEvent, Inbound, ListOptions, StartMode, StartOptions,
};
use crate::queue;
use crate::stream::{EventStream, RoutedStream};

/// A client of the Captivate hub: one WebSocket (per API key and endpoint), shared by every
/// conversation started or attached through it.
///
/// Handles are cheap to clone. The connection closes when the last `Client` and
/// [`Conversation`] handle is dropped, or at once with [`Client::close`].
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The runtime the client was made on: every socket's driver runs there, whichever thread
    /// asks for a new one.
    runtime: Handle,
    link: Arc<Link>,
    config: Arc<Config>,
    tls: Option<Arc<ClientConfig>>,
    /// The sockets of conversations in socket-per-conversation mode.
    extra: Mutex<Vec<Weak<Link>>>,
    /// The streams of [`Client::all_events`] open now: sockets opened later feed them too.
    all: Mutex<Vec<queue::Sender<Routed>>>,
    /// The hub's HTTP services, made on first use.
    http: OnceLock<Http>,
}

impl Client {
    /// Connects and waits for `socket_connected`. Fails with the first attempt's error
    /// ([`Error::Rejected`] for a refused key, [`Error::Connect`], or a `connect` timeout);
    /// after that first success, drops are retried per the reconnect policy.
    pub async fn connect(config: Config) -> Result<Client> {
        config.validate()?;
        let tls = transport::tls_upfront(&config)?;
        let config = Arc::new(config);
        let runtime = current_runtime()?;
        let link = Arc::new(Link::connect_now(&runtime, config.clone(), tls.clone()).await?);
        Ok(Client::from_parts(runtime, link, config, tls))
    }

    /// Returns at once and connects in the background, retrying per the reconnect policy from
    /// the first attempt. Sends made meanwhile are queued.
    pub fn connect_lazy(config: Config) -> Result<Client> {
        Client::build(config, true)
    }

    fn build(config: Config, connect: bool) -> Result<Client> {
        config.validate()?;
        let tls = transport::tls_upfront(&config)?;
        let config = Arc::new(config);
        let runtime = current_runtime()?;
        let link = Arc::new(Link::spawn(&runtime, config.clone(), tls.clone(), connect)?);
        Ok(Client::from_parts(runtime, link, config, tls))
    }

    fn from_parts(runtime: Handle, link: Arc<Link>, config: Arc<Config>, tls: Option<Arc<ClientConfig>>) -> Client {
        let inner = Inner {
            runtime,
            link,
            config,
            tls,
            extra: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
            http: OnceLock::new(),
        };
        Client { inner: Arc::new(inner) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The connection's current state.
    pub fn state(&self) -> ConnectionState {
        self.inner.link.state()
    }

    /// True while connected.
    pub fn is_connected(&self) -> bool {
        self.state().is_connected()
    }

    /// The hub's id of the current socket, while connected (a second `socket_connected` from
    /// the hub replaces it).
    pub fn socket_id(&self) -> Option<String> {
        match self.state() {
            ConnectionState::Connected { socket_id } => Some(socket_id),
            _ => None,
        }
    }

    /// Waits until connected, at most `timeout`. Fails at once if the client is closed or
    /// failed.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<()> {
        wait_connected(&self.inner.link, timeout).await
    }

    /// Client-level events: connection state changes, and hub events that name no open
    /// conversation (or no conversation, when several are open).
    pub fn events(&self) -> EventStream {
        self.inner.link.subscribe(Scope::Client)
    }

    /// Every event of the client and of its conversations, each once, in the order the client
    /// produced them, with where it was routed ([`Routed`]): for front ends that dispatch
    /// events to their own listeners. It first gets what was kept for streams not opened yet
    /// (which then no longer goes to them); while it is open, nothing is kept for streams not
    /// opened yet. It ends as [`EventStream`]s do.
    pub fn all_events(&self) -> RoutedStream {
        let (tx, rx) = queue::channel();
        for link in self.links() {
            link.subscribe_all(tx.clone());
        }
        // Kept for sockets opened later, unless closed (then the stream just ends).
        if self.state() != ConnectionState::Closed
            && let Ok(mut all) = self.inner.all.lock()
        {
            all.retain(|s| !s.is_closed());
            all.push(tx);
        }
        RoutedStream::new(rx)
    }

    /// Every frame from the hub, decoded, known or not, before deduplication and routing
    /// (the escape hatch).
    pub fn raw_events(&self) -> EventStream {
        self.inner.link.subscribe(Scope::Raw)
    }

    /// Starts a conversation. With [`StartMode::BotFirst`] (the default) an empty user
    /// message follows so that the flow greets the user.
    ///
    /// Concurrent starts on one socket are sent one at a time, so each caller gets its own
    /// conversation id.
    pub fn start_conversation(&self, options: StartOptions) -> Pending<Conversation> {
        if let Err(e) = check_start(&options) {
            return Pending::ready(Err(e));
        }
        let matcher = ReplyMatch {
            event_type: "conversation_start_success".into(),
            user_id: options.user_id.clone(),
            start: true,
            ..Default::default()
        };
        let frame = protocol::outbound::conversation_start(&options);
        let (client, mode, timeout) = (self.clone(), options.mode, self.timeout());
        if !self.inner.config.socket_per_conversation {
            let link = self.inner.link.clone();
            let submitted = link.submit("conversation_start", frame, Expect::Reply(matcher), timeout);
            return Pending::new(async move { client.started(link, submitted?.await?, mode).await });
        }
        Pending::new(async move {
            let link = client.new_link(true)?;
            wait_first_connection(&link).await?;
            let completion = link.submit("conversation_start", frame, Expect::Reply(matcher), timeout)?.await?;
            client.started(link, completion, mode).await
        })
    }

    async fn started(self, link: Arc<Link>, completion: Completion, mode: StartMode) -> Result<Conversation> {
        let id = reply_of(completion)?
            .conversation_id
            .ok_or_else(|| Error::Protocol("conversation_start_success without a conversation_id".into()))?;
        let conversation = Conversation::new(self, link, id);
        if mode == StartMode::BotFirst {
            conversation.send_greeting_trigger().await?;
        }
        Ok(conversation)
    }

    /// A handle to an existing conversation, by id. Its events are routed to it from now on.
    pub fn conversation(&self, conversation_id: &str) -> Result<Conversation> {
        let id = conversation_id.trim();
        if id.is_empty() {
            return Err(Error::InvalidArgument("conversation_id must not be empty".into()));
        }
        let link =
            if self.inner.config.socket_per_conversation { self.new_link(true)? } else { self.inner.link.clone() };
        link.send(Command::Attach(id.to_owned()))?;
        Ok(Conversation::new(self.clone(), link, id.to_owned()))
    }

    /// Lists a user's conversations (filter, search, paging, several API keys).
    pub fn list_conversations(&self, options: ListOptions) -> Pending<ConversationList> {
        if let Err(e) = check_list(&options, self.inner.config.dialect) {
            return Pending::ready(Err(e));
        }
        let matcher = ReplyMatch {
            event_type: "user_conversations".into(),
            user_id: Some(options.user_id.clone()),
            ..Default::default()
        };
        let frame = protocol::outbound::list_conversations(&options, self.inner.config.dialect);
        let submitted = self.inner.link.submit("list_conversations", frame, Expect::Reply(matcher), self.timeout());
        Pending::after(submitted, |c| match reply_of(c)?.body {
            HubEvent::UserConversations(list) => Ok(list),
            _ => Err(Error::Protocol("unexpected reply to list_conversations".into())),
        })
    }

    /// Deletes all of a user's conversations, soft (default) or hard.
    pub fn delete_user_conversations(&self, user_id: &str, mode: DeleteMode) -> Pending<()> {
        if user_id.trim().is_empty() {
            return Pending::ready(Err(Error::InvalidArgument("user_id must not be empty".into())));
        }
        let dialect = self.inner.config.dialect;
        let matcher = ReplyMatch {
            event_type: "delete_conversation_success".into(),
            user_id: Some(user_id.to_owned()),
            conversation_id: (dialect == Dialect::Legacy).then(|| user_id.to_owned()),
            ..Default::default()
        };
        let frame = protocol::outbound::delete_user_conversations(user_id, mode, dialect);
        let submitted =
            self.inner.link.submit("delete_user_conversations", frame, Expect::Reply(matcher), self.timeout());
        Pending::after(submitted, |_| Ok(()))
    }

    /// The escape hatch: sends any event type with any payload; completes once written (its
    /// frame flushed to the connection, or with [`crate::Transport::Http`] its post answered).
    pub fn send_raw(&self, event_type: &str, payload: Value) -> Pending<()> {
        if event_type.trim().is_empty() {
            return Pending::ready(Err(Error::InvalidArgument("event_type must not be empty".into())));
        }
        let frame = protocol::outbound::envelope(event_type, payload);
        let submitted = self.inner.link.submit(event_type.to_owned(), frame, Expect::Written, self.timeout());
        Pending::after(submitted, |_| Ok(()))
    }

    /// The escape hatch for requests: sends any event and waits for the first event of type
    /// `reply_event_type` (naming `conversation_id`, when given) that nobody else waits for.
    pub fn request_raw(
        &self,
        event_type: &str,
        payload: Value,
        reply_event_type: &str,
        conversation_id: Option<&str>,
    ) -> Pending<Inbound> {
        if event_type.trim().is_empty() || reply_event_type.trim().is_empty() {
            return Pending::ready(Err(Error::InvalidArgument("event types must not be empty".into())));
        }
        let matcher = ReplyMatch {
            event_type: reply_event_type.to_owned(),
            conversation_id: conversation_id.map(str::to_owned),
            ..Default::default()
        };
        let frame = protocol::outbound::envelope(event_type, payload);
        let submitted = self.inner.link.submit(event_type.to_owned(), frame, Expect::Reply(matcher), self.timeout());
        Pending::after(submitted, reply_of)
    }

    /// Uploads a file to the file-to-text service (its text extracted, the file stored behind a
    /// presigned link unless [`Upload::storage`] is off) and returns the file object a message
    /// carries: `conversation.send_message(OutgoingMessage::files(vec![file]))`.
    /// [`Conversation::upload_file`] also files it under the conversation.
    pub fn upload_file(&self, upload: Upload) -> Pending<FileRef> {
        self.upload_under(upload, None)
    }

    /// Uploads several files at once; their objects come back in the same order. Every upload
    /// is checked before any starts (a bad one fails the call naming its position, and nothing
    /// is uploaded); then all run, each to its end, and a failure is the error of the first
    /// upload that failed, in their order (the ones that succeeded stay stored).
    pub fn upload_files(&self, uploads: Vec<Upload>) -> Pending<Vec<FileRef>> {
        crate::http::upload_all(uploads, |u| self.upload_file(u))
    }

    pub(crate) fn upload_under(&self, upload: Upload, path: Option<String>) -> Pending<FileRef> {
        if let Err(e) = upload.check() {
            return Pending::failed(e);
        }
        let http = match self.http() {
            Ok(h) => h,
            Err(e) => return Pending::failed(e),
        };
        // The service files uploads under `<apiKey>/<conversationId>`, as the official client
        // asks; the key goes there only when the service's host is trusted.
        let files_host =
            reqwest::Url::parse(&self.inner.config.files_base()).ok().and_then(|u| u.host_str().map(str::to_owned));
        let path = path.filter(|_| files_host.is_some_and(|h| self.inner.config.trusts_host(&h)));
        Pending::new(async move { http::upload(&http, upload, path).await })
    }

    /// A new presigned link to a stored file, valid for `expires_in`.
    pub fn presigned_url(&self, file_key: &str, expires_in: Duration) -> Pending<String> {
        let http = match self.http() {
            Ok(h) => h,
            Err(e) => return Pending::failed(e),
        };
        let key = file_key.to_owned();
        Pending::new(async move { http::presigned_url(&http, &key, expires_in).await })
    }

    /// The client's HTTP side, made on first use.
    pub(crate) fn http(&self) -> Result<Http> {
        if let Some(h) = self.inner.http.get() {
            return Ok(h.clone());
        }
        let h = Http::new(self.inner.config.clone())?;
        Ok(self.inner.http.get_or_init(|| h).clone())
    }

    /// Connects again after `close` or a failure, or retries now when waiting to reconnect.
    /// Streams ended by `close` stay ended: listen again with [`Client::events`] and
    /// [`Conversation::events`]; after a failure, existing streams carry on.
    pub fn reconnect(&self) -> Result<()> {
        for link in self.links() {
            link.connect()?;
        }
        Ok(())
    }

    /// Tells the client the network is back: a pending reconnect is tried at once.
    pub fn network_up(&self) {
        for link in self.links() {
            let _ = link.send(Command::NetworkUp);
        }
    }

    /// Closes gracefully (close code 1000). Queued sends and waiting requests fail with
    /// [`Error::Closed`], and every event stream ends after its `closed` state change. Waits
    /// until the socket is closed (bounded by the close timeout).
    pub async fn close(&self) {
        if let Ok(mut all) = self.inner.all.lock() {
            all.clear();
        }
        for link in self.links() {
            link.close().await;
        }
    }

    fn links(&self) -> Vec<Arc<Link>> {
        let mut v = vec![self.inner.link.clone()];
        if let Ok(mut extra) = self.inner.extra.lock() {
            extra.retain(|w| w.strong_count() > 0);
            v.extend(extra.iter().filter_map(Weak::upgrade));
        }
        v
    }

    fn new_link(&self, connect: bool) -> Result<Arc<Link>> {
        let link =
            Arc::new(Link::spawn(&self.inner.runtime, self.inner.config.clone(), self.inner.tls.clone(), connect)?);
        if let Ok(mut extra) = self.inner.extra.lock() {
            extra.push(Arc::downgrade(&link));
        }
        if let Ok(all) = self.inner.all.lock() {
            for tx in all.iter() {
                link.subscribe_all(tx.clone());
            }
        }
        Ok(link)
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.inner.config.timings.request_timeout
    }
}

pub(crate) fn reply_of(c: Completion) -> Result<Inbound> {
    match c {
        Completion::Reply(i) => Ok(*i),
        _ => Err(Error::Internal("expected a reply".into())),
    }
}

fn check_start(options: &StartOptions) -> Result<()> {
    for (name, v) in [
        ("user_basic_info", &options.user_basic_info),
        ("metadata", &options.metadata),
        ("user_metadata", &options.user_metadata),
        ("user_data", &options.user_data),
    ] {
        if v.as_ref().is_some_and(|v| !v.is_object()) {
            return Err(Error::InvalidArgument(format!("{name} must be a JSON object")));
        }
    }
    if options.user_id.as_deref().is_some_and(|u| u.trim().is_empty()) {
        return Err(Error::InvalidArgument("user_id must not be empty".into()));
    }
    Ok(())
}

fn check_list(options: &ListOptions, dialect: Dialect) -> Result<()> {
    if options.user_id.trim().is_empty() {
        return Err(Error::InvalidArgument("user_id must not be empty".into()));
    }
    if dialect == Dialect::Legacy && !options.is_plain() {
        return Err(Error::InvalidArgument(
            "the legacy dialect lists without filter, search, paging or API keys".into(),
        ));
    }
    for (name, v) in [("filter", &options.filter), ("search", &options.search)] {
        if v.as_ref().is_some_and(|v| !v.is_object()) {
            return Err(Error::InvalidArgument(format!("{name} must be a JSON object")));
        }
    }
    if options.page == Some(0) || options.limit == Some(0) {
        return Err(Error::InvalidArgument("page and limit start at 1".into()));
    }
    Ok(())
}

fn current_runtime() -> Result<Handle> {
    Handle::try_current().map_err(|_| Error::Internal("a tokio runtime is required to create a client".into()))
}

fn settled(s: &Snapshot) -> bool {
    !matches!(s.state, ConnectionState::Initialized | ConnectionState::Connecting { .. })
}

async fn wait_first_connection(link: &Link) -> Result<()> {
    let snap = link.wait_for(settled).await;
    if snap.state.is_connected() {
        return Ok(());
    }
    link.close().await;
    Err(snap.error.unwrap_or_else(|| Error::Connect(snap.reason.unwrap_or_else(|| "connection failed".into()))))
}

async fn wait_connected(link: &Link, timeout: Duration) -> Result<()> {
    let wait = link.wait_for(|s| s.state.is_connected() || (s.state.is_terminal() && link.settled_connects(s)));
    match tokio::time::timeout(timeout, wait).await {
        Ok(s) if s.state.is_connected() => Ok(()),
        Ok(s) if s.state == ConnectionState::Closed => Err(Error::Closed),
        Ok(s) => Err(s.error.unwrap_or_else(|| Error::Failed(s.reason.unwrap_or_default()))),
        Err(_) => Err(Error::timeout("wait_connected", timeout)),
    }
}

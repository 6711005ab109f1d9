//! [`NativeClient`]: a [`Session`] for JavaScript. Every operation takes its arguments as
//! JavaScript passes them (the binding layer checks their values), starts the call at once and
//! returns its slot; the outcome comes later with a batch (see [`crate::pump`]). A call that
//! fails at once throws instead.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use captivate::{Config, ErrorKind, Pending};
use captivate_binding::{BindingError, Session};
use napi::bindgen_prelude::{ClassInstance, Function, Uint8Array, Unknown};
use napi_derive::napi;
use serde_json::{Value, json};

use crate::encode::{self, Done};
use crate::js_error;
use crate::pump::{Call, Dispatch, Pump, Reply};

/// A call's outcome mapped into what crosses to JavaScript, without another task or box.
struct Map<T, F> {
    pending: Pending<T>,
    map: Option<F>,
}

impl<T, F: FnOnce(T) -> Done + Unpin> Future for Map<T, F> {
    type Output = Result<Reply, BindingError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match Pin::new(&mut this.pending).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Ready(Ok(v)) => match this.map.take() {
                Some(f) => Poll::Ready(Ok(Reply::Done(f(v)))),
                None => Poll::Ready(Err(BindingError::internal("a call was polled after it completed"))),
            },
        }
    }
}

fn call<T: 'static, F: FnOnce(T) -> Done + Unpin + 'static>(pending: Pending<T>, map: F) -> Call {
    Box::pin(Map { pending, map: Some(map) })
}

fn unit(p: Pending<()>) -> Call {
    call(p, |()| Done::Unit)
}

fn closed(message: &str) -> BindingError {
    BindingError { kind: ErrorKind::Closed, message: message.to_owned(), details: json!({}) }
}

fn invalid(message: String) -> BindingError {
    BindingError { kind: ErrorKind::InvalidArgument, message, details: json!({}) }
}

/// A client of the hub (see `lib/client.js`, which wraps it as `CaptivateChatAPI`).
#[napi]
pub struct NativeClient {
    pump: Rc<RefCell<Pump>>,
    /// The hub's WebSocket URL without the API key.
    url: String,
}

#[napi]
impl NativeClient {
    /// Reads and checks the options (the schema of `captivate::options`); connects nothing.
    #[napi(constructor)]
    pub fn new(options: Value) -> napi::Result<Self> {
        let config = Config::from_json(&options).map_err(|e| js_error(e.into()))?;
        let url = config.endpoint.base_url().to_owned();
        Ok(NativeClient { pump: Pump::new(config), url })
    }

    /// Connects (`lazy`: at once, in the background) and delivers every batch to `dispatch`
    /// from now on; returns the slot of the connect call. `noop` is any function that does
    /// nothing (the thread-safe function of the JavaScript thread calls it after each tick).
    #[napi(
        ts_args_type = "dispatch: (nums: Float64Array, text: string, vals: unknown[], raws: unknown) => void, lazy: boolean, noop: () => void"
    )]
    pub fn connect(
        &self,
        dispatch: Dispatch,
        lazy: bool,
        noop: Function<'_, (), Unknown<'static>>,
    ) -> napi::Result<u32> {
        let Some(config) = self.pump.borrow().config().cloned() else {
            return Err(js_error(closed("the client is connected already")));
        };
        Pump::start(&self.pump, dispatch, &noop)?;
        let call: Call = if lazy {
            let r = Session::connect_lazy(config).map(Reply::Connected);
            Box::pin(std::future::ready(r))
        } else {
            Box::pin(async move { Session::connect(config).await.map(Reply::Connected) })
        };
        self.pump.borrow_mut().connect(call, lazy).map_err(js_error)
    }

    fn session(&self) -> Result<Arc<Session>, BindingError> {
        let pump = self.pump.borrow();
        match pump.session() {
            Some(s) if pump.is_open() => Ok(s.clone()),
            Some(_) => Err(closed("the client is closed")),
            None => Err(closed("the client is not connected")),
        }
    }

    fn submit(&self, make: impl FnOnce(&Arc<Session>) -> Call) -> napi::Result<u32> {
        let session = self.session().map_err(js_error)?;
        let call = make(&session);
        self.pump.borrow_mut().submit(call).map_err(js_error)
    }

    /// The connection's state: `{state, attempt?, retryInMs?, socketId?}`.
    #[napi(ts_return_type = "{ state: string; attempt?: number; retryInMs?: number; socketId?: string }")]
    pub fn state(&self) -> Value {
        match self.pump.borrow().session() {
            Some(s) => encode::state_js(&s.state()),
            None => json!({"state": "initialized"}),
        }
    }

    /// The hub's WebSocket URL as configured, without the API key (the client appends the key
    /// only to the URL it connects to, which is never handed out).
    #[napi]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The hub's id of the socket, while connected.
    #[napi]
    pub fn socket_id(&self) -> Option<String> {
        self.pump.borrow().session().and_then(|s| s.client().socket_id())
    }

    /// Attaches a conversation by id (its events are routed to it from now on).
    #[napi]
    pub fn attach(&self, conversation_id: String) -> napi::Result<()> {
        let session = self.session().map_err(js_error)?;
        session.conversation(&conversation_id).map(drop).map_err(js_error)
    }

    /// Starts delivering every frame from the hub (flagged raw in the batches).
    #[napi]
    pub fn open_raw(&self) -> napi::Result<()> {
        self.session().map_err(js_error)?;
        self.pump.borrow_mut().open_raw();
        Ok(())
    }

    /// Starts a conversation; resolves to its id.
    #[napi]
    pub fn start_conversation(&self, options: Value) -> napi::Result<u32> {
        self.submit(|s| call(s.start_conversation(&options), |c| Done::Text(c.id().to_owned())))
    }

    /// Lists a user's conversations; resolves to `{conversations, pagination}`.
    #[napi]
    pub fn list_conversations(&self, options: Value) -> napi::Result<u32> {
        self.submit(|s| call(s.list_conversations(&options), |l| Done::Json(encode::list_js(&l))))
    }

    /// Deletes all of a user's conversations.
    #[napi]
    pub fn delete_user_conversations(&self, user_id: String, hard: bool) -> napi::Result<u32> {
        self.submit(|s| unit(s.delete_user_conversations(&user_id, hard)))
    }

    /// Sends any event; with a reply type, resolves to the first reply (an event).
    #[napi]
    pub fn request(
        &self,
        event_type: String,
        payload: Option<Value>,
        reply_type: Option<String>,
        conversation_id: Option<String>,
    ) -> napi::Result<u32> {
        self.submit(|s| {
            let p = s.request(&event_type, payload.as_ref(), reply_type.as_deref(), conversation_id.as_deref());
            call(p, Done::Event)
        })
    }

    /// Sends a message; resolves to its `client_msg_id`.
    #[napi]
    pub fn send_message(
        &self,
        conversation_id: String,
        text: Option<String>,
        files: Option<Value>,
    ) -> napi::Result<u32> {
        self.submit(|s| call(s.send_message(&conversation_id, text, files.as_ref()), Done::Text))
    }

    /// Sets metadata, for an optional target.
    #[napi]
    pub fn set_metadata(&self, conversation_id: String, metadata: Value, target: Option<String>) -> napi::Result<u32> {
        self.submit(|s| unit(s.set_metadata(&conversation_id, &metadata, target.as_deref())))
    }

    /// Sets private metadata.
    #[napi]
    pub fn set_private_metadata(&self, conversation_id: String, private: Value) -> napi::Result<u32> {
        self.submit(|s| unit(s.set_private_metadata(&conversation_id, &private)))
    }

    /// Sets the time-to-live of the conversation's files, in days.
    #[napi]
    pub fn set_time_to_live(&self, conversation_id: String, days: f64) -> napi::Result<u32> {
        // A fraction is no number of days: passed on as one the binding refuses.
        let days = if days.fract() == 0.0 && days.abs() < 1e15 { days as i64 } else { -1 };
        self.submit(|s| unit(s.set_time_to_live(&conversation_id, days)))
    }

    /// Resolves to the conversation's metadata.
    #[napi]
    pub fn get_metadata(&self, conversation_id: String) -> napi::Result<u32> {
        self.submit(|s| call(s.get_metadata(&conversation_id), Done::Json))
    }

    /// Sends an action with its data.
    #[napi]
    pub fn send_action(
        &self,
        conversation_id: String,
        action_id: String,
        data: Option<Value>,
        action_type: Option<String>,
    ) -> napi::Result<u32> {
        self.submit(|s| unit(s.send_action(&conversation_id, &action_id, data.as_ref(), action_type.as_deref())))
    }

    /// Edits a message the user sent.
    #[napi]
    pub fn edit_message(
        &self,
        conversation_id: String,
        message_id: String,
        text: Option<String>,
        files: Option<Value>,
    ) -> napi::Result<u32> {
        self.submit(|s| unit(s.edit_message(&conversation_id, &message_id, text, files.as_ref())))
    }

    /// Resolves to the transcript's entries.
    #[napi]
    pub fn get_transcript(&self, conversation_id: String) -> napi::Result<u32> {
        self.submit(|s| call(s.get_transcript(&conversation_id), |t| Done::Json(encode::transcript_js(&t))))
    }

    /// Deletes a conversation.
    #[napi]
    pub fn delete_conversation(&self, conversation_id: String, hard: bool) -> napi::Result<u32> {
        self.submit(|s| unit(s.delete_conversation(&conversation_id, hard)))
    }

    /// Uploads a file to the file-to-text service: `file` is what the package read (its bytes,
    /// and the name and type it knows of itself); `options` are the core's upload schema
    /// (`{fileName, fileType, storage, url, ttlDays}` and their aliases, names and values
    /// checked there). With a conversation id, files it under that conversation (and its
    /// time-to-live). Resolves to the file object a message carries.
    #[napi]
    pub fn upload_file(&self, conversation_id: Option<String>, file: UploadInput, options: Value) -> napi::Result<u32> {
        let file = file.into_host();
        self.submit(|s| call(s.upload_file(conversation_id.as_deref(), file, &options), |f| Done::Json(f.to_json())))
    }

    /// Uploads several files at once (each as for `uploadFile`), with the binding layer's one
    /// policy: every upload is checked before any starts (a bad one fails the call naming its
    /// position, and nothing is uploaded); then all run, each to its end. Resolves to their
    /// file objects in the same order, or rejects with the error of the first that failed in
    /// that order (those that succeeded stay stored).
    #[napi]
    pub fn upload_files(
        &self,
        conversation_id: Option<String>,
        files: Vec<UploadInput>,
        options: Vec<Value>,
    ) -> napi::Result<u32> {
        if files.len() != options.len() {
            return Err(js_error(BindingError::invalid("one options object per file")));
        }
        let each: Vec<_> = files.into_iter().map(UploadInput::into_host).zip(options).collect();
        self.submit(|s| {
            call(s.upload_files(conversation_id.as_deref(), each), |files| {
                Done::Json(Value::Array(files.iter().map(captivate::FileRef::to_json).collect()))
            })
        })
    }

    /// Resolves to a new presigned link to a stored file, valid `expires_in_secs` (a whole
    /// number of seconds, at least 1; two hours when not given).
    #[napi]
    pub fn presigned_url(&self, file_key: String, expires_in_secs: Option<f64>) -> napi::Result<u32> {
        let secs = match expires_in_secs {
            None => None,
            Some(s) if s.fract() == 0.0 && (1.0..1e15).contains(&s) => Some(s as u64),
            Some(s) => return Err(js_error(invalid(format!("expiresIn must be a whole number of seconds, not {s}")))),
        };
        self.submit(|s| call(s.presigned_url(&file_key, secs), Done::Text))
    }

    /// Lists a user's conversations across the keys of this client and `others`, asking
    /// through this one (`options` as for [`NativeClient::list_conversations`]; `apiKeys`
    /// defaults to every client's key). Resolves to `{conversations: [{client,
    /// conversationId, metadata}], pagination}`: `client` is the conversation's client, by its
    /// place in `[this, ...others]` (the one of its own key, which the JavaScript side attaches
    /// it to), and `metadata` what the hub's listing said of it.
    #[napi(ts_args_type = "others: NativeClient[], options: unknown")]
    pub fn list_across(&self, others: Vec<ClassInstance<'_, NativeClient>>, options: Value) -> napi::Result<u32> {
        let mut sessions = vec![self.session().map_err(js_error)?.clone()];
        for other in &others {
            sessions.push(other.session().map_err(js_error)?.clone());
        }
        let listed = Session::list_across(&sessions, &options);
        self.submit(move |_| call(listed, |list| Done::Json(across_js(list))))
    }

    /// Connects again or retries now; resolves once connected.
    #[napi]
    pub fn reconnect(&self) -> napi::Result<u32> {
        self.submit(|s| {
            let s = s.clone();
            Box::pin(async move { s.reconnect().await.map(|()| Reply::Done(Done::Unit)) })
        })
    }

    /// Closes gracefully; resolves once closed. The feed then ends, and once every call is
    /// answered nothing holds the event loop.
    #[napi]
    pub fn close(&self) -> napi::Result<u32> {
        self.submit(|s| {
            let s = s.clone();
            Box::pin(async move {
                s.close().await;
                Ok(Reply::Done(Done::Unit))
            })
        })
    }
}

/// A file as the package read it: its bytes, and the name and MIME type it knows of itself (a
/// path's last part, a Blob's or File's name and type), used where the options name none.
#[napi(object)]
pub struct UploadInput {
    /// The file's bytes.
    pub bytes: Uint8Array,
    /// The name the file knows of itself.
    pub name: Option<String>,
    /// The MIME type the file knows of itself.
    pub r#type: Option<String>,
}

impl UploadInput {
    fn into_host(self) -> captivate::HostFile {
        captivate::HostFile { bytes: self.bytes.to_vec(), name: self.name, content_type: self.r#type }
    }
}

/// A listing across keys for JavaScript: each conversation with the place of its client in
/// `[this, ...others]`, its id and its metadata (what the hub's listing said of it); the
/// pagination.
fn across_js(list: captivate_binding::Across) -> Value {
    let conversations: Vec<Value> = list
        .entries
        .into_iter()
        .map(|e| json!({"client": e.session, "conversationId": e.summary.conversation_id, "metadata": e.summary.metadata}))
        .collect();
    json!({
        "conversations": conversations,
        "pagination": list.pagination.as_ref().map(captivate::Pagination::to_json),
    })
}

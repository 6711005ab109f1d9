//! The data the package hands to Python: content items, files, actions, connection states,
//! transcripts and listings, as frozen classes over the core's typed values. Attributes are
//! made into Python objects when read, so an object nobody inspects costs one allocation.

use captivate::{ContentItem, FileRef};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList};
use serde_json::Value;

use crate::values;

/// `s` as Python shows a string (near enough: Rust's escaping).
pub(crate) fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// An optional string as Python shows it.
pub(crate) fn quoted_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), quoted)
}

/// A file attached to a message, or uploaded: where it can be downloaded (`url`, or the
/// presigned link of its `storage`), its MIME type, its name, and the text the file-to-text
/// service extracted from it.
#[pyclass(frozen, eq, hash, module = "captivate")]
#[derive(Clone, PartialEq)]
pub(crate) struct File {
    pub(crate) file: FileRef,
}

impl std::hash::Hash for File {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let key = self.file.storage.as_ref().map(|s| &s.file_key);
        (&self.file.url, &self.file.mime_type, &self.file.filename, key).hash(state);
    }
}

#[pymethods]
impl File {
    /// A file to send: its URL, and optionally its MIME type and name.
    #[new]
    #[pyo3(signature = (url, r#type=None, filename=None))]
    fn new(url: String, r#type: Option<String>, filename: Option<String>) -> Self {
        File { file: FileRef { url, mime_type: r#type, filename, ..FileRef::default() } }
    }

    /// A file from the JSON object a message carries (`{url?, type, filename, storage?,
    /// textContent?}`, e.g. `File.json` kept from earlier).
    #[staticmethod]
    fn from_json(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let v = values::to_json(obj, "the file")?;
        if !v.is_object() {
            return Err(PyTypeError::new_err("a file must be a dict"));
        }
        match FileRef::from_json(&v).filter(FileRef::is_reachable) {
            Some(file) => Ok(File { file }),
            None => Err(crate::errors::to_py(captivate_binding::BindingError::invalid(
                "a file needs a url or the storage of an upload",
            ))),
        }
    }

    /// Where the file can be downloaded; None for a stored upload (see `storage` and `link`).
    #[getter]
    fn url(&self) -> Option<&str> {
        (!self.file.url.is_empty()).then_some(self.file.url.as_str())
    }

    /// Its MIME type, when known.
    #[getter]
    fn r#type(&self) -> Option<&str> {
        self.file.mime_type.as_deref()
    }

    /// Its file name, when known.
    #[getter]
    fn filename(&self) -> Option<&str> {
        self.file.filename.as_deref()
    }

    /// Where the file-to-text service keeps it, for a stored upload.
    #[getter]
    fn storage(&self) -> Option<FileStorage> {
        self.file.storage.clone().map(|storage| FileStorage { storage })
    }

    /// The extracted text as the message carries it: `{"type": "file_content", "text",
    /// "metadata"}`, when given.
    #[getter]
    fn text_content(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.file.text_content.as_ref().map(|v| values::to_py(py, v)).transpose()
    }

    /// The extracted text (`text_content["text"]`), when given.
    #[getter]
    fn text(&self) -> Option<&str> {
        self.file.text_content.as_ref()?.get("text")?.as_str()
    }

    /// The link to download it: its URL, else the presigned link of its storage.
    #[getter]
    fn link(&self) -> Option<&str> {
        self.file.link()
    }

    /// The JSON object a message carries for it.
    #[getter]
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.file.to_json())
    }

    fn __repr__(&self) -> String {
        let mut s = format!(
            "File(url={}, type={}, filename={}",
            quoted_opt(self.url()),
            quoted_opt(self.file.mime_type.as_deref()),
            quoted_opt(self.file.filename.as_deref())
        );
        if let Some(st) = &self.file.storage {
            s.push_str(&format!(", file_key={}", quoted(&st.file_key)));
        }
        s.push(')');
        s
    }
}

/// Where the file-to-text service keeps an uploaded file.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(Clone, PartialEq)]
pub(crate) struct FileStorage {
    storage: captivate::FileStorage,
}

#[pymethods]
impl FileStorage {
    /// The file's key in the store (for `Client.presigned_url`).
    #[getter]
    fn file_key(&self) -> &str {
        &self.storage.file_key
    }

    /// A link to the file, working until `expires_at`.
    #[getter]
    fn presigned_url(&self) -> Option<&str> {
        self.storage.presigned_url.as_deref()
    }

    /// When the link expires, in unix seconds (`expiresIn` on the wire).
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.storage.expires_in
    }

    /// The file's size in bytes.
    #[getter]
    fn file_size(&self) -> Option<u64> {
        self.storage.file_size
    }

    /// How long the service took, as it reports it.
    #[getter]
    fn processing_time(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.storage.processing_time.as_ref().map(|v| values::to_py(py, v)).transpose()
    }

    fn __repr__(&self) -> String {
        let expires = self.storage.expires_in.map_or_else(|| "None".to_owned(), |e| e.to_string());
        format!("FileStorage(file_key={}, expires_at={expires})", quoted(&self.storage.file_key))
    }
}

/// A text item of a message.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct TextItem {
    /// The text.
    #[pyo3(get)]
    text: String,
}

#[pymethods]
impl TextItem {
    fn __repr__(&self) -> String {
        format!("TextItem(text={:?})", self.text)
    }
}

/// One button: what the user sees, and what to send back when it is chosen.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct ButtonOption {
    /// What the user sees.
    #[pyo3(get)]
    label: String,
    /// What to send as the user's message when chosen.
    #[pyo3(get)]
    value: String,
}

#[pymethods]
impl ButtonOption {
    fn __repr__(&self) -> String {
        format!("ButtonOption(label={:?}, value={:?})", self.label, self.value)
    }
}

fn options<'a>(py: Python<'_>, buttons: impl Iterator<Item = &'a captivate::Buttons>) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for o in buttons.flat_map(|b| b.options.iter()) {
        list.append(ButtonOption { label: o.label.clone(), value: o.value.clone() })?;
    }
    Ok(list.unbind())
}

/// Every button option of a message's content, in order.
pub(crate) fn button_options(py: Python<'_>, content: &[ContentItem]) -> PyResult<Py<PyList>> {
    options(
        py,
        content.iter().filter_map(|i| match i {
            ContentItem::Buttons(b) => Some(b),
            _ => None,
        }),
    )
}

/// Buttons offered by the bot.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct ButtonsItem {
    buttons: captivate::Buttons,
}

#[pymethods]
impl ButtonsItem {
    /// The prompt shown above the buttons.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.buttons.title.as_deref()
    }

    /// The choices.
    #[getter]
    fn options(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        options(py, std::iter::once(&self.buttons))
    }

    fn __repr__(&self) -> String {
        let labels: Vec<&str> = self.buttons.options.iter().map(|o| o.label.as_str()).collect();
        format!("ButtonsItem(title={}, options={labels:?})", quoted_opt(self.buttons.title.as_deref()))
    }
}

/// Cards; their shape is not fixed by the protocol, so they come as JSON values.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct CardsItem {
    value: Value,
}

#[pymethods]
impl CardsItem {
    /// The cards as the hub sent them.
    #[getter]
    fn cards(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.value)
    }

    fn __repr__(&self) -> String {
        format!("CardsItem(cards={})", self.value)
    }
}

fn files(py: Python<'_>, files: &[FileRef]) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for f in files {
        list.append(File { file: f.clone() })?;
    }
    Ok(list.unbind())
}

/// Files sent by the bot or an agent.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct FilesItem {
    list: Vec<FileRef>,
}

#[pymethods]
impl FilesItem {
    /// The files.
    #[getter]
    fn files(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        files(py, &self.list)
    }

    fn __repr__(&self) -> String {
        let urls: Vec<&str> = self.list.iter().filter_map(FileRef::link).collect();
        format!("FilesItem(files={urls:?})")
    }
}

/// A content item of a type this library does not know, as the hub sent it.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct UnknownItem {
    item_type: Option<String>,
    value: Value,
}

#[pymethods]
impl UnknownItem {
    /// The item's `type`, when it has one.
    #[getter]
    fn r#type(&self) -> Option<&str> {
        self.item_type.as_deref()
    }

    /// The whole item.
    #[getter]
    fn raw(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.value)
    }

    fn __repr__(&self) -> String {
        format!("UnknownItem(type={})", quoted_opt(self.item_type.as_deref()))
    }
}

/// A content item as its class.
pub(crate) fn item(py: Python<'_>, i: &ContentItem) -> PyResult<Py<PyAny>> {
    Ok(match i {
        ContentItem::Text { text } => Py::new(py, TextItem { text: text.clone() })?.into_any(),
        ContentItem::Buttons(b) => Py::new(py, ButtonsItem { buttons: b.clone() })?.into_any(),
        ContentItem::Cards { cards } => Py::new(py, CardsItem { value: cards.clone() })?.into_any(),
        ContentItem::Files { files } => Py::new(py, FilesItem { list: files.clone() })?.into_any(),
        ContentItem::Unknown { item_type, raw } => {
            Py::new(py, UnknownItem { item_type: item_type.clone(), value: raw.clone() })?.into_any()
        }
        // A kind added to the core later: shown as it would be sent.
        other => {
            Py::new(py, UnknownItem { item_type: Some(other.kind().to_owned()), value: other.to_json() })?.into_any()
        }
    })
}

/// Content items as a list of their classes.
pub(crate) fn items(py: Python<'_>, items: &[ContentItem]) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for i in items {
        list.append(item(py, i)?)?;
    }
    Ok(list.unbind())
}

/// An action: its id (e.g. `redirectToContactUs`), type and data.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct Action {
    action: captivate::Action,
}

#[pymethods]
impl Action {
    /// The action's id.
    #[getter]
    fn id(&self) -> &str {
        &self.action.id
    }

    /// The action's type (`normal` unless the flow says otherwise).
    #[getter]
    fn r#type(&self) -> &str {
        &self.action.action_type
    }

    /// Its data (a dict, empty when none).
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.action.data)
    }

    fn __repr__(&self) -> String {
        format!("Action(id={:?}, type={:?})", self.action.id, self.action.action_type)
    }
}

/// Actions as a list of their class.
pub(crate) fn actions(py: Python<'_>, actions: &[captivate::Action]) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for a in actions {
        list.append(Action { action: a.clone() })?;
    }
    Ok(list.unbind())
}

/// A connection state: `state` is `initialized`, `connecting`, `connected`, `disconnected`,
/// `suspended`, `closing`, `closed` or `failed`.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct ConnectionState {
    pub(crate) state: captivate::ConnectionState,
}

#[pymethods]
impl ConnectionState {
    /// The state's name.
    #[getter]
    fn state(&self) -> &'static str {
        self.state.name()
    }

    /// The attempt number (`connecting`: counting from 1; `disconnected`: failed in a row).
    #[getter]
    fn attempt(&self) -> Option<u32> {
        match &self.state {
            captivate::ConnectionState::Connecting { attempt }
            | captivate::ConnectionState::Disconnected { attempt, .. } => Some(*attempt),
            _ => None,
        }
    }

    /// Seconds until the next attempt (`disconnected`, `suspended`).
    #[getter]
    fn retry_in(&self) -> Option<f64> {
        match &self.state {
            captivate::ConnectionState::Disconnected { retry_in, .. }
            | captivate::ConnectionState::Suspended { retry_in } => Some(retry_in.as_secs_f64()),
            _ => None,
        }
    }

    /// Milliseconds until the next attempt, whole (as in the canonical JSON).
    #[getter]
    fn retry_in_ms(&self) -> Option<u64> {
        match &self.state {
            captivate::ConnectionState::Disconnected { retry_in, .. }
            | captivate::ConnectionState::Suspended { retry_in } => Some(retry_in.as_millis() as u64),
            _ => None,
        }
    }

    /// The hub's id of the socket (`connected`).
    #[getter]
    fn socket_id(&self) -> Option<&str> {
        match &self.state {
            captivate::ConnectionState::Connected { socket_id } => Some(socket_id),
            _ => None,
        }
    }

    /// True in `connected`.
    #[getter]
    fn is_connected(&self) -> bool {
        self.state.is_connected()
    }

    fn __repr__(&self) -> String {
        format!("ConnectionState({:?})", self.state.name())
    }
}

/// One entry of a transcript. `sender` is `user`, `bot`, `agent` or the hub's own value.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct TranscriptEntry {
    entry: captivate::TranscriptEntry,
}

#[pymethods]
impl TranscriptEntry {
    /// Who wrote it.
    #[getter]
    fn sender(&self) -> &str {
        self.entry.from.as_str()
    }

    /// Its text items joined with newlines, if it has any.
    #[getter]
    fn text(&self) -> Option<String> {
        self.entry.text()
    }

    /// Its content items.
    #[getter]
    fn items(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        items(py, &self.entry.messages)
    }

    /// Actions attached to it.
    #[getter]
    fn actions(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        actions(py, &self.entry.actions)
    }

    /// Files attached to it.
    #[getter]
    fn files(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        files(py, &self.entry.files)
    }

    /// The hub's event id, when given.
    #[getter]
    fn event_id(&self) -> Option<&str> {
        self.entry.event_id.as_deref()
    }

    /// The message id, when given.
    #[getter]
    fn message_id(&self) -> Option<&str> {
        self.entry.message_id.as_deref()
    }

    /// The channel's name in the hub, when given.
    #[getter]
    fn channel_name(&self) -> Option<&str> {
        self.entry.channel_name.as_deref()
    }

    /// The chatbot's name in the hub, when given.
    #[getter]
    fn chatbot_name(&self) -> Option<&str> {
        self.entry.chatbot_name.as_deref()
    }

    /// The live-chat integration's name, when given.
    #[getter]
    fn livechat_name(&self) -> Option<&str> {
        self.entry.livechat_name.as_deref()
    }

    /// The entry as the hub sent it.
    #[getter]
    fn raw(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.entry.raw)
    }

    fn __repr__(&self) -> String {
        format!("TranscriptEntry(sender={}, text={})", quoted(self.sender()), quoted_opt(self.entry.text().as_deref()))
    }
}

/// Transcript entries as a list of their class.
pub(crate) fn entries(py: Python<'_>, t: &captivate::Transcript) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for e in &t.entries {
        list.append(TranscriptEntry { entry: e.clone() })?;
    }
    Ok(list.unbind())
}

/// Python's sequence protocol over results: an int (negative from the end) gives one item, a
/// slice a list, as a list would.
fn item_at<'py, T, C>(
    py: Python<'py>,
    items: &[T],
    index: &Bound<'py, PyAny>,
    make: impl Fn(&T) -> C,
) -> PyResult<Py<PyAny>>
where
    C: IntoPyObject<'py>,
{
    if let Ok(i) = index.extract::<isize>() {
        let n = items.len() as isize;
        let at = if i < 0 { i + n } else { i };
        return match usize::try_from(at).ok().and_then(|at| items.get(at)) {
            Some(item) => make(item).into_py_any(py),
            None => Err(PyIndexError::new_err("index out of range")),
        };
    }
    let all = PyList::empty(py);
    for item in items {
        all.append(make(item))?;
    }
    Ok(all.as_any().get_item(index)?.unbind())
}

/// `==` (or, with `negate`, `!=`) of a sequence of results: with another of its class (`same`
/// tells), or with a list (equal to the list of its items, as `list` makes it); anything else
/// is not comparable (`NotImplemented`).
fn compare<'py, T>(
    py: Python<'py>,
    other: &Bound<'py, PyAny>,
    same: impl FnOnce(&T) -> bool,
    list: impl FnOnce() -> PyResult<Py<PyList>>,
    negate: bool,
) -> PyResult<Py<PyAny>>
where
    T: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync,
{
    let equal = if let Ok(o) = other.cast::<T>() {
        same(o.get())
    } else if other.is_instance_of::<PyList>() {
        list()?.bind(py).as_any().eq(other)?
    } else {
        return Ok(py.NotImplemented());
    };
    (equal != negate).into_py_any(py)
}

/// An iterator over a fresh list of results.
fn iterate(list: Py<PyList>, py: Python<'_>) -> PyResult<Py<PyIterator>> {
    Ok(list.into_bound(py).try_iter()?.unbind())
}

/// A conversation's transcript, oldest first: a sequence of [`TranscriptEntry`] (`len`,
/// iteration, indexing and slicing, `==` with another transcript or a list of entries), with
/// the entries as the hub sent them (`raw`).
#[pyclass(frozen, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct Transcript {
    pub(crate) transcript: captivate::Transcript,
}

#[pymethods]
impl Transcript {
    /// The entries.
    #[getter]
    fn entries(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        entries(py, &self.transcript)
    }

    /// Every entry as the hub sent it, oldest first.
    #[getter]
    fn raw(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let all: Vec<Value> = self.transcript.entries.iter().map(|e| Value::clone(&e.raw)).collect();
        values::to_py(py, &Value::Array(all))
    }

    fn __len__(&self) -> usize {
        self.transcript.entries.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        item_at(py, &self.transcript.entries, index, |e| TranscriptEntry { entry: e.clone() })
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyIterator>> {
        iterate(entries(py, &self.transcript)?, py)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let same = |o: &Transcript| o.transcript == self.transcript;
        compare(py, other, same, || entries(py, &self.transcript), false)
    }

    fn __ne__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let same = |o: &Transcript| o.transcript == self.transcript;
        compare(py, other, same, || entries(py, &self.transcript), true)
    }

    fn __repr__(&self) -> String {
        format!("<captivate.Transcript of {} entries>", self.transcript.entries.len())
    }
}

/// A conversation in a listing.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct ConversationSummary {
    summary: captivate::ConversationSummary,
}

#[pymethods]
impl ConversationSummary {
    /// The conversation's id.
    #[getter]
    fn conversation_id(&self) -> &str {
        &self.summary.conversation_id
    }

    /// Its metadata.
    #[getter]
    fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.summary.metadata)
    }

    /// The API key it belongs to, when the hub says (listings over several keys).
    #[getter]
    fn api_key(&self) -> Option<&str> {
        self.summary.api_key.as_deref()
    }

    fn __repr__(&self) -> String {
        format!("ConversationSummary(conversation_id={:?})", self.summary.conversation_id)
    }
}

/// Paging information of a listing.
#[pyclass(frozen, eq, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct Pagination {
    pub(crate) pagination: captivate::Pagination,
}

#[pymethods]
impl Pagination {
    /// This page's number (from 1).
    #[getter]
    fn page(&self) -> u64 {
        self.pagination.page
    }

    /// Items per page.
    #[getter]
    fn page_size(&self) -> u64 {
        self.pagination.page_size
    }

    /// Total number of items.
    #[getter]
    fn total(&self) -> u64 {
        self.pagination.total
    }

    /// Total number of pages.
    #[getter]
    fn total_pages(&self) -> u64 {
        self.pagination.total_pages
    }

    /// Whether a next page exists.
    #[getter]
    fn has_next_page(&self) -> bool {
        self.pagination.has_next_page
    }

    /// Whether a previous page exists.
    #[getter]
    fn has_prev_page(&self) -> bool {
        self.pagination.has_prev_page
    }

    fn __repr__(&self) -> String {
        format!("Pagination(page={}, total_pages={})", self.pagination.page, self.pagination.total_pages)
    }
}

/// The conversations of a listing.
pub(crate) fn summaries(py: Python<'_>, l: &captivate::ConversationList) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for c in &l.conversations {
        list.append(ConversationSummary { summary: c.clone() })?;
    }
    Ok(list.unbind())
}

/// The paging of a listing, when the hub sent it.
pub(crate) fn pagination(l: &captivate::ConversationList) -> Option<Pagination> {
    l.pagination.clone().map(|pagination| Pagination { pagination })
}

/// The hub's JSON of a listing (the `user_conversations` payload): `{"conversations": [each
/// entry as the hub sent it], "pagination"?: {"hasNextPage", "hasPrevPage", "page",
/// "pageSize", "total", "totalPages"}}`.
pub(crate) fn list_raw(l: &captivate::ConversationList) -> Value {
    let conversations: Vec<Value> = l.conversations.iter().map(|c| c.raw.clone()).collect();
    let mut payload = serde_json::Map::new();
    payload.insert("conversations".into(), Value::Array(conversations));
    if let Some(p) = &l.pagination {
        payload.insert("pagination".into(), p.to_json());
    }
    Value::Object(payload)
}

/// A page of a user's conversations: a sequence of [`ConversationSummary`] (`len`,
/// iteration, indexing and slicing, `==` with another listing or a list of summaries), with its
/// `pagination` and the hub's JSON (`raw`).
#[pyclass(frozen, module = "captivate")]
#[derive(PartialEq)]
pub(crate) struct ConversationList {
    pub(crate) list: captivate::ConversationList,
}

#[pymethods]
impl ConversationList {
    /// The conversations.
    #[getter]
    fn conversations(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        summaries(py, &self.list)
    }

    /// Paging information, when the hub sent it.
    #[getter]
    fn pagination(&self) -> Option<Pagination> {
        pagination(&self.list)
    }

    fn __len__(&self) -> usize {
        self.list.conversations.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        item_at(py, &self.list.conversations, index, |c| ConversationSummary { summary: c.clone() })
    }

    /// The listing as the hub's JSON: `{"conversations": [each entry as the hub sent it,
    /// fields the library does not read included], "pagination"?: {...}}`.
    #[getter]
    fn raw(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &list_raw(&self.list))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyIterator>> {
        iterate(summaries(py, &self.list)?, py)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let same = |o: &ConversationList| o.list == self.list;
        compare(py, other, same, || summaries(py, &self.list), false)
    }

    fn __ne__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let same = |o: &ConversationList| o.list == self.list;
        compare(py, other, same, || summaries(py, &self.list), true)
    }

    fn __repr__(&self) -> String {
        format!("<captivate.ConversationList of {} conversations>", self.list.conversations.len())
    }
}

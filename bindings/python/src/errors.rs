//! The binding layer's errors as the package's exceptions: one flat hierarchy under
//! `CaptivateError`, one class per kind of [`captivate_binding::errors::kinds`]. The classes
//! are written in Python (`captivate/_errors.py`) and handed over once at import with
//! [`register_errors`]; from then on the native code raises them itself.

use captivate_binding::BindingError;
use captivate_binding::errors::kinds;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::values;

/// The exception class of each code, as registered by the package.
static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Every kind of error: `(code, class name, meaning)`, in the order of their C result codes.
#[pyfunction]
pub(crate) fn error_kinds() -> Vec<(&'static str, &'static str, &'static str)> {
    kinds().into_iter().map(|k| (k.code, k.class, k.doc)).collect()
}

/// Registers the exception class of every code (`{code: class}`); each is called as
/// `cls(message, details)`. Called once, by the package at import.
#[pyfunction]
pub(crate) fn register_errors(py: Python<'_>, classes: Bound<'_, PyDict>) -> PyResult<()> {
    for k in kinds() {
        if classes.get_item(k.code)?.is_none() {
            return Err(PyRuntimeError::new_err(format!("no exception class for the code {:?}", k.code)));
        }
    }
    let _ = CLASSES.set(py, classes.unbind());
    Ok(())
}

/// The exception of `e`, as an instance (to raise, or to set on a future).
pub(crate) fn instance<'py>(py: Python<'py>, e: &BindingError) -> PyResult<Bound<'py, PyAny>> {
    let details = values::to_py(py, &e.details)?;
    match CLASSES.get(py).map(|c| c.bind(py).get_item(e.code())).transpose()?.flatten() {
        Some(cls) => cls.call1((e.message.as_str(), details)),
        None => {
            Ok(PyRuntimeError::new_err(format!("{}: {}", e.code(), e.message)).into_value(py).into_bound(py).into_any())
        }
    }
}

/// `e` as a Python exception to return from a native function.
pub(crate) fn to_py(e: BindingError) -> PyErr {
    Python::attach(|py| match instance(py, &e) {
        Ok(exc) => PyErr::from_value(exc),
        Err(failed) => failed,
    })
}

/// A core error as a Python exception.
pub(crate) fn core(e: captivate::Error) -> PyErr {
    to_py(BindingError::from(e))
}

//! Node bindings (work in progress).

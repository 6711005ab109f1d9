//! libcaptivate (work in progress).

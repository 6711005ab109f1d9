//! captivate

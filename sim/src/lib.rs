//! The local Captivate hub.

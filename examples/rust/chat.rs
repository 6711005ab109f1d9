//! The demo conversation. fn main(){}
fn main() {}

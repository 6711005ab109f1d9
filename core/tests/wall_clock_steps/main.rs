//! The wall clock of a client process is stepped an hour forward, back, and an hour behind
//! while its requests are in flight (what NTP does on a device that booted with a wrong clock):
//! every request completes and the connection stays up.
//!
//! The client is this same binary run as a child process, with `shim.c` preloaded: the shim
//! moves what `clock_gettime(CLOCK_REALTIME)`, `gettimeofday` and `time` return by the seconds
//! written in a file, while the monotonic and boot-time clocks go on untouched. The hub (`sim`)
//! runs here and holds its replies back, so that the requests are in flight across each step.
//!
//! A real suspend cannot be made in a test; the clock's counting of suspended time is covered
//! by the unit tests of the driver's clock.
//!
//! Linux only (the shim relies on `LD_PRELOAD`); the test binary has no harness of its own, so
//! that the child process can run the client from `main`.

#[cfg(target_os = "linux")]
mod client;
#[cfg(target_os = "linux")]
mod hub_side;

/// Set in the child process: the URL of the hub to connect to.
#[cfg(target_os = "linux")]
const CHILD_URL: &str = "CAPTIVATE_CLOCK_STEP_CHILD_URL";

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("wall_clock_steps: test");
        return;
    }
    #[cfg(target_os = "linux")]
    {
        if let Ok(url) = std::env::var(CHILD_URL) {
            client::run(&url);
        } else {
            println!("\nrunning 1 test");
            hub_side::run();
            println!("test wall_clock_steps ... ok\n");
            println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n");
        }
    }
    #[cfg(not(target_os = "linux"))]
    println!(
        "\nrunning 1 test\ntest wall_clock_steps ... ignored (Linux only)\n\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n"
    );
}

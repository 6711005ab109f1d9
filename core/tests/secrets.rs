//! The API key never appears in a log line, an error message or a `Debug` print, whatever
//! happens: a good session, drops and reconnects, a rejected key, a TLS failure, bad URLs.
//! Every record is captured at TRACE, those that dependencies write through the `log` crate
//! (tungstenite, rustls) included.

mod support;

use std::time::Duration;

use captivate::{Client, Config, StartMode, StartOptions};
use captivate_sim::{Sim, SimConfig};
use support::logs::Captured;

const KEY: &str = "sk-live-Zq8uKe7Ww3s9";

#[tokio::test]
async fn the_api_key_is_never_shown() {
    let logs = Captured::install();

    let sim = Sim::start(SimConfig { api_key: KEY.into(), ..SimConfig::default() }).await.unwrap();
    let mut seen = String::new();
    let mut config = Config::new(KEY).url(sim.base_url());
    config.timings.reconnect.initial_delay = Duration::from_millis(50);
    seen += &format!("{config:?}");

    let client = Client::connect(config.clone()).await.unwrap();
    seen += &format!("{client:?}");
    let conv =
        client.start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("u") }).await.unwrap();
    let mut events = client.events();
    sim.drop_connections();
    sim.restart(Duration::from_millis(200)).await;
    while let Some(e) = events.next_timeout(Duration::from_secs(5)).await {
        seen += &format!("{e:?}");
        if matches!(&e, captivate::Event::State(s) if s.current.is_connected()) {
            break;
        }
    }
    conv.send_message("hi").await.unwrap();
    client.close().await;

    // A wrong key, a refused port, a TLS hub without its certificate, an invalid URL.
    let mut wrong = config.clone();
    wrong.api_key = captivate::ApiKey::new(format!("{KEY}-wrong"));
    let e = Client::connect(wrong).await.unwrap_err();
    seen += &format!("{e} {e:?}");
    let e = Client::connect(Config::new(KEY).url("ws://127.0.0.1:1/dev")).await.unwrap_err();
    seen += &format!("{e} {e:?}");
    let tls = Sim::start(SimConfig { api_key: KEY.into(), tls: true, ..SimConfig::default() }).await.unwrap();
    let e = Client::connect(Config::new(KEY).url(tls.base_url())).await.unwrap_err();
    seen += &format!("{e} {e:?}");
    let e = Client::connect(Config::new(KEY).url(format!("{}?apiKey={KEY}", sim.base_url()))).await.unwrap_err();
    seen += &format!("{e} {e:?}");

    let logs = logs.text();
    assert!(logs.contains("connection lost"), "the logs were captured: {logs}");
    assert!(logs.contains("tungstenite"), "the log crate's records were captured too: {logs}");
    assert!(!logs.contains(KEY), "the key leaked into the logs:\n{logs}");
    assert!(!seen.contains(KEY), "the key leaked into an error or a Debug print:\n{seen}");
}

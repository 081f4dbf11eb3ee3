//! A 100,000-user organisation: it generates and a full delta round completes over HTTP.

mod emulator_support;

use emulator_support::*;
use usersync::emulator::DemoConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_users_full_delta_round() {
    let t = start_with(DemoConfig {
        users: 100_000,
        ..DemoConfig::default()
    })
    .await;
    let c = client();
    let tok = token(&t, &c).await;
    let round = delta_round(
        &c,
        &delta_url(&t, SELECT),
        &tok,
        Some("odata.maxpagesize=999"),
    )
    .await;
    assert_eq!(round.items.len(), 100_000);
    assert_eq!(round.pages, 101);
    // The next delta is empty.
    let quiet = delta_round(&c, &round.delta_link, &tok, None).await;
    assert!(quiet.items.is_empty());
    t.shutdown().await;
}

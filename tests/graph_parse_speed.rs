//! How long parsing 100,000 users of delta pages takes. Prints the time, asserts none.
//! Ignored by default (it builds a 64 MB page); run it in release:
//! `cargo test --release --test graph_parse_speed -- --ignored --nocapture`

use std::time::Instant;

use usersync::graph::parse_delta_page;

#[test]
#[ignore = "timing probe; run in release with --ignored --nocapture"]
fn parse_100k_users() {
    let mut body =
        String::from(r#"{"@odata.deltaLink":"https://g/v1.0/users/delta?$deltatoken=x","value":["#);
    for i in 0..100_000 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"@odata.type":"{t}","id":"0000{i:08}-aaaa-bbbb-cccc-dddddddddddd","businessPhones":["+1 425 555 {i}"],"displayName":"Ünïcode Person {i}","givenName":"Person","jobTitle":"Senior Engineer","mail":"person{i}@contoso.onmicrosoft.com","mobilePhone":null,"officeLocation":"Building 7","surname":"Number {i}","userPrincipalName":"person{i}@contoso.onmicrosoft.com","department":"Research","companyName":"Contoso","employeeId":"{i}","city":"Seattle","country":"US","userType":"Member","accountEnabled":true,"manager@delta":[{{"@odata.type":"{t}","id":"0000{m:08}-aaaa-bbbb-cccc-dddddddddddd"}}]}}"#,
            t = "#microsoft.graph.user",
            m = i / 8
        ));
    }
    body.push_str("]}");
    let start = Instant::now();
    let page = parse_delta_page(body.as_bytes()).expect("parse");
    let took = start.elapsed();
    assert_eq!(page.users.len(), 100_000);
    println!(
        "parsed {} users ({} MB) in {:?}",
        page.users.len(),
        body.len() / 1_000_000,
        took
    );
}

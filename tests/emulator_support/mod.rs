//! Helpers shared by the `emulator_*` integration tests: start a demo tenant on a free
//! loopback port, get a token, and walk `/users/delta` rounds over real HTTP.
#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use usersync::emulator::{DemoConfig, DemoTenant};

pub async fn start_with(config: DemoConfig) -> DemoTenant {
    DemoTenant::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("demo tenant starts")
}

pub async fn start(users: usize) -> DemoTenant {
    start_with(DemoConfig {
        users,
        retry_after_secs: 0,
        ..DemoConfig::default()
    })
    .await
}

pub fn client() -> Client {
    Client::builder().build().unwrap()
}

pub fn token_url(t: &DemoTenant) -> String {
    format!("{}/{}/oauth2/v2.0/token", t.authority_url(), t.tenant_id())
}

pub fn scope(t: &DemoTenant) -> String {
    format!("{}/.default", t.graph_url())
}

/// Posts a client-credentials form and returns status and JSON body.
pub async fn token_request(c: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = c.post(url).form(form).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

pub async fn token(t: &DemoTenant, c: &Client) -> String {
    let scope = scope(t);
    let (status, body) = token_request(
        c,
        &token_url(t),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", t.client_id()),
            ("client_secret", t.client_secret()),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

pub async fn get(
    c: &Client,
    url: &str,
    token: &str,
    prefer: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = c.get(url).bearer_auth(token);
    if let Some(p) = prefer {
        req = req.header("Prefer", p);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, body)
}

/// One delta round from `url` (a fresh delta URL or a deltaLink) to its deltaLink.
pub struct Round {
    pub items: Vec<Value>,
    pub delta_link: String,
    pub pages: usize,
    pub empty_pages: usize,
}

pub async fn delta_round(c: &Client, url: &str, token: &str, prefer: Option<&str>) -> Round {
    let mut url = url.to_string();
    let mut round = Round {
        items: Vec::new(),
        delta_link: String::new(),
        pages: 0,
        empty_pages: 0,
    };
    loop {
        let (status, _, body) = get(c, &url, token, prefer).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        round.pages += 1;
        assert!(round.pages < 10_000, "runaway round");
        let value = body["value"].as_array().expect("value array").clone();
        if value.is_empty() {
            round.empty_pages += 1;
        }
        round.items.extend(value);
        let next = body["@odata.nextLink"].as_str();
        let delta = body["@odata.deltaLink"].as_str();
        assert!(
            next.is_some() != delta.is_some(),
            "exactly one link: {body}"
        );
        if let Some(d) = delta {
            round.delta_link = d.to_string();
            return round;
        }
        url = next.unwrap().to_string();
    }
}

pub fn delta_url(t: &DemoTenant, select: &str) -> String {
    format!("{}/v1.0/users/delta?$select={select}", t.graph_url())
}

pub const SELECT: &str = "id,displayName,givenName,surname,userPrincipalName,mail,jobTitle,department,accountEnabled,userType,manager";

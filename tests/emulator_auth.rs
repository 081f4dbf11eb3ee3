//! The demo tenant's token endpoint (success and each AADSTS error), Graph's bearer check,
//! permissions, the OpenID configuration document, and the control API over HTTP.

mod emulator_support;

use emulator_support::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// Asserts the documented AADSTS error shape and returns the body.
fn assert_aadsts(status: StatusCode, body: &Value, want_status: u16, error: &str, code: u64) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(
        desc.starts_with(&format!("AADSTS{code}: ")),
        "description starts with the code: {desc}"
    );
    assert!(desc.contains("Trace ID: ") && desc.contains("Correlation ID: "));
    assert_eq!(body["error_codes"], serde_json::json!([code]));
    for k in ["trace_id", "correlation_id"] {
        let v = body[k].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(v).is_ok(), "{k} is a GUID: {v}");
    }
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(
        body["error_uri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/error?code={code}"))
    );
}

#[tokio::test]
async fn token_success_by_guid_and_by_domain() {
    let t = start(20).await;
    let c = client();
    let scope = scope(&t);
    for tenant in [t.tenant_id().to_string(), t.tenant_domain().to_string()] {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", t.authority_url());
        let (status, body) = token_request(
            &c,
            &url,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", t.client_id()),
                ("client_secret", t.client_secret()),
                ("scope", &scope),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["ext_expires_in"], 3599);
        assert!(body["access_token"].as_str().unwrap().len() > 40);
    }
    assert!(t.tenant_domain().starts_with("demo-"));
    assert!(t.tenant_domain().ends_with(".onmicrosoft.com"));
    assert_eq!(t.client_secret().len(), 40);
    assert!(uuid::Uuid::parse_str(t.secret_id()).is_ok());
    let creds = t.credentials_json();
    assert_eq!(creds["tenantId"], t.tenant_id());
    assert_eq!(creds["clientSecret"], t.client_secret());
    assert_eq!(creds["graphUrl"], t.graph_url());
    t.shutdown().await;
}

#[tokio::test]
async fn every_token_error_has_the_documented_shape() {
    let t = start(10).await;
    let c = client();
    let good_scope = scope(&t);
    let url = token_url(&t);
    let (cid, secret) = (t.client_id().to_string(), t.client_secret().to_string());
    let form = |cid: &str, secret: &str, scope: &str| {
        vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".to_string(), cid.to_string()),
            ("client_secret".to_string(), secret.to_string()),
            ("scope".to_string(), scope.to_string()),
        ]
    };
    async fn send(
        c: &reqwest::Client,
        url: &str,
        form: &[(String, String)],
    ) -> (StatusCode, Value) {
        let r = c.post(url).form(form).send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    // Unknown tenant GUID, unknown domain, malformed tenant.
    for (tenant, code) in [
        ("11111111-2222-3333-4444-555555555555", 90002),
        ("nobody.onmicrosoft.com", 90002),
        ("not%20a%20tenant", 900023),
    ] {
        let u = format!("{}/{tenant}/oauth2/v2.0/token", t.authority_url());
        let (s, b) = send(&c, &u, &form(&cid, &secret, &good_scope)).await;
        assert_aadsts(s, &b, 400, "invalid_request", code);
    }
    // Unknown application.
    let (s, b) = send(
        &c,
        &url,
        &form("00000000-0000-0000-0000-000000000001", &secret, &good_scope),
    )
    .await;
    assert_aadsts(s, &b, 400, "unauthorized_client", 700016);
    // The secret ID pasted instead of the value, and a plain wrong secret.
    for wrong in [t.secret_id(), "wrong"] {
        let (s, b) = send(&c, &url, &form(&cid, wrong, &good_scope)).await;
        assert_aadsts(s, &b, 401, "invalid_client", 7000215);
        assert!(
            b["error_description"]
                .as_str()
                .unwrap()
                .contains("client secret value, not the client secret ID")
        );
    }
    // Wrong cloud: Graph global's scope sent to the demo tenant.
    let (s, b) = send(
        &c,
        &url,
        &form(&cid, &secret, "https://graph.microsoft.com/.default"),
    )
    .await;
    assert_aadsts(s, &b, 400, "invalid_resource", 500011);
    // Not a /.default scope.
    let (s, b) = send(
        &c,
        &url,
        &form(&cid, &secret, &format!("{}/User.Read.All", t.graph_url())),
    )
    .await;
    assert_aadsts(s, &b, 400, "invalid_scope", 1002012);
    // Missing and unsupported grant types.
    let (s, b) = token_request(&c, &url, &[("client_id", &cid)]).await;
    assert_aadsts(s, &b, 400, "invalid_request", 900144);
    let (s, b) = token_request(&c, &url, &[("grant_type", "password"), ("client_id", &cid)]).await;
    assert_aadsts(s, &b, 400, "unsupported_grant_type", 70003);
    // Missing secret.
    let (s, b) = token_request(
        &c,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &cid),
            ("scope", &good_scope),
        ],
    )
    .await;
    assert_aadsts(s, &b, 401, "invalid_client", 7000218);

    let ctl = t.control();
    ctl.set_secret_expired(true);
    let (s, b) = send(&c, &url, &form(&cid, &secret, &good_scope)).await;
    assert_aadsts(s, &b, 401, "invalid_client", 7000222);
    ctl.set_secret_expired(false);

    ctl.set_app_disabled(true);
    let (s, b) = send(&c, &url, &form(&cid, &secret, &good_scope)).await;
    assert_aadsts(s, &b, 400, "unauthorized_client", 7000112);
    ctl.set_app_disabled(false);

    ctl.set_conditional_access_block(true);
    let (s, b) = send(&c, &url, &form(&cid, &secret, &good_scope)).await;
    assert_eq!(b["error_codes"], serde_json::json!([530032]));
    assert!(s.is_client_error());
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS530032: ")
    );
    ctl.set_conditional_access_block(false);

    // And it works again.
    let (s, _) = send(&c, &url, &form(&cid, &secret, &good_scope)).await;
    assert_eq!(s, StatusCode::OK);

    // The correlation id echoes the client's client-request-id.
    let corr = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    let r = c
        .post(&url)
        .header("client-request-id", corr)
        .form(&form(&cid, "wrong", &good_scope))
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["correlation_id"], corr);
    t.shutdown().await;
}

#[tokio::test]
async fn graph_rejects_missing_unknown_expired_and_revoked_tokens() {
    let t = start(10).await;
    let c = client();
    let users = format!("{}/v1.0/users", t.graph_url());

    let r = c
        .get(&users)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");
    let inner = &b["error"]["innerError"];
    assert_eq!(inner["client-request-id"], "abc-123");
    assert!(uuid::Uuid::parse_str(inner["request-id"].as_str().unwrap()).is_ok());
    assert!(inner["date"].as_str().unwrap().len() >= 19);

    let (s, _, b) = get(&c, &users, "made-up", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["message"], "Access token validation failure.");

    let ok = token(&t, &c).await;
    let (s, _, _) = get(&c, &users, &ok, None).await;
    assert_eq!(s, StatusCode::OK);

    t.control().revoke_tokens();
    let (s, _, b) = get(&c, &users, &ok, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");

    t.control().set_token_lifetime(Duration::ZERO);
    let expired = token(&t, &c).await;
    let (s, _, b) = get(&c, &users, &expired, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        b["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    t.shutdown().await;
}

#[tokio::test]
async fn permissions_users_and_organization() {
    let t = start(10).await;
    let c = client();
    let tok = token(&t, &c).await;
    let base = t.graph_url();
    let ctl = t.control();

    ctl.set_users_permission(false);
    for path in ["/v1.0/users", "/v1.0/users/delta"] {
        let (s, _, b) = get(&c, &format!("{base}{path}"), &tok, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(b["error"]["code"], "Authorization_RequestDenied");
        assert_eq!(
            b["error"]["message"],
            "Insufficient privileges to complete the operation."
        );
    }
    ctl.set_users_permission(true);

    let org_url = format!("{base}/v1.0/organization");
    let (s, _, b) = get(&c, &org_url, &tok, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not permitted by default");
    assert_eq!(b["error"]["code"], "Authorization_RequestDenied");
    ctl.set_organization_permission(true);
    let (s, _, b) = get(&c, &org_url, &tok, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["value"][0]["id"], t.tenant_id());
    assert_eq!(b["value"][0]["displayName"], "Contoso Demo");
    assert_eq!(
        b["value"][0]["verifiedDomains"][0]["name"],
        t.tenant_domain()
    );
    t.shutdown().await;
}

#[tokio::test]
async fn openid_configuration_names_the_tenant_guid() {
    let t = start(5).await;
    let c = client();
    for tenant in [t.tenant_id(), t.tenant_domain()] {
        let url = format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            t.authority_url()
        );
        let b: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            b["issuer"],
            format!("{}/{}/v2.0", t.authority_url(), t.tenant_id())
        );
        assert_eq!(
            b["token_endpoint"],
            format!("{}/{}/oauth2/v2.0/token", t.authority_url(), t.tenant_id())
        );
        let jwks = b["jwks_uri"].as_str().unwrap().to_string();
        let keys: Value = c.get(&jwks).send().await.unwrap().json().await.unwrap();
        assert_eq!(keys["keys"][0]["kty"], "RSA");
    }
    let r = c
        .get(format!(
            "{}/99999999-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration",
            t.authority_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error_codes"], serde_json::json!([90002]));
    t.shutdown().await;
}

#[tokio::test]
async fn secrets_never_appear_in_urls() {
    let t = start(30).await;
    let c = client();
    let tok = token(&t, &c).await;
    let _ = delta_round(&c, &delta_url(&t, SELECT), &tok, None).await;
    let log = t.control().request_log();
    assert!(log.len() >= 2);
    assert!(
        log.iter()
            .any(|r| r.method == "POST" && r.path_and_query.contains("/oauth2/v2.0/token"))
    );
    for r in &log {
        assert!(!r.path_and_query.contains(t.client_secret()), "{r:?}");
        assert!(!r.path_and_query.contains(&tok), "{r:?}");
    }
    t.control().clear_request_log();
    assert!(t.control().request_log().is_empty());
    t.shutdown().await;
}

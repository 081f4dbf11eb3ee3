//! Every rule of the client form: what is accepted, and the message for what is not.

use usersync::client_input::{
    ClientForm, FieldName, check_client_id, check_cloud, check_endpoint_url, check_guard,
    check_name, check_secret, check_tenant_id, secret_warning,
};
use usersync::model::{Cloud, Secret};

fn good_form() -> ClientForm {
    ClientForm {
        name: "Contoso".into(),
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d".into(),
        secret: Some("abc8Q~value".into()),
        cloud: "global".into(),
        authority_url: None,
        graph_url: None,
        active: true,
        azure_sso: false,
        guard_max_users: 500,
        guard_max_percent: 20,
    }
}

#[test]
fn name_rules() {
    let long = "x".repeat(101);
    let exact = "é".repeat(100);
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("Contoso", Ok("Contoso")),
        ("  Contoso prod  ", Ok("Contoso prod")),
        (&exact, Ok(&exact)),
        ("", Err("required")),
        ("   ", Err("required")),
        (&long, Err("at most 100 characters (this one has 101)")),
        ("a\tb", Err("control characters")),
    ];
    for (input, want) in cases {
        let got = check_name(input);
        match want {
            Ok(v) => assert_eq!(got.as_deref(), Ok(*v), "input {input:?}"),
            Err(fragment) => {
                let msg = got.expect_err(input);
                assert!(msg.contains(fragment), "{input:?}: {msg}");
            }
        }
    }
}

#[test]
fn tenant_id_rules() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        (
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            Ok("72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ),
        (
            "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
            Ok("72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ),
        ("Contoso.OnMicrosoft.com", Ok("contoso.onmicrosoft.com")),
        ("contoso.com", Ok("contoso.com")),
        (" contoso.onmicrosoft.com ", Ok("contoso.onmicrosoft.com")),
        ("", Err("required")),
        ("common", Err("multi-tenant alias")),
        ("organizations", Err("multi-tenant alias")),
        (
            "72f988bf-86f1-41af-91ab-2d7cd011db4",
            Err("not a valid GUID"),
        ),
        ("72f988bf-86f1-41af-91ab", Err("not a valid GUID")),
        ("contoso", Err("has no dot")),
        (
            "https://login.microsoftonline.com/contoso",
            Err("not a URL"),
        ),
        ("con_toso.com", Err("only letters, digits, hyphens")),
        ("-contoso.com", Err("hyphen")),
        ("contoso.c0m", Err("top-level domain")),
        ("contoso..com", Err("empty or over-long part")),
    ];
    for (input, want) in cases {
        let got = check_tenant_id(input);
        match want {
            Ok(v) => assert_eq!(got.as_deref(), Ok(*v), "input {input:?}"),
            Err(fragment) => {
                let msg = got.expect_err(input);
                assert!(msg.contains(fragment), "{input:?}: {msg}");
            }
        }
    }
}

#[test]
fn client_id_rules() {
    assert_eq!(
        check_client_id(" 1B4C5D6E-7F80-4A1B-9C2D-3E4F5A6B7C8D ").as_deref(),
        Ok("1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d")
    );
    for (input, fragment) in [
        ("", "required"),
        ("my-app", "not a GUID"),
        ("1b4c5d6e7f804a1b9c2d3e4f5a6b7c8d", "not a GUID"),
        ("1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8g", "not a GUID"),
    ] {
        let msg = check_client_id(input).expect_err(input);
        assert!(msg.contains(fragment), "{input:?}: {msg}");
        assert!(
            msg.contains("Application (client) ID"),
            "says what to paste: {msg}"
        );
    }
}

#[test]
fn secret_rules() {
    assert_eq!(
        check_secret("  abc8Q~value \n").map(|s| s.expose().to_string()),
        Ok("abc8Q~value".to_string())
    );
    for (input, fragment) in [
        ("", "required"),
        ("  \n", "required"),
        ("two\nlines", "single line"),
    ] {
        let msg = check_secret(input).expect_err(input);
        assert!(msg.contains(fragment), "{input:?}: {msg}");
    }
    let long = "s".repeat(1025);
    assert!(check_secret(&long).is_err());
    assert!(secret_warning(&Secret::new("8f2b1c3d-1111-2222-3333-444455556666")).is_some());
    assert!(secret_warning(&Secret::new("abc8Q~value")).is_none());
}

#[test]
fn endpoint_url_rules() {
    let ok = [
        ("https://login.example.com/", "https://login.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9/", "http://localhost:9"),
        ("http://[::1]:9", "http://[::1]:9"),
        (
            "https://proxy.example.com/graph",
            "https://proxy.example.com/graph",
        ),
    ];
    for (input, want) in ok {
        assert_eq!(
            check_endpoint_url(input, "https://x").as_deref(),
            Ok(want),
            "{input}"
        );
    }
    for (input, fragment) in [
        ("", "required for a custom cloud"),
        ("login.example.com", "not a valid URL"),
        (
            "http://login.example.com",
            "plain http is allowed only to this machine",
        ),
        (
            "http://10.0.0.5",
            "plain http is allowed only to this machine",
        ),
        ("ftp://example.com", "must be https"),
        ("https://example.com/?x=1", "must not contain a query"),
        ("https://user:pw@example.com", "user name or password"),
    ] {
        let msg = check_endpoint_url(input, "https://x").expect_err(input);
        assert!(msg.contains(fragment), "{input:?}: {msg}");
    }
}

#[test]
fn cloud_rules_and_documented_hosts() {
    let hosts = [
        (
            "global",
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ),
        (
            "usgov",
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us",
        ),
        (
            "usgov-dod",
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us",
        ),
        (
            "china",
            "https://login.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
    ];
    for (slug, authority, graph) in hosts {
        let cloud = check_cloud(slug, None, None).expect(slug);
        let e = cloud.endpoints();
        assert_eq!(
            (e.authority_url.as_str(), e.graph_url.as_str()),
            (authority, graph)
        );
        assert_eq!(cloud.slug(), slug);
    }
    let custom = check_cloud(
        "custom",
        Some("http://127.0.0.1:1/"),
        Some("http://127.0.0.1:2"),
    )
    .expect("custom");
    assert_eq!(
        custom,
        Cloud::Custom {
            authority_url: "http://127.0.0.1:1".into(),
            graph_url: "http://127.0.0.1:2".into()
        }
    );
    let errs = check_cloud("custom", None, Some("http://example.com")).expect_err("custom");
    let fields: Vec<FieldName> = errs.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec![FieldName::AuthorityUrl, FieldName::GraphUrl]);
    let errs = check_cloud("global", Some("https://x.example.com"), None).expect_err("global");
    assert_eq!(errs[0].field, FieldName::AuthorityUrl);
    assert!(errs[0].message.contains("only used with the custom cloud"));
    let errs = check_cloud("mars", None, None).expect_err("mars");
    assert!(errs[0].message.contains("expected one of global, usgov"));
}

#[test]
fn guard_rules() {
    let g = check_guard(0, 0).expect("zero blocks every deletion");
    assert_eq!(g.limit_for(1000), 0);
    let g = check_guard(500, 20).expect("defaults");
    assert_eq!(g.limit_for(1000), 200, "20% of 1000 is smaller than 500");
    assert_eq!(g.limit_for(10_000), 500, "500 is smaller than 20% of 10000");
    let errs = check_guard(-1, 101).expect_err("both out of range");
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].field, FieldName::GuardMaxUsers);
    assert_eq!(errs[1].field, FieldName::GuardMaxPercent);
}

#[test]
fn whole_form_reports_every_bad_field_at_once() {
    assert!(good_form().check(true).is_ok());
    let form = ClientForm {
        name: " ".into(),
        tenant_id: "common".into(),
        client_id: "nope".into(),
        secret: None,
        cloud: "custom".into(),
        guard_max_percent: 150,
        ..good_form()
    };
    let errors = form.check(true).expect_err("all bad");
    let fields: Vec<FieldName> = errors.0.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        vec![
            FieldName::Name,
            FieldName::TenantId,
            FieldName::ClientId,
            FieldName::Secret,
            FieldName::AuthorityUrl,
            FieldName::GraphUrl,
            FieldName::GuardMaxPercent
        ]
    );
    let text = errors.to_string();
    assert!(text.starts_with("Name: required"), "{text}");
    assert!(
        text.contains("\nClient Id: \"nope\" is not a GUID"),
        "{text}"
    );
}

#[test]
fn edit_without_secret_keeps_it_but_add_requires_it() {
    let form = ClientForm {
        secret: None,
        ..good_form()
    };
    assert_eq!(form.check(false).map(|v| v.secret), Ok(None));
    let errors = form.check(true).expect_err("secret required on add");
    assert_eq!(errors.0[0].field, FieldName::Secret);
}

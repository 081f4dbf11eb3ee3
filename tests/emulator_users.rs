//! `GET /v1.0/users` paging and `$top` bounds, `/users/{id}`, `/users/{id}/manager`, and the
//! generated organisation (determinism, hierarchy, realistic content).

mod emulator_support;

use std::collections::{HashMap, HashSet};

use emulator_support::*;
use reqwest::StatusCode;
use usersync::emulator::{DemoConfig, DemoUserInput};

#[tokio::test]
async fn users_pages_with_top_and_skiptoken() {
    let t = start(250).await;
    let c = client();
    let tok = token(&t, &c).await;
    let mut url = format!(
        "{}/v1.0/users?$top=60&$select=id,displayName",
        t.graph_url()
    );
    let mut ids = HashSet::new();
    let mut pages = 0;
    loop {
        let (s, _, b) = get(&c, &url, &tok, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(
            b["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#users(id,displayName)")
        );
        let value = b["value"].as_array().unwrap();
        assert!(value.len() <= 60);
        for u in value {
            assert_eq!(
                u.as_object().unwrap().len(),
                2,
                "only the selected properties: {u}"
            );
            assert!(ids.insert(u["id"].as_str().unwrap().to_string()));
        }
        pages += 1;
        match b["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&t.graph_url()),
                    "absolute link on this server"
                );
                assert!(next.contains("$skiptoken="));
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(ids.len(), 250);

    // Default page is 100 with Graph's default property set.
    let (_, _, b) = get(&c, &format!("{}/v1.0/users", t.graph_url()), &tok, None).await;
    let value = b["value"].as_array().unwrap();
    assert_eq!(value.len(), 100);
    for k in [
        "id",
        "displayName",
        "userPrincipalName",
        "businessPhones",
        "mail",
        "jobTitle",
    ] {
        assert!(value[0].get(k).is_some(), "default set has {k}");
    }
    assert!(value[0].get("department").is_none());

    // $top bounds.
    for bad in ["0", "1000", "-1", "abc"] {
        let (s, _, b) = get(
            &c,
            &format!("{}/v1.0/users?$top={bad}", t.graph_url()),
            &tok,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "$top={bad}");
        assert!(b["error"]["code"].is_string());
        assert!(b["error"]["innerError"]["request-id"].is_string());
    }
    for good in ["1", "999"] {
        let (s, _, b) = get(
            &c,
            &format!("{}/v1.0/users?$top={good}", t.graph_url()),
            &tok,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            b["value"].as_array().unwrap().len(),
            good.parse::<usize>().unwrap().min(250)
        );
    }
    // Unknown property in $select.
    let (s, _, b) = get(
        &c,
        &format!("{}/v1.0/users?$select=shoeSize", t.graph_url()),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["message"].as_str().unwrap().contains("shoeSize"));
    t.shutdown().await;
}

#[tokio::test]
async fn user_and_manager_endpoints() {
    let t = start(40).await;
    let c = client();
    let tok = token(&t, &c).await;
    let users = t.control().users();
    let ceo = users
        .iter()
        .find(|u| u.job_title.as_deref() == Some("Chief Executive Officer"))
        .unwrap();
    let report = users
        .iter()
        .find(|u| u.manager_id.as_deref() == Some(&ceo.id))
        .unwrap();
    let g = t.graph_url();

    let (s, _, b) = get(
        &c,
        &format!("{g}/v1.0/users/{}/manager", report.id),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["id"], ceo.id.as_str());
    assert_eq!(b["@odata.type"], "#microsoft.graph.user");

    let (s, _, b) = get(
        &c,
        &format!("{g}/v1.0/users/{}/manager", ceo.id),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "Request_ResourceNotFound");
    assert!(b["error"]["innerError"]["date"].is_string());

    let (s, _, b) = get(
        &c,
        &format!(
            "{g}/v1.0/users/{}?$select=displayName,department",
            report.id
        ),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["displayName"], report.display_name.as_str());
    assert_eq!(b["department"], serde_json::json!(report.department));
    // By UPN too.
    let (s, _, b) = get(
        &c,
        &format!("{g}/v1.0/users/{}", report.user_principal_name),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["id"], report.id.as_str());

    t.control().soft_delete(&report.id);
    let (s, _, b) = get(&c, &format!("{g}/v1.0/users/{}", report.id), &tok, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "Request_ResourceNotFound");
    let (s, _, _) = get(
        &c,
        &format!("{g}/v1.0/users/00000000-0000-0000-0000-000000000000"),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, b) = get(&c, &format!("{g}/v1.0/groups"), &tok, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "BadRequest");
    t.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_organisation() {
    let a = start_with(DemoConfig {
        users: 300,
        seed: 7,
        ..DemoConfig::default()
    })
    .await;
    let b = start_with(DemoConfig {
        users: 300,
        seed: 7,
        ..DemoConfig::default()
    })
    .await;
    let other = start_with(DemoConfig {
        users: 300,
        seed: 8,
        ..DemoConfig::default()
    })
    .await;
    assert_eq!(a.control().users(), b.control().users());
    assert_eq!(a.tenant_id(), b.tenant_id());
    assert_eq!(a.client_secret(), b.client_secret());
    assert_ne!(a.control().users(), other.control().users());
    assert_ne!(a.tenant_id(), other.tenant_id());
    // Over HTTP too.
    let c = client();
    let (ta, tb) = (token(&a, &c).await, token(&b, &c).await);
    let ra = delta_round(&c, &delta_url(&a, SELECT), &ta, None).await;
    let rb = delta_round(&c, &delta_url(&b, SELECT), &tb, None).await;
    assert_eq!(ra.items, rb.items);
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_organisation_looks_real() {
    let t = start(1000).await;
    let users = t.control().users();
    assert_eq!(users.len(), 1000);
    let by_id: HashMap<&str, _> = users.iter().map(|u| (u.id.as_str(), u)).collect();
    for u in &users {
        assert!(uuid::Uuid::parse_str(&u.id).is_ok());
        if let Some(m) = &u.manager_id {
            assert!(by_id.contains_key(m.as_str()));
        }
    }
    let roots: Vec<_> = users
        .iter()
        .filter(|u| u.manager_id.is_none() && u.user_type == "Member")
        .collect();
    assert_eq!(roots.len(), 1, "one CEO");
    let depts: HashSet<_> = users
        .iter()
        .filter_map(|u| u.department.as_deref())
        .collect();
    for d in [
        "Engineering",
        "Sales",
        "Finance",
        "Human Resources",
        "IT",
        "Marketing",
        "Legal",
        "Customer Support",
    ] {
        assert!(depts.contains(d), "{d}");
    }
    let vps = users
        .iter()
        .filter(|u| {
            u.job_title
                .as_deref()
                .is_some_and(|t| t.starts_with("Vice President"))
        })
        .count();
    assert_eq!(vps, 8);
    assert!(users.iter().any(|u| {
        u.job_title
            .as_deref()
            .is_some_and(|t| t.starts_with("Director"))
    }));
    let disabled = users.iter().filter(|u| !u.account_enabled).count();
    assert!(
        (20..=90).contains(&disabled),
        "about 5% disabled: {disabled}"
    );
    let guests: Vec<_> = users.iter().filter(|u| u.user_type == "Guest").collect();
    assert!(!guests.is_empty());
    assert!(
        guests
            .iter()
            .all(|g| g.user_principal_name.contains("#EXT#@"))
    );
    for name in [
        "José Núñez",
        "Zoë Ødegård",
        "王伟",
        "Łukasz Żółw",
        "Siobhán Ó Briain",
    ] {
        assert!(users.iter().any(|u| u.display_name == name), "{name}");
    }
    assert!(users.iter().any(|u| u.display_name.starts_with("Ηλίας")));
    assert!(users.iter().any(|u| u.mobile_phone.is_none()));
    assert!(users.iter().any(|u| u.mobile_phone.is_some()));
    assert!(users.iter().any(|u| u.employee_id.is_some()));
    assert!(
        users
            .iter()
            .any(|u| u.city.is_some() && u.country.is_some())
    );
    let upns: HashSet<_> = users
        .iter()
        .map(|u| u.user_principal_name.to_lowercase())
        .collect();
    assert_eq!(upns.len(), 1000, "UPNs are unique");
    t.shutdown().await;
}

#[tokio::test]
async fn added_users_get_a_unique_upn() {
    let t = start(5).await;
    let ctl = t.control();
    let input = DemoUserInput {
        display_name: "Ana Pérez".into(),
        given_name: Some("Ana".into()),
        surname: Some("Pérez".into()),
        ..Default::default()
    };
    let a = ctl.add_user(input.clone());
    let b = ctl.add_user(input);
    let (ua, ub) = (ctl.user(&a).unwrap(), ctl.user(&b).unwrap());
    assert_eq!(
        ua.user_principal_name,
        format!("ana.perez@{}", t.tenant_domain())
    );
    assert_eq!(
        ub.user_principal_name,
        format!("ana.perez2@{}", t.tenant_domain())
    );
    assert!(ua.account_enabled);
    assert_eq!(ua.user_type, "Member");
    t.shutdown().await;
}

#[tokio::test]
async fn bind_failure_names_the_address_and_control_is_shareable() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<usersync::emulator::Control>();

    let t = start(3).await;
    let taken = t.local_addr();
    let err = usersync::emulator::DemoTenant::start(taken, DemoConfig::default())
        .await
        .expect_err("the port is taken");
    assert!(matches!(err, usersync::emulator::EmulatorError::Bind { addr, .. } if addr == taken));
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
    t.shutdown().await;
}

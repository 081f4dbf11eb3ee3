//! `GET /v1.0/users/delta`: full rounds through nextLinks (with empty pages), exactly the
//! change after each kind of change, no-change rounds, 410 Gone, and convergence of a sync
//! that runs while the organisation changes.

mod emulator_support;

use std::collections::HashMap;

use emulator_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usersync::emulator::{DemoTenant, DemoUser, DemoUserInput, DemoUserPatch};

/// A client-side copy of the directory, merged from delta items the way a sync must.
#[derive(Default)]
struct Mirror {
    users: HashMap<String, serde_json::Map<String, Value>>,
    managers: HashMap<String, Option<String>>,
}

impl Mirror {
    fn apply(&mut self, items: &[Value]) {
        for item in items {
            let id = item["id"].as_str().unwrap().to_string();
            if item.get("@removed").is_some() {
                self.users.remove(&id);
                self.managers.remove(&id);
                continue;
            }
            let entry = self.users.entry(id.clone()).or_default();
            for (k, v) in item.as_object().unwrap() {
                if k == "manager@delta" {
                    let refs = v.as_array().unwrap();
                    let live = refs.iter().rev().find(|r| r.get("@removed").is_none());
                    self.managers.insert(
                        id.clone(),
                        live.map(|r| r["id"].as_str().unwrap().to_string()),
                    );
                } else {
                    entry.insert(k.clone(), v.clone());
                }
            }
        }
    }

    /// Compares with the server's truth on the selected properties.
    fn assert_matches(&self, truth: &[DemoUser]) {
        let live: Vec<&DemoUser> = truth.iter().filter(|u| !u.soft_deleted).collect();
        assert_eq!(self.users.len(), live.len(), "same users");
        for u in live {
            let m = self
                .users
                .get(&u.id)
                .unwrap_or_else(|| panic!("missing {}", u.id));
            assert_eq!(m["displayName"], u.display_name.as_str());
            assert_eq!(m["jobTitle"], json!(u.job_title));
            assert_eq!(m["accountEnabled"], u.account_enabled);
            assert_eq!(m["userPrincipalName"], u.user_principal_name.as_str());
            let mgr = self.managers.get(&u.id).cloned().flatten();
            assert_eq!(mgr, u.manager_id, "manager of {}", u.display_name);
        }
    }
}

async fn setup(users: usize) -> (DemoTenant, reqwest::Client, String, String) {
    let t = start(users).await;
    let c = client();
    let tok = token(&t, &c).await;
    let round = delta_round(&c, &delta_url(&t, SELECT), &tok, None).await;
    (t, c, tok, round.delta_link)
}

#[tokio::test]
async fn full_round_follows_next_links_through_empty_pages() {
    let t = start(250).await;
    let c = client();
    let tok = token(&t, &c).await;
    t.control().set_empty_pages(true);
    let r = delta_round(
        &c,
        &delta_url(&t, SELECT),
        &tok,
        Some("odata.maxpagesize=40"),
    )
    .await;
    assert_eq!(r.items.len(), 250);
    assert_eq!(r.pages, 14, "7 data pages and 7 empty ones");
    assert_eq!(r.empty_pages, 7);
    assert!(r.delta_link.contains("/v1.0/users/delta?$deltatoken="));
    assert!(r.delta_link.starts_with(&t.graph_url()));
    let mut ids: Vec<&str> = r.items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250);
    assert!(r.items.iter().all(|i| i.get("@removed").is_none()));
    // Only selected properties (plus manager@delta), manager references in Graph's shape.
    let with_manager = r
        .items
        .iter()
        .filter(|i| i.get("manager@delta").is_some())
        .count();
    assert_eq!(
        with_manager,
        250 - 1 - 5,
        "everyone but the CEO and the 5 guests"
    );
    for i in &r.items {
        assert!(i.get("city").is_none());
        assert!(i.get("displayName").is_some());
        if let Some(m) = i.get("manager@delta") {
            let m = m.as_array().unwrap();
            assert_eq!(m.len(), 1);
            assert_eq!(m[0]["@odata.type"], "#microsoft.graph.user");
        }
    }
    let mut mirror = Mirror::default();
    mirror.apply(&r.items);
    mirror.assert_matches(&t.control().users());

    // The first page's context names the selection; nextLinks carry $skiptoken.
    let (_, headers, first) = get(
        &c,
        &delta_url(&t, SELECT),
        &tok,
        Some("odata.maxpagesize=40"),
    )
    .await;
    assert!(
        first["@odata.context"]
            .as_str()
            .unwrap()
            .contains("$metadata#users(id,displayName")
    );
    assert!(
        first["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken=")
    );
    assert_eq!(headers["preference-applied"], "odata.maxpagesize=40");
    t.shutdown().await;
}

#[tokio::test]
async fn no_change_gives_one_empty_page_and_a_new_delta_link() {
    let (t, c, tok, link) = setup(50).await;
    let (s, _, b) = get(&c, &link, &tok, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["value"], json!([]));
    assert!(b.get("@odata.nextLink").is_none());
    assert!(
        b["@odata.deltaLink"]
            .as_str()
            .unwrap()
            .contains("$deltatoken=")
    );
    // The same deltaLink can be used again.
    let again = delta_round(&c, &link, &tok, None).await;
    assert!(again.items.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn each_kind_of_change_comes_back_exactly() {
    let (t, c, tok, mut link) = setup(60).await;
    let ctl = t.control();
    let users = ctl.users();
    let has_reports = |id: &str| users.iter().any(|u| u.manager_id.as_deref() == Some(id));
    let ic = users
        .iter()
        .find(|u| u.manager_id.is_some() && !has_reports(&u.id) && u.account_enabled)
        .unwrap()
        .clone();
    let ceo = users
        .iter()
        .find(|u| u.manager_id.is_none() && u.user_type == "Member")
        .unwrap()
        .clone();
    // Ask for minimal answers, as User Sync does: a changed user carries only what changed.
    let next = async |link: &mut String| {
        let r = delta_round(&c, link, &tok, Some("return=minimal")).await;
        *link = r.delta_link;
        r.items
    };

    // Added: the full selected object.
    let new_id = ctl.add_user(DemoUserInput {
        display_name: "Nova Ng".into(),
        given_name: Some("Nova".into()),
        surname: Some("Ng".into()),
        job_title: Some("Data Engineer".into()),
        department: Some("Engineering".into()),
        manager_id: Some(ceo.id.clone()),
        ..Default::default()
    });
    let items = next(&mut link).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], new_id.as_str());
    assert_eq!(items[0]["displayName"], "Nova Ng");
    assert_eq!(items[0]["jobTitle"], "Data Engineer");
    assert_eq!(items[0]["accountEnabled"], true);
    assert_eq!(items[0]["manager@delta"][0]["id"], ceo.id.as_str());

    // Attribute update: only the changed property.
    assert!(ctl.update_user(
        &ic.id,
        DemoUserPatch {
            job_title: Some(Some("Staff Engineer".into())),
            ..Default::default()
        }
    ));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![json!({"id": ic.id, "jobTitle": "Staff Engineer"})]
    );

    // A change to an unselected property is not reported.
    ctl.update_user(
        &ic.id,
        DemoUserPatch {
            city: Some(Some("Reykjavík".into())),
            ..Default::default()
        },
    );
    assert!(next(&mut link).await.is_empty());

    // Manager changed.
    assert!(ctl.set_manager(&ic.id, Some(&new_id)));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![
            json!({"id": ic.id, "manager@delta": [{"@odata.type": "#microsoft.graph.user", "id": new_id}]})
        ]
    );

    // Manager removed: the old manager with @removed.
    assert!(ctl.set_manager(&ic.id, None));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![json!({"id": ic.id, "manager@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": new_id, "@removed": {"reason": "deleted"}}
        ]})]
    );

    // Disabled.
    assert!(ctl.set_enabled(&ic.id, false));
    let items = next(&mut link).await;
    assert_eq!(items, vec![json!({"id": ic.id, "accountEnabled": false})]);

    // Soft delete.
    assert!(ctl.soft_delete(&ic.id));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![json!({"id": ic.id, "@removed": {"reason": "changed"}})]
    );
    assert!(
        !ctl.update_user(&ic.id, DemoUserPatch::default()),
        "deleted users cannot be updated"
    );

    // Restore: the full object again.
    assert!(ctl.restore(&ic.id));
    let items = next(&mut link).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ic.id.as_str());
    assert_eq!(items[0]["displayName"], ic.display_name.as_str());
    assert_eq!(items[0]["jobTitle"], "Staff Engineer");
    assert_eq!(items[0]["accountEnabled"], false);
    assert!(items[0].get("@removed").is_none());

    // Hard delete.
    assert!(ctl.hard_delete(&ic.id));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![json!({"id": ic.id, "@removed": {"reason": "deleted"}})]
    );
    assert!(ctl.user(&ic.id).is_none());

    // The added user (no reports left) goes too.
    assert!(ctl.hard_delete(&new_id));
    let items = next(&mut link).await;
    assert_eq!(
        items,
        vec![json!({"id": new_id, "@removed": {"reason": "deleted"}})]
    );

    // Nothing else happened.
    assert!(next(&mut link).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn full_updates_and_prefer_return_minimal() {
    let (t, c, tok, link) = setup(30).await;
    let ctl = t.control();
    let u = ctl
        .users()
        .into_iter()
        .find(|u| u.manager_id.is_some())
        .unwrap();
    ctl.update_user(
        &u.id,
        DemoUserPatch {
            job_title: Some(Some("Architect".into())),
            ..Default::default()
        },
    );
    ctl.set_full_updates(true);
    let full = delta_round(&c, &link, &tok, None).await;
    assert_eq!(full.items.len(), 1);
    assert_eq!(full.items[0]["jobTitle"], "Architect");
    assert_eq!(
        full.items[0]["displayName"],
        u.display_name.as_str(),
        "unchanged ones too"
    );
    assert!(
        full.items[0].get("manager@delta").is_none(),
        "manager did not change"
    );
    let (_, headers, minimal) = get(&c, &link, &tok, Some("return=minimal")).await;
    assert_eq!(
        minimal["value"],
        json!([{"id": u.id, "jobTitle": "Architect"}])
    );
    assert_eq!(headers["preference-applied"], "return=minimal");
    t.shutdown().await;
}

#[tokio::test]
async fn expired_and_unknown_tokens_answer_410() {
    let t = start(120).await;
    let c = client();
    let tok = token(&t, &c).await;
    let (_, _, first) = get(
        &c,
        &delta_url(&t, SELECT),
        &tok,
        Some("odata.maxpagesize=50"),
    )
    .await;
    let next = first["@odata.nextLink"].as_str().unwrap().to_string();
    let round = delta_round(&c, &delta_url(&t, SELECT), &tok, None).await;

    t.control().expire_delta_tokens();
    for url in [round.delta_link.clone(), next] {
        let (s, headers, b) = get(&c, &url, &tok, None).await;
        assert_eq!(s, StatusCode::GONE, "{url}");
        assert_eq!(b["error"]["code"], "syncStateNotFound");
        assert!(b["error"]["innerError"]["request-id"].is_string());
        let location = headers["location"].to_str().unwrap();
        assert!(location.starts_with(&format!("{}/v1.0/users/delta", t.graph_url())));
    }
    for bogus in ["$deltatoken=nope", "$skiptoken=nope"] {
        let (s, _, b) = get(
            &c,
            &format!("{}/v1.0/users/delta?{bogus}", t.graph_url()),
            &tok,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::GONE);
        assert_eq!(b["error"]["code"], "syncStateNotFound");
    }
    // A fresh round works and its deltaLink is valid.
    let fresh = delta_round(&c, &delta_url(&t, SELECT), &tok, None).await;
    assert_eq!(fresh.items.len(), 120);
    let (s, _, _) = get(&c, &fresh.delta_link, &tok, None).await;
    assert_eq!(s, StatusCode::OK);
    t.shutdown().await;
}

#[tokio::test]
async fn latest_delta_token_syncs_from_now() {
    let t = start(40).await;
    let c = client();
    let tok = token(&t, &c).await;
    let (s, _, b) = get(
        &c,
        &format!(
            "{}/v1.0/users/delta?$select=displayName&$deltatoken=latest",
            t.graph_url()
        ),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["value"], json!([]));
    let link = b["@odata.deltaLink"].as_str().unwrap().to_string();
    let id = t.control().add_user(DemoUserInput {
        display_name: "Late Comer".into(),
        ..Default::default()
    });
    let r = delta_round(&c, &link, &tok, None).await;
    assert_eq!(
        r.items,
        vec![json!({"id": id, "displayName": "Late Comer"})]
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_sync_running_while_the_org_changes_converges() {
    let t = start(300).await;
    let c = client();
    let tok = token(&t, &c).await;
    let ctl = t.control();
    let before = ctl.users();
    let prefer = Some("odata.maxpagesize=25");

    // Walk half of a round, change the org, finish the round.
    let mut url = delta_url(&t, SELECT);
    let mut items = Vec::new();
    for _ in 0..6 {
        let (_, _, b) = get(&c, &url, &tok, prefer).await;
        items.extend(b["value"].as_array().unwrap().iter().cloned());
        url = b["@odata.nextLink"].as_str().unwrap().to_string();
    }
    let added = ctl.add_user(DemoUserInput {
        display_name: "Mid Round".into(),
        manager_id: Some(before[0].id.clone()),
        ..Default::default()
    });
    let late = &before[280];
    ctl.update_user(
        &late.id,
        DemoUserPatch {
            job_title: Some(Some("Changed Mid Round".into())),
            ..Default::default()
        },
    );
    let early = &before[3];
    ctl.soft_delete(&early.id);
    let purged = before
        .iter()
        .rev()
        .find(|u| {
            !before
                .iter()
                .any(|r| r.manager_id.as_deref() == Some(&u.id))
        })
        .unwrap();
    ctl.hard_delete(&purged.id);
    ctl.set_manager(&before[290].id, Some(&added));
    let rest = delta_round(&c, &url, &tok, prefer).await;
    items.extend(rest.items);

    let mut mirror = Mirror::default();
    mirror.apply(&items);
    // The next delta brings the mirror to the server's truth.
    let next = delta_round(&c, &rest.delta_link, &tok, prefer).await;
    mirror.apply(&next.items);
    mirror.assert_matches(&ctl.users());
    assert!(mirror.users.contains_key(&added));
    assert!(!mirror.users.contains_key(&early.id));
    assert!(!mirror.users.contains_key(&purged.id));

    // And a further delta is empty.
    let quiet = delta_round(&c, &next.delta_link, &tok, prefer).await;
    assert!(quiet.items.is_empty());
    t.shutdown().await;
}

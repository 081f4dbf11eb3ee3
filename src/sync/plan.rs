//! The pure planning step of a sync: the client's directory plus everything one
//! `/users/delta` round fetched → the rows to write, the ids to purge, the change list
//! for the job history and the counts. No I/O; the apply step writes the result.
//!
//! # What a round means
//!
//! Entries of one id are first folded in arrival order (`sync/merge.rs`). Then:
//!
//! - **Incremental** round (`full == false`, a deltaLink was followed): a field the
//!   round did not send keeps its stored value, `null` empties it; no `manager@delta`
//!   keeps the manager. A present user we do not know is *added* (unsent fields
//!   empty); a present user in the recycle bin is *restored*. A soft removal
//!   (`@removed: changed`) keeps the row with `deleted = true`; a permanent one
//!   (`deleted`) purges the row. Removals of unknown ids, and soft removals of rows
//!   already soft-deleted, are ignored.
//! - **Full** round (a fresh `/users/delta`): every current user is listed with every
//!   selected property, so an unsent field is empty and no `manager@delta` means no
//!   manager. Active users the round does not list are soft-deleted; rows already
//!   soft-deleted that it does not list are left alone.
//! - Every row written carries the SSO identity the client's setting implies
//!   (issuer, subject = object id, login = UPN; none without a UPN or for a non-SSO
//!   client). A difference from the stored identity is a change (`ssoIdentity`); an
//!   incremental round only recomputes it for the users it writes anyway.
//! - Only rows that really change are written; an empty string counts as empty.
//!
//! # How changes are counted ([`PlanCounts`])
//!
//! Each affected user gets one [`UserChange`] whose kind is its most important
//! aspect ([`ChangeKind`] is declared in that order). The counts count every aspect:
//!
//! - `added`: new users. Only `added`, whatever else is true of them (a user who
//!   arrives disabled is not also `disabled`).
//! - `deleted`: active users that leave the directory, soft or permanent.
//!   `purged`: rows already in the recycle bin that are now permanently removed (they
//!   were counted in `deleted` when they left, so they are not counted again, and the
//!   deletion guard does not see them).
//! - `restored`: recycle-bin rows that are back.
//! - For a user who stays (or comes back): `disabled` when `accountEnabled` goes from
//!   anything but `false` to `false`, `enabled` (re-enabled) for the reverse,
//!   `manager_changed` when the manager id differs, and `updated` when any other field
//!   (SSO identity included) differs. One user may add to several of these: a new
//!   title and a new manager count once in `updated` and once in `manager_changed`.
//! - `unchanged`: users that are in the directory after the apply and that this plan
//!   did not touch, whether the round mentioned them or not.
//! - `total_before` / `total_after`: active (not soft-deleted) users before and after.
//!   `total_after = unchanged + added + restored + (users who stayed and changed)`
//!   and `total_after = total_before - deleted + added + restored`.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::merge::{self, MergedUser};
use crate::model::{
    DeletionGuard, DirectoryUser, FetchedUser, FetchedUserFields, ManagerChange, RemovedReason,
    SsoIdentity, UserAttributes,
};

/// Everything [`plan`] looks at.
pub struct PlanInput<'a> {
    /// The client's current directory, soft-deleted rows (`deleted = true`) included,
    /// keyed by object id.
    pub existing: &'a HashMap<String, DirectoryUser>,
    /// Every entry of every page of the round, in arrival order.
    pub fetched: Vec<FetchedUser>,
    /// A fresh `/users/delta` round (no deltaLink): it lists every current user with
    /// all selected properties.
    pub full: bool,
    /// `Some(issuer)` for an Azure SSO client; `None`: users carry no SSO identity.
    pub sso_issuer: Option<&'a str>,
    /// Active users of the directory that `existing` leaves out: an incremental round
    /// passes only the rows it mentions, and the rest count as untouched. 0 for a full
    /// round, which needs the whole directory.
    pub others_active: usize,
}

/// What a round changes. Apply `upserts` and `purges` in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The new full state of every added, changed, restored or soft-deleted user,
    /// sorted by id. Users whose row does not change are not here.
    pub upserts: Vec<DirectoryUser>,
    /// Ids to remove from the directory (permanently deleted), sorted.
    pub purges: Vec<String>,
    /// One per affected user, sorted by kind (most important first), label, id.
    pub changes: Vec<UserChange>,
    pub counts: PlanCounts,
}

/// See the module documentation for what each number counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PlanCounts {
    pub added: usize,
    pub updated: usize,
    pub disabled: usize,
    /// Re-enabled.
    pub enabled: usize,
    /// Active users removed, soft or permanent.
    pub deleted: usize,
    /// Recycle-bin rows permanently removed (not in `deleted`).
    pub purged: usize,
    pub restored: usize,
    pub manager_changed: usize,
    pub unchanged: usize,
    /// Active users before the apply: the directory size the deletion guard uses.
    pub total_before: usize,
    /// Active users after the apply.
    pub total_after: usize,
}

/// What one user adds to [`PlanCounts`]: the planner counts through these, so a plan
/// staged page by page (`sync/stage.rs`) sums to exactly what [`plan`] counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aspects(pub u16);

impl Aspects {
    pub const ADDED: u16 = 1;
    pub const UPDATED: u16 = 1 << 1;
    pub const DISABLED: u16 = 1 << 2;
    pub const ENABLED: u16 = 1 << 3;
    pub const DELETED: u16 = 1 << 4;
    pub const PURGED: u16 = 1 << 5;
    pub const RESTORED: u16 = 1 << 6;
    pub const MANAGER_CHANGED: u16 = 1 << 7;
    /// Active before and after, and its row changed (not counted on its own; it
    /// decides `unchanged`).
    pub const STAYED_CHANGED: u16 = 1 << 8;

    fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

impl PlanCounts {
    /// Deletes plus disables: what the deletion guard weighs.
    pub fn removals(&self) -> usize {
        self.deleted + self.disabled
    }

    /// Whether these changes remove more users than `guard` allows for a directory of
    /// `directory_size_before` active users (normally `total_before`). Exactly at the
    /// limit is allowed. A plan that exceeds it needs explicit consent.
    pub fn exceeds_guard(&self, guard: &DeletionGuard, directory_size_before: usize) -> bool {
        self.removals() > guard.limit_for(directory_size_before)
    }

    /// Adds `n` users with these aspects.
    pub fn add(&mut self, aspects: Aspects, n: usize) {
        let c = |bit| if aspects.has(bit) { n } else { 0 };
        self.added += c(Aspects::ADDED);
        self.updated += c(Aspects::UPDATED);
        self.disabled += c(Aspects::DISABLED);
        self.enabled += c(Aspects::ENABLED);
        self.deleted += c(Aspects::DELETED);
        self.purged += c(Aspects::PURGED);
        self.restored += c(Aspects::RESTORED);
        self.manager_changed += c(Aspects::MANAGER_CHANGED);
    }

    /// Fills `unchanged`, `total_before` and `total_after` once every user is added:
    /// `total_before` active users before, `stayed_and_changed` of them changed and stay.
    pub fn close(&mut self, total_before: usize, stayed_and_changed: usize) {
        self.total_before = total_before;
        let staying = total_before.saturating_sub(self.deleted);
        self.unchanged = staying.saturating_sub(stayed_and_changed);
        self.total_after = staying + self.added + self.restored;
    }
}

/// The headline of a [`UserChange`]. Declared (and so sorted) most important first;
/// a user with several aspects gets the first that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Permanently deleted: the row is removed.
    Purged,
    /// Soft-deleted: in the recycle bin, the row is kept with `deleted = true`.
    Deleted,
    Restored,
    Added,
    Disabled,
    /// Re-enabled.
    Enabled,
    ManagerChanged,
    Updated,
}

impl ChangeKind {
    /// Position in the declared order (most important first), for sorting in SQL.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The serialized name, e.g. for a database column.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Purged => "purged",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Restored => "restored",
            ChangeKind::Added => "added",
            ChangeKind::Disabled => "disabled",
            ChangeKind::Enabled => "enabled",
            ChangeKind::ManagerChanged => "managerChanged",
            ChangeKind::Updated => "updated",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one user, for the job history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange {
    pub user_id: String,
    /// displayName, else userPrincipalName, else the id.
    pub label: String,
    pub kind: ChangeKind,
    /// The fields whose value differs from the stored row, in `$select` order, then
    /// `managerId` and `ssoIdentity`. Empty for an added user (its row, in
    /// [`Plan::upserts`], is the record: a first sync of 100,000 users would otherwise
    /// list every value of every user) and for a purge.
    pub fields: Vec<FieldChange>,
    /// What this user adds to the plan's counts.
    #[serde(skip)]
    pub aspects: Aspects,
}

/// One field's value before and after, rendered as text: arrays joined with ", ",
/// booleans as "true"/"false", an SSO identity as "login (issuer)", empty as `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// The Graph property name (`jobTitle`, `businessPhones`, …), `managerId` or
    /// `ssoIdentity`.
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Plan {
    /// Deletes plus disables: what the deletion guard weighs.
    pub fn removals(&self) -> usize {
        self.counts.removals()
    }

    /// See [`PlanCounts::exceeds_guard`].
    pub fn exceeds_guard(&self, guard: &DeletionGuard, directory_size_before: usize) -> bool {
        self.counts.exceeds_guard(guard, directory_size_before)
    }

    /// The changes in one line, e.g. "12 added, 3 updated, 1 deleted", or "no changes".
    pub fn changes_only_summary(&self) -> String {
        self.counts.changes_summary()
    }
}

impl PlanCounts {
    /// The non-zero change counts, e.g. "12 added, 3 updated", or "no changes".
    pub fn changes_summary(&self) -> String {
        let parts: Vec<String> = [
            (self.added, "added"),
            (self.restored, "restored"),
            (self.updated, "updated"),
            (self.manager_changed, "manager changed"),
            (self.enabled, "re-enabled"),
            (self.disabled, "disabled"),
            (self.deleted, "deleted"),
            (self.purged, "purged"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "no changes".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// "12 added, 3 updated; 980 unchanged, 992 users".
impl fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; {} unchanged, {} users",
            self.changes_summary(),
            self.unchanged,
            self.total_after
        )
    }
}

/// Computes what a round changes. Pure and linear in the directory plus the round.
pub fn plan(input: PlanInput<'_>) -> Plan {
    let PlanInput {
        existing,
        fetched,
        full,
        sso_issuer,
        others_active,
    } = input;
    let mut planner = Planner {
        full,
        sso_issuer: sso_issuer.filter(|s| !s.is_empty()),
        plan: Plan::default(),
        stayed_and_changed: 0,
    };
    let seen = merge::merge_round(existing, fetched, |old, user| match (user.removed, old) {
        (None, _) => planner.present(old, user),
        (Some(RemovedReason::Changed), Some(old)) if !old.deleted => {
            planner.soft_delete(user.id, old, Some((*user.fields, user.manager)));
        }
        (Some(RemovedReason::Deleted), Some(old)) => planner.purge(user.id, old),
        // Unknown, already purged, or already in the recycle bin.
        (Some(_), _) => {}
    });
    let mut total_before = 0;
    for (id, old) in existing {
        if old.deleted {
            continue;
        }
        total_before += 1;
        if full && !seen.contains(id) {
            planner.soft_delete(id.clone(), old, None);
        }
    }
    planner.finish(total_before + others_active)
}

struct Planner<'a> {
    full: bool,
    sso_issuer: Option<&'a str>,
    plan: Plan,
    /// Users active before and after whose row changed.
    stayed_and_changed: usize,
}

impl Planner<'_> {
    /// A user the round lists: added, restored, changed or unchanged.
    fn present(&mut self, old: Option<&DirectoryUser>, user: MergedUser) {
        let MergedUser {
            id,
            fields,
            manager,
            ..
        } = user;
        // A user back from the recycle bin arrives as a full object (Graph sends the
        // whole user on restore), so like a full round nothing stored is carried over:
        // not even a manager who may have been purged meanwhile.
        let keep = if self.full || old.is_some_and(|o| o.deleted) {
            None
        } else {
            old
        };
        if let Some(old) = old
            && !old.deleted
            && merge::leaves_unchanged(&old.attributes, &fields, self.full)
            && manager_after(&manager, keep) == old.manager_id.as_deref()
            && self.sso_matches(old.sso.as_ref(), &id, &old.attributes)
        {
            return; // unchanged: nothing to write, nothing to allocate
        }
        let manager_id = manager_after(&manager, keep).map(str::to_owned);
        let mut attributes = match keep {
            Some(old) => old.attributes.clone(),
            None => UserAttributes::default(),
        };
        merge::apply_fields(&mut attributes, *fields);

        let Some(old) = old else {
            let new = self.row(id, attributes, manager_id, false);
            self.record(new, ChangeKind::Added, Vec::new(), Aspects(Aspects::ADDED));
            return;
        };
        let new = self.row(id, attributes, manager_id, false);
        let fields = diff(old, &new);
        let (headline, mut aspects) = aspects_of(old, &new, &fields);
        let kind = if old.deleted {
            aspects.0 |= Aspects::RESTORED;
            ChangeKind::Restored
        } else {
            aspects.0 |= Aspects::STAYED_CHANGED;
            headline
        };
        self.record(new, kind, fields, aspects);
    }

    /// Moves an active user to the recycle bin, with whatever earlier entries of the
    /// round sent about it (a removal carries no full property list, so unsent fields
    /// keep their stored value even in a full round).
    fn soft_delete(
        &mut self,
        id: String,
        old: &DirectoryUser,
        sent: Option<(FetchedUserFields, ManagerChange)>,
    ) {
        let mut attributes = old.attributes.clone();
        let mut manager_id = old.manager_id.clone();
        if let Some((fields, manager)) = sent {
            merge::apply_fields(&mut attributes, fields);
            manager_id = manager_after(&manager, Some(old)).map(str::to_owned);
        }
        let new = self.row(id, attributes, manager_id, true);
        let fields = diff(old, &new);
        self.record(new, ChangeKind::Deleted, fields, Aspects(Aspects::DELETED));
    }

    fn purge(&mut self, id: String, old: &DirectoryUser) {
        let aspects = Aspects(if old.deleted {
            Aspects::PURGED
        } else {
            Aspects::DELETED
        });
        self.count(aspects);
        self.plan.changes.push(UserChange {
            label: label(&old.attributes, &id),
            user_id: id.clone(),
            kind: ChangeKind::Purged,
            fields: Vec::new(),
            aspects,
        });
        self.plan.purges.push(id);
    }

    fn count(&mut self, aspects: Aspects) {
        self.plan.counts.add(aspects, 1);
        self.stayed_and_changed += usize::from(aspects.has(Aspects::STAYED_CHANGED));
    }

    fn row(
        &self,
        id: String,
        attributes: UserAttributes,
        manager_id: Option<String>,
        deleted: bool,
    ) -> DirectoryUser {
        let sso = sso_parts(self.sso_issuer, &id, &attributes).map(|(issuer, subject, login)| {
            SsoIdentity {
                issuer: issuer.to_owned(),
                subject: subject.to_owned(),
                login: login.to_owned(),
            }
        });
        DirectoryUser {
            id,
            attributes,
            manager_id,
            sso,
            deleted,
        }
    }

    fn sso_matches(&self, stored: Option<&SsoIdentity>, id: &str, attrs: &UserAttributes) -> bool {
        let stored = stored.map(|s| (s.issuer.as_str(), s.subject.as_str(), s.login.as_str()));
        stored == sso_parts(self.sso_issuer, id, attrs)
    }

    fn record(
        &mut self,
        new: DirectoryUser,
        kind: ChangeKind,
        fields: Vec<FieldChange>,
        aspects: Aspects,
    ) {
        self.count(aspects);
        self.plan.changes.push(UserChange {
            user_id: new.id.clone(),
            label: label(&new.attributes, &new.id),
            kind,
            fields,
            aspects,
        });
        self.plan.upserts.push(new);
    }

    fn finish(mut self, total_before: usize) -> Plan {
        let plan = &mut self.plan;
        plan.changes.sort_unstable_by(|a, b| {
            (a.kind, &a.label, &a.user_id).cmp(&(b.kind, &b.label, &b.user_id))
        });
        plan.upserts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        plan.purges.sort_unstable();
        plan.counts.close(total_before, self.stayed_and_changed);
        self.plan
    }
}

/// The aspects of a user who stays or comes back, and the most important one.
fn aspects_of(
    old: &DirectoryUser,
    new: &DirectoryUser,
    fields: &[FieldChange],
) -> (ChangeKind, Aspects) {
    let was_disabled = old.attributes.account_enabled == Some(false);
    let is_disabled = new.attributes.account_enabled == Some(false);
    let disabled = !was_disabled && is_disabled;
    let enabled = was_disabled && !is_disabled;
    let manager_changed = old.manager_id != new.manager_id;
    let updated = fields.iter().any(|f| match f.field {
        "managerId" => false,
        "accountEnabled" => !(disabled || enabled),
        _ => true,
    });
    let bit = |on: bool, bit: u16| if on { bit } else { 0 };
    let aspects = Aspects(
        bit(disabled, Aspects::DISABLED)
            | bit(enabled, Aspects::ENABLED)
            | bit(manager_changed, Aspects::MANAGER_CHANGED)
            | bit(updated, Aspects::UPDATED),
    );
    let headline = if disabled {
        ChangeKind::Disabled
    } else if enabled {
        ChangeKind::Enabled
    } else if manager_changed {
        ChangeKind::ManagerChanged
    } else {
        ChangeKind::Updated
    };
    (headline, aspects)
}

/// The manager after the round; `keep` is the row whose manager "no `manager@delta`"
/// keeps (`None` in a full round or for a new user: no manager).
fn manager_after<'m>(
    change: &'m ManagerChange,
    keep: Option<&'m DirectoryUser>,
) -> Option<&'m str> {
    match change {
        ManagerChange::Set(id) => Some(id.as_str()).filter(|id| !id.is_empty()),
        ManagerChange::Removed => None,
        ManagerChange::Unchanged => keep.and_then(|u| u.manager_id.as_deref()),
    }
}

/// (issuer, subject, login) of the identity a user should carry, without allocating.
fn sso_parts<'a>(
    issuer: Option<&'a str>,
    id: &'a str,
    attrs: &'a UserAttributes,
) -> Option<(&'a str, &'a str, &'a str)> {
    let login = attrs
        .user_principal_name
        .as_deref()
        .filter(|s| !s.is_empty())?;
    Some((issuer?, id, login))
}

fn label(attrs: &UserAttributes, id: &str) -> String {
    [
        attrs.display_name.as_deref(),
        attrs.user_principal_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find(|s| !s.trim().is_empty())
    .unwrap_or(id)
    .to_owned()
}

trait Render {
    fn render(&self) -> Option<String>;
}

impl Render for Option<String> {
    fn render(&self) -> Option<String> {
        self.clone()
    }
}

impl Render for Option<&str> {
    fn render(&self) -> Option<String> {
        self.map(str::to_owned)
    }
}

impl Render for Vec<String> {
    fn render(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.join(", "))
    }
}

impl Render for Option<bool> {
    fn render(&self) -> Option<String> {
        self.map(|b| b.to_string())
    }
}

impl Render for Option<&SsoIdentity> {
    fn render(&self) -> Option<String> {
        // The subject is the object id, already in `UserChange::user_id`.
        self.map(|s| format!("{} ({})", s.login, s.issuer))
    }
}

fn push<T: Render + PartialEq>(
    out: &mut Vec<FieldChange>,
    field: &'static str,
    before: &T,
    after: &T,
) {
    if before != after {
        out.push(FieldChange {
            field,
            before: before.render(),
            after: after.render(),
        });
    }
}

/// The fields whose value differs between the stored state and `new`.
fn diff(old: &DirectoryUser, new: &DirectoryUser) -> Vec<FieldChange> {
    // Destructured in full so that a new attribute cannot be forgotten here.
    let UserAttributes {
        display_name,
        given_name,
        surname,
        user_principal_name,
        mail,
        job_title,
        department,
        office_location,
        company_name,
        employee_id,
        mobile_phone,
        business_phones,
        city,
        country,
        user_type,
        account_enabled,
    } = &new.attributes;
    let (old_manager, old_sso) = (old.manager_id.as_deref(), old.sso.as_ref());
    let old = &old.attributes;
    let mut out = Vec::new();
    push(&mut out, "displayName", &old.display_name, display_name);
    push(&mut out, "givenName", &old.given_name, given_name);
    push(&mut out, "surname", &old.surname, surname);
    push(
        &mut out,
        "userPrincipalName",
        &old.user_principal_name,
        user_principal_name,
    );
    push(&mut out, "mail", &old.mail, mail);
    push(&mut out, "jobTitle", &old.job_title, job_title);
    push(&mut out, "department", &old.department, department);
    push(
        &mut out,
        "officeLocation",
        &old.office_location,
        office_location,
    );
    push(&mut out, "companyName", &old.company_name, company_name);
    push(&mut out, "employeeId", &old.employee_id, employee_id);
    push(&mut out, "mobilePhone", &old.mobile_phone, mobile_phone);
    push(
        &mut out,
        "businessPhones",
        &old.business_phones,
        business_phones,
    );
    push(&mut out, "city", &old.city, city);
    push(&mut out, "country", &old.country, country);
    push(&mut out, "userType", &old.user_type, user_type);
    push(
        &mut out,
        "accountEnabled",
        &old.account_enabled,
        account_enabled,
    );
    push(
        &mut out,
        "managerId",
        &old_manager,
        &new.manager_id.as_deref(),
    );
    push(&mut out, "ssoIdentity", &old_sso, &new.sso.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_lists_kinds_in_the_order_they_are_ranked() {
        let kinds = [
            ChangeKind::Purged,
            ChangeKind::Deleted,
            ChangeKind::Restored,
            ChangeKind::Added,
            ChangeKind::Disabled,
            ChangeKind::Enabled,
            ChangeKind::ManagerChanged,
            ChangeKind::Updated,
        ];
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, crate::store::jobs::CHANGE_KIND_ORDER);
        assert!(
            kinds
                .iter()
                .enumerate()
                .all(|(i, k)| usize::from(k.rank()) == i)
        );
    }
    use crate::model::Field;

    const ISSUER: &str = "https://login.microsoftonline.com/tenant-1/v2.0";

    fn user(id: &str, name: &str) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            attributes: UserAttributes {
                display_name: Some(name.into()),
                user_principal_name: Some(format!("{id}@contoso.com")),
                job_title: Some("Engineer".into()),
                city: Some("Oslo".into()),
                mobile_phone: Some("+47 400 00 000".into()),
                business_phones: vec!["+47 1".into()],
                account_enabled: Some(true),
                ..Default::default()
            },
            manager_id: None,
            sso: None,
            deleted: false,
        }
    }

    fn reports_to(mut u: DirectoryUser, manager: &str) -> DirectoryUser {
        u.manager_id = Some(manager.into());
        u
    }

    fn in_recycle_bin(mut u: DirectoryUser) -> DirectoryUser {
        u.deleted = true;
        u
    }

    fn disabled(mut u: DirectoryUser) -> DirectoryUser {
        u.attributes.account_enabled = Some(false);
        u
    }

    fn with_sso(mut u: DirectoryUser) -> DirectoryUser {
        u.sso = u
            .attributes
            .user_principal_name
            .clone()
            .map(|login| SsoIdentity {
                issuer: ISSUER.into(),
                subject: u.id.clone(),
                login,
            });
        u
    }

    /// ceo ← vp ← eng, eng2; ceo ← vp2.
    fn hierarchy() -> Vec<DirectoryUser> {
        vec![
            user("ceo", "Chris CEO"),
            reports_to(user("vp", "Vera VP"), "ceo"),
            reports_to(user("vp2", "Viktor VP"), "ceo"),
            reports_to(user("eng", "Erik Engineer"), "vp"),
            reports_to(user("eng2", "Eva Engineer"), "vp"),
        ]
    }

    fn text(v: &Option<String>) -> Field<String> {
        v.clone().map_or(Field::Null, Field::Value)
    }

    /// The entry a full round sends for `u`: every property, manager@delta if any.
    fn full_entry(u: &DirectoryUser) -> FetchedUser {
        let a = &u.attributes;
        FetchedUser::Present {
            id: u.id.clone(),
            fields: Box::new(FetchedUserFields {
                display_name: text(&a.display_name),
                given_name: text(&a.given_name),
                surname: text(&a.surname),
                user_principal_name: text(&a.user_principal_name),
                mail: text(&a.mail),
                job_title: text(&a.job_title),
                department: text(&a.department),
                office_location: text(&a.office_location),
                company_name: text(&a.company_name),
                employee_id: text(&a.employee_id),
                mobile_phone: text(&a.mobile_phone),
                business_phones: Field::Value(a.business_phones.clone()),
                city: text(&a.city),
                country: text(&a.country),
                user_type: text(&a.user_type),
                account_enabled: a.account_enabled.map_or(Field::Null, Field::Value),
            }),
            manager: u
                .manager_id
                .clone()
                .map_or(ManagerChange::Unchanged, ManagerChange::Set),
        }
    }

    fn full_round(users: &[DirectoryUser]) -> Vec<FetchedUser> {
        users.iter().map(full_entry).collect()
    }

    fn present(id: &str, edit: impl FnOnce(&mut FetchedUserFields)) -> FetchedUser {
        let mut fields = FetchedUserFields::default();
        edit(&mut fields);
        FetchedUser::Present {
            id: id.into(),
            fields: Box::new(fields),
            manager: ManagerChange::Unchanged,
        }
    }

    fn manager(id: &str, change: ManagerChange) -> FetchedUser {
        FetchedUser::Present {
            id: id.into(),
            fields: Box::default(),
            manager: change,
        }
    }

    fn set(id: &str) -> ManagerChange {
        ManagerChange::Set(id.into())
    }

    fn removed(id: &str, reason: RemovedReason) -> FetchedUser {
        FetchedUser::Removed {
            id: id.into(),
            reason,
        }
    }

    fn v(s: &str) -> Field<String> {
        Field::Value(s.into())
    }

    fn directory(users: Vec<DirectoryUser>) -> HashMap<String, DirectoryUser> {
        users.into_iter().map(|u| (u.id.clone(), u)).collect()
    }

    /// What the apply step does with a plan.
    fn apply(
        existing: &HashMap<String, DirectoryUser>,
        plan: &Plan,
    ) -> HashMap<String, DirectoryUser> {
        let mut after = existing.clone();
        for u in &plan.upserts {
            after.insert(u.id.clone(), u.clone());
        }
        for id in &plan.purges {
            after.remove(id);
        }
        after
    }

    fn fields_of<'p>(plan: &'p Plan, id: &str) -> Vec<(&'p str, Option<&'p str>, Option<&'p str>)> {
        let change = plan.changes.iter().find(|c| c.user_id == id);
        let Some(change) = change else {
            panic!("no change for {id}");
        };
        change
            .fields
            .iter()
            .map(|f| (f.field, f.before.as_deref(), f.after.as_deref()))
            .collect()
    }

    type Check = fn(&Plan, &HashMap<String, DirectoryUser>);

    struct Case {
        name: &'static str,
        existing: Vec<DirectoryUser>,
        fetched: Vec<FetchedUser>,
        full: bool,
        sso: Option<&'static str>,
        /// (id, kind) in the order the job history lists them.
        changes: &'static [(&'static str, ChangeKind)],
        counts: PlanCounts,
        check: Check,
    }

    impl Default for Case {
        fn default() -> Self {
            Self {
                name: "",
                existing: hierarchy(),
                fetched: Vec::new(),
                full: false,
                sso: None,
                changes: &[],
                counts: PlanCounts::default(),
                check: |_, _| {},
            }
        }
    }

    /// What must hold for every plan, whatever the case.
    fn assert_invariants(name: &str, existing: &HashMap<String, DirectoryUser>, plan: &Plan) {
        let c = &plan.counts;
        let kinds = |k: ChangeKind| plan.changes.iter().filter(|x| x.kind == k).count();
        let stayed_and_changed = kinds(ChangeKind::Updated)
            + kinds(ChangeKind::ManagerChanged)
            + kinds(ChangeKind::Enabled)
            + kinds(ChangeKind::Disabled);
        assert_eq!(
            c.total_after,
            c.unchanged + c.added + c.restored + stayed_and_changed,
            "{name}: total_after = unchanged + added + restored + changed"
        );
        assert_eq!(
            c.total_after + c.deleted,
            c.total_before + c.added + c.restored,
            "{name}: total_after = total_before - deleted + added + restored"
        );
        assert_eq!(c.added, kinds(ChangeKind::Added), "{name}: added");
        assert_eq!(c.restored, kinds(ChangeKind::Restored), "{name}: restored");
        assert_eq!(
            c.deleted + c.purged,
            kinds(ChangeKind::Deleted) + kinds(ChangeKind::Purged),
            "{name}: deleted + purged"
        );
        let active = |m: &HashMap<String, DirectoryUser>| m.values().filter(|u| !u.deleted).count();
        assert_eq!(c.total_before, active(existing), "{name}: total_before");
        let after = apply(existing, plan);
        assert_eq!(c.total_after, active(&after), "{name}: total_after");

        let mut sorted = plan.changes.clone();
        sorted.sort_by(|a, b| (a.kind, &a.label, &a.user_id).cmp(&(b.kind, &b.label, &b.user_id)));
        assert_eq!(plan.changes, sorted, "{name}: changes sorted");
        let mut ids: Vec<&str> = plan.changes.iter().map(|c| c.user_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), plan.changes.len(), "{name}: one change per user");

        let mut written: Vec<&str> = plan
            .changes
            .iter()
            .filter(|c| c.kind != ChangeKind::Purged)
            .map(|c| c.user_id.as_str())
            .collect();
        written.sort_unstable();
        let upserted: Vec<&str> = plan.upserts.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            upserted, written,
            "{name}: a row for every change but purges"
        );
        let purged: Vec<&str> = plan
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Purged)
            .map(|c| c.user_id.as_str())
            .collect();
        let mut purges: Vec<&str> = plan.purges.iter().map(String::as_str).collect();
        purges.sort_unstable();
        let mut purged_sorted = purged.clone();
        purged_sorted.sort_unstable();
        assert_eq!(purges, purged_sorted, "{name}: purges");
        for u in &plan.upserts {
            assert_ne!(
                existing.get(&u.id),
                Some(u),
                "{name}: {} written unchanged",
                u.id
            );
        }
    }

    fn run(cases: Vec<Case>) {
        for case in cases {
            let existing = directory(case.existing);
            let plan = plan(PlanInput {
                existing: &existing,
                fetched: case.fetched,
                full: case.full,
                sso_issuer: case.sso,
                others_active: 0,
            });
            let got: Vec<(&str, ChangeKind)> = plan
                .changes
                .iter()
                .map(|c| (c.user_id.as_str(), c.kind))
                .collect();
            assert_eq!(got, case.changes, "{}: changes", case.name);
            assert_eq!(plan.counts, case.counts, "{}: counts", case.name);
            assert_invariants(case.name, &existing, &plan);
            (case.check)(&plan, &apply(&existing, &plan));
        }
    }

    fn counts(total_before: usize) -> PlanCounts {
        PlanCounts {
            total_before,
            ..Default::default()
        }
    }

    #[test]
    fn incremental_rounds() {
        use ChangeKind::*;
        run(vec![
            Case {
                name: "a new user in the round is added with its attributes and manager",
                fetched: vec![FetchedUser::Present {
                    id: "new".into(),
                    fields: Box::new(FetchedUserFields {
                        display_name: v("Nina New"),
                        user_principal_name: v("nina@contoso.com"),
                        job_title: v("Designer"),
                        account_enabled: Field::Value(true),
                        ..Default::default()
                    }),
                    manager: set("vp2"),
                }],
                changes: &[("new", Added)],
                counts: PlanCounts {
                    added: 1,
                    unchanged: 5,
                    total_after: 6,
                    ..counts(5)
                },
                check: |plan, after| {
                    let nina = &after["new"];
                    assert_eq!(nina.manager_id.as_deref(), Some("vp2"));
                    assert_eq!(nina.attributes.city, None, "unsent is empty for a new user");
                    assert_eq!(nina.attributes.job_title.as_deref(), Some("Designer"));
                    assert_eq!(plan.changes[0].label, "Nina New");
                    assert!(fields_of(plan, "new").is_empty(), "the row is the record");
                },
                ..Default::default()
            },
            Case {
                name: "a new user who arrives disabled counts as added only",
                fetched: vec![present("new", |f| f.account_enabled = Field::Value(false))],
                changes: &[("new", Added)],
                counts: PlanCounts {
                    added: 1,
                    unchanged: 5,
                    total_after: 6,
                    ..counts(5)
                },
                check: |plan, _| assert_eq!(plan.removals(), 0),
                ..Default::default()
            },
            Case {
                name: "a new title updates the user and keeps what the round did not send",
                fetched: vec![present("eng", |f| f.job_title = v("Senior Engineer"))],
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    let eng = &after["eng"];
                    assert_eq!(eng.attributes.city.as_deref(), Some("Oslo"));
                    assert_eq!(eng.manager_id.as_deref(), Some("vp"));
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [("jobTitle", Some("Engineer"), Some("Senior Engineer"))]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "users the round does not mention count as unchanged",
                fetched: vec![present("ceo", |f| f.city = v("Bergen"))],
                changes: &[("ceo", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| assert_eq!(plan.upserts.len(), 1),
                ..Default::default()
            },
            Case {
                name: "an explicit null empties the field",
                fetched: vec![present("eng", |f| {
                    f.mobile_phone = Field::Null;
                    f.business_phones = Field::Null;
                })],
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert_eq!(after["eng"].attributes.mobile_phone, None);
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [
                            ("mobilePhone", Some("+47 400 00 000"), None),
                            ("businessPhones", Some("+47 1"), None),
                        ]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "business phones are shown joined with commas",
                fetched: vec![present("eng", |f| {
                    f.business_phones = Field::Value(vec!["+47 1".into(), "+47 2".into()]);
                })],
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| {
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [("businessPhones", Some("+47 1"), Some("+47 1, +47 2"))]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "a round repeating the stored values changes nothing",
                fetched: vec![
                    present("eng", |f| f.job_title = v("Engineer")),
                    manager("eng2", set("vp")),
                ],
                counts: PlanCounts {
                    unchanged: 5,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| assert!(plan.upserts.is_empty()),
                ..Default::default()
            },
            Case {
                name: "disabling an account counts as disabled, not updated",
                fetched: vec![present("eng", |f| f.account_enabled = Field::Value(false))],
                changes: &[("eng", Disabled)],
                counts: PlanCounts {
                    disabled: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert!(
                        !after["eng"].deleted,
                        "a disabled user stays in the directory"
                    );
                    assert_eq!(plan.removals(), 1);
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [("accountEnabled", Some("true"), Some("false"))]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "disabling with a new title counts as disabled and updated",
                fetched: vec![present("eng", |f| {
                    f.account_enabled = Field::Value(false);
                    f.job_title = v("Former Engineer");
                })],
                changes: &[("eng", Disabled)],
                counts: PlanCounts {
                    disabled: 1,
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                ..Default::default()
            },
            Case {
                name: "re-enabling a disabled account counts as enabled",
                existing: vec![user("ceo", "Chris CEO"), disabled(user("eng", "Erik"))],
                fetched: vec![present("eng", |f| f.account_enabled = Field::Value(true))],
                changes: &[("eng", Enabled)],
                counts: PlanCounts {
                    enabled: 1,
                    unchanged: 1,
                    total_after: 2,
                    ..counts(2)
                },
                check: |plan, _| assert_eq!(plan.removals(), 0),
                ..Default::default()
            },
            Case {
                name: "moving an engineer to another VP in a three-level hierarchy is a manager change",
                fetched: vec![manager("eng", set("vp2"))],
                changes: &[("eng", ManagerChanged)],
                counts: PlanCounts {
                    manager_changed: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert_eq!(after["eng"].manager_id.as_deref(), Some("vp2"));
                    assert_eq!(after["eng2"].manager_id.as_deref(), Some("vp"));
                    assert_eq!(after["vp2"].manager_id.as_deref(), Some("ceo"));
                    assert_eq!(
                        after["eng"].attributes.job_title.as_deref(),
                        Some("Engineer")
                    );
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [("managerId", Some("vp"), Some("vp2"))]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "a new title and a new manager are one change counted in both",
                fetched: vec![FetchedUser::Present {
                    id: "eng".into(),
                    fields: Box::new(FetchedUserFields {
                        job_title: v("Lead Engineer"),
                        ..Default::default()
                    }),
                    manager: set("vp2"),
                }],
                changes: &[("eng", ManagerChanged)],
                counts: PlanCounts {
                    updated: 1,
                    manager_changed: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                ..Default::default()
            },
            Case {
                name: "a removed manager reference leaves the user without a manager",
                fetched: vec![manager("eng", ManagerChange::Removed)],
                changes: &[("eng", ManagerChanged)],
                counts: PlanCounts {
                    manager_changed: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |_, after| assert_eq!(after["eng"].manager_id, None),
                ..Default::default()
            },
            Case {
                name: "a round without manager@delta keeps the manager",
                fetched: vec![present("eng", |f| f.city = v("Bergen"))],
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |_, after| assert_eq!(after["eng"].manager_id.as_deref(), Some("vp")),
                ..Default::default()
            },
            Case {
                name: "unicode names are kept exactly and label the change",
                existing: vec![user("ceo", "Chris CEO"), user("mü", "Jürgen Müller")],
                fetched: vec![
                    present("zoe", |f| {
                        f.display_name = v("Zoë Ångström-Łukasiewicz 王秀英");
                        f.given_name = v("Zoë");
                        f.city = v("Kraków");
                    }),
                    present("mü", |f| f.display_name = v("Jürgen Möller 🙂")),
                ],
                changes: &[("zoe", Added), ("mü", Updated)],
                counts: PlanCounts {
                    added: 1,
                    updated: 1,
                    unchanged: 1,
                    total_after: 3,
                    ..counts(2)
                },
                check: |plan, after| {
                    let zoe = &after["zoe"].attributes;
                    assert_eq!(
                        zoe.display_name.as_deref(),
                        Some("Zoë Ångström-Łukasiewicz 王秀英")
                    );
                    assert_eq!(zoe.city.as_deref(), Some("Kraków"));
                    assert_eq!(plan.changes[0].label, "Zoë Ångström-Łukasiewicz 王秀英");
                    assert_eq!(
                        fields_of(plan, "mü"),
                        [(
                            "displayName",
                            Some("Jürgen Müller"),
                            Some("Jürgen Möller 🙂")
                        )]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "the label falls back to the UPN, then to the id",
                existing: vec![],
                fetched: vec![
                    present("a", |f| f.user_principal_name = v("a@contoso.com")),
                    present("b", |f| f.display_name = v("  ")),
                ],
                changes: &[("a", Added), ("b", Added)],
                counts: PlanCounts {
                    added: 2,
                    total_after: 2,
                    ..counts(0)
                },
                check: |plan, _| {
                    let labels: Vec<&str> = plan.changes.iter().map(|c| c.label.as_str()).collect();
                    assert_eq!(labels, ["a@contoso.com", "b"]);
                },
                ..Default::default()
            },
        ]);
    }

    #[test]
    fn deletes_and_restores() {
        use ChangeKind::*;
        use RemovedReason::{Changed as Soft, Deleted as Hard};
        run(vec![
            Case {
                name: "a soft-deleted user stays in the directory marked deleted",
                fetched: vec![removed("eng2", Soft)],
                changes: &[("eng2", Deleted)],
                counts: PlanCounts {
                    deleted: 1,
                    unchanged: 4,
                    total_after: 4,
                    ..counts(5)
                },
                check: |plan, after| {
                    let eng2 = &after["eng2"];
                    assert!(eng2.deleted);
                    assert_eq!(eng2.attributes.job_title.as_deref(), Some("Engineer"));
                    assert_eq!(eng2.manager_id.as_deref(), Some("vp"));
                    assert!(plan.purges.is_empty());
                    assert_eq!(plan.removals(), 1);
                },
                ..Default::default()
            },
            Case {
                name: "soft-deleting a user already in the recycle bin changes nothing",
                existing: vec![user("ceo", "Chris"), in_recycle_bin(user("eng", "Erik"))],
                fetched: vec![removed("eng", Soft)],
                counts: PlanCounts {
                    unchanged: 1,
                    total_after: 1,
                    ..counts(1)
                },
                ..Default::default()
            },
            Case {
                name: "a restored user comes back with what changed meanwhile",
                existing: vec![user("ceo", "Chris"), in_recycle_bin(user("eng", "Erik"))],
                // Graph sends a restored user as the whole object.
                fetched: vec![{
                    let mut back = user("eng", "Erik");
                    back.attributes.job_title = Some("Staff Engineer".into());
                    full_entry(&back)
                }],
                changes: &[("eng", Restored)],
                counts: PlanCounts {
                    restored: 1,
                    updated: 1,
                    unchanged: 1,
                    total_after: 2,
                    ..counts(1)
                },
                check: |plan, after| {
                    let eng = &after["eng"];
                    assert!(!eng.deleted);
                    assert_eq!(
                        eng.attributes.city.as_deref(),
                        Some("Oslo"),
                        "kept from the row"
                    );
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [("jobTitle", Some("Engineer"), Some("Staff Engineer"))]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "a restore without other changes counts as restored only",
                existing: vec![in_recycle_bin(user("eng", "Erik"))],
                fetched: vec![full_entry(&user("eng", "Erik"))],
                changes: &[("eng", Restored)],
                counts: PlanCounts {
                    restored: 1,
                    total_after: 1,
                    ..counts(0)
                },
                check: |plan, _| assert!(plan.changes[0].fields.is_empty()),
                ..Default::default()
            },
            Case {
                name: "soft delete then restore in two rounds gives back the same row",
                existing: vec![in_recycle_bin(reports_to(user("eng", "Erik"), "vp"))],
                fetched: vec![full_entry(&reports_to(user("eng", "Erik"), "vp"))],
                changes: &[("eng", Restored)],
                counts: PlanCounts {
                    restored: 1,
                    total_after: 1,
                    ..counts(0)
                },
                check: |_, after| {
                    let mut want = reports_to(user("eng", "Erik"), "vp");
                    want.deleted = false;
                    assert_eq!(after["eng"], want);
                },
                ..Default::default()
            },
            Case {
                name: "a permanently deleted user is purged from the directory",
                fetched: vec![removed("eng2", Hard)],
                changes: &[("eng2", Purged)],
                counts: PlanCounts {
                    deleted: 1,
                    unchanged: 4,
                    total_after: 4,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert!(!after.contains_key("eng2"));
                    assert_eq!(plan.purges, ["eng2"]);
                    assert_eq!(plan.changes[0].label, "Eva Engineer");
                    assert_eq!(plan.removals(), 1);
                },
                ..Default::default()
            },
            Case {
                name: "purging a recycle-bin user is not counted as a new deletion",
                existing: vec![user("ceo", "Chris"), in_recycle_bin(user("eng", "Erik"))],
                fetched: vec![removed("eng", Hard)],
                changes: &[("eng", Purged)],
                counts: PlanCounts {
                    purged: 1,
                    unchanged: 1,
                    total_after: 1,
                    ..counts(1)
                },
                check: |plan, after| {
                    assert!(!after.contains_key("eng"));
                    assert_eq!(plan.removals(), 0);
                },
                ..Default::default()
            },
            Case {
                name: "removals of unknown or already purged users are ignored",
                fetched: vec![removed("ghost", Hard), removed("ghost2", Soft)],
                counts: PlanCounts {
                    unchanged: 5,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| assert!(plan.purges.is_empty() && plan.upserts.is_empty()),
                ..Default::default()
            },
        ]);
    }

    #[test]
    fn entries_spread_over_pages() {
        use ChangeKind::*;
        use RemovedReason::Changed as Soft;
        run(vec![
            Case {
                name: "a user on several pages is merged field by field, later pages winning",
                fetched: vec![
                    present("eng", |f| {
                        f.job_title = v("Lead");
                        f.city = v("Bergen");
                    }),
                    manager("eng", set("vp2")),
                    present("eng2", |f| f.city = v("Tromsø")),
                    present("eng", |f| f.job_title = v("Principal")),
                ],
                changes: &[("eng", ManagerChanged), ("eng2", Updated)],
                counts: PlanCounts {
                    updated: 2,
                    manager_changed: 1,
                    unchanged: 3,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| {
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [
                            ("jobTitle", Some("Engineer"), Some("Principal")),
                            ("city", Some("Oslo"), Some("Bergen")),
                            ("managerId", Some("vp"), Some("vp2")),
                        ]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "a removal on a later page wins and keeps what earlier pages sent",
                fetched: vec![
                    present("eng", |f| f.job_title = v("Lead")),
                    removed("eng", Soft),
                ],
                changes: &[("eng", Deleted)],
                counts: PlanCounts {
                    deleted: 1,
                    unchanged: 4,
                    total_after: 4,
                    ..counts(5)
                },
                check: |_, after| {
                    assert!(after["eng"].deleted);
                    assert_eq!(after["eng"].attributes.job_title.as_deref(), Some("Lead"));
                },
                ..Default::default()
            },
            Case {
                name: "presence on a later page wins over an earlier removal",
                fetched: vec![
                    removed("eng", Soft),
                    present("eng", |f| f.job_title = v("Lead")),
                ],
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |_, after| assert!(!after["eng"].deleted),
                ..Default::default()
            },
        ]);
    }

    #[test]
    fn full_rounds() {
        use ChangeKind::*;
        run(vec![
            Case {
                name: "a full round of an unchanged directory writes nothing",
                fetched: full_round(&hierarchy()),
                full: true,
                counts: PlanCounts {
                    unchanged: 5,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, _| assert!(plan.upserts.is_empty() && plan.changes.is_empty()),
                ..Default::default()
            },
            Case {
                name: "a full round marks active users it does not list as deleted",
                existing: {
                    let mut users = hierarchy();
                    users.push(in_recycle_bin(user("old", "Olga Old")));
                    users
                },
                fetched: full_round(&hierarchy()[..4]),
                full: true,
                changes: &[("eng2", Deleted)],
                counts: PlanCounts {
                    deleted: 1,
                    unchanged: 4,
                    total_after: 4,
                    ..counts(5)
                },
                check: |_, after| {
                    assert!(after["eng2"].deleted);
                    assert!(after["old"].deleted, "already deleted, left alone");
                },
                ..Default::default()
            },
            Case {
                name: "a full round empties unsent fields and clears managers without manager@delta",
                fetched: {
                    let mut eng = hierarchy()[3].clone();
                    eng.attributes.city = None;
                    eng.manager_id = None;
                    let mut round = full_round(&hierarchy());
                    round[3] = full_entry(&eng);
                    if let FetchedUser::Present { fields, .. } = &mut round[3] {
                        fields.city = Field::Absent;
                    }
                    round
                },
                full: true,
                changes: &[("eng", ManagerChanged)],
                counts: PlanCounts {
                    updated: 1,
                    manager_changed: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert_eq!(after["eng"].attributes.city, None);
                    assert_eq!(after["eng"].manager_id, None);
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [
                            ("city", Some("Oslo"), None),
                            ("managerId", Some("vp"), None)
                        ]
                    );
                },
                ..Default::default()
            },
            Case {
                name: "a full round restores recycle-bin users it lists and adds new ones",
                existing: vec![user("ceo", "Chris"), in_recycle_bin(user("eng", "Erik"))],
                fetched: full_round(&[
                    user("ceo", "Chris"),
                    user("eng", "Erik"),
                    reports_to(user("new", "Nora"), "ceo"),
                ]),
                full: true,
                changes: &[("eng", Restored), ("new", Added)],
                counts: PlanCounts {
                    added: 1,
                    restored: 1,
                    unchanged: 1,
                    total_after: 3,
                    ..counts(1)
                },
                check: |_, after| {
                    assert!(!after["eng"].deleted);
                    assert_eq!(after["new"].manager_id.as_deref(), Some("ceo"));
                },
                ..Default::default()
            },
            Case {
                name: "an empty full round marks every active user deleted",
                fetched: vec![],
                full: true,
                changes: &[
                    ("ceo", Deleted),
                    ("eng", Deleted),
                    ("eng2", Deleted),
                    ("vp", Deleted),
                    ("vp2", Deleted),
                ],
                counts: PlanCounts {
                    deleted: 5,
                    total_after: 0,
                    ..counts(5)
                },
                check: |plan, _| assert!(plan.exceeds_guard(&DeletionGuard::default(), 5)),
                ..Default::default()
            },
        ]);
    }

    #[test]
    fn sso_identity() {
        use ChangeKind::*;
        run(vec![
            Case {
                name: "an SSO client's new user carries tenant issuer, object id and UPN",
                existing: vec![],
                fetched: vec![present("new", |f| {
                    f.user_principal_name = v("nina@contoso.com")
                })],
                sso: Some(ISSUER),
                changes: &[("new", Added)],
                counts: PlanCounts {
                    added: 1,
                    total_after: 1,
                    ..counts(0)
                },
                check: |_, after| {
                    let want = SsoIdentity {
                        issuer: ISSUER.into(),
                        subject: "new".into(),
                        login: "nina@contoso.com".into(),
                    };
                    assert_eq!(after["new"].sso, Some(want));
                },
                ..Default::default()
            },
            Case {
                name: "a user without a UPN carries no SSO identity",
                existing: vec![],
                fetched: vec![present("new", |f| f.user_principal_name = Field::Null)],
                sso: Some(ISSUER),
                changes: &[("new", Added)],
                counts: PlanCounts {
                    added: 1,
                    total_after: 1,
                    ..counts(0)
                },
                check: |_, after| assert_eq!(after["new"].sso, None),
                ..Default::default()
            },
            Case {
                name: "turning SSO on updates every user in the next full round",
                fetched: full_round(&hierarchy()),
                full: true,
                sso: Some(ISSUER),
                changes: &[
                    ("ceo", Updated),
                    ("eng", Updated),
                    ("eng2", Updated),
                    ("vp", Updated),
                    ("vp2", Updated),
                ],
                counts: PlanCounts {
                    updated: 5,
                    total_after: 5,
                    ..counts(5)
                },
                check: |plan, after| {
                    assert_eq!(
                        fields_of(plan, "eng"),
                        [(
                            "ssoIdentity",
                            None,
                            Some(
                                "eng@contoso.com (https://login.microsoftonline.com/tenant-1/v2.0)"
                            )
                        )]
                    );
                    assert!(after.values().all(|u| u.sso.is_some()));
                },
                ..Default::default()
            },
            Case {
                name: "an SSO client's full round of an unchanged directory writes nothing",
                existing: hierarchy().into_iter().map(with_sso).collect(),
                fetched: full_round(&hierarchy()),
                full: true,
                sso: Some(ISSUER),
                counts: PlanCounts {
                    unchanged: 5,
                    total_after: 5,
                    ..counts(5)
                },
                ..Default::default()
            },
            Case {
                name: "turning SSO off removes the identity in the next full round",
                existing: vec![with_sso(user("ceo", "Chris")), user("eng", "Erik")],
                fetched: full_round(&[user("ceo", "Chris"), user("eng", "Erik")]),
                full: true,
                changes: &[("ceo", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 1,
                    total_after: 2,
                    ..counts(2)
                },
                check: |plan, after| {
                    assert_eq!(after["ceo"].sso, None);
                    assert_eq!(fields_of(plan, "ceo")[0].0, "ssoIdentity");
                },
                ..Default::default()
            },
            Case {
                name: "a UPN change moves the SSO login",
                existing: vec![with_sso(user("eng", "Erik"))],
                fetched: vec![present("eng", |f| {
                    f.user_principal_name = v("erik@fabrikam.com")
                })],
                sso: Some(ISSUER),
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    total_after: 1,
                    ..counts(1)
                },
                check: |plan, after| {
                    let sso = after["eng"].sso.as_ref().map(|s| s.login.as_str());
                    assert_eq!(sso, Some("erik@fabrikam.com"));
                    let fields: Vec<&str> = fields_of(plan, "eng").iter().map(|f| f.0).collect();
                    assert_eq!(fields, ["userPrincipalName", "ssoIdentity"]);
                },
                ..Default::default()
            },
            Case {
                name: "an incremental round gives the identity only to the users it writes",
                fetched: vec![present("eng", |f| f.city = v("Bergen"))],
                sso: Some(ISSUER),
                changes: &[("eng", Updated)],
                counts: PlanCounts {
                    updated: 1,
                    unchanged: 4,
                    total_after: 5,
                    ..counts(5)
                },
                check: |_, after| {
                    assert!(after["eng"].sso.is_some());
                    assert!(after["ceo"].sso.is_none());
                },
                ..Default::default()
            },
        ]);
    }

    #[test]
    fn changes_are_listed_by_kind_then_name_then_id() {
        use ChangeKind::*;
        run(vec![Case {
            name: "mixed round",
            existing: vec![
                user("d1", "Dora"),
                user("u1", "Sam"),
                user("u2", "Sam"),
                user("u3", "Adam"),
                user("p1", "Paul"),
            ],
            fetched: vec![
                present("u2", |f| f.city = v("Bergen")),
                present("u1", |f| f.city = v("Bergen")),
                present("u3", |f| f.city = v("Bergen")),
                present("n2", |f| f.display_name = v("Bob")),
                present("n1", |f| f.display_name = v("Alice")),
                removed("d1", RemovedReason::Changed),
                removed("p1", RemovedReason::Deleted),
            ],
            changes: &[
                ("p1", Purged),
                ("d1", Deleted),
                ("n1", Added),
                ("n2", Added),
                ("u3", Updated),
                ("u1", Updated),
                ("u2", Updated),
            ],
            counts: PlanCounts {
                added: 2,
                updated: 3,
                deleted: 2,
                total_after: 5,
                ..counts(5)
            },
            ..Default::default()
        }]);
    }

    fn plan_with_removals(deleted: usize, disabled: usize) -> Plan {
        Plan {
            counts: PlanCounts {
                deleted,
                disabled,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn deletion_guard_limits() {
        let default = DeletionGuard::default();
        let cases = [
            (
                "exactly 20% of a small directory is allowed",
                100,
                (15, 5),
                default,
                false,
            ),
            (
                "one over 20% of a small directory is blocked",
                100,
                (16, 5),
                default,
                true,
            ),
            ("disables count like deletes", 100, (0, 21), default, true),
            (
                "exactly 500 in a large directory is allowed",
                10_000,
                (400, 100),
                default,
                false,
            ),
            (
                "501 in a large directory is blocked",
                10_000,
                (401, 100),
                default,
                true,
            ),
            (
                "where both caps meet, 500 is allowed",
                2_500,
                (500, 0),
                default,
                false,
            ),
            (
                "where both caps meet, 501 is blocked",
                2_500,
                (501, 0),
                default,
                true,
            ),
            (
                "below 2500 users the 20% cap is the smaller",
                2_000,
                (401, 0),
                default,
                true,
            ),
            (
                "a client's own guard applies",
                10,
                (5, 0),
                DeletionGuard {
                    max_users: 10,
                    max_percent: 50,
                },
                false,
            ),
            (
                "no removals never exceed the guard",
                0,
                (0, 0),
                default,
                false,
            ),
        ];
        for (name, size, (deleted, disabled), guard, exceeded) in cases {
            let plan = plan_with_removals(deleted, disabled);
            assert_eq!(plan.removals(), deleted + disabled, "{name}");
            assert_eq!(plan.exceeds_guard(&guard, size), exceeded, "{name}");
        }
    }

    #[test]
    fn full_round_dropping_too_many_users_exceeds_the_guard() {
        let users: Vec<DirectoryUser> = (0..100)
            .map(|i| user(&format!("u{i:03}"), "User"))
            .collect();
        let existing = directory(users.clone());
        for (listed, exceeded) in [(80, false), (79, true)] {
            let plan = plan(PlanInput {
                existing: &existing,
                fetched: full_round(&users[..listed]),
                full: true,
                sso_issuer: None,
                others_active: 0,
            });
            assert_eq!(plan.counts.deleted, 100 - listed);
            let size = plan.counts.total_before;
            assert_eq!(
                plan.exceeds_guard(&DeletionGuard::default(), size),
                exceeded,
                "{listed}"
            );
        }
    }

    #[test]
    fn a_large_unchanged_full_round_writes_nothing() {
        let users: Vec<DirectoryUser> = (0..20_000)
            .map(|i| reports_to(user(&format!("u{i}"), "User"), &format!("u{}", i / 10)))
            .collect();
        let existing = directory(users.clone());
        let plan = plan(PlanInput {
            existing: &existing,
            fetched: full_round(&users),
            full: true,
            sso_issuer: None,
            others_active: 0,
        });
        assert!(plan.upserts.is_empty() && plan.changes.is_empty());
        assert_eq!(plan.counts.unchanged, 20_000);
    }

    #[test]
    fn summary_lines_for_logs() {
        let counts = PlanCounts {
            added: 12,
            updated: 3,
            manager_changed: 1,
            deleted: 2,
            unchanged: 980,
            total_after: 995,
            ..Default::default()
        };
        assert_eq!(
            counts.to_string(),
            "12 added, 3 updated, 1 manager changed, 2 deleted; 980 unchanged, 995 users"
        );
        let plan = Plan {
            counts,
            ..Default::default()
        };
        assert_eq!(
            plan.changes_only_summary(),
            "12 added, 3 updated, 1 manager changed, 2 deleted"
        );
        assert_eq!(Plan::default().changes_only_summary(), "no changes");
    }

    #[test]
    fn counts_and_kinds_serialize_in_camel_case() {
        let json = serde_json::to_value(PlanCounts {
            manager_changed: 2,
            ..Default::default()
        });
        let json = json.map_err(|e| e.to_string());
        assert_eq!(
            json.as_ref().map(|j| j["managerChanged"].clone()),
            Ok(2.into())
        );
        let kind = serde_json::to_string(&ChangeKind::ManagerChanged).map_err(|e| e.to_string());
        assert_eq!(kind.as_deref(), Ok("\"managerChanged\""));
        assert_eq!(ChangeKind::ManagerChanged.as_str(), "managerChanged");
    }
}

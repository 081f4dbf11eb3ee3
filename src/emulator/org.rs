//! The organisation store: users in slots, a version counter bumped by every mutation, and an
//! append-only change log from which "changes since version V" is computed exactly.

use std::collections::HashMap;

use super::model::{Attrs, DemoUser, DemoUserPatch, Field};

/// Where a user is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    /// Not created yet (only used as the "before" of a creation).
    Absent,
    Visible,
    /// In deleted items; restorable.
    SoftDeleted,
    /// Permanently deleted.
    Purged,
}

pub(crate) struct Rec {
    pub id: String,
    pub attrs: Attrs,
    pub manager: Option<u32>,
    pub life: Life,
}

/// One mutation of one user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogEntry {
    pub version: u64,
    pub slot: u32,
    pub before: Life,
    pub after: Life,
    /// Changed properties (attributes and/or `Field::Manager`).
    pub mask: u32,
    /// The manager before this change, when `mask` has `Field::Manager`.
    pub old_manager: Option<u32>,
}

/// How a user appears in a delta page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// The full selected object (fresh round, added, restored).
    Full,
    /// Id plus the changed properties in `mask`.
    Update,
    /// `@removed` with reason `changed` (soft delete).
    SoftRemoved,
    /// `@removed` with reason `deleted` (permanent delete).
    HardRemoved,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub slot: u32,
    pub kind: EntryKind,
    pub mask: u32,
    pub old_manager: Option<u32>,
}

/// Log entries kept before the oldest half is dropped (tokens older than that get 410).
const LOG_CAP: usize = 2_000_000;

pub(crate) struct Org {
    pub recs: Vec<Rec>,
    pub by_id: HashMap<String, u32>,
    pub version: u64,
    pub log: Vec<LogEntry>,
    /// Versions at or below this are no longer answerable from the log.
    pub log_floor: u64,
}

impl Org {
    pub fn new(recs: Vec<Rec>) -> Org {
        let by_id = recs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i as u32))
            .collect();
        Org {
            recs,
            by_id,
            version: 0,
            log: Vec::new(),
            log_floor: 0,
        }
    }

    /// Finds a live or soft-deleted user by object id (case-insensitive).
    pub fn find(&self, id: &str) -> Option<u32> {
        let slot = match self.by_id.get(id) {
            Some(s) => *s,
            None => *self.by_id.get(&id.to_ascii_lowercase())?,
        };
        (self.recs[slot as usize].life != Life::Purged).then_some(slot)
    }

    /// Finds a visible user by object id or user principal name, as Graph's `/users/{id}` does.
    pub fn find_visible(&self, key: &str) -> Option<u32> {
        if let Some(s) = self.find(key) {
            return (self.recs[s as usize].life == Life::Visible).then_some(s);
        }
        self.recs
            .iter()
            .position(|r| {
                r.life == Life::Visible && r.attrs.user_principal_name.eq_ignore_ascii_case(key)
            })
            .map(|p| p as u32)
    }

    pub fn life(&self, slot: u32) -> Life {
        self.recs[slot as usize].life
    }

    pub fn upn_taken(&self, upn: &str) -> bool {
        self.recs.iter().any(|r| {
            r.life != Life::Purged && r.attrs.user_principal_name.eq_ignore_ascii_case(upn)
        })
    }

    fn record(&mut self, slot: u32, before: Life, after: Life, mask: u32, old: Option<u32>) {
        self.version += 1;
        self.log.push(LogEntry {
            version: self.version,
            slot,
            before,
            after,
            mask,
            old_manager: old,
        });
        if self.log.len() > LOG_CAP {
            let cut = self.log.len() / 2;
            self.log_floor = self.log[cut - 1].version;
            self.log.drain(..cut);
        }
    }

    pub fn add(&mut self, id: String, attrs: Attrs, manager: Option<u32>) -> u32 {
        let slot = self.recs.len() as u32;
        self.by_id.insert(id.clone(), slot);
        self.recs.push(Rec {
            id,
            attrs,
            manager,
            life: Life::Visible,
        });
        self.record(slot, Life::Absent, Life::Visible, 0, None);
        slot
    }

    pub fn update(&mut self, slot: u32, patch: DemoUserPatch) -> bool {
        let rec = &mut self.recs[slot as usize];
        if rec.life != Life::Visible {
            return false;
        }
        let mask = rec.attrs.apply(patch);
        if mask != 0 {
            self.record(slot, Life::Visible, Life::Visible, mask, None);
        }
        true
    }

    /// Sets or clears the manager; the new manager must be visible and not the user itself.
    pub fn set_manager(&mut self, slot: u32, manager: Option<u32>) -> bool {
        if self.life(slot) != Life::Visible {
            return false;
        }
        if let Some(m) = manager
            && (m == slot || self.life(m) != Life::Visible)
        {
            return false;
        }
        let old = self.recs[slot as usize].manager;
        if old != manager {
            self.recs[slot as usize].manager = manager;
            self.record(
                slot,
                Life::Visible,
                Life::Visible,
                Field::Manager.bit(),
                old,
            );
        }
        true
    }

    pub fn soft_delete(&mut self, slot: u32) -> bool {
        if self.life(slot) != Life::Visible {
            return false;
        }
        self.recs[slot as usize].life = Life::SoftDeleted;
        self.record(slot, Life::Visible, Life::SoftDeleted, 0, None);
        true
    }

    pub fn restore(&mut self, slot: u32) -> bool {
        if self.life(slot) != Life::SoftDeleted {
            return false;
        }
        self.recs[slot as usize].life = Life::Visible;
        self.record(slot, Life::SoftDeleted, Life::Visible, 0, None);
        true
    }

    /// Permanently deletes; visible direct reports lose their manager (logged for each).
    pub fn hard_delete(&mut self, slot: u32) -> bool {
        let before = self.life(slot);
        if before == Life::Purged || before == Life::Absent {
            return false;
        }
        self.recs[slot as usize].life = Life::Purged;
        self.recs[slot as usize].manager = None;
        self.by_id.remove(&self.recs[slot as usize].id);
        self.record(slot, before, Life::Purged, 0, None);
        let reports: Vec<u32> = (0..self.recs.len() as u32)
            .filter(|&r| self.recs[r as usize].manager == Some(slot))
            .collect();
        for r in reports {
            self.recs[r as usize].manager = None;
            if self.life(r) == Life::Visible {
                self.record(
                    r,
                    Life::Visible,
                    Life::Visible,
                    Field::Manager.bit(),
                    Some(slot),
                );
            }
        }
        true
    }

    pub fn snapshot(&self, slot: u32) -> DemoUser {
        let r = &self.recs[slot as usize];
        let a = r.attrs.clone();
        DemoUser {
            id: r.id.clone(),
            display_name: a.display_name,
            given_name: a.given_name,
            surname: a.surname,
            user_principal_name: a.user_principal_name,
            mail: a.mail,
            job_title: a.job_title,
            department: a.department,
            office_location: a.office_location,
            company_name: a.company_name,
            employee_id: a.employee_id,
            mobile_phone: a.mobile_phone,
            business_phones: a.business_phones,
            city: a.city,
            country: a.country,
            user_type: a.user_type,
            account_enabled: a.account_enabled,
            manager_id: r.manager.map(|m| self.recs[m as usize].id.clone()),
            soft_deleted: r.life == Life::SoftDeleted,
        }
    }

    /// All users that Graph currently serves, in slot order, as full entries.
    pub fn full_round(&self) -> Vec<Entry> {
        self.recs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.life == Life::Visible)
            .map(|(i, _)| Entry {
                slot: i as u32,
                kind: EntryKind::Full,
                mask: 0,
                old_manager: None,
            })
            .collect()
    }

    /// Exactly what changed after `since` up to the current version, restricted to the
    /// properties in `select_mask` (changes to unselected properties are not reported, as
    /// Graph documents). `None` if `since` is no longer covered by the log.
    pub fn changes_since(&self, since: u64, select_mask: u32) -> Option<Vec<Entry>> {
        if since < self.log_floor || since > self.version {
            return None;
        }
        struct Acc {
            first_before: Life,
            last_after: Life,
            mask: u32,
            old_manager: Option<u32>,
            cycled: bool,
        }
        let start = self.log.partition_point(|e| e.version <= since);
        let mut order: Vec<u32> = Vec::new();
        let mut accs: HashMap<u32, Acc> = HashMap::new();
        for e in &self.log[start..] {
            let acc = accs.entry(e.slot).or_insert_with(|| {
                order.push(e.slot);
                Acc {
                    first_before: e.before,
                    last_after: e.before,
                    mask: 0,
                    old_manager: None,
                    cycled: false,
                }
            });
            if e.mask & Field::Manager.bit() != 0 && acc.mask & Field::Manager.bit() == 0 {
                acc.old_manager = e.old_manager;
            }
            acc.mask |= e.mask;
            if e.before != e.after {
                acc.cycled = true;
            }
            acc.last_after = e.after;
        }
        let mut out = Vec::with_capacity(order.len());
        for slot in order {
            let Some(a) = accs.get(&slot) else { continue };
            let kind = match (a.first_before, a.last_after) {
                (Life::Absent, Life::Visible) | (Life::SoftDeleted, Life::Visible) => {
                    EntryKind::Full
                }
                (Life::Visible, Life::Visible) if a.cycled => EntryKind::Full,
                (Life::Visible, Life::Visible) => {
                    if a.mask & select_mask == 0 {
                        continue;
                    }
                    EntryKind::Update
                }
                (Life::Visible, Life::SoftDeleted) => EntryKind::SoftRemoved,
                (Life::Visible | Life::SoftDeleted, Life::Purged) => EntryKind::HardRemoved,
                _ => continue,
            };
            out.push(Entry {
                slot,
                kind,
                mask: a.mask & select_mask,
                old_manager: a.old_manager,
            });
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(name: &str) -> Attrs {
        Attrs {
            display_name: name.into(),
            given_name: None,
            surname: None,
            user_principal_name: format!("{name}@x"),
            mail: None,
            job_title: None,
            department: None,
            office_location: None,
            company_name: None,
            employee_id: None,
            mobile_phone: None,
            business_phones: vec![],
            city: None,
            country: None,
            user_type: "Member".into(),
            account_enabled: true,
        }
    }

    fn org3() -> Org {
        let recs = ["a", "b", "c"]
            .iter()
            .map(|n| Rec {
                id: format!("id-{n}"),
                attrs: attrs(n),
                manager: None,
                life: Life::Visible,
            })
            .collect();
        Org::new(recs)
    }

    #[test]
    fn add_then_delete_within_window_is_invisible() {
        let mut o = org3();
        let v = o.version;
        let s = o.add("id-d".into(), attrs("d"), None);
        assert!(o.hard_delete(s));
        assert!(o.changes_since(v, u32::MAX).unwrap().is_empty());
    }

    #[test]
    fn unselected_changes_are_not_reported() {
        let mut o = org3();
        let v = o.version;
        o.update(
            0,
            DemoUserPatch {
                city: Some(Some("Oslo".into())),
                ..Default::default()
            },
        );
        assert!(
            o.changes_since(v, Field::DisplayName.bit() | Field::Id.bit())
                .unwrap()
                .is_empty()
        );
        let all = o.changes_since(v, u32::MAX).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].kind, EntryKind::Update);
        assert_eq!(all[0].mask, Field::City.bit());
    }

    #[test]
    fn hard_delete_of_manager_clears_reports() {
        let mut o = org3();
        assert!(o.set_manager(1, Some(0)));
        let v = o.version;
        assert!(o.hard_delete(0));
        let ch = o.changes_since(v, u32::MAX).unwrap();
        assert_eq!(ch.len(), 2);
        assert_eq!(ch[0].kind, EntryKind::HardRemoved);
        assert_eq!(ch[1].kind, EntryKind::Update);
        assert_eq!(ch[1].old_manager, Some(0));
        assert_eq!(o.recs[1].manager, None);
    }

    #[test]
    fn soft_delete_and_restore() {
        let mut o = org3();
        let v = o.version;
        o.soft_delete(2);
        let ch = o.changes_since(v, u32::MAX).unwrap();
        assert_eq!(ch[0].kind, EntryKind::SoftRemoved);
        let v2 = o.version;
        o.restore(2);
        assert_eq!(
            o.changes_since(v2, u32::MAX).unwrap()[0].kind,
            EntryKind::Full
        );
        // Deleted and restored inside one window: the full object again.
        let ch = o.changes_since(v, u32::MAX).unwrap();
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].kind, EntryKind::Full);
    }
}

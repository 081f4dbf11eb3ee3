//! Folding the entries of one delta round into one statement per user, and laying
//! fetched fields over stored attributes. Pure; used by [`super::plan`].
//!
//! Built for rounds of 100,000 users: entries are moved, never copied; only users
//! that appear more than once are folded on the side.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::model::{
    DirectoryUser, FetchedUser, FetchedUserFields, Field, ManagerChange, RemovedReason,
    UserAttributes,
};

/// What a round said about one user once all its entries are folded in arrival order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MergedUser {
    pub id: String,
    /// The fields the Present entries sent; a later entry overrides an earlier one
    /// field by field, and a field no entry sent stays `Absent`.
    pub fields: Box<FetchedUserFields>,
    /// The last `manager@delta` that said something.
    pub manager: ManagerChange,
    /// `Some` when the last entry for this id was a removal.
    pub removed: Option<RemovedReason>,
}

impl From<FetchedUser> for MergedUser {
    fn from(entry: FetchedUser) -> Self {
        match entry {
            FetchedUser::Present {
                id,
                fields,
                manager,
            } => Self {
                id,
                fields,
                manager,
                removed: None,
            },
            FetchedUser::Removed { id, reason } => Self {
                id,
                removed: Some(reason),
                ..Self::default()
            },
        }
    }
}

impl MergedUser {
    /// Folds a later entry for the same id into this one.
    ///
    /// - Present after Present: later fields and manager override earlier ones; what
    ///   the later entry did not send is kept from the earlier one.
    /// - Removed after anything: the user is removed (the later entry wins).
    /// - Present after a soft removal (`Changed`): the user is back, with everything
    ///   the earlier entries sent (the recycle bin keeps the object). Present after a
    ///   permanent removal (`Deleted`) starts from that entry alone.
    fn fold(&mut self, later: FetchedUser) {
        match later {
            FetchedUser::Present {
                fields, manager, ..
            } => {
                if self.removed == Some(RemovedReason::Deleted) {
                    *self.fields = FetchedUserFields::default();
                    self.manager = ManagerChange::Unchanged;
                }
                self.removed = None;
                overlay_fields(&mut self.fields, *fields);
                if manager != ManagerChange::Unchanged {
                    self.manager = manager;
                }
            }
            FetchedUser::Removed { reason, .. } => self.removed = Some(reason),
        }
    }
}

/// The stored users a round mentioned, by the address of their key in the directory
/// map: hashing an address is cheaper than hashing the id again.
#[derive(Debug, Default)]
pub struct Seen(HashMap<usize, usize>);

impl Seen {
    /// `stored_id` must be a key of the directory map passed to [`merge_round`].
    pub fn contains(&self, stored_id: &str) -> bool {
        self.0.contains_key(&(stored_id.as_ptr() as usize))
    }
}

/// Where one entry of the round goes.
struct Slot<'a> {
    /// Index of the first entry with this id; `None` for an entry without an id.
    first: Option<usize>,
    /// Set on a first entry when later entries share its id.
    repeated: bool,
    stored: Option<&'a DirectoryUser>,
}

/// Folds the entries of a round (every page, in arrival order) per id and hands each
/// user, with its stored row if any, to `visit`, once. Entries with an empty id
/// identify no one and are skipped. Returns the stored users the round mentioned.
pub fn merge_round<'a>(
    existing: &'a HashMap<String, DirectoryUser>,
    fetched: Vec<FetchedUser>,
    mut visit: impl FnMut(Option<&'a DirectoryUser>, MergedUser),
) -> Seen {
    // First pass, borrowing: find each entry's first occurrence and stored row.
    let mut slots: Vec<Slot<'a>> = Vec::with_capacity(fetched.len());
    let mut known: HashMap<usize, usize> = HashMap::with_capacity(fetched.len());
    let mut unknown: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in fetched.iter().enumerate() {
        let id = entry.id();
        let (first, stored) = if id.is_empty() {
            (None, None)
        } else if let Some((key, stored)) = existing.get_key_value(id) {
            let first = *known.entry(key.as_ptr() as usize).or_insert(i);
            (Some(first), Some(stored))
        } else {
            (Some(*unknown.entry(id).or_insert(i)), None)
        };
        if let Some(first) = first.filter(|&f| f != i)
            && let Some(slot) = slots.get_mut(first)
        {
            slot.repeated = true;
        }
        slots.push(Slot {
            first,
            repeated: false,
            stored,
        });
    }
    drop(unknown);

    // Second pass, consuming: users seen once go straight through; the others are
    // folded in arrival order and handed over at the end.
    let mut groups: Vec<(Option<&'a DirectoryUser>, MergedUser)> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for (entry, slot) in fetched.into_iter().zip(&slots) {
        let Some(first) = slot.first else { continue };
        if !slots.get(first).is_some_and(|s| s.repeated) {
            visit(slot.stored, MergedUser::from(entry));
            continue;
        }
        match group_of.entry(first) {
            Entry::Vacant(vacant) => {
                vacant.insert(groups.len());
                groups.push((slot.stored, MergedUser::from(entry)));
            }
            Entry::Occupied(occupied) => {
                if let Some((_, user)) = groups.get_mut(*occupied.get()) {
                    user.fold(entry);
                }
            }
        }
    }
    for (stored, user) in groups {
        visit(stored, user);
    }
    Seen(known)
}

fn overlay<T>(into: &mut Field<T>, later: Field<T>) {
    if !later.is_absent() {
        *into = later;
    }
}

/// Lays `later` over `into`: every field `later` sent replaces the earlier one.
fn overlay_fields(into: &mut FetchedUserFields, later: FetchedUserFields) {
    // Destructured in full so that a new field cannot be forgotten here.
    let FetchedUserFields {
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
    } = later;
    overlay(&mut into.display_name, display_name);
    overlay(&mut into.given_name, given_name);
    overlay(&mut into.surname, surname);
    overlay(&mut into.user_principal_name, user_principal_name);
    overlay(&mut into.mail, mail);
    overlay(&mut into.job_title, job_title);
    overlay(&mut into.department, department);
    overlay(&mut into.office_location, office_location);
    overlay(&mut into.company_name, company_name);
    overlay(&mut into.employee_id, employee_id);
    overlay(&mut into.mobile_phone, mobile_phone);
    overlay(&mut into.business_phones, business_phones);
    overlay(&mut into.city, city);
    overlay(&mut into.country, country);
    overlay(&mut into.user_type, user_type);
    overlay(&mut into.account_enabled, account_enabled);
}

/// `Absent` keeps the current value, `Null` empties it. An empty string counts as
/// empty, so `""` and `null` store the same thing.
fn apply_text(into: &mut Option<String>, field: Field<String>) {
    match field {
        Field::Absent => {}
        Field::Null => *into = None,
        Field::Value(v) => *into = (!v.is_empty()).then_some(v),
    }
}

/// Lays the fetched fields over `attrs`. For a full round, pass empty attributes:
/// what the round did not send is then empty.
pub fn apply_fields(attrs: &mut UserAttributes, fields: FetchedUserFields) {
    let FetchedUserFields {
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
    } = fields;
    apply_text(&mut attrs.display_name, display_name);
    apply_text(&mut attrs.given_name, given_name);
    apply_text(&mut attrs.surname, surname);
    apply_text(&mut attrs.user_principal_name, user_principal_name);
    apply_text(&mut attrs.mail, mail);
    apply_text(&mut attrs.job_title, job_title);
    apply_text(&mut attrs.department, department);
    apply_text(&mut attrs.office_location, office_location);
    apply_text(&mut attrs.company_name, company_name);
    apply_text(&mut attrs.employee_id, employee_id);
    apply_text(&mut attrs.mobile_phone, mobile_phone);
    match business_phones {
        Field::Absent => {}
        Field::Null => attrs.business_phones.clear(),
        Field::Value(v) => attrs.business_phones = v,
    }
    apply_text(&mut attrs.city, city);
    apply_text(&mut attrs.country, country);
    apply_text(&mut attrs.user_type, user_type);
    match account_enabled {
        Field::Absent => {}
        Field::Null => attrs.account_enabled = None,
        Field::Value(v) => attrs.account_enabled = Some(v),
    }
}

/// Whether laying `fields` over `attrs` (over empty attributes when `full`) gives
/// `attrs` back: the same answer as [`apply_fields`] and a comparison, without moving
/// or allocating anything.
pub fn leaves_unchanged(attrs: &UserAttributes, fields: &FetchedUserFields, full: bool) -> bool {
    fn text(stored: &Option<String>, field: &Field<String>, full: bool) -> bool {
        match field {
            Field::Absent => !full || stored.is_none(),
            Field::Null => stored.is_none(),
            Field::Value(v) if v.is_empty() => stored.is_none(),
            Field::Value(v) => stored.as_deref() == Some(v.as_str()),
        }
    }
    let FetchedUserFields {
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
    } = fields;
    let phones = match business_phones {
        Field::Absent => !full || attrs.business_phones.is_empty(),
        Field::Null => attrs.business_phones.is_empty(),
        Field::Value(v) => attrs.business_phones == *v,
    };
    let enabled = match account_enabled {
        Field::Absent => !full || attrs.account_enabled.is_none(),
        Field::Null => attrs.account_enabled.is_none(),
        Field::Value(v) => attrs.account_enabled == Some(*v),
    };
    phones
        && enabled
        && text(&attrs.display_name, display_name, full)
        && text(&attrs.given_name, given_name, full)
        && text(&attrs.surname, surname, full)
        && text(&attrs.user_principal_name, user_principal_name, full)
        && text(&attrs.mail, mail, full)
        && text(&attrs.job_title, job_title, full)
        && text(&attrs.department, department, full)
        && text(&attrs.office_location, office_location, full)
        && text(&attrs.company_name, company_name, full)
        && text(&attrs.employee_id, employee_id, full)
        && text(&attrs.mobile_phone, mobile_phone, full)
        && text(&attrs.city, city, full)
        && text(&attrs.country, country, full)
        && text(&attrs.user_type, user_type, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(id: &str, edit: impl FnOnce(&mut FetchedUserFields)) -> FetchedUser {
        let mut fields = FetchedUserFields::default();
        edit(&mut fields);
        FetchedUser::Present {
            id: id.into(),
            fields: Box::new(fields),
            manager: ManagerChange::Unchanged,
        }
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

    #[test]
    fn pages_of_one_round_fold_per_user() {
        struct Case {
            name: &'static str,
            entries: Vec<FetchedUser>,
            want_fields: FetchedUserFields,
            want_manager: ManagerChange,
            want_removed: Option<RemovedReason>,
        }
        let cases = vec![
            Case {
                name: "later page overrides a field, earlier fields are kept",
                entries: vec![
                    present("u", |f| {
                        f.job_title = v("Engineer");
                        f.city = v("Oslo");
                    }),
                    present("u", |f| f.job_title = v("Lead")),
                ],
                want_fields: FetchedUserFields {
                    job_title: v("Lead"),
                    city: v("Oslo"),
                    ..Default::default()
                },
                want_manager: ManagerChange::Unchanged,
                want_removed: None,
            },
            Case {
                name: "explicit null on a later page overrides a value",
                entries: vec![
                    present("u", |f| f.mail = v("a@x")),
                    present("u", |f| f.mail = Field::Null),
                ],
                want_fields: FetchedUserFields {
                    mail: Field::Null,
                    ..Default::default()
                },
                want_manager: ManagerChange::Unchanged,
                want_removed: None,
            },
            Case {
                name: "manager sent on its own page is kept by a later attribute page",
                entries: vec![
                    FetchedUser::Present {
                        id: "u".into(),
                        fields: Box::default(),
                        manager: ManagerChange::Set("m".into()),
                    },
                    present("u", |f| f.surname = v("Berg")),
                ],
                want_fields: FetchedUserFields {
                    surname: v("Berg"),
                    ..Default::default()
                },
                want_manager: ManagerChange::Set("m".into()),
                want_removed: None,
            },
            Case {
                name: "removal after presence wins",
                entries: vec![
                    present("u", |f| f.city = v("Oslo")),
                    removed("u", RemovedReason::Changed),
                ],
                want_fields: FetchedUserFields {
                    city: v("Oslo"),
                    ..Default::default()
                },
                want_manager: ManagerChange::Unchanged,
                want_removed: Some(RemovedReason::Changed),
            },
            Case {
                name: "presence after a soft removal wins and keeps earlier fields",
                entries: vec![
                    present("u", |f| f.city = v("Oslo")),
                    removed("u", RemovedReason::Changed),
                    present("u", |f| f.country = v("NO")),
                ],
                want_fields: FetchedUserFields {
                    city: v("Oslo"),
                    country: v("NO"),
                    ..Default::default()
                },
                want_manager: ManagerChange::Unchanged,
                want_removed: None,
            },
            Case {
                name: "presence after a permanent removal starts afresh",
                entries: vec![
                    present("u", |f| f.city = v("Oslo")),
                    removed("u", RemovedReason::Deleted),
                    present("u", |f| f.country = v("NO")),
                ],
                want_fields: FetchedUserFields {
                    country: v("NO"),
                    ..Default::default()
                },
                want_manager: ManagerChange::Unchanged,
                want_removed: None,
            },
            Case {
                name: "the last of two removals wins",
                entries: vec![
                    removed("u", RemovedReason::Deleted),
                    removed("u", RemovedReason::Changed),
                ],
                want_fields: FetchedUserFields::default(),
                want_manager: ManagerChange::Unchanged,
                want_removed: Some(RemovedReason::Changed),
            },
        ];
        for case in cases {
            let users = fold_all(&HashMap::new(), case.entries).1;
            assert_eq!(users.len(), 1, "{}", case.name);
            let user = &users[0].1;
            assert_eq!(*user.fields, case.want_fields, "{}", case.name);
            assert_eq!(user.manager, case.want_manager, "{}", case.name);
            assert_eq!(user.removed, case.want_removed, "{}", case.name);
        }
    }

    /// Every visit `merge_round` makes: (stored id, user), sorted by id.
    fn fold_all(
        existing: &HashMap<String, DirectoryUser>,
        entries: Vec<FetchedUser>,
    ) -> (Seen, Vec<(Option<String>, MergedUser)>) {
        let mut visits = Vec::new();
        let seen = merge_round(existing, entries, |stored, user| {
            visits.push((stored.map(|s| s.id.clone()), user));
        });
        visits.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        (seen, visits)
    }

    #[test]
    fn each_user_is_handed_over_once_with_its_stored_row() {
        let stored = DirectoryUser {
            id: "a".into(),
            attributes: UserAttributes::default(),
            manager_id: None,
            sso: None,
            deleted: false,
        };
        let other = DirectoryUser {
            id: "z".into(),
            ..stored.clone()
        };
        let existing: HashMap<String, DirectoryUser> =
            [("a".to_owned(), stored), ("z".to_owned(), other)].into();
        let (seen, visits) = fold_all(
            &existing,
            vec![
                present("b", |f| f.city = v("Oslo")),
                present("", |_| {}),
                present("a", |_| {}),
                removed("c", RemovedReason::Changed),
                present("b", |f| f.country = v("NO")),
                present("a", |f| f.city = v("Bergen")),
            ],
        );
        let got: Vec<(Option<&str>, &str)> = visits
            .iter()
            .map(|(stored, user)| (stored.as_deref(), user.id.as_str()))
            .collect();
        assert_eq!(got, [(Some("a"), "a"), (None, "b"), (None, "c")]);
        assert_eq!(visits[0].1.fields.city, v("Bergen"));
        assert_eq!(visits[1].1.fields.country, v("NO"));
        assert_eq!(visits[1].1.fields.city, v("Oslo"));
        assert_eq!(visits[2].1.removed, Some(RemovedReason::Changed));
        let key = |id: &str| existing.get_key_value(id).map(|(k, _)| k);
        assert!(key("a").is_some_and(|k| seen.contains(k)));
        assert!(key("z").is_some_and(|k| !seen.contains(k)));
    }

    #[test]
    fn absent_keeps_null_empties_and_empty_text_counts_as_empty() {
        let mut attrs = UserAttributes {
            job_title: Some("Engineer".into()),
            city: Some("Oslo".into()),
            mail: Some("a@x".into()),
            business_phones: vec!["+47 1".into()],
            account_enabled: Some(true),
            ..Default::default()
        };
        apply_fields(
            &mut attrs,
            FetchedUserFields {
                city: Field::Null,
                mail: v(""),
                business_phones: Field::Null,
                account_enabled: Field::Value(false),
                ..Default::default()
            },
        );
        assert_eq!(attrs.job_title.as_deref(), Some("Engineer"));
        assert_eq!(attrs.city, None);
        assert_eq!(attrs.mail, None);
        assert!(attrs.business_phones.is_empty());
        assert_eq!(attrs.account_enabled, Some(false));
    }

    #[test]
    fn the_quick_unchanged_check_agrees_with_applying_the_fields() {
        let stored_values = [None, Some(""), Some("Oslo")];
        let texts = [Field::Absent, Field::Null, v(""), v("Oslo"), v("Bergen")];
        let phones = [
            Field::Absent,
            Field::Null,
            Field::Value(vec![]),
            Field::Value(vec!["+47 1".to_owned()]),
        ];
        let flags = [
            Field::Absent,
            Field::Null,
            Field::Value(true),
            Field::Value(false),
        ];
        for full in [false, true] {
            for stored_city in stored_values {
                for stored_phones in [vec![], vec!["+47 1".to_owned()]] {
                    for stored_flag in [None, Some(true), Some(false)] {
                        let stored = UserAttributes {
                            city: stored_city.map(str::to_owned),
                            business_phones: stored_phones.clone(),
                            account_enabled: stored_flag,
                            ..Default::default()
                        };
                        for city in &texts {
                            for phone in &phones {
                                for flag in &flags {
                                    let fields = FetchedUserFields {
                                        city: city.clone(),
                                        business_phones: phone.clone(),
                                        account_enabled: flag.clone(),
                                        ..Default::default()
                                    };
                                    let mut after = if full {
                                        UserAttributes::default()
                                    } else {
                                        stored.clone()
                                    };
                                    apply_fields(&mut after, fields.clone());
                                    assert_eq!(
                                        leaves_unchanged(&stored, &fields, full),
                                        after == stored,
                                        "full={full} stored={stored:?} fields={fields:?}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
